"""Figures of the capacity chapters (4 and 6): k_max(d, ε) by the laws, the feasibility band, models.

All counts arrive as log10 values (capacities reach 10^200 at the top of the band), and every helper
draws on an axes it is given, so a chapter can combine panels. Nothing here computes: the curves come
from :mod:`repcap.laws`, :mod:`repcap.geometry.feasibility` and :mod:`repcap.studies.capacity_table`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from repcap.book.plots import COLORS, CYCLE
from repcap.book.plots.packing import family_colors

__all__ = ["log_count_curves", "band_panel", "capacity_dots", "eps_sqrt_d_panel", "cosine_histograms",
           "sensitivity_panel"]

# Styles of the band's members; rigorous bounds solid, the asymptotic KL rate dotted, laws dashed.
BAND_STYLE = {
    "greedy": dict(color=COLORS["bound"], lw=1.6, ls="-", label="existence: greedy / Gilbert–Varshamov"),
    "random_sign": dict(color=COLORS["bound"], lw=1.0, ls="--", label="existence: random signs, exp(dε²/4)"),
    "upper": dict(color="#444444", lw=1.6, ls="-", label="impossible above: best rigorous upper bound"),
    "kl": dict(color="#999999", lw=1.2, ls=":", label="Kabatiansky–Levenshtein rate (asymptotic only)"),
    "eq6": dict(color=COLORS["fit"], lw=1.8, ls="--", label="Eq. 6, k = d·exp(dε²/C)"),
    "eq7": dict(color=COLORS["paper"], lw=2.0, ls="-", label="Eq. 7 (the paper's capacity)"),
}


def _marks(ax, marks: Sequence[tuple]) -> None:
    """Labelled dots at ``(x, y, label)``, or ``(x, y, label, (tx, ty))`` with the label at
    ``(tx, ty)`` (data coordinates) and an arrow to the dot, where curves crowd the dot."""
    for mx, my, label, *at in marks:
        ax.plot([mx], [my], "o", color="#222222", ms=4.5, zorder=4)
        if at:
            ax.annotate(label, xy=(mx, my), xytext=at[0], fontsize=8, va="center",
                        arrowprops=dict(arrowstyle="-", color="#555555", lw=0.7, shrinkB=3))
        else:
            ax.annotate(label, xy=(mx, my), xytext=(5, -3), textcoords="offset points", fontsize=8,
                        va="top")


def log_count_curves(ax, x, curves: Mapping[str, np.ndarray], *, styles: Mapping[str, dict] | None = None,
                     hlines: Mapping[str, float] | None = None, marks: Sequence[tuple] = (),
                     xlabel: str = "accepted deviation ε", ylabel: str = "log10 of the number of directions k",
                     title: str = "", logx: bool = False) -> None:
    """Several log10-count curves against x, with labelled horizontal lines and marked points.

    ``marks`` are ``(x, log10_y, label)`` triples, drawn as dots with their label.
    """
    styles = styles or {}
    for i, (label, y) in enumerate(curves.items()):
        style = {"lw": 1.6, "color": CYCLE[i % len(CYCLE)], **styles.get(label, {})}
        ax.plot(x, y, label=label, **style)
    for label, value in (hlines or {}).items():
        ax.axhline(value, color="#777777", lw=0.9, ls=":")
        ax.annotate(label, xy=(0.01, value), xycoords=("axes fraction", "data"), xytext=(0, 3),
                    textcoords="offset points", fontsize=8, color="#555555")
    _marks(ax, marks)
    if logx:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")


def band_panel(ax, curves: Mapping[str, np.ndarray], *, models: Sequence[Mapping] = (),
               exit_eps: float | None = None, d: float | None = None, title: str = "",
               ylim: tuple[float, float] | None = None, label_models: bool = True,
               legend: bool = True) -> None:
    """The feasibility band at one d: shaded between existence and impossibility, laws on top.

    ``curves`` is :func:`repcap.geometry.feasibility.band_curves` output. ``models`` are rows with ``eps``,
    ``log10_eq7`` and ``name`` (drawn at their Eq. 7 capacity; with more than three, only the two
    extremes of ε are named). ``exit_eps`` marks where Eq. 7 leaves the band. ``legend=False``
    leaves the legend to the caller (one legend for several panels).
    """
    eps = np.asarray(curves["eps"], dtype=float)
    lower = np.maximum(curves["greedy"], curves["random_sign"])
    upper = np.asarray(curves["upper"], dtype=float)
    ax.fill_between(eps, lower, np.where(np.isfinite(upper), upper, np.nan), color=COLORS["bound"],
                    alpha=0.12, lw=0, label="where N(d, ε) must lie (rigorous band)")
    for key in ("upper", "greedy", "random_sign", "kl", "eq6", "eq7"):
        if key in curves:
            ax.plot(eps, curves[key], **BAND_STYLE[key])
    if exit_eps is not None and np.isfinite(exit_eps):
        # the line marks it, the title says it: inside the panel a note crossed the curves
        ax.axvline(exit_eps, color=COLORS["eps"], lw=0.9, ls="--",
                   label="where Eq. 7 falls below existence")
        note = f"Eq. 7 < existence for ε > {exit_eps:.4f}"
        if d:
            note += f" (ε√d > {exit_eps * np.sqrt(d):.2f})"
        title = f"{title}\n{note}" if title else note
    models = list(models)
    # With many models at one d the labels would collide: name only the two extremes of ε.
    named = models if len(models) <= 3 else [min(models, key=lambda r: r["eps"]), max(models, key=lambda r: r["eps"])]
    for i, row in enumerate(models):
        ax.plot([row["eps"]], [row["log10_eq7"]], "o", color="#222222", ms=4, zorder=5,
                label="Class 2 models of Table 1 at their Eq. 7 capacity" if i == 0 else None)
        if label_models and any(row is r for r in named):
            ax.annotate(row["name"], xy=(row["eps"], row["log10_eq7"]), xytext=(4, -4),
                        textcoords="offset points", fontsize=7.5, va="top")
    ax.set(xlabel="tolerance ε (max |cos| allowed)", ylabel="log10 of the number of unit vectors N(d, ε)")
    if ylim:
        ax.set_ylim(*ylim)
    if title:
        ax.set_title(title)
    if legend:  # below the x label: inside, it covered the steep impossibility curve at small ε
        ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, 0.0), borderaxespad=4.4,
                  ncol=2)


def capacity_dots(ax, names: Sequence[str], series: Mapping[str, np.ndarray], *,
                  styles: Mapping[str, dict] | None = None, title: str = "",
                  xlabel: str = "log10 capacity k_max", xlim: tuple[float, float] | None = None) -> None:
    """A horizontal dot plot: one row per model, one marker per way of computing its capacity.

    With ``xlim``, values beyond it are drawn at the edge as arrow heads (▶ / ◀) and counted in a note,
    so one absurd extrapolation cannot squash the rest of the figure.
    """
    y = np.arange(len(names))
    styles = styles or {}
    markers = ["o", "s", "D", "^", "v"]
    off_scale = 0
    for i, (label, values) in enumerate(series.items()):
        style = {"marker": markers[i % len(markers)], "ls": "none", "ms": 5, "color": CYCLE[i % len(CYCLE)],
                 **styles.get(label, {})}
        vals = np.asarray(values, dtype=float)
        if xlim is not None:
            hi, lo = vals > xlim[1], vals < xlim[0]
            off_scale += int(hi.sum() + lo.sum())
            edge_style = {k: v for k, v in style.items() if k not in ("marker", "ls")}
            ax.plot(np.full(hi.sum(), xlim[1]), y[hi], ls="none", marker=">", **edge_style)
            ax.plot(np.full(lo.sum(), xlim[0]), y[lo], ls="none", marker="<", **edge_style)
            vals = np.where(hi | lo, np.nan, vals)
        ax.plot(vals, y, label=label, **style)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    if xlim is not None:
        ax.set_xlim(*xlim)
        if off_scale:
            xlabel += f"   ({off_scale} value(s) off scale, drawn at the edge as ▶ or ◀)"
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    # under the x label (the pad is in font sizes): above the axes it ran into the title
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0.0), borderaxespad=4.4, ncol=2)


def eps_sqrt_d_panel(ax, d, values, *, groups: Sequence[str] | None = None,
                     hlines: Mapping[str, float] | None = None, labels: Sequence[str] | None = None,
                     curves: Mapping[str, tuple] | None = None, ylabel: str = "ε √d_model",
                     title: str = "") -> None:
    """A per-model quantity (ε√d, or ε itself) against d_model on a log2 axis.

    Models are grouped by colour (``groups``) and optionally named (``labels``, "" for none);
    ``hlines`` are labelled reference levels, ``curves`` labelled reference curves ``(x, y)``.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    d = np.asarray(d, dtype=float)
    values = np.asarray(values, dtype=float)
    groups = list(groups) if groups is not None else ["models"] * d.size
    names = list(dict.fromkeys(groups))
    for i, g in enumerate(names):
        sel = np.array([x == g for x in groups])
        ax.plot(d[sel], values[sel], "o", ms=5, color=CYCLE[i % len(CYCLE)], label=g)
    if labels is not None:
        for x, v, text in zip(d, values, labels):
            if text:  # the widest model's name goes to its left, inside the axes
                last = x >= np.nanmax(d)
                ax.annotate(text, xy=(x, v), xytext=(-4 if last else 4, 2), textcoords="offset points",
                            fontsize=7, ha="right" if last else "left")
    for label, (cx, cy) in (curves or {}).items():
        ax.plot(cx, cy, ":", color="#777777", lw=1.2, label=label)
    for label, value in (hlines or {}).items():
        ax.axhline(value, color="#777777", lw=0.9, ls=":")
        ax.annotate(label, xy=(0.99, value), xycoords=("axes fraction", "data"), xytext=(0, 3),
                    textcoords="offset points", fontsize=8, color="#555555", ha="right")
    ax.set_xscale("log", base=2)
    lo, hi = np.log2(np.nanmin(d)), np.log2(np.nanmax(d))
    ax.xaxis.set_major_locator(FixedLocator(2.0 ** np.arange(np.floor(lo), np.ceil(hi) + 1)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set(xlabel="d_model", ylabel=ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")


def cosine_histograms(ax, series: Mapping[str, tuple[np.ndarray, np.ndarray]], *, xlabel: str,
                      title: str = "", xlim: tuple[float, float] = (-1, 1)) -> None:
    """Step histograms (percent per bin) from ``{label: (counts, edges)}``."""
    for i, (label, (counts, edges)) in enumerate(series.items()):
        counts = np.asarray(counts, dtype=float)
        ax.stairs(100 * counts / max(counts.sum(), 1.0), edges, lw=1.4, color=CYCLE[i % len(CYCLE)], label=label)
    ax.set(xlabel=xlabel, ylabel="% of tokens (or pairs) per bin", xlim=xlim)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)


def _clear_of_curves(x, rows: np.ndarray, marks: Sequence[tuple]) -> list[tuple]:
    """Label positions for ``marks`` on a fan of rising curves ``rows`` (over ``x``) where no
    curve runs: a mark near the right end gets its label past the curves' end, at its own height
    (a level leader stays between the curves it lies between); any other gets its label straight
    above it, halfway between the highest curve there and the top of the data."""
    x = np.asarray(x, dtype=float)
    span, top = x[-1] - x[0], float(np.nanmax(rows))
    placed = []
    for mx, my, label, *at in marks:
        if at:
            placed.append((mx, my, label, *at))
        elif mx >= x[-1] - 0.25 * span:
            placed.append((mx, my, label, (x[-1] + 0.02 * span, my)))
        else:
            highest = max(float(np.interp(mx, x, row)) for row in rows)
            placed.append((mx, my, label, (mx, (highest + top) / 2)))
    return placed


def sensitivity_panel(ax, eps_grid, d_values, log10_grid, *, marks: Sequence[tuple] = (),
                      title: str = "") -> None:
    """log10 k_max against ε, one curve per d (rows of ``log10_grid``), with marked examples."""
    colors = family_colors(d_values)
    rows = np.asarray(log10_grid, dtype=float)
    for d, row in zip(d_values, rows):
        ax.plot(eps_grid, row, color=colors[float(d)], lw=1.6, label=f"d = {d:g}")
    _marks(ax, _clear_of_curves(eps_grid, rows, marks))
    # room past the curves' end for the labels placed there
    ax.set_xlim(eps_grid[0] - 0.04 * (eps_grid[-1] - eps_grid[0]),
                eps_grid[-1] + 0.42 * (eps_grid[-1] - eps_grid[0]))
    ax.set(xlabel="accepted deviation ε", ylabel="log10 capacity k_max (Eq. 7)")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
