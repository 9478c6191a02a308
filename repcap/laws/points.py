"""Reading measured (k, d, ε) points from a file, for fitting the laws.

Accepted files:

* JSON: a list of ``[k, d, eps]`` triples (the paper's released sweep files); a list of objects with
  keys k, d, eps; an object of columns ``{"k": [...], "d": [...], "eps": [...]}``; or an object that
  holds one such list under a key (``cells``, ``results``, ``points``, ``rows``, ``data``, ...).
* JSON Lines (``.jsonl``): one triple or object per line.
* CSV / TSV with a header naming the columns k, d and eps.
* Parquet (``.parquet``) with those columns.

Column names are matched case-insensitively, with a few aliases (``epsilon``, ``eps_star``,
``max_abs_cos`` for eps; ``dim``, ``d_model`` for d). Rows whose eps is empty, null or NaN (cells of
a sweep that has not finished) are skipped and counted.
"""

from __future__ import annotations

import csv
import json
import warnings
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repcap.errors import DataFileError

__all__ = ["Points", "read_points", "points_from_records"]

_ALIASES = {
    "k": ("k", "n_vectors", "num_vectors"),
    "d": ("d", "dim", "d_model", "dimension"),
    "eps": ("eps", "epsilon", "eps_star", "max_abs_cos", "max_cos"),
}
_LIST_KEYS = ("cells", "results", "points", "rows", "data", "records")


@dataclass(frozen=True)
class Points:
    """Arrays k, d, eps of equal length, how many rows were skipped (no ε yet), and the source.

    Examples
    --------
    >>> from repcap.laws.points import points_from_records
    >>> pts = points_from_records([[2000, 64, 0.2363], [4000, 64, None]])
    >>> len(pts), pts.k.tolist(), pts.eps.tolist(), pts.skipped
    (1, [2000.0], [0.2363], 1)
    """

    k: np.ndarray
    d: np.ndarray
    eps: np.ndarray
    skipped: int = 0
    source: str = ""

    def __len__(self) -> int:
        return int(self.k.size)


def read_points(path) -> Points:
    """Read (k, d, ε) points from a sweep results file, a CSV or a JSON list of triples.

    See the module docstring for the accepted layouts. Raises :class:`DataFileError` when the file
    is missing, unreadable, lacks a k, d or eps column, or holds no complete point.

    Examples
    --------
    The paper's released optimised sweep (a JSON list of [k, d, ε*] triples, shipped with repcap)
    holds its 166 cells (§3.3), 13 dimensions from 32 to 4096:

    >>> from importlib.resources import files
    >>> from repcap.laws import read_points
    >>> pts = read_points(files("repcap") / "data" / "paper" / "optimized_packing.json")
    >>> len(pts), pts.skipped, int(pts.d.min()), int(pts.d.max()), len(set(pts.d.tolist()))
    (166, 0, 32, 4096, 13)
    """
    p = Path(path)
    if not p.is_file():
        what = f"{p} is a folder, not a file" if p.is_dir() else f"no such file: {p}"
        raise DataFileError(f"{what}; pass a sweep results file, a CSV with columns "
                            "k,d,eps or a JSON list of [k, d, eps] triples")
    suffix = p.suffix.lower()
    try:
        if suffix == ".parquet":
            records = _read_parquet(p)
        elif suffix in (".csv", ".tsv", ".txt"):
            records = _read_csv(p, "\t" if suffix == ".tsv" else ",")
        elif suffix == ".jsonl":
            records = _read_json_lines(p)
        else:
            text = p.read_text(encoding="utf-8")
            try:
                records = _unwrap(json.loads(text))
            except json.JSONDecodeError as exc:
                if not exc.msg.startswith("Extra data"):
                    raise
                records = _read_json_lines(p)  # JSON lines in a file named .json
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise DataFileError(f"cannot read {p}: {exc}") from exc
    return points_from_records(records, source=str(p))


def _read_json_lines(p: Path) -> list:
    """One JSON value a line; a line that is not one (a sweep stopped mid-write) is named by its
    number in the file, not by json's position inside that line."""
    records = []
    with p.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line.strip()))
            except json.JSONDecodeError as exc:
                raise DataFileError(
                    f"{p}, line {number} is not a complete JSON record ({exc.msg} at column "
                    f"{exc.colno}; a sweep stopped mid-write leaves such a line): fix or delete "
                    "that line") from None
    return records


def _read_csv(p: Path, delimiter: str) -> list[dict]:
    with p.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        if not reader.fieldnames:
            raise DataFileError(f"{p} is empty; expected a header line with columns k,d,eps")
        return list(reader)


def _read_parquet(p: Path) -> list[dict]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency
        raise DataFileError("reading Parquet needs pyarrow (pip install pyarrow)") from exc
    try:
        return pq.read_table(p).to_pylist()
    except Exception as exc:  # pyarrow raises its own hierarchy
        raise DataFileError(f"cannot read {p} as Parquet: {exc}") from exc


