r"""The similarity engine: ε = µ + 2σ of all pairwise cosines of token-embedding rows.
May import ``repcap.sources``, ``repcap.catalog``, ``repcap.common`` and ``repcap.errors`` (never a layer
above it).

The paper's central measurement is the mean µ and standard deviation σ of the cosines
:math:`c_{ij} = \hat x_i\cdot\hat x_j` of all :math:`N = V(V-1)/2` pairs of non-zero rows
(zero rows dropped, no centring), and :math:`\varepsilon = \mu + 2\sigma`.

API (what the chapters and the CLI call)::

    exact_moments(X, *, drop_zero_rows=True) -> Moments
        µ, σ, ε exactly from one d × d Gram pass: O(V d²), no pairs (moments.py).
    bootstrap_eps(X, *, n_boot=200, level=0.95, seed=0, progress=True) -> BootstrapResult
        token-bootstrap percentile interval for ε; a weighted Gram per replicate (bootstrap.py).
    group_counts(n_groups, n_boot, seed), group_eps(GroupPairSums, counts) -> replicates
        the bootstrap over groups of rows (documents): ε of each resample from per-group pair
        sums, exactly (bootstrap.py; chapter 8's intervals).
    all_pairs(X, *, bins=300, value_range=(-1, 1), top_pairs=20, dtype="float32", device=None,
              memory_budget="256MB", progress=True) -> PairStats
        one streaming pass over all pairs: histogram, min/max, nearest neighbours, top pairs.
    sampled_pairs(X, m, *, seed=0, **all_pairs_kwargs) -> PairStats
        the same over all pairs among m random rows (allpairs.py).
    epsilon_report(model, *, sample=None, pairs=False, bootstrap=0, seed=0, progress=True) -> dict
        what ``repcap epsilon --json`` prints (report.py).

``X`` is a NumPy array, a torch tensor, or an object with a ``.matrix`` attribute (an Embedding).
Results are dataclasses with ``to_dict()`` (results.py). Torch is imported only by the functions
that need it.
"""

from repcap.similarity.allpairs import all_pairs, sampled_pairs
from repcap.similarity.bootstrap import bootstrap_eps
from repcap.similarity.moments import exact_moments
from repcap.similarity.report import epsilon_report
from repcap.similarity.results import BootstrapResult, Moments, PairStats

__all__ = ["exact_moments", "bootstrap_eps", "all_pairs", "sampled_pairs",
           "epsilon_report", "Moments", "BootstrapResult", "PairStats"]
