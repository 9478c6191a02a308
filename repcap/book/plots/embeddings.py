"""Figures of the embedding chapters: pairwise-cosine distributions, ε lines, classes."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np

from repcap.book.plots import COLORS, CYCLE
from repcap.book.plots.layout import finish, place_clear, source_line
from repcap.laws.classes import CLASS1_ABOVE, CLASS2_BELOW


def _series_color(label: str, i: int) -> str:
    """The muted reference colour for a random baseline (its label says "random"), else the i-th cycle colour."""
    return COLORS["random"] if "random" in label.lower() else CYCLE[i % len(CYCLE)]


def _percent(stats) -> tuple[np.ndarray, np.ndarray]:
    counts = np.asarray(stats.counts, dtype=float)
    return np.asarray(stats.edges), 100.0 * counts / max(counts.sum(), 1.0)


def similarity_histograms(series: Mapping[str, object], *, eps: Mapping[str, float] | None = None,
                          zoom: tuple[float, float] = (-0.2, 0.2), title: str = "",
                          source: str = ""):
    """The paper's Figures 1–2: percentage of pairs per bin, full range and zoomed, as step lines.

    ``series`` maps a label to a result with ``counts`` and ``edges`` (a
    :class:`repcap.similarity.PairStats`); ``eps`` maps labels to an ε to mark with a dashed line.
    """
    fig, (full, near) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1, 1]})
    for i, (label, stats) in enumerate(series.items()):
        edges, pct = _percent(stats)
        color = _series_color(label, i)
        for ax in (full, near):
            ax.stairs(pct, edges, color=color, lw=1.4, label=label)
        if eps and label in eps:
            for ax in (full, near):
                ax.axvline(eps[label], color=color, ls="--", lw=1)
    full.set(xlim=(-1, 1), xlabel="cosine similarity", ylabel="% of pairs per bin",
             title="all pairs, full range")
    near.set(xlim=zoom, xlabel="cosine similarity", title=f"zoom on [{zoom[0]}, {zoom[1]}]")
    near.legend(loc="upper right", fontsize=8.5)
    if title:
        fig.suptitle(title)
    source_line(fig, source, y=-0.02, wrap=False)
    fig.tight_layout()
    return fig


def relation_bars(rows: list[tuple[str, float]], *, eps: float, title: str, source: str = ""):
    """Horizontal bars of cosine similarity with the grey 'unrelated' band [0, ε] (paper Figure 3)."""
    labels = [r[0] for r in rows][::-1]
    values = [r[1] for r in rows][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.4))
    ax.axvspan(0, eps, color="#dddddd", zorder=0, label=f"unrelated: cos ≤ ε = {eps:.3f}")
    ax.axvline(eps, color=COLORS["eps"], ls="--", lw=1)
    ax.barh(labels, values, color=[COLORS["measured"] if v > eps else COLORS["random"] for v in values])
    ax.set(xlabel="cosine similarity", title=title)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="y", visible=False)
    source_line(fig, source, y=-0.02, wrap=False)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Figure 3 (lexical panel), Figure 5, class distributions, the parts of ε
# ---------------------------------------------------------------------------------------------

# The paper's Figure 5 colours by family (code: ortho_vs_model_dim_graph.py); anything else is grey.
FAMILY_COLORS = {
    "llama": "#1f77b4",
    "mistral": "#ff7f0e",
    "qwen": "#9467bd",
    "deepseek": "#17becf",
    "gemma": "#d62728",
    "gpt": "#111111",
}
OTHER_FAMILY = "#9a9a9a"
MEASURED_COLOR = "#e7298a"


def family_color(family: str) -> str:
    """The paper's Figure 5 colour of a family (by its name's prefix, case-insensitive: "GPT-OSS" is
    GPT black, "TinyLlama" is not Llama); grey for every other family."""
    name = (family or "").strip().lower()
    return next((c for key, c in FAMILY_COLORS.items() if name.startswith(key)), OTHER_FAMILY)


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    """Code points the book's default font can draw (so labels never fall back to empty boxes)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties(family=plt.rcParams["font.family"]))
    return frozenset(FT2Font(path).get_charmap())


