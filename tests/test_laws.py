"""The paper's laws: forms, metrics, fits (on its released data and on synthetic data), capacity."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from conftest import PAPER_DATA

from repcap.errors import DataFileError, DomainError, FitError, RepcapError
from repcap.laws.fitting import params_at_bound
from repcap.laws import (
    FORMS,
    JL_PROVEN_C,
    PAPER_EQ6_C,
    PAPER_EQ7,
    PAPER_JL_RANDOM_C,
    Fit,
    capacity,
    capacity_class,
    eq6_eps,
    eq7_eps,
    feature_budget,
    fit_all,
    fit_form,
    implied_jl_c,
    jl_eps,
    log10_capacity,
    metrics,
    classify,
    read_points,
)

DATA = PAPER_DATA  # the paper's released sweeps, vendored in the package

# Table 1 of the paper (Appendix D): (model, d_model, eps, capacity) for the 31 finite rows ...
TABLE1_FINITE = [
    ("DeepSeek V3.2 Exp", 7168, 0.05917, 1.16e9), ("DeepSeek R1", 7168, 0.05917, 1.16e9),
    ("Gemma 2 27B", 4608, 0.09013, 4.77e10), ("Gemma 3 12B", 3840, 0.08635, 2.51e9),
    ("Gemma 3 27B", 5376, 0.07421, 4.36e9), ("GLM 4.6", 5120, 0.05882, 6.14e7),
    ("Kimi K2", 7168, 0.06763, 1.47e10), ("Llama 2 7B", 4096, 0.06450, 3.99e7),
    ("Llama 2 13B", 5120, 0.06766, 5.11e8), ("Llama 2 70B", 8192, 0.09962, 8.15e15),
    ("Llama 3 8B", 4096, 0.05945, 1.42e7), ("Llama 3.1 8B", 4096, 0.05542, 6.37e6),
    ("Llama 3.1 70B", 8192, 0.04413, 4.39e7), ("Llama 3.1 405B", 16384, 0.04813, 1.22e11),
    ("MiniMax M2", 3072, 0.07618, 4.39e7), ("Mistral Small 3.2 24B", 5120, 0.07520, 3.39e9),
    ("Mistral 7B Instruct v0.3", 4096, 0.07019, 1.33e8), ("Phi 2", 2560, 0.05497, 4.57e5),
    ("Phi 3 mini 128k", 3072, 0.05536, 1.21e6), ("Phi 4", 5120, 0.05865, 5.91e7),
    ("Qwen 2.5 7B", 3584, 0.07501, 1.20e8), ("Qwen 2.5 14B", 5120, 0.05269, 1.51e7),
    ("Qwen 2.5 32B", 5120, 0.05554, 2.88e7), ("Qwen 2.5 72B", 8192, 0.06131, 8.46e9),
    ("Qwen 3 8B", 4096, 0.05969, 1.49e7), ("Qwen 3 32B", 5120, 0.07263, 1.77e9),
    ("Qwen 3 30B A3B", 2048, 0.06456, 5.67e5), ("Qwen 3 Next 80B A3B", 2048, 0.07422, 2.07e6),
    ("Qwen 3 235B A22B", 4096, 0.04874, 1.77e6), ("Qwen 3 Coder 480B", 6144, 0.04660, 1.21e7),
    ("TinyLlama 1.1B", 2048, 0.06329, 4.81e5),
]
# ... and the 13 rows marked "indeterminate" (Class 1).
TABLE1_INDETERMINATE = [
    ("Gemma 7B", 3072, 0.99918), ("Gemma 2 2B", 2304, 0.35084), ("Gemma 2 9B", 3584, 0.39785),
    ("Gemma 3 1B", 1152, 0.20164), ("GPT OSS 120B", 2880, 0.22984), ("GPT OSS 20B", 2880, 0.28120),
    ("Llama 3.2 1B", 2048, 0.28223), ("Llama 3.2 3B", 3072, 0.29395), ("Qwen 2.5 0.5B", 896, 0.36035),
    ("Qwen 2.5 1.5B", 1536, 0.25998), ("Qwen 2.5 3B", 2048, 0.21014), ("Qwen 3 0.6B", 1024, 0.25204),
    ("Qwen 3 4B", 2560, 0.20834),
]

# A grid shaped like the paper's optimised sweep (d from 32 to 4096, k from 2000 to 32000).
_D = np.array([32, 64, 128, 256, 512, 768, 1024, 1536, 2048, 3072, 4096], dtype=float)
_K = np.arange(2000, 32001, 2000, dtype=float)
GRID_K, GRID_D = (a.ravel() for a in np.meshgrid(_K, _D))


# ------------------------------------------------------------------------------------------
# forms
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("k,d", [(2000, 32), (32000, 4096), (5000, 777), (3, 2)])
def test_forms_match_scalar_formulas(k, d):
    C, a, b, c = PAPER_EQ7.values()
    assert jl_eps(k, d, 3.0) == pytest.approx(math.sqrt(3.0 * math.log(k) / d), rel=1e-14)
    assert eq6_eps(k, d, 1.3) == pytest.approx(math.sqrt(1.3 * math.log(k / d) / d), rel=1e-12)
    want = math.sqrt(C * math.log(k**a / d) ** b / d**c)
    assert eq7_eps(k, d, C, a, b, c) == pytest.approx(want, rel=1e-12)


def test_kd_forms_are_zero_for_k_at_most_d_and_clipped_just_above():
    assert eq6_eps(2000, 2048, 1.3) == 0.0 and eq6_eps(4096, 4096, 1.3) == 0.0
    assert eq7_eps(4000, 4096, **PAPER_EQ7) == 0.0
    # Just above k = d the ratio is clipped at 1.00001, never a log of something ≤ 1.
    assert eq6_eps(4097, 4096, 1.0) == pytest.approx(math.sqrt(math.log(4097 / 4096) / 4096))
    with_a_below_one = eq7_eps(4100, 4096, C=1.0, a=0.5, b=1.0, c=1.0)
    assert with_a_below_one == pytest.approx(math.sqrt(math.log(1.00001) / 4096))


def test_forms_vectorise_and_reject_bad_input():
    k = np.array([2000.0, 8000.0, 32000.0])
    out = eq7_eps(k, 256, **PAPER_EQ7)
    assert out.shape == (3,) and np.all(np.diff(out) > 0)
    for bad in (lambda: jl_eps(0, 10, 1.0), lambda: eq6_eps(10, -1, 1.0),
                lambda: eq7_eps([1, 2], [3, 4, 5], 1, 1, 1, 1), lambda: jl_eps(np.nan, 3, 1)):
        with pytest.raises(DomainError):
            bad()


def test_implied_jl_c():
    assert implied_jl_c(np.e**2, 100, 0.2) == pytest.approx(100 * 0.04 / 2)
    eps = jl_eps(5000, 300, 2.7)
    assert implied_jl_c(5000, 300, eps) == pytest.approx(2.7)


# ------------------------------------------------------------------------------------------
# metrics
# ------------------------------------------------------------------------------------------

def test_metrics_against_plain_python():
    rng = np.random.default_rng(3)
    y = rng.uniform(0.01, 0.5, 40)
    y[5] = 0.0  # excluded from MAPE only
    yhat = y + rng.normal(0, 0.02, 40)
    mean = sum(y) / len(y)
    ss_res = sum((a - b) ** 2 for a, b in zip(y, yhat))
    ss_tot = sum((a - mean) ** 2 for a in y)
    ape = [abs(a - b) / abs(a) for a, b in zip(y, yhat) if a != 0]
    rmse = math.sqrt(ss_res / len(y))
    got = metrics(y, yhat)
    assert got["r2"] == pytest.approx(1 - ss_res / ss_tot, rel=1e-12)
    assert got["mape"] == pytest.approx(100 * sum(ape) / len(ape), rel=1e-12)
    assert got["nrmse"] == pytest.approx(100 * rmse / (max(y) - min(y)), rel=1e-12)
    perfect = metrics(y, y)
    assert perfect == {"r2": 1.0, "mape": 0.0, "nrmse": 0.0}
    with pytest.raises(DomainError):
        metrics([1, 2], [1])


# ------------------------------------------------------------------------------------------
# fits on the paper's released data
# ------------------------------------------------------------------------------------------

def _sig3(x):
    return float(f"{x:.3g}")


def test_fits_reproduce_paper_on_released_data():
    rnd = read_points(DATA / "random_packing.json")
    opt = read_points(DATA / "optimized_packing.json")
    assert (len(rnd), len(opt)) == (256, 166)
    expected = [
        # data, form, params, r2, mape, nrmse  (paper §4.7, full precision from the released data)
        (rnd, "jl", {"C": 3.029480}, 0.998494, 1.31, 0.90),
        (opt, "jl", {"C": 0.706761}, 0.963077, 975.34, 5.35),
        (opt, "eq6", {"C": 1.293401}, 0.998353, 7.95, 1.13),
        (opt, "eq7", {"C": 0.458093, "a": 1.066800, "b": 1.447386, "c": 0.971972}, 0.999766, 5.35, 0.43),
    ]
    for pts, form, params, r2, mape, nrmse in expected:
        fit = fit_form(form, pts.k, pts.d, pts.eps)
        for name, value in params.items():
            assert _sig3(fit.params[name]) == _sig3(value), (form, name, fit.params[name])
            # In fact they agree to about six digits.
            assert fit.params[name] == pytest.approx(value, rel=5e-6)
        assert _sig3(fit.r2) == _sig3(r2) and fit.r2 == pytest.approx(r2, abs=1e-6)
        # MAPE and NRMSE are printed with two decimals (in percent): equal at that precision.
        assert round(fit.mape, 2) == mape, (form, fit.mape)
        assert round(fit.nrmse, 2) == nrmse, (form, fit.nrmse)
    # The paper's headline: Eq. 6 cuts the MAPE of the JL refit by about 123x.
    ratio = fit_form("jl", opt.k, opt.d, opt.eps).mape / fit_form("eq6", opt.k, opt.d, opt.eps).mape
    assert round(ratio) == 123


# ------------------------------------------------------------------------------------------
# fits recover known constants
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("form,truth", [
    ("jl", {"C": 2.5}),
    ("eq6", {"C": 0.9}),
    ("eq7", {"C": 0.6, "a": 1.1, "b": 1.3, "c": 0.95}),
    ("eq7", dict(PAPER_EQ7)),
])
def test_fit_recovers_known_constants_from_noisy_data(form, truth):
    rng = np.random.default_rng(7)
    clean = FORMS[form].func(GRID_K, GRID_D, *truth.values())
    noisy = clean * (1 + 0.003 * rng.standard_normal(clean.size))
    fit = fit_form(form, GRID_K, GRID_D, noisy)
    for name, value in truth.items():
        assert fit.params[name] == pytest.approx(value, rel=0.05), name
    # A least-squares optimum fits the noisy data at least as well as the truth does.
    assert fit.sse <= np.sum((noisy - clean) ** 2) * (1 + 1e-9)
    assert fit.r2 > 0.999 and fit.n == GRID_K.size


@pytest.mark.parametrize("form", ["jl", "eq6"])
def test_single_constant_fit_equals_closed_form_least_squares(form):
    # eps = sqrt(C) * g(k, d) is linear in sqrt(C): the optimum is sqrt(C) = Σ y g / Σ g².
    rng = np.random.default_rng(11)
    g = FORMS[form].func(GRID_K, GRID_D, 1.0)
    y = 1.1 * g * (1 + 0.05 * rng.standard_normal(g.size))
    fit = fit_form(form, GRID_K, GRID_D, y)
    assert fit.params["C"] == pytest.approx((np.sum(y * g) / np.sum(g * g)) ** 2, rel=1e-6)


def test_eq7_fit_is_a_local_minimum():
    from scipy.optimize import minimize

    rng = np.random.default_rng(5)
    y = eq7_eps(GRID_K, GRID_D, 0.5, 1.05, 1.4, 0.97) * (1 + 0.02 * rng.standard_normal(GRID_K.size))
    fit = fit_form("eq7", GRID_K, GRID_D, y)
    theta = np.array(list(fit.params.values()))

    def sse(t):
        return float(np.sum((y - eq7_eps(GRID_K, GRID_D, *t)) ** 2))

    polished = minimize(sse, theta, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-16})
    assert polished.fun >= fit.sse * (1 - 1e-6)
    assert fit.sse == pytest.approx(sse(theta), rel=1e-12)


def test_fit_all_predict_and_to_dict():
    y = eq6_eps(GRID_K, GRID_D, 1.2)
    fits = fit_all(GRID_K, GRID_D, y)
    assert list(fits) == ["jl", "eq6", "eq7"] and all(isinstance(f, Fit) for f in fits.values())
    assert fits["eq6"].params["C"] == pytest.approx(1.2, rel=1e-6)
    assert fits["eq6"].predict(8000, 512) == pytest.approx(eq6_eps(8000, 512, 1.2), rel=1e-6)
    as_dict = fits["eq7"].to_dict()
    json.dumps(as_dict)
    assert set(as_dict) >= {"form", "params", "r2", "mape", "nrmse", "n"}
    assert as_dict["params"].keys() == {"C", "a", "b", "c"}


def test_fit_rejects_bad_input():
    with pytest.raises(DomainError, match="unknown form"):
        fit_form("eq9", [2000, 3000], [32, 32], [0.4, 0.5])
    with pytest.raises(FitError, match="needs more than 4 points"):
        fit_form("eq7", [2000, 3000, 4000], [32, 32, 32], [0.4, 0.5, 0.6])
    with pytest.raises(FitError, match="same length"):
        fit_form("jl", [2000, 3000], [32], [0.4, 0.5])
    with pytest.raises(FitError, match="finite"):
        fit_form("jl", [2000, 3000, 4000], [32, 32, 32], [0.4, np.nan, 0.5])
    with pytest.raises(FitError, match=r"\[0, 1\]"):
        fit_form("jl", [2000, 3000, 4000], [32, 32, 32], [0.4, 1.5, 0.5])


# ------------------------------------------------------------------------------------------
# capacity
# ------------------------------------------------------------------------------------------

def test_capacity_reproduces_every_finite_entry_of_table1():
    assert len(TABLE1_FINITE) == 31 and len(TABLE1_INDETERMINATE) == 13
    for name, d, eps, paper in TABLE1_FINITE:
        assert capacity_class(eps) == "determinate", name
        assert capacity(d, eps) == pytest.approx(paper, rel=0.005), name
    for name, d, eps in TABLE1_INDETERMINATE:
        assert capacity_class(eps) == "indeterminate" and classify(eps) == "Class 1", name
    # Vectorised over the whole table at once, identical to the scalar calls.
    d = np.array([r[1] for r in TABLE1_FINITE])
    e = np.array([r[2] for r in TABLE1_FINITE])
    assert np.array_equal(capacity(d, e), [capacity(a, b) for a, b in zip(d, e)])


def test_capacity_worked_examples_from_the_paper():
    assert capacity(4096, 0.0645) == pytest.approx(3.99e7, rel=0.003)   # Llama 2 7B, Eq. 7
    assert capacity(4096, 0.0645, "eq6") == pytest.approx(2.16e9, rel=0.003)
    # JL: exp(4096 · 0.0645² / 8) ≈ 8.4 and with C = 3.029 ≈ 277 (rounded up by max_k).
    assert math.exp(4096 * 0.0645**2 / 8) == pytest.approx(8.4, abs=0.05)
    assert capacity(4096, 0.0645, "jl", {"C": JL_PROVEN_C}) == 9
    assert 10 ** log10_capacity(4096, 0.0645, "jl") == pytest.approx(277.6, abs=0.5)
    # Sensitivity: d 2048 → 3072 at ε = 0.09, and ε 0.05 → 0.09 at d = 8192.
    got = capacity([2048, 3072, 8192, 8192], [0.09, 0.09, 0.05, 0.09])
    np.testing.assert_allclose(got, [1.98e7, 5.96e8, 2.46e8, 2.03e14], rtol=0.005)
    assert capacity(2048, 0.25) == pytest.approx(2.045e20, rel=0.001)  # the vacuous Class 1 value


@pytest.mark.parametrize("form", ["jl", "eq6", "eq7"])
def test_capacity_inverts_the_law(form):
    params = {"jl": {"C": PAPER_JL_RANDOM_C}, "eq6": {"C": PAPER_EQ6_C}, "eq7": PAPER_EQ7}[form]
    d = np.array([256.0, 1024.0, 4096.0, 16384.0])
    eps = np.array([0.2, 0.08, 0.05, 0.03])
    k = 10 ** np.asarray(log10_capacity(d, eps, form, params))
    assert np.all(k > d) if form != "jl" else True
    back = FORMS[form].func(k, d, *params.values())
    np.testing.assert_allclose(back, eps, rtol=1e-10)


def test_capacity_in_log_space_never_overflows():
    lg = log10_capacity(16384, 1.0, "jl")
    assert np.isfinite(lg) and lg > 2000
    assert capacity(16384, 1.0, "jl") == math.inf
    grid = log10_capacity(np.array([[32.0], [16384.0]]), np.linspace(0, 1, 11))
    assert grid.shape == (2, 11) and np.all(np.isfinite(grid)) and np.all(np.diff(grid, axis=1) > 0)
    # At eps = 0 Eq. 7 reduces to k = d^(1/a).
    assert log10_capacity(1000, 0.0) == pytest.approx(3 / PAPER_EQ7["a"])


def test_capacity_takes_fitted_constants():
    y = eq7_eps(GRID_K, GRID_D, **PAPER_EQ7)
    fit = fit_form("eq7", GRID_K, GRID_D, y)
    assert capacity(4096, 0.0645, params=fit) == pytest.approx(capacity(4096, 0.0645), rel=1e-5)
    assert capacity(4096, 0.0645, "eq6", {"C": 2 * PAPER_EQ6_C}) < capacity(4096, 0.0645, "eq6")
    with pytest.raises(DomainError, match="cannot supply"):
        capacity(4096, 0.0645, "eq6", params=fit)
    with pytest.raises(DomainError, match="missing"):
        capacity(4096, 0.0645, "eq7", {"C": 0.5})
    with pytest.raises(DomainError, match="unknown form"):
        log10_capacity(4096, 0.06, "eq8")
    with pytest.raises(DomainError, match=r"\[0, 1\]"):
        capacity(4096, 1.2)
    with pytest.raises(RepcapError):
        capacity(np.nan, 0.05)


def test_class_rules_and_budget():
    assert capacity_class(0.0999) == "determinate" and capacity_class(0.1) == "indeterminate"
    assert list(capacity_class([0.05, 0.3])) == ["determinate", "indeterminate"]
    assert classify(0.05) == "Class 2" and classify(0.15) == "between" and classify(0.2) == "between"
    assert classify(0.2001) == "Class 1"
    # The code's determinate rule is Class 2 of the class rule, at every threshold value.
    for eps in (0.0999999, 0.1, 0.1000001, 0.2, 0.2000001):
        assert (capacity_class(eps) == "determinate") == (classify(eps) == "Class 2")
    # Eq. 2: Llama 2 7B (untied, V = 32000) leaves 3.99e7 − 64000 directions for features.
    k = capacity(4096, 0.0645)
    assert feature_budget(k, 32000, tied=False) == k - 64000
    assert feature_budget(k, 32000, tied=True) == k - 32000
    assert feature_budget(math.inf, 10, tied=False) == math.inf
    with pytest.raises(DomainError):
        feature_budget(1e6, 0, tied=True)


# ------------------------------------------------------------------------------------------
# reading points
# ------------------------------------------------------------------------------------------

def test_read_points_accepts_every_layout(tmp_path):
    triples = [[2000, 32, 0.38], [4000, 64, 0.25], [8000, 128, None]]
    layouts = {
        "triples.json": json.dumps(triples),
        "records.json": json.dumps([{"k": k, "d": d, "eps": e} for k, d, e in triples]),
        "wrapped.json": json.dumps({"meta": {"x": 1}, "cells": [{"K": k, "D": d, "epsilon": e}
                                                                for k, d, e in triples]}),
        "columns.json": json.dumps({"k": [t[0] for t in triples], "d": [t[1] for t in triples],
                                    "eps": [t[2] for t in triples]}),
        "lines.jsonl": "\n".join(json.dumps(t) for t in triples),
        "table.csv": "k,d,eps\n2000,32,0.38\n4000,64,0.25\n8000,128,\n",
    }
    for name, text in layouts.items():
        (tmp_path / name).write_text(text)
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"k": [2000, 4000, 8000], "d": [32, 64, 128], "eps": [0.38, 0.25, None]}),
                   tmp_path / "table.parquet")
    for path in sorted(tmp_path.iterdir()):
        pts = read_points(path)
        assert list(pts.k) == [2000, 4000] and list(pts.d) == [32, 64], path.name
        assert list(pts.eps) == [0.38, 0.25] and pts.skipped == 1, path.name


def test_read_points_errors(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        read_points(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="") as fh:
        csv.writer(fh).writerows([["k", "dim", "score"], [1, 2, 3]])
    with pytest.raises(DataFileError, match="lacks a k, d or eps"):
        read_points(bad)
    (tmp_path / "short.json").write_text("[[2000, 32]]")
    with pytest.raises(DataFileError, match=r"\[k, d, eps\]"):
        read_points(tmp_path / "short.json")
    (tmp_path / "text.json").write_text('[["a", 32, 0.1]]')
    with pytest.raises(DataFileError, match="not a number"):
        read_points(tmp_path / "text.json")
    (tmp_path / "broken.json").write_text("[[2000, 32, 0.1]")
    with pytest.raises(DataFileError, match="cannot read"):
        read_points(tmp_path / "broken.json")
    (tmp_path / "empty.json").write_text('{"cells": [[2000, 32, null]]}')
    with pytest.raises(DataFileError, match="no row with an eps"):
        read_points(tmp_path / "empty.json")


def test_relative_error_summary_against_hand_computation():
    from repcap.laws.metrics import relative_error_summary, relative_errors

    y = np.array([0.30, 0.22, 0.18, 0.41, 0.27])
    yhat = np.array([0.25, 0.22, 0.20, 0.40, 0.30])
    rel = [a / b - 1 for a, b in zip(y, yhat)]
    np.testing.assert_allclose(relative_errors(y, yhat), rel, rtol=1e-14)
    s = relative_error_summary(y, yhat)
    assert s["median"] == pytest.approx(sorted(rel)[2])
    assert (s["lo"], s["hi"]) == pytest.approx((min(rel), max(rel)))
    assert s["lo"] == pytest.approx(0.27 / 0.30 - 1) and s["hi"] == pytest.approx(0.30 / 0.25 - 1)
    ref = metrics(y, yhat)
    assert {k: s[k] for k in ref} == ref
    with pytest.raises(DomainError, match="non-zero"):
        relative_errors([1.0, 2.0], [1.0, 0.0])
    with pytest.raises(DomainError, match="same length"):
        relative_error_summary([1.0, 2.0], [1.0])


def test_fit_reports_parameters_at_the_bounds_of_its_box():
    """Issue 22: a fit whose optimum lies outside the box stops at the box and says which constant."""
    k = np.array([2000, 8000, 32000] * 2, dtype=float)
    d = np.array([256] * 3 + [1024] * 3, dtype=float)
    eps = eq6_eps(k, d, 1.1)
    free = fit_form("eq6", k, d, eps)
    assert free.at_bound == () and not free.degenerate and free.to_dict()["at_bound"] == []
    pinned = fit_form("eq6", k, d, eps, p0=[0.5], bounds=([0.0], [1.0]))  # the truth 1.1 is outside
    assert pinned.at_bound == ("C",) and pinned.degenerate
    assert pinned.params["C"] == pytest.approx(1.0, abs=1e-4)
    low = fit_form("eq6", k, d, eps, p0=[2.0], bounds=([1.5], [3.0]))
    assert low.at_bound == ("C",) and low.params["C"] == pytest.approx(1.5, abs=1e-4)
    assert params_at_bound(("a", "b"), (10 - 1e-9, 5.0), (0.1, 0.1), (10, 10)) == ("a",)
    assert params_at_bound(("a",), (10 - 1e-2,), (0.1,), (10,)) == ()
    back = Fit(**{key: v for key, v in pinned.to_dict().items() if key != "formula"})
    assert back.at_bound == ("C",)  # a JSON list reads back as the tuple
