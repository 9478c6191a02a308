"""Chapter 7's findings: each rule at its edge, the words of section (d) following the rules, the
record keeping the chapter's keys, and its round trip through JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from repcap.studies import frontier
from repcap.book import verdict as V
from repcap.studies.findings import CAVEAT, FAILS, HOLDS
from repcap.studies.frontier_findings import (SAME_EPS, FrontierFindings, adam_effect, start_gain,
                                              subset_gain, upper_bound_status, upper_bound_verdict)
from repcap.common.jsonsafe import dumps  # JSON as write_results writes it


class Release:  # the three attributes frontier_rows and frontier_panels read from a PaperSweep
    k, d, eps = np.array([2000, 160]), np.array([64, 16]), np.array([0.2363, 0.40])


def _rows() -> list[dict]:
    """At d = 64 a Kerdock set (μ = 0.125) is the frontier; at k = 160, d = 16 neither our 0.5326
    nor the dual-BCH set (0.6) reaches the released 0.40; at k = 10^6, d = 16 no set exists."""
    own = [{"k": 2000, "d": 64, "eps": 0.30}, {"k": 500, "d": 64, "eps": 0.20},
           {"k": 160, "d": 16, "eps": 0.5326}]
    return (frontier.frontier_rows([64], [500, 2000], own=own, released=Release())
            + frontier.frontier_rows([16], [160, 10 ** 6], own=own, released=Release()))


def _start(random_start: float, eps: float = 0.27, start: float = 0.25, k: int = 100) -> dict:
    return {"k": k, "d": 16, "family": "kerdock", "params": {"m": 4}, "count": 144,
            "coherence": 0.25, "start_eps": start, "eps": eps, "random_start_eps": random_start,
            "best_history": 0.25, "smaller_count": 16, "smaller_family": "orthonormal",
            "smaller_coherence": 0.0}


def _class2(*ratios: float) -> list[dict]:
    return [{"name": f"model {i}", "d": 4096, "eps": 0.06, "capacity": 1e7,
             "construction_count": 1e7 * r, "family": "dual_bch", "params": {"m": 12, "e": 3},
             "ratio": r, "below": r > 1} for i, r in enumerate(ratios)]


def _findings(rows=None, starts=None, class2=None, refit=None, shifted=None) -> FrontierFindings:
    return FrontierFindings(
        _rows() if rows is None else rows, [_start(0.5)] if starts is None else starts,
        {"jl": {"params": {"C": 0.5}, "r2": 0.3, "mape": 22.3}, "eq6": None} if refit is None
        else refit, _class2(1700.0, 1.0, 0.5) if class2 is None else class2, steps=30,
        shifted=[] if shifted is None else shifted)


def test_rules_read_the_rows():
    f = _findings()
    assert [(r["k"], r["d"]) for r in f.shared()] == [(2000, 64), (160, 16)]
    assert [(r["k"], r["d"]) for r in f.not_reached()] == [(160, 16)]
    assert [(r["k"], r["d"]) for r in f.by_construction()] == [(500, 64), (2000, 64)]
    assert ("not reached at k = 160, d = 16: ours 0.5326 vs released 0.4000 (ratio 1.331)"
            in f.frontier_text())
    assert "is ≤ the released ε* in 1 of them" in f.frontier_text()
    assert "an explicit set in 2 of 4 cells" in f.frontier_text()


@pytest.mark.parametrize("released, reached", [(0.5326, True), (0.5325, False)])
def test_reaching_the_release_at_its_edge(released, reached):
    rows = [dict(r, released=released, ratio_to_released=r["ours_best"] / released)
            if r["k"] == 160 else r for r in _rows()]
    assert bool(_findings(rows=rows).not_reached()) == (not reached)


@pytest.mark.parametrize("ratio, exceeded", [(1.0, False), (1.0 + 1e-12, True), (0.5, False)])
def test_capacity_exceeded_at_its_edge(ratio, exceeded):
    f = _findings(class2=_class2(ratio))
    assert bool(f.capacity_exceeded()) == exceeded
    assert ("Not supported: for 1 of the 1 Class 2 models" in f.claims_text()) == exceeded
    assert ("Not contradicted" in f.claims_text()) == (not exceeded)
    assert f.record()["n_class2_below_construction"] == int(exceeded)
    assert f.record()["class2_ratio_median"] == (pytest.approx(ratio) if exceeded else None)


@pytest.mark.parametrize("change, effect", [(-1.01 * SAME_EPS, "lowered"), (-0.99 * SAME_EPS, "left"),
                                            (0.0, "left"), (0.99 * SAME_EPS, "left"),
                                            (1.01 * SAME_EPS, "raised")])
def test_adam_effect_at_its_edges(change, effect):
    """Issue 22: Adam from a Kerdock subset raised 0.125 to 0.1438; the page must say so."""
    assert adam_effect(_start(0.5, eps=0.25 + change, start=0.25)) == effect
    assert f"Adam {effect} the subset" in _findings(starts=[_start(0.5, eps=0.25 + change)]).starts_text()


def test_construction_start_credits_each_value_to_what_produced_it():
    s = _start(0.5, eps=0.27, start=0.25)
    assert start_gain(s) == pytest.approx(0.5 / 0.27)   # Adam from the subset vs Adam from random
    assert subset_gain(s) == pytest.approx(0.5 / 0.25)  # the code's own subset vs Adam from random
    text = _findings().starts_text()
    assert "Adam raised the subset's max |cos| from 0.2500 to 0.2700" in text
    assert "ends 1.85× below Adam from a random start; the subset itself is 2.00× below it" in text
    assert ("between the 16-vector orthonormal set of coherence 0.0000 and the 144-vector kerdock set of "
            "coherence 0.2500") in text
    assert "Adam left the subset's max |cos| at 0.2500" in _findings(
        starts=[_start(0.5, eps=0.25)]).starts_text()
    assert "1.08× above Adam from a random start" in _findings(starts=[_start(0.25, eps=0.27)]).starts_text()
    assert "the subset itself is 1.09× above it" in _findings(starts=[_start(0.23, eps=0.27)]).starts_text()
    claims = _findings().claims_text()
    assert "a code's own subset sits below Adam from a random start at the same k in 1 of 1 cells " \
           "(by 2.00×)" in claims
    assert "ends below Adam from a random start in 1 of 1, while raising the subset's own max |cos| " \
           "in 1 (a)" in claims
    worse = _findings(starts=[_start(0.2, eps=0.27)]).claims_text()
    assert "in 0 of 1 cells, and Adam started from the subset ends below Adam from a random start " \
           "in 0 of 1" in worse
    mixed = _findings(starts=[_start(0.5), _start(0.26, eps=0.27, k=140)])
    assert "ends below Adam from a random start in 1 of 2 cells" in mixed.starts_text()
    assert "Adam raised it in 2." in mixed.starts_text()
    assert "(a)" not in _findings(starts=[]).claims_text()


def test_degenerate_refit_is_reported_and_not_read_as_a_law():
    eq7 = {"params": {"C": 0.59, "a": 9.99999999976, "b": 1.37, "c": 2.1}, "r2": 0.91, "mape": 21.8,
           "at_bound": ["a"]}
    f = _findings(refit={"eq7": eq7})
    assert "Degenerate: a at its bound 10; not read as a law" in f.refit_text()
    assert "degenerate (a at the edge of the optimiser's box" in f.claims_text() and f.degenerate_fits() == {"eq7": ["a"]}
    free = _findings(refit={"eq7": {**eq7, "params": {**eq7["params"], "a": 1.2}, "at_bound": []}})
    assert "Degenerate" not in free.refit_text() and "MAPE 21.8 %" in free.claims_text()
    assert free.record()["refit_degenerate"] == {}


def _shifted(*below_by_shift):
    return [{"shift": s, "n": 3, "below": names} for s, names in below_by_shift]


def test_robust_count_under_moved_eps():
    """Issue 22: how many Class 2 capacities stay below a set when every ε moves."""
    shifted = _shifted((-0.05, []), (-0.01, ["model 0"]), (0.01, ["model 0", "model 2"]),
                       (0.05, ["model 0"]))
    f = _findings(class2=_class2(1700.0, 3.0, 0.5), shifted=shifted)
    assert [v["name"] for v in f.capacity_exceeded()] == ["model 0", "model 1"]
    assert [v["name"] for v in f.robust_exceeded()] == ["model 0"]
    assert f.within_all_shifts() == []
    rows = f.shift_table().rows
    assert [(r["shift"], r["n_below"], r["lost"], r["gained"]) for r in rows] == [
        (-0.05, 0, "model 0, model 1", "–"), (-0.01, 1, "model 1", "–"),
        (0.01, 2, "model 1", "model 2"), (0.05, 1, "model 1", "–")]
    text = f.shift_text()
    assert "2 of 3 Class 2 capacities are below" in text and "1 stay below with every ε moved by -1 %" in text
    assert "1 of them stay below with every ε moved by ±1 % (c)" in f.claims_text()
    record = json.loads(dumps(f.record()))
    assert record["n_class2_below_robust"] == 1
    assert FrontierFindings.from_record(record).robust_exceeded() == f.robust_exceeded()
    # without moved ε (an older record) the robust list is the point list
    assert _findings(class2=_class2(1700.0, 3.0)).robust_exceeded() == _class2(1700.0, 3.0)


def test_shifted_class2_moves_capacity_and_set_together():
    from repcap.geometry.feasibility import named_band
    models = [{"name": "Llama 2 7B", "d_model": 4096, "eps": 0.0645}]
    at, down = frontier.shifted_class2(models, [0.0, -0.05])
    assert at == {"shift": 0.0, "n": 1, "below": ["Llama 2 7B"]}
    # at 0.95 ε = 0.0613 the m = 12, e = 3 code (μ = 257/4095 = 0.0628) no longer fits
    moved = frontier.table1_vs_constructions(named_band([{**models[0], "eps": 0.0645 * 0.95}]))
    assert moved[0]["params"] == {"m": 12, "e": 2}
    assert down["below"] == (["Llama 2 7B"] if moved[0]["below"] else [])


def test_no_construction_frontier_changes_the_words():
    rows = [dict(r, frontier_recipe="ours") for r in _rows()]
    assert "no explicit set beats it in any cell" in _findings(rows=rows).claims_text()
    assert "an explicit set beats it in 2 of the 4 cells" in _findings().claims_text()


def test_refit_lines_name_forms_with_too_few_points():
    text = _findings().refit_text()
    assert "* jl: C = 0.5; R² = 0.300, MAPE = 22.3 %" in text
    assert "* eq6: too few frontier points in this profile to fit" in text


def test_record_keeps_the_chapters_keys_and_round_trips():
    f = _findings()
    record = f.record()
    assert record["n_cells"] == 4 and record["n_shared_with_release"] == 2
    assert record["n_not_reaching_release"] == 1 and record["frontier_by_construction"] == 2
    assert record["ratios_to_release"][1] == {"k": 160, "d": 16,
                                              "ratio": pytest.approx(0.5326 / 0.40)}
    assert record["refit"] == {"jl": {"params": {"C": 0.5}, "r2": 0.3, "mape": 22.3, "at_bound": []}}
    assert record["n_class2"] == 3 and record["n_class2_below_construction"] == 1
    back = FrontierFindings.from_record(json.loads(dumps(record)))
    assert math.isinf(back.rows[-1]["construction"])  # written as null, read back as infinity
    assert back.markdown() == f.markdown() and back.tables() == f.tables()
    assert json.loads(dumps(back.record())) == json.loads(dumps(record))


def test_frontier_panels_select_each_dimension():
    own = [{"k": 500, "d": 64, "eps": 0.2}, {"k": 500, "d": 32, "eps": 0.3}]
    p32, p64 = frontier.frontier_panels([32, 64], [250, 500], own=own, released=Release())
    assert p64["k_max"] == 2000 and p32["k_max"] == 500  # the release reaches k = 2000 at d = 64
    assert list(p64["released"][0]) == [2000] and len(p32["released"][0]) == 0
    assert p64["ours"] == ((500,), (0.2,))
    k_line, eps = p64["random_curve"]
    assert k_line[0] == 65 and k_line[-1] == pytest.approx(2000)
    assert np.allclose(eps, frontier.random_eps(k_line, 64))
    assert p64["steps"] == frontier.staircase(64, 2000)
    assert frontier.frontier_panels([64], [500], own=own)[0]["released"] is None



@pytest.mark.parametrize("floor_lo, softmax, beaten, status", [
    (1.0, 1.05, False, HOLDS),      # released packings at the floor, no objective or set beats them
    (1.0001, 1.05, False, FAILS),   # released packings above the proven floor
    (1.0, 0.999, False, FAILS),     # another objective packs lower at equal steps
    (1.0, 1.05, True, FAILS),       # an explicit set holds more than a Table 1 capacity
])
def test_upper_bound_rule_at_its_edges(floor_lo, softmax, beaten, status):
    from test_studies_optimised_packing import _objectives, _packing

    packing, objectives = _packing(), _objectives(softmax=[softmax] * 3)
    packing.floor_summary[2]["lo"] = floor_lo
    found = _findings(class2=_class2(1700.0, 0.5) if beaten else _class2(0.9, 0.5))
    assert upper_bound_status(packing, objectives, found) == status
    assert upper_bound_verdict(packing, objectives, found).status == status
    # the verdict page rebuilds all three from the chapters' records and reaches the same status
    records = {"05_optimised_packing": json.loads(dumps({**packing.record(), **objectives.record()})),
               "07_packing_frontier": json.loads(dumps(found.record()))}
    assert V._upper_bound(records).status == status
    # chapter 7's words read the same list of beaten capacities the rule reads
    assert ("Not supported" in found.claims_text()) == beaten


def test_chapter_7_and_the_verdict_read_the_same_beaten_capacities(monkeypatch):
    from test_studies_optimised_packing import _objectives, _packing

    packing, objectives = _packing(), _objectives(softmax=[1.05] * 3)
    packing.floor_summary[2]["lo"] = 1.0
    found = _findings(class2=_class2(0.9, 0.5))
    assert upper_bound_status(packing, objectives, found) == HOLDS
    monkeypatch.setattr(FrontierFindings, "capacity_exceeded", lambda self: self.class2[:1])
    assert upper_bound_status(packing, objectives, found) == FAILS
    assert "Not supported: for 1 of the 2 Class 2 models" in found.claims_text()


@pytest.mark.parametrize("below_moved, status", [(["model 0"], FAILS), ([], CAVEAT)])
def test_upper_bound_rule_reads_the_robust_count(below_moved, status):
    """A set that beats a capacity only at the printed ε, not with ε moved by ±1 %, is a caveat."""
    from test_studies_optimised_packing import _objectives, _packing

    packing, objectives = _packing(), _objectives(softmax=[1.05] * 3)
    packing.floor_summary[2]["lo"] = 1.0
    found = _findings(class2=_class2(1700.0, 0.5),
                      shifted=_shifted((-0.01, below_moved), (0.01, ["model 0"])))
    assert upper_bound_status(packing, objectives, found) == status
    verdict = upper_bound_verdict(packing, objectives, found)
    assert f"{len(below_moved)} of the 1 stay below an explicit set" in verdict.evidence
    records = {"05_optimised_packing": json.loads(dumps({**packing.record(), **objectives.record()})),
               "07_packing_frontier": json.loads(dumps(found.record()))}
    assert V._upper_bound(records).status == status


def _grid_findings(kept_eps=0.2157, rerun=None, optima=None):
    """Findings with the real release and one kept packing at (2000, 64)."""
    from repcap.packing.released import load_paper_sweep

    kept = [{"kind": "optimised", "k": 2000, "d": 64, "eps": kept_eps, "seconds": 580.0,
             "settings": {"steps": 2000, "objective": "anneal"}}]
    f = _findings()
    f.released_grid = frontier.released_frontier(load_paper_sweep("optimised"), kept)
    f.kept_packings = {"source": "kept.jsonl", "n": 1, "steps": [2000], "objective": ["anneal"],
                       "seconds": {"2000,64": 580.0}}
    f.rerun, f.optima = rerun, optima or []
    return f


def test_released_grid_sentences_and_the_kept_table():
    f = _grid_findings()
    (cell,) = f.kept_cells()
    assert (cell["k"], cell["d"], cell["ours_eps"], cell["seconds"]) == (2000, 64, 0.2157, 580.0)
    assert f.kept_below_release() == [cell]  # 0.2157 < the released 0.2363
    text = str(f.released_text())
    g = f.released_grid
    assert (f"Of the paper's 166 released cells, the orthonormal basis, an explicit set or our kept "
            f"packing is at or below the released ε* in {g['n_best_le_released']}") in text
    assert "they are below the released ε* in 1 of them" in text
    summary = f.released_summary_table().rows
    assert sum(r["cells"] for r in summary) == 166
    assert sum(r["released"] for r in summary) == len(g["open_cpu"]) + len(g["open_gpu"])
    # a kept packing above the release, or equal to it, is not below it, in the rule and the text
    assert _grid_findings(kept_eps=0.30).kept_below_release() == []
    released = next(c["released_eps"] for c in f.released_grid["cells"]
                    if (c["k"], c["d"]) == (2000, 64))
    tie = _grid_findings(kept_eps=released)
    assert tie.kept_below_release() == []
    assert "they are below the released ε* in 0 of them" in str(tie.released_text())


def test_rerun_rule_reproduces_within_one_percent():
    same = {"k": 2000, "d": 32, "kept": 0.3580, "seconds": 12.0, "kept_seconds": 543.0,
            "same_settings": True}
    assert _grid_findings(rerun={**same, "rerun": 0.3580 * 1.009}).reproduced() is True
    assert _grid_findings(rerun={**same, "rerun": 0.3580 * 1.011}).reproduced() is False
    assert _grid_findings(rerun={**same, "rerun": 0.3580, "same_settings": False}).reproduced() is False
    assert _grid_findings().reproduced() is None
    assert "it reproduces the kept value within 1 %" in str(
        _grid_findings(rerun={**same, "rerun": 0.3581}).released_text())


def test_optima_sentence_names_the_cells_missed():
    rows = [{"k": 28, "d": 7, "optimum": 1 / 3, "attained_by": "ETF", "eps": 1 / 3, "ratio": 1.0,
             "target": 1.01, "met": True, "seconds": 0.3, "steps": 5000},
            {"k": 276, "d": 23, "optimum": 0.2, "attained_by": "ETF", "eps": 0.2876, "ratio": 1.438,
             "target": 1.05, "met": False, "seconds": 2.4, "steps": 5000}]
    f = _grid_findings(optima=rows)
    assert str(f.optima_text()) == ("The optimiser reaches the known optimum (within its target) in 1 "
                                    "of 2 cells; it does not at k = 276, d = 23 (0.2876, 1.44× the "
                                    "optimum 0.2000).")
    back = FrontierFindings.from_record(json.loads(dumps(f.record())))
    assert back.optima_met() == f.optima_met() and back.kept_cells() == f.kept_cells()


def test_upper_bound_fails_on_kept_packings_below_the_release_alone():
    from types import SimpleNamespace

    from repcap.studies.findings import CAVEAT, FAILS
    from repcap.studies.frontier_findings import upper_bound_status

    packing = SimpleNamespace(paper_floor_range=(0.9, 1.2))  # the release touches the floor
    objectives = SimpleNamespace(winner=lambda: "paper", median_ratio=lambda name: 1.0)
    above = _grid_findings(kept_eps=0.30)
    above.class2 = _class2(0.5, 2.0)  # one capacity below a set, at the printed ε only:
    above.shifted = [{"shift": -0.01, "n": 2, "below": ["model 1"]}, {"shift": 0.01, "n": 2, "below": []}]
    assert upper_bound_status(packing, objectives, above) == CAVEAT
    below = _grid_findings(kept_eps=0.2157)
    below.class2, below.shifted = above.class2, above.shifted
    assert upper_bound_status(packing, objectives, below) == FAILS
