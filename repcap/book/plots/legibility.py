"""Every figure the page shows is drawn at the size it is displayed, and says how legible it is.

The book's rule for a figure, read in a 1,400 px window: shown at ≥ 80 % of its natural width, no
text under 10 px on screen, nothing clipped, no label on top of another label, no label or legend
across the data it annotates. This module makes the first two hold by construction and measures all
of them, so that the browser test can check every figure of the site:

* :func:`display_dpi` chooses the dpi of the inline PNG so that its natural width is the width it is
  shown at (the text column, or the full width for a figure wider than :data:`WIDE_IN`): the page
  never scales a figure down, so a point of text is ``dpi/72`` CSS px;
* :func:`report` draws a figure once with a recording renderer and returns the smallest text it drew
  (pt, and px at the display dpi) and the problems it saw;
* :func:`attach` (called by the book style's ``figure.hooks`` entry) makes the inline backend save
  every figure at :func:`display_dpi` with that report in the PNG's ``tEXt`` chunk
  (:data:`PNG_KEY`, JSON), which :func:`read_png_report` reads back.
"""

from __future__ import annotations

import json
import struct
import zlib
from itertools import combinations

__all__ = ["COLUMN_PX", "FULL_WIDTH_PX", "WIDE_IN", "BOOK_DPI", "MIN_TEXT_PX", "PNG_KEY",
           "display_dpi", "report", "attach", "read_png_report", "overlap",
           "covers_data", "data_artists"]

#: Width (CSS px) of a chapter's output box in the text column, and of a full-width output, in a
#: 1,400 px window (sphinx-book-theme, measured in Chromium).
COLUMN_PX, FULL_WIDTH_PX = 784, 1066
#: A figure wider than this (inches, tight bounding box included) is shown full-width.
WIDE_IN = 8.6
#: The book's dpi: the most any figure is drawn at.
BOOK_DPI = 140.0
#: Smallest text (CSS px on screen) the rule allows.
MIN_TEXT_PX = 10.0
#: Key of the PNG ``tEXt`` chunk holding :func:`report`'s JSON.
PNG_KEY = "repcap:legibility"

_TOL = 2.0  # px: boxes that touch by less are not overlapping (text boxes include their descent)


def container_px(width_in: float) -> int:
    """The width (CSS px) a figure ``width_in`` wide is shown in: the column, or the full width."""
    return FULL_WIDTH_PX if width_in > WIDE_IN else COLUMN_PX


def display_dpi(width_in: float) -> float:
    r"""The dpi at which a figure ``width_in`` wide (as saved) fits its container exactly:
    :math:`\mathrm{dpi} = \min(140,\; c/W)` with :math:`c` = :func:`container_px`. Its PNG is then
    :math:`W\cdot\mathrm{dpi} \le c` px wide and shown unscaled, so text of :math:`F` pt measures
    :math:`F\cdot\mathrm{dpi}/72` px on screen."""
    return min(BOOK_DPI, (container_px(width_in) - 2) / width_in)


def _saved_bbox(fig, renderer):
    """The figure's saved canvas (display px at ``fig.dpi``): its tight bbox plus the save pad."""
    import matplotlib as mpl
    from matplotlib.transforms import Bbox

    pad = mpl.rcParams["savefig.pad_inches"] * fig.dpi
    tight = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)
    return Bbox([[tight.x0 - pad, tight.y0 - pad], [tight.x1 + pad, tight.y1 + pad]])


def saved_width_in(fig) -> float:
    """Width (inches) of ``fig`` saved with ``bbox_inches='tight'``: its tight bbox plus the pads."""
    fig.canvas.draw()
    return _saved_bbox(fig, fig.canvas.get_renderer()).width / fig.dpi


