"""``repcap construct`` and the ``construction`` key of ``repcap capacity``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from repcap.cli import main


def _run_json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_construct_kerdock_64_saved_vectors_pass_a_numpy_gram(tmp_path, capsys):
    out = _run_json(capsys, ["construct", "--d", "64", "--eps", "0.125", "--save",
                             str(tmp_path / "k.npy"), "--k", "2112"])
    assert (out["family"], out["count"], out["coherence"], out["dim"]) == ("kerdock", 2112, 0.125, 64)
    v = np.load(tmp_path / "k.npy").astype(np.float64)
    assert v.shape == (2112, 64)
    g = v @ v.T
    np.testing.assert_allclose(np.diag(g), 1.0, atol=1e-6)
    np.fill_diagonal(g, 0.0)
    assert np.abs(g).max() == pytest.approx(0.125, abs=1e-6)


def test_construct_dual_bch_and_padded_sample(tmp_path, capsys):
    out = _run_json(capsys, ["construct", "--d", "1023", "--eps", "0.0636"])
    assert out["count"] >= 1_048_576 and out["family"] == "dual_bch"
    out = _run_json(capsys, ["construct", "--d", "70", "--eps", "0.27", "--save",
                             str(tmp_path / "b.npy"), "--k", "300", "--seed", "1"])
    v = np.load(tmp_path / "b.npy").astype(np.float64)
    assert v.shape == (300, 70) and not v[:, out["dim"]:].any()
    g = np.abs(v @ v.T)
    np.fill_diagonal(g, 0.0)
    assert g.max() <= out["coherence"] + 1e-6


def test_capacity_carries_the_construction(capsys):
    out = _run_json(capsys, ["capacity", "--d", "4096", "--eps", "0.0645"])
    c = out["construction"]
    assert c["count"] >= 2 ** 36 and c["coherence"] == pytest.approx(257 / 4095)
    assert c["over_eq7"] == pytest.approx(c["count"] / out["eq7"]["max_k"], rel=1e-6)


@pytest.mark.parametrize("argv", [["--d", "0", "--eps", "0.1"], ["--d", "64", "--eps", "1.5"],
                                  ["--d", "64", "--eps", "nan"], ["--d", "inf", "--eps", "0.1"],
                                  ["--d", "64", "--eps", "0.125", "--k", "3"],
                                  ["--d", "64", "--eps", "0.125", "--save", "x.npy"],
                                  ["--d", "64", "--eps", "0.125", "--save", "x.npy", "--k", "9999"]])
def test_bad_input_exits_2_with_one_line(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["construct", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("repcap construct: error:") and err.count("\n") == 1
    assert not (tmp_path / "x.npy").exists()


def test_construct_and_capacity_reject_bad_input_with_the_same_message(capsys):
    for argv in (["--d", "0", "--eps", "0.1"], ["--d", "64", "--eps", "1.5"]):
        assert main(["construct", *argv]) == 2
        mine = capsys.readouterr().err.split("error:", 1)[1]
        assert main(["capacity", *argv]) == 2
        assert capsys.readouterr().err.split("error:", 1)[1] == mine


@pytest.mark.parametrize("d,eps,count,num", [("127", "0.1339", 16_384, 17), ("31", "0.2904", 1_024, 9)])
def test_construct_reports_the_exact_dual_bch_coherence(capsys, d, eps, count, num):
    """Issue 22: the enumerated coherence (Kasami's weights), not the Carlitz-Uchiyama bound."""
    out = _run_json(capsys, ["construct", "--d", d, "--eps", eps])
    assert (out["family"], out["count"], out["coherence_is"]) == ("dual_bch", count, "exact")
    assert out["coherence"] == pytest.approx(num / int(d), abs=1e-15)


def test_construct_labels_a_bound(capsys):
    out = _run_json(capsys, ["construct", "--d", "2047", "--eps", "0.0631"])
    assert (out["params"], out["coherence_is"]) == ({"m": 11, "e": 3}, "bound")
    assert out["coherence"] == pytest.approx(129 / 2047)


def test_frontier_released_json_lists_every_cell(capsys, tmp_path):
    none = main(["frontier", "--released", "--packings", "none", "--json"])
    alone = json.loads(capsys.readouterr().out)
    assert none == 0 and alone["n_cells"] == len(alone["cells"]) == 166
    assert alone["n_ours"] == 0 and alone["n_best_le_released"] == alone["n_explicit_le_released"]
    assert alone["n_explicit_le_released"] == sum(c["best_le_released"] for c in alone["cells"])
    # our packing at one cell, from a results file in the format of repcap sweep
    results = tmp_path / "mine.jsonl"
    results.write_text(json.dumps({"kind": "optimised", "k": 2000, "d": 32, "eps": 0.38}) + "\n")
    assert main(["frontier", "--released", "--packings", str(results), "--json"]) == 0
    mine = json.loads(capsys.readouterr().out)
    assert mine["n_best_le_released"] == alone["n_best_le_released"] + 1
    (cell,) = [c for c in mine["cells"] if (c["k"], c["d"]) == (2000, 32)]
    assert (cell["best_by"], cell["best_eps"]) == ("ours", 0.38)


@pytest.mark.parametrize("argv", [["frontier", "--k", "5"], ["frontier", "--released", "--d", "4"],
                                  ["frontier", "--released", "--packings", "/nonexistent/x.jsonl"],
                                  ["frontier", "--k", "0", "--d", "4"], ["frontier"]])
def test_frontier_bad_input_is_one_line(argv, capsys):
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse: neither --released nor --k named
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and "Traceback" not in "\n".join(err)
    assert err[-1].startswith(("repcap frontier: error:", "usage:")) or "error:" in err[-1]
