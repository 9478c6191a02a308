"""repcap.studies.sampled_estimate: ε of a token sample against brute force and the exact ε."""

from __future__ import annotations

import numpy as np
import pytest

from references import brute_pairs
from repcap.errors import DomainError
from repcap.studies import sampled_estimate as Se
from repcap.studies import survey as S
from repcap.sources import load_embedding


def test_sampled_estimate_on_minilm():
    emb = load_embedding("all-MiniLM-L6-v2", progress=False)
    est = Se.sampled_eps(emb, 1200, n_boot=60, seed=4)
    c = brute_pairs(emb.matrix[est.rows])
    assert est.rows.size == 1200 and np.all(np.diff(est.rows) > 0)
    assert est.eps == pytest.approx(c.mean() + 2 * c.std(), abs=1e-12)
    assert est.ci_low < est.eps < est.ci_high
    exact = S.measure_model(emb).eps
    # 1200 tokens estimate ε to within a few hundredths; the seeded interval covers the exact value
    assert abs(est.eps - exact) < 0.02 and est.covers(exact)
    assert Se.sampled_eps(emb, 1200, n_boot=0, seed=4).rows.tolist() == est.rows.tolist()
    with pytest.raises(DomainError, match="exceeds"):
        Se.sampled_eps(emb, 10**6)
    with pytest.raises(DomainError, match="n_boot"):
        Se.sampled_eps(emb, 100, n_boot=1)
