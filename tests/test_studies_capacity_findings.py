"""Chapter 6's findings: the lever rule at its edges, the chapter text and the verdict page deciding by
the same call, each section's record through JSON and back, and the sections built from real inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from repcap import catalog
from repcap.book import verdict as V
from repcap.studies import capacity_findings as cf
from repcap.studies.capacity_table import TABLE1_SERIES, doubling_factor
from repcap.studies.feasibility_findings import BandFindings, ScalingFindings
from repcap.common.jsonsafe import dumps
from repcap.studies.findings import chapter_record
from repcap.studies.findings import CAVEAT, FAILS, HOLDS
from repcap.studies.sensitivity_findings import LOOSEN, WIDEN, SensitivityFindings
from repcap.studies.unembedding import UnembeddingFindings


def _through_json(record: dict) -> dict:
    """The record as write_results writes it and the verdict page reads it (NaN and ∞ become null)."""
    return json.loads(dumps(record))


def _lever(widen: float, loosen: float) -> SensitivityFindings:
    paper = SensitivityFindings.of_paper()
    return SensitivityFindings(paper.examples, widen, loosen, paper.nudge, paper.elasticity,
                               paper.proven)


@pytest.fixture(scope="module")
def table1() -> cf.Table1Findings:
    return cf.Table1Findings.of(catalog.paper_models())


@pytest.fixture(scope="module")
def band(table1) -> BandFindings:
    return BandFindings.of(table1.class2)


# -- the lever rule ------------------------------------------------------------------------------

def test_the_papers_levers():
    s = SensitivityFindings.of_paper()
    assert s.widen == doubling_factor(*WIDEN) == pytest.approx(30, rel=0.01)
    assert s.loosen == doubling_factor(*LOOSEN) == pytest.approx(8.25e5, rel=0.01)
    assert s.elasticity["ratio"] == pytest.approx(1.80, abs=0.01)
    assert s.lever_status() == HOLDS


@pytest.mark.parametrize("widen, loosen, status, words", [
    (30.0, 30.000001, HOLDS, "ε is the dominant lever."),
    (30.0, 30.0, FAILS, "ε is not the dominant lever"),   # equal is not "more"
    (30.0, 2.0, FAILS, "ε is not the dominant lever"),
    (1.0, 2.3e9, HOLDS, "by more (× 10^9.4)"),
])
def test_lever_rule_at_its_edges(widen, loosen, status, words):
    s = _lever(widen, loosen)
    assert s.lever_status() == status
    assert words in s.markdown() and f"*{status}*" in s.markdown()
    assert s.verdicts()[0].status == status


def test_chapter_and_verdict_page_decide_by_the_same_call(monkeypatch):
    """Whatever lever_status says is what both the chapter's text and the verdict page say."""
    s = SensitivityFindings.of_paper()
    for forced in (FAILS, HOLDS):
        monkeypatch.setattr(SensitivityFindings, "lever_status", lambda self, v=forced: v)
        assert f"*{forced}*" in s.markdown()
        record = _through_json(chapter_record("test", s))
        assert V._sensitivity({cf.CHAPTER: record}).status == forced


def test_verdict_evidence_keeps_the_pages_wording():
    v = _lever(4.1, 2.3e9).verdicts()[0]
    assert v.evidence == ("With the paper's Eq. 7 constants, widening d from 2048 to 3072 at "
                          "ε = 0.09 multiplies capacity by 4.1; loosening ε from 0.05 to 0.09 at "
                          "d = 8192 multiplies it by 10^9.4. Without Eq. 7, the proven limits on "
                          "the true maximum give the greedy / Gilbert–Varshamov existence count "
                          "× 10^1.9 for widening and × 10^10.3 for loosening and the best rigorous "
                          "upper bound × 10^23.6 for widening and × 10^117.9 for loosening: both "
                          "move far more with ε than with d (the existence count grows like "
                          "exp(dε²/2), quadratic in ε in the exponent), so the lever does not rest "
                          "on Eq. 7's fitted constants.")
    assert v.chapters == (cf.CHAPTER,) and v.where == "§3.5, §4"


