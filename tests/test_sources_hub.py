"""The hub path, run for real against a loopback hub (tests/hubfixtures.py), never the network."""

import json
import warnings

import numpy as np
import pytest

from hubfixtures import FakeHub, build_model
from repcap.errors import AccessError, DownloadError, ModelNotFoundError, OfflineError
from repcap.sources import load_embedding

REPO = "org/tiny-llama"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("hubmodels")
    llama = build_model("llama", root / "llama", shard="200KB")
    gpt2 = build_model("gpt2", root / "gpt2", shard=None, drop_tie_flag=True)
    return {"llama": (root / "llama", llama), "gpt2": (root / "gpt2", gpt2)}


@pytest.fixture
def hub(models, tmp_path, monkeypatch):
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("REPCAP_CACHE", str(tmp_path / "repcap-cache"))
    # No saved token of the developer's may leak into these tests.
    monkeypatch.setattr("huggingface_hub.constants.HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.setattr("huggingface_hub.constants.HF_STORED_TOKENS_PATH", str(tmp_path / "no-tokens"))
    # huggingface_hub froze HF_HUB_OFFLINE at import; direct calls in these tests need it off.
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    with FakeHub() as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.endpoint)
        fake.add_repo(REPO, models["llama"][0])
        fake.add_repo("org/tiny-gpt2", models["gpt2"][0])
        yield fake


def _weights(model, which):
    layer = model.get_input_embeddings() if which == "in" else model.get_output_embeddings()
    return layer.weight.detach().float().numpy()


def test_sharded_repo_reads_only_the_embedding_bytes(hub, models):
    folder, model = models["llama"]
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    emb_shard = index["weight_map"]["model.embed_tokens.weight"]
    shards = sorted(set(index["weight_map"].values()))
    emb = load_embedding(REPO, progress=False)
    np.testing.assert_array_equal(emb.matrix, _weights(model, "in"))
    assert emb.source == "hub" and emb.tied is False and emb.dtype == "bfloat16"
    assert emb.tokens[:2] == ["tok0", "tok1"]
    assert emb.provenance["commit"] == hub.repos[REPO].commit
    for shard in shards:
        if shard != emb_shard:
            assert hub.bytes_served(REPO, shard) == 0, shard
    served = hub.bytes_served(REPO, emb_shard)
    tensor_bytes = 1000 * 64 * 2
    assert tensor_bytes <= served <= tensor_bytes + 16384 + 8  # the tensor plus one header probe
    assert served < (folder / emb_shard).stat().st_size or len(shards) == 1
    # Range requests, not whole-file GETs, went to the CDN for the weights.
    weight_gets = [r for r in hub.requests if r[0] == "GET" and r[1].startswith("/cdn/")]
    assert weight_gets and all(r[2] for r in weight_gets)


def test_unembedding_and_cache_hit(hub, models):
    _, model = models["llama"]
    emb = load_embedding(REPO, with_unembedding=True, progress=False)
    np.testing.assert_array_equal(emb.unembedding, _weights(model, "out"))
    hub.reset_counts()
    again = load_embedding(REPO, with_unembedding=True, progress=False)
    assert again.provenance["cache"] == "hit"
    np.testing.assert_array_equal(again.unembedding, emb.unembedding)
    assert [r[:2] for r in hub.requests] == [("HEAD", f"/{REPO}/resolve/main/config.json")]
    # The commit hash is the cache key: asking for it by hash is the same entry.
    by_hash = load_embedding(REPO, revision=hub.repos[REPO].commit, progress=False)
    assert by_hash.provenance["cache"] == "hit"


def test_single_file_tied_repo(hub, models):
    _, model = models["gpt2"]
    emb = load_embedding("org/tiny-gpt2", with_unembedding=True, progress=False)
    assert emb.embedding_tensor == "transformer.wte.weight"
    assert emb.tied is True and emb.unembedding is None
    np.testing.assert_array_equal(emb.matrix, _weights(model, "in"))
    total = (models["gpt2"][0] / "model.safetensors").stat().st_size
    assert hub.bytes_served("org/tiny-gpt2", "model.safetensors") < total


