"""Grids, the resumable sweep runner and the results file."""

from __future__ import annotations

import json
import os

import pytest

import repcap.packing
from repcap.errors import CheckpointError, PackingError
from repcap.packing.sweeps import (PAPER_OPTIMISED_GRID, PAPER_RANDOM_GRID, default_grid, default_settings,
                           load_results, run_sweep)


def test_paper_grids_have_the_documented_shape():
    assert len(PAPER_RANDOM_GRID) == 256 == len(set(PAPER_RANDOM_GRID))
    assert {k for k, _ in PAPER_RANDOM_GRID} == set(range(2000, 32001, 2000))
    assert {d for _, d in PAPER_RANDOM_GRID} == set(range(256, 4097, 256))
    assert len(PAPER_OPTIMISED_GRID) == 166 == len(set(PAPER_OPTIMISED_GRID))
    assert sum(1 for _, d in PAPER_OPTIMISED_GRID if d <= 768) == 6 * 16
    assert sorted(k for k, d in PAPER_OPTIMISED_GRID if d == 1024) == [
        2000, 4000, 6000, 8000, 12000, 16000, 20000, 24000, 28000, 32000]


def test_paper_grids_equal_the_cells_of_the_released_data(paper_data):
    random_cells = {(k, d) for k, d, _ in json.loads((paper_data / "random_packing.json").read_text())}
    optimised_cells = {(k, d) for k, d, _ in json.loads((paper_data / "optimized_packing.json").read_text())}
    assert set(PAPER_RANDOM_GRID) == random_cells
    assert set(PAPER_OPTIMISED_GRID) == optimised_cells


def test_load_results_reads_the_paper_format(paper_data):
    records = load_results(paper_data / "optimized_packing.json", kind="optimised")
    assert len(records) == 166
    cell = {(r["k"], r["d"]): r["eps"] for r in records}
    assert cell[(2000, 32)] == pytest.approx(0.3859, abs=1e-4)  # values of the author's released sweep
    assert cell[(32000, 4096)] == pytest.approx(0.0250, abs=1e-4)
    assert all(r["kind"] == "optimised" and r["source"] == "paper" for r in records)


def test_default_grids_and_settings():
    for kind in ("random", "optimised"):
        assert default_grid(kind, "paper") == (PAPER_RANDOM_GRID if kind == "random" else PAPER_OPTIMISED_GRID)
        smoke, cpu = default_grid(kind, "smoke"), default_grid(kind, "cpu")
        assert 0 < len(smoke) < len(cpu)
        assert all(k >= 2 and d >= 2 for k, d in smoke + cpu)
    assert default_settings("random", "paper") == {"trials": 1000}
    assert default_settings("optimised", "cpu") == default_settings("optimised", "paper") == {"steps": 5000}
    # the CPU grids contain paper cells, so the book can compare with the released values
    assert {(2000, 256), (4000, 512)} <= set(default_grid("random", "cpu"))
    assert {(2000, 32), (2000, 64), (2000, 128)} <= set(default_grid("optimised", "cpu"))
    with pytest.raises(PackingError, match="budget"):
        default_grid("random", "laptop")
    with pytest.raises(PackingError, match="optimised cells"):
        default_grid("random", "released-cpu")
    with pytest.raises(PackingError, match="kind"):
        default_grid("annealed")


def test_random_sweep_writes_records_and_skips_them_on_restart(tmp_path, monkeypatch):
    path = tmp_path / "random.jsonl"
    cells = [(60, 8), (80, 8), (60, 12)]
    records = run_sweep("random", cells, path, trials=5, progress=False)
    assert [(r["k"], r["d"]) for r in records] == cells
    lines = path.read_text().splitlines()
    assert len(lines) == 3
    for line, record in zip(lines, records):
        stored = json.loads(line)
        assert stored["eps"] == record["eps"] and stored["settings"]["trials"] == 5
        assert stored["seconds"] > 0 and stored["device"] and "finished" in stored
    direct = repcap.packing.random_baseline(80, 8, 5, progress=False)
    assert records[1]["eps"] == direct.eps

    def forbidden(*args, **kwargs):
        raise AssertionError("a recorded cell was computed again")

    monkeypatch.setattr(repcap.packing, "random_baseline", forbidden)
    again = run_sweep("random", cells, path, trials=5, progress=False)
    assert again == records
    assert path.read_text().splitlines() == lines
    monkeypatch.undo()
    # other settings are other cells: appended, never overwriting
    more = run_sweep("random", cells[:1], path, trials=7, progress=False)
    assert more[0]["settings"]["trials"] == 7
    assert len(path.read_text().splitlines()) == 4
    assert not (tmp_path / "random.jsonl.checkpoints").exists()


class _Stop(Exception):
    pass


