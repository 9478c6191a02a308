"""repcap.studies.unembedding: per-token cos(E_i, U_i), checked by brute force and through a local untied checkpoint."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from repcap.errors import EmbeddingError
from repcap.studies.unembedding import cosine_histogram, diagonal_cosines, summarise


def test_diagonal_cosines_match_brute_force_across_blocks():
    rng = np.random.default_rng(0)
    E = rng.standard_normal((1001, 24)).astype(np.float32)
    U = (0.6 * E + rng.standard_normal((1001, 24))).astype(np.float32)
    got = diagonal_cosines(E, U, block=100)
    for i in (0, 99, 100, 555, 1000):
        e, u = E[i].astype(np.float64), U[i].astype(np.float64)
        assert got[i] == pytest.approx(e @ u / math.sqrt((e @ e) * (u @ u)), rel=1e-12)
    np.testing.assert_allclose(got, diagonal_cosines(E, U, block=4096), rtol=0, atol=1e-15)
    # U = 0.6 E + noise in d = 24: E[cos] ≈ 0.6 / √(0.36 + 1) ≈ 0.51.
    assert summarise(got)["mean"] == pytest.approx(0.51, abs=0.03)


def test_tied_random_and_padded_cases():
    rng = np.random.default_rng(1)
    E = rng.standard_normal((500, 256))
    assert np.allclose(diagonal_cosines(E, 3 * E), 1.0)
    U = rng.standard_normal((600, 256))  # padded output vocabulary: first 500 rows are compared
    c = diagonal_cosines(E, U)
    assert c.shape == (500,)
    # Independent random directions: cos has mean 0 and sd 1/√d (the paper's Fig. 9 shape).
    s = summarise(c)
    assert abs(s["mean"]) < 4 / math.sqrt(256 * 500)
    assert s["std"] == pytest.approx(1 / math.sqrt(256), rel=0.1)
    assert s["frac_below_0_1"] > 0.9


def test_zero_rows_become_nan_and_are_dropped():
    E = np.eye(4, 3)
    U = np.ones((4, 3))
    c = diagonal_cosines(E, U)
    assert np.isnan(c[3]) and c[0] == pytest.approx(1 / math.sqrt(3))
    s = summarise(c)
    assert s["n"] == 3 and s["dropped"] == 1
    counts, edges = cosine_histogram(c, bins=10)
    assert counts.sum() == 3 and edges[0] == -1 and edges[-1] == 1


def test_bad_input():
    with pytest.raises(EmbeddingError, match="width"):
        diagonal_cosines(np.ones((3, 4)), np.ones((3, 5)))
    with pytest.raises(EmbeddingError, match="2-D"):
        diagonal_cosines(np.ones(3), np.ones(3))
    bad = np.ones((3, 2))
    bad[1, 0] = np.nan
    with pytest.raises(EmbeddingError, match="NaN"):
        diagonal_cosines(bad, np.ones((3, 2)))
    with pytest.raises(EmbeddingError):
        summarise([np.nan])


def test_through_a_local_untied_checkpoint(tmp_path, monkeypatch):
    """The chapter's path: load_embedding(with_unembedding=True) on a folder in the hub's layout."""
    from safetensors.numpy import save_file

    from repcap.sources import load_embedding

    monkeypatch.setenv("REPCAP_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(2)
    V, d = 300, 32
    E = rng.standard_normal((V, d)).astype(np.float32)
    U = (0.3 * E + rng.standard_normal((V, d))).astype(np.float32)
    folder = tmp_path / "tiny-untied"
    folder.mkdir()
    save_file({"model.embed_tokens.weight": E, "lm_head.weight": U,
               "model.norm.weight": np.ones(d, dtype=np.float32)}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": d, "vocab_size": V,
        "tie_word_embeddings": False}))
    emb = load_embedding(str(folder), with_unembedding=True, progress=False)
    assert emb.tied is False and emb.unembedding is not None
    got = diagonal_cosines(emb.matrix, emb.unembedding)
    np.testing.assert_allclose(got, diagonal_cosines(E, U), rtol=1e-12)


def _checkpoint(folder, E, U=None):
    """A local checkpoint in the hub's layout: untied when ``U`` is given, else tied."""
    from safetensors.numpy import save_file

    V, d = E.shape
    tensors = {"model.embed_tokens.weight": E, "model.norm.weight": np.ones(d, dtype=np.float32)}
    if U is not None:
        tensors["lm_head.weight"] = U
    folder.mkdir()
    save_file(tensors, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": d,
        "vocab_size": V, "tie_word_embeddings": U is None}))
    return str(folder)


def test_appendix_c_compares_untied_models_and_skips_tied_ones(tmp_path, monkeypatch):
    """Chapter 6's Appendix C: the per-token cosines, both ε and both pair histograms per model."""
    from repcap.similarity import exact_moments
    from repcap.studies.unembedding import UnembeddingFindings, appendix_c

    monkeypatch.setenv("REPCAP_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(3)
    E = rng.standard_normal((300, 32)).astype(np.float32)
    U = (0.3 * E + rng.standard_normal((300, 32))).astype(np.float32)
    untied = _checkpoint(tmp_path / "untied", E, U)
    tied = _checkpoint(tmp_path / "tied", E)
    got = appendix_c([untied, tied], pairs_sample=50, seed=0)
    assert list(got.models) == [untied] and got.skipped == [[tied, True]]
    a = got.models[untied]
    assert a["diag"] == summarise(diagonal_cosines(E, U))
    assert a["eps_E"] == pytest.approx(exact_moments(E).eps) and a["eps_U"] != a["eps_E"]
    assert sum(a["pairs_U"]["counts"]) == 50 * 49 // 2 and len(a["hist"]["edges"]) == 201
    assert [t.title for t in got.tables()] == ["Embedding against unembedding (untied models)"]
    assert f"* {tied}: tied=True; no separate unembedding, skipped" in got.markdown()
    record = json.loads(json.dumps(got.record()))
    assert record["appendix_c_models"] == [untied]
    back = UnembeddingFindings.from_record(record)
    assert back.models == got.models and back.markdown() == got.markdown()


def test_no_appendix_without_models():
    from repcap.studies.unembedding import appendix_c, untied_availability

    empty = appendix_c([], pairs_sample=10)
    assert empty.tables() == [] and empty.markdown() == ""
    assert empty.record()["appendix_c_models"] == []
    text = untied_availability([])
    assert "* SmolLM2-135M-Instruct: ties its output layer to the embedding" in text
    assert "this appendix is not reproduced in this build" in text
    assert "not reproduced" not in untied_availability(["some/untied-model"])
