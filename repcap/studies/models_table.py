"""The survey's rows as a CSV file: :func:`write_table` and :func:`read_table`.

One :class:`~repcap.studies.survey.SurveyRow` per line, columns
:data:`~repcap.studies.survey.COLUMNS`, floats written with ``repr`` so they read back exactly. The
file is written atomically (:func:`repcap.common.files.atomic_write_bytes`); later chapters read it.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from repcap.common.files import atomic_write_bytes
from repcap.errors import DataFileError, option
from repcap.laws.classes import classify
from repcap.studies.survey import COLUMNS, SurveyRow

__all__ = ["write_table", "read_table"]

_INT = {"vocab_size", "d_model", "zero_rows", "n_rows", "pairs", "n_boot"}
_FLOAT = {"mean", "std", "eps", "null_eps", "ci_low", "ci_high", "ci_level", "load_seconds",
          "moments_seconds", "bootstrap_seconds", "seconds"}
_REQUIRED = ("name", "d_model", "mean", "std", "eps")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    return str(value)


def write_table(rows: Iterable[SurveyRow | Mapping[str, Any]], path: str | os.PathLike) -> Path:
    """Write the rows as CSV (header :data:`~repcap.studies.survey.COLUMNS`) to ``path``, atomically;
    returns the path.

    Floats are written with full precision (``repr``), so :func:`read_table` gives back the same
    numbers. Missing parent folders are created. An interrupted write leaves any previous file
    intact. A row without every column raises :class:`~repcap.errors.DataFileError`; a folder that
    cannot be created or written, :class:`~repcap.errors.StorageError`.
    """
    target = Path(path)
    records = []
    for row in rows:
        data = row.to_dict() if isinstance(row, SurveyRow) else dict(row)
        missing = [c for c in COLUMNS if c not in data]
        if missing:
            raise DataFileError(f"write_table: a row lacks columns {missing}; pass SurveyRow objects")
        records.append({c: _cell(data[c]) for c in COLUMNS})
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(records)
    # bytes, so the csv module's line ends reach the file untranslated on every platform
    return atomic_write_bytes(target, text.getvalue().encode("utf-8"), what="the models table",
                              fix=f"choose a writable path ({option('table_path', flag='--out')})")


def _parse(column: str, text: str, path: Path, line: int) -> Any:
    try:
        if column in _INT:
            return int(text)
        if column in _FLOAT:
            return float(text) if text != "" else math.nan
    except ValueError:
        raise DataFileError(f"{path}, line {line}: column {column!r} holds {text!r}, not a number; "
                            "the file is damaged: re-run the survey to rewrite it") from None
    if column == "tied":
        return {"true": True, "false": False, "": None}.get(text.lower(), None)
    return text


def read_table(path: str | os.PathLike) -> list[SurveyRow]:
    """Read a table written by :func:`write_table` back into :class:`~repcap.studies.survey.SurveyRow`
    objects.

    Raises :class:`~repcap.errors.DataFileError` when the file is missing, lacks one of the
    required columns (name, d_model, mean, std, eps), or holds a non-number in a numeric column.
    Optional columns that are absent take their defaults (NaN intervals, zero timings), and the
    class is recomputed from ε when absent.
    """
    source = Path(path)
    if not source.is_file():
        raise DataFileError(f"{source}: no survey table here; run chapter 3 (or repcap.studies.survey.measure "
                            "and repcap.studies.models_table.write_table) to create it")
    with source.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in _REQUIRED if c not in header]
        if missing:
            raise DataFileError(f"{source}: missing column(s) {missing}; expected a table written by "
                                "repcap.studies.models_table.write_table")
        out = []
        for line, raw in enumerate(reader, start=2):
            values = {c: _parse(c, raw[c], source, line) for c in COLUMNS if c in raw and raw[c] is not None}
            d = values["d_model"]
            eps = values["eps"]
            if d < 1 or not math.isfinite(eps):
                raise DataFileError(f"{source}, line {line}: d_model = {d}, eps = {eps} are not a "
                                    "measurement; re-run the survey")
            values.setdefault("klass", None)
            values["klass"] = values.pop("class", None) or classify(eps)
            defaults = {"family": "", "source": "", "vocab_size": 0, "tied": None, "dtype": "",
                        "zero_rows": 0, "n_rows": 0, "pairs": 0, "null_eps": 2.0 / math.sqrt(max(d, 1))}
            for key, value in defaults.items():
                values.setdefault(key, value)
            out.append(SurveyRow(**values))
    return out
