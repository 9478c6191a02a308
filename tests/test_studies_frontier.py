"""The packing frontier: staircase, frontier rows and refits against direct computations."""

import math

import numpy as np
import pytest

from repcap.errors import DomainError
from repcap.laws import PAPER_JL_RANDOM_C
from repcap.studies import frontier


def test_staircase_and_construction_eps_at_d64():
    steps = frontier.staircase(64, 2000)
    assert [(s["count"], s["family"]) for s in steps] == [(64, "orthonormal"), (2112, "kerdock")]
    assert frontier.construction_eps(2000, 64)[0] == 0.125
    assert frontier.construction_eps(10, 64)[0] == 0.0
    mu, c = frontier.construction_eps(1000, 32)  # no Kerdock at 32: dual-BCH m=5, e=2 in R^31
    assert (c.family, c.count) == ("dual_bch", 1024)
    assert mu == pytest.approx(9 / 31)  # exact (Kasami), not the Carlitz–Uchiyama 0.397
    assert frontier.construction_eps(10 ** 6, 16) == (math.inf, None)
    with pytest.raises(DomainError):
        frontier.construction_eps(0, 16)


def test_frontier_rows_pick_the_smallest_and_compare_with_a_release():
    class Release:  # the three attributes frontier_rows reads from a PaperSweep
        k, d, eps = np.array([2000]), np.array([64]), np.array([0.2363])

    own = [{"k": 2000, "d": 64, "eps": 0.30}, {"k": 500, "d": 64, "eps": 0.20}]
    rows = frontier.frontier_rows([64], [500, 2000], own=own, released=Release())
    r500, r2000 = rows
    assert r2000["frontier_recipe"] == "construction" and r2000["frontier"] == 0.125
    assert r2000["ratio_to_released"] == pytest.approx(0.125 / 0.2363)
    assert r500["released"] is None and r500["ratio_to_released"] is None
    assert r500["random"] == pytest.approx(math.sqrt(PAPER_JL_RANDOM_C * math.log(500) / 64))


def test_refit_recovers_eq6_constant_on_synthetic_frontier():
    k = np.array([500, 1000, 2000, 4000, 8000] * 2)
    d = np.array([32] * 5 + [64] * 5)
    eps = np.sqrt(1.3 * np.log(k / d) / d)  # Eq. 6 with C = 1.3
    rows = [{"k": a, "d": b, "frontier": e} for a, b, e in zip(k, d, eps)]
    fits = frontier.refit_frontier(rows, forms=("eq6",))
    assert fits["eq6"].params["C"] == pytest.approx(1.3, rel=1e-4)
