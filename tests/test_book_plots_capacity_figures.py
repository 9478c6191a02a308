"""repcap.book.plots.capacity_figures: chapter 6's figures draw from its findings (Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from repcap import catalog  # noqa: E402
from repcap.book.plots import capacity_figures as figures  # noqa: E402
from repcap.geometry.feasibility import band_panels  # noqa: E402
from repcap.studies import capacity_findings as cf  # noqa: E402
from repcap.studies.feasibility_findings import BandFindings, ScalingFindings  # noqa: E402
from repcap.studies.sensitivity_findings import SensitivityFindings  # noqa: E402
from repcap.studies.unembedding import UnembeddingFindings  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def table1():
    return cf.Table1Findings.of(catalog.paper_models())


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.texts] + [ax.get_title() for ax in fig.axes]


def test_table1_figure_has_one_row_per_class2_model(table1):
    constants = cf.ConstantsFindings(6, 100, "smoke", None, None)
    fig = figures.table1_figure(table1, constants, "test")
    (ax,) = fig.axes
    assert len(ax.get_yticklabels()) == len(table1.class2)
    assert any("6 packings (100 steps); explicit sets" in t for t in _texts(fig))
    # the largest explicit set at each model's (d, ε) is drawn: one star per row, at the log10
    # count of best_construction, found here without the findings' series
    import math

    from repcap.geometry.constructions import best_construction

    (stars,) = [ln for ln in ax.lines if ln.get_label() == table1.explicit_label]
    want = [math.log10(best_construction(r["d_model"], r["eps"]).count) for r in table1.class2]
    drawn = np.asarray(stars.get_xdata(), dtype=float)
    shown = ~np.isnan(drawn)
    assert stars.get_marker() == "*" and shown.sum() >= len(want) - 2
    assert drawn[shown] == pytest.approx(np.asarray(want)[shown], rel=1e-9)


def test_band_figure_has_one_legend_under_its_panels(table1):
    from repcap.book.plots.legibility import report

    fig = figures.band_figure(band_panels(table1.class2, dims=(4096, 8192)), "test")
    assert len(fig.legends) == 1 and not any(ax.get_legend() for ax in fig.axes)
    assert report(fig)["problems"] == []


def test_sensitivity_band_and_scaling_figures(table1):
    from repcap.book.plots.legibility import report

    fig = figures.sensitivity_figure(SensitivityFindings.of_paper(), "test")
    assert len(fig.axes) == 2
    assert report(fig)["problems"] == []  # the examples' labels sat on the d-curves
    fig = figures.band_figure(band_panels(table1.class2, dims=(4096, 8192)), "test")
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == ["d = 4096", "d = 8192"]
    band = BandFindings.of(table1.class2)
    fig = figures.scaling_figure(ScalingFindings.of(table1.rows), band, "test")
    right = fig.axes[1]
    assert right.get_ylim() == (0, 10)
    assert any(f"≈ {band.exit_at(4096):.1f} at d = 4096" in t.get_text() for t in right.texts)


def test_unembedding_figure_draws_each_model():
    edges = np.linspace(-1, 1, 201).tolist()
    hist = {"counts": [1] * 200, "edges": edges}
    appendix = UnembeddingFindings({"a": {"hist": hist, "pairs_E": hist, "pairs_U": hist},
                                    "b": {"hist": hist, "pairs_E": hist, "pairs_U": hist}},
                                   pairs_sample=30)
    fig = figures.unembedding_figure(appendix, "test")
    left, right = fig.axes
    assert len(left.get_legend().get_texts()) == 2 and len(right.get_legend().get_texts()) == 4
    assert right.get_title() == "Pairs among 30 sampled tokens (paper, Fig. 10)"
