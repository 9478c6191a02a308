r"""The random baseline of the paper (Eq. 5): the best of T draws of k random unit vectors.

.. math:: \varepsilon^*_{\mathrm{random}}(k, d) = \min_{t = 1..T}\; \max_{i \ne j}
          \big|\langle v^{(t)}_i, v^{(t)}_j \rangle\big|, \qquad v^{(t)}_i = x^{(t)}_i / \lVert x^{(t)}_i \rVert,
          \; x^{(t)}_i \sim N(0, I_d)

Each trial draws its own matrix from a generator seeded by (seed, t), so the answer does not depend
on how trials are batched or on where an interrupted run resumed. The Gram matrix of a trial is
visited in tiles over its upper triangle; with ``prune=True`` a trial is abandoned as soon as one tile
shows a |cos| at least as large as the best maximum found so far, since it can no longer lower the
minimum. This changes the work, not the result (a test checks both paths agree).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from repcap.common.devices import resolve_device
from repcap.common.progress import bar
from repcap.errors import PackingError
from repcap.packing import checkpoint as ckpt
from repcap.packing.blockwise import block_ranges
from repcap.packing.hardware import (check_size, describe, dtype_name, parse_memory_budget,
                                     resolve_dtype)
from repcap.packing.results import CellResult

CHECKPOINT_VERSION = 1
# Tile edge per device type. On a CPU smaller tiles let a hopeless trial stop earlier (pruning) and
# keep the tile in cache; a GPU wants large tiles and several trials per batched product.
PREFERRED_BLOCK = {"cpu": 512, "cuda": 8192}
MAX_BATCH = {"cpu": 1, "cuda": 64}


def trial_seed(seed: int, trial: int) -> int:
    """The 63-bit seed of trial ``trial``: a :class:`numpy.random.SeedSequence` hash of (seed, trial)."""
    words = np.random.SeedSequence([seed, trial]).generate_state(2, np.uint32)
    return int((int(words[0]) << 32 | int(words[1])) & (2**63 - 1))


def random_settings(trials: int, *, dtype: Any = "float32") -> dict[str, Any]:
    """The ``settings`` dict that :func:`random_baseline` records (sweeps use it to skip finished cells)."""
    return {"trials": int(trials), "dtype": dtype_name(resolve_dtype(dtype)), "vectors": "gaussian, normalised"}


def random_baseline(k: int, d: int, trials: int, *, seed: int = 0, dtype: str = "float32", device: Any = None,
                    memory_budget: int | str = "512MB", progress: bool = True, prune: bool = True,
                    checkpoint_path: str | Path | None = None, checkpoint_every: int = 100,
                    block: int | None = None, batch: int | None = None) -> CellResult:
    r"""ε*_random(k, d) = min over ``trials`` draws of max_{i≠j} |cos| among k Gaussian unit vectors in R^d.

    Parameters
    ----------
    k, d : number of vectors (≥ 2) and dimension (≥ 1).
    trials : T, the number of independent draws (the paper uses 1000).
    seed : trial t uses the generator seeded with :func:`trial_seed` (seed, t), drawn on ``device``.
    dtype : precision of the vectors and of the Gram products; the paper's GPU run used ``"float16"``
        (slow on a CPU), ``"float32"`` is the default.
    memory_budget : bound on the Gram tiles and the batch of trial matrices (bytes or e.g. ``"512MB"``);
        one trial's k × d matrix is always allowed.
    prune : stop a trial once it can no longer beat the best so far (same result, less work); with
        ``prune=False`` every trial's maximum is computed and returned in ``samples``.
    checkpoint_path : JSON file updated every ``checkpoint_every`` trials; an existing one is resumed.
    block, batch : tile edge and trials per batched product (default: sized from ``memory_budget``).

    Returns
    -------
    CellResult with ``kind="random"``, ``eps`` = ε*_random, ``history`` = [(trials done, best so far)] at
    each improvement, and ``samples`` (per-trial maxima) when ``prune=False``.
    """
    import torch

    k = check_size("k", k, 2)
    d = check_size("d", d, 1)
    trials = check_size("trials", trials, 1)
    seed = check_size("seed", seed, 0)
    checkpoint_every = check_size("checkpoint_every", checkpoint_every, 1)
    dev = resolve_device(device)
    tdtype = resolve_dtype(dtype)
    budget = parse_memory_budget(memory_budget)
    itemsize = torch.finfo(tdtype).bits // 8
    if block is None:
        fit = math.isqrt(max(budget // (2 * itemsize), 1))
        block = max(1, min(k, fit, PREFERRED_BLOCK.get(dev.type, 4096)))
    else:
        block = check_size("block", block, 1)
    if batch is None:
        per_trial = (k * d + block * block) * itemsize
        batch = max(1, min(trials, MAX_BATCH.get(dev.type, 8), budget // max(per_trial, 1)))
    else:
        batch = check_size("batch", batch, 1)

    settings = random_settings(trials, dtype=tdtype)
    config = {"version": CHECKPOINT_VERSION, "kind": "random", "k": k, "d": d, "seed": seed,
              "dtype": settings["dtype"], "prune": bool(prune), "device_type": dev.type}

    done, best, history, samples, seconds_before = 0, math.inf, [], [], 0.0
    path = Path(checkpoint_path) if checkpoint_path is not None else None
    if path is not None and path.exists():
        state = ckpt.load_json(path)
        ckpt.check_config(path, state.get("config", {}), config)
        if state["done"] > trials:
            raise PackingError(f"checkpoint {path} already holds {state['done']} trials, more than the "
                               f"requested trials={trials}; ask for at least {state['done']}")
        done, seconds_before = int(state["done"]), float(state["seconds"])
        best = math.inf if state["best"] is None else float(state["best"])
        history = [tuple(h) for h in state["history"]]
        samples = list(state["samples"])

    ranges = block_ranges(k, block)
    edge = max(b - a for a, b in ranges)
    X = torch.empty(batch, k, d, device=dev, dtype=tdtype)
    tile_buffer = torch.empty(batch * edge * edge, device=dev, dtype=tdtype)
    began = time.perf_counter()
    since_save = 0

    def save() -> None:
        if path is not None:
            ckpt.save_json(path, {"config": config, "done": done, "best": None if math.isinf(best) else best,
                                  "history": [list(h) for h in history], "samples": samples,
                                  "seconds": seconds_before + time.perf_counter() - began})

    pbar = bar(trials, f"random k={k} d={d}", initial=done, enabled=progress)
    with torch.no_grad():
        while done < trials:
            n = min(batch, trials - done)
            for j in range(n):
                gen = torch.Generator(device=dev).manual_seed(trial_seed(seed, done + j))
                X[j].copy_(torch.randn(k, d, generator=gen, device=dev, dtype=torch.float32))
            Xn = X[:n]
            Xn.div_(Xn.norm(dim=2, keepdim=True))
            limit = best if prune else math.inf
            maxima = _batch_maxima(Xn, ranges, tile_buffer, limit)
            if maxima is not None:
                low = float(maxima.min())
                if not prune:
                    samples.extend(float(x) for x in maxima.cpu())
                if low < best:
                    best = low
                    history.append((done + n, best))
                    pbar.set_postfix(eps=f"{best:.4f}", refresh=False)
            done += n
            since_save += n
            pbar.update(n)
            if since_save >= checkpoint_every or done == trials:
                save()
                since_save = 0
    pbar.close()
    return CellResult(kind="random", k=k, d=d, eps=best, seconds=seconds_before + time.perf_counter() - began,
                      device=describe(dev), seed=seed, settings=settings, history=history,
                      samples=None if prune else samples)


def _batch_maxima(X, ranges, buffer, limit: float):
    """Per-trial max_{i≠j}|⟨x_i, x_j⟩| of a batch X (n, k, d), or None once every trial reaches ``limit``."""
    import torch

    n = X.shape[0]
    running = torch.zeros(n, device=X.device, dtype=X.dtype)
    for i, (a0, a1) in enumerate(ranges):
        for b0, b1 in ranges[i:]:
            tile = buffer[: n * (a1 - a0) * (b1 - b0)].view(n, a1 - a0, b1 - b0)
            torch.bmm(X[:, a0:a1], X[:, b0:b1].transpose(1, 2), out=tile)
            if a0 == b0:
                tile.diagonal(dim1=1, dim2=2).zero_()
            lo, hi = torch.aminmax(tile.view(n, -1), dim=1)
            torch.maximum(running, torch.maximum(hi, lo.neg()), out=running)
            if limit < math.inf and bool((running >= limit).all()):
                return None
    return running
