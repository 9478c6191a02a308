"""Figures of chapter 8: per-layer ε of hidden states beside the embedding ε, and Eq. 7's capacity.

Draws only what :mod:`repcap.studies.activations` computed; nothing here computes.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.lines import Line2D

from repcap.book.plots import CYCLE
from repcap.book.plots import layout
from repcap.laws.classes import CLASS1_ABOVE, CLASS2_BELOW

__all__ = ["layer_curves", "capacity_curves", "figure"]


def _depth(study) -> list[float]:
    last = max(study.n_layers, 1)
    return [r.layer / last for r in study.rows]


#: The line style of each quantity in the left panel (colour says the model).
_STYLES = {"ε per layer (band: its interval over documents)": dict(ls="-", marker="o", ms=3),
           "ε, mean removed": dict(ls=":"),
           "embedding ε at the same positions": dict(ls="--", lw=1),
           "embedding ε over the vocabulary (another frame)": dict(ls="-.", lw=0.7)}


def layer_curves(ax, studies: Sequence) -> None:
    """ε per layer (solid) with its bootstrap interval over documents (band), mean-removed ε
    (dotted), the embedding's ε at the same positions (dashed: the layers' frame) and over the
    vocabulary (thin dash-dot: the paper's frame, a different sample), vs relative depth. The
    legend names the line styles; the colours are the models of :func:`capacity_curves`'s legend."""
    ep, ec, same, vocab = _STYLES.values()
    for color, s in zip(CYCLE, studies):
        x = _depth(s)
        ax.plot(x, [r.eps for r in s.rows], color=color, **ep)
        lo, hi = zip(*(r.eps_interval for r in s.rows))
        ax.fill_between(x, lo, hi, color=color, alpha=0.25, lw=0)
        ax.plot(x, [r.eps_centred for r in s.rows], color=color, **ec)
        ax.axhline(s.embedding_eps_at_positions, color=color, **same)
        ax.axhline(s.embedding_eps, color=color, **vocab)
    ax.axhspan(CLASS2_BELOW, CLASS1_ABOVE, color="0.9", zorder=0)  # the gap between the classes
    ax.set_xlabel("relative depth (0 = embedding output, 1 = last block)")
    ax.set_ylabel("ε = µ + 2σ over pairs of positions")
    ax.legend([Line2D([], [], color="#333333", **st) for st in _STYLES.values()], list(_STYLES),
              fontsize=7, ncol=2, loc="lower left", bbox_to_anchor=(0.0, 1.01), frameon=False)


def capacity_curves(ax, studies: Sequence) -> None:
    """log10 of Eq. 7's capacity at each layer's (d, ε); its legend names the models' colours."""
    for color, s in zip(CYCLE, studies):
        ax.plot(_depth(s), [r.log10_capacity_eq7 for r in s.rows], "-o", ms=3, color=color,
                label=s.model)
    ax.set_xlabel("relative depth")
    ax.set_ylabel("log10 k_max by Eq. 7 at the layer's ε")
    # right of the panel: inside it sits on some model's curve, above it meets the left legend
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def figure(studies: Sequence):
    """Both panels side by side."""
    fig, (a, b) = layout.figure(2, width=12, height=4.8)
    layer_curves(a, studies)
    capacity_curves(b, studies)
    layout.finish(fig)
    return fig
