"""Chapter 3's findings: the survey, the two-classes rule at its edges (chapter text and verdict page
from the same call), shift and spread, the catalog's cost, the models table, and the records' round
trips."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from references import survey_row
from repcap import catalog
from repcap.book import verdict as V
from repcap.book.tables import markdown_table
from repcap.common.jsonsafe import dumps  # JSON as write_results writes it
from repcap.errors import DataFileError, ParameterError
from repcap.studies import classes_findings as cf
from repcap.studies.findings import CAVEAT, FAILS, HOLDS, chapter_record
from repcap.studies.reported_eps import reported_points
from repcap.studies.survey import Survey


def rows():
    """Two hand-made models: a narrow Class 1 (d = 384) and a wide Class 2 (d = 1024)."""
    return [survey_row("all-MiniLM-L6-v2", 0.2014, mean=0.0181, d=384),
            replace(survey_row("wide", 0.07, mean=0.01, d=1024), n_boot=20, ci_low=0.06,
                    ci_high=0.08)]


def _point(name, eps, d=4096, family="Llama"):
    return {"name": name, "hub_id": None, "family": family, "d_model": d, "eps": eps,
            "class_paper": None}


def _classes(*extra):
    """The paper's reported points, plus ``extra`` ones."""
    return cf.TwoClassesFindings(rows(), reported_points() + list(extra), [])


def _shown(tables) -> list[str]:
    return [f"{t.title}\n{markdown_table(t.rows, t.columns)}" for t in tables]


def record(*sections) -> dict:
    """The chapter's record of ``sections`` through JSON, as the build writes it."""
    return json.loads(dumps(chapter_record("test", *sections)))


def test_isotropic_class2_from_d_400():
    assert cf.ISOTROPIC_CLASS2_FROM == pytest.approx(400)
    assert [cf.isotropic_is_class2(d) for d in (399, 400, 401)] == [False, False, True]


@pytest.mark.parametrize("extra, status", [
    ((), CAVEAT),                            # the paper's own 45 values: none between
    ((_point("x", 0.0999),), CAVEAT),
    ((_point("x", 0.2001),), CAVEAT),
    ((_point("x", 0.1),), FAILS),            # both thresholds are strict: 0.1 is between
    ((_point("x", 0.2),), FAILS),
    ((_point("x", 0.15), _point("y", 0.12)), FAILS),
])
def test_two_classes_rule_at_its_edges(extra, status):
    f = _classes(*extra)
    assert f.gap_status() == status and f.verdicts()[0].status == status
    assert f"*{status}*" in f.markdown()
    if status == FAILS:
        assert f"{len(extra)} of the paper's {45 + len(extra)} reported ε lie between" in f.answer()
    else:  # the caveat names the narrow models: none of the paper's, one of the two measured here
        n1 = 14 + sum(p["eps"] > 0.2 for p in extra)
        assert (f"0 of the paper's {n1} Class 1 models are that narrow, and 1 of the 2 models "
                "measured here") in f.answer()


def test_chapter_and_verdict_page_decide_by_the_same_call(monkeypatch):
    """Whatever gap_status says is what both the chapter's text and the verdict page say."""
    survey, classes = cf.SurveyFindings(rows()), _classes()
    for forced in (FAILS, CAVEAT, HOLDS):
        monkeypatch.setattr(cf.TwoClassesFindings, "gap_status", lambda self, s=forced: s)
        assert f"*{forced}*" in classes.markdown()
        assert V._two_classes({classes.chapter: record(survey, classes)}).status == forced


def test_two_classes_evidence_and_figure_data():
    f = cf.TwoClassesFindings.of(rows())
    v = f.verdicts()[0]
    assert "Of the 45 ε values in the paper's Table 1, 0 lie between 0.1 and 0.2." in v.evidence
    assert "all-MiniLM-L6-v2 (Class 1), wide (Class 2)" in v.evidence
    assert "above 0.1 for every d < 400" in v.evidence
    d, eps = f.null_curve()
    assert (d[0], d[-1], len(d)) == (16, pytest.approx(16384), 200)
    assert eps == pytest.approx(2 / d ** 0.5)
    assert f.tables() == [] and "None of this run's models is in the paper's table" in f.markdown()
    assert "measured widths: d = 384 to 1024; the paper's table: d = 640 to 16384" in f.markdown()


def test_joined_models_get_a_table_and_a_line():
    f = cf.TwoClassesFindings.of([survey_row("meta-llama/Llama-2-7B-HF", 0.07)])
    table, = f.tables()
    assert table.title == "Models measured here that the paper also reports"
    assert [j["paper_name"] for j in table.rows] == ["Llama 2 7B"]
    assert "is the paper's Llama 2 7B: measured here 0.07000, reported 0.06450 (+8.53 %)" \
        in f.markdown()


