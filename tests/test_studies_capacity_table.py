"""repcap.studies.capacity_table: Table 1 recomputed from ε, sensitivity examples, the Eq. 2 budget."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from repcap.studies import capacity_table as ct
from repcap.errors import DomainError
from repcap.laws import PAPER_EQ7, Fit
from repcap.laws.metrics import rank_correlation

# A few Table 1 rows as the paper prints them (Guha 2026, App. D).
ROWS = [
    {"name": "Llama 2 7B", "d_model": 4096, "eps_paper": 0.06450, "capacity_paper": 3.99e7,
     "vocab_size": 32000, "tied": False},
    {"name": "Llama 2 70B", "d_model": 8192, "eps_paper": 0.09962, "capacity_paper": 8.15e15},
    {"name": "Llama 3.1 405B", "d_model": 16384, "eps_paper": 0.04813, "capacity_paper": 1.22e11},
    {"name": "Phi 2", "d_model": 2560, "eps_paper": 0.05497, "capacity_paper": 4.57e5},
    {"name": "Qwen 2.5 0.5B", "d_model": 896, "eps_paper": 0.36035, "capacity_paper": "indeterminate"},
]


def _max_k(n, eps, C=PAPER_EQ7["C"], a=PAPER_EQ7["a"], b=PAPER_EQ7["b"], c=PAPER_EQ7["c"]):
    """The author's max_k, written out in plain float64 (representational_capacity.py)."""
    return math.ceil((n * math.exp((eps**2 * n**c / C) ** (1 / b))) ** (1 / a))


def test_capacity_rows_reproduce_printed_values():
    rows = ct.capacity_rows(ROWS)
    assert [r["name"] for r in rows] == [r["name"] for r in ROWS]
    for row, src in zip(rows[:4], ROWS[:4]):
        assert row["capacity_eq7_paper"] == pytest.approx(_max_k(src["d_model"], src["eps_paper"]), rel=1e-9)
        # Printed with three significant digits from ε rounded to five decimals: within 0.5 %.
        assert abs(row["rel_diff"]) < 0.005
        assert row["determinate"] and row["paper_class"] == "Class 2"
    q = rows[4]
    assert q["capacity_paper"] is None and q["rel_diff"] is None
    assert not q["determinate"] and q["paper_class"] == "Class 1"
    assert rows[0]["vocab_size"] == 32000 and rows[0]["tied"] is False
    # Eq. 6 (Guha 2026, §3.3, C = 1.293401) for Llama 2 7B: ≈ 2.16e9, far above Eq. 7.
    assert 10 ** rows[0]["log10_eq6"] == pytest.approx(2.16e9, rel=0.01)
    assert rows[0]["log10_eq7_fitted"] is None


def test_fitted_constants_are_used():
    fit = Fit(form="eq7", params={"C": 0.5, "a": 1.1, "b": 1.4, "c": 0.95}, r2=1, mape=0, nrmse=0, n=10)
    row = ct.capacity_rows(ROWS[:1], fitted=fit)[0]
    expected = math.log10((4096 * math.exp((0.0645**2 * 4096**0.95 / 0.5) ** (1 / 1.4))) ** (1 / 1.1))
    assert row["log10_eq7_fitted"] == pytest.approx(expected, rel=1e-12)
    row = ct.capacity_rows(ROWS[:1], fitted={"C": 0.5, "a": 1.1, "b": 1.4, "c": 0.95})[0]
    assert row["log10_eq7_fitted"] == pytest.approx(expected, rel=1e-12)


def test_rows_as_objects_and_bad_rows():
    @dataclass
    class Model:
        name: str
        d_model: int
        eps_paper: float
        capacity_paper: float | None = None

    row = ct.capacity_rows([Model("Llama 2 7B", 4096, 0.0645, 3.99e7)])[0]
    assert abs(row["rel_diff"]) < 0.005
    with pytest.raises(DomainError, match="numeric d_model"):
        ct.capacity_rows([{"name": "x", "d_model": 4096}])
    assert ct.field({"a": None, "b": 2}, "a", "b") == 2
    assert ct.field(Model("m", 1, 0.1), "nope", default=7) == 7


def test_relative_difference():
    assert ct.relative_difference(101.0, 100.0) == pytest.approx(0.01)
    out = ct.relative_difference([110.0, 90.0, 5.0], [100.0, 100.0, None])
    np.testing.assert_allclose(out[:2], [0.1, -0.1])
    assert np.isnan(out[2])


