"""Chapter 1's figures draw what the studies computed and the findings hold: every panel, curve and
provenance line is there."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from repcap.book.plots import superposition as figs  # noqa: E402
from repcap.studies import collisions, toy_sweep  # noqa: E402
from repcap.studies import superposition_findings as sf  # noqa: E402

from test_studies_superposition_findings import (_antipodal, _hand_run, _hexagon, _lonely,  # noqa: E402
                                                 _pentagon)


def _texts(fig) -> str:
    return " ".join(t.get_text() for t in fig.texts)


def _labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_random_cosine_figure_has_a_panel_per_dimension_with_its_variance():
    panels = collisions.random_cosines([3, 100], 30, seed=1)
    null = sf.CosineLawFindings.of(panels, vectors=30, seed=1)
    fig = figs.cosine_histograms(panels, null, profile="test")
    assert [ax.get_title() for ax in fig.axes] == [
        f"d = {r['d']}  (d·Var = {r['var_times_d']:.3f})" for r in null.rows]
    assert "all 435 pairwise cosines of 30 seeded" in _texts(fig) and "Profile: test." in _texts(fig)
    plt.close(fig)


def test_counts_figure_draws_the_measured_counts_the_bounds_and_the_llama_bar():
    counts = sf.CollisionFindings.measure([20, 40], 0.3, 3)
    lines = collisions.count_curves(counts.dims, counts.eps)
    fig = figs.counts_vs_dimension(counts, lines, *collisions.proven_band([0.1, 0.2]), profile="test")
    left, right = fig.axes
    assert "random directions, measured (median, quartiles of 3)" in _labels(left)
    assert "d = 4096, ε = 0.0645 (Llama 2 7B in the paper)" in _labels(right)
    bar = next(line for line in right.get_lines() if line.get_label().startswith("d = 4096"))
    np.testing.assert_allclose(bar.get_ydata(), counts.llama_log10)
    assert "3 seeded sequences" in _texts(fig)
    plt.close(fig)


@pytest.fixture(scope="module")
def sweeps():
    toy_run = _hand_run([_lonely(), _antipodal()], [0.0, 0.9], restarts=2)
    geo_run = _hand_run([_antipodal(), _pentagon(), _hexagon()], [0.5, 0.8, 0.9])
    return (toy_run, sf.ToyModelFindings.of(toy_run), geo_run, sf.GeometrySweepFindings.of(geo_run))


def test_toy_figures_draw_every_model(sweeps):
    toy_run, toy, geo_run, geo = sweeps
    fig = figs.toy_model_gallery(toy_sweep.gallery(toy_run), toy, profile="test")
    assert [ax.get_title() for ax in fig.axes[:2]] == ["S = 0", "S = 0.9"]
    assert "importance 1.0^i" in _texts(fig) and "seed 4" in _texts(fig)
    plt.close(fig)
    curves = {s.label: s.curves() for s in (toy, geo)}
    fig = figs.superposition_vs_sparsity(curves, geo, profile="test")
    assert set(curves) <= set(_labels(fig.axes[0]))
    assert "a sweep of 3 models" in _texts(fig)
    plt.close(fig)
    fig = figs.dimensionality_figure(toy_sweep.represented_dimensionalities(geo_run, 0.5), geo,
                                     profile="test")
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), [0.5, 0.4, 1 / 3])
    plt.close(fig)
    panels = toy_sweep.cosine_panels(geo_run, geo.cosine_models, threshold=geo.threshold)
    fig = figs.feature_cosine_histograms(panels, geo, profile="test")
    assert [ax.get_title() for ax in fig.axes] == [
        f"1/(1−S) = {r['inverse_density']:.1f}: {r['represented']} features" for r in geo.cosines]
    plt.close(fig)
