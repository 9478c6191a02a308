r"""Embedding against unembedding (the paper's Appendix C): how a token's input and output rows relate.

For a model whose output layer :math:`U \in \mathbb{R}^{V \times d}` is separate from its input embedding
:math:`E \in \mathbb{R}^{V \times d}` (an *untied* model), token i has two directions, :math:`e_i` and
:math:`u_i`. The paper's Figure 9 is the distribution over tokens of

.. math:: c_i = \cos(e_i, u_i) = \frac{\langle e_i, u_i\rangle}{\lVert e_i\rVert\,\lVert u_i\rVert},

which it finds tightly centred near 0 (the two directions of a token are largely orthogonal), and its
Figure 10 the pairwise cosines among the rows of U. This module computes the :math:`c_i` exactly (float64
accumulation, block by block, so a 150k-token matrix never needs a float64 copy) and summarises them.
For tied models U = E and every :math:`c_i = 1`; the question does not arise.
"""

from __future__ import annotations

import numpy as np

from repcap.errors import EmbeddingError

__all__ = ["diagonal_cosines", "cosine_histogram", "summarise"]


def diagonal_cosines(embedding, unembedding, *, block: int = 16384) -> np.ndarray:
    r"""Per-token cosine between the embedding row and the unembedding row of the same token.

    .. math:: c_i = \frac{\sum_j E_{ij} U_{ij}}{\sqrt{\sum_j E_{ij}^2}\,\sqrt{\sum_j U_{ij}^2}},
              \qquad i = 1, \dots, \min(V_E, V_U)

    (the first rows of both when one matrix is padded to a longer vocabulary). Returns a float64 array
    with NaN for tokens whose embedding or unembedding row is all zeros (never-trained padding rows).
    Raises :class:`EmbeddingError` when the widths differ or a value is NaN/Inf.
    """
    E = np.asarray(embedding)
    U = np.asarray(unembedding)
    if E.ndim != 2 or U.ndim != 2:
        raise EmbeddingError(f"embedding and unembedding must be 2-D matrices, got shapes {E.shape} and {U.shape}")
    if E.shape[1] != U.shape[1]:
        raise EmbeddingError(f"embedding has width {E.shape[1]} but unembedding {U.shape[1]}; both must be "
                             "V × d_model of the same model")
    if block < 1:
        raise EmbeddingError(f"block must be ≥ 1, got {block}")
    n = min(E.shape[0], U.shape[0])
    out = np.empty(n, dtype=np.float64)
    for start in range(0, n, block):
        stop = min(start + block, n)
        e = np.asarray(E[start:stop], dtype=np.float64)
        u = np.asarray(U[start:stop], dtype=np.float64)
        if not (np.isfinite(e).all() and np.isfinite(u).all()):
            raise EmbeddingError(f"rows {start}–{start + len(e) - 1} contain NaN or Inf; the checkpoint is damaged")
        dot = np.einsum("ij,ij->i", e, u)
        norms = np.sqrt(np.einsum("ij,ij->i", e, e) * np.einsum("ij,ij->i", u, u))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:start + len(e)] = np.where(norms > 0, dot / np.where(norms > 0, norms, 1.0), np.nan)
    return out


def cosine_histogram(values, *, bins: int = 200, value_range: tuple[float, float] = (-1.0, 1.0)):
    """``(counts, edges)`` of the finite values on ``bins`` equal bins over ``value_range`` (the paper: 200 on [−1, 1])."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if bins < 1:
        raise EmbeddingError(f"bins must be ≥ 1, got {bins}")
    return np.histogram(v, bins=bins, range=value_range)


def summarise(values) -> dict:
    r"""Mean, standard deviation, median, 1st and 99th percentiles of the finite values, and

    ``frac_below_0_1`` = the fraction with :math:`|c_i| < 0.1` (nearly orthogonal pairs), ``n`` (finite
    values used) and ``dropped`` (NaN values left out).
    """
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        raise EmbeddingError("no finite cosine to summarise (every row was zero?)")
    q01, med, q99 = np.percentile(finite, [1, 50, 99])
    return {"n": int(finite.size), "dropped": int(v.size - finite.size), "mean": float(finite.mean()),
            "std": float(finite.std()), "median": float(med), "q01": float(q01), "q99": float(q99),
            "frac_below_0_1": float(np.mean(np.abs(finite) < 0.1))}
