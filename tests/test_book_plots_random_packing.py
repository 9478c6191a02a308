"""Chapter 4's figures draw what the study computed: every curve and residual series is on its axes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from repcap.book.plots import random_packing as plots  # noqa: E402
from repcap.studies import random_packing as study  # noqa: E402

from test_studies_random_packing import _sweep, findings  # noqa: E402


def _labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_guarantees_figure_marks_the_papers_two_evaluations():
    eps, curves = study.guarantee_curves()
    fig = plots.guarantees_figure(eps, curves, findings(), profile="test")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("C = 8: k = 8.4" in t for t in texts) and any("k = 277" in t for t in texts)
    assert set(curves) <= set(_labels(fig.axes[0]))
    from repcap.book.plots.legibility import report

    assert report(fig)["problems"] == []  # the two labels clear of each other and of the curves
    plt.close(fig)


def test_sweep_figures_draw_both_laws_and_their_residuals():
    sweep = _sweep()
    fig = plots.sweep_figure(sweep, profile="test")
    left, right = fig.axes
    assert any(label.startswith("JL fit, C = ") for label in _labels(left))
    assert _labels(right) == ["JL fit (1 parameter)", "extreme-value law (0 parameters)"]
    drawn = right.get_lines()[0].get_ydata()
    assert np.allclose(drawn, 100 * sweep.residuals()["fit"])
    plt.close(fig)
    fig = plots.paper_residuals_figure(sweep, profile="test")
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == len(sweep.paper)
    plt.close(fig)


def test_implied_c_figure_draws_every_series():
    k_grid, series = study.implied_c_curves()
    fig = plots.implied_c_figure(k_grid, series, profile="test")
    assert set(series) <= set(_labels(fig.axes[0]))
    plt.close(fig)
