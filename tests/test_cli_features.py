"""``repcap features``: one record with the documented keys, the SAE reused on a second call, errors as
one line with exit 2 and nothing left in the cache."""

from __future__ import annotations

import json

import pytest

from repcap.cli import main

TINY = ["features", "tiny-random-llama", "--tokens", "400", "--width", "64", "--k", "4",
        "--epochs", "1", "--batch-size", "64", "--no-progress"]


def test_record_then_the_cached_sae(tmp_path, capsys):
    assert main([*TINY, "--json", "--cache-dir", str(tmp_path)]) == 0
    first = json.loads(capsys.readouterr().out)
    for key in ("d", "width", "live", "eps", "max_abs_cos", "fvu", "l0", "eq7_capacity", "welch",
                "random_eps"):
        assert key in first, key
    assert (first["d"], first["width"], first["layer"]) == (32, 64, 1)
    assert 2 <= first["live"] <= 64 and first["cached"] is False
    assert main([*TINY, "--json", "--cache-dir", str(tmp_path)]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["cached"] is True and second["eps"] == first["eps"]
    assert sorted(p.parent.name for p in tmp_path.rglob("*.npz")) == ["wiki-offline"] * 2


@pytest.mark.parametrize("extra, message", [
    (["--tokens", "1"], "--tokens must be ≥ 2"),
    (["--k", "64"], "--k must be smaller than --width"),
    (["--layer", "7"], "layer must lie in 0..2"),
    (["--layer", "-1"], "--layer must be ≥ 0"),
    (["--corpus", "/nonexistent.json"], "no such file"),
])
def test_errors_are_one_line_and_leave_nothing(tmp_path, capsys, extra, message):
    assert main([*TINY, *extra, "--cache-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("repcap features: error: ") and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
