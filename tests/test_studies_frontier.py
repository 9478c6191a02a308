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


def test_construction_starts_between_two_set_sizes():
    """k = 200 in R^16 lies between the 144-line Kerdock set and the 256-vector dual-BCH code (m = 4,
    e = 2, μ = 0.6): the start is a subset of the larger set, measured before any Adam step."""
    (row,) = frontier.construction_starts([(200, 16)], steps=5, seed=0)
    assert (row["family"], row["params"], row["count"]) == ("dual_bch", {"m": 4, "e": 2}, 256)
    assert (row["smaller_count"], row["smaller_family"], row["smaller_coherence"]) == (144, "kerdock", 0.25)
    v = frontier.construction_eps(200, 16)[1].vectors(k=200, seed=0, pad_to=16).astype(np.float64)
    g = np.abs(v @ v.T)
    np.fill_diagonal(g, 0)
    assert row["start_eps"] == pytest.approx(g.max()) and row["start_eps"] <= 0.6 + 1e-6
    # the random start is the own_packings cell when given (same recipe), computed otherwise
    (reused,) = frontier.construction_starts([(200, 16)], steps=5, seed=0,
                                             own=[{"k": 200, "d": 16, "eps": 0.123}])
    assert reused["random_start_eps"] == 0.123
    own = frontier.own_packings([16], [200], steps=5, seed=0)
    assert row["random_start_eps"] == pytest.approx(own[0]["eps"])
    (inside,) = frontier.construction_starts([(100, 16)], steps=5, seed=0)
    assert (inside["family"], inside["smaller_count"]) == ("kerdock", 16)  # the basis below it


def test_released_frontier_counts_against_a_direct_count_and_a_float64_gram():
    from repcap.packing.released import load_paper_sweep

    released = load_paper_sweep("optimised")
    out = frontier.released_frontier(released, [{"k": 2000, "d": 64, "eps": 0.2157},
                                                {"k": 2000, "d": 32, "eps": None},  # a failed cell
                                                {"k": 2000, "d": 32, "eps": 0.39}])
    cells = {(r["k"], r["d"]): r for r in out["cells"]}
    assert out["n_cells"] == len(cells) == 166
    # basis: exactly the cells with k <= d, all at 0
    basis = [c for c in cells.values() if c["best_by"] == "basis"]
    assert sorted((c["k"], c["d"]) for c in basis) == sorted(
        (int(k), int(d)) for k, d in zip(released.k, released.d) if k <= d)
    # (2000, 64): the Kerdock set (2112 lines at 1/8) beats both the release and ours
    c = cells[(2000, 64)]
    assert (c["best_by"], c["best_eps"], c["explicit_family"]) == ("explicit", 0.125, "kerdock")
    assert c["ours_eps"] == 0.2157 and c["best_le_released"]
    # (2000, 32): ours above the release (0.39 > 0.3859) and no set holds 2000 lines at <= 0.3859
    c = cells[(2000, 32)]
    assert c["ours_eps"] == 0.39 and c["best_by"] == "released" and c["open_on"] == "cpu"
    assert out["n_ours"] == 2 and out["n_ours_le_released"] == 1
    # the counts are the per-cell flags summed
    assert out["n_best_le_released"] == sum(c["best_le_released"] for c in cells.values())
    assert len(out["open_cpu"]) + len(out["open_gpu"]) == 166 - out["n_best_le_released"]
    # an explicit set that settles a cell really has k vectors with max |cos| <= the released value:
    # the first k vectors of the set, their Gram matrix in float64
    from repcap.geometry.constructions import families_up_to
    for key in [(2000, 128), (4000, 64), (6000, 128)]:
        c = cells[key]
        assert c["best_by"] == "explicit"
        (s,) = [f for f in families_up_to(key[1]) if f.family == c["explicit_family"]
                and f.params == c["explicit_params"]]
        v = s.vectors(k=key[0]).astype(np.float64)
        g = np.abs(v @ v.T)
        np.fill_diagonal(g, 0)
        # the vectors are float32: 1e-6 covers their rounding
        assert g.max() <= c["explicit_eps"] + 1e-6 and g.max() <= c["released_eps"]


def test_frontier_cell_without_a_release_and_ties():
    c = frontier.frontier_cell(2112, 64)
    assert (c["best_by"], c["best_eps"], c["best_le_released"], c["open_on"]) == ("explicit", 0.125,
                                                                                  None, None)
    # a tie between ours and the release goes to ours (<= the release is the test)
    c = frontier.frontier_cell(5000, 20, released_eps=0.5, ours_eps=0.5)
    assert c["best_by"] == "ours" and c["best_le_released"] is True
    c = frontier.frontier_cell(5000, 20, released_eps=0.4, ours_eps=0.5, cpu=True)
    assert c["best_by"] == "released" and c["open_on"] == "cpu"
