"""repcap.book.plots.packing and repcap.book.plots.capacity draw what they are given (Agg backend, no display)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from repcap.book.plots import capacity as cp  # noqa: E402
from repcap.book.plots import packing as pp  # noqa: E402
from repcap.book.plots.layout import figure, finish  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _cells():
    k = np.array([250, 500, 1000, 250, 500, 1000], dtype=float)
    d = np.array([16, 16, 16, 32, 32, 32], dtype=float)
    return k, d, np.sqrt(np.log(k / d) / d)


def test_eps_curves_reference_only_when_cells_overlap():
    k, d, eps = _cells()
    fig, (ax,) = figure(1)
    drew = pp.eps_curves(ax, k, d, eps, {"law": lambda kk, dd: np.sqrt(np.log(kk / dd) / dd)},
                         reference=(np.array([2000.0]), np.array([64.0]), np.array([0.3])))
    assert drew is False
    assert "paper's released cells" not in [t.get_text() for t in ax.get_legend().get_texts()]
    # Six markers plus one 200-point curve per d.
    lines = ax.get_lines()
    assert sum(len(line.get_xdata()) == 200 for line in lines) == 2
    fig, (ax,) = figure(1)
    assert pp.eps_curves(ax, k, d, eps, reference=(np.array([500.0]), np.array([16.0]), np.array([0.3]))) is True


def test_packing_panels_draw():
    k, d, eps = _cells()
    fig, axes = figure(2)
    pp.residual_panel(axes[0], k, {"a": eps * 0.01, "b": -eps * 0.01}, xlabel="k", band=0.01)
    pp.convergence_panel(axes[1], [(16, 250, [(0, 0.9), (50, 0.5)]), (32, 1000, [(0, 0.8), (50, 0.4)])])
    assert axes[1].get_xscale() == "log" and len(axes[0].get_lines()) >= 2
    fig, (ax,) = figure(1)
    pp.floor_ratio_panel(ax, k / d, 1 + eps, member=d, random=(k / d, 3 + eps))
    assert ax.get_ylim()[1] >= (3 + eps).max()  # the random crosses are not clipped
    fig, (ax,) = figure(1)
    pp.effective_c_curves(ax, np.geomspace(1e3, 1e6, 10), {"x": np.linspace(3, 3.5, 10)}, constants={"C = 4": 4.0})
    pp.cost_panel(ax, [1e9, 1e10], [1.0, 9.0], fit_line=(np.array([1e9, 1e10]), np.array([1.0, 10.0])))
    finish(fig, source="test", title="t")


def test_capacity_panels_draw():
    eps = np.linspace(0.01, 0.15, 50)
    curves = {"eps": eps, "greedy": eps * 100, "random_sign": eps * 50, "upper": eps * 400, "kl": eps * 200,
              "eq6": eps * 150, "eq7": eps * 120}
    fig, axes = figure(2, width=10)
    cp.band_panel(axes[0], curves, models=[{"name": f"m{i}", "eps": 0.05 + 0.01 * i, "log10_eq7": 6 + i}
                                           for i in range(5)], exit_eps=0.11, d=4096)
    named = [t.get_text() for t in axes[0].texts if t.get_text().startswith("m")]
    assert named == ["m0", "m4"]  # only the extremes of ε are named when crowded
    cp.log_count_curves(axes[1], eps, {"a": eps * 10}, hlines={"V": 4.5}, marks=[(0.05, 0.5, "x")], logx=True)
    fig, (ax,) = figure()
    cp.capacity_dots(ax, ["a", "b"], {"s1": [5.0, 50.0], "s2": [6.0, 7.0]}, xlim=(0, 20))
    assert "off scale" in ax.get_xlabel()
    fig, (ax,) = figure()
    cp.eps_sqrt_d_panel(ax, [2048, 4096, 8192], [3.0, 4.0, 9.0], labels=["", "", "big"], hlines={"2": 2.0},
                        curves={"ref": (np.array([2048, 8192]), np.array([2.0, 2.0]))})
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2,048", "4,096", "8,192"]
    fig, (a1, a2) = figure(2)
    cp.sensitivity_panel(a1, eps, [1024, 2048], np.vstack([eps, 2 * eps]), marks=[(0.05, 0.1, "p")])
    cp.cosine_histograms(a2, {"h": (np.array([1, 2, 3]), np.array([-1, -0.5, 0.5, 1.0]))}, xlabel="cos")


def test_objective_panels_draws_each_objective_and_the_reference():
    from repcap.packing.grid import compare_objectives

    def rec(k, d, eps, obj):
        return {"kind": "optimised", "k": k, "d": d, "eps": eps, "settings": {"steps": 100, "objective": obj}}

    recs = {"paper": [rec(40, 8, 0.5, "paper"), rec(80, 8, 0.6, "paper"), rec(8, 16, 0.09, "paper")],
            "softmax": [rec(40, 8, 0.46, "softmax"), rec(80, 8, 0.57, "softmax"), rec(8, 16, 0.001, "softmax")]}
    rows = compare_objectives(recs, reference=lambda k, d: 0.58 if (k, d) == (80, 8) else None)
    fig, (left, right) = figure(2)
    assert pp.objective_panels(left, right, rows, labels={"softmax": "smooth max"}) is True
    texts = [t.get_text() for t in left.get_legend().get_texts()]
    assert texts == ["paper", "smooth max", "paper's released packings"]
    # Left: the k ≤ d cell has no floor, so two points per objective.
    assert [len(line.get_xdata()) for line in left.get_lines()[:2]] == [2, 2]
    # Right: softmax's three ratios (spanning 0.011–0.95, so a log axis) and one released value.
    ys = right.get_lines()[0].get_ydata()
    assert np.allclose(sorted(ys), sorted([0.46 / 0.5, 0.57 / 0.6, 0.001 / 0.09]))
    assert right.get_yscale() == "log"
    assert right.get_lines()[1].get_ydata()[0] == pytest.approx(0.58 / 0.6)
