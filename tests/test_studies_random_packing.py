"""Chapter 4's study and findings: the worked example against its formulas, the two rules of §3.2 at
their edges, the chapter text and the verdict page deciding by the same call, and the record's round
trip through JSON."""

from __future__ import annotations

import dataclasses
import functools
import json
import math

import numpy as np
import pytest

from repcap.book import verdict as V
from repcap.laws import implied_jl_c
from repcap.laws.metrics import relative_errors
from repcap.packing.released import load_paper_sweep
from repcap.studies import random_packing as study
from repcap.studies.findings import CAVEAT, FAILS, chapter_record
from repcap.studies.random_packing_findings import PAPER_C, RandomPackingFindings
from repcap.common.jsonsafe import dumps  # JSON as write_results writes it

#: (k, d, ε*) of a small sweep; (2000, 256) is also a cell of the paper's released grid.
CELLS = [(100, 32, 0.5543), (200, 32, 0.6034), (100, 64, 0.4031), (200, 64, 0.4387)]
SHARED = (2000, 256, 0.2470)


def _records(cells=CELLS) -> list[dict]:
    return [{"kind": "random", "k": k, "d": d, "eps": e, "seconds": 0.01 * (i + 1),
             "device": "cpu", "settings": {"trials": 20}} for i, (k, d, e) in enumerate(cells)]


@functools.lru_cache(maxsize=None)
def _sweep(shared: bool = False) -> study.RandomSweep:
    cells = CELLS + [SHARED] if shared else CELLS
    return study.RandomSweep(_records(cells), load_paper_sweep("random"), 20, grid="smoke",
                             dtype="float32", file="random_T20_float32_seed0.jsonl")


@functools.lru_cache(maxsize=None)
def _base(shared: bool = False) -> RandomPackingFindings:
    return RandomPackingFindings.from_sweep(_sweep(shared))


def findings(**changes) -> RandomPackingFindings:
    """Chapter 4's findings from a small sweep and the real released cells, with ``changes``."""
    return dataclasses.replace(_base(), **changes)


def test_worked_example_follows_its_formulas():
    counts = study.guarantee_counts()
    for key, _, C in study.CONSTRUCTIONS:
        assert counts[key] == pytest.approx(math.exp(4096 * 0.0645**2 / C), rel=1e-12)
    assert counts["llama_k_C8"] == pytest.approx(8.4, abs=0.05)  # the paper's Eq. 4
    assert counts["llama_k_C3029"] == pytest.approx(277, rel=0.01)  # the paper's §3.2
    assert counts["llama_greedy"] > counts["llama_k_C2"]  # the exact count bends above exp(dε²/2)


def test_findings_hold_the_sweeps_numbers():
    f, s = _base(), _sweep()
    assert f.n_cells == len(CELLS) and f.seconds == pytest.approx(0.1)
    assert f.jl_C == s.fit.params["C"] and f.paper_refit_C == pytest.approx(PAPER_C, rel=1e-3)
    law = relative_errors(s.eps, s.law_eps)
    assert f.null_median_rel == float(np.median(law))
    assert f.null_max_abs_rel == float(np.max(np.abs(law)))
    assert f.law_errors["ours_jl"]["mape"] == s.fit.mape  # the fit keeps its own metrics
    k_grid, series = study.implied_c_curves()
    assert f.implied_c["best of 1000, d = 4096"][-1] == series["best of 1000, d = 4096"][-1]
    ours = implied_jl_c(s.k, s.d, s.eps)
    assert f"{np.median(ours):.2f}" in f.implied_c_text()
    assert f.llama_random_one_draw < f.llama_random_best_of_1000 < f.llama_greedy


def test_shared_cells_are_a_table_and_a_sentence_or_a_note():
    assert "No cell of this profile's grid" in _base().shared_parts()[0]
    table, text = _base(shared=True).shared_parts()
    assert [(r["k"], r["d"]) for r in table.rows] == [SHARED[:2]]
    assert "On the 1 shared cells our sweep sits" in text
    assert len(_base(shared=True).tables()) == len(_base().tables()) + 1


@pytest.mark.parametrize("k3, status", [(299.99, CAVEAT), (300.0, FAILS), (277.2, CAVEAT)])
def test_jl_count_rule_at_its_edge(k3, status):
    f = findings(llama_k_C3029=k3)
    assert f.jl_count_status() == status
    assert f"*{status}*" in f.guarantees_text()
    assert ("fewer than 300, as the paper says" in f.guarantees_text()) == (status == CAVEAT)
    assert ('against the paper\'s "fewer than 300"' in f.guarantees_text()) == (status == FAILS)
    assert f.verdicts()[0].status == status


@pytest.mark.parametrize("rel, status", [(0.999e-3, CAVEAT), (-0.999e-3, CAVEAT),
                                         (1.001e-3, FAILS), (-1.001e-3, FAILS)])
def test_jl_constant_rule_at_its_edges(rel, status):
    f = findings(paper_refit_C=PAPER_C * (1 + rel))
    assert f.jl_constant_status() == status
    assert f"*{status}*" in f.fits_text()
    assert ("the release reproduces" in f.fits_text()) == (status == CAVEAT)
    assert f.verdicts()[1].status == status


@pytest.mark.parametrize("rule, claim, text, index", [
    ("jl_count_status", V._jl_count, "guarantees_text", 0),
    ("jl_constant_status", V._jl_constant, "fits_text", 1),
])
def test_chapter_and_verdict_page_decide_by_the_same_call(monkeypatch, rule, claim, text, index):
    """Whatever the rule method says is what the chapter's text and the verdict page say."""
    f = findings()
    for forced in (FAILS, CAVEAT):
        monkeypatch.setattr(RandomPackingFindings, rule, lambda self, s=forced: s)
        assert f"*{forced}*" in getattr(f, text)() and f"*{forced}*" in f.markdown()
        record = json.loads(json.dumps(f.record()))  # through JSON, as the build does
        assert claim({f.chapter: record}).status == forced
        assert f.verdicts()[index].status == forced


def test_record_round_trips_through_json_and_keeps_the_chapters_keys():
    f = _base(shared=True)
    record = json.loads(dumps(chapter_record("test", f)))  # as the chapter writes it
    assert record["profile"] == "test"
    for key in ("grid", "trials", "dtype", "n_cells", "jl_C", "jl_r2", "jl_mape",
                "jl_nrmse", "null_mape", "null_median_rel", "null_max_abs_rel", "paper_refit_C",
                "paper_refit_mape", "paper_null_mape", "paper_null_median_rel", "law_fit_C",
                "llama_k_C8", "llama_k_C32", "llama_k_C3029", "llama_greedy",
                "llama_random_one_draw", "llama_random_best_of_1000", "seconds",
                "throughput_flops"):
        value = getattr(f, key)
        assert record[key] == (pytest.approx(value) if isinstance(value, float) else value)
    back = RandomPackingFindings.from_record(record)
    assert back.markdown() == f.markdown() and back.verdicts() == f.verdicts()
    assert back.tables() == f.tables()

