"""repcap.packing.cluster on real Dask clusters: a scheduler and two workers started here as separate
processes on 127.0.0.1, and ``local:2``. Every cell must end with exactly one record, equal to the
serial run's (same seed), whether a worker is SIGKILLed mid-cell, a cell fails, or the driver dies.

Each test bounds its own waits; every process started here is stopped in a ``finally``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from conftest import ROOT  # noqa: E402
from repcap.packing import sweeps  # noqa: E402
from repcap.packing.cluster import connect, run_sweep_on_cluster  # noqa: E402

# Four cells of under a second each on one CPU thread; checkpoints every 30 of the 240 steps, so a
# cell interrupted mid-way resumes rather than restarts.
CELLS = [(700, 24), (800, 24), (700, 32), (800, 32)]
OPTIONS = {"steps": 240, "seed": 3, "device": "cpu", "checkpoint_every": 30, "log_every": 30}
SAME = ("kind", "k", "d", "eps", "seed", "settings", "history")  # all but seconds, device, finished


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "3"}


def _stop(procs) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _same(record: dict) -> dict:
    return {key: record.get(key) for key in SAME}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The reference: the grid run serially in this process."""
    path = tmp_path_factory.mktemp("serial") / "serial.jsonl"
    records = sweeps.run_sweep("optimised", CELLS, path, progress=False, **OPTIONS)
    return {(r["k"], r["d"]): _same(r) for r in records}


@pytest.fixture(scope="module")
def scheduler():
    """``dask scheduler`` and two ``dask worker`` processes (no nanny: the worker is the process)."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    run = [sys.executable, "-m"]
    procs = [subprocess.Popen(run + ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                                     str(port), "--dashboard-address", ":0", "--no-show"],
                              cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    workers = {}
    try:
        for name in ("w1", "w2"):
            proc = subprocess.Popen(run + ["distributed.cli.dask_worker", address, "--name", name,
                                           "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
                                           "--no-dashboard", "--death-timeout", "60"],
                                    cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            procs.append(proc)
            workers[name] = proc
        with distributed.Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        _stop(procs)


def test_local_cluster_matches_serial_and_a_failing_cell_does_not_stop_the_grid(tmp_path, serial, scheduler):
    path = tmp_path / "local.jsonl"
    specs = sweeps.plan_cells("optimised", CELLS, path, **OPTIONS)
    broken = Path(specs[1]["checkpoint"])
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"not a checkpoint")  # a damaged checkpoint: that cell raises on its worker

    records = run_sweep_on_cluster("optimised", CELLS, path, cluster="local:2", progress=False, **OPTIONS)
    failed = records[1]
    assert failed["status"] == "failed" and failed["eps"] is None and failed["error"]
    assert "CheckpointError" in failed["error"]
    for cell, record in zip(CELLS, records):
        if cell != CELLS[1]:
            assert _same(record) == serial[cell]
    assert len(_lines(path)) == 4

    broken.unlink()  # repaired: the rerun computes only that cell and replaces its failure record
    with distributed.Client(scheduler[0], timeout="30s") as client:  # an open client works too
        again = run_sweep_on_cluster("optimised", CELLS, path, cluster=client, progress=False, **OPTIONS)
    assert [_same(r) for r in again] == [serial[c] for c in CELLS]
    stored = _lines(path)
    assert sorted((r["k"], r["d"]) for r in stored) == sorted(CELLS)
    assert not any(r.get("status") == "failed" for r in stored)
    assert not path.with_name(path.name + ".checkpoints").exists()


DRIVER = """
import sys
from repcap.packing.cluster import run_sweep_on_cluster
run_sweep_on_cluster("optimised", {cells!r}, sys.argv[1], cluster=sys.argv[2], progress=False, **{options!r})
"""


def test_driver_killed_then_rerun_resumes(tmp_path, scheduler, serial):
    address, _ = scheduler
    path = tmp_path / "driver.jsonl"
    script = DRIVER.format(cells=CELLS, options=OPTIONS)
    driver = subprocess.Popen([sys.executable, "-c", script, str(path), address], cwd=ROOT, env=_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (path.exists() and _lines(path)) and time.monotonic() < deadline:
            assert driver.poll() is None, driver.stderr.read().decode()[-2000:]
            time.sleep(0.05)
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=10)
    finally:
        _stop([driver])
    before = path.read_text().splitlines()
    assert 1 <= len(before) < len(CELLS)

    records = run_sweep_on_cluster("optimised", CELLS, path, cluster=address, progress=False, **OPTIONS)
    assert [_same(r) for r in records] == [serial[c] for c in CELLS]
    after = path.read_text().splitlines()
    assert after[:len(before)] == before  # the cells recorded before the kill were not recomputed
    assert sorted((r["k"], r["d"]) for r in _lines(path)) == sorted(CELLS)


def test_worker_killed_mid_cell_each_cell_has_one_record_equal_to_serial(tmp_path, scheduler, serial):
    address, workers = scheduler
    path = tmp_path / "killed.jsonl"
    specs = {sweeps.cell_key(s): Path(s["checkpoint"]) for s in sweeps.plan_cells("optimised", CELLS, path,
                                                                                 **OPTIONS)}
    killed: list[tuple[str, str]] = []
    stop = threading.Event()

    def kill_a_worker_mid_cell():
        # A worker is mid-cell when it processes a cell whose checkpoint exists (≥ 30 steps done).
        with distributed.Client(address, timeout="30s") as watcher:
            while not stop.is_set():
                names = {a: w["name"] for a, w in watcher.scheduler_info()["workers"].items()}
                for addr, keys in watcher.processing().items():
                    mid = [key for key in keys if key in specs and specs[key].exists()]
                    if mid and names.get(addr) in workers:
                        workers[names[addr]].send_signal(signal.SIGKILL)
                        killed.append((names[addr], mid[0]))
                        return
                time.sleep(0.02)

    thread = threading.Thread(target=kill_a_worker_mid_cell, daemon=True)
    thread.start()
    try:
        records = run_sweep_on_cluster("optimised", CELLS, path, cluster=address, progress=False, **OPTIONS)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert len(killed) == 1, "no worker was caught mid-cell"
    name, key = killed[0]
    assert workers[name].wait(timeout=10) == -signal.SIGKILL
    assert [_same(r) for r in records] == [serial[c] for c in CELLS]
    stored = _lines(path)
    assert sorted((r["k"], r["d"]) for r in stored) == sorted(CELLS)  # exactly one record per cell
    assert all(r.get("status") != "failed" for r in stored)
    with connect(address) as client:
        assert len(client.scheduler_info()["workers"]) == 1  # the survivor computed the rest


def test_without_a_scheduler_or_with_a_bad_address_one_clear_error(tmp_path):
    from repcap.errors import PackingError

    with pytest.raises(PackingError, match="local:N"):
        run_sweep_on_cluster("optimised", CELLS[:1], tmp_path / "x.jsonl", cluster="local:0", **OPTIONS)
    with pytest.raises(PackingError, match="cannot reach a Dask scheduler"):
        with connect(f"tcp://127.0.0.1:{_free_port()}", timeout=2):
            pass
