"""The findings protocol: required() tells an absent key from a null one; chapter_record refuses two
sections writing one key; Markdown renders as Markdown; NaN survives a record through JSON."""

from __future__ import annotations

import json
import math

import pytest

from repcap.common.jsonsafe import dumps, nan_from_null
from repcap.errors import DataFileError
from repcap.studies.findings import Markdown, chapter_record, required


def test_required_absent_is_an_error_null_is_a_value():
    record = json.loads(dumps({"a": {"b": math.nan}, "c": 1}))  # NaN is written as null
    assert required(record, "05_x", "a", "b") is None
    assert math.isnan(nan_from_null(required(record, "05_x", "a", "b")))
    with pytest.raises(DataFileError, match=r"05_x lack a\.z; rebuild that chapter"):
        required(record, "05_x", "a", "z")
    with pytest.raises(DataFileError, match="05_x were not written"):
        required(None, "05_x", "a")


def test_chapter_record_unions_sections_and_refuses_a_clash():
    class Part:
        def __init__(self, record):
            self._record = record

        def record(self):
            return self._record

    assert chapter_record("smoke", Part({"a": 1}), Part({"b": 2})) == {"profile": "smoke", "a": 1,
                                                                      "b": 2}
    with pytest.raises(ValueError, match=r"writes \['a'\]"):
        chapter_record("smoke", Part({"a": 1}), Part({"a": 2}))


def test_markdown_is_a_str_that_jupyter_renders():
    text = Markdown("**bold**")
    assert text == "**bold**" and text._repr_markdown_() == "**bold**"


def test_nan_from_null_reads_numbers_back_inside_containers():
    assert nan_from_null({"x": [1.0, None], "y": None})["x"][0] == 1.0
    back = nan_from_null({"x": [1.0, None], "y": None})
    assert math.isnan(back["x"][1]) and math.isnan(back["y"])
