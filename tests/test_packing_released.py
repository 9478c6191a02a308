"""repcap.packing.released: the paper's sweeps vendored in the package, identical to the release."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from repcap.errors import DataFileError, DomainError
from repcap.packing import released as pdata

from conftest import SHARED_DATA

#: sha256 of the files at the author's commit c2d8f9f0 (the copies in ../shared/reference/data).
RELEASED_SHA256 = {
    "random_packing.json": "2758de0b1db2f2e15633df74e9ca47c140d35a202be57d0a3ef5ae5062d8c553",
    "optimized_packing.json": "8eee860dd489ec85eee4a177de6f74915f53a4e6707db364fd32721cae036885",
    "LICENSE-author-data.txt": "4cef78607fbdc2b8475cd8c584be69fada139b7cc890912c8246ce318eb30475",
}


@pytest.mark.parametrize("name", sorted(RELEASED_SHA256))
def test_vendored_files_are_the_released_bytes(name):
    vendored = Path(pdata.vendored_path("random")).parent / name
    data = vendored.read_bytes()
    assert hashlib.sha256(data).hexdigest() == RELEASED_SHA256[name]
    if (SHARED_DATA / name).exists():  # this workplace and CI: compare byte for byte as well
        assert data == (SHARED_DATA / name).read_bytes()


def test_licence_names_the_author_and_mit():
    text = (Path(pdata.vendored_path("random")).parent / "LICENSE-author-data.txt").read_text()
    assert "MIT License" in text and "Copyright" in text


def test_vendored_sweeps_load_with_the_paper_values():
    rnd = pdata.load_paper_sweep("random")
    opt = pdata.load_paper_sweep("optimised")
    assert rnd.origin == opt.origin == "vendored"
    assert len(rnd) == 256 and len(opt) == 166
    # Values of the released files at the author's commit c2d8f9f0.
    assert rnd.lookup(2000, 256) == pytest.approx(0.2834, abs=1e-4)
    assert rnd.lookup(32000, 4096) == pytest.approx(0.0898, abs=1e-4)
    assert opt.lookup(32000, 4096) == pytest.approx(0.0250, abs=1e-4)
    assert opt.lookup(2000, 32) == pytest.approx(0.3859, abs=1e-4)
    assert opt.lookup(6000, 33) is None
    assert sorted(set(rnd.k.tolist())) == list(range(2000, 32001, 2000))
    assert sorted(set(opt.d.tolist())) == [32, 64, 128, 256, 512, 768, 1024, 1536, 2048, 2560,
                                           3072, 3584, 4096]
    # Six optimised cells have k ≤ d (nearly exactly orthogonal packings).
    assert int(np.sum(opt.k <= opt.d)) == 6


def _synthetic_random() -> list[list[float]]:
    """A file shaped like random_packing.json (256 cells), values from √(4 ln k / d)."""
    return [[k, d, float(np.sqrt(4 * np.log(k) / d))]
            for k in range(2000, 32001, 2000) for d in range(256, 4097, 256)]


def test_a_users_own_file_is_read_with_the_same_checks(tmp_path):
    path = tmp_path / "random_packing.json"
    path.write_text(json.dumps(_synthetic_random()))
    sweep = pdata.load_paper_sweep("random", path)
    assert sweep.origin == "file" and sweep.source == str(path)
    assert sweep.lookup(4000, 1024) == pytest.approx(np.sqrt(4 * np.log(4000) / 1024))


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "not a JSON file"),
    (json.dumps({"k": 1}), "expected a JSON list"),
    (json.dumps([[2000, 256]] * 256), "three numbers"),
    (json.dumps([[2000.5, 256, 0.3]] * 256), "integers"),
    (json.dumps([[2000, 256, 1.5]] * 256), "0 ≤ eps ≤ 1"),
    (json.dumps([[2000, 256, 0.3]] * 10), "10 cells"),
])
def test_malformed_file_is_an_error(tmp_path, content, fragment):
    path = tmp_path / "random_packing.json"
    path.write_text(content)
    with pytest.raises(DataFileError, match=fragment):
        pdata.load_paper_sweep("random", path)


def test_unknown_kind_and_missing_file(tmp_path):
    with pytest.raises(DomainError, match="unknown sweep kind"):
        pdata.load_paper_sweep("optimized")
    with pytest.raises(DataFileError, match="does not exist"):
        pdata.load_paper_sweep("random", tmp_path / "nowhere.json")


def test_shared_cells_against_a_brute_force_join(paper_data):
    sweep = pdata.read_sweep_file(paper_data / "optimized_packing.json", "optimised")
    # ours: a few of the paper's cells (perturbed ε) mixed with cells it does not have
    pick = [0, 7, len(sweep.k) - 1]
    k = np.array([float(sweep.k[i]) for i in pick] + [3.0, 123457.0])
    d = np.array([float(sweep.d[i]) for i in pick] + [2.0, 64.0])
    eps = np.array([float(sweep.eps[i]) * 1.1 for i in pick] + [0.5, 0.4])
    rows = pdata.shared_cells(sweep, k, d, eps, predict=lambda kk, dd: kk / dd)
    brute = []
    for kk, dd, e in zip(k, d, eps):
        hits = [x for x, y, z in zip(sweep.k, sweep.d, sweep.eps) if x == kk and y == dd]
        if hits:
            paper = float(sweep.eps[[i for i in range(len(sweep.k)) if sweep.k[i] == kk and sweep.d[i] == dd][0]])
            brute.append((kk, dd, e, paper))
    assert len(rows) == len(brute) == 3
    for row, (kk, dd, e, paper) in zip(rows, brute):
        assert (row["k"], row["d"], row["ours"], row["paper"]) == (kk, dd, e, paper)
        assert row["diff"] == pytest.approx(0.1, rel=1e-9)  # ours = 1.1 × paper
        assert row["law"] == kk / dd
    assert "law" not in pdata.shared_cells(sweep, k, d, eps)[0]


def test_shared_cells_without_data_or_overlap():
    assert pdata.shared_cells(None, [1000.0], [64.0], [0.3]) == []
    sweep = pdata.PaperSweep(kind="random", k=np.array([100, 200]), d=np.array([16, 16]),
                             eps=np.array([0.5, 0.6]), source="memory", origin="file")
    assert pdata.shared_cells(sweep, [100.0, 300.0], [32.0, 16.0], [0.4, 0.4]) == []
    assert pdata.shared_cells(sweep, [200.0], [16.0], [0.3])[0]["diff"] == pytest.approx(0.3 / 0.6 - 1)
    with pytest.raises(DomainError, match="same length"):
        pdata.shared_cells(sweep, [200.0, 100.0], [16.0], [0.3])
