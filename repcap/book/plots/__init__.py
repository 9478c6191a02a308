"""Figure helpers for the book, one visual style.
Part of ``repcap.book``; imports nothing from repcap outside ``repcap.book.plots`` (it never computes).

Plots never compute: each helper takes results that a computing module returned and draws them.
Chapter-specific helpers live in sub-modules (``plots.embeddings``, ``plots.packing``,
``plots.superposition``); this module holds the shared style.
"""

from __future__ import annotations

import matplotlib as mpl

# One palette for the whole book: measured data in strong colours, references (random, paper) muted.
COLORS = {
    "measured": "#1f5fa8",
    "random": "#8c8c8c",
    "paper": "#d95f02",
    "fit": "#1b9e77",
    "bound": "#7570b3",
    "eps": "#c0392b",
    "class1": "#d95f02",
    "class2": "#1f5fa8",
    "between": "#999999",
}
CYCLE = ["#1f5fa8", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]


def use_style() -> None:
    """Apply the book's matplotlib style (readable at the site's width, crisp PNGs)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (7.5, 4.2),
            "figure.dpi": 140,  # the inline PNGs the book embeds
            "savefig.dpi": 160,
            "savefig.bbox": "tight",
            "font.size": 10.5,
            "axes.titlesize": 11.5,
            "axes.labelsize": 10.5,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
            "legend.frameon": False,
            "axes.prop_cycle": mpl.cycler(color=CYCLE),
        }
    )


def caption(ax, text: str) -> None:
    """A small provenance line under an axes: which data and profile produced the figure."""
    ax.annotate(text, xy=(0, 0), xycoords="axes fraction", xytext=(0, -34),
                textcoords="offset points", fontsize=8, color="#555555", ha="left", va="top")
