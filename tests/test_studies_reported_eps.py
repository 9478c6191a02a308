"""repcap.studies.reported_eps: the paper's Table 1 ε as points, and the join with measured rows."""

from __future__ import annotations

import pytest

from references import survey_row
from repcap.studies import reported_eps as Rp


def test_reported_points():
    points = Rp.reported_points()
    llama2 = next(p for p in points if p["name"] == "Llama 2 7B")
    assert (llama2["d_model"], llama2["eps"], llama2["family"]) == (4096, 0.0645, "Llama")
    # the paper's split: 14 Class 1 rows above 0.2, the rest below 0.1 (Guha 2026, Table 1, App. D)
    assert sum(p["eps"] > 0.2 for p in points) == 14
    assert all(p["eps"] > 0.2 or p["eps"] < 0.1 for p in points)


def test_join_reported_matches_by_hub_id_and_name():
    rows = [survey_row("meta-llama/Llama-2-7B-HF", 0.07), survey_row("Qwen 2.5 7B", 0.07501),
            survey_row("mine", 0.3)]
    joined = Rp.join_reported(rows)
    assert [j["paper_name"] for j in joined] == ["Llama 2 7B", "Qwen 2.5 7B"]
    assert joined[0]["diff"] == pytest.approx(0.07 - 0.0645)
    assert joined[0]["rel_diff"] == pytest.approx((0.07 - 0.0645) / 0.0645)
    assert joined[1]["diff"] == pytest.approx(0.0)
