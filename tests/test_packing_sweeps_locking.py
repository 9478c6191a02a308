"""repcap.packing.sweeps locking: two processes on one sweep compute each cell once and see the same records."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from repcap.errors import PackingError
from repcap.packing.sweeps import run_sweep, sweep_lock

SCRIPT = """
import json, sys, time
from repcap.packing.sweeps import run_sweep
t0 = time.time()
records = run_sweep("random", [(20, 8), (30, 8)], sys.argv[1], trials=30, seed=1, progress=False,
                           device="cpu")
print(json.dumps({"eps": [r["eps"] for r in records], "start": t0, "end": time.time()}))
"""


def test_two_processes_share_one_sweep(tmp_path):
    results = tmp_path / "sweep.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, str(results)], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs[0]["eps"] == outs[1]["eps"]
    lines = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    # Each cell recorded exactly once: the second process found both cells done.
    assert sorted((r["k"], r["d"]) for r in lines) == [(20, 8), (30, 8)]
    # The same computation in this process is a pure cache hit with identical values.
    again = run_sweep("random", [(20, 8), (30, 8)], results, trials=30, seed=1, progress=False, device="cpu")
    assert [r["eps"] for r in again] == outs[0]["eps"]


def test_lock_times_out_with_a_clear_message(tmp_path):
    results = tmp_path / "sweep.jsonl"
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time\nfrom repcap.packing.sweeps import sweep_lock\n"
                               "with sweep_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(30)\n",
                               str(results)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        began = time.monotonic()
        with pytest.raises(PackingError, match="sweep.jsonl.lock"):
            with sweep_lock(results, timeout=0.5, poll=0.05):
                pass
        assert time.monotonic() - began < 5
    finally:
        holder.kill()
        holder.wait()
    # Released by the kernel when the holder died: acquiring now is immediate.
    with sweep_lock(results, timeout=5) as waited:
        assert waited < 5