def safe_label(text: str) -> str:
    """``text`` with each run of characters the font cannot draw replaced by ``‹Script×n›``.

    The script is the first word of the characters' Unicode names (``‹BENGALI×3›``,
    ``‹CJK×1›``), so a token from another writing system stays identifiable on a figure instead
    of turning into boxes (and matplotlib warns about nothing).
    """
    covered = _covered()
    out, run, run_script = [], 0, ""
    for ch in text:
        if ord(ch) in covered or ch in " \t":
            if run:
                out.append(f"‹{run_script}×{run}›")
                run = 0
            out.append(ch)
            continue
        script = unicodedata.name(ch, "U+%04X" % ord(ch)).split(" ")[0]
        script = script if len(script) <= 3 else script.title()
        if run and script != run_script:
            out.append(f"‹{run_script}×{run}›")
            run = 0
        run_script = script
        run += 1
    if run:
        out.append(f"‹{run_script}×{run}›")
    return "".join(out)


def lexical_groups(groups, *, eps: float, title: str = "Lexical relationships", source: str = ""):
    """The paper's Figure 3a: for each primary token, bars of its example tokens' cosines.

    ``groups`` is a list of ``(primary label, count, [(example label, cos), ...])``: each group
    gets a bold header row (the primary token and how many tokens chose it as nearest neighbour)
    followed by one bar per example. The grey band [0, ε] marks "unrelated" as in
    :func:`relation_bars`; labels the font cannot draw are replaced (:func:`safe_label`).
    """
    rows = sum(len(g[2]) + 1 for g in groups)
    fig, ax = plt.subplots(figsize=(7.5, 0.34 * rows + 1.5))
    y, ticks, labels, headers = 0.0, [], [], []
    for gi, (primary, count, examples) in enumerate(groups):
        if gi:
            ax.axhline(y - 0.6, color="#888888", lw=0.8, alpha=0.7)
        headers.append(len(ticks))
        ticks.append(y)
        labels.append(f"{safe_label(primary)}  ← nearest of {count:,}")
        y += 1.0
        for label, cos in examples:
            ax.barh(y, cos, height=0.7, color=COLORS["measured"] if cos > eps else COLORS["random"])
            ticks.append(y)
            labels.append(safe_label(label))
            y += 1.0
        y += 0.3
    ax.axvspan(min(0.0, eps), eps, color="#dddddd", zorder=0, label=f"unrelated: cos ≤ ε = {eps:.3f}")
    ax.axvline(eps, color=COLORS["eps"], ls="--", lw=1)
    ax.set_yticks(ticks, labels)
    for k, tick in enumerate(ax.get_yticklabels()):
        if k in headers:
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.invert_yaxis()
    ax.set(xlabel="cosine similarity with the primary token (bold)", title=title)
    ax.set_xlim(min(0.0, ax.get_xlim()[0]), max(1.0, ax.get_xlim()[1]))
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", fontsize=8)
    finish(fig, source)
    return fig


# Where a star's label may go (offset in points, alignment), in order of preference.
_STAR_LABEL_SPOTS = (((6, 5), "left", "bottom"), ((6, -5), "left", "top"),
                     ((-6, 5), "right", "bottom"), ((-6, -5), "right", "top"),
                     ((0, 9), "center", "bottom"), ((0, -9), "center", "top"))


