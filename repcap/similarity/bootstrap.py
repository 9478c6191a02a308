r"""Token-bootstrap confidence intervals for ε = µ + 2σ, each replicate from a weighted d × d Gram.

**Why tokens, not pairs.** The N = V(V − 1)/2 cosines are not independent: every cosine shares a
token with 2(V − 2) others. Resampling pairs would treat them as independent and give intervals far
too narrow. The bootstrap here resamples *tokens*: V rows drawn with replacement, which gives each
token a multiplicity :math:`c_i \ge 0` with :math:`\sum_i c_i = V` (a multinomial draw), and ε is
recomputed on that multiset.

**How the multiset's pairs count.** The multiset has V elements and :math:`V(V-1)/2` pairs of
elements. Of these, :math:`\sum_i c_i(c_i-1)/2` pair two copies of the *same* token; they are not a
pair of distinct tokens (their "cosine" is 1 by construction, and counting them would inflate µ and
σ by about 1/V), so they are dropped. Each pair of distinct tokens *i* ≠ *j* occurs
:math:`c_i c_j` times. The replicate's pair sums are therefore the weighted sums

.. math::

    W = \sum_{i<j} c_i c_j = \frac{V^2 - \sum_i c_i^2}{2}, \qquad
    S_1^* = \sum_{i<j} c_i c_j \cos_{ij}
          = \frac{\lVert \sum_i c_i \hat x_i\rVert^2 - \sum_i c_i^2}{2},

.. math::

    S_2^* = \sum_{i<j} c_i c_j \cos_{ij}^2
          = \frac{\lVert \hat X^\top \operatorname{diag}(c)\,\hat X\rVert_F^2
            - \sum_i c_i^2}{2},

(the same identities as in :mod:`repcap.similarity.moments`, with the diagonal terms
:math:`c_i^2 \cos_{ii} = c_i^2` removed), and
:math:`\mu^* = S_1^*/W`, :math:`\sigma^{*2} = S_2^*/W - \mu^{*2}`,
:math:`\varepsilon^* = \mu^* + 2\sigma^*`.
With all :math:`c_i = 1` this is exactly the full-sample ε. The :math:`(1-\text{level})/2` and
:math:`(1+\text{level})/2` quantiles of the replicates :math:`\varepsilon^*_b` form the percentile
interval.

**Evaluation.** The replicate sums are computed in the centred form of
:mod:`repcap.similarity.moments` (rows shifted by the full-sample mean), so that σ* stays accurate
even when µ is close to 1 and the Gram products run in float32.

**Cost.** :math:`\hat X^\top \operatorname{diag}(c) \hat X = Y^\top Y` with
:math:`Y = \operatorname{diag}(\sqrt{c})\hat X` restricted to the rows with :math:`c_i > 0` (on
average :math:`1 - 1/e \approx 63\%` of them), so a replicate costs about :math:`0.63\,V d^2`
multiply-adds and :math:`O(d^2)` memory, never a pair.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from repcap.common.checks import check_int
from repcap.common.progress import bar
from repcap.errors import SimilarityError
from repcap.similarity.inputs import as_matrix, chunk_rows, normalised_chunks
from repcap.similarity.moments import CentredSums, centred_totals
from repcap.similarity.parallel import default_workers, ordered_map
from repcap.similarity.results import BootstrapResult

# Below this many numbers in the V × d² matrix of row outer products, replicates are computed in
# exact float64 batches (fast for the small matrices of tests and synthetic studies).
SMALL_OUTER_ELEMENTS = 1 << 22
_DTYPES = {"float32": np.float32, "float64": np.float64}


class Replicates:
    r"""ε of token multisets of one matrix, each from a weighted d × d Gram.

    Holds the rows shifted by a fixed vector, :math:`r_i = \hat x_i - m` (in ``dtype``), and
    :math:`\delta_i = \lVert m + r_i\rVert^2 - 1` (float64, from the stored rows). For counts
    :math:`c` (token *i* held :math:`c_i` times) it forms the weighted sums of
    :class:`~repcap.similarity.moments.CentredSums` and returns their ε.
    """

    def __init__(self, shifted: np.ndarray, shift: np.ndarray):
        self.r = shifted
        self.shift = np.asarray(shift, dtype=np.float64)
        r64 = shifted.astype(np.float64, copy=False)
        q = float(self.shift @ self.shift)
        self.delta = (q - 1.0) + 2.0 * (r64 @ self.shift) + np.einsum("ij,ij->i", r64, r64)

    @classmethod
    def from_unit(cls, unit: np.ndarray, dtype: str = "float64") -> "Replicates":
        """From normalised rows, shifted by their mean."""
        unit = np.asarray(unit, dtype=np.float64)
        shift = unit.mean(axis=0)
        return cls((unit - shift).astype(_DTYPES[dtype]), shift)

    def eps(self, counts: np.ndarray) -> float:
        """ε* of one multiset (chunked syrk over the rows with cᵢ > 0)."""
        counts = np.asarray(counts)
        used = np.flatnonzero(counts)
        w = counts[used].astype(np.float64)
        w2 = w * w
        n, big_q = float(w.sum()), float(w2.sum())
        if n * n - big_q <= 0:
            raise SimilarityError("the multiset holds fewer than two distinct rows")
        dtype = self.r.dtype
        # Σ c_i r_i as one matrix-vector product over all rows (zero weights included).
        u = (counts.astype(dtype) @ self.r).astype(np.float64)
        gram = np.zeros((self.r.shape[1],) * 2, dtype=np.float64)
        step = chunk_rows(self.r.shape[1])
        for lo in range(0, used.size, step):
            rows = self.r[used[lo:lo + step]]
            rows *= np.sqrt(w[lo:lo + step]).astype(dtype)[:, None]
            gram += rows.T @ rows  # a syrk: Σ c_i r_i r_iᵀ = YᵀY with Y = diag(√c) R
        delta = self.delta[used]
        sums = CentredSums(shift=self.shift, n=n, q_weights=big_q, u=u, gram=gram,
                           d1=float(w2 @ delta), d2=float(w2 @ (delta * delta)))
        return sums.moments()[2]

    def eps_batch(self, counts: np.ndarray) -> np.ndarray:
        """ε* for a batch of count vectors (B × V) at once, in float64, through the V × d² matrix
        of row outer products: Σ cᵢ rᵢrᵢᵀ = (C Z)_b with Z_i = vec(rᵢ rᵢᵀ)."""
        r = self.r.astype(np.float64, copy=False)
        v, d = r.shape
        outer = np.einsum("ia,ib->iab", r, r).reshape(v, d * d)
        c = counts.astype(np.float64)
        c2 = c * c
        n = c.sum(axis=1)
        big_q = c2.sum(axis=1)
        den = n * n - big_q
        u = c @ r
        m = self.shift[None, :] + u / n[:, None]
        q = np.einsum("bj,bj->b", m, m)
        h = (c @ outer).reshape(-1, d, d) - np.einsum("bi,bj->bij", u, u) / n[:, None, None]
        one_q = 1.0 - q
        d1, d2 = c2 @ self.delta, c2 @ (self.delta * self.delta)
        p1 = one_q * big_q + d1
        p2 = one_q * one_q * big_q + 2.0 * one_q * d1 + d2
        mean = q - p1 / den
        var = (np.einsum("bij,bij->b", h, h) + 2.0 * n * np.einsum("bi,bij,bj->b", m, h, m)
               - p2 - p1 * p1 / den) / den
        return mean + 2.0 * np.sqrt(np.maximum(var, 0.0))


def multiset_eps(unit: np.ndarray, counts: np.ndarray, *, dtype: str = "float64") -> float:
    r"""ε of the multiset that holds row *i* of ``unit`` (normalised rows) ``counts[i]`` times,
    pairs of two copies of one row excluded:

    .. math::

        \varepsilon^* = \mu^* + 2\sigma^*,\quad
        \mu^* = \frac{\lVert\sum_i c_i\hat x_i\rVert^2 - \sum_i c_i^2}{n^2 - \sum_i c_i^2},\quad
        \sigma^{*2} = \frac{\lVert\hat X^\top\operatorname{diag}(c)\hat X\rVert_F^2
                      - \sum_i c_i^2}{n^2 - \sum_i c_i^2} - \mu^{*2},

    with n = Σ cᵢ (evaluated in the centred form). ``dtype`` is the precision of the Gram product.
    """
    return Replicates.from_unit(unit, dtype).eps(counts)


def _shifted_rows(X: Any, shift: np.ndarray, dtype, drop_zero_rows: bool) -> np.ndarray:
    """The usable rows of ``X``, normalised, minus ``shift``, in ``dtype`` (chunk by chunk)."""
    matrix = as_matrix(X)
    out = np.empty(matrix.shape, dtype=dtype)
    filled = 0
    for chunk in normalised_chunks(matrix, drop_zero_rows=drop_zero_rows):
        k = chunk.unit.shape[0]
        out[filled:filled + k] = chunk.unit - shift
        filled += k
    return out[:filled]


def bootstrap_eps(X: Any, *, n_boot: int = 200, level: float = 0.95, seed: int = 0,
                  progress: bool = True, dtype: str = "float32",
                  drop_zero_rows: bool = True) -> BootstrapResult:
    r"""Percentile bootstrap interval for ε = µ + 2σ, resampling tokens (rows) with replacement.

    Replicate *b* draws V row indices uniformly with replacement (multiplicities :math:`c^{(b)}`)
    and computes, pairs of two copies of one token excluded,

    .. math::

        \varepsilon^*_b = \mu^*_b + 2\sigma^*_b,\qquad
        \mu^*_b = \frac{\lVert\sum_i c_i\hat x_i\rVert^2 - \sum_i c_i^2}{V^2 - \sum_i c_i^2},\qquad
        \sigma^{*2}_b = \frac{\lVert\hat X^\top\operatorname{diag}(c)\hat X\rVert_F^2
                              - \sum_i c_i^2}{V^2 - \sum_i c_i^2} - \mu^{*2}_b .

    The interval is [q_{(1−level)/2}, q_{(1+level)/2}] of the :math:`\varepsilon^*_b` (NumPy's
    default linear quantiles); the point estimate is the exact ε of all tokens
    (:func:`exact_moments`). See the module docstring for the derivation.

    Parameters
    ----------
    n_boot : number of replicates (≥ 2).
    level : coverage of the interval, in (0, 1).
    seed : seed of NumPy's ``default_rng``; the same seed gives the same replicates.
    progress : show a tqdm bar over the replicates.
    dtype : ``"float32"`` (default) or ``"float64"``: precision of each replicate's Gram product
        (accumulated in float64 across row chunks). float32 perturbs each ε*_b by about 1e-7
        relative, far below the interval's width; small problems (V·d² ≤ 4·10⁶) always run in exact
        float64 batches.

    Raises
    ------
    repcap.errors.SimilarityError for bad settings; repcap.errors.EmbeddingError for a bad matrix.
    """
    start = time.perf_counter()
    n_boot = check_int("bootstrap_eps: n_boot", n_boot, 2, error=SimilarityError,
                       integral_floats=False)
    if not (isinstance(level, (int, float)) and 0.0 < float(level) < 1.0):
        raise SimilarityError(
            f"bootstrap_eps: level must lie strictly between 0 and 1, got {level!r}")
    if dtype not in _DTYPES:
        raise SimilarityError(
            f"bootstrap_eps: dtype must be one of {sorted(_DTYPES)}, got {dtype!r}")
    sums, v, _ = centred_totals(X, drop_zero_rows=drop_zero_rows)
    point = sums.moments()[2]
    mean_row = sums.shift + sums.u / sums.n
    d = mean_row.shape[0]
    small = v * d * d <= SMALL_OUTER_ELEMENTS
    storage = np.float64 if small else _DTYPES[dtype]
    engine = Replicates(_shifted_rows(X, mean_row, storage, drop_zero_rows), mean_row)
    rng = np.random.default_rng(seed)
    batch = max(1, SMALL_OUTER_ELEMENTS // max(v + d * d, 1)) if small else 1
    sizes = [min(batch, int(n_boot) - lo) for lo in range(0, int(n_boot), batch)]

    def draws():
        # The replicates' token draws, in a fixed order from one generator: reproducible by seed.
        for size in sizes:
            yield np.stack([np.bincount(rng.integers(0, v, size=v), minlength=v)
                            for _ in range(size)])

    if small:
        work = engine.eps_batch
    else:
        work = lambda counts: np.array([engine.eps(counts[0])])  # noqa: E731
    parts = []
    with bar(int(n_boot), "bootstrap ε", unit="rep", enabled=progress) as pbar:
        for values in ordered_map(work, draws(), default_workers()):
            parts.append(values)
            pbar.update(len(values))
    reps = np.concatenate(parts)
    lo, hi = percentile_interval(reps, level)
    return BootstrapResult(eps=float(point), ci_low=float(lo), ci_high=float(hi),
                           level=float(level), n_boot=int(n_boot), replicates=reps,
                           std_error=float(reps.std(ddof=1)),
                           seed=int(seed), seconds=time.perf_counter() - start)



# --------------------------------------------------------------------------------------------
# Bootstrap over groups of rows (documents of a corpus): the groups are resampled, not the rows.
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupPairSums:
    r"""Sums over pairs of unit rows that come in G groups (e.g. the token positions of G documents),
    enough to recompute ε exactly for any multiset of groups (:func:`group_eps`).

    For groups *g*, *h* with cosines :math:`c_{ij}` of rows *i* ∈ g, *j* ∈ h (the diagonal
    :math:`c_{ii}` included) and a fixed shift :math:`\mu_0` (the full sample's µ):

    ``sizes[g]`` = :math:`n_g`; ``cross[g, h]`` = :math:`\sum_{i\in g, j\in h} c_{ij}`;
    ``cross_sq[g, h]`` = :math:`\sum_{i\in g, j\in h} (c_{ij} - \mu_0)^2`;
    ``diag[g]`` = :math:`\sum_{i\in g} c_{ii}`, ``diag_sq[g]`` = :math:`\sum_{i\in g}(c_{ii}-\mu_0)^2`.
    """

    sizes: np.ndarray
    cross: np.ndarray
    cross_sq: np.ndarray
    diag: np.ndarray
    diag_sq: np.ndarray
    shift: float


def group_counts(n_groups: int, n_boot: int, seed: int) -> np.ndarray:
    """``n_boot`` × ``n_groups`` multiplicities: each row draws ``n_groups`` groups uniformly with
    replacement (NumPy ``default_rng(seed)``; the same seed gives the same draws)."""
    n_boot = check_int("group bootstrap: n_boot", n_boot, 2, error=SimilarityError,
                       integral_floats=False)
    if n_groups < 2:
        raise SimilarityError(f"a bootstrap over groups needs at least two groups, got {n_groups}")
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_groups, size=(n_boot, n_groups))
    return np.stack([np.bincount(row, minlength=n_groups) for row in draws])


def group_eps(sums: GroupPairSums, counts: np.ndarray) -> np.ndarray:
    r"""ε* (an array of B) of the resamples that hold group *g* ``counts[b, g]`` times (``counts``:
    B × G, or one vector of G for B = 1).

    **Which pairs count.** The sample's pairs are pairs of distinct rows of one group and pairs of
    rows of two *different* groups. A resample keeps exactly those kinds: each copy of a group
    brings its own within-group pairs, and two copies of *different* groups bring every pair between
    them; pairs between two copies of the *same* group are dropped. (They would be within-group
    pairs posing as between-group ones: counting them doubles the expected share of within-group
    pairs, and ε* then sits above ε wherever rows of one document are more alike than rows of two,
    the same reason :func:`multiset_eps` drops pairs of two copies of one token.) With weights
    :math:`w_g`, :math:`C` = ``cross``, :math:`C'` = ``cross_sq``, ordered pairs:

    .. math::

        P = (w^\top n)^2 - \sum_g w_g^2 n_g^2 + \sum_g w_g\, n_g(n_g - 1),

    .. math::

        \mu^* = \frac{\sum_{g\ne h} w_g w_h C_{gh} + \sum_g w_g (C_{gg} - \mathrm{diag}_g)}{P},

    .. math::

        \sigma^{*2} = \frac{\sum_{g\ne h} w_g w_h C'_{gh}
                      + \sum_g w_g (C'_{gg} - \mathrm{diag\_sq}_g)}{P} - (\mu^* - \mu_0)^2,
        \qquad \varepsilon^* = \mu^* + 2\sigma^*.

    The variance is taken about the shift :math:`\mu_0` (variance
    does not depend on it), so σ* keeps its precision when µ is near 1. With every
    :math:`w_g = 1`, P = N(N − 1) and this is the full sample's ε.
    """
    w = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    n = sums.sizes

    def pair_sum(cross: np.ndarray, diag: np.ndarray) -> np.ndarray:
        within = np.diagonal(cross)
        between = cross - np.diag(within)
        return np.einsum("bg,gh,bh->b", w, between, w) + w @ (within - diag)

    pairs = (w @ n) ** 2 - (w * w) @ (n * n) + w @ (n * (n - 1.0))
    if np.any(pairs <= 0):
        raise SimilarityError("a resample of groups holds fewer than two rows")
    mean = pair_sum(sums.cross, sums.diag) / pairs
    second = pair_sum(sums.cross_sq, sums.diag_sq) / pairs
    var = np.maximum(second - (mean - sums.shift) ** 2, 0.0)
    return mean + 2.0 * np.sqrt(var)


def percentile_interval(replicates: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The percentile interval [q_{(1−level)/2}, q_{(1+level)/2}] of bootstrap replicates (NumPy's
    default linear quantiles), as :func:`bootstrap_eps` forms it."""
    if not 0.0 < float(level) < 1.0:
        raise SimilarityError(f"level must lie strictly between 0 and 1, got {level!r}")
    lo, hi = np.quantile(np.asarray(replicates), [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return float(lo), float(hi)
