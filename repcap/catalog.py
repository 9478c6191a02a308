"""The models the book knows: the paper's Table 1 and the offline models (``data/models.csv``).

Each model is a dict with keys ``name, hub_id, family, d_model, vocab_size, vocab_source, tied,
tied_source, eps_paper, capacity_paper, class_paper, source, notes``. For paper rows,
``eps_paper`` (ε = µ + 2σ of the pairwise cosine similarities of the input embeddings) and
``capacity_paper`` (the paper's Eq. 7,
:math:`k_{\\max} = \\lceil (d\\, e^{(d^{c} ε^2 / C)^{1/b}})^{1/a} \\rceil`) are the figures the
paper *reports*, transcribed, not recomputed; ``capacity_paper = None`` is the paper's
"indeterminate" (Class 1). Unknown values are None, never guesses.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

from repcap.errors import ModelNotFoundError, RepcapError

COLUMNS = ("name", "hub_id", "family", "d_model", "vocab_size", "vocab_source", "tied",
           "tied_source", "eps_paper", "capacity_paper", "class_paper", "source", "notes")
PAPER = "paper Table 1"
OFFLINE = "offline"


def _parse(row: dict, line: int) -> dict:
    def num(key, kind):
        text = (row.get(key) or "").strip()
        if not text:
            return None
        try:
            return kind(float(text)) if kind is int else kind(text)
        except ValueError:
            raise RepcapError(f"models.csv line {line}: {key}={text!r} is not a number") from None

    tied_text = (row.get("tied") or "").strip().lower()
    if tied_text not in ("", "true", "false"):
        raise RepcapError(f"models.csv line {line}: tied={tied_text!r} must be true, false or empty")
    out = {
        "name": row["name"].strip(),
        "hub_id": (row.get("hub_id") or "").strip() or None,
        "family": (row.get("family") or "").strip() or None,
        "d_model": num("d_model", int),
        "vocab_size": num("vocab_size", int),
        "vocab_source": (row.get("vocab_source") or "").strip() or None,
        "tied": None if not tied_text else tied_text == "true",
        "tied_source": (row.get("tied_source") or "").strip() or None,
        "eps_paper": num("eps_paper", float),
        "capacity_paper": num("capacity_paper", float),
        "class_paper": num("class_paper", int),
        "source": (row.get("source") or "").strip(),
        "notes": (row.get("notes") or "").strip() or None,
    }
    if out["source"] not in (PAPER, OFFLINE):
        raise RepcapError(f"models.csv line {line}: unknown source {out['source']!r}")
    return out


@lru_cache(maxsize=1)
def _rows() -> tuple[dict, ...]:
    text = resources.files("repcap").joinpath("data", "models.csv").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise RepcapError(f"models.csv: columns {reader.fieldnames} differ from {list(COLUMNS)}")
    return tuple(_parse(row, i + 2) for i, row in enumerate(reader))


def all_models() -> list[dict]:
    """Every catalogued model (paper rows first, in the paper's order, then offline models)."""
    return [dict(r) for r in _rows()]


def paper_models() -> list[dict]:
    """The paper's Table 1 rows (all 45), with the paper's reported ε and capacity."""
    return [dict(r) for r in _rows() if r["source"] == PAPER]


def offline_models() -> list[dict]:
    """The models installable from PyPI (same order as ``repcap.sources.OFFLINE_MODELS``)."""
    return [dict(r) for r in _rows() if r["source"] == OFFLINE]


def find(name: str) -> dict:
    """The catalogue entry whose name or hub id equals ``name`` (case-insensitive)."""
    key = name.strip().lower()
    for row in _rows():
        if key in (row["name"].lower(), (row["hub_id"] or "").lower()):
            return dict(row)
    raise ModelNotFoundError(f"{name!r} is not in the catalogue (repcap/data/models.csv)")