def eps_vs_dmodel(measured, reported=(), *, null_curve=None, zoom_below: float = CLASS2_BELOW,
                  thresholds: tuple[float, float] = (CLASS2_BELOW, CLASS1_ABOVE), source: str = ""):
    """The paper's Figure 5: ε against d_model, all models (left) and the Class 2 zoom (right).

    ``measured`` and ``reported`` are sequences of dicts with ``name``, ``d_model``, ``eps`` and
    ``family``. Reported points (the paper's Table 1) are dots in the paper's family colours;
    measured points (this run) are labelled stars. ``null_curve`` = ``(d, eps)`` arrays draws the
    isotropic reference 2/√d; ``thresholds`` are the class lines. The left panel has a logarithmic
    d axis (small offline models and 16k-wide models on one plot); the right panel keeps the
    points with ε < ``zoom_below`` on a linear axis, as the paper's Figure 5b.
    """
    fig, (full, zoom) = plt.subplots(1, 2, figsize=(12, 4.8))
    seen, labels = set(), []
    for ax, keep in ((full, lambda p: True), (zoom, lambda p: p["eps"] < zoom_below)):
        for p in reported:
            if not keep(p):
                continue
            fam = p.get("family") or "other"
            color = family_color(fam)
            label = None
            if ax is full and color not in seen:
                seen.add(color)
                label = f"{fam if color != OTHER_FAMILY else 'other families'} (reported)"
            ax.scatter(p["d_model"], p["eps"], s=28, color=color, alpha=0.85, label=label,
                       edgecolor="white", linewidth=0.5, zorder=3)
        pts = [p for p in measured if keep(p)]
        if pts:
            ax.scatter([p["d_model"] for p in pts], [p["eps"] for p in pts], marker="*", s=170,
                       color=MEASURED_COLOR, edgecolor="black", linewidth=0.6, zorder=4,
                       label="measured in this run" if ax is full else None)
            # each label goes to the first spot around its star that hides no dot and no other
            # label (place_clear, once the layout is final); above right, then below right, ...
            for p in sorted(pts, key=lambda q: q["d_model"]):
                xy = (p["d_model"], p["eps"])
                text = ax.annotate(p["name"], xy, xytext=(6, 5), textcoords="offset points",
                                   fontsize=7.5, color="#333333")
                labels.append((text, [{"xy": xy, "xytext": off, "ha": ha, "va": va}
                                      for off, ha, va in _STAR_LABEL_SPOTS]))
        if null_curve is not None:
            d, e = null_curve
            ax.plot(d, e, color=COLORS["random"], ls=":", lw=1.3,
                    label="random unit vectors: 2/√d" if ax is full else None)
    for t in thresholds:
        full.axhline(t, color="#555555", ls="--", lw=0.8)
    # at the left end: the models crowd the right end of both lines
    full.text(0.01, thresholds[1], "Class 1 above", transform=full.get_yaxis_transform(),
              ha="left", va="bottom", fontsize=8, color="#555555")
    full.text(0.01, thresholds[0], "Class 2 below", transform=full.get_yaxis_transform(),
              ha="left", va="top", fontsize=8, color="#555555")
    full.set(xscale="log", xlabel="d_model (log scale)", ylabel="ε = µ + 2σ of pairwise cosines",
             title="(a) all models", ylim=(0, 1.05))
    zoom.set(xlabel="d_model", ylabel="ε", title=f"(b) Class 2, zoomed (ε < {zoom_below})")
    zoom_pts = [p["eps"] for p in list(reported) + list(measured) if p["eps"] < zoom_below]
    if zoom_pts:
        lo, hi = min(zoom_pts), max(zoom_pts)
        pad = 0.08 * (hi - lo if hi > lo else 0.01)
        zoom.set_ylim(lo - pad, hi + pad)
    handles, names = full.get_legend_handles_labels()
    fig.tight_layout(rect=(0, 0.11, 1, 1))
    fig.legend(handles, names, loc="lower center", ncol=5, fontsize=8, bbox_to_anchor=(0.5, 0.0))
    place_clear(fig, labels)
    source_line(fig, source)
    return fig


