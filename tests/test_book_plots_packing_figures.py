"""repcap.book.plots.packing_figures: chapter 5's figures draw from its findings (Agg backend)."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from repcap.book.plots import packing_figures as figures  # noqa: E402
from repcap.packing.released import load_paper_sweep  # noqa: E402
from repcap.studies.optimised_packing import (FloorComparison, PackingFindings,  # noqa: E402
                                              sweep_arrays)
from test_studies_optimised_packing import _objectives  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _records(n: int = 6) -> list[dict]:
    cells = [(40, 8), (80, 8), (40, 16), (80, 16), (40, 24), (80, 24)][:n]
    wobble = [1.02, 0.97, 1.01, 0.99, 1.03, 0.98]
    return [{"k": k, "d": d, "eps": e, "seconds": 0.1 + i, "device": "cpu", "kind": "optimised",
             "settings": {"steps": 100}, "history": [[0, 0.9], [50, e * 1.1], [100, e]]}
            for i, ((k, d), w) in enumerate(zip(cells, wobble))
            for e in [w * math.sqrt(1.5 * math.log(k / d) / d)]]


@pytest.fixture(scope="module")
def paper():
    return load_paper_sweep("optimised")


def _findings(records, paper):
    floors = FloorComparison.of(*sweep_arrays(records), paper, steps=100)
    return floors, PackingFindings.from_sweep(records, paper, floors, grid="smoke", steps=100,
                                              objective="paper", sweep_file="s.jsonl")


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.texts] + [ax.get_title() for ax in fig.axes]


def test_convergence_and_floor_figures(paper):
    records = _records()
    floors, findings = _findings(records, paper)
    fig = figures.convergence_figure(records, findings, profile="test")
    assert any("our optimised sweep (6 cells, 100 steps, objective paper)" in t for t in _texts(fig))
    fig = figures.floor_figure(floors, profile="test")
    assert any("our packings (100 steps)" in t for t in _texts(fig))


def test_laws_figure_labels_hold_the_fitted_numbers(paper):
    _, findings = _findings(_records(), paper)
    fig = figures.laws_figure(findings, paper, profile="test")
    left, right = fig.axes
    jl, eq6 = findings.fits["jl"], findings.fits["eq6"]
    assert left.get_title() == f"Standard JL: MAPE {jl.mape:.1f} %"
    assert f"Eq. 6, C = {eq6.params['C']:.3f}" in [t.get_text() for t in right.get_legend().texts]


def test_eq7_figure_with_and_without_an_eq7_fit(paper):
    _, findings = _findings(_records(), paper)
    left, _ = figures.eq7_figure(findings, paper, profile="test").axes
    assert left.get_title() == f"Our packings: Eq. 7 MAPE {findings.fits['eq7'].mape:.1f} %"
    _, few = _findings(_records(4), paper)  # four cells do not determine Eq. 7
    left, _ = figures.eq7_figure(few, paper, profile="test").axes
    assert left.get_title() == "Our packings (too few cells to fit Eq. 7)"


def test_objectives_figure_names_the_objectives():
    comparison = _objectives(softmax=[0.9, 0.8, 0.95])
    fig = figures.objectives_figure(comparison, seed=3, profile="test")
    left, _ = fig.axes
    labels = [t.get_text() for t in left.get_legend().texts]
    assert figures.OBJECTIVE_LABELS["softmax"] in labels
    assert any("3 (k, d) cells × 2 objectives, 100 Adam steps each, seed 3" in t
               for t in _texts(fig))
