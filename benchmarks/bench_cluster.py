"""Cluster benchmark: the same 8-cell optimised grid serially in this process and on ``local:2``.

The grid is the default profile's (chapter 5: k ∈ {250, 500} × d ∈ {16, 32, 64, 128}, 1000 steps);
``--quick`` runs it with 150 steps (seconds). Both sides use one torch thread per process, so the
ideal speed-up on two idle cores is 2. Printed:

``speed-up``        serial wall time / cluster wall time (cluster start-up not included);
``overhead/cell``   worker time not spent inside cells, per cell: (W · T_cluster − Σ t_cell) / n
                    for W workers; it holds scheduling, transfers, the driver's file writes and
                    the idle tail of the grid; in ms and as % of the mean serial cell;
``dispatch/cell``   the same for 40 empty tasks (W · T / 40): the scheduler's own cost per task.

Usage::

    python benchmarks/bench_cluster.py [--quick] [--workers 2]

Ratios are measured within one run; seconds are this machine's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from repcap.packing.cluster import connect, run_sweep_on_cluster, run_tasks
from repcap.packing.sweeps import run_sweep

CELLS = [(k, d) for d in (16, 32, 64, 128) for k in (250, 500)]


def _noop(x):
    return x


def _warm(_):
    """First call in a process pays torch's start-up; both sides pay it before the clock starts."""
    from repcap.packing import optimise_packing

    optimise_packing(40, 8, steps=5, progress=False, device="cpu")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="150 steps instead of 1000 (seconds)")
    parser.add_argument("--workers", type=int, default=2, help="local workers (default 2)")
    args = parser.parse_args()
    steps = 150 if args.quick else 1000
    options = {"steps": steps, "seed": 0, "device": "cpu"}
    torch.set_num_threads(1)  # as each worker: one thread (Dask sets OMP_NUM_THREADS=1 in workers)

    print(f"## {len(CELLS)} optimised cells, {steps} steps, serial vs local:{args.workers} "
          f"(torch {torch.__version__}, 1 thread per process)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _warm(None)
        t = time.perf_counter()
        serial = run_sweep("optimised", CELLS, tmp / "serial.jsonl", progress=False, **options)
        t_serial = time.perf_counter() - t

        t = time.perf_counter()
        with connect(f"local:{args.workers}") as client:
            t_start = time.perf_counter() - t
            client.run(_warm, None)
            t = time.perf_counter()
            cluster = run_sweep_on_cluster("optimised", CELLS, tmp / "cluster.jsonl", cluster=client,
                                           progress=False, **options)
            t_cluster = time.perf_counter() - t
            t = time.perf_counter()
            for _ in run_tasks(client, _noop, {f"noop-{i}": i for i in range(40)}, progress=False):
                pass
            t_noop = time.perf_counter() - t

    same = all(a["eps"] == b["eps"] and a["history"] == b["history"] for a, b in zip(serial, cluster))
    cell_serial = [r["seconds"] for r in serial]
    busy = sum(r["seconds"] for r in cluster)
    mean_cell = statistics.fmean(cell_serial)
    overhead = (args.workers * t_cluster - busy) / len(CELLS)
    dispatch = args.workers * t_noop / 40
    print(f"{'cell (k, d)':>12} {'serial s':>9} {'cluster s':>10}")
    for a, b in zip(serial, cluster):
        print(f"{str((a['k'], a['d'])):>12} {a['seconds']:>9.2f} {b['seconds']:>10.2f}")
    print(f"records equal to the serial run: {same}")
    print(f"cluster start-up        {t_start:8.2f} s (not counted below)")
    print(f"serial wall             {t_serial:8.2f} s")
    print(f"local:{args.workers} wall           {t_cluster:8.2f} s")
    print(f"speed-up                {t_serial / t_cluster:8.2f} x  (ideal {args.workers})")
    print(f"overhead/cell           {1e3 * overhead:8.1f} ms = {100 * overhead / mean_cell:.1f} % of the mean "
          f"serial cell ({mean_cell:.2f} s{'' if args.quick else ', a default-profile cell'})")
    print(f"dispatch/cell (no-op)   {1e3 * dispatch:8.1f} ms = {100 * dispatch / mean_cell:.2f} % of that cell")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
