"""Speed of the chapter-1 toy model: batched instances and the torch thread setting.

    .venv/bin/python benchmarks/bench_superposition.py [--steps 300]

Prints wall-clock seconds and ratios against a baseline measured in the same run:

1. one batched model holding K sparsities vs K separate trainings (same steps, batch, sizes);
2. training with 1 torch thread (repcap's default) vs torch's own thread count;
3. feature dimensionality: the vectorised Gram formula vs a per-feature Python loop.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from repcap.studies import feature_geometry, toy_model


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=10)
    parser.add_argument("--models", type=int, default=8)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--quick", action="store_true",
                        help="seconds: 30 steps, 2 models (what the test suite runs)")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.models = 30, 2
    import torch

    S = list(toy_model.sparsities_from_density(30.0, args.models))
    kw = dict(steps=args.steps, batch_size=args.batch, lr=1e-2, progress=False)
    toy_model.train_toy_models(args.features, args.hidden, S[:1], **{**kw, "steps": 5})  # warm-up

    t_sep, _ = _timed(lambda: [toy_model.train_toy_models(args.features, args.hidden, [s], **kw) for s in S])
    t_bat, _ = _timed(lambda: toy_model.train_toy_models(args.features, args.hidden, S, **kw))
    print(f"toy models, n = {args.features}, m = {args.hidden}, {args.models} sparsities, "
          f"{args.steps} steps of {args.batch}")
    print(f"  {f'{args.models} separate trainings (baseline)':<38}{t_sep:8.2f} s")
    print(f"  {'one batched training':<38}{t_bat:8.2f} s   speed-up {t_sep / t_bat:5.2f}x")

    default_threads = torch.get_num_threads()
    t_def, _ = _timed(lambda: toy_model.train_toy_models(args.features, args.hidden, S, threads=None, **kw))
    t_one, _ = _timed(lambda: toy_model.train_toy_models(args.features, args.hidden, S, threads=1, **kw))
    print(f"  {f'torch default threads ({default_threads}, baseline)':<38}{t_def:8.2f} s")
    print(f"  {'1 thread (repcap default)':<38}{t_one:8.2f} s   speed-up {t_def / t_one:5.2f}x")

    rng = np.random.default_rng(0)
    W = rng.standard_normal((30, 400))

    def loop():
        out = np.zeros(W.shape[1])
        for i in range(W.shape[1]):
            wi = W[:, i]
            out[i] = (wi @ wi) ** 2 / sum(float(wi @ W[:, j]) ** 2 for j in range(W.shape[1]))
        return out

    t_loop, ref = _timed(loop)
    t_vec, vec = _timed(lambda: feature_geometry.feature_dimensionality(W))
    assert np.allclose(ref, vec, rtol=1e-12)
    print("feature dimensionality, m = 30, n = 400")
    print(f"  {'per-feature loop (baseline)':<38}{t_loop:8.4f} s")
    print(f"  {'Gram formula':<38}{t_vec:8.4f} s   speed-up {t_loop / t_vec:7.1f}x")


if __name__ == "__main__":
    main()