def test_offline_mode_uses_caches_and_fails_clearly_without_them(hub, monkeypatch, tmp_path):
    online = load_embedding(REPO, progress=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub.reset_counts()
    offline = load_embedding(REPO, progress=False)
    assert hub.requests == [] and offline.provenance["cache"] == "hit"
    np.testing.assert_array_equal(offline.matrix, online.matrix)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))
    with pytest.raises(OfflineError, match="HF_HUB_OFFLINE is set.*not in the hub cache"):
        load_embedding(REPO, progress=False)


def test_shard_already_in_hub_cache_is_read_from_disk(hub, monkeypatch, models, tmp_path):
    from huggingface_hub import hf_hub_download

    folder, model = models["llama"]
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    shard = index["weight_map"]["model.embed_tokens.weight"]
    hf_hub_download(REPO, shard, cache_dir=str(tmp_path / "hf-cache"), endpoint=hub.endpoint)
    hub.reset_counts()
    emb = load_embedding(REPO, progress=False)
    assert hub.bytes_served(REPO, shard) == 0
    np.testing.assert_array_equal(emb.matrix, _weights(model, "in"))


def test_unknown_repo_revision_and_unreachable_hub(hub, monkeypatch):
    with pytest.raises(ModelNotFoundError, match="no such model repository"):
        load_embedding("org/does-not-exist", progress=False)
    with pytest.raises(ModelNotFoundError, match="revision 'v9' does not exist"):
        load_embedding(REPO, revision="v9", progress=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(OfflineError, match="cannot reach"):
        load_embedding("org/other-model", progress=False)


def test_gated_repo_needs_a_token(hub, models, monkeypatch):
    hub.add_repo("org/gated", models["gpt2"][0], gated_token="hf_secret")
    with pytest.raises(AccessError, match="gated.*no token is set.*HF_TOKEN"):
        load_embedding("org/gated", progress=False)
    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    with pytest.raises(AccessError, match="has not been granted access"):
        load_embedding("org/gated", progress=False)
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    emb = load_embedding("org/gated", progress=False)
    np.testing.assert_array_equal(emb.matrix, _weights(models["gpt2"][1], "in"))


def test_dropped_connection_is_resumed(hub, models):
    folder, model = models["llama"]
    shard = json.loads((folder / "model.safetensors.index.json").read_text())["weight_map"][
        "model.embed_tokens.weight"]
    hub.cut[shard] = [10**9, 5000, 20000]  # header intact; the tensor drops twice, then completes
    emb = load_embedding(REPO, progress=False)
    np.testing.assert_array_equal(emb.matrix, _weights(model, "in"))
    ranges = [r[2] for r in hub.requests if r[0] == "GET" and r[1].startswith("/cdn/")]
    assert len(ranges) == 4 and len(set(ranges)) == 4  # each retry resumes further on


def test_interrupted_download_leaves_nothing_in_the_cache(hub, models, tmp_path):
    folder, _ = models["llama"]
    shard = json.loads((folder / "model.safetensors.index.json").read_text())["weight_map"][
        "model.embed_tokens.weight"]
    hub.cut[shard] = [10**9] + [3000] * 10
    with pytest.raises(DownloadError, match="interrupted.*nothing was cached"):
        load_embedding(REPO, progress=False)
    cache = tmp_path / "repcap-cache"
    assert not cache.exists() or [p for p in cache.rglob("*") if p.is_file()] == []
    hub.cut.clear()
    assert load_embedding(REPO, progress=False).provenance["cache"] == "miss"


def test_bin_only_repo_is_downloaded_and_loaded_safely(hub, models, tmp_path):
    import torch

    _, model = models["llama"]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    path = tmp_path / "pytorch_model.bin"
    torch.save(state, path)
    config = (models["llama"][0] / "config.json").read_bytes()
    hub.add_repo("org/bin-only", files={"config.json": config, "pytorch_model.bin": path.read_bytes()})
    emb = load_embedding("org/bin-only", progress=False)
    assert emb.provenance["format"] == "pytorch" and emb.tokens is None
    np.testing.assert_array_equal(emb.matrix, _weights(model, "in"))


def test_hub_id_of_an_offline_model_falls_back_when_unreachable(hub, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        emb = load_embedding("sentence-transformers/all-MiniLM-L6-v2", progress=False)
    assert emb.source == "offline" and emb.matrix.shape == (30522, 384)
    assert "fallback_from_hub" in emb.provenance
    assert any("installed offline copy" in str(w.message) for w in caught)
