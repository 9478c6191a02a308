"""Chapter 3's figures are drawn from its findings: the points, panels and bars they hold."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from references import survey_row  # noqa: E402
from repcap.book.plots import classes_figures as F  # noqa: E402
from repcap.studies.classes_findings import PartsFindings, TwoClassesFindings  # noqa: E402
from repcap.studies.reported_eps import reported_points  # noqa: E402
from repcap.studies.survey_examples import ExampleHistograms, ExamplesFindings  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


ROWS = [survey_row("narrow", 0.3, d=384), survey_row("wide", 0.06, d=4096)]


def test_figure5_draws_reported_dots_measured_stars_and_the_null_curve():
    fig = F.figure5(TwoClassesFindings.of(ROWS), "test")
    full = fig.axes[0]
    stars = full.collections[-1]
    assert len(stars.get_offsets()) == 2  # the measured models, drawn last
    assert len(full.lines[0].get_xdata()) == 200  # 2/√d on the findings' grid
    assert "45 models" in fig.texts[-1].get_text() and "Profile: test" in fig.texts[-1].get_text()


def test_examples_and_parts_figures():
    class Stats:
        counts = np.array([1, 2, 3, 4])
        edges = np.linspace(-1, 1, 5)
        mean, eps = 0.1, 0.3

    examples = ExamplesFindings.from_examples(
        [ExampleHistograms("why", r, 100, Stats(), Stats()) for r in ROWS], tokens=100)
    fig = F.examples_figure(examples, "test")
    assert [ax.get_title() for ax in fig.axes] == ["Class 1: narrow\nwhy", "Class 2: wide\nwhy"]
    fig = F.parts_figure(PartsFindings.of(ROWS, reported_points()), "test")
    widths = sorted(round(p.get_width(), 6) for p in fig.axes[0].patches)
    assert widths == sorted(round(w, 6) for r in ROWS for w in (r.mean, 2 * r.std))