def test_sensitivity_examples_match_paper_and_closed_form():
    rows = ct.sensitivity_examples()
    assert [(r["d"], r["eps"]) for r in rows] == [(2048, 0.09), (3072, 0.09), (8192, 0.05), (8192, 0.09)]
    for r in rows:
        assert r["capacity"] == pytest.approx(_max_k(r["d"], r["eps"]), rel=1e-6)
        # Printed with two significant digits.
        assert abs(r["rel_diff"]) < 0.03
    # "d_model 2048 → 3072 at ε = 0.09 gives 30×"; "ε 0.05 → 0.09 at 8192: six orders of magnitude".
    assert ct.doubling_factor(2048, 3072, 0.09, 0.09) == pytest.approx(30.0, rel=0.01)
    assert math.log10(ct.doubling_factor(8192, 8192, 0.05, 0.09)) == pytest.approx(5.92, abs=0.01)


def test_capacity_grid_shape_and_values():
    grid = ct.capacity_grid([2048, 4096], [0.05, 0.09, 0.25])
    assert grid.shape == (2, 3)
    assert 10 ** grid[0, 2] == pytest.approx(2.045e20, rel=0.001)  # the paper's vacuous Class 1 example
    assert np.all(np.diff(grid, axis=1) > 0) and np.all(np.diff(grid, axis=0) > 0)
    jl = ct.capacity_grid([4096], [0.0645], form="jl", params={"C": 8.0})
    assert 10 ** jl[0, 0] == pytest.approx(math.exp(4096 * 0.0645**2 / 8), rel=1e-12)
    with pytest.raises(DomainError):
        ct.capacity_grid([], [0.1])


def test_budget_rows():
    rows = [
        {"name": "untied", "d_model": 4096, "eps": 0.0645, "vocab_size": 32000, "tied": False},
        {"name": "tied", "d_model": 4096, "eps": 0.0645, "vocab_size": 32000, "tied": True},
        {"name": "no vocab", "d_model": 4096, "eps": 0.0645},
        {"name": "too small", "d_model": 64, "eps": 0.001, "vocab_size": 50000, "tied": True},
    ]
    out = ct.budget_rows(rows)
    assert [r["name"] for r in out] == ["untied", "tied", "too small"]
    k = 10 ** math.log10(_max_k(4096, 0.0645))
    assert out[0]["vocab_directions"] == 64000 and out[1]["vocab_directions"] == 32000
    assert out[0]["vocab_share"] == pytest.approx(64000 / k, rel=1e-6)
    assert 10 ** out[0]["log10_features"] == pytest.approx(k - 64000, rel=1e-6)
    assert 10 ** out[1]["log10_features"] == pytest.approx(k - 32000, rel=1e-6)
    assert out[2]["vocab_share"] > 1 and math.isnan(out[2]["log10_features"])


def test_elasticities_match_finite_differences():
    from repcap.laws import log10_capacity

    for d, eps in [(4096, 0.0645), (2048, 0.09), (16384, 0.048)]:
        el = ct.elasticities(d, eps)
        h = 1e-6
        num_eps = (math.log(10) * (log10_capacity(d, eps * (1 + h)) - log10_capacity(d, eps * (1 - h)))) / (2 * h)
        num_d = (math.log(10) * (log10_capacity(d * (1 + h), eps) - log10_capacity(d * (1 - h), eps))) / (2 * h)
        assert el["e_eps"] == pytest.approx(num_eps, rel=1e-5)
        assert el["e_d"] == pytest.approx(num_d, rel=1e-5)
        assert 1.5 < el["ratio"] < 2 / PAPER_EQ7["c"]
    with pytest.raises(DomainError):
        ct.elasticities(4096, 0.0)


def _ranks(v):
    """Average ranks (1-based), ties shared, by brute force."""
    v = list(v)
    return [sum(1 for w in v if w < x) + (sum(1 for w in v if w == x) + 1) / 2 for x in v]


def _spearman_by_hand(x, y):
    rx, ry = np.array(_ranks(x)), np.array(_ranks(y))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return float((rx * ry).sum() / math.sqrt((rx**2).sum() * (ry**2).sum()))


