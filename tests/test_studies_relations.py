"""repcap.studies.relations: primary tokens and word-pair cosines on real offline embeddings, checked
against brute-force float64 computations."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from references import unit64
from repcap.errors import EmbeddingError, TokenNotFoundError
from repcap.studies import neighbours as nb
from repcap.studies import relations as rel
from repcap.studies import token_lookup as lookup
from repcap.sources import Embedding


def _brute_nn(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cos = x @ x.T
    np.fill_diagonal(cos, -np.inf)
    idx = np.argmax(cos, axis=1)  # ties: smallest index, as documented
    return idx, cos[np.arange(len(idx)), idx]


def test_primary_tokens_match_independent_count(glove):
    rows = np.sort(np.random.default_rng(1).choice(200_000, size=2500, replace=False))
    sub = Embedding.from_array(np.asarray(glove.matrix[rows]), name="glove-sample",
                               tokens=[glove.tokens[i] for i in rows])
    nn, nn_cos = _brute_nn(unit64(sub.matrix))
    got = rel.primary_tokens(sub, SimpleNamespace(nn_index=nn, nn_cos=nn_cos), top=3, examples=3)
    values, counts = np.unique(nn, return_counts=True)
    order = np.lexsort((values, -counts))[:3]
    assert [p.index for p in got] == values[order].tolist()
    assert [p.count for p in got] == counts[order].tolist()
    for p in got:
        choosers = np.flatnonzero(nn == p.index)
        best = choosers[np.lexsort((choosers, -nn_cos[choosers]))][:3]
        assert [e.index for e in p.examples] == best.tolist()
        np.testing.assert_allclose([e.cos for e in p.examples], nn_cos[best], atol=0)
        assert p.token == sub.tokens[p.index]
    assert sum(counts) == sub.vocab_size


def test_primary_tokens_from_the_similarity_engine(minilm):
    from repcap.similarity import sampled_pairs

    stats = sampled_pairs(minilm, 1500, seed=3, progress=False)
    rows = np.asarray(stats.sample_index)
    x = unit64(minilm.matrix[rows])
    nn_local, nn_cos = _brute_nn(x)
    np.testing.assert_array_equal(np.asarray(stats.nn_index), rows[nn_local])
    got = rel.primary_tokens(minilm, stats, top=3, examples=2)
    values, counts = np.unique(rows[nn_local], return_counts=True)
    order = np.lexsort((values, -counts))[:3]
    assert [p.index for p in got] == values[order].tolist()
    for p in got:
        for e in p.examples:
            assert e.index in set(rows.tolist())
            assert e.cos == pytest.approx(float(x[rows.tolist().index(e.index)] @ unit64(minilm.matrix[[p.index]])[0]), abs=1e-5)


def test_primary_tokens_skip_placeholders_against_brute_force(minilm):
    # rows: every placeholder plus a random sample of ordinary tokens
    mask = lookup.placeholder_mask(minilm.tokens)
    rng = np.random.default_rng(5)
    rows = np.sort(np.concatenate([np.flatnonzero(mask)[:300],
                                   rng.choice(np.flatnonzero(~mask), 1200, replace=False)]))
    sub = Embedding.from_array(np.asarray(minilm.matrix[rows]), name="minilm-sample",
                               tokens=[minilm.tokens[i] for i in rows])
    nn, nn_cos = _brute_nn(unit64(sub.matrix))
    skip = lookup.placeholder_mask(sub.tokens)
    got = rel.primary_tokens(sub, SimpleNamespace(nn_index=nn, nn_cos=nn_cos), top=3, skip=skip)
    keep = ~skip & ~skip[nn]  # neither the chooser nor the chosen is a placeholder
    values, counts = np.unique(nn[keep], return_counts=True)
    order = np.lexsort((values, -counts))[:3]
    assert [p.index for p in got] == values[order].tolist()
    assert [p.count for p in got] == counts[order].tolist()
    assert not any(lookup.PLACEHOLDER_PATTERN.match(p.token) for p in got)
    with pytest.raises(EmbeddingError, match="skip has"):
        rel.primary_tokens(sub, SimpleNamespace(nn_index=nn, nn_cos=nn_cos), skip=skip[:-1])


def test_primary_tokens_rejects_bad_input(minilm):
    with pytest.raises(EmbeddingError, match="entries"):
        rel.primary_tokens(minilm, SimpleNamespace(nn_index=np.zeros(3, int), nn_cos=np.zeros(2)))
    with pytest.raises(EmbeddingError, match="refers to row"):
        rel.primary_tokens(minilm, SimpleNamespace(nn_index=np.array([10**6]), nn_cos=np.array([0.5])))


def test_pair_cosines_are_exact_and_controls_last(smol):
    pairs = rel.pair_cosines(smol)
    assert [p.label for p in pairs] == ["yes–no", "cat–dog", "car–bus", "school–class", "quick–un"]
    assert [p.control for p in pairs] == [False] * 4 + [True]
    x = unit64(smol.matrix)
    for p in pairs:
        assert p.a.token.startswith("Ġ") and p.b.token.startswith("Ġ")
        assert p.cos == pytest.approx(float(x[p.a.index] @ x[p.b.index]), abs=1e-12)
    bare = rel.pair_cosines(smol, form="bare")
    assert [p.a.token for p in bare] == ["yes", "cat", "car", "school", "quick"]
    assert rel.pair_cosines(smol, ["cat-zzzqqq", ("dog", "cat")], controls=()) [0].label == "dog–cat"
    with pytest.raises(TokenNotFoundError):
        rel.pair_cosines(smol, ["cat-zzzqqq"], missing="raise")
    with pytest.raises(TokenNotFoundError, match="word-word"):
        rel.pair_cosines(smol, ["catdog"])


def test_lexical_groups_show_space_markers(smol):
    groups = rel.lexical_groups(smol, [rel.PrimaryToken("Ġking", 1, 2, (nb.Neighbour("king", 0, 0.5, "king"),), "king")])
    assert groups == [("␣king", 2, [("king", 0.5)])]
