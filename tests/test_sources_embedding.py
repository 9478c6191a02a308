"""The Embedding record, its validation, and load_embedding on in-memory arrays."""

import numpy as np
import pytest
import torch

from repcap.errors import EmbeddingError, ModelNotFoundError, RepcapError
from repcap.sources import Embedding, load_embedding
from repcap.sources.embedding import check_rows, row_stats


def test_array_roundtrip_counts_zero_rows():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((50, 8))
    m[[3, 17, 40]] = 0.0
    emb = load_embedding(m)
    assert emb.source == "array" and emb.matrix.dtype == np.float32
    assert (emb.vocab_size, emb.d_model) == (50, 8)
    assert emb.zero_rows == 3
    np.testing.assert_array_equal(emb.matrix, m.astype(np.float32))
    info = emb.info()
    for key in ("model", "source", "vocab_size", "d_model", "tied", "dtype", "zero_rows",
                "embedding_tensor"):
        assert key in info
    assert info["zero_rows"] == 3 and info["dtype"] == "float64"


def test_torch_bfloat16_tensor_is_converted_exactly():
    t = torch.randn(20, 6).to(torch.bfloat16)
    emb = load_embedding(t)
    assert emb.dtype == "bfloat16"
    np.testing.assert_array_equal(emb.matrix, t.float().numpy())


def test_nan_and_inf_rows_are_rejected_with_their_count():
    m = np.ones((10, 4), dtype=np.float32)
    m[2, 1] = np.nan
    m[5, 0] = np.inf
    m[5, 3] = np.nan  # same row twice: still one row
    with pytest.raises(EmbeddingError, match=r"2 of 10 rows contain NaN or Inf"):
        Embedding.from_array(m)


@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros((1, 4)), np.zeros((3, 2, 2))])
def test_bad_shapes(bad):
    with pytest.raises(EmbeddingError):
        Embedding.from_array(bad)


def test_string_array_rejected():
    with pytest.raises(EmbeddingError, match="expected numbers"):
        Embedding.from_array(np.array([["a", "b"], ["c", "d"]]))


def test_tokens_must_match_rows():
    with pytest.raises(EmbeddingError, match="one string per row"):
        Embedding.from_array(np.ones((3, 2)), tokens=["a", "b"])
    emb = Embedding.from_array(np.eye(3), tokens=["a", "b", "c"])
    assert emb.token_index() == {"a": 0, "b": 1, "c": 2}


def test_row_stats_against_brute_force():
    rng = np.random.default_rng(1)
    m = rng.standard_normal((200, 5)).astype(np.float32)
    m[rng.choice(200, 7, replace=False)] = 0
    m[11, 2] = np.nan
    m[12] = 0
    m[12, 4] = -np.inf  # a zero row with an Inf is non-finite, not zero
    bad, zero = row_stats(m)
    brute_bad = sum(1 for r in m if not all(np.isfinite(x) for x in r))
    brute_zero = sum(1 for r in m if all(np.isfinite(x) for x in r) and all(x == 0 for x in r))
    assert (bad, zero) == (brute_bad, brute_zero)


def test_check_rows_blocks_agree_with_one_pass():
    m = np.random.default_rng(2).standard_normal((70000, 64)).astype(np.float32)  # > one block
    m[::1000] = 0
    assert check_rows(m, "x") == 70


def test_unknown_inputs_raise_repcap_errors():
    with pytest.raises(ModelNotFoundError):
        load_embedding(12345)
    with pytest.raises(ModelNotFoundError, match="neither an existing file"):
        load_embedding("no such model with spaces")
    with pytest.raises(ModelNotFoundError, match="no such"):
        load_embedding("/definitely/not/here.gguf")
    assert issubclass(ModelNotFoundError, RepcapError)


def test_misspelt_offline_name_gets_a_suggestion(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(RepcapError, match="all-MiniLM-L6-v2"):
        load_embedding("all-MiniLM-L6-v3", progress=False)


def test_summary_rows_state_the_facts_without_paths():
    m = np.random.default_rng(3).standard_normal((40, 6))
    m[[0, 9]] = 0.0
    emb = Embedding.from_array(m, name="toy", tied=True)
    rows = emb.summary()
    assert all(set(r) == {"field", "value"} for r in rows)
    got = {r["field"]: r["value"] for r in rows}
    assert got["model"] == "toy" and got["source"] == "array"
    assert got["V × d"] == "40 × 6"
    assert got["checkpoint dtype"] == "float64"
    assert got["tied"] == "yes"
    assert got["zero rows"] == "2 (5.00% of V)"  # 2 / 40
    assert "licence" not in got and "package" not in got  # an array has no provenance of that kind


def test_summary_reads_licence_and_package_from_provenance():
    emb = Embedding.from_array(np.eye(4), name="m")
    emb.provenance = {"package": "pkg", "package_version": "1.2", "licence": "MIT",
                      "upstream_hub_id": "org/m", "cache_path": "/some/machine/path"}
    got = {r["field"]: r["value"] for r in emb.summary()}
    assert got["package"] == "pkg 1.2" and got["licence"] == "MIT" and got["upstream hub id"] == "org/m"
    assert got["tied"] == "unknown"
    assert not any("/some/machine" in r["value"] for r in emb.summary())
    emb.provenance = {"config": {"license": "apache-2.0"}}  # GGUF metadata spells it this way
    assert {r["field"]: r["value"] for r in emb.summary()}["licence"] == "apache-2.0"