def class_distributions(panels, *, zoom: tuple[float, float] | None = None, source: str = ""):
    """Side-by-side pairwise-cosine distributions, one panel per model (e.g. one per class).

    ``panels`` is a list of ``(title, {label: PairStats}, {label: (mean, eps)})``; each series is
    drawn as % of pairs per bin, with a dotted line at its mean µ and a dashed line at its ε (say
    so in ``source``).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.2), sharey=False,
                             squeeze=False)
    for ax, (title, series, marks) in zip(axes[0], panels):
        for i, (label, stats) in enumerate(series.items()):
            edges, pct = _percent(stats)
            color = _series_color(label, i)
            ax.stairs(pct, edges, color=color, lw=1.4, label=label)
            if label in marks:
                mean, eps = marks[label]
                ax.axvline(mean, color=color, ls=":", lw=1)
                ax.axvline(eps, color=color, ls="--", lw=1)
        ax.set(xlabel="cosine similarity", title=title, xlim=zoom or (-1, 1))
        ax.legend(loc="upper right", fontsize=7.5)
    axes[0][0].set_ylabel("% of pairs per bin")
    finish(fig, source)
    return fig


def eps_parts(rows, *, source: str = "", title: str = "What ε is made of"):
    """Horizontal stacked bars: the shift µ and the spread 2σ that add up to ε, per model.

    ``rows`` is a list of dicts with ``name``, ``mean``, ``std``, ``null_eps`` (2/√d) and
    optionally ``klass``; a black tick marks the isotropic value 2/√d of the model's width.
    """
    names = [r["name"] for r in rows][::-1]
    mean = np.array([r["mean"] for r in rows][::-1])
    spread = 2 * np.array([r["std"] for r in rows][::-1])
    null = np.array([r["null_eps"] for r in rows][::-1])
    fig, ax = plt.subplots(figsize=(8.5, 0.45 * len(rows) + 2.0))
    y = np.arange(len(rows))
    ax.barh(y, mean, color=COLORS["class1"], label="shift: µ")
    ax.barh(y, spread, left=mean, color=COLORS["class2"], alpha=0.8, label="spread: 2σ")
    ax.scatter(null, y, marker="|", s=260, color="black", zorder=4,
               label="random unit vectors of the same width: 2/√d")
    for t, style in ((CLASS2_BELOW, ":"), (CLASS1_ABOVE, "--")):
        ax.axvline(t, color="#555555", ls=style, lw=0.8)
    ax.set_yticks(y, names)
    ax.set(xlabel=f"ε = µ + 2σ (class lines at {CLASS2_BELOW:g} and {CLASS1_ABOVE:g})", title=title)
    ax.grid(axis="y", visible=False)
    # hung below the x label whatever the number of rows: the pad is in font sizes, not axes heights
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), borderaxespad=4.4, ncol=3, fontsize=8)
    finish(fig, source)
    return fig


def analogy_panels(panels, *, eps: Mapping[str, float] | None = None, ncols: int = 3,
                   title: str = "king − man + woman", source: str = ""):
    """The paper's Figure 4 for several models: one panel of bars per (model, query form).

    ``panels`` is a list of ``(panel title, [(token label, cos, highlighted), ...])``, already
    filtered and ordered; highlighted bars (e.g. "queen") are drawn in the accent colour. ``eps``
    maps a panel title to that model's ε, drawn as a dashed line.
    """
    n = len(panels)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    longest = max((len(bars) for _, bars in panels), default=1)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.3 * ncols, 0.25 * longest * nrows + 1.3 * nrows),
                             squeeze=False)
    for ax, (name, bars) in zip(axes.ravel(), panels):
        labels = [safe_label(b[0]) for b in bars]
        values = [b[1] for b in bars]
        colors = [MEASURED_COLOR if b[2] else COLORS["measured"] for b in bars]
        y = np.arange(len(bars))
        ax.barh(y, values, color=colors, height=0.75)
        ax.set_yticks(y, labels, fontsize=8)
        ax.invert_yaxis()
        if eps and name in eps:
            ax.axvline(eps[name], color=COLORS["eps"], ls="--", lw=1)
        ax.set_title(name, fontsize=9.5)
        ax.set_xlabel("cosine with the query", fontsize=8.5)
        ax.grid(axis="y", visible=False)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.suptitle(title)
    finish(fig, source)
    return fig
