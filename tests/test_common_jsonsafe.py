"""``repcap.common.jsonsafe``: strict JSON (RFC 8259) from whatever the package computes."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import numpy as np
import pytest

from repcap.common.jsonsafe import dumps, jsonable


def _strict(text: str):
    def refuse(name):
        raise AssertionError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


@dataclass
class _Record:
    x: float

    def to_dict(self):
        return asdict(self)


def test_nan_and_infinities_become_null():
    value = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "np": np.float64("inf"),
             "f32": np.float32("nan"), "ok": 1.5, "list": [1.0, math.inf], "tuple": (math.nan, 2)}
    assert _strict(dumps(value)) == {"nan": None, "inf": None, "-inf": None, "np": None,
                                     "f32": None, "ok": 1.5, "list": [1.0, None], "tuple": [None, 2]}


def test_numpy_values_objects_and_keys():
    value = {"i": np.int64(3), "b": np.bool_(True), "a": np.array([[1.0, np.nan]]),
             "rec": _Record(math.inf), np.int64(7): "numpy key", 2: "int key", "s": "text"}
    assert jsonable(value) == {"i": 3, "b": True, "a": [[1.0, None]], "rec": {"x": None},
                               "7": "numpy key", 2: "int key", "s": "text"}
    assert _strict(dumps(value))["2"] == "int key"


def test_finite_values_are_written_as_json_writes_them():
    value = {"eps": 0.06451234567890123, "k": 39900000.0, "n": [1, 2, 3], "none": None}
    assert dumps(value, indent=2) == json.dumps(value, indent=2)


def test_what_json_cannot_hold_is_refused():
    with pytest.raises(TypeError):
        dumps({"x": object()})
