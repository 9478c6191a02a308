"""The random baseline (paper Eq. 5): exact against a float64 brute force of the same draws,
pruning and batching change nothing, checkpoints resume exactly, and the per-trial maxima follow the
parameter-free extreme-value law of repcap.geometry.null (Poisson approximation; Cai, Fan & Jiang,
JMLR 14, 2013)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from repcap.errors import CheckpointError, DeviceError, PackingError
from repcap.packing import CellResult, random_baseline
from repcap.packing.random_baseline import trial_seed


def _brute_force(k, d, trials, seed):
    """min over trials of max_{i≠j}|cos|, redrawing each trial's matrix and working in float64."""
    maxima = []
    for t in range(trials):
        gen = torch.Generator().manual_seed(trial_seed(seed, t))
        X = torch.randn(k, d, generator=gen, dtype=torch.float32).numpy().astype(np.float64)
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        G = X @ X.T
        np.fill_diagonal(G, 0.0)
        maxima.append(np.abs(G).max())
    return np.array(maxima)


def test_random_baseline_equals_float64_brute_force_of_the_same_draws():
    k, d, trials = 150, 24, 30
    maxima = _brute_force(k, d, trials, seed=5)
    result = random_baseline(k, d, trials, seed=5, progress=False, prune=False)
    assert isinstance(result, CellResult) and result.kind == "random"
    assert (result.k, result.d, result.seed) == (k, d, 5)
    np.testing.assert_allclose(result.samples, maxima, atol=3e-7)
    assert result.eps == pytest.approx(maxima.min(), abs=3e-7)
    assert result.settings == {"trials": trials, "dtype": "float32", "vectors": "gaussian, normalised"}
    # history records each improvement of the best-so-far, ending at the answer
    assert result.history[-1][1] == result.eps
    steps = [h[0] for h in result.history]
    assert steps == sorted(steps) and steps[0] == 1
    assert all(b[1] < a[1] for a, b in zip(result.history, result.history[1:]))
    assert result.seconds > 0 and result.device.startswith("cpu")


def test_pruning_blocks_batches_and_float64_give_the_same_answer():
    k, d, trials = 200, 32, 30
    reference = random_baseline(k, d, trials, seed=1, progress=False, prune=False)
    pruned = random_baseline(k, d, trials, seed=1, progress=False)
    small_tiles = random_baseline(k, d, trials, seed=1, progress=False, block=37, batch=3)
    tight = random_baseline(k, d, trials, seed=1, progress=False, memory_budget="1MiB")
    assert pruned.samples is None
    assert pruned.eps == reference.eps == small_tiles.eps == tight.eps
    as64 = random_baseline(k, d, trials, seed=1, progress=False, dtype="float64")
    assert as64.eps == pytest.approx(reference.eps, abs=3e-7)
    # the paper's float16 (same draws, rounded): off by the half-precision rounding of ~|cos| only
    as16 = random_baseline(k, d, trials, seed=1, progress=False, dtype="float16")
    assert as16.eps == pytest.approx(reference.eps, abs=2e-3) and as16.settings["dtype"] == "float16"
    other_seed = random_baseline(k, d, trials, seed=2, progress=False)
    assert other_seed.eps != reference.eps


def test_checkpoint_resumes_to_the_uninterrupted_answer(tmp_path):
    path = tmp_path / "cell.json"
    straight = random_baseline(120, 16, 25, seed=3, progress=False, prune=False)
    first = random_baseline(120, 16, 10, seed=3, progress=False, prune=False, checkpoint_path=path,
                            checkpoint_every=4)
    state = json.loads(path.read_text())
    assert state["done"] == 10 and len(state["samples"]) == 10
    resumed = random_baseline(120, 16, 25, seed=3, progress=False, prune=False, checkpoint_path=path)
    assert resumed.samples == straight.samples
    assert resumed.eps == straight.eps
    # The resumed cell carries the checkpoint's elapsed time forward (a wall-clock comparison with
    # `first.seconds` would be flaky: that includes set-up the checkpoint does not record).
    assert resumed.seconds >= state["seconds"] > 0
    with pytest.raises(PackingError, match="more than the requested"):
        random_baseline(120, 16, 5, seed=3, progress=False, prune=False, checkpoint_path=path)
    with pytest.raises(CheckpointError, match="another run"):
        random_baseline(120, 16, 30, seed=4, progress=False, prune=False, checkpoint_path=path)


