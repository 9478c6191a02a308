"""Chapter 3's width trend: the rule at its edges, the chapter's reading and the verdict page deciding by
the same call, and the record's round trip."""

from __future__ import annotations

import json
import math

import pytest

from repcap.book import verdict as V
from repcap.common.jsonsafe import dumps  # JSON as write_results writes it
from repcap.studies.findings import CAVEAT, FAILS, HOLDS
from repcap.studies.reported_eps import reported_points
from repcap.studies.width_trend import Trend
from repcap.studies.width_trend_findings import WidthTrendFindings


def _trend(n=31, spearman=-0.40, p_value=0.02, spearman_scaled=0.66, p_value_scaled=5e-5):
    return Trend(n=n, slope=-0.089, intercept=-1.9, spearman=spearman, p_value=p_value,
                 spearman_scaled=spearman_scaled, p_value_scaled=p_value_scaled)


def findings(**class2) -> WidthTrendFindings:
    """Trends shaped like the paper's (ρ(d, ε) = −0.40 at p = 0.02, ρ(d, ε√d) = +0.66), with
    ``class2``'s numbers changed."""
    return WidthTrendFindings(class2=_trend(**class2), fig5b=_trend(n=27))


@pytest.mark.parametrize("change, status, words", [
    ({}, CAVEAT, "wider models have lower ε; but"),
    ({"p_value": 0.0499}, CAVEAT, "*less* near-orthogonal than a random matrix of their width"),
    ({"p_value": 0.05}, FAILS, "wider models have lower ε, though not significantly at 5 %"),
    ({"spearman": 0.0}, FAILS, "ε does not fall with width"),
    ({"spearman": math.nan, "p_value": math.nan}, FAILS, "ε does not fall with width"),
    ({"spearman_scaled": 0.0}, HOLDS, "*more* near-orthogonal than a random matrix"),
    ({"spearman_scaled": math.nan, "p_value_scaled": math.nan}, HOLDS, "*more* near-orthogonal"),
])
def test_trend_rule_at_its_edges(change, status, words):
    f = findings(**change)
    assert f.trend_status() == status
    text = f.markdown()
    assert words in text.split("On the 27 models")[0] and f"*{status}*" in text
    assert f.verdicts()[0].status == status


def test_each_subset_is_read_by_the_same_rule():
    f = WidthTrendFindings(class2=_trend(), fig5b=_trend(n=27, p_value=0.3))
    assert (f.trend_status("class2"), f.trend_status("fig5b")) == (CAVEAT, FAILS)
    assert "though not significantly" in f.reading("fig5b")
    assert "though not significantly" not in f.reading("class2")


def test_the_papers_own_numbers():
    """The paper's 31 Class 2 values: ε falls with d, but not significantly (p = 0.24)."""
    f = WidthTrendFindings.of(reported_points())
    assert (f.class2.n, f.fig5b.n) == (31, 27)
    assert f.class2.p_value == pytest.approx(0.2404, abs=1e-4)
    assert f.trend_status() == FAILS and "*does not hold*" in f.markdown()
    table, = f.tables()
    assert [r["subset"] for r in table.rows] == ["Class 2 (ε < 0.1)", "the paper's Figure 5b subset"]


def test_chapter_and_verdict_page_decide_by_the_same_call(monkeypatch):
    """Whatever trend_status says is what both the chapter's text and the verdict page say."""
    f = findings()
    for forced in (FAILS, CAVEAT, HOLDS):
        monkeypatch.setattr(WidthTrendFindings, "trend_status",
                            lambda self, subset="class2", s=forced: s)
        assert f"*{forced}*" in f.markdown()
        record = json.loads(dumps(f.record()))  # through JSON, as the build does
        assert V._width_trend({f.chapter: record}).status == forced


def test_record_round_trips_through_json():
    f = findings(spearman_scaled=math.nan, p_value_scaled=math.nan)
    record = json.loads(dumps(f.record()))
    assert record["trend_class2_reported"]["spearman_scaled"] is None
    assert set(record) == {"trend_class2_reported", "trend_fig5b_reported"}
    back = WidthTrendFindings.from_record(record)
    assert back.markdown() == f.markdown() and back.verdicts() == f.verdicts()
    assert math.isnan(back.class2.spearman_scaled) and back.fig5b == f.fig5b
