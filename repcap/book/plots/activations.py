"""Figures of chapter 8: per-layer ε of hidden states beside the embedding ε, and Eq. 7's capacity.

Draws only what :mod:`repcap.studies.activations` computed; nothing here computes.
"""

from __future__ import annotations

from collections.abc import Sequence

from repcap.book.plots import CYCLE
from repcap.book.plots import layout
from repcap.laws.classes import CLASS1_ABOVE, CLASS2_BELOW

__all__ = ["layer_curves", "capacity_curves", "figure"]


def _depth(study) -> list[float]:
    last = max(study.n_layers, 1)
    return [r.layer / last for r in study.rows]


def layer_curves(ax, studies: Sequence) -> None:
    """ε per layer (solid), mean-removed ε (dotted), embedding ε (dashed line), vs relative depth."""
    for color, s in zip(CYCLE, studies):
        x = _depth(s)
        ax.plot(x, [r.eps for r in s.rows], "-o", ms=3, color=color, label=f"{s.model}: ε")
        ax.plot(x, [r.eps_centred for r in s.rows], ":", color=color,
                label=f"{s.model}: ε, mean removed")
        ax.axhline(s.embedding_eps, color=color, ls="--", lw=1,
                   label=f"{s.model}: embedding-matrix ε")
    ax.axhspan(CLASS2_BELOW, CLASS1_ABOVE, color="0.9", zorder=0)  # the gap between the classes
    ax.set_xlabel("relative depth (0 = embedding output, 1 = last block)")
    ax.set_ylabel("ε = µ + 2σ over pairs of positions")
    ax.legend(fontsize=7)


def capacity_curves(ax, studies: Sequence) -> None:
    """log10 of Eq. 7's capacity at each layer's (d, ε)."""
    for color, s in zip(CYCLE, studies):
        ax.plot(_depth(s), [r.log10_capacity_eq7 for r in s.rows], "-o", ms=3, color=color,
                label=s.model)
    ax.set_xlabel("relative depth")
    ax.set_ylabel("log10 k_max by Eq. 7 at the layer's ε")
    ax.legend(fontsize=7)


def figure(studies: Sequence):
    """Both panels side by side."""
    fig, (a, b) = layout.figure(2, width=12, height=4.5)
    layer_curves(a, studies)
    capacity_curves(b, studies)
    layout.finish(fig)
    return fig
