"""One TopK SAE training step against the bare products of an autoencoder of the same shapes, and the
tokens/s of the hidden-state cache.

Step: :func:`repcap.studies.sae._step` (TopK, AuxK while latents are dead, decoder-gradient
projection, Adam, row renormalisation) on a batch of B rows. Bare: the five dense products any
autoencoder step of these shapes does, with nothing else: the encoder forward (B × d)(d × W), the
decoder forward (B × W)(W × d), the decoder's input gradient (B × d)(d × W) and the two weight
gradients (W × B)(B × d). Target: step / bare ≤ 1.5 (no latents dead, the steady state; with dead
latents the AuxK term adds a decoder product and its gradients, also printed).

Cache: hidden states of one layer written by :func:`repcap.studies.sae.hidden_states` (forward passes
included) and read back from the cache, in tokens/s.

    python benchmarks/bench_features.py [--quick] [--d 384] [--width 6144] [--batch 256]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import best_of  # noqa: E402


def main() -> None:
    import numpy as np
    import torch

    from repcap.studies import sae as S

    parser = argparse.ArgumentParser()
    parser.add_argument("--d", type=int, default=384)
    parser.add_argument("--width", type=int, default=6144)
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--tokens", type=int, default=4000)
    parser.add_argument("--quick", action="store_true",
                        help="d = 128, W = 1024, 5 steps; tiny-random-llama for the cache")
    args = parser.parse_args()
    if args.quick:
        args.d, args.width, args.steps, args.model, args.tokens = 128, 1024, 5, \
            "tiny-random-llama", 600

    d, w, b = args.d, args.width, args.batch
    x = np.random.default_rng(0).standard_normal((b * 4, d)).astype(np.float32)
    sae = S.train_sae(x, w, args.k, epochs=1, batch_size=b, progress=False)
    params = [sae.w_enc, sae.b_enc, sae.w_dec, sae.b_pre]
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=1e-4, fused=True)  # as train_sae's
    xb = torch.from_numpy(x[:b] / sae.scale)

    def steps(dead_after):
        since = torch.zeros(w, dtype=torch.long)
        for _ in range(args.steps):
            S._step(sae, xb, opt, since, d // 2, 1 / 32, dead_after)

    a, wt = torch.randn(b, d), torch.randn(w, d)
    code, g = torch.randn(b, w), torch.randn(b, d)

    def bare():
        for _ in range(args.steps):
            a @ wt.T, code @ wt, g @ wt.T, code.T @ g, code.T @ a

    steps(10 ** 12)
    bare()
    t_bare, _ = best_of(bare, 3)
    t_step, _ = best_of(lambda: steps(10 ** 12), 3)
    t_aux, _ = best_of(lambda: steps(-1), 3)  # every latent dead: AuxK on every step
    print(f"SAE d={d} W={w} k={args.k} batch={b} steps={args.steps} "
          f"threads={torch.get_num_threads()}")
    print(f"bare products    {t_bare / args.steps * 1e3:8.2f} ms/step")
    print(f"training step    {t_step / args.steps * 1e3:8.2f} ms/step")
    print(f"with AuxK        {t_aux / args.steps * 1e3:8.2f} ms/step")
    print(f"ratio (step / bare) = {t_step / t_bare:.3f}  (target <= 1.5); "
          f"with AuxK {t_aux / t_bare:.3f}")

    with tempfile.TemporaryDirectory() as cache:
        t_write, hs = best_of(lambda: S.hidden_states(args.model, tokens=args.tokens,
                                                      cache_dir=cache, use_cache=True,
                                                      progress=False), 1)
        t_read, _ = best_of(lambda: S.hidden_states(args.model, tokens=args.tokens,
                                                    cache_dir=cache, progress=False), 3)
    print(f"cache of {args.model} layer {hs.layer}: {args.tokens / t_write:10.0f} tok/s "
          f"model load, forward and write, {args.tokens / t_read:12.0f} tok/s read back")


if __name__ == "__main__":
    main()
