"""``repcap info``: JSON output, human output, errors on stderr without a traceback."""

import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

from repcap.cli import main

PYTHON = str(Path(sys.executable))


def test_info_json_offline_model(tmp_path, capsys):
    rc = main(["info", "all-MiniLM-L6-v2", "--json", "--cache-dir", str(tmp_path), "--no-progress"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model"] == "all-MiniLM-L6-v2" and out["source"] == "offline"
    assert (out["vocab_size"], out["d_model"]) == (30522, 384)
    assert out["tied"] is None and out["dtype"] == "float32" and out["zero_rows"] == 0
    assert out["embedding_tensor"] == "embeddings.word_embeddings.weight"
    assert out["catalog"]["family"] == "BERT encoder"


def test_info_human_output_and_unembedding(tmp_path, capsys):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    E, U = torch.randn(20, 6), torch.randn(20, 6)
    E[3] = 0
    save_file({"model.embed_tokens.weight": E, "lm_head.weight": U}, str(folder / "model.safetensors"))
    rc = main(["info", str(folder), "--unembedding", "--cache-dir", str(tmp_path / "c"), "--no-progress"])
    assert rc == 0
    lines = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines())
    assert lines["vocab_size"].strip() == "20" and lines["zero_rows"].strip() == "1"
    assert lines["tied"].strip() == "False" and json.loads(lines["unembedding_shape"]) == [20, 6]


def test_errors_go_to_stderr_without_traceback(tmp_path, capsys):
    bad = tmp_path / "nan.safetensors"
    m = torch.ones(5, 3)
    m[1, 1] = float("nan")
    save_file({"wte.weight": m}, str(bad))
    rc = main(["info", str(bad), "--json", "--cache-dir", str(tmp_path / "c")])
    captured = capsys.readouterr()
    assert rc == 2 and captured.out == ""
    assert "1 of 5 rows contain NaN or Inf" in captured.err and "Traceback" not in captured.err
    rc = main(["info", "/no/such/dir/model.gguf", "--json"])
    captured = capsys.readouterr()
    assert rc == 2 and "no such file" in captured.err


def test_real_subprocess(tmp_path):
    env = {**os.environ, "REPCAP_CACHE": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([PYTHON, "-m", "repcap.cli", "info", "SmolLM2-135M-Instruct", "--json",
                           "--no-progress"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["vocab_size"] == 49152 and out["d_model"] == 576
    assert out["tied"] is True and out["dtype"] == "Q8_0" and out["source"] == "offline"
    proc = subprocess.run([PYTHON, "-m", "repcap.cli", "info", "org/not-cached", "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "HF_HUB_OFFLINE" in proc.stderr and "Traceback" not in proc.stderr
    assert out["zero_rows"] == 0 and out["embedding_tensor"] == "token_embd.weight"