def test_survey_tables_counts_and_isotropy():
    f = cf.SurveyFindings(rows(), [("gated/model", "401 Client Error\nmore")])
    assert f.class_counts == {"Class 1": 1, "between": 0, "Class 2": 1, "undecided": 0}
    assert f.bootstrap == 20
    table, = f.tables()
    assert [c[0] for c in table.columns][-3:] == ["95% interval (20 boot.)", "class", "time (s)"]
    assert "* not measured: gated/model: 401 Client Error\n" in f.markdown()
    assert f.markdown().endswith("2 model(s) measured: 1 Class 1, 0 between, 1 Class 2")
    iso = f.isotropy()
    assert [r["random"] for r in iso.rows] == ["is not Class 2", "is Class 2"]
    assert iso.rows[1]["ratio"] == pytest.approx(0.07 * 32 / 2)
    # MiniLM with chapter 2's interval: straddles 0.2, so the table, the counts, the text and the
    # verdict's evidence all say "undecided" (one rule: laws.classes.classify_interval)
    minilm = replace(rows()[0], n_boot=20, ci_low=0.1985, ci_high=0.2048, ci_level=0.95)
    both = cf.SurveyFindings([minilm, rows()[1]])
    assert both.class_counts == {"Class 1": 0, "between": 0, "Class 2": 1, "undecided": 1}
    assert [r["decided_class"] for r in both.tables()[0].rows] == ["undecided", "Class 2"]
    assert ("all-MiniLM-L6-v2: ε = 0.2014 is Class 1 as a point, but its 95% interval "
            "[0.1985, 0.2048] straddles a class threshold: undecided") in both.markdown()
    evidence = cf.TwoClassesFindings([minilm], reported_points(), []).verdicts()[0].evidence
    assert "all-MiniLM-L6-v2 (undecided: interval [0.1985, 0.2048])" in evidence
    no_boot = cf.SurveyFindings([rows()[0]])
    assert "95% interval" not in [c[0] for c in no_boot.tables()[0].columns][-3]


def test_survey_models_needs_one_model(monkeypatch):
    monkeypatch.setattr(cf, "measure", lambda *a, **k: Survey([], [("x", "offline: not found")]))
    with pytest.raises(ParameterError, match="no model could be measured: x: offline: not found"):
        cf.survey_models(["x"])
    monkeypatch.setattr(cf, "measure", lambda *a, **k: Survey(rows(), [("x", "gated")]))
    assert cf.survey_models(["x", "y"]).failures == [("x", "gated")]


def test_store_table_writes_reads_back_and_reports_a_failed_write(tmp_path, monkeypatch):
    assert "Wrote 2 rows" in cf.store_table(rows(), tmp_path / "t" / "models.csv")
    assert "identical ε" in cf.store_table(rows(), tmp_path / "t" / "models.csv")
    assert "no models table written" in cf.store_table(rows(), "")

    def read_only(rows, path):
        raise DataFileError(f"{path}: cannot write the table here")

    monkeypatch.setattr(cf, "write_table", read_only)
    assert "was not written (DataFileError)" in cf.store_table(rows(), tmp_path / "m.csv")


def test_parts_extremes_and_the_papers_class2_ratio():
    f = cf.PartsFindings.of(rows(), reported_points())
    (lo, lo_name), (hi, hi_name) = f.class2_ratio
    assert (lo_name, hi_name) == ("Phi 2", "Llama 2 70B") and 1 < lo < hi
    text = f.markdown()
    assert "largest shift share: wide (µ/ε = 14%); smallest: all-MiniLM-L6-v2 (9%)" in text
    assert f"ε√d/2 from {lo:.2f} (Phi 2) to {hi:.2f} (Llama 2 70B); even the most orthogonal" in text
    table, = f.tables()
    assert table.rows[0]["spread"] == pytest.approx(2 * rows()[0].std)
    assert "at least as orthogonal" in cf.PartsFindings(rows(), [(0.9, "a"), (2.0, "b")]).markdown()


def test_catalog_cost():
    f = cf.CatalogCost.of(catalog.paper_models())
    assert (f.n_models, round(f.gbytes), f.largest_name) == (43, 51, "Llama 3.1 405B")
    assert "(128,256 × 16,384), needs 8.4 GB as float32" in f.markdown()


def test_records_round_trip_through_json():
    survey = cf.SurveyFindings(rows(), [("gated/model", "401")])
    classes = cf.TwoClassesFindings.of(rows())
    parts = cf.PartsFindings.of(rows(), reported_points())
    r = record(survey, classes, parts)
    assert r["failures"] == ["gated/model"] and r["class2_reported_ratio"][0] > 1
    assert r["rows"][0]["ci_low"] is None  # NaN interval, as the results file holds it
    for f in (survey, classes, parts):
        back = type(f).from_record(r)
        assert back.markdown() == f.markdown() and back.verdicts() == f.verdicts()
        assert _shown(back.tables()) == _shown(f.tables())
    assert math.isnan(cf.SurveyFindings.from_record(r).rows[0].ci_low)
    del r["failure_messages"]  # a record without the messages still names the failures
    assert "* not measured: gated/model: \n" in cf.SurveyFindings.from_record(r).markdown()
