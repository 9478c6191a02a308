r"""The paper's released sweep data, for comparison figures: found locally, or downloaded once.

The author's repository (github.com/Alex-Guha/representational-capacity, MIT licence) ships the two
packing sweeps behind the paper's Figures 6–8 as JSON lists of ``[k, d, eps]``:

``random``     ``random_packing.json``: 256 cells, k = 2000…32000 step 2000, d = 256…4096 step 256;
               :math:`\varepsilon^*_{\text{random}}(k, d) = \min_{t \le 1000} \max_{i \ne j} |\cos(v_i^{(t)}, v_j^{(t)})|`
               (paper Eq. 5).
``optimised``  ``optimized_packing.json``: 166 cells, d = 32…4096; ε* = max_{i≠j} |G_ij| after 5000 Adam
               steps on Σ_{i≠j} |G_ij|^p (paper §3.3).

The book never copies these files into the project. :func:`load_paper_sweep` looks for them, in order:

1. the directory named by the environment variable ``REPCAP_PAPER_DATA``;
2. ``../shared/reference/data`` beside the repository checkout (this workplace and CI have it there);
3. the repcap cache (``$REPCAP_CACHE``, else ``~/.cache/repcap``), under ``paper_data/``;
4. a download from the author's repository at a pinned commit into that cache (atomic write: a
   temporary file renamed into place, so an interrupted download leaves nothing half-written).

If all four fail it returns ``None`` and reports a one-line message ("not available offline; the
comparison is skipped"), which the chapters print.
"""

from __future__ import annotations

import http.client
import json
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repcap.errors import DataFileError, DomainError, DownloadError, OfflineError

__all__ = [
    "FILES",
    "EXPECTED_CELLS",
    "PAPER_DATA_ENV",
    "BASE_URL",
    "PaperSweep",
    "shared_cells",
    "cache_dir",
    "candidate_dirs",
    "locate_paper_data",
    "download_paper_data",
    "read_sweep_file",
    "load_paper_sweep",
]

#: File name of each sweep in the author's repository (``code/vector_packing/``).
FILES = {"random": "random_packing.json", "optimised": "optimized_packing.json"}
#: Number of (k, d) cells each released file holds; a file with a different count is not the paper's.
EXPECTED_CELLS = {"random": 256, "optimised": 166}
PAPER_DATA_ENV = "REPCAP_PAPER_DATA"
#: The author's repository at the commit the book was checked against (HEAD on 2026-06-02); pinned so
#: that a later change upstream cannot silently change the comparison.
BASE_URL = ("https://raw.githubusercontent.com/Alex-Guha/representational-capacity/"
            "c2d8f9f065f9eaaf2e32a23ec68e9481fa0bf5c2/code/vector_packing/")
_REPO_ROOT = Path(__file__).resolve().parents[2]
_OFFLINE_MESSAGE = ("the paper's released {kind} sweep ({file}) is not available offline; "
                    "the comparison is skipped")