def _unwrap(obj):
    """Find the list of records inside a JSON document."""
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        cols = _match_columns(obj.keys())
        if cols is not None and all(isinstance(obj[c], list) for c in cols.values()):
            lengths = {len(obj[c]) for c in cols.values()}
            if len(lengths) != 1:
                raise DataFileError("the k, d and eps columns have different lengths")
            return [{name: obj[col][i] for name, col in cols.items()} for i in range(lengths.pop())]
        for key in _LIST_KEYS:
            if isinstance(obj.get(key), list):
                return obj[key]
        lists = [v for v in obj.values() if isinstance(v, list) and v and isinstance(v[0], (list, dict))]
        if len(lists) == 1:
            return lists[0]
    raise DataFileError("the JSON holds no list of [k, d, eps] triples or {k, d, eps} records "
                        f"(looked for a top-level list or one under {', '.join(_LIST_KEYS)})")


def _match_columns(keys) -> dict | None:
    lower = {str(k).lower(): k for k in keys}
    found = {}
    for name, aliases in _ALIASES.items():
        hit = next((lower[a] for a in aliases if a in lower), None)
        if hit is None:
            return None
        found[name] = hit
    return found


def _number(value, what: str, row: int) -> float:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "nan", "null", "none")):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise DataFileError(f"row {row}: {what} = {value!r} is not a number") from exc


#: Record fields that change a packing's ε besides (k, d): a fit over records that differ in them
#: mixes two experiments. Not ``lr`` and ``exponent``: the paper's recipe sets both from (k, d), so
#: they differ between the cells of every default sweep.
SETTING_FIELDS = ("steps", "trials", "objective", "dtype", "lr_schedule")


def _warn_mixed_settings(records, source: str) -> None:
    """Warn (once) when sweep records of one file were made with different run settings."""
    seen: dict[str, set] = {}
    for rec in records:
        if not isinstance(rec, dict):
            return
        settings = rec.get("settings") if isinstance(rec.get("settings"), dict) else rec
        for key in SETTING_FIELDS:
            if key in settings:
                seen.setdefault(key, set()).add(json.dumps(settings[key], sort_keys=True))
    mixed = {k: sorted(v) for k, v in seen.items() if len(v) > 1}
    if mixed:
        what = "; ".join(f"{k}: {', '.join(v)}" for k, v in mixed.items())
        warnings.warn(f"{source or 'the data'} mixes run settings ({what}); the fit treats them as "
                      "one experiment", stacklevel=3)


def points_from_records(records, source: str = "") -> Points:
    """Turn a list of ``[k, d, eps]`` triples or ``{k, d, eps}`` mappings into :class:`Points`.

    Examples
    --------
    Column names are matched with their aliases; a row without ε (a cell not yet run) is skipped:

    >>> from repcap.laws.points import points_from_records
    >>> pts = points_from_records([{"k": 2000, "d_model": 64, "eps_star": 0.2363},
    ...                            {"k": 4000, "d_model": 64, "eps_star": None}], source="demo")
    >>> pts.k.tolist(), pts.d.tolist(), pts.eps.tolist(), pts.skipped, pts.source
    ([2000.0], [64.0], [0.2363], 1, 'demo')
    """
    if not isinstance(records, list) or not records:
        raise DataFileError(f"{source or 'the data'} holds no points")
    cols = None
    rows = []
    for i, rec in enumerate(records):
        if isinstance(rec, (list, tuple)):
            if len(rec) != 3:
                raise DataFileError(f"row {i} of {source or 'the data'} has {len(rec)} values; "
                                    "each triple must be [k, d, eps]")
            rows.append(tuple(_number(v, n, i) for v, n in zip(rec, ("k", "d", "eps"))))
        elif isinstance(rec, dict):
            cols = cols or _match_columns(rec.keys())
            if cols is None or any(c not in rec for c in cols.values()):
                raise DataFileError(f"row {i} of {source or 'the data'} lacks a k, d or eps field "
                                    f"(it has {sorted(map(str, rec))}); name the columns k, d, eps")
            rows.append(tuple(_number(rec[cols[n]], n, i) for n in ("k", "d", "eps")))
        else:
            raise DataFileError(f"row {i} of {source or 'the data'} is neither a triple nor a record")
    _warn_mixed_settings(records, source)
    arr = np.asarray(rows, dtype=float)
    bad_kd = ~np.isfinite(arr[:, :2]).all(axis=1)
    if bad_kd.any():
        raise DataFileError(f"row {int(np.argmax(bad_kd))} of {source or 'the data'} has no k or d")
    done = np.isfinite(arr[:, 2])
    if not done.any():
        raise DataFileError(f"{source or 'the data'} has no row with an eps value yet")
    arr = arr[done]
    return Points(k=arr[:, 0], d=arr[:, 1], eps=arr[:, 2], skipped=int((~done).sum()), source=source)
