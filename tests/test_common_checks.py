"""repcap.common.checks.check_int: the one integer check, with the caller's error class."""

from __future__ import annotations

import numpy as np
import pytest

from repcap.common.checks import check_int
from repcap.errors import DomainError, PackingError, ToyModelError
from repcap.packing.hardware import check_size
from repcap.studies.toy_model import check_positive_int


def test_accepts_integers_and_integral_floats():
    assert check_int("k", 5) == 5 and check_int("k", np.int64(3)) == 3
    assert check_int("k", 7.0) == 7 and isinstance(check_int("k", 7.0), int)
    assert check_int("seed", 0, 0) == 0


@pytest.mark.parametrize("value, words", [
    (True, "k must be an integer ≥ 2, got True"), (2.5, "k must be an integer ≥ 2, got 2.5"),
    ("3", "k must be an integer ≥ 2, got '3'"), (None, "k must be an integer ≥ 2, got None"),
    (1, "k must be ≥ 2, got 1"), (1.0, "k must be ≥ 2, got 1"),
])
def test_refuses_with_one_line_naming_the_argument(value, words):
    with pytest.raises(DomainError) as info:
        check_int("k", value, 2)
    assert str(info.value) == words and isinstance(info.value, ValueError)


def test_each_layer_keeps_its_error_class():
    with pytest.raises(PackingError, match="steps must be ≥ 1"):
        check_size("steps", 0, 1)
    with pytest.raises(ToyModelError, match="n must be an integer ≥ 1, got 2.0"):
        check_positive_int("n", 2.0)  # the toy model's counts are ints: 2.0 is refused
    with pytest.raises(ToyModelError, match="n must be ≥ 1, got 0"):
        check_positive_int("n", 0)
    assert check_positive_int("n", np.int64(3)) == 3
