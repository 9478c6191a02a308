"""Figures of the packing chapters (4 and 5): measured ε*(k, d) beside fitted laws and references.

The paper draws its fits as 3-D surfaces (Figures 6–8). Here every surface becomes a family of 2-D
curves, one colour per dimension d (or per k), with the measured cells as markers, so that each point's
distance from its curve can be read. Helpers take arrays and callables that the computing modules
returned (fits from :mod:`repcap.laws`, predictions from :mod:`repcap.geometry.null`, floors from
:mod:`repcap.geometry.bounds`); they never compute a result themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
from matplotlib.lines import Line2D

from repcap.book.plots import COLORS
from repcap.book.plots.layout import log_ticks

__all__ = ["family_colors", "eps_curves", "convergence_panel", "residual_panel", "effective_c_curves", "floor_ratio_panel",
           "objective_panels", "cost_panel"]


def family_colors(values: Sequence[float], cmap: str = "viridis") -> dict[float, tuple]:
    """One colour per value (e.g. per d), ordered along a perceptual colour map."""
    values = sorted(set(float(v) for v in values))
    cm = plt.get_cmap(cmap)
    n = len(values)
    return {v: cm(0.08 + 0.8 * (i / max(n - 1, 1))) for i, v in enumerate(values)}


def eps_curves(ax, k, d, eps, curves: Mapping[str, Callable] | None = None, *, x: str = "k",
               styles: Mapping[str, dict] | None = None, reference: tuple | None = None,
               reference_label: str = "paper's released cells", title: str = "",
               logx: bool = True, logy: bool = False, legend_title: str | None = None,
               label_fmt: str = "{:g}", legend: str = "inside") -> bool:
    """Markers for measured cells and one curve per family member for each law.

    ``x="k"``: ε* against k, one colour per d. ``x="d"``: ε* against d, one colour per k.
    ``curves`` maps a label to ``f(k_array, d_array) -> ε`` (e.g. ``fit.predict``); each is drawn over
    the family's x range with ``styles[label]`` (matplotlib keyword arguments). ``reference`` is an
    optional ``(k, d, eps)`` of comparison cells (the paper's), drawn as hollow markers for the members
    present in the measured data (the curves of those members are extended over them). Returns
    whether any reference cell was drawn. ``legend="inside"`` puts the legend where the data leave
    room (right of the axes for more than six members); ``"below"`` puts it under the axes, where
    the data cannot meet it.
    """
    k, d, eps = (np.asarray(a, dtype=float) for a in (k, d, eps))
    member = d if x == "k" else k
    xs = k if x == "k" else d
    colors = family_colors(member)
    styles = dict(styles or {})
    drew_reference = False
    all_x = [xs]
    for m, color in colors.items():
        sel = member == m
        order = np.argsort(xs[sel])
        ax.plot(xs[sel][order], eps[sel][order], "o", ms=4.5, color=color, zorder=3,
                label=(label_fmt.format(m)))
        lo, hi = xs[sel].min(), xs[sel].max()
        if reference is not None:
            rk, rd, re = (np.asarray(a, dtype=float) for a in reference)
            rmember, rxs = (rd, rk) if x == "k" else (rk, rd)
            rsel = rmember == m
            if rsel.any():
                drew_reference = True
                ax.plot(rxs[rsel], re[rsel], "o", ms=6.5, mfc="none", mec=color, mew=0.9, alpha=0.8, zorder=2)
                # Curves continue over the reference cells, so extrapolation can be judged by eye.
                lo, hi = min(lo, rxs[rsel].min()), max(hi, rxs[rsel].max())
                all_x.append(rxs[rsel])
        if curves:
            grid = np.geomspace(lo, hi, 200) if logx else np.linspace(lo, hi, 200)
            for label, fn in curves.items():
                style = {"lw": 1.3, **styles.get(label, {})}
                kk, dd = (grid, np.full_like(grid, m)) if x == "k" else (np.full_like(grid, m), grid)
                ax.plot(grid, np.asarray(fn(kk, dd), dtype=float), color=color, zorder=2, **style)
    if logx:
        ax.set_xscale("log")
        log_ticks(ax.xaxis, np.concatenate(all_x))
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("number of vectors k" if x == "k" else "dimension d")
    ax.set_ylabel("ε* = max |cos| of the packing")
    if title:
        ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    extra = []
    for label in (curves or {}):
        style = {"lw": 1.3, **styles.get(label, {})}
        extra.append(Line2D([], [], color="#333333", **style))
    if drew_reference:
        extra.append(Line2D([], [], ls="none", marker="o", ms=6.5, mfc="none", mec="#333333"))
    entries = labels + list(curves or {}) + ([reference_label] if drew_reference else [])
    if legend == "below":
        place = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.15), "ncol": 3}
    elif len(colors) > 6:
        place = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "ncol": 1}
    else:
        place = {"loc": "best", "ncol": 2}
    ax.legend(handles + extra, entries, fontsize=7.5, title=legend_title, title_fontsize=8, **place)
    return drew_reference


def convergence_panel(ax, histories: Sequence[tuple[float, float, np.ndarray]], *, title: str = "") -> None:
    """max |cos| along each optimisation: ``histories`` = [(d, k, array of (step, eps)), ...].

    One colour per d, thicker lines for larger k; log–log axes (steps start at 1).
    """
    ds = [h[0] for h in histories]
    ks = np.array([h[1] for h in histories], dtype=float)
    colors = family_colors(ds)
    kmin, kmax = ks.min(), ks.max()
    for dd, kk, hist in histories:
        hist = np.asarray(hist, dtype=float)
        width = 0.8 + 1.6 * (np.log(kk / kmin) / np.log(kmax / kmin) if kmax > kmin else 0.0)
        ax.plot(hist[:, 0] + 1, hist[:, 1], color=colors[float(dd)], lw=width, alpha=0.85)
    for dd, color in colors.items():
        ax.plot([], [], color=color, label=f"d = {dd:g}")
    ax.set(xscale="log", yscale="log", xlabel="Adam step", ylabel="max |cos| of the packing")
    from matplotlib.ticker import FuncFormatter

    # 1-2-5 steps, no minor labels: labelling every minor tick put 0.09 on top of 0.1
    log_ticks(ax.yaxis, np.concatenate([np.asarray(h, dtype=float)[:, 1] for *_, h in histories]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)


def residual_panel(ax, x, residuals: Mapping[str, np.ndarray], *, xlabel: str, title: str = "",
                   logx: bool = True, band: float | None = None) -> None:
    """Relative residuals (measured / predicted − 1, in percent) of several predictions against x."""
    x = np.asarray(x, dtype=float)
    palette = [COLORS["fit"], COLORS["bound"], COLORS["paper"], COLORS["measured"]]
    for i, (label, res) in enumerate(residuals.items()):
        ax.plot(x, 100 * np.asarray(res, dtype=float), "o", ms=3.5, alpha=0.85, color=palette[i % 4],
                label=label)
    ax.axhline(0, color="#333333", lw=0.8)
    if band:
        ax.axhspan(-100 * band, 100 * band, color="#dddddd", zorder=0)
    if logx:
        ax.set_xscale("log")
        log_ticks(ax.xaxis, x)
    ax.set(xlabel=xlabel, ylabel="measured / predicted − 1 (%)")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)


def effective_c_curves(ax, k_grid, series: Mapping[str, np.ndarray], *, constants: Mapping[str, float],
                       title: str = "") -> None:
    """The JL constant C = dε²/ln k implied by a law along k, with horizontal lines for quoted constants."""
    for i, (label, values) in enumerate(series.items()):
        ax.plot(k_grid, values, lw=1.6, label=label)
    for label, value in constants.items():
        ax.axhline(value, color="#777777", lw=0.8, ls=":")
        ax.annotate(label, xy=(1.0, value), xycoords=("axes fraction", "data"), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=8, color="#555555")
    ax.set_xscale("log")
    ax.set(xlabel="number of vectors k", ylabel="implied C = d ε² / ln k")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")


def floor_ratio_panel(ax, ratio_k_over_d, ratio, *, member=None, reference: tuple | None = None,
                      reference_label: str = "paper's released cells", random: tuple | None = None,
                      random_label: str = "one random draw", title: str = "") -> None:
    """ε* divided by the best proven coherence floor, against k/d (1 = provably optimal).

    ``reference`` and ``random`` are optional ``(k/d, ratio)`` pairs drawn as hollow circles and grey
    crosses (the paper's packings; the random-draw prediction at the same cells).
    """
    x = np.asarray(ratio_k_over_d, dtype=float)
    y = np.asarray(ratio, dtype=float)
    if reference is not None:
        ax.plot(reference[0], reference[1], "o", ms=4, mfc="none", mec=COLORS["paper"], alpha=0.6,
                label=reference_label)
    if random is not None:
        ax.plot(random[0], random[1], "x", ms=5, color=COLORS["random"], label=random_label)
    if member is None:
        ax.plot(x, y, "o", ms=5, color=COLORS["measured"], label="our packings")
    else:
        member = np.asarray(member, dtype=float)
        for m, color in family_colors(member).items():
            sel = member == m
            ax.plot(x[sel], y[sel], "o", ms=5, color=color, label=f"ours, d = {m:g}")
    ax.axhline(1.0, color="#333333", lw=0.9)
    ax.annotate("best proven floor: no packing can go below", xy=(0.99, 1.0), xycoords=("axes fraction", "data"),
                xytext=(0, 4), textcoords="offset points", fontsize=8, color="#333333", ha="right")
    ax.set_xscale("log")
    # Plain labels at 1-2-5 steps only: matplotlib would also label minor ticks on a span of less
    # than a decade, and those labels collide.
    ax.xaxis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(mticker.NullFormatter())
    ax.set(xlabel="k / d", ylabel="ε* / coherence floor")
    top = np.nanmax(np.concatenate([y[np.isfinite(y)]] + [np.asarray(r[1], dtype=float) for r in (reference, random)
                                                          if r is not None]))
    ax.set_ylim(0.8, top * 1.08)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))


OBJECTIVE_COLORS = [COLORS["measured"], COLORS["fit"], COLORS["bound"], "#e7298a", "#e6ab02"]
OBJECTIVE_MARKERS = ["o", "s", "^", "D", "v"]


def objective_panels(left, right, rows: Sequence[Mapping], *, baseline: str = "paper",
                     labels: Mapping[str, str] | None = None, reference_label: str = "paper's released packings",
                     title_left: str = "", title_right: str = "") -> bool:
    """Packing objectives side by side, from :func:`repcap.packing.grid.compare_objectives` rows.

    ``left``: ε* / coherence floor against k/d, one marker and colour per objective (cells with k ≤ d
    have no floor and are left out), released reference values as hollow circles. ``right``: each
    other objective's ε* divided by the baseline's at the same cell, against k/d, with the line at 1
    (below it the objective beats the baseline); reference values divided by the baseline's ε* as
    hollow circles. Markers of different objectives are nudged apart along x so that equal k/d stay
    readable. Returns whether any reference value was drawn.
    """
    names = list(rows[0]["eps"])
    labels = {n: n for n in names} | dict(labels or {})
    kd = np.array([r["k"] / r["d"] for r in rows], dtype=float)
    nudge = {n: 1.0 + 0.035 * (i - (len(names) - 1) / 2) for i, n in enumerate(names)}
    style = {n: {"color": OBJECTIVE_COLORS[i % len(OBJECTIVE_COLORS)],
                 "marker": OBJECTIVE_MARKERS[i % len(OBJECTIVE_MARKERS)]} for i, n in enumerate(names)}
    ref = np.array([r["reference"] for r in rows], dtype=float)
    has_ref = np.isfinite(ref)
    for n in names:
        y = np.array([r["vs_floor"][n] for r in rows], dtype=float)
        ok = np.isfinite(y)
        left.plot(kd[ok] * nudge[n], y[ok], ls="none", ms=5.5, alpha=0.9, label=labels[n], **style[n])
    ref_floor = np.array([r["reference_vs_floor"] for r in rows], dtype=float)
    drew = bool(np.isfinite(ref_floor).any())
    if drew:
        ok = np.isfinite(ref_floor)
        left.plot(kd[ok], ref_floor[ok], "o", ms=9, mfc="none", mec=COLORS["paper"], mew=1.1, label=reference_label)
    left.axhline(1.0, color="#333333", lw=0.9)
    left.annotate("best proven floor", xy=(0.99, 1.0), xycoords=("axes fraction", "data"), xytext=(0, 4),
                  textcoords="offset points", fontsize=8, color="#333333", ha="right")
    left.set_xscale("log")
    _ratio_ticks(left.xaxis, kd)
    left.set(xlabel="k / d", ylabel="ε* / coherence floor")
    finite = [r["vs_floor"][n] for r in rows for n in names if np.isfinite(r["vs_floor"][n])]
    if finite:
        left.set_ylim(min(0.9, min(finite) * 0.95), max(finite + [x for x in ref_floor if np.isfinite(x)]) * 1.08)
    # legends under the panels: in them, the points of any grid may fall where a legend sits
    below = {"fontsize": 7.5, "loc": "upper center", "bbox_to_anchor": (0.5, -0.15), "ncol": 2}
    left.legend(**below)
    if title_left:
        left.set_title(title_left)

    ratios = []
    for n in names:
        if n == baseline:
            continue
        y = np.array([r["vs_baseline"][n] for r in rows], dtype=float)
        ratios.append(y[np.isfinite(y)])
        right.plot(kd * nudge[n], y, ls="none", ms=5.5, alpha=0.9, label=labels[n], **style[n])
    if has_ref.any():
        base = np.array([r["eps"][baseline] for r in rows], dtype=float)
        right.plot(kd[has_ref], ref[has_ref] / base[has_ref], "o", ms=9, mfc="none", mec=COLORS["paper"], mew=1.1,
                   label=reference_label)
        ratios.append(ref[has_ref] / base[has_ref])
        drew = True
    # named in the legend: a label on the line sat on the points that come close to 1
    right.axhline(1.0, color=style[baseline]["color"], lw=1.1, label=f"{labels[baseline]} (= 1)")
    values = np.concatenate(ratios) if ratios else np.array([1.0])
    values = values[values > 0]
    if values.size and values.max() / values.min() > 3:
        # k ≤ d cells can differ by orders of magnitude (one objective reaches ~0, another stalls).
        right.set_yscale("log")
        from matplotlib.ticker import FuncFormatter

        right.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        right.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if round(v / 10 ** np.floor(np.log10(v))) in (2, 5) else ""))
    right.set_xscale("log")
    _ratio_ticks(right.xaxis, kd)
    right.set(xlabel="k / d", ylabel=f"ε* / ε* of {labels[baseline]}")
    right.legend(**below)
    if title_right:
        right.set_title(title_right)
    return drew


def _ratio_ticks(axis, values) -> None:
    """Ticks for a log axis of ratios such as k/d: the data's own values (3 significant digits) when few."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

    distinct = np.unique(np.round(np.asarray(values, dtype=float), 6))
    if distinct.size <= 8:
        axis.set_major_locator(FixedLocator(distinct))
    else:
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    axis.set_minor_formatter(NullFormatter())


def cost_panel(ax, work, seconds, *, fit_line: tuple[np.ndarray, np.ndarray] | None = None,
               marks: Mapping[str, tuple[float, float]] | None = None, title: str = "") -> None:
    """Measured seconds per cell against the work k²·d·steps (log–log), with a fitted cost line."""
    ax.plot(work, seconds, "o", color=COLORS["measured"], label="measured cells")
    if fit_line is not None:
        ax.plot(fit_line[0], fit_line[1], "-", color=COLORS["fit"], lw=1.2, label="cost model")
    for label, (w, s) in (marks or {}).items():
        ax.plot([w], [s], "s", color=COLORS["paper"])
        ax.annotate(label, xy=(w, s), xytext=(-6, 6), textcoords="offset points", fontsize=8, ha="right")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel="work k² · d · steps", ylabel="seconds")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")

