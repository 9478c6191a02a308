"""What the rendered page hides: cell tags added to the executed copy of a chapter, never to its source.

A chapter keeps its plumbing in the notebook, where a Colab user needs it, while the reader of the
site sees narrative, figures and tables. :func:`presentable` returns a copy of an executed notebook
with these tags added (Jupyter Book 1 / MyST-NB honour them):

==========================================  ==============  ==========================================
cell                                        tag added       why
==========================================  ==============  ==========================================
tagged ``parameters``                       ``hide-cell``   what a reader can change: one click away
tagged ``injected-parameters`` (papermill)  ``remove-cell`` the build's values; the provenance line
                                                            under the setup cell already names the
                                                            profile
tagged ``check-parameters``                 ``remove-cell`` validation only, prints nothing on success
code starting with ``write_results(``       ``remove-cell`` hands key numbers to the tests and the
                                                            verdict page
a PNG output wider than ``WIDE_PX``         ``full-width``  a multi-panel figure gets the margin too,
                                                            so its text stays legible
==========================================  ==============  ==========================================
"""

from __future__ import annotations

import base64
import copy
import struct
from typing import Any

__all__ = ["presentable", "png_width", "WIDE_PX"]

#: Wider PNGs (in pixels) span the page's margin as well: plots.legibility draws a figure at the dpi
#: that fits it to its container, at most 782 px for the text column and about 1064 px full-width.
WIDE_PX = 900

_HIDE = {"parameters": "hide-cell", "injected-parameters": "remove-cell",
         "check-parameters": "remove-cell"}
_PLUMBING_PREFIXES = ("write_results(",)


def png_width(data: str) -> int:
    """Pixel width of a base64-encoded PNG, read from its IHDR chunk (bytes 16–19, big-endian)."""
    head = base64.b64decode(data[:64] + "=" * (-len(data[:64]) % 4))
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return 0
    return struct.unpack(">I", head[16:20])[0]


def _tags_for(cell: dict[str, Any]) -> list[str]:
    tags = list(cell.get("metadata", {}).get("tags", []))
    add = [_HIDE[t] for t in tags if t in _HIDE]
    if cell.get("cell_type") == "code":
        source = "".join(cell.get("source", "")).lstrip()
        if source.startswith(_PLUMBING_PREFIXES):
            add.append("remove-cell")
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png and png_width(png if isinstance(png, str) else "".join(png)) > WIDE_PX:
                add.append("full-width")
    return tags + [t for t in dict.fromkeys(add) if t not in tags]


def presentable(notebook: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``notebook`` (nbformat 4 JSON) with the presentation tags of the table above."""
    out = copy.deepcopy(notebook)
    for cell in out.get("cells", []):
        tags = _tags_for(cell)
        if tags:
            cell.setdefault("metadata", {})["tags"] = tags
    return out
