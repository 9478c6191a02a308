"""Optimised packing: the same trajectory as a direct autograd re-implementation of the author's code,
ε* measured exactly, never better than the proven floor or worse than random, and resumable."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from repcap.errors import CheckpointError, PackingError
from repcap.packing import optimise_packing, paper_exponent, paper_learning_rate, random_baseline


def _author_reference(k, d, steps, seed, dtype=torch.float64):
    """The author's loop (optimized_packing_sweep.py; Guha 2026, §3.3) written with autograd: W is d × k, columns normalised."""
    gen = torch.Generator().manual_seed(seed)
    start = torch.nn.functional.normalize(torch.randn(k, d, generator=gen, dtype=torch.float64), dim=1)
    W = start.T.clone().to(dtype).requires_grad_(True)
    p, lr = paper_exponent(k, d), paper_learning_rate(d)
    opt = torch.optim.Adam([W], lr=lr)
    eye = torch.eye(k, dtype=dtype)
    history = []
    for step in range(steps):
        V = torch.nn.functional.normalize(W, dim=0)
        G = V.T @ V - eye
        history.append(float(G.detach().abs().max()))
        if step == steps - 1:
            break
        loss = G.abs().pow(p).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return history, torch.nn.functional.normalize(W.detach(), dim=0).numpy()


def test_trajectory_matches_an_autograd_reimplementation_of_the_author_code():
    k, d, steps = 90, 12, 60
    expected, vectors = _author_reference(k, d, steps, seed=4)
    result = optimise_packing(k, d, steps=steps, seed=4, dtype="float64", log_every=1, block=25,
                              progress=False, return_vectors=True)
    got = [eps for _, eps in result.history]
    assert len(got) == steps
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert result.eps == got[-1]
    np.testing.assert_allclose(result.vectors, vectors, atol=1e-9)
    assert result.settings["exponent"] == paper_exponent(k, d) == 16  # floor(40 / ln 12)
    assert result.settings["lr"] == 0.005 and result.settings["lr_schedule"] == "constant"


def test_float32_run_tracks_the_float64_reference():
    expected, _ = _author_reference(120, 12, 100, seed=0)
    result = optimise_packing(120, 12, steps=100, seed=0, progress=False)
    assert result.eps == pytest.approx(expected[-1], rel=5e-3)


def _brute_max_abs(vectors):
    V = np.asarray(vectors, dtype=np.float64)
    V = V / np.linalg.norm(V, axis=0, keepdims=True)
    G = V.T @ V
    np.fill_diagonal(G, 0.0)
    return np.abs(G).max()


@pytest.mark.parametrize("objective,extra", [("paper", {}), ("softmax", {}), ("exp", {})])
def test_eps_is_the_exact_coherence_and_respects_welch_and_beats_random(objective, extra):
    k, d, steps = 200, 16, 200
    result = optimise_packing(k, d, steps=steps, objective=objective, progress=False, return_vectors=True,
                              **extra)
    assert result.vectors.shape == (d, k)
    np.testing.assert_allclose(np.linalg.norm(result.vectors, axis=0), 1.0, atol=1e-5)
    assert result.eps == pytest.approx(_brute_max_abs(result.vectors), abs=2e-6)
    welch = math.sqrt((k - d) / (d * (k - 1)))  # no k unit vectors in R^d do better (Welch 1974)
    assert result.eps >= welch
    rand = random_baseline(k, d, 50, progress=False)
    assert result.eps < rand.eps
    assert result.kind == "optimised" and result.settings["objective"] == objective
    assert result.settings["lr_schedule"] == ("cosine" if objective == "softmax" else "constant")