def test_interrupted_optimised_sweep_resumes_mid_cell(tmp_path):
    cells = [(30, 6), (40, 6), (30, 8)]
    clean = run_sweep("optimised", cells, tmp_path / "clean.jsonl", steps=60, progress=False)

    path = tmp_path / "run.jsonl"
    calls = []

    def stop_in_second_cell(step, eps):
        calls.append(step)
        if len(calls) > 2 and step == 45:  # cell 1 logs steps 0..59 (every 5); stop cell 2 at 45
            if len([s for s in calls if s == 0]) == 2:
                raise _Stop

    with pytest.raises(_Stop):
        run_sweep("optimised", cells, path, steps=60, progress=False, checkpoint_every=20, log_every=5,
                  callback=stop_in_second_cell)
    assert len(load_results(path)) == 1
    checkpoints = list((tmp_path / "run.jsonl.checkpoints").iterdir())
    assert len(checkpoints) == 1 and "k40-d6" in checkpoints[0].name
    resumed = run_sweep("optimised", cells, path, steps=60, progress=False, checkpoint_every=20, log_every=5)
    assert [r["eps"] for r in resumed] == [r["eps"] for r in clean]
    assert not (tmp_path / "run.jsonl.checkpoints").exists()
    assert len(path.read_text().splitlines()) == 3


def test_sweep_rejects_bad_requests(tmp_path):
    path = tmp_path / "x.jsonl"
    with pytest.raises(PackingError, match="kind"):
        run_sweep("greedy", [(10, 4)], path)
    with pytest.raises(PackingError, match="not `steps`"):
        run_sweep("random", [(10, 4)], path, steps=10)
    with pytest.raises(PackingError, match="not `trials`"):
        run_sweep("optimised", [(10, 4)], path, trials=10)
    with pytest.raises(PackingError, match="unknown option"):
        run_sweep("random", [(10, 4)], path, objective="paper")
    with pytest.raises(PackingError, match="pair"):
        run_sweep("random", [10], path)
    with pytest.raises(PackingError, match="no cells"):
        run_sweep("random", [], path)
    assert not path.exists()


def test_results_file_survives_a_crash_while_writing(tmp_path, monkeypatch):
    path = tmp_path / "r.jsonl"
    run_sweep("random", [(30, 4)], path, trials=2, progress=False)
    before = path.read_bytes()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        run_sweep("random", [(40, 4)], path, trials=2, progress=False)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_load_results_reports_damaged_files(tmp_path):
    good = {"kind": "random", "k": 10, "d": 4, "eps": 0.5}
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(good) + "\n{not json\n")
    with pytest.raises(CheckpointError, match="line 2"):
        load_results(path)
    path.write_text(json.dumps({"k": 10, "eps": 0.5}) + "\n")
    with pytest.raises(CheckpointError, match="lacks"):
        load_results(path)
    path.write_text("[[2000, 32, 0.3859], [4000, 32]]")
    with pytest.raises(CheckpointError, match="entry 2"):
        load_results(path)
    with pytest.raises(CheckpointError, match="cannot read"):
        load_results(tmp_path / "absent.jsonl")
    path.write_text(json.dumps(good) + "\n\n" + json.dumps({**good, "kind": "optimised"}) + "\n")
    assert len(load_results(path)) == 2
    assert len(load_results(path, kind="random")) == 1


def test_released_cpu_grid_is_every_small_released_cell_and_fits_the_cost_model():
    from repcap.packing.cost import grid_flops
    from repcap.packing.released import load_paper_sweep

    cells = default_grid("optimised", "released-cpu")
    released = load_paper_sweep("optimised")
    small = {(int(k), int(d)) for k, d, _ in released.cells() if k <= 4000 and d <= 256}
    assert set(cells) == small and len(cells) == 8
    settings = default_settings("optimised", "released-cpu")
    assert settings == {"steps": 2000, "objective": "anneal"}
    # about 30 minutes on 2 cores at 100 GFLOP/s (2 × the ~50 GFLOP/s one core sustains here)
    assert grid_flops("optimised", cells, steps=settings["steps"]) <= 1800 * 1e11


def test_kept_released_cpu_results_are_the_grid_run_with_its_settings():
    from repcap.geometry.bounds import coherence_floor
    from repcap.packing.released import load_paper_sweep
    from repcap.packing.sweeps import plan_cells, released_cpu_results

    path = released_cpu_results()
    assert path.exists(), "repcap/data/packings/released_cpu.jsonl is missing (see the README beside it)"
    records = load_results(path)
    settings = default_settings("optimised", "released-cpu")
    steps = settings.pop("steps")
    specs = {(s["k"], s["d"]): s for s in plan_cells("optimised", default_grid("optimised", "released-cpu"),
                                                      path, steps=steps, **settings)}
    released = load_paper_sweep("optimised")
    assert records
    for rec in records:
        spec = specs[(rec["k"], rec["d"])]  # a cell of the grid ...
        assert rec["settings"] == spec["settings"] and rec["seed"] == 0  # ... run with its settings
        assert coherence_floor(rec["k"], rec["d"]) <= rec["eps"] < released.lookup(rec["k"], rec["d"]) * 1.2
        assert min(e for _, e in rec["history"]) >= rec["eps"]  # the kept rows are the best met
