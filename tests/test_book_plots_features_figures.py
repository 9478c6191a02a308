"""repcap.book.plots.features_figures: chapter 9's figures draw the findings' numbers (Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from repcap.book.plots import features_figures as figures  # noqa: E402
from test_studies_feature_findings import findings, row, study  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _f():
    sweep = study(row(width=768, live=768, eps=0.15), row(width=1536, live=1536, eps=0.14),
                  row(width=3072, live=2900, eps=0.9, fvu=0.7), row(width=1536, k=64, eps=0.2))
    other_layer = study(row(width=1536, live=1500))
    return findings(sweep, other_layer, study(row(model="s", d=576, live=900), model="s", d=576))


def test_packing_figure_one_panel_per_model_with_the_measured_points():
    fig = figures.packing_figure(_f(), "test")
    assert len(fig.axes) == 2  # the first study of each model
    lines = {l.get_label(): l for l in fig.axes[0].lines}
    eps = lines["ε of the features"]
    assert list(eps.get_xdata()) == [2.0, 4.0, 2900 / 384]  # the k = 32 sweep, by live/d
    assert list(eps.get_ydata()) == [0.15, 0.14, 0.9]
    hollow = [l for l in fig.axes[0].lines if l.get_markerfacecolor() == "none"]
    assert [list(l.get_ydata()) for l in hollow] == [[0.9], [0.4]]  # the bad SAE, circled
    assert "Profile: test" in fig.texts[-1].get_text()


def test_quality_figure_draws_fvu_and_live_fraction_per_model_and_k():
    fig = figures.quality_figure(_f(), "test")
    labels = [l.get_label() for l in fig.axes[0].lines]
    assert labels[:4] == ["m, layer 3, k = 32", "m, layer 3, k = 64", "m, layer 3, k = 32",
                          "s, layer 3, k = 32"]