def test_k_at_most_d_becomes_nearly_orthogonal():
    # With k ≤ d exact orthogonality exists. The softmax objective (cosine schedule) reaches it to
    # ~1e-3 in 400 steps; the paper's |G|^p loss stalls higher (its gradient p|g|^(p−1) falls below Adam's ε = 1e-8)
    # but still ends far below a random draw.
    soft = optimise_packing(40, 64, steps=400, objective="softmax", progress=False)
    assert soft.eps < 5e-3
    paper = optimise_packing(40, 64, steps=400, progress=False)
    rand = random_baseline(40, 64, 20, progress=False)
    assert paper.eps < 0.35 * rand.eps


def test_blockwise_and_single_tile_runs_agree():
    whole = optimise_packing(150, 10, steps=40, dtype="float64", progress=False)
    tiled = optimise_packing(150, 10, steps=40, dtype="float64", block=16, progress=False)
    budget = optimise_packing(150, 10, steps=40, dtype="float64", memory_budget="1MiB", progress=False)
    assert tiled.eps == pytest.approx(whole.eps, rel=1e-9)
    assert budget.eps == pytest.approx(whole.eps, rel=1e-9)


class _Stop(Exception):
    pass


def test_interrupted_run_resumes_to_the_identical_result(tmp_path):
    path = tmp_path / "cell.pt"
    # constant lr, so that a finished run can later be extended
    common = {"seed": 2, "objective": "softmax", "lr_schedule": "constant", "log_every": 5, "progress": False}
    straight = optimise_packing(120, 12, steps=70, return_vectors=True, **common)

    def stop_at_55(step, eps):
        if step == 55:
            raise _Stop

    with pytest.raises(_Stop):
        optimise_packing(120, 12, steps=70, checkpoint_path=path, checkpoint_every=20, callback=stop_at_55,
                         **common)
    state = torch.load(path, weights_only=True)
    assert state["updates"] == 40 and not state["done"]
    resumed = optimise_packing(120, 12, steps=70, checkpoint_path=path, checkpoint_every=20,
                               return_vectors=True, **common)
    assert resumed.eps == straight.eps
    assert resumed.history == straight.history
    np.testing.assert_array_equal(resumed.vectors, straight.vectors)

    # A finished checkpoint answers at once; a longer run continues it exactly like a fresh one.
    again = optimise_packing(120, 12, steps=70, checkpoint_path=path, **common)
    assert again.eps == straight.eps and again.seconds == pytest.approx(resumed.seconds)
    longer = optimise_packing(120, 12, steps=90, checkpoint_path=path, **common)
    fresh = optimise_packing(120, 12, steps=90, **common)
    assert longer.eps == fresh.eps and longer.history == fresh.history
    with pytest.raises(PackingError, match="already past"):
        optimise_packing(120, 12, steps=50, checkpoint_path=path, **common)
    with pytest.raises(CheckpointError, match="another run"):
        optimise_packing(120, 12, steps=90, checkpoint_path=path, **{**common, "seed": 3})


def test_cosine_schedule_checkpoint_is_tied_to_its_step_count(tmp_path):
    path = tmp_path / "cos.pt"
    optimise_packing(60, 8, steps=30, lr_schedule="cosine", checkpoint_path=path, progress=False)
    with pytest.raises(CheckpointError, match="steps"):
        optimise_packing(60, 8, steps=40, lr_schedule="cosine", checkpoint_path=path, progress=False)


def test_damaged_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="delete it"):
        optimise_packing(20, 4, steps=5, checkpoint_path=path, progress=False)


@pytest.mark.parametrize("kwargs,match", [
    ({"k": 1, "d": 8}, "k must be"),
    ({"k": 10, "d": 8, "steps": 0}, "steps must be"),
    ({"k": 10, "d": 8, "objective": "cosine"}, "unknown objective"),
    ({"k": 10, "d": 8, "lr": -0.1}, "lr must be"),
    ({"k": 10, "d": 8, "lr_schedule": "linear"}, "lr_schedule"),
    ({"k": 10, "d": 8, "dtype": "float16"}, "float32 or float64"),
    ({"k": 10, "d": 8, "exponent": 1}, "≥ 2"),
    ({"k": 10, "d": 8, "memory_budget": "-5MB"}, "memory_budget"),
])
def test_bad_input_raises_packing_error(kwargs, match):
    with pytest.raises(PackingError, match=match):
        optimise_packing(progress=False, **{"steps": 3, **kwargs})


