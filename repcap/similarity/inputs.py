"""Turn what the caller passed into checked, row-normalised rows.

Accepted inputs: a NumPy array (memory maps included), a ``torch.Tensor`` (any device, bfloat16 and
float16 included), or any object with a ``.matrix`` attribute
(an :class:`~repcap.sources.Embedding`).
The matrix must be 2-D and floating point. Rows are read in chunks, so a memory-mapped vocabulary
is never copied whole in float64.

Row rules (the paper's): a row with a NaN or ±Inf entry is an error (the message names how many
such rows there are); an all-zero row has no direction and is dropped (counted); at least two rows
must remain. Normalisation is x̂_i = x_i / ‖x_i‖₂, computed in float64 after scaling the row by its
largest absolute entry so that neither underflow nor overflow can turn a valid row into 0 or Inf.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from repcap.errors import EmbeddingError

# Rows per chunk are chosen so that one float64 chunk holds about this many numbers (32 MB).
CHUNK_ELEMENTS = 1 << 22


def unwrap(X: Any) -> tuple[Any, str | None, list[str] | None]:
    """``(matrix, name, tokens)``: the matrix of an Embedding-like object, or ``X`` itself."""
    if hasattr(X, "matrix"):
        return X.matrix, getattr(X, "name", None), getattr(X, "tokens", None)
    return X, None, None


def label(X: Any, what: str | None = None) -> str:
    """How a message names ``X``: ``what`` when given, else an Embedding's name (the model the
    user asked for), else ``"X"``."""
    name = what or unwrap(X)[1]
    return name if isinstance(name, str) and name else "X"


def as_matrix(X: Any, what: str | None = None) -> np.ndarray:
    """A 2-D floating NumPy view of ``X`` (no copy for float NumPy input; torch tensors move to CPU,
    bfloat16 becomes float32). Raises :class:`EmbeddingError` for anything else."""
    what = label(X, what)
    matrix, _, _ = unwrap(X)
    if hasattr(matrix, "detach") and hasattr(matrix, "cpu"):  # a torch.Tensor (torch not imported)
        tensor = matrix.detach()
        if tensor.is_complex() or not tensor.is_floating_point():
            raise EmbeddingError(
                f"{what}: tensor has dtype {tensor.dtype}; embedding rows must be floating point "
                "(integer input is usually token ids, not vectors). Cast with .float()")
        if tensor.dtype not in _torch_numpy_floats():
            tensor = tensor.float()
        matrix = tensor.cpu().numpy()
    if not isinstance(matrix, np.ndarray):
        try:
            matrix = np.asarray(matrix)
        except Exception as exc:  # ragged nested lists and the like
            raise EmbeddingError(
                f"{what}: cannot read {type(X).__name__} as a matrix ({exc})") from exc
    if matrix.ndim != 2:
        raise EmbeddingError(
            f"{what}: expected a 2-D matrix (tokens × dimensions), got shape "
            f"{tuple(matrix.shape)}; pass one row per token")
    if matrix.dtype.kind != "f":
        kind = {"i": "integer", "u": "unsigned integer", "b": "boolean", "c": "complex"}.get(
            matrix.dtype.kind, str(matrix.dtype))
        raise EmbeddingError(
            f"{what}: matrix has {kind} dtype {matrix.dtype}; embedding rows must be real "
            "floating point (integer input is usually token ids, not vectors). Cast with "
            ".astype(np.float32)")
    if matrix.shape[1] < 1:
        raise EmbeddingError(f"{what}: matrix has shape {tuple(matrix.shape)}; rows need at least "
                             "one column")
    return matrix


def _torch_numpy_floats():
    import torch

    return (torch.float16, torch.float32, torch.float64)


def chunk_rows(dim: int, elements: int | None = None) -> int:
    """Rows per chunk for rows of length ``dim`` (``elements`` numbers, default CHUNK_ELEMENTS)."""
    return max(1, (CHUNK_ELEMENTS if elements is None else elements) // max(dim, 1))


@dataclass
class RowChunk:
    """One chunk of checked rows: ``start`` (row offset), ``keep`` (row indices, absolute, of the
    non-zero rows) and ``unit`` (those rows normalised, float64, shape len(keep) × d)."""

    start: int
    keep: np.ndarray
    unit: np.ndarray


def _checks(raw: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """``(rows with NaN/Inf, non-zero row mask, squared norms in float64)`` of a block of rows."""
    # For float16/float32 rows the float64 squared norms can neither overflow nor underflow, so
    # "sq is finite" is "the row is finite" and "sq > 0" is "the row is not all zeros".
    sq = np.einsum("ij,ij->i", raw, raw, dtype=np.float64)
    wide = raw.dtype.itemsize > 4
    finite = np.isfinite(raw).all(axis=1) if wide else np.isfinite(sq)
    if not finite.all():
        return int((~finite).sum()), finite, sq
    return 0, (raw.any(axis=1) if wide else sq > 0), sq


def scan_chunk(raw: np.ndarray) -> tuple[int, np.ndarray]:
    """``(rows with NaN/Inf, non-zero row mask)`` of a block of rows, without normalising."""
    bad, nonzero, _ = _checks(np.asarray(raw))
    return bad, nonzero


def normalise_chunk(raw: np.ndarray, start: int, *, drop_zero_rows: bool = True,
                    what: str = "X") -> tuple[int, RowChunk | None]:
    """``(bad_rows, chunk)`` for one block of raw rows starting at row ``start``.

    ``bad_rows`` counts rows with a NaN/Inf entry; when it is non-zero ``chunk`` is None (the caller
    raises after counting every bad row). An all-zero row raises :class:`EmbeddingError` at once
    when ``drop_zero_rows`` is False (its cosine is undefined).
    """
    raw = np.asarray(raw)
    bad, nonzero, sq = _checks(raw)
    if bad:
        return bad, None
    if not drop_zero_rows and not nonzero.all():
        first = start + int(np.flatnonzero(~nonzero)[0])
        raise EmbeddingError(
            f"{what}: row {first} is all zeros, so its cosine with any other row is undefined; "
            "pass drop_zero_rows=True (the paper drops such rows)")
    if nonzero.all():
        keep = start + np.arange(raw.shape[0])
    else:
        keep = start + np.flatnonzero(nonzero)
        raw, sq = raw[nonzero], sq[nonzero]
    if raw.dtype.itemsize > 4:
        risky = ~((sq > 1e-280) & (sq < 1e280))
        if risky.any():  # float64 rows with extreme magnitudes: rescale them before normalising
            raw = raw.astype(np.float64)
            raw[risky] /= np.abs(raw[risky]).max(axis=1, keepdims=True)
            sq[risky] = np.einsum("ij,ij->i", raw[risky], raw[risky])
    unit = np.divide(raw, np.sqrt(sq)[:, None], dtype=np.float64)
    return 0, RowChunk(start=start, keep=keep, unit=unit)


def raise_bad_rows(bad: int, total: int, what: str = "X") -> None:
    """Raise the NaN/Inf error naming how many rows are affected (nothing when ``bad`` is 0)."""
    if bad:
        raise EmbeddingError(
            f"{what}: {bad} of {total} rows contain NaN or Inf values, so their cosines are "
            "undefined; drop or repair those rows first (e.g. X[np.isfinite(X).all(axis=1)])")


def normalised_chunks(matrix: np.ndarray, *, drop_zero_rows: bool = True,
                      what: str = "X") -> Iterator[RowChunk]:
    """Yield the rows of ``matrix`` in chunks, checked and normalised (float64).

    When a NaN/Inf row is met, the remaining chunks are only scanned (to count all bad rows) and
    :class:`EmbeddingError` is raised at the end, naming the count.
    """
    n, d = matrix.shape
    step = chunk_rows(d)
    bad = 0
    for start in range(0, n, step):
        raw = np.asarray(matrix[start:start + step])
        if bad:
            bad += int((~np.isfinite(raw).all(axis=1)).sum())
            continue
        nbad, chunk = normalise_chunk(raw, start, drop_zero_rows=drop_zero_rows, what=what)
        bad += nbad
        if chunk is not None:
            yield chunk
    raise_bad_rows(bad, n, what)


def require_two(n_rows: int, zero_rows: int, what: str = "X") -> None:
    """Raise unless at least two rows remain after dropping all-zero rows."""
    if n_rows < 2:
        dropped = f" after dropping {zero_rows} all-zero row(s)" if zero_rows else ""
        raise EmbeddingError(
            f"{what}: {n_rows} usable row(s){dropped}; cosine pairs need at least 2 non-zero rows")


@dataclass
class UnitRows:
    """All usable rows, normalised: ``unit`` (n × d, in ``unit.dtype``), ``keep`` (their indices in
    the input), ``total_rows`` (rows of the input) and ``zero_rows`` (all-zero rows dropped)."""

    unit: np.ndarray
    keep: np.ndarray
    total_rows: int
    zero_rows: int


def unit_rows(X: Any, *, dtype=np.float32, drop_zero_rows: bool = True, what: str | None = None,
              rows: np.ndarray | None = None) -> UnitRows:
    """Check and normalise the rows of ``X`` (or only ``rows`` of it) into one ``dtype`` array."""
    what = label(X, what)
    matrix = as_matrix(X, what)
    source = matrix if rows is None else matrix[np.asarray(rows)]
    n, d = source.shape
    out = np.empty((n, d), dtype=dtype)
    keeps = []
    filled = 0
    for chunk in normalised_chunks(source, drop_zero_rows=drop_zero_rows, what=what):
        m = chunk.unit.shape[0]
        out[filled:filled + m] = chunk.unit
        keeps.append(chunk.keep)
        filled += m
    keep = np.concatenate(keeps) if keeps else np.zeros(0, dtype=np.int64)
    if rows is not None:
        keep = np.asarray(rows)[keep]
    zero = n - filled
    require_two(filled, zero, what)
    return UnitRows(unit=out[:filled], keep=keep.astype(np.int64), total_rows=int(matrix.shape[0]),
                    zero_rows=int(zero))
