"""The catalogue: the paper's Table 1 as transcribed, and the offline models."""

import math
import re
from pathlib import Path

import pytest

from repcap import catalog
from repcap.errors import ModelNotFoundError
from repcap.sources import OFFLINE_MODELS
from repcap.sources.offline import find as find_offline

PAPER_MD = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "paper.md"
# Eq. 7 constants at full precision (Guha 2026, §3.3, as in the author's representational_capacity.py).
C, A, B, CC = 0.45809143, 1.0668005, 1.44738666, 0.97197234


def max_k(d, eps):
    """k_max = ceil((d · exp((eps² · d^c / C)^(1/b)))^(1/a)), in logs to avoid overflow."""
    log_k = (math.log(d) + (eps**2 * d**CC / C) ** (1 / B)) / A
    return math.exp(log_k)


def test_counts_and_keys():
    paper = catalog.paper_models()
    assert len(paper) == 45
    indeterminate = [m for m in paper if m["capacity_paper"] is None]
    assert len(indeterminate) == 14 and len(paper) - len(indeterminate) == 31
    required = {"name", "hub_id", "family", "d_model", "vocab_size", "tied", "eps_paper",
                "capacity_paper", "class_paper", "source"}
    for m in catalog.all_models():
        assert required <= set(m)
    assert len({m["name"] for m in paper}) == 45 and len({m["hub_id"] for m in paper}) == 45


def test_class_rule_and_capacity_are_consistent_with_eq7():
    for m in catalog.paper_models():
        eps, d = m["eps_paper"], m["d_model"]
        if eps > 0.2:
            assert m["class_paper"] == 1 and m["capacity_paper"] is None, m["name"]
        else:
            assert eps < 0.1 and m["class_paper"] == 2, m["name"]
            # The paper's capacities follow from its ε, rounded to 5 decimals in Table 1, within 0.5 %;
            # a transcription error in d, ε or the capacity would break this.
            k = max_k(d, eps)
            assert abs(k / m["capacity_paper"] - 1) < 0.005, (m["name"], k, m["capacity_paper"])


def test_worked_example_llama2_7b():
    row = catalog.find("meta-llama/Llama-2-7B-HF")
    assert (row["d_model"], row["eps_paper"], row["capacity_paper"]) == (4096, 0.0645, 3.99e7)
    assert row["vocab_size"] == 32000 and row["vocab_source"] == "paper Fig. 1"


@pytest.mark.skipif(not PAPER_MD.exists(), reason="reference paper.md not available")
def test_rows_equal_the_reference_table():
    text = PAPER_MD.read_text(encoding="utf-8")
    table = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and re.fullmatch(r"\d+", cells[1]) and "/" in cells[5]:
            table[cells[0]] = cells
    assert len(table) == 45
    for m in catalog.paper_models():
        name, d, eps, cap, klass, hub = table[m["name"]]
        assert int(d) == m["d_model"] and float(eps) == m["eps_paper"] and hub == m["hub_id"]
        assert (cap == "indeterminate") == (m["capacity_paper"] is None)
        if m["capacity_paper"] is not None:
            assert float(cap) == m["capacity_paper"]
        assert int(klass.split()[0]) == m["class_paper"]


def test_offline_rows_match_the_sources():
    rows = catalog.offline_models()
    assert tuple(r["name"] for r in rows) == OFFLINE_MODELS
    for r in rows:
        spec = find_offline(r["name"])
        assert (r["d_model"], r["vocab_size"], r["tied"], r["hub_id"]) == (
            spec.d_model, spec.vocab_size, spec.tied, spec.hub_id)
        assert r["eps_paper"] is None and r["capacity_paper"] is None


def test_unknown_values_are_none_not_guesses():
    glm = catalog.find("GLM 4.6")
    assert glm["vocab_size"] is None and glm["vocab_source"] is None
    for m in catalog.paper_models():
        assert (m["vocab_size"] is None) == (m["vocab_source"] is None)
        assert (m["tied"] is None) == (m["tied_source"] is None)


def test_find_unknown():
    with pytest.raises(ModelNotFoundError):
        catalog.find("GPT-5")


def test_gemma3_270m_is_a_paper_row_and_an_offline_model():
    paper = catalog.find("Gemma 3 270M")
    offline = catalog.find("gemma-3-270m")
    spec = find_offline("gemma-3-270m")
    assert paper["source"] == "paper Table 1" and offline["source"] == "offline"
    assert (paper["eps_paper"], paper["capacity_paper"], paper["class_paper"]) == (0.41554, None, 1)
    for row in (paper, offline):
        assert (row["d_model"], row["vocab_size"], row["tied"], row["hub_id"]) == (
            spec.d_model, spec.vocab_size, spec.tied, spec.hub_id)
    # A hub id names the paper's row, whose reported figures are what a lookup by hub id wants.
    assert catalog.find("google/gemma-3-270m")["name"] == "Gemma 3 270M"
