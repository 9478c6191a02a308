"""The optimiser at known optima: the optima are the closed forms, and the small frames are reached."""

import math

import numpy as np
import pytest

from repcap.geometry.constructions import kerdock
from repcap.studies.optima import KNOWN_OPTIMA, optima_rows


def test_known_optima_are_the_closed_forms():
    # the optimum of each cell is the proven floor, and equals the set's known coherence
    expected = {(6, 3): 1 / math.sqrt(5), (10, 5): 1 / 3, (16, 6): 1 / 3, (28, 7): 1 / 3,
                (276, 23): 1 / 5, (2112, 64): 1 / 8}
    assert {(c.k, c.d): c.optimum for c in KNOWN_OPTIMA} == pytest.approx(expected, abs=1e-12)


def test_the_kerdock_set_attains_its_optimum_in_a_float64_gram():
    (cell,) = [c for c in KNOWN_OPTIMA if (c.k, c.d) == (2112, 64)]
    v = kerdock(64).vectors(k=2112).astype(np.float64)
    assert v.shape == (2112, 64)
    g = np.abs(v @ v.T)
    np.fill_diagonal(g, 0.0)
    assert g.max() == pytest.approx(cell.optimum, abs=1e-6)


def test_the_best_recipe_reaches_the_small_frames():
    rows = optima_rows(KNOWN_OPTIMA[:4], steps=1000)
    for r in rows:
        assert r["eps"] >= r["optimum"] - 1e-5  # nothing beats a proven floor
        assert r["met"] and r["ratio"] <= 1.01, r
        assert r["eps_by_seed"] == [r["eps"]] and r["steps"] == 1000