def test_lever_backed_by_the_proven_limits_or_lowered():
    """Eq. 7 alone is not enough for "holds": the proven limits must agree, else a caveat."""
    paper = SensitivityFindings.of_paper()
    greedy = next(iter(paper.proven))
    # independent: the existence count's log is about d·ε²/2 nats (C = 2), so loosening
    # 0.05 → 0.09 at d = 8192 adds about 8192·(0.09² − 0.05²)/2/ln 10 ≈ 10 decades
    assert paper.proven[greedy]["loosen"] == pytest.approx(
        8192 * (0.09**2 - 0.05**2) / 2 / np.log(10), rel=0.05)
    assert paper.lever_status() == HOLDS
    against = {**paper.proven, greedy: {"widen": 2.0, "loosen": 1.0}}
    lowered = SensitivityFindings(paper.examples, paper.widen, paper.loosen, paper.nudge,
                                  paper.elasticity, against)
    assert lowered.lever_status() == CAVEAT
    assert "rests on Eq. 7's constants alone" in lowered.markdown()


# -- the sections, from real inputs -----------------------------------------------------------------

def test_table1_reproduces_the_paper(table1):
    rec = table1.record()
    assert rec["n_paper_rows"] == 45 and rec["n_determinate"] == 31
    assert rec["max_rel_diff_table1"] < 0.005
    assert "31 finite capacities reproduced within 0.45 % (14 rows indeterminate)" in table1.markdown()
    assert len(table1.series[TABLE1_SERIES]) == len(table1.class2) == 31
    assert table1.greedy_label in table1.series
    text = table1.agreement()
    assert "above k = 32,000" in text and "Eq. 6, C = 1.293: rank correlation" in text
    assert table1.greedy_label not in text  # a bound, not a law to agree with


def test_band_lists_the_capacities_an_explicit_set_beats(band):
    beaten = band.below_construction
    ratios = [v["construction_over_eq7"] for v in beaten]
    assert beaten and ratios == sorted(ratios, reverse=True) and min(ratios) > 1
    rec = band.record()
    assert [b["name"] for b in rec["below_construction"]] == [v["name"] for v in beaten]
    assert "Llama 2 70B" in rec["outside_band"]
    assert set(rec["eq7_exit_eps_sqrt_d"]) == {1024, 2048, 4096, 8192, 16384}
    assert band.exit_at(4096) == rec["eq7_exit_eps_sqrt_d"][4096]
    assert f"{len(beaten)} of 31 Class 2 capacities are below an explicit set" in band.markdown()
    assert band.kl_beaten <= band.kl_above and "ε\\*" in band.kl_text()
    assert band.llama_text().startswith("At Llama 2 7B (d = 4096, ε = 0.0645): greedy guarantee")
    assert [t.title for t in band.tables()] == ["Where Eq. 7 leaves the band",
                                                "The Class 2 models with the largest ε√d"]


def test_band_without_a_beaten_capacity_says_so(band):
    inside = BandFindings([v for v in band.rows if not v["eq7_below_construction"]], band.exit,
                          band.llama, band.kl_beaten, band.kl_above)
    assert inside.below_construction == [] and inside.record()["below_construction"] == []
    assert inside.markdown().lstrip().startswith(f"0 of {len(inside.rows)} Class 2 capacities")
    assert "ratios" not in inside.markdown()


def test_scaling_of_the_class2_models(table1):
    s = ScalingFindings.of(table1.rows)
    assert len(s.d) == 31 and min(s.eps_sqrt_d) > 2  # every Class 2 model above the random value
    assert s.rho_eps[0] < 0 < s.rho_eps_sqrt_d[0]
    assert [name for name, _ in s.families[0]] == ["Llama 3.1 8B", "Llama 3.1 70B", "Llama 3.1 405B"]
    d, eps = s.random_curve()
    assert d[0] == min(s.d) and eps[0] == pytest.approx(2 / min(s.d) ** 0.5, rel=1e-3)
    assert "Llama 3.1 8B 3.55 → Llama 3.1 70B 3.99 → Llama 3.1 405B 6.16" in s.markdown()