@dataclass(frozen=True)
class PaperSweep:
    """One released sweep: parallel arrays over its cells, and where they were read from.

    Attributes
    ----------
    kind : ``"random"`` or ``"optimised"``.
    k, d : int arrays, the number of vectors and the dimension of each cell.
    eps : float array, the released ε* of each cell.
    source : the file path the data were read from (a local copy or the cache).
    origin : ``"env"``, ``"shared"``, ``"cache"`` or ``"download"``: how the file was found.
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
    Empty when ``sweep`` is None (the paper's data are unavailable) or no cell is shared.
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


def cache_dir() -> Path:
    """The repcap cache directory: ``$REPCAP_CACHE``, else ``~/.cache/repcap`` (as the embedding cache)."""
    if os.environ.get("REPCAP_CACHE"):
        return Path(os.environ["REPCAP_CACHE"]).expanduser()
    return Path.home() / ".cache" / "repcap"


def candidate_dirs() -> list[tuple[str, Path]]:
    """The local directories searched, in order, as ``[(origin, path), ...]``.

    ``env`` (``$REPCAP_PAPER_DATA``, only when set), ``shared`` (``../shared/reference/data`` beside the
    checkout) and ``cache`` (``paper_data/`` in :func:`cache_dir`).
    """
    dirs = []
    if os.environ.get(PAPER_DATA_ENV):
        dirs.append(("env", Path(os.environ[PAPER_DATA_ENV]).expanduser()))
    dirs.append(("shared", _REPO_ROOT.parent / "shared" / "reference" / "data"))
    dirs.append(("cache", cache_dir() / "paper_data"))
    return dirs


def locate_paper_data(kind: str) -> tuple[Path, str] | None:
    """``(path, origin)`` of the first local copy of the ``kind`` sweep, or ``None`` (no network used)."""
    name = FILES[_check_kind(kind)]
    for origin, directory in candidate_dirs():
        path = directory / name
        if path.is_file():
            return path, origin
    return None


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
        raise DataFileError(f"{path} is not a JSON file ({exc}); delete it so that it is fetched again") from exc
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


def download_paper_data(kind: str, *, base_url: str = BASE_URL, directory: str | os.PathLike | None = None,
                        timeout: float = 10.0) -> Path:
    """Fetch the ``kind`` sweep from ``base_url`` into ``directory`` (default: the cache) and return its path.

    The body is checked (:func:`read_sweep_file`'s rules) before it is written to a temporary file in
    the target directory and renamed into place, so an interrupted or corrupt download never leaves a
    partial file under the final name. Raises :class:`OfflineError` when the server cannot be reached,
    :class:`DownloadError` when the transfer fails or is cut short, :class:`DataFileError` when the body
    is not the released data.
    """
    name = FILES[_check_kind(kind)]
    target_dir = Path(directory) if directory is not None else cache_dir() / "paper_data"
    url = base_url.rstrip("/") + "/" + name
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            body = response.read()
    except http.client.IncompleteRead as exc:
        raise DownloadError(f"{url}: the connection closed after {len(exc.partial)} bytes; try again") from exc
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url} answered HTTP {exc.code}; the file may have moved upstream. "
                            f"Set {PAPER_DATA_ENV} to a directory holding {name}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OfflineError(f"cannot reach {url} ({reason}); connect to the network or set "
                           f"{PAPER_DATA_ENV} to a directory holding {name}") from exc
    except http.client.HTTPException as exc:
        raise DownloadError(f"{url}: the server sent a malformed response ({exc!r}); try again") from exc
    if expected is not None and expected.isdigit() and int(expected) != len(body):
        raise DownloadError(f"{url}: received {len(body)} of {expected} bytes; try again")
    try:
        raw = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{url} did not return JSON ({exc}); the upstream file may have changed") from exc
    _parse(raw, kind, url, "download")
    target_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        os.replace(tmp, target_dir / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target_dir / name


def load_paper_sweep(kind: str, *, download: bool = True, base_url: str = BASE_URL,
                     timeout: float = 10.0,
                     report: Callable[[str], None] | None = print) -> PaperSweep | None:
    """The paper's released ``kind`` sweep (``"random"`` or ``"optimised"``), or ``None`` if unavailable.

    Searches :func:`candidate_dirs`; if no local copy exists and ``download`` is true, fetches it
    (:func:`download_paper_data`) into the cache. When that fails too (no network, HTTP error, bad
    body), ``report`` is called with a one-line message (by default it is printed) and ``None`` is
    returned, so a chapter can skip its comparison instead of failing. A local file that exists but
    is malformed is an error (:class:`DataFileError`), not a silent skip.
    """
    kind = _check_kind(kind)
    found = locate_paper_data(kind)
    if found is not None:
        return read_sweep_file(found[0], kind, origin=found[1])
    message = _OFFLINE_MESSAGE.format(kind=kind, file=FILES[kind])
    if download:
        try:
            path = download_paper_data(kind, base_url=base_url, timeout=timeout)
        except (OfflineError, DownloadError, DataFileError) as exc:
            message = f"{message} ({exc})"
        else:
            return read_sweep_file(path, kind, origin="download")
    if report is not None:
        report(message)
    return None