def test_class2_rows_and_series_follow_the_table():
    table = ct.capacity_rows(ROWS)
    c2 = ct.class2_rows(table)
    assert [r["name"] for r in c2] == ["Phi 2", "Llama 2 7B", "Llama 3.1 405B", "Llama 2 70B"]
    lg = [r["log10_eq7_paper"] for r in c2]
    assert lg == sorted(lg)
    series = ct.capacity_series(c2)
    assert list(series) == [ct.TABLE1_SERIES, "Eq. 6, C = 1.293"]  # no fitted constants, no band
    # Eq. 6 by hand: log10(d) + d ε² / (C ln 10)
    for r, v in zip(c2, series["Eq. 6, C = 1.293"]):
        assert v == pytest.approx(math.log10(r["d_model"]) + r["d_model"] * r["eps"] ** 2 / (1.2934 * math.log(10)),
                                  rel=1e-4)
    band = [{"log10_greedy": float(i)} for i in range(len(c2))]
    fitted = ct.capacity_series(ct.class2_rows(ct.capacity_rows(ROWS, fitted=PAPER_EQ7)), band=band)
    assert list(fitted)[2:] == ["Eq. 7, our constants", ct.GREEDY_SERIES]
    assert fitted[ct.GREEDY_SERIES] == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(DomainError, match="same order"):
        ct.capacity_series(c2, band=band[:2])


def test_series_agreement_against_hand_ranks_and_gaps():
    series = {ct.TABLE1_SERIES: [1.0, 2.0, 3.0, 4.0, 5.0],
              "a": [1.5, 2.1, 2.9, 7.0, 5.0],     # one swap at the end
              "b": [5.0, 4.0, 4.0, 2.0, 1.0],     # reversed, with a tie
              ct.GREEDY_SERIES: [0.0] * 5}
    rows = ct.series_agreement(series)
    assert [r["label"] for r in rows] == ["a", "b"]  # reference and greedy left out
    for r in rows:
        y = series[r["label"]]
        assert r["rho"] == pytest.approx(_spearman_by_hand(series[ct.TABLE1_SERIES], y), abs=1e-12)
        gaps = [b - a for a, b in zip(series[ct.TABLE1_SERIES], y)]
        assert (r["gap_min"], r["gap_max"]) == pytest.approx((min(gaps), max(gaps)))
    assert rows[0]["rho"] == pytest.approx(0.9)  # 1 - 6·2/(5·24)
    with pytest.raises(DomainError, match="reference"):
        ct.series_agreement({"a": [1, 2]})


def test_rank_correlation_matches_scipy_and_checks_lengths():
    """repcap.laws.metrics.rank_correlation, which series_agreement and the width trend use."""
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal(30), rng.standard_normal(30)
    y[:5] = y[5]  # ties
    rho, p = rank_correlation(x, y)
    ref = stats.spearmanr(x, y)
    assert rho == pytest.approx(_spearman_by_hand(x, y), abs=1e-12)
    assert (rho, p) == pytest.approx((ref.statistic, ref.pvalue))
    with pytest.raises(DomainError):
        rank_correlation([1, 2, 3], [1, 2])
    assert all(math.isnan(v) for v in rank_correlation([1, 2, 3], [4, 4, 4]))  # no ranks: NaN


def test_eps_sqrt_d_points_and_family_sequence():
    pts = ct.eps_sqrt_d_points(ROWS)
    assert list(pts["name"]) == [r["name"] for r in ROWS]
    np.testing.assert_allclose(pts["eps_sqrt_d"], [r["eps_paper"] * math.sqrt(r["d_model"]) for r in ROWS])
    assert list(pts["class2"]) == [True, True, True, True, False]
    assert pts["group"][-1] == "Class 1 (ε > 0.2)" and pts["group"][0] == "Class 2 (ε < 0.1)"
    seq = ct.family_sequence(ROWS, ["Llama 2 70B", "missing", "Llama 2 7B"])
    assert [n for n, _ in seq] == ["Llama 2 70B", "Llama 2 7B"]
    assert seq[1][1] == pytest.approx(0.0645 * 64)
    with pytest.raises(DomainError):
        ct.eps_sqrt_d_points([{"name": "x", "d_model": 10}])


def test_eps_sqrt_d_groups_follow_the_paper_class_rule():
    from repcap.studies.capacity_table import eps_sqrt_d_points

    rows = [{"name": "a", "d_model": 1024, "eps": 0.05}, {"name": "b", "d_model": 1024, "eps": 0.15},
            {"name": "c", "d_model": 1024, "eps": 0.3}]
    pts = eps_sqrt_d_points(rows)
    assert list(pts["group"]) == ["Class 2 (ε < 0.1)", "between (0.1 ≤ ε ≤ 0.2)", "Class 1 (ε > 0.2)"]
    assert list(pts["class2"]) == [True, False, False]
