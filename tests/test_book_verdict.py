"""repcap.book.verdict: statuses follow the stated rules, numbers come from the results, gaps are errors."""

from __future__ import annotations

import copy
import json
import re

import pytest

from repcap.book import verdict as V
from repcap.errors import RepcapError
from repcap.common.jsonsafe import dumps  # JSON as write_results writes it
from repcap.studies.findings import chapter_record


def _activations():
    """Chapter 8's findings for two hand-made models: one layer of MiniLM a class away (0.31)."""
    from test_studies_activation_findings import _findings, _study

    return _findings(_study(0.2014, [(0.25, 0.2), (0.5, 0.19)], name="all-MiniLM-L6-v2", d=384),
                     _study(0.0702, [(0.07, 0.05), (0.38, 0.3)], name="gemma-3-270m", d=640))


def _optimised_packing() -> dict:
    """Chapter 5's record from its findings: the paper's refit MAPEs (975.3 %, 7.95 %), ours 26.6 %
    and 3.85 %, its packings 1.3–2.5 times the floor, the softmax objective 12.6 % below its loss."""
    from test_studies_optimised_packing import _objectives, _packing

    objectives = _objectives(softmax=[0.874, 0.874, 0.874])
    return json.loads(dumps(chapter_record("test", _packing(), objectives)))


def _capacity() -> dict:
    """Chapter 6's record: the sensitivity findings with the paper's constants (the lever claim)."""
    from repcap.studies.findings import chapter_record
    from repcap.studies.sensitivity_findings import SensitivityFindings

    return chapter_record("test", SensitivityFindings.of_paper())


def _random_packing():
    """Chapter 4's findings from a small sweep and the paper's released random cells."""
    from test_studies_random_packing import findings

    return findings()


def _frontier():
    """Chapter 7's findings: 31 Class 2 models, two of them below an explicit dual-BCH set."""
    from test_studies_frontier_findings import _class2, _findings

    class2 = _class2(1.7e3, 5.9e5, *[0.5] * 29)
    class2[0]["name"], class2[1]["name"] = "Llama 2 7B", "Llama 2 70B"
    return _findings(class2=class2)


def _two_classes() -> dict:
    """Chapter 3's record from its findings: one measured model (MiniLM, Class 1), the paper's
    reported ε, and a width trend that falls significantly (ρ = −0.40, p = 0.02) but, relative to
    2/√d, the wrong way (ρ(d, ε√d) = +0.66)."""
    from references import survey_row
    from repcap.studies.classes_findings import SurveyFindings, TwoClassesFindings
    from test_studies_width_trend_findings import findings as trend_findings

    rows = [survey_row("all-MiniLM-L6-v2", 0.2014, mean=0.0181, d=384)]
    return json.loads(dumps(chapter_record("test", SurveyFindings(rows), trend_findings(),
                                           TwoClassesFindings.of(rows))))


def _features() -> dict:
    """Chapter 9's record: two models with good SAEs of more live latents than d, one of them above
    its embedding's ε by 0.02 (a caveat)."""
    from test_studies_feature_findings import findings, row, study

    f = findings(study(row(eps=0.15, live=1536), emb=0.2014, model="all-MiniLM-L6-v2"),
                 study(row(eps=0.12, live=2000, d=576, model="s"), model="s", emb=0.10, d=576))
    return json.loads(dumps(f.record()))


def _results() -> dict:
    """Results shaped like the chapters' files, with the paper's own numbers where it has them."""
    return {
        "03_two_classes": _two_classes(),
        "04_jl_random": json.loads(dumps(chapter_record("test", _random_packing()))),
        "05_optimised_packing": _optimised_packing(),
        "06_capacity": json.loads(json.dumps(_capacity())),
        "07_packing_frontier": json.loads(dumps(_frontier().record())),
        "08_inside_the_model": _activations().record(),
        "09_learned_features": _features(),
    }


def _status(results, claim):
    return claim(results).status


def test_statuses_on_the_papers_numbers():
    r = _results()
    got = {c.__name__: c(r).status for c in V.CLAIMS}
    assert got == {"TwoClassesFindings[0]": V.CAVEAT, "WidthTrendFindings[0]": V.CAVEAT,
                   "RandomPackingFindings[0]": V.CAVEAT, "RandomPackingFindings[1]": V.CAVEAT,
                   "PackingFindings[0]": V.CAVEAT, "_upper_bound": V.FAILS,
                   "SensitivityFindings[0]": V.HOLDS, "ActivationFindings[0]": V.FAILS,
                   "FeatureFindings[0]": V.CAVEAT}