def test_single_draw_maxima_follow_the_poisson_beta_law():
    # P(max|cos| ≤ x) ≈ exp(−C(k,2) I_{1−x²}((d−1)/2, 1/2)) (Poisson approximation with the exact pair
    # tail); its KS distance to 200 simulated draws is ≈ 0.07–0.09 at such sizes. Computed here with scipy, independently of repcap.geometry.null.
    from scipy import special

    k, d, trials = 200, 64, 200
    result = random_baseline(k, d, trials, seed=11, progress=False, prune=False)
    x = np.sort(np.asarray(result.samples))
    law = np.exp(-k * (k - 1) / 2 * special.betainc((d - 1) / 2, 0.5, 1 - x ** 2))
    empirical_hi = np.arange(1, trials + 1) / trials
    ks = max(np.max(empirical_hi - law), np.max(law - (empirical_hi - 1 / trials)))
    assert ks < 0.15
    assert np.median(x) == pytest.approx(_law_median(k, d), rel=0.03)


def _law_median(k, d):
    from scipy import optimize, special

    def cdf(x):
        return np.exp(-k * (k - 1) / 2 * special.betainc((d - 1) / 2, 0.5, 1 - x ** 2)) - 0.5

    return optimize.brentq(cdf, 1e-3, 0.999)


def test_best_of_trials_agrees_with_the_null_module_prediction():
    from repcap.geometry import null

    # The median of the minimum of T trials sits at CDF level 1 − 0.5^(1/T). One cell gives one
    # draw of that minimum; its spread at T = 100 is a few per cent, so we allow 5 %.
    k, d, trials = 400, 128, 100
    result = random_baseline(k, d, trials, seed=0, progress=False)
    predicted = float(null.best_of_trials_median(k, d, trials))
    assert result.eps == pytest.approx(predicted, rel=0.05)


@pytest.mark.parametrize("kwargs,match", [
    ({"k": 1, "d": 8, "trials": 3}, "k must be"),
    ({"k": 10, "d": 8, "trials": 0}, "trials must be"),
    ({"k": 10.5, "d": 8, "trials": 3}, "k must be an integer"),
    ({"k": 10, "d": 8, "trials": 3, "dtype": "int8"}, "unsupported dtype"),
    ({"k": 10, "d": 8, "trials": 3, "memory_budget": "12 parsecs"}, "cannot read memory_budget"),
    ({"k": 10, "d": 8, "trials": 3, "memory_budget": 1000}, "below 1 MiB"),
])
def test_bad_input_raises_packing_error(kwargs, match):
    with pytest.raises(PackingError, match=match):
        random_baseline(progress=False, **kwargs)


def test_unknown_device_is_a_device_error():
    with pytest.raises(DeviceError, match="unknown device 'tpu'; use 'cpu', 'cuda', 'cuda:N' or 'mps'"):
        random_baseline(10, 8, 3, device="tpu", progress=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown when CUDA is absent")
def test_cuda_request_without_cuda_is_a_clear_error():
    with pytest.raises(DeviceError, match="torch sees no CUDA GPU.*device='cpu'"):
        random_baseline(10, 8, 2, device="cuda", progress=False)


def test_to_dict_is_json_and_round_trips():
    result = random_baseline(50, 8, 5, progress=False, prune=False)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["eps"] == result.eps and "vectors" not in data
    back = CellResult.from_dict(data)
    assert back.eps == result.eps and back.samples == result.samples and back.history == result.history
    assert math.isfinite(back.seconds)
