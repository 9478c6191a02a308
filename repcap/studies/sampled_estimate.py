r"""ε estimated from a random sample of tokens, with a token-bootstrap interval within the sample.

:func:`sampled_eps` computes :math:`\hat\varepsilon_m = \hat\mu_m + 2\hat\sigma_m` over the
:math:`m(m-1)/2` pairs among ``m`` random non-zero rows, as one would without the exact Gram identity,
so a chapter can show how close a sample comes to the exact ε of all tokens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repcap.common.checks import check_int, check_replicates
from repcap.errors import DomainError
from repcap.similarity import bootstrap_eps, exact_moments

__all__ = ["SampledEstimate", "sampled_eps"]


@dataclass(frozen=True)
class SampledEstimate:
    """ε from the pairs among ``m`` random tokens, with a token-bootstrap interval within them.

    ``rows`` are the sampled row indices (sorted); ``mean``, ``std``, ``eps`` are exact over the
    m(m − 1)/2 pairs among them; [``ci_low``, ``ci_high``] is the ``level`` percentile interval of
    ``n_boot`` token-bootstrap replicates drawn from the sample (NaN when ``n_boot`` = 0).
    """

    m: int
    mean: float
    std: float
    eps: float
    ci_low: float
    ci_high: float
    level: float
    n_boot: int
    rows: Any = field(repr=False, default=None)

    def covers(self, value: float) -> bool:
        """Whether ``value`` (e.g. the exact ε of all tokens) lies in the interval."""
        return bool(self.ci_low <= value <= self.ci_high)


def sampled_eps(emb: Any, m: int, *, n_boot: int = 200, level: float = 0.95, seed: int = 0,
                progress: bool = False) -> SampledEstimate:
    r"""Estimate ε from a random subset of tokens, as one would without the exact Gram identity.

    Draws ``m`` of the non-zero rows without replacement (NumPy ``default_rng(seed)``), computes

    .. math:: \hat\varepsilon_m = \hat\mu_m + 2\hat\sigma_m

    over the :math:`m(m-1)/2` pairs among them (exactly, :func:`repcap.similarity.exact_moments`),
    and a token-bootstrap percentile interval *within the sample*
    (:func:`repcap.similarity.bootstrap_eps`, ``n_boot`` replicates, 0 for none). Pairs share rows,
    so the interval's width shrinks like :math:`1/\sqrt m`, not like one over the square root of
    the number of pairs.
    """
    matrix = emb.matrix if hasattr(emb, "matrix") else np.asarray(emb, dtype=np.float32)
    m = check_int("sampled_eps: m", m, 3, integral_floats=False)
    n_boot = check_replicates("sampled_eps: n_boot", n_boot)
    nonzero = np.flatnonzero(np.any(np.asarray(matrix) != 0, axis=1))
    if m > nonzero.size:
        raise DomainError(f"sampled_eps: m = {m} exceeds the {nonzero.size} non-zero rows; "
                          "use the exact computation instead")
    rows = np.sort(np.random.default_rng(seed).choice(nonzero, size=int(m), replace=False))
    sub = np.asarray(matrix[rows], dtype=np.float32)
    mom = exact_moments(sub)
    lo = hi = math.nan
    if n_boot:
        boot = bootstrap_eps(sub, n_boot=n_boot, level=level, seed=seed, progress=progress)
        lo, hi = boot.ci_low, boot.ci_high
    return SampledEstimate(m=int(m), mean=mom.mean, std=mom.std, eps=mom.eps, ci_low=float(lo),
                           ci_high=float(hi), level=float(level), n_boot=int(n_boot), rows=rows)
