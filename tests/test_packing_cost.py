"""repcap.packing.cost: FLOP counts, fitted throughput, extrapolated time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from repcap.packing import cost as sc
from repcap.errors import DomainError


def test_cell_flops_formulas():
    assert sc.cell_flops("random", 2000, 256, trials=1000) == 1000 * 2000**2 * 256
    assert sc.cell_flops("optimised", 2000, 32, steps=5000) == 6 * 5000 * 2000**2 * 32
    np.testing.assert_array_equal(sc.cell_flops("random", [2, 4], [3, 3], trials=2), [24.0, 96.0])
    with pytest.raises(DomainError):
        sc.cell_flops("random", 100, 10)
    with pytest.raises(DomainError):
        sc.cell_flops("optimised", 100, 10, steps=0)
    with pytest.raises(DomainError):
        sc.cell_flops("greedy", 100, 10, steps=1)
    with pytest.raises(DomainError):
        sc.cell_flops("random", 1, 10, trials=1)


def test_grid_flops_of_the_papers_optimised_grid():
    from repcap.packing.sweeps import PAPER_OPTIMISED_GRID

    total = sc.grid_flops("optimised", PAPER_OPTIMISED_GRID, steps=5000)
    brute = sum(6 * 5000 * k * k * d for k, d in PAPER_OPTIMISED_GRID)
    assert total == pytest.approx(brute, rel=1e-12)
    # ≈ 2.1e18 FLOP: about 30 h at an A100's 19.5 TFLOP/s fp32 peak; the paper reports "up to ~24 h".
    assert total / 19.5e12 / 3600 == pytest.approx(29.8, abs=0.1)
    with pytest.raises(DomainError):
        sc.grid_flops("optimised", [], steps=1)


def test_fit_throughput_recovers_a_known_rate():
    rate = 3.0e9
    cells = [(250, 16), (500, 32), (1000, 64)]
    records = [{"kind": "optimised", "k": k, "d": d, "seconds": 6 * 100 * k * k * d / rate * f,
                "settings": {"steps": 100}, "device": "cpu (2 threads)"}
               for (k, d), f in zip(cells, (1.25, 1.0, 0.8))]
    records.append({"kind": "optimised", "k": 9, "d": 9, "seconds": 0.0, "settings": {"steps": 1}})
    fit = sc.fit_throughput(records)
    assert fit.n == 3 and fit.kind == "optimised" and fit.device == "cpu (2 threads)"
    assert fit.rate == pytest.approx(rate, rel=1e-12)  # geometric mean of 1/1.25, 1, 1/0.8 is 1
    assert fit.low == pytest.approx(rate / 1.25) and fit.high == pytest.approx(rate / 0.8)
    secs = sc.estimate_seconds("optimised", [(2000, 64)], fit.rate, steps=5000)
    assert secs == pytest.approx(6 * 5000 * 2000**2 * 64 / rate)


def test_fit_throughput_errors():
    with pytest.raises(DomainError, match="no timed cells"):
        sc.fit_throughput([])
    mixed = [{"kind": "random", "k": 10, "d": 4, "seconds": 1.0, "settings": {"trials": 5}},
             {"kind": "optimised", "k": 10, "d": 4, "seconds": 1.0, "settings": {"steps": 5}}]
    with pytest.raises(DomainError, match="mix kinds"):
        sc.fit_throughput(mixed)
    assert sc.fit_throughput(mixed, kind="random").n == 1
    with pytest.raises(DomainError):
        sc.estimate_seconds("random", [(10, 4)], 0.0, trials=1)


def test_format_duration():
    assert sc.format_duration(42) == "42 s"
    assert sc.format_duration(210) == "3.5 min"
    assert sc.format_duration(7.2 * 3600) == "7.2 h"
    assert sc.format_duration(12 * 86400) == "12 days"
    assert sc.format_duration(math.inf) == "∞"


def test_the_cost_paragraph_of_the_packing_chapters():
    assert sc.gpu_estimates(19.5e12 * 3600) == [
        "on a GPU sustaining 8 TFLOP/s in float32 (e.g. a Colab T4): ≈ 2.4 h",
        "on a GPU sustaining 19.5 TFLOP/s in float32 (an A100's peak): ≈ 60.0 min",
        "on a GPU sustaining 50 TFLOP/s in float32 (e.g. an H100): ≈ 23.4 min"]
    assert [line.split(" (")[0] for line in sc.gpu_estimates(1e12, "float16")] == [
        "on a GPU sustaining 30 TFLOP/s in float16", "on a GPU sustaining 150 TFLOP/s in float16"]
    with pytest.raises(DomainError):
        sc.gpu_estimates(1e12, "bfloat16")
    rate = sc.Throughput(kind="optimised", rate=1e9, low=5e8, high=2e9, n=3, device="cpu")
    lines = sc.grid_cost_lines(rate, 4e12, grid="the grid", before=["a line"], note=" (note)")
    assert lines[:3] == [
        "* measured throughput on cpu: 1.00 GFLOP/s (geometric mean of 3 cells, range 0.50–2.00); "
        "work counted as 6·k²·d per step",
        "* a line",
        "* the grid = 4.00e+12 FLOP ≈ 33.3 min here at the best measured throughput (note)"]
    assert len(lines) == 6 and lines[3].startswith("  * on a GPU sustaining 8 TFLOP/s")
