"""Every benchmark runs as documented: its quick mode, in seconds, exits 0 and prints its ratios.

A benchmark that is never run rots (an argparse default that its own choices reject went unnoticed
this way); the full-size runs stay manual and their results go into the team's notes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

BENCHMARKS = sorted(p for p in (ROOT / "benchmarks").glob("bench_*.py"))


def test_every_benchmark_is_listed():
    assert {p.stem for p in BENCHMARKS} >= {"bench_packing", "bench_similarity", "bench_sources",
                                            "bench_superposition", "bench_relations",
                                            "bench_capacity_helpers"}


@pytest.mark.slow
@pytest.mark.parametrize("bench", BENCHMARKS, ids=lambda p: p.stem)
def test_quick_mode_runs_and_reports_a_ratio(bench, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg", "TMPDIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(bench), "--quick"], capture_output=True, text=True,
                          timeout=240, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    # each prints a comparison against its baseline, as "ratio" or "speed-up"
    assert re.search(r"ratio|speed-up", proc.stdout, re.IGNORECASE), proc.stdout[-500:]


def test_packing_benchmark_sections_are_validated():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_packing.py"), "bogus"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2 and "unknown section(s) bogus" in proc.stderr
