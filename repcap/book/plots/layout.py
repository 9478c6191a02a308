"""How every figure of the book is laid out: a row of axes, the finish, and the provenance line under it.

Every plot module and chapter builds its figures with these, so all figures share one width rule
(7.5 in for one panel, 5.6 in per panel for several), one finish (suptitle, tight layout) and one
provenance line (small grey text under the figure saying which data and profile produced it).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["figure", "finish", "source_line", "log_ticks", "legend_below", "place_clear"]


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


def log_ticks(axis, values, subs=(1.0, 2.0, 5.0)) -> None:
    """Readable ticks on a log axis: the data's own values when few, else ``subs`` steps (1-2-5,
    or ``(1.0,)`` for decades only on a wide axis); plain numbers
    (``1,000``, not ``10^3``) and no minor tick labels, which collide (``3×10^1`` on ``4×10^1``)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

    distinct = np.unique(np.asarray(values, dtype=float))
    if distinct.size <= 8:
        axis.set_major_locator(FixedLocator(distinct))
    else:
        axis.set_major_locator(LogLocator(subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def legend_below(fig, axes, *, ncol: int = 4, fontsize: float = 8) -> None:
    """One legend for all of ``axes`` under them (each label once, in first-drawn order), the axes
    laid out above it, so no legend covers a curve. Its text is at least
    :func:`repcap.book.plots.min_font_pt`, the size it will be drawn at."""
    from repcap.book.plots import min_font_pt

    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    size = max(fontsize, min_font_pt(fig.get_size_inches()[0]))
    legend = fig.legend(list(entries.values()), list(entries), loc="lower center", ncol=ncol,
                        fontsize=size, bbox_to_anchor=(0.5, 0.0))
    fig.canvas.draw()
    height = legend.get_window_extent().height / fig.bbox.height
    fig.tight_layout(rect=(0, height + 0.01, 1, 1))


_MARKER_PX = 3.0  # px: half a 6 pt marker at the book's smallest display dpi


def place_clear(fig, placements) -> None:
    """Move each annotation to the first of its candidate spots that hides no data and touches no
    other label; keep its first candidate when none is clear.

    ``placements`` is a list of ``(annotation, candidates)``, each candidate a dict of
    ``Annotation`` settings (``xy``, ``xytext``, ``ha``, ``va``). A spot is clear when the label's
    box (at the size it is drawn, so call this after the fonts and layout are final) crosses no
    line or point of its axes (:func:`legibility.covers_data`) and overlaps no text, tick label,
    legend or label placed before it. Text below the book's minimum size is raised first
    (:func:`repcap.book.plots.legible`), so the boxes measured are the ones drawn.
    """
    from repcap.book.plots import legible
    from repcap.book.plots.legibility import covers_data, data_artists, overlap

    legible(fig)  # the labels' final size: the draw hook would raise small text after placing
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    moving = {id(a) for a, _ in placements}
    taken = [t.get_window_extent(renderer) for t in fig.findobj(_is_text)
             if id(t) not in moving and t.get_visible() and t.get_text().strip()]
    taken += [leg.get_window_extent(renderer) for leg in fig.legends]
    taken += [ax.get_legend().get_window_extent(renderer) for ax in fig.axes if ax.get_legend()]
    for text, candidates in placements:
        for spot in [*candidates, candidates[0]]:
            text.xy = spot["xy"]
            text.xyann = spot["xytext"]
            text.set_ha(spot["ha"])
            text.set_va(spot["va"])
            box = text.get_window_extent(renderer)
            near = box.padded(_MARKER_PX)  # a marker's centre just outside still shows under it
            inside = text.axes.get_window_extent(renderer)
            if (box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0
                    and box.y1 <= inside.y1
                    and not any(overlap(box, b) for b in taken)
                    and not any(covers_data(near, a) for a in data_artists(text.axes))):
                break
        taken.append(text.get_window_extent(renderer))


def _is_text(artist) -> bool:
    from matplotlib.text import Text

    return isinstance(artist, Text)
