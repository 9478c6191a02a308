"""repcap.geometry.feasibility: the band of proven bounds around the paper's laws, checked independently."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import special, stats

from repcap.geometry import feasibility
from repcap.errors import DomainError
from repcap.laws import PAPER_EQ7


def _eq7_log10(d, eps, C=PAPER_EQ7["C"], a=PAPER_EQ7["a"], b=PAPER_EQ7["b"], c=PAPER_EQ7["c"]):
    # Closed form of the paper's max_k, before rounding, in log10.
    return (math.log(d) + (d**c * eps**2 / C) ** (1 / b)) / a / math.log(10)


def _greedy_log10(d, eps):
    # 1 / P(|cos| > eps) for uniform vectors, via the Beta law of cos² (independent of repcap.geometry.null).
    return -math.log10(stats.beta.sf(eps**2, 0.5, (d - 1) / 2))


def test_band_curves_match_closed_forms():
    eps = np.array([0.05, 0.0645, 0.1, 0.2])
    band = feasibility.band_curves(4096, eps)
    for i, e in enumerate(eps):
        assert band["eq7"][i] == pytest.approx(_eq7_log10(4096, e), rel=1e-12)
        assert band["eq6"][i] == pytest.approx((math.log(4096) + 4096 * e**2 / 1.293401) / math.log(10), rel=1e-12)
        assert band["random_sign"][i] == pytest.approx(4096 * e**2 / 4 / math.log(10), rel=1e-12)
        assert band["greedy"][i] == pytest.approx(_greedy_log10(4096, e), rel=1e-6)
        # The greedy guarantee beats e^{dε²/2} (theory §2.8 item 3) and the random-sign one.
        assert band["greedy"][i] > 4096 * e**2 / 2 / math.log(10) > band["random_sign"][i]
        assert band["upper"][i] > band["greedy"][i]
    # Llama 2 7B (d = 4096, ε = 0.0645): greedy 10^4.44, best closed-form upper 10^56.0 (theory §2.8 item 10).
    assert band["greedy"][1] == pytest.approx(4.44, abs=0.01)
    assert band["upper"][1] == pytest.approx(55.95, abs=0.01)
    assert band["kl"][1] == pytest.approx(14.60, abs=0.01)


def test_band_rejects_bad_grid():
    with pytest.raises(DomainError, match="strictly between 0 and 1"):
        feasibility.band_curves(4096, [0.0, 0.1])
    with pytest.raises(DomainError):
        feasibility.model_band(4096, 1.0)


def test_model_band_verdicts_for_table1_examples():
    rows = feasibility.model_band([4096, 8192, 16384], [0.0645, 0.09962, 0.04813])
    llama2_7b, llama2_70b, llama31_405b = rows
    # Table 1 values are Eq. 7 with the paper's constants: 3.99e7, 8.15e15, 1.22e11.
    assert 10 ** llama2_7b["log10_eq7"] == pytest.approx(3.99e7, rel=0.005)
    assert 10 ** llama2_70b["log10_eq7"] == pytest.approx(8.15e15, rel=0.005)
    assert 10 ** llama31_405b["log10_eq7"] == pytest.approx(1.22e11, rel=0.005)
    # Explicit dual-BCH codes beat both: m = 12, e = 3 (2^36 vectors in R^4095 at ≤ 257/4095) and
    # m = 14, e = 4 (2^56 in R^16383 at ≤ 769/16383), so neither capacity is an upper bound.
    assert llama2_7b["verdict"] == "below existence" and llama2_7b["eq7_below_construction"]
    assert (llama2_7b["construction_family"], llama2_7b["construction_params"]) == (
        "dual_bch", {"m": 12, "e": 3})
    assert llama2_7b["construction_over_eq7"] == pytest.approx(2 ** 36 / 3.99e7, rel=0.005)
    assert llama31_405b["construction_count"] == 2 ** 56
    assert llama31_405b["verdict"] == "below existence"
    # Llama 2 70B: the greedy construction provably fits 10^18.8 vectors, more than Eq. 7's 10^15.9.
    assert llama2_70b["verdict"] == "below existence"
    assert llama2_70b["log10_greedy"] == pytest.approx(18.80, abs=0.01)
    assert llama2_70b["eps_sqrt_d"] == pytest.approx(0.09962 * math.sqrt(8192))
    assert {r["upper_name"] for r in rows} == {"moment"}


def test_eq7_exit_is_a_root_and_near_7_5():
    out = feasibility.eq7_exit([1024, 4096, 16384])
    for d, e in zip(out["d"], out["eps"]):
        assert _eq7_log10(d, e) == pytest.approx(_greedy_log10(d, e), abs=1e-6)
        # Just below the root Eq. 7 is above the guarantee, just above it below.
        assert _eq7_log10(d, e * 0.99) > _greedy_log10(d, e * 0.99)
        assert _eq7_log10(d, e * 1.01) < _greedy_log10(d, e * 1.01)
    # Eq. 7 (Guha 2026, §3.3) drops below the greedy guarantee at ε√d ≈ 7.0 (d = 1024), 7.6 (d = 16384).
    assert out["eps_sqrt_d"][0] == pytest.approx(7.0, abs=0.05)
    assert out["eps_sqrt_d"][-1] == pytest.approx(7.56, abs=0.05)
    assert np.all(np.diff(out["eps_sqrt_d"]) > 0)


def test_eq7_exit_with_other_constants_and_errors():
    # A smaller C makes the law more generous, so it leaves the band at a larger ε.
    paper = feasibility.eq7_exit(4096)["eps"][0]
    generous = feasibility.eq7_exit(4096, eq7_params={**PAPER_EQ7, "C": PAPER_EQ7["C"] / 2})["eps"][0]
    assert generous > paper
    assert _eq7_log10(4096, generous, C=PAPER_EQ7["C"] / 2) == pytest.approx(_greedy_log10(4096, generous),
                                                                           abs=1e-6)
    with pytest.raises(DomainError):
        feasibility.eq7_exit(1)


def test_floor_ratios_on_released_optimised_data(paper_data):
    cells = np.array(json.loads((paper_data / "optimized_packing.json").read_text()))
    k, d, eps = cells.T
    out = feasibility.floor_ratios(k, d, eps)
    finite = np.isfinite(out["ratio"])
    # Six cells have k ≤ d (floor 0, ratio undefined); the 160 others sit 1.30–2.55× above the floor.
    assert int((~finite).sum()) == 6 and np.all(k[~finite] <= d[~finite])
    assert out["ratio"][finite].min() == pytest.approx(1.30, abs=0.01)
    assert out["ratio"][finite].max() == pytest.approx(2.55, abs=0.01)
    assert np.median(out["ratio"][finite]) == pytest.approx(1.74, abs=0.01)
    assert np.all(out["ratio"][finite] > 1)
    # Welch by brute force on one cell: (k, d) = (32000, 4096), floor 0.0146.
    i = int(np.nonzero((k == 32000) & (d == 4096))[0][0])
    welch = math.sqrt((32000 - 4096) / (4096 * 31999))
    assert out["floor"][i] >= welch - 1e-15
    assert out["floor"][i] == pytest.approx(0.0146, abs=1e-4)


def test_floor_ratios_random_packing_is_above_floor():
    rng = np.random.default_rng(0)
    for k, d in [(60, 8), (200, 16)]:
        x = rng.standard_normal((k, d))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        g = np.abs(x @ x.T)
        np.fill_diagonal(g, 0)
        out = feasibility.floor_ratios(k, d, g.max())
        assert out["ratio"][0] > 1
    with pytest.raises(DomainError):
        feasibility.floor_ratios(10, 4, 1.5)


def test_ratio_summary_against_sorting():
    ratio = np.array([2.0, np.nan, 1.5, 3.0, 1.2, np.nan])
    row = feasibility.ratio_summary(ratio, "mine")
    finite = sorted(x for x in ratio.tolist() if not math.isnan(x))
    assert row == {"data": "mine", "n": 4, "lo": finite[0], "med": (finite[1] + finite[2]) / 2, "hi": finite[-1]}
    # an explicit mask picks the cells (here the ones another array has finite)
    masked = feasibility.ratio_summary(np.array([5.0, 9.0, 1.0, 7.0, 3.0, 4.0]), "other", where=np.isfinite(ratio))
    assert (masked["n"], masked["lo"], masked["med"], masked["hi"]) == (4, 1.0, 4.0, 7.0)
    empty = feasibility.ratio_summary(np.array([np.nan]), "none")
    assert empty["n"] == 0 and math.isnan(empty["med"])
    with pytest.raises(DomainError, match="one flag per cell"):
        feasibility.ratio_summary(ratio, "x", where=[True])
    with pytest.raises(DomainError, match="not finite"):
        feasibility.ratio_summary(ratio, "x", where=np.ones(6, bool))


def test_ratio_summary_of_the_released_optimised_packings(paper_data):
    cells = np.array(json.loads((paper_data / "optimized_packing.json").read_text()))
    k, d, eps = cells.T
    released = feasibility.ratio_summary(feasibility.floor_ratios(k, d, eps)["ratio"], "paper")
    assert released["n"] == 160  # 166 cells, six with k ≤ d
    assert (released["lo"], released["med"], released["hi"]) == pytest.approx((1.30, 1.74, 2.55), abs=0.01)


def test_random_count_inverts_the_null_law_and_matches_simulation():
    from repcap.geometry.null import best_of_trials_median

    k = feasibility.random_count(4096, 0.0645)
    assert float(best_of_trials_median(k, 4096, 1)) == pytest.approx(0.0645, rel=1e-8)
    # Leading order e^{dε²/4} (C = 4) is an underestimate at finite k; the fitted C ≈ 3.03 overshoots T = 1.
    assert math.exp(4096 * 0.0645**2 / 4) < k < math.exp(4096 * 0.0645**2 / 3.029)
    many = feasibility.random_count(4096, 0.0645, trials=1000)
    assert many > k
    # Independent check by simulation: at (d, ε) = (64, 0.5), half of all draws of k random vectors
    # should have max |cos| ≤ ε.
    d, eps = 64, 0.5
    kk = int(round(float(feasibility.random_count(d, eps))))
    rng = np.random.default_rng(1)
    below = 0
    for _ in range(300):
        x = rng.standard_normal((kk, d))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        g = np.abs(x @ x.T)
        np.fill_diagonal(g, 0)
        below += g.max() <= eps
    assert 0.40 < below / 300 < 0.60
    np.testing.assert_allclose(feasibility.random_count([256, 1024], [0.2834, 0.1440], 1000),
                               [1929, 1989], rtol=0.01)
    with pytest.raises(DomainError):
        feasibility.random_count(64, 0.0)


TABLE_ROWS = [  # capacity_rows-like rows of the paper's Table 1 (ε, printed capacity)
    {"name": "Llama 2 7B", "d_model": 4096, "eps": 0.0645, "capacity_paper": 3.99e7, "log10_eq7_paper": 7.6},
    {"name": "Llama 2 70B", "d_model": 8192, "eps": 0.09962, "capacity_paper": 8.15e15, "log10_eq7_paper": 15.9},
    {"name": "Llama 3.1 405B", "d_model": 16384, "eps": 0.04813, "capacity_paper": 1.22e11, "log10_eq7_paper": 11.1},
]


def test_named_band_attaches_names_and_finds_all_three_below_existence():
    verdicts = feasibility.named_band(TABLE_ROWS)
    plain = feasibility.model_band([r["d_model"] for r in TABLE_ROWS], [r["eps"] for r in TABLE_ROWS])
    for v, p, r in zip(verdicts, plain, TABLE_ROWS):
        assert v["name"] == r["name"] and v["capacity_paper"] == r["capacity_paper"]
        assert {k: v[k] for k in p} == p  # the band itself is model_band's, untouched
    outside = feasibility.outside_band(verdicts)
    # 70B is below the greedy count; 7B and 405B below an explicit dual-BCH code.
    assert [v["name"] for v in outside] == [r["name"] for r in TABLE_ROWS]
    assert {v["verdict"] for v in outside} == {"below existence"}
    assert feasibility.named_band([]) == []
    with pytest.raises(DomainError, match="d_model or eps"):
        feasibility.named_band([{"name": "x", "eps": 0.05}])


def test_band_panels_select_models_and_match_band_curves_and_exit():
    grid = np.linspace(0.02, 0.12, 11)
    panels = feasibility.band_panels(TABLE_ROWS, dims=(4096, 8192, 2048), eps_grid=grid)
    assert [p["d"] for p in panels] == [4096, 8192, 2048]
    assert [m["name"] for m in panels[0]["models"]] == ["Llama 2 7B"]
    assert panels[1]["models"] == [{"name": "Llama 2 70B", "eps": 0.09962, "log10_eq7": 15.9}]
    assert panels[2]["models"] == []
    for p in panels:
        ref = feasibility.band_curves(p["d"], grid)
        for key in ref:
            np.testing.assert_array_equal(p["curves"][key], ref[key])
        assert p["exit_eps"] == float(feasibility.eq7_exit(p["d"])["eps"][0])
    # the default grid: 300 points on [0.01, 0.16]
    default = feasibility.band_panels(TABLE_ROWS, dims=(4096,))[0]["curves"]["eps"]
    assert default.size == 300 and (default[0], default[-1]) == (0.01, 0.16)
