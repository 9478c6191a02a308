r"""Exact moments of all pairwise cosines without touching the pairs.

Let :math:`\hat x_1, \dots, \hat x_V \in \mathbb{R}^d` be the non-zero rows of an embedding matrix,
normalised to unit length, :math:`\hat X \in \mathbb{R}^{V\times d}` the matrix they form, and
:math:`c_{ij} = \hat x_i \cdot \hat x_j` the cosine of rows *i* and *j*. The paper's estimate of the
accepted deviation is :math:`\varepsilon = \mu + 2\sigma`, where µ and σ are the mean and the
(population) standard deviation of the :math:`N = V(V-1)/2` values :math:`c_{ij}`, *i < j*.

**Derivation.** Put :math:`s = \sum_i \hat x_i \in \mathbb{R}^d` and
:math:`G = \hat X^\top \hat X = \sum_i \hat x_i \hat x_i^\top \in \mathbb{R}^{d\times d}`. Then

.. math::

    \lVert s\rVert^2 = \sum_{i,j} \hat x_i\cdot\hat x_j = \sum_{i,j} c_{ij}, \qquad
    \lVert G\rVert_F^2 = \sum_{a,b}\Big(\sum_i \hat x_{ia}\hat x_{ib}\Big)^2
        = \sum_{i,j}\Big(\sum_a \hat x_{ia}\hat x_{ja}\Big)^2 = \sum_{i,j} c_{ij}^2 .

Both double sums run over ordered pairs and include the diagonal :math:`c_{ii} = 1`. Removing the
V diagonal terms and halving (the sums are symmetric in *i*, *j*) gives the two pair sums

.. math::

    S_1 = \sum_{i<j} c_{ij} = \frac{\lVert s\rVert^2 - V}{2}, \qquad
    S_2 = \sum_{i<j} c_{ij}^2 = \frac{\lVert \hat X^\top \hat X\rVert_F^2 - V}{2},

and with them :math:`\mu = S_1/N`, :math:`\sigma^2 = S_2/N - \mu^2` and
:math:`\varepsilon = \mu + 2\sigma`.
Computing *s* and *G* is one pass over the rows, :math:`O(V d^2)` time and :math:`O(d^2)` memory,
instead of the :math:`O(V^2 d)` time of forming every :math:`c_{ij}`.

**Numerically stable form (what the code evaluates).** For strongly anisotropic embeddings
(µ near 1, as Gemma 7B's ε ≈ 0.999) :math:`S_2/N` and :math:`\mu^2` nearly cancel and the formula
above would lose σ. The code therefore centres the rows first: with any shift :math:`m_0` (the
mean of a spread of rows), :math:`r_i = \hat x_i - m_0`, :math:`u = \sum_i r_i`, the exact mean
:math:`m = m_0 + u/V`, :math:`q = \lVert m\rVert^2` and the centred Gram
:math:`H = \sum_i r_i r_i^\top - uu^\top/V`, substituting :math:`G = H + V mm^\top` and
:math:`\sum_i\lVert\hat x_i\rVert^2 = \operatorname{tr}H + Vq` into the pair sums and simplifying
gives (:math:`a_i = \lVert \hat x_i\rVert^2 = 1 + \delta_i`, δ of order 1e-16)

.. math::

    \mu = q - \frac{P_1}{V^2 - V},\qquad
    \sigma^2 = \frac{\lVert H\rVert_F^2 + 2V\,m^\top H m - P_2 - P_1^2/(V^2-V)}{V^2 - V},

with :math:`P_1 = \sum_i (a_i - q) = (1-q)V + \sum_i\delta_i` and
:math:`P_2 = \sum_i (a_i - q)^2`. Every term is non-negative or small
(:math:`\lVert H\rVert_F^2 \ge (\operatorname{tr} H)^2/d` while
:math:`P_2 \approx (\operatorname{tr}H)^2/V`),
so nothing cancels catastrophically and σ keeps close to full float64 precision however close µ is
to 1. The same expressions with integer weights :math:`c_i` (:math:`V \to n = \sum c_i`,
:math:`V^2 - V \to n^2 - \sum c_i^2`, sums weighted by :math:`c_i` and the :math:`P` sums by
:math:`c_i^2`) give the bootstrap replicates (:mod:`repcap.similarity.bootstrap`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repcap.similarity.inputs import (as_matrix, chunk_rows, label, normalise_chunk, raise_bad_rows,
                                      require_two)
from repcap.similarity.parallel import default_workers, ordered_map
from repcap.similarity.results import Moments

SHIFT_ROWS = 4096  # rows (spread over the matrix) whose mean is the centring shift m0


@dataclass
class CentredSums:
    r"""Weighted sums of shifted rows :math:`r_i = \hat x_i - m_0` (float64):

    ``n`` = Σ cᵢ, ``q_weights`` = Σ cᵢ², ``u`` = Σ cᵢ rᵢ, ``gram`` = Σ cᵢ rᵢ rᵢᵀ,
    ``d1`` = Σ cᵢ² δᵢ, ``d2`` = Σ cᵢ² δᵢ², with δᵢ = ‖x̂ᵢ‖² − 1. Unweighted: all cᵢ = 1.
    """

    shift: np.ndarray
    n: float = 0.0
    q_weights: float = 0.0
    u: np.ndarray = field(default=None)  # type: ignore[assignment]
    gram: np.ndarray = field(default=None)  # type: ignore[assignment]
    d1: float = 0.0
    d2: float = 0.0

    def __post_init__(self) -> None:
        dim = self.shift.shape[0]
        if self.u is None:
            self.u = np.zeros(dim, dtype=np.float64)
        if self.gram is None:
            self.gram = np.zeros((dim, dim), dtype=np.float64)

    def add(self, other: "CentredSums") -> None:
        self.n += other.n
        self.q_weights += other.q_weights
        self.u += other.u
        self.gram += other.gram
        self.d1 += other.d1
        self.d2 += other.d2

    def moments(self) -> tuple[float, float, float]:
        r"""``(mean, std, eps)`` of the pairs of distinct rows, weighted by cᵢcⱼ (see the module
        docstring): µ = q − P₁/(n² − Q), σ² = (‖H‖²_F + 2n mᵀHm − P₂ − P₁²/(n² − Q))/(n² − Q)."""
        n, big_q = self.n, self.q_weights
        den = n * n - big_q
        m = self.shift + self.u / n
        q = float(m @ m)
        h = self.gram - np.outer(self.u, self.u) / n
        one_q = 1.0 - q
        p1 = one_q * big_q + self.d1
        p2 = one_q * one_q * big_q + 2.0 * one_q * self.d1 + self.d2
        mean = q - p1 / den
        var = (float(np.einsum("ij,ij->", h, h)) + 2.0 * n * float(m @ h @ m) - p2
               - p1 * p1 / den) / den
        std = float(np.sqrt(max(var, 0.0)))
        return float(mean), std, float(mean + 2.0 * std)


def centred_partial(unit: np.ndarray, shift: np.ndarray) -> CentredSums:
    """The unweighted :class:`CentredSums` of one block of normalised float64 rows."""
    r = unit - shift
    delta = np.einsum("ij,ij->i", unit, unit) - 1.0
    # ``r.T @ r`` on one buffer is a BLAS syrk in NumPy: half the multiply-adds of a GEMM.
    return CentredSums(shift=shift, n=float(unit.shape[0]), q_weights=float(unit.shape[0]),
                       u=r.sum(axis=0), gram=r.T @ r, d1=float(delta.sum()),
                       d2=float((delta * delta).sum()))


def spread_shift(matrix: np.ndarray, rows: int = SHIFT_ROWS) -> np.ndarray:
    """Mean of up to ``rows`` normalised rows taken at a regular stride through ``matrix``: a
    centring shift close to the true mean (zero when no usable row is met)."""
    n, d = matrix.shape
    stride = max(1, n // rows)
    _, chunk = normalise_chunk(np.asarray(matrix[::stride][:rows]), 0)
    if chunk is None or chunk.unit.shape[0] == 0:
        return np.zeros(d, dtype=np.float64)
    return chunk.unit.mean(axis=0)


def moments_from_sums(s1: float, s2: float, pairs: float) -> tuple[float, float, float]:
    r"""``(mean, std, eps)`` from pair sums: µ = S₁/N, σ = √max(S₂/N − µ², 0), ε = µ + 2σ."""
    mean = s1 / pairs
    var = max(s2 / pairs - mean * mean, 0.0)
    std = float(np.sqrt(var))
    return float(mean), std, float(mean + 2.0 * std)


def centred_totals(X: Any, *, drop_zero_rows: bool = True) -> tuple[CentredSums, int, int]:
    """``(sums, rows used, all-zero rows dropped)`` over every row of ``X``, checked (one pass,
    chunks spread over the cores and merged in order)."""
    what = label(X)
    matrix = as_matrix(X, what)
    n, d = matrix.shape
    shift = spread_shift(matrix)
    total = CentredSums(shift=shift)
    step = chunk_rows(d)

    def work(lo: int):
        bad, chunk = normalise_chunk(matrix[lo:lo + step], lo, drop_zero_rows=drop_zero_rows,
                                     what=what)
        if chunk is None:
            return bad, None
        return 0, centred_partial(chunk.unit, shift)

    bad = 0
    for nbad, part in ordered_map(work, range(0, n, step), default_workers()):
        bad += nbad
        if part is not None and not bad:
            total.add(part)
    raise_bad_rows(bad, n, what)
    used = int(total.n)
    require_two(used, n - used, what)
    return total, used, n - used


def exact_moments(X: Any, *, drop_zero_rows: bool = True) -> Moments:
    r"""Exact µ, σ and ε = µ + 2σ of the cosines of all pairs of rows, from one d × d Gram pass.

    With :math:`\hat X` the row-normalised matrix of the V non-zero rows and N = V(V − 1)/2:

    .. math::

        S_1 = \sum_{i<j}\cos_{ij} = \frac{\lVert\sum_i \hat x_i\rVert^2 - V}{2},\quad
        S_2 = \sum_{i<j}\cos_{ij}^2 = \frac{\lVert\hat X^\top\hat X\rVert_F^2 - V}{2},

    .. math::

        \mu = S_1/N,\quad \sigma = \sqrt{S_2/N - \mu^2},\quad \varepsilon = \mu + 2\sigma,

    evaluated in the centred form of the module docstring (same values, no cancellation when µ is
    near 1). σ is the population standard deviation over the N pairs (the paper's streamed path);
    the unbiased version differs by a factor :math:`\sqrt{N/(N-1)}`, i.e. by about 1/V². No
    centring of the *data* is applied (the paper applies none; the shift above is only arithmetic).
    Cost: :math:`O(Vd^2)` time, :math:`O(d^2)` memory, float64 throughout.

    Parameters
    ----------
    X : array, torch tensor, or object with a ``.matrix`` attribute (an Embedding)
        V × d floating-point matrix, one row per token.
    drop_zero_rows : bool
        Drop all-zero rows (the paper does). If False, an all-zero row is an error.

    Raises
    ------
    repcap.errors.EmbeddingError
        for a non-2-D or non-float matrix, NaN/Inf rows (the message gives their number), or fewer
        than two usable rows.
    """
    start = time.perf_counter()
    sums, used, zero = centred_totals(X, drop_zero_rows=drop_zero_rows)
    mean, std, eps = sums.moments()
    return Moments(n_rows=used, zero_rows=zero, dim=int(sums.shift.shape[0]),
                   pairs=used * (used - 1) // 2, mean=mean, std=std, eps=eps,
                   seconds=time.perf_counter() - start)
