"""Figure helpers for the book, one visual style.

Plots never compute: each helper takes the findings (or arrays) a study returned and draws them.
From the layers below, the plot modules read constants only (the class thresholds, the paper's
constants, the worked example's (d, ε)), never a computation.

==========================  ==============================================================="""

from __future__ import annotations

import matplotlib as mpl

from repcap.book.plots.legibility import attach, display_dpi

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
            # every pyplot figure passes through legible() when drawn (see _legible_on_draw)
            "figure.hooks": ["repcap.book.plots:_legible_on_draw"],
        }
    )


#: Smallest text a reader should see at 100 % zoom, in CSS points (12 px: the rule's floor is 10 px).
MIN_TEXT_PT = 9.0


def min_font_pt(width_in: float) -> float:
    r"""Smallest font size (pt) that renders at :data:`MIN_TEXT_PT` for a figure ``width_in`` wide.

    The page shows a figure unscaled at its display dpi :math:`D` (:func:`legibility.display_dpi`),
    so text of :math:`F` pt measures :math:`F\cdot D/72` CSS px :math:`= F\cdot D/96` CSS pt;
    the minimum is :math:`F = 9\cdot 96/D`.
    """
    return MIN_TEXT_PT * 96.0 / display_dpi(width_in)


def legible(fig):
    """Raise every text of ``fig`` below :func:`min_font_pt` to it, and redo its layout; return fig.

    The book's style applies it to every pyplot figure when it is drawn, so no chapter shows text
    below 9 pt at the page's width whatever sizes its plot code chose."""
    from matplotlib.text import Text

    floor = min_font_pt(fig.get_size_inches()[0])
    changed = False
    for text in fig.findobj(Text):
        if text.get_text() and text.get_fontsize() < floor:
            text.set_fontsize(floor)
            changed = True
    if changed and fig.get_layout_engine() is not None:
        fig.get_layout_engine().execute(fig)
    return fig


def _legible_on_draw(fig) -> None:
    """``figure.hooks`` entry: make ``fig`` call :func:`legible` before each draw, and show it at
    its display dpi with its legibility report (:func:`legibility.attach`)."""
    attach(fig)
    draw = fig.draw

    def legible_draw(renderer):
        legible(fig)
        return draw(renderer)

    fig.draw = legible_draw