def test_budget_is_class2_and_largest_share_first():
    b = cf.BudgetFindings.of(catalog.paper_models())
    shares = [r["vocab_share"] for r in b.rows]
    assert shares == sorted(shares, reverse=True) and all(r["eps"] < 0.1 for r in b.rows)
    assert b.record()["largest_vocab_share"] == {"name": b.rows[0]["name"], "share": shares[0]}
    assert b.markdown().startswith(f"Largest share: {b.rows[0]['name']}")


def test_measured_from_chapter_3s_table_or_measured_here(tmp_path, monkeypatch):
    from repcap.studies.models_table import write_table
    from repcap.studies.survey import Survey, SurveyRow

    row = SurveyRow(name="m", family="", source="array", vocab_size=100, d_model=384, tied=True,
                    dtype="float32", zero_rows=0, n_rows=100, pairs=4950, mean=0.05, std=0.075,
                    eps=0.2, klass="between", null_eps=0.1)
    table = write_table([row], tmp_path / "models.csv")
    got = cf.measured_capacities(table, ["ignored"])
    assert got.source == "read from chapter 3's table (models.csv)" and got.failures == []
    assert got.record()["measured_models"] == ["m"]
    assert "* 1 models read from chapter 3's table (models.csv)." in got.markdown()
    assert "0 of 1 have ε < 0.1" in got.markdown()

    def fake_measure(names, on_error, progress):
        assert on_error == "skip" and progress is False
        return Survey(rows=[row], failures=[("broken", "no such model")])

    monkeypatch.setattr(cf, "measure", fake_measure)
    here = cf.measured_capacities(tmp_path / "absent.csv", ["m", "broken"])
    assert here.source == "measured here, because chapter 3's table was not found"
    assert "not measured: broken: no such model" in here.markdown()
    assert cf.source_line([1, 2], tmp_path / "absent.csv", ["m", "broken"], 50) == (
        "the paper's Table 1 (2 rows, reported ε); models measured here (m, broken); our Eq. 7 "
        "constants from chapter 5's packings (50 steps)")


def test_own_constants_computed_then_read_back(tmp_path):
    kw = dict(sweep_dir=tmp_path, steps=5, objective="paper", seed=0)
    absent = cf.own_constants("cpu", [4, 6, 8], [8, 12], compute=False, **kw)
    assert absent.n_packings == 0 and absent.eq7 is None and absent.eq6_C is None
    assert "0 of chapter 5's 6 packings found" in absent.markdown()
    assert "Too few packings" in absent.markdown()
    made = cf.own_constants("cpu", [4, 6, 8], [8, 12], compute=True, **kw)
    assert made.n_packings == 6 and set(made.eq7) == {"C", "a", "b", "c"} and made.note == ""
    assert made.markdown() == ""
    read = cf.own_constants("cpu", [4, 6, 8], [8, 12], compute=False, **kw)
    assert (read.eq7, read.eq6_C) == (made.eq7, made.eq6_C)
    assert "6 of chapter 5's 6 packings found" in read.markdown()


# -- records ---------------------------------------------------------------------------------------

def test_every_section_round_trips_through_json(table1, band, tmp_path):
    constants = cf.ConstantsFindings(6, 100, "smoke", {"C": 3.5, "a": 0.87, "b": 0.15, "c": 1.07},
                                     1.81, note="6 of 6 found")
    measured = cf.MeasuredFindings(table1.rows[:2], "read from chapter 3's table (models.csv)",
                                   [["x", "why"]])
    parts = [constants, table1, measured, SensitivityFindings.of_paper(),
             cf.BudgetFindings.of(catalog.paper_models()), band, ScalingFindings.of(table1.rows),
             UnembeddingFindings(pairs_sample=10, skipped=[["tied-model", True]])]
    record = _through_json(chapter_record("test", *parts))
    for part in parts:
        back = type(part).from_record(record)
        assert back.markdown() == part.markdown(), type(part).__name__
        assert [t.title for t in back.tables()] == [t.title for t in part.tables()]
        assert _through_json(back.record()) == _through_json(part.record())


def test_chapter_record_keeps_every_key_once():
    s = SensitivityFindings.of_paper()
    assert chapter_record("p", s)["profile"] == "p"
    with pytest.raises(ValueError, match="sensitivity"):
        chapter_record("p", s, s)
