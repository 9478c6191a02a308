"""Result records of the similarity engine: plain data that serialise to JSON and CSV.

Every record has ``to_dict()`` returning only JSON-able values (ints, floats, strings, lists);
NumPy arrays that can be long (per-row nearest neighbours, bootstrap replicates) stay as attributes
and are summarised or left out of the dict. Rows for a CSV writer come from
:meth:`PairStats.histogram_rows` and :meth:`PairStats.top_pair_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repcap.laws.classes import classify


@dataclass(frozen=True)
class Moments:
    """Exact mean, standard deviation and ε of all pairwise cosines (see :func:`exact_moments`).

    ``n_rows`` rows were analysed (all-zero rows dropped; ``zero_rows`` counts them), ``dim`` is
    their length, ``pairs`` = n_rows (n_rows − 1) / 2, ``mean`` = µ, ``std`` = σ (population, over
    the pairs), ``eps`` = µ + 2σ; ``seconds`` is the wall time of the computation.
    """

    n_rows: int
    zero_rows: int
    dim: int
    pairs: int
    mean: float
    std: float
    eps: float
    seconds: float

    @property
    def klass(self) -> str:
        """The paper's class of ``eps`` (:func:`repcap.laws.classify`)."""
        return classify(self.eps)

    def to_dict(self) -> dict[str, Any]:
        return {"n_rows": self.n_rows, "zero_rows": self.zero_rows, "dim": self.dim,
                "pairs": self.pairs, "mean": self.mean, "std": self.std, "eps": self.eps,
                "class": self.klass, "seconds": self.seconds}


