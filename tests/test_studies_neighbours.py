"""repcap.studies.neighbours: nearest rows by cosine against float64 brute force on real offline vectors."""

from __future__ import annotations

import numpy as np
import pytest

from references import unit64
from repcap.errors import EmbeddingError
from repcap.studies import neighbours as nb


def test_nearest_tokens_match_float64_brute_force(minilm):
    x = unit64(minilm.matrix)
    rng = np.random.default_rng(0)
    for q in rng.choice(minilm.vocab_size, size=4, replace=False):
        cos = x @ x[q]
        cos[q] = -np.inf
        expect = np.lexsort((np.arange(cos.size), -cos))[:10]
        got = nb.nearest_tokens(minilm, int(q), k=10)
        assert [n.index for n in got] == expect.tolist()
        np.testing.assert_allclose([n.cos for n in got], cos[expect], rtol=0, atol=1e-12)
    dogs = nb.nearest_tokens(minilm, "dog", k=3)
    assert dogs[0].token == "dogs" and all(n.token != "dog" for n in dogs)


def test_nearest_tokens_of_a_vector_and_bad_queries(minilm):
    v = np.asarray(minilm.matrix[100], dtype=np.float64) * 3.0
    got = nb.nearest_tokens(minilm, v, k=1)
    assert got[0].index == 100 and got[0].cos == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(EmbeddingError, match="d = 384"):
        nb.nearest_tokens(minilm, np.ones(5), k=1)
    with pytest.raises(EmbeddingError, match="zero"):
        nb.nearest_tokens(minilm, np.zeros(384), k=1)
    with pytest.raises(EmbeddingError, match="outside"):
        nb.nearest_tokens(minilm, 10**7, k=1)
