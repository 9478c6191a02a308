r"""The rows of an embedding nearest to a query by cosine, over the non-zero rows only.

.. math:: \cos(x_i, q) = \frac{\langle x_i, q\rangle}{\lVert x_i\rVert\,\lVert q\rVert}

(a zero row has no direction and is never a neighbour, as in the paper's code). Scores are computed
blockwise in float32 (never a :math:`V\times V` matrix, :func:`scan_cosines`) and the candidates are
re-ranked in float64 (:func:`top_rows`), so orderings agree with an exact float64 computation.
:func:`nearest_tokens` answers for a word, a row or a vector; the relation and analogy studies
(:mod:`repcap.studies.relations`, :mod:`repcap.studies.analogies`) build on the same scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from repcap.errors import EmbeddingError
from repcap.studies.token_lookup import find_token, strip_marker, token_convention

__all__ = [
    "Neighbour", "matrix_of", "unit_rows", "scan_cosines", "exact_cosines", "top_rows",
    "neighbour_at", "nearest_tokens",
]

_BLOCK = 1 << 15  # rows per float32 block: 32768 × 640 × 4 B ≈ 84 MB at Gemma's width


@dataclass(frozen=True)
class Neighbour:
    """One row and its cosine with a query (``text`` is the token without its space marker)."""

    token: str
    index: int
    cos: float
    text: str


def matrix_of(emb) -> np.ndarray:
    """The rows of ``emb``: its ``matrix`` attribute, or ``emb`` itself as a float32 array."""
    return emb.matrix if hasattr(emb, "matrix") else np.asarray(emb, dtype=np.float32)


def unit_rows(emb, rows: Sequence[int]) -> np.ndarray:
    r"""The unit vectors :math:`\hat x_i = x_i/\lVert x_i\rVert` of the given rows, float64."""
    m = matrix_of(emb)
    x = np.asarray(m[np.asarray(rows, dtype=np.int64)], dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise EmbeddingError("a requested row is all zeros and has no direction")
    return x / norms


def scan_cosines(matrix: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Approximate cosines of every row with the unit query, one float32 pass over the matrix.

    Dot products and row norms come from the same block read; their error (~1e-6) is far below
    the re-ranking margin of :func:`top_rows`. Zero rows get -inf, so they are never chosen.
    """
    q32 = q.astype(np.float32)
    out = np.empty(matrix.shape[0], dtype=np.float64)
    for s in range(0, matrix.shape[0], _BLOCK):
        block = np.asarray(matrix[s:s + _BLOCK], dtype=np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        dots = block @ q32
        with np.errstate(divide="ignore", invalid="ignore"):
            out[s:s + _BLOCK] = np.where(norms > 0, dots / norms, -np.inf)
    return out


def exact_cosines(matrix: np.ndarray, q: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """float64 cosines of the given (non-zero) rows with the unit query."""
    x = np.asarray(matrix[rows], dtype=np.float64)
    return (x @ q) / np.sqrt(np.einsum("ij,ij->i", x, x))


def top_rows(matrix, approx: np.ndarray, q, k: int, exclude: set[int]) -> list[tuple[int, float]]:
    """The ``k`` rows with the largest cosine to unit ``q`` (float64 order), minus ``exclude``."""
    approx = approx.copy()
    for i in exclude:
        approx[i] = -np.inf
    valid = int(np.isfinite(approx).sum())
    k = min(k, valid)
    if k <= 0:
        return []
    # float32 scores are within ~1e-6 of the truth: take a margin of candidates, re-rank exactly.
    m = min(valid, k + 64)
    cand = np.argpartition(-approx, m - 1)[:m]
    cand = cand[np.isfinite(approx[cand])]
    exact = exact_cosines(matrix, q, cand)
    order = np.lexsort((cand, -exact))[:k]
    return [(int(cand[o]), float(exact[o])) for o in order]


def neighbour_at(tokens, convention, i: int, cos: float) -> Neighbour:
    """Row ``i`` with its cosine as a :class:`Neighbour` (its token, or the row number without tokens)."""
    tok = tokens[i] if tokens is not None else str(i)
    return Neighbour(token=tok, index=i, cos=cos, text=strip_marker(tok, convention))


def nearest_tokens(emb, query, *, k: int = 10, exclude: Iterable[int] = (),
                   form: str = "word") -> list[Neighbour]:
    r"""The ``k`` non-zero rows nearest to ``query`` by cosine, closest first.

    ``query`` is a word (resolved with :func:`~repcap.studies.token_lookup.find_token`, its own row
    excluded), a row index (also excluded) or a vector :math:`q \in \mathbb{R}^d`. Returns rows :math:`i` sorted by
    :math:`\cos(x_i, q)` descending (ties by row index), computed exactly in float64 for the
    candidates a float32 scan proposes.
    """
    matrix = matrix_of(emb)
    tokens = getattr(emb, "tokens", None)
    convention = token_convention(tokens) if tokens is not None else "words"
    excluded = {int(i) for i in exclude}
    if isinstance(query, str):
        match = find_token(emb, query, form=form)
        excluded.add(match.index)
        q = unit_rows(emb, [match.index])[0]
    elif isinstance(query, (int, np.integer)):
        if not 0 <= int(query) < matrix.shape[0]:
            raise EmbeddingError(f"row {query} is outside 0..{matrix.shape[0] - 1}")
        excluded.add(int(query))
        q = unit_rows(emb, [int(query)])[0]
    else:
        q = np.asarray(query, dtype=np.float64).ravel()
        if q.shape[0] != matrix.shape[1]:
            raise EmbeddingError(f"query vector has {q.shape[0]} entries; the matrix has "
                                 f"d = {matrix.shape[1]} columns")
        norm = np.linalg.norm(q)
        if not np.isfinite(norm) or norm == 0:
            raise EmbeddingError("query vector is zero or not finite; it has no direction")
        q = q / norm
    if k < 1:
        raise EmbeddingError(f"k must be at least 1, got {k}")
    best = top_rows(matrix, scan_cosines(matrix, q), q, k, excluded)
    return [neighbour_at(tokens, convention, i, c) for i, c in best]