@dataclass(frozen=True)
class BootstrapResult:
    """A token-bootstrap percentile interval for ε (see :func:`bootstrap_eps`).

    ``eps`` is the exact point estimate on all tokens, ``replicates`` the ``n_boot`` bootstrap
    values ε*_b, and [``ci_low``, ``ci_high``] their (1 − level)/2 and (1 + level)/2 quantiles;
    ``std_error`` is the standard deviation of the replicates.
    """

    eps: float
    ci_low: float
    ci_high: float
    level: float
    n_boot: int
    replicates: np.ndarray = field(repr=False)
    std_error: float = float("nan")
    seed: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Scalars only (the replicates are left out)."""
        return {"eps": self.eps, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "level": self.level, "n_boot": self.n_boot, "std_error": self.std_error,
                "seed": self.seed, "seconds": self.seconds}


@dataclass(frozen=True)
class PairStats:
    """What the streaming all-pairs pass measured (see :func:`all_pairs`, :func:`sampled_pairs`).

    Pair statistics, over the ``pairs`` = n(n − 1)/2 unordered pairs of the n analysed rows:

    ``counts``/``edges``
        histogram of the cosines: ``counts[k]`` = #{pairs with edges[k] ≤ cos < edges[k+1]}, the
        last bin closed on the right (NumPy's convention); ``below``/``above`` count cosines outside
        ``value_range`` so that ``counts.sum() + below + above == pairs``.
    ``mean``, ``std``, ``eps``
        µ, σ (population) and µ + 2σ of the cosines of the rows as the pass multiplied them
        (rounded to ``dtype``): µ from exact float64 sums of rows, σ from the products' squared
        deviations around the exact mean.
    ``min``, ``max``
        smallest and largest cosine; ``clamped`` counts values that rounding pushed outside
        [−1, 1] (duplicate rows) and that were clamped back onto it.
    ``nn_index``, ``nn_cos``
        per row of the input (length = its row count; for the sampled pass, per sampled row): the
        index of its nearest other row by cosine (ties: the smallest index) and that cosine;
        −1 and NaN for dropped all-zero rows.
    ``top_pairs``
        the most similar pairs as ``(i, j, cos)`` with i < j, by decreasing cosine (ties by i, j).

    ``seconds`` and ``cpu_seconds`` are the wall and process CPU time of the block loop.
    Indices always refer to the rows of the matrix as given. ``sample_index`` (sampled pass only)
    lists the rows that were used, in increasing order; ``nn_index``/``nn_cos`` follow that order.
    """

    pairs: int
    counts: np.ndarray = field(repr=False)
    edges: np.ndarray = field(repr=False)
    mean: float
    std: float
    eps: float
    min: float
    max: float
    nn_index: np.ndarray = field(repr=False)
    nn_cos: np.ndarray = field(repr=False)
    top_pairs: list[tuple[int, int, float]]
    clamped: int
    seconds: float
    device: str
    dtype: str
    cpu_seconds: float = 0.0
    n_rows: int = 0
    zero_rows: int = 0
    below: int = 0
    above: int = 0
    block_size: int = 0
    workers: int = 1
    sample_index: np.ndarray | None = field(default=None, repr=False)

    @property
    def bins(self) -> int:
        return int(len(self.counts))

    @property
    def centers(self) -> np.ndarray:
        """Bin centres (edges[k] + edges[k+1]) / 2."""
        return (self.edges[:-1] + self.edges[1:]) / 2

    @property
    def klass(self) -> str:
        return classify(self.eps)

    def percent_per_bin(self) -> np.ndarray:
        """The paper's y-axis: 100 · counts[k] / pairs (percentage of all pairs in each bin)."""
        return 100.0 * self.counts.astype(np.float64) / self.pairs

    def nn_counts(self) -> np.ndarray:
        """How often each row is some other row's nearest neighbour: c_k = #{i : nn(i) = k},
        indexed by row of the input (length: one past the largest row index chosen, at least the
        number of per-row entries)."""
        picked = self.nn_index[self.nn_index >= 0]
        return np.bincount(picked, minlength=int(self.nn_index.shape[0]))

    def primary_tokens(self, k: int = 3, examples: int = 3) -> list[dict[str, Any]]:
        """The paper's "primary tokens" (Figure 3): the ``k`` rows most often chosen as nearest
        neighbour, each with its count and up to ``examples`` rows that chose it (most similar
        first). Ties in the count go to the smaller row index."""
        counts = self.nn_counts()
        order = np.lexsort((np.arange(counts.size), -counts))[:k]
        rows = (np.arange(self.nn_index.shape[0]) if self.sample_index is None
                else np.asarray(self.sample_index))
        out = []
        for p in order:
            if counts[p] == 0:
                break
            chosen = np.flatnonzero(self.nn_index == p)
            chosen = chosen[np.argsort(-self.nn_cos[chosen], kind="stable")][:examples]
            out.append({"index": int(p), "count": int(counts[p]),
                        "examples": [(int(rows[c]), float(self.nn_cos[c])) for c in chosen]})
        return out

    def histogram_rows(self) -> list[dict[str, Any]]:
        """One CSV row per bin: lo, hi, count, percent."""
        pct = self.percent_per_bin()
        return [{"lo": float(self.edges[k]), "hi": float(self.edges[k + 1]),
                 "count": int(self.counts[k]), "percent": float(pct[k])}
                for k in range(self.bins)]

    def top_pair_rows(self) -> list[dict[str, Any]]:
        """One CSV row per top pair: i, j, cos."""
        return [{"i": i, "j": j, "cos": c} for i, j, c in self.top_pairs]

    def to_dict(self) -> dict[str, Any]:
        """Scalars, the histogram (counts and edges as lists), the top pairs and a summary of the
        nearest-neighbour cosines; the per-row arrays themselves are left out."""
        valid = self.nn_cos[np.isfinite(self.nn_cos)]
        out = {"pairs": self.pairs, "n_rows": self.n_rows, "zero_rows": self.zero_rows,
               "mean": self.mean, "std": self.std, "eps": self.eps, "class": self.klass,
               "min": self.min, "max": self.max, "clamped": self.clamped,
               "below": self.below, "above": self.above, "bins": self.bins,
               "counts": [int(c) for c in self.counts], "edges": [float(e) for e in self.edges],
               "top_pairs": [[int(i), int(j), float(c)] for i, j, c in self.top_pairs],
               "nn_cos_mean": float(valid.mean()) if valid.size else float("nan"),
               "nn_cos_median": float(np.median(valid)) if valid.size else float("nan"),
               "seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "device": self.device,
               "dtype": self.dtype,
               "block_size": self.block_size, "workers": self.workers}
        if self.sample_index is not None:
            out["sample"] = int(len(self.sample_index))
        return out
