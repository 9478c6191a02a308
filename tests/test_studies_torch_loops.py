"""repcap.studies.torch_loops: the thread limit is restored, the bar is off when asked, the integer check."""

from __future__ import annotations

import numpy as np
import pytest

from repcap.errors import ToyModelError
from repcap.studies.torch_loops import check_positive_int, progress_bar, torch_threads


def test_torch_threads_sets_and_restores():
    import torch

    before = torch.get_num_threads()
    with torch_threads(2):
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == before
    with torch_threads(None):  # None leaves torch's setting alone
        assert torch.get_num_threads() == before
    with pytest.raises(ToyModelError, match="threads"):
        with torch_threads(0):
            pass


def test_progress_bar_off_is_the_iterable_itself(capsys):
    items = range(3)
    assert progress_bar(items, "x", False) is items
    assert list(progress_bar(items, "counting", True)) == [0, 1, 2]
    assert "counting" in capsys.readouterr().err


@pytest.mark.parametrize("value", [0, -1, 2.0, True, "3", None])
def test_check_positive_int_rejects(value):
    with pytest.raises(ToyModelError, match="n must be a positive integer"):
        check_positive_int("n", value)


def test_check_positive_int_accepts_numpy_integers():
    check_positive_int("n", np.int64(3))
    check_positive_int("n", 1)
