"""Figures of chapter 7 (the packing frontier). They draw given numbers; they compute nothing.

Lay the panels out with :mod:`repcap.book.plots.layout` (``figure``, ``finish``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from repcap.book.plots import legible
from repcap.book.plots.layout import figure, legend_below, log_ticks, place_clear, source_line

__all__ = ["frontier_panel", "frontier_figure", "released_grid_figure"]


def frontier_panel(ax, d: int, random_curve: tuple[Sequence[float], Sequence[float]], *,
                   released: tuple[Sequence[float], Sequence[float]] | None = None,
                   ours: tuple[Sequence[float], Sequence[float]] | None = None,
                   steps: Sequence[Mapping] = (), k_max: float | None = None,
                   legend: bool = True, ours_label: str = "ours, Adam from random start") -> list:
    """ε*(k) at one d: Eq. 5 curve, released and own optimised points, construction staircase.

    ``steps`` are staircase rows {count, coherence, family, coherence_is}: a horizontal segment at μ
    from the previous step's count to this step's count (ε*(k) ≤ μ for every k up to the count);
    a step whose μ is a proven bound rather than the set's exact coherence is labelled "≤".
    Returns the step labels with their candidate spots (above or below either end of the step) for
    :func:`repcap.book.plots.layout.place_clear`; ``legend=False`` leaves the legend to the caller.
    """
    k_r, e_r = random_curve
    ax.plot(k_r, e_r, color="#999999", lw=1.5, label="random packing (Eq. 5)")
    if released is not None and len(released[0]):
        ax.plot(released[0], released[1], "s", color="#d95f02", ms=6, label="paper's optimised (released)")
    if ours is not None and len(ours[0]):
        ax.plot(ours[0], ours[1], "o", color="#1b9e77", ms=6, label=ours_label)
    left = 1.0
    k_max = k_max or max(k_r)
    x_lo = min(np.min(k_r), 100) / 1.25  # a margin: the first x tick clear of the y axis's "0.0"
    labels = []
    for i, s in enumerate(steps):
        right = min(s["count"], k_max * 1.5)
        if s["coherence"] > 0:
            ax.hlines(s["coherence"], left, right, color="#7570b3", lw=2.2,
                      label="explicit sets (staircase)" if i == len(steps) - 1 else None)
            ax.plot([right], [s["coherence"]], "|", color="#7570b3", ms=10)
            bound = " ≤" if s.get("coherence_is") == "bound" else ""
            mu, start = s["coherence"], max(left, x_lo)
            ends = ((right, -4, "right"), (start, 4, "left"), (np.sqrt(start * right), 0, "center"))
            spots = [{"xy": (x, mu), "xytext": (dx, dy), "ha": ha, "va": va}
                     for dy, va in ((4, "bottom"), (-4, "top"), (16, "bottom"), (-16, "top"))
                     for x, dx, ha in ends]
            text = ax.annotate(f"{s['family']} ({s['count']:,}){bound}", spots[0]["xy"],
                               fontsize=7, textcoords="offset points", xytext=spots[0]["xytext"],
                               ha="right", va="bottom", color="#7570b3")
            labels.append((text, spots))
        left = s["count"]
    ax.set_xscale("log")
    ax.set_xlabel("k (number of vectors)")
    ax.set_ylabel("ε* = max |cos|")
    ax.set_title(f"d = {d}")
    ax.set_xlim(x_lo, k_max * 1.6)
    # 1-2-5 labels fit a panel up to about two decades wide; wider, decades only
    log_ticks(ax.xaxis, k_r, subs=(1.0, 2.0, 5.0) if k_max * 1.6 / x_lo <= 200 else (1.0,))
    ax.set_ylim(0, None)
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize=7, loc="upper left")
    return labels


def frontier_figure(panels: Sequence[Mapping], *, source: str = "",
                    ours_label: str = "ours, Adam from random start"):
    """One :func:`frontier_panel` per entry of ``panels`` (its keyword arguments, as
    :func:`repcap.studies.frontier.frontier_panels` returns them), side by side, one legend under
    them, and each step label moved to a spot that hides no point, curve or other label."""
    fig, axes = figure(len(panels), height=4.9)
    labels = [lab for ax, panel in zip(axes, panels)
              for lab in frontier_panel(ax, **panel, legend=False, ours_label=ours_label)]
    legible(fig)  # the final text sizes, before the legend's room is measured
    legend_below(fig, axes)
    place_clear(fig, labels)
    source_line(fig, source)
    return fig


#: How each "best by" of :func:`repcap.studies.frontier.released_frontier` is drawn: label, marker,
#: colour (the frontier figure's colours for the same recipes).
_BEST_BY_STYLE = {
    "basis": ("orthonormal basis (k ≤ d, ε* = 0)", "o", "#666666"),
    "explicit": ("explicit line set", "s", "#7570b3"),
    "ours": ("ours (best recipe)", "^", "#1b9e77"),
    "released": ("open: the release is best", "x", "#d95f02"),
}


def released_grid_figure(cells: Sequence[Mapping], *, source: str = ""):
    """The paper's released optimised grid, one marker per cell (d across, k up), by who reaches the
    smallest max |cos| there (``best_by`` of the cells of
    :func:`repcap.studies.frontier.released_frontier`), with the count of each kind in the legend."""
    fig, (ax,) = figure(1, height=4.6)
    for by, (label, marker, colour) in _BEST_BY_STYLE.items():
        pts = [(c["d"], c["k"]) for c in cells if c["best_by"] == by]
        if not pts:
            continue
        d, k = zip(*pts)
        ax.plot(d, k, marker, ls="none", color=colour, ms=6, mew=1.6 if marker == "x" else 1,
                label=f"{label}: {len(pts)}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ds = sorted({c["d"] for c in cells})
    ks = sorted({c["k"] for c in cells})
    # doublings from the smallest value: at most 8 ticks each way on the paper's grid
    log_ticks(ax.xaxis, [ds[0] * 2 ** i for i in range(12) if ds[0] * 2 ** i <= ds[-1]])
    log_ticks(ax.yaxis, [ks[0] * 2 ** i for i in range(12) if ks[0] * 2 ** i <= ks[-1]])
    ax.set_xlim(ds[0] / 1.3, ds[-1] * 1.3)
    ax.set_ylim(ks[0] / 1.3, ks[-1] * 1.3)
    ax.set_xlabel("d (dimension)")
    ax.set_ylabel("k (number of vectors)")
    ax.grid(alpha=0.3)
    legible(fig)
    legend_below(fig, [ax], ncol=2)
    source_line(fig, source)
    return fig
