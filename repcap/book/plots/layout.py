"""How every figure of the book is laid out: a row of axes, the finish, and the provenance line under it.

Every plot module and chapter builds its figures with these, so all figures share one width rule
(7.5 in for one panel, 5.6 in per panel for several), one finish (suptitle, tight layout) and one
provenance line (small grey text under the figure saying which data and profile produced it).
"""

from __future__ import annotations

import matplotlib.pyplot as plt

__all__ = ["figure", "finish", "source_line"]


def figure(ncols: int = 1, *, width: float | None = None, height: float = 4.4, **kwargs):
    """A figure with ``ncols`` side-by-side axes in the book's proportions, and the list of axes.

    ``width`` defaults to 7.5 in for one panel and 5.6 in per panel for several; ``kwargs`` go to
    :func:`matplotlib.pyplot.subplots` (e.g. ``sharey=True``).
    """
    width = width or (7.5 if ncols == 1 else 5.6 * ncols)
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), squeeze=False, **kwargs)
    return fig, list(axes[0])


def source_line(fig, text: str, *, y: float = -0.01, wrap: bool = True) -> None:
    """The provenance line under ``fig`` (nothing when ``text`` is empty): 8 pt grey, left-aligned at
    ``x = 0.01`` and hanging from ``y`` in figure coordinates, wrapped to the figure's width."""
    if text:
        fig.text(0.01, y, text, fontsize=8, color="#555555", ha="left", va="top", wrap=wrap)


def finish(fig, source: str = "", title: str = "") -> None:
    """Suptitle (when ``title``), tight layout and the provenance line under the figure."""
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    source_line(fig, source)