def test_exp_objective_overflow_is_reported_not_silent():
    with pytest.raises(PackingError, match="overflowed"):
        optimise_packing(50, 4, steps=3, objective="exp", sharpness=500.0, progress=False)


def test_init_from_a_construction_starts_at_its_coherence_and_does_not_get_worse():
    from repcap.geometry.constructions import kerdock
    from repcap.packing.optimise import optimise_packing

    rows = kerdock(16).vectors(k=100, seed=0)
    g = np.abs(rows.astype(np.float64) @ rows.T.astype(np.float64))
    np.fill_diagonal(g, 0.0)
    first = optimise_packing(100, 16, steps=1, init=rows, progress=False, device="cpu")
    assert first.eps == pytest.approx(g.max(), abs=1e-6) == pytest.approx(0.25, abs=1e-6)
    assert first.settings["init"] == "given rows, normalised" and "init_sha1" in first.settings
    with pytest.raises(PackingError, match="shape"):
        optimise_packing(100, 16, steps=1, init=rows[:50], progress=False, device="cpu")


@pytest.mark.parametrize("k,d", [(6, 3), (10, 5), (16, 6), (28, 7)])
def test_best_recipe_reaches_the_known_optimum_of_small_etfs(k, d):
    # Equiangular tight frames: their coherence is the Welch bound, which nothing beats (1/√5, 1/3).
    welch = math.sqrt((k - d) / (d * (k - 1)))
    result = optimise_packing(k, d, steps=1000, objective="anneal", progress=False, return_vectors=True)
    assert result.eps == pytest.approx(_brute_max_abs(result.vectors), abs=2e-6)
    assert welch - 1e-6 <= result.eps <= 1.01 * welch
    assert result.settings["polish"].startswith("alternating projection")


def test_alternating_projection_finds_an_etf_and_never_returns_worse_than_its_start():
    from repcap.packing.projection import alternating_projection, welch_bound

    assert welch_bound(28, 7) == pytest.approx(1 / 3) and welch_bound(5, 8) == 0.0
    V = torch.nn.functional.normalize(torch.randn(16, 6, generator=torch.Generator().manual_seed(1),
                                                  dtype=torch.float64), dim=1)
    rows, c = alternating_projection(V, rounds=300)
    assert c == pytest.approx(1 / 3, abs=1e-6)
    assert c == pytest.approx(_brute_max_abs(rows.numpy().T), abs=1e-12)
    start = _brute_max_abs(V.numpy().T)
    _, c0 = alternating_projection(V, rounds=0)
    assert c0 == pytest.approx(start, abs=1e-12)


def test_interrupted_anneal_run_resumes_to_the_identical_result(tmp_path):
    # The annealed τ, the kept best rows and the polish all survive a checkpoint.
    path = tmp_path / "anneal.pt"
    common = {"objective": "anneal", "progress": False, "checkpoint_every": 20, "return_vectors": True}
    whole = optimise_packing(40, 6, steps=70, **common)

    def stop(step, eps):
        if step >= 50:
            raise _Stop

    with pytest.raises(_Stop):
        optimise_packing(40, 6, steps=70, checkpoint_path=path, callback=stop, log_every=10, **common)
    resumed = optimise_packing(40, 6, steps=70, checkpoint_path=path, **common)
    assert resumed.eps == whole.eps
    np.testing.assert_array_equal(resumed.vectors, whole.vectors)
    again = optimise_packing(40, 6, steps=70, checkpoint_path=path, **common)  # finished: read back
    assert again.eps == whole.eps
    with pytest.raises(CheckpointError, match="steps"):
        optimise_packing(40, 6, steps=90, checkpoint_path=path, **common)