@pytest.mark.parametrize("chapter, keys, value, claim, status", [
    ("03_two_classes", ("trend_class2_reported", "p_value"), 0.24, V._width_trend, V.FAILS),
    ("03_two_classes", ("trend_class2_reported", "spearman_scaled"), -0.1, V._width_trend, V.HOLDS),
    ("03_two_classes", ("trend_class2_reported", "spearman"), 0.2, V._width_trend, V.FAILS),
    ("04_jl_random", ("llama_k_C3029",), 301.0, V._jl_count, V.FAILS),
    ("04_jl_random", ("paper_refit_C",), 3.2, V._jl_constant, V.FAILS),
    ("05_optimised_packing", ("paper_refits", "jl", "mape"), 500.0, V._kd_law, V.FAILS),
    ("06_capacity", ("loosen_factor",), 30.0, V._sensitivity, V.FAILS),  # below × 30.03 of widening
])
def test_each_rule_flips_with_its_number(chapter, keys, value, claim, status):
    r = copy.deepcopy(_results())
    target = r[chapter]
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    assert claim(r).status == status


def test_evidence_carries_the_results_numbers():
    r = _results()
    text = V.render(V.verdicts(r), "test")
    assert "C = 3.0295" in text and "277 directions" in text and "27,752" in text
    assert "975.3 %" in text and "7.95 %" in text and "1.30–2.50" in text
    assert "12.6 % lower than" in text and "by 30.0" in text and "by 825,296" in text
    assert "(../notebooks/04_jl_random.ipynb)" in text
    assert "2 of the 31 Class 2 models" in text and "1.7e+03–5.9e+05" in text
    assert "1 hold, 6 hold with a caveat, 2 do not hold, 0 not tested in the paper's regime" in text


def test_a_claim_outside_the_papers_regime_is_rendered_and_counted_as_untested():
    """Chapter 8 with Class 1 models only (as the offline build measures): the claim's status is
    'not tested in the paper's regime', with its own badge, counted in the summary; one Class 2
    model measured makes the rule read its layers again."""
    from test_studies_activation_findings import _findings, _study

    r = _results()
    class1 = _findings(_study(0.2014, [(0.25, 0.2), (0.5, 0.19)], name="all-MiniLM-L6-v2", d=384))
    r["08_inside_the_model"] = json.loads(dumps(class1.record()))
    assert V._embedding_transfer(r).status == V.UNTESTED
    text = V.render(V.verdicts(r), "test")
    assert f"| {V.badge(V.UNTESTED)} |" in text and "status-not-tested-in-the-paper-s-regime" in text
    assert "6 hold with a caveat, 1 do not hold, 1 not tested in the paper's regime." in text
    assert "do not test the claim in the paper's regime" in text
    assert V._embedding_transfer({"08_inside_the_model": _activations().record()}).status == V.FAILS


def test_missing_results_are_an_error_naming_the_chapter(tmp_path):
    r = _results()
    del r["06_capacity"]
    with pytest.raises(RepcapError, match="06_capacity"):
        V.verdicts(r)
    r = _results()
    del r["04_jl_random"]["law_fit_C"]
    with pytest.raises(RepcapError, match=r"04_jl_random lack \['law_fit_C'\]"):
        V.verdicts(r)


def test_write_page_from_a_results_folder(tmp_path):
    for stem, data in _results().items():
        (tmp_path / f"{stem}.json").write_text(json.dumps(data))
    page = V.write_page(tmp_path, tmp_path / "site" / "verdict.md")
    text = page.read_text()
    assert text.startswith("# Verdict") and "profile `test`" in text
    # each chapter's results file is linked where the build copies it (../results/<stem>.json)
    linked = re.findall(r'<a href="\.\./results/([\w.]+)">', text)
    assert linked == [f"{stem}.json" for stem in sorted(_results())]
    (tmp_path / "04_jl_random.json").write_text("{broken")
    with pytest.raises(RepcapError, match="04_jl_random.json"):
        V.load_results(tmp_path)


def test_status_badges_are_words_in_a_class_keyed_by_status():
    """No emoji on the page (they render as empty boxes without an emoji font); each status is a
    CSS class of its own, and _static/custom.css styles every status there is."""
    import re

    from conftest import ROOT
    from repcap.studies.findings import STATUSES

    text = V.render(V.verdicts(_results()), "test")
    assert not re.search("[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f]", text)
    assert V.badge("holds with a caveat") == \
        '<span class="status status-holds-with-a-caveat">holds with a caveat</span>'
    assert V.badge("untested") == '<span class="status status-untested">untested</span>'
    css = (ROOT / "_static" / "custom.css").read_text(encoding="utf-8")
    for status in STATUSES:
        slug = re.search(r'class="status (status-[a-z-]+)"', V.badge(status)).group(1)
        assert f"span.{slug} " in css, f"no CSS rule for the status {status!r}"
        assert V.badge(status) in text or status not in {v.status for v in V.verdicts(_results())}
