"""Figures of chapter 7 (the packing frontier). They draw given numbers; they compute nothing.

Lay the panels out with :mod:`repcap.book.plots.layout` (``figure``, ``finish``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from repcap.book.plots.layout import figure, finish

__all__ = ["frontier_panel", "frontier_figure"]


def frontier_panel(ax, d: int, random_curve: tuple[Sequence[float], Sequence[float]], *,
                   released: tuple[Sequence[float], Sequence[float]] | None = None,
                   ours: tuple[Sequence[float], Sequence[float]] | None = None,
                   steps: Sequence[Mapping] = (), k_max: float | None = None) -> None:
    """ε*(k) at one d: Eq. 5 curve, released and own optimised points, construction staircase.

    ``steps`` are staircase rows {count, coherence, family, coherence_is}: a horizontal segment at μ
    from the previous step's count to this step's count (ε*(k) ≤ μ for every k up to the count);
    a step whose μ is a proven bound rather than the set's exact coherence is labelled "≤".
    """
    k_r, e_r = random_curve
    ax.plot(k_r, e_r, color="#999999", lw=1.5, label="random packing (Eq. 5)")
    if released is not None and len(released[0]):
        ax.plot(released[0], released[1], "s", color="#d95f02", ms=6, label="paper's optimised (released)")
    if ours is not None and len(ours[0]):
        ax.plot(ours[0], ours[1], "o", color="#1b9e77", ms=6, label="ours, Adam from random start")
    left = 1.0
    k_max = k_max or max(k_r)
    for i, s in enumerate(steps):
        right = min(s["count"], k_max * 1.5)
        if s["coherence"] > 0:
            ax.hlines(s["coherence"], left, right, color="#7570b3", lw=2.2,
                      label="explicit sets (staircase)" if i == len(steps) - 1 else None)
            ax.plot([right], [s["coherence"]], "|", color="#7570b3", ms=10)
            bound = " ≤" if s.get("coherence_is") == "bound" else ""
            ax.annotate(f"{s['family']} ({s['count']:,}){bound}", (right, s["coherence"]), fontsize=7,
                        textcoords="offset points", xytext=(-4, 4), ha="right", color="#7570b3")
        left = s["count"]
    ax.set_xscale("log")
    ax.set_xlabel("k (number of vectors)")
    ax.set_ylabel("ε* = max |cos|")
    ax.set_title(f"d = {d}")
    ax.set_xlim(min(np.min(k_r), 100), k_max * 1.6)
    ax.set_ylim(0, None)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")


def frontier_figure(panels: Sequence[Mapping], *, source: str = ""):
    """One :func:`frontier_panel` per entry of ``panels`` (its keyword arguments, as
    :func:`repcap.studies.frontier.frontier_panels` returns them), side by side."""
    fig, axes = figure(len(panels), height=4.6)
    for ax, panel in zip(axes, panels):
        frontier_panel(ax, **panel)
    finish(fig, source=source)
    return fig