def overlap(a, b) -> bool:
    """Whether display boxes ``a`` and ``b`` share more than :data:`_TOL` px in both directions."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w > _TOL and h > _TOL


def _inside(inner, outer) -> bool:
    return (inner.x0 >= outer.x0 - _TOL and inner.x1 <= outer.x1 + _TOL
            and inner.y0 >= outer.y0 - _TOL and inner.y1 <= outer.y1 + _TOL)


def _label(text) -> str:
    return repr(text.get_text()[:40])


def _text_box(text, renderer):
    """The box of ``text``'s own glyphs: an annotation's leader arrow is left out (matplotlib's
    extent of an annotation is the union with its arrow's bounding box, which would count every
    curve a leader passes near as covered by the label)."""
    from matplotlib.text import Text

    text.get_window_extent(renderer)  # places an annotation's text where it is drawn
    return Text.get_window_extent(text, renderer)


def _drawn_texts(fig, renderer):
    """Every text artist ``fig`` draws, with its size (pt) and the clip rectangle it is drawn in."""
    drawn = {}
    draw_text = renderer.draw_text

    def recording(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if mtext is not None and s.strip():
            drawn[id(mtext)] = (mtext, prop.get_size_in_points(), gc.get_clip_rectangle())
        return draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    renderer.draw_text = recording
    try:
        fig.draw(renderer)
    finally:
        del renderer.draw_text
    return list(drawn.values())


def data_artists(ax):
    """The artists of ``ax`` that show data: its lines and its point/line collections."""
    from matplotlib.collections import LineCollection, PathCollection

    out = [a for a in ax.lines if a.get_visible()]
    out += [c for c in ax.collections
            if c.get_visible() and isinstance(c, (PathCollection, LineCollection))]
    return out


def covers_data(box, artist) -> bool:
    """Whether the display-space ``box`` hides part of ``artist``: a point inside it, or a line
    segment through it."""
    from matplotlib.collections import PathCollection
    from matplotlib.lines import Line2D

    if isinstance(artist, PathCollection):
        pts = artist.get_offset_transform().transform(artist.get_offsets())
        return bool(((pts[:, 0] > box.x0) & (pts[:, 0] < box.x1)
                     & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1)).any()) if len(pts) else False
    if isinstance(artist, Line2D):
        path = artist.get_transform().transform_path(artist.get_path())
        if artist.get_linestyle() in ("None", "none", "", " "):
            v = path.vertices
            return bool(((v[:, 0] > box.x0) & (v[:, 0] < box.x1)
                         & (v[:, 1] > box.y0) & (v[:, 1] < box.y1)).any()) if len(v) else False
        return path.intersects_bbox(box, filled=False)
    trans = artist.get_transform()
    return any(trans.transform_path(p).intersects_bbox(box, filled=False) for p in artist.get_paths())


def _is_reference(line) -> bool:
    """An axhline/axvline-like reference line (blended transform): labels sit on them by design."""
    from matplotlib.lines import Line2D

    return isinstance(line, Line2D) and _blended(line.get_transform())


def _blended(t) -> bool:
    # axhline's transform is ax.get_yaxis_transform(): a composite whose first part is blended
    from matplotlib.transforms import BlendedGenericTransform, CompositeGenericTransform

    if isinstance(t, BlendedGenericTransform):
        return True
    if isinstance(t, CompositeGenericTransform):
        return _blended(t._a) or _blended(t._b)
    return False


def report(fig, dpi: float | None = None) -> dict:
    """Draw ``fig`` once and measure it as the page will show it (saved at ``dpi``, default
    :func:`display_dpi` of its saved width).

    Returns ``{"dpi", "width_in", "min_font_pt", "min_font_px", "problems"}``: ``min_font_px`` is
    the smallest font size drawn, :math:`F_{\\min}\\cdot\\mathrm{dpi}/72`; ``problems`` lists, in
    words, every text clipped by its axes or outside the saved canvas, every pair of labels
    (texts, legends, titles, tick labels) that overlap, every annotation or legend that crosses its
    axes' edge, and every free text or legend that covers a drawn curve or point.
    """
    from matplotlib.legend import Legend

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    drawn = _drawn_texts(fig, renderer)
    canvas = _saved_bbox(fig, renderer)
    width_in = canvas.width / fig.dpi
    dpi = dpi or display_dpi(width_in)
    problems = []
    boxes = []  # (box, what, axes, free): one per legend, one per text outside legends
    legends = [a for a in fig.findobj(Legend) if a.get_visible()]
    in_legend = {id(t) for leg in legends for t in leg.findobj(lambda a: hasattr(a, "get_text"))}
    for text, size, clip in drawn:
        box = _text_box(text, renderer)
        if clip is not None and text.get_clip_on() and not _inside(box, clip):
            problems.append(f"text {_label(text)} is clipped by its axes")
        if not _inside(box, canvas):
            problems.append(f"text {_label(text)} is drawn outside the figure")
        if id(text) not in in_legend:
            ax = text.axes
            free = ax is not None and text in ax.texts
            boxes.append((box, f"text {_label(text)}", ax, free))
    for leg in legends:
        boxes.append((leg.get_window_extent(renderer), "a legend", leg.axes, True))
        if not _inside(leg.get_window_extent(renderer), canvas):
            problems.append("a legend is drawn outside the figure")
    for (a, what_a, _, _), (b, what_b, _, _) in combinations(boxes, 2):
        if overlap(a, b):
            problems.append(f"{what_a} overlaps {what_b}")
    for box, what, ax, free in boxes:
        if not free or ax is None:
            continue
        frame = ax.get_window_extent(renderer)
        if not _inside(box, frame) and overlap(box, frame):
            problems.append(f"{what} crosses the edge of its axes")
        for artist in data_artists(ax):
            if not _is_reference(artist) and covers_data(box, artist):
                problems.append(f"{what} covers {artist.get_label() or 'a curve'!r}")
                break
    sizes = [size for _, size, _ in drawn]
    min_pt = min(sizes) if sizes else 0.0
    return {"dpi": round(dpi, 3), "width_in": round(width_in, 4), "min_font_pt": round(min_pt, 3),
            "min_font_px": round(min_pt * dpi / 72.0, 3), "problems": list(dict.fromkeys(problems))}


def attach(fig) -> None:
    """Make the inline backend save ``fig`` at :func:`display_dpi` with :func:`report` in its PNG.

    IPython's inline display calls ``fig.canvas.print_figure(..., dpi=fig.dpi)``; only that call
    (a PNG at the figure's own dpi) is changed, so an explicit ``savefig`` keeps its dpi."""
    canvas = fig.canvas
    print_figure = canvas.print_figure

    def book_print_figure(filename, *args, **kwargs):
        fmt = kwargs.get("format") or "png"
        if fmt == "png" and kwargs.get("dpi") == fig.dpi and kwargs.get("bbox_inches") == "tight":
            measured = report(fig)
            kwargs["dpi"] = measured["dpi"]
            kwargs["metadata"] = {**(kwargs.get("metadata") or {}), PNG_KEY: json.dumps(measured)}
        return print_figure(filename, *args, **kwargs)

    canvas.print_figure = book_print_figure


def read_png_report(data: bytes) -> dict | None:
    """The :func:`report` stored in a PNG's ``tEXt`` chunk by :func:`attach`, or None."""
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            if key.decode("latin-1") == PNG_KEY:
                return json.loads(value.decode("latin-1"))
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            if key.decode("latin-1") == PNG_KEY:
                return json.loads(zlib.decompress(rest[1:]).decode("latin-1"))
        elif kind == b"IEND":
            break
        pos += 12 + length
    return None
