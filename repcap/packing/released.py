r"""The paper's released sweep data, vendored with the package (MIT, the author's notice beside it).

The author's repository (github.com/Alex-Guha/representational-capacity, ``code/vector_packing/`` at
commit c2d8f9f0, MIT licence) ships the two packing sweeps behind the paper's Figures 6–8 as JSON
lists of ``[k, d, eps]``. Both files are copied byte for byte into ``repcap/data/paper/`` with the
licence text (``LICENSE-author-data.txt``), so every comparison is drawn offline, in every build:

``random``     ``random_packing.json``: 256 cells, k = 2000…32000 step 2000, d = 256…4096 step 256;
               :math:`\varepsilon^*_{\text{random}}(k, d) = \min_{t \le 1000} \max_{i \ne j} |\cos(v_i^{(t)}, v_j^{(t)})|`
               (paper Eq. 5).
``optimised``  ``optimized_packing.json``: 166 cells, d = 32…4096; ε* = max_{i≠j} |G_ij| after 5000 Adam
               steps on Σ_{i≠j} |G_ij|^p (paper §3.3).

:func:`load_paper_sweep` reads the vendored copy; :func:`read_sweep_file` reads any file of the same
format (a user's own rerun of the author's code) with the same checks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from repcap.errors import DataFileError, DomainError

__all__ = [
    "FILES",
    "EXPECTED_CELLS",
    "PaperSweep",
    "shared_cells",
    "vendored_path",
    "read_sweep_file",
    "load_paper_sweep",
]

#: File name of each sweep in the author's repository (``code/vector_packing/``).
FILES = {"random": "random_packing.json", "optimised": "optimized_packing.json"}
#: Number of (k, d) cells each released file holds; a file with a different count is not the paper's.
EXPECTED_CELLS = {"random": 256, "optimised": 166}


@dataclass(frozen=True)
class PaperSweep:
    """One released sweep: parallel arrays over its cells, and where they were read from.

    Attributes
    ----------
    kind : ``"random"`` or ``"optimised"``.
    k, d : int arrays, the number of vectors and the dimension of each cell.
    eps : float array, the released ε* of each cell.
    source : the file path the data were read from.
    origin : ``"vendored"`` (the copy inside the package) or ``"file"`` (a path given by the caller).
    """

    kind: str
    k: np.ndarray
    d: np.ndarray
    eps: np.ndarray
    source: str
    origin: str

    def __len__(self) -> int:
        return int(self.k.size)

    def cells(self) -> list[tuple[int, int, float]]:
        """The cells as ``[(k, d, eps), ...]`` in file order."""
        return [(int(k), int(d), float(e)) for k, d, e in zip(self.k, self.d, self.eps)]

    def lookup(self, k: int, d: int) -> float | None:
        """The released ε* of cell (k, d), or ``None`` when the sweep has no such cell."""
        hit = np.nonzero((self.k == k) & (self.d == d))[0]
        return float(self.eps[hit[0]]) if hit.size else None


def shared_cells(sweep: PaperSweep | None, k, d, eps, *, predict=None) -> list[dict]:
    r"""The cells of our sweep that the paper's sweep also has, each with both values.

    For every (k_i, d_i, ε_i) of ours (in our order) whose (k, d) the released ``sweep`` holds
    (:meth:`PaperSweep.lookup`), a row ``{"k", "d", "ours": ε_i, "paper": ε_paper, "diff"}`` with
    :math:`\text{diff} = \varepsilon_i / \varepsilon_\text{paper} - 1`; plus ``"law"`` =
    ``predict(k_i, d_i)`` when a prediction function is given. ``k`` and ``d`` keep the values passed.
    Empty when ``sweep`` is None or no cell is shared.
    """
    k_arr, d_arr, e_arr = (np.asarray(x).ravel() for x in (k, d, eps))
    if not (k_arr.size == d_arr.size == e_arr.size):
        raise DomainError(f"k, d and eps must have the same length, got {k_arr.size}, {d_arr.size}, {e_arr.size}")
    if sweep is None:
        return []
    rows = []
    for kk, dd, e in zip(k_arr, d_arr, e_arr):
        paper = sweep.lookup(int(kk), int(dd))
        if paper is None:
            continue
        row = {"k": kk, "d": dd, "ours": e, "paper": paper, "diff": e / paper - 1}
        if predict is not None:
            row["law"] = float(predict(kk, dd))
        rows.append(row)
    return rows


def _check_kind(kind: str) -> str:
    if kind not in FILES:
        raise DomainError(f"unknown sweep kind {kind!r}; choose one of {', '.join(FILES)}")
    return kind


def vendored_path(kind: str) -> Path:
    """Path of the vendored copy of the ``kind`` sweep inside the installed package."""
    name = FILES[_check_kind(kind)]
    return Path(str(resources.files("repcap") / "data" / "paper" / name))


def read_sweep_file(path: str | os.PathLike, kind: str, *, origin: str = "file") -> PaperSweep:
    """Parse one released sweep file (a JSON list of ``[k, d, eps]``) and check it.

    Raises :class:`DataFileError` when the file is missing, is not JSON, holds anything but
    ``[k, d, eps]`` triples with integer k, d ≥ 2 and finite ε in [0, 1], or holds a number of cells
    other than the released one (256 random, 166 optimised).
    """
    kind = _check_kind(kind)
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataFileError(f"{path} does not exist; pass the path of {FILES[kind]}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{path} is not a JSON file ({exc})") from exc
    return _parse(raw, kind, str(path), origin)


def _parse(raw, kind: str, source: str, origin: str) -> PaperSweep:
    if not isinstance(raw, list) or not raw:
        raise DataFileError(f"{source}: expected a JSON list of [k, d, eps] cells, got {type(raw).__name__}")
    try:
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataFileError(f"{source}: every cell must be a list [k, d, eps] of numbers") from exc
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise DataFileError(f"{source}: every cell must be a list [k, d, eps] of three numbers")
    k, d, eps = arr.T
    if not (np.isfinite(arr).all() and (k == np.round(k)).all() and (d == np.round(d)).all()):
        raise DataFileError(f"{source}: k and d must be integers and every value finite")
    if (k < 2).any() or (d < 2).any() or (eps < 0).any() or (eps > 1).any():
        raise DataFileError(f"{source}: need k ≥ 2, d ≥ 2 and 0 ≤ eps ≤ 1 in every cell")
    if len(arr) != EXPECTED_CELLS[kind]:
        raise DataFileError(f"{source}: {len(arr)} cells, but the paper's {kind} sweep has "
                            f"{EXPECTED_CELLS[kind]}; this is not the released {FILES[kind]}")
    return PaperSweep(kind=kind, k=k.astype(np.int64), d=d.astype(np.int64), eps=eps, source=source,
                      origin=origin)


def load_paper_sweep(kind: str, path: str | os.PathLike | None = None) -> PaperSweep:
    """The paper's released ``kind`` sweep (``"random"`` or ``"optimised"``).

    Reads the copy vendored in the package (:func:`vendored_path`), or ``path`` when given (a file of
    the same format). Raises :class:`DataFileError` when the file is missing or malformed: a broken
    installation is an error, never a silently skipped comparison.
    """
    kind = _check_kind(kind)
    if path is not None:
        return read_sweep_file(path, kind, origin="file")
    return read_sweep_file(vendored_path(kind), kind, origin="vendored")
