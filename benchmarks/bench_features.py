"""One TopK SAE training step against the bare products of an autoencoder of the same shapes, and the
tokens/s of the hidden-state cache.

Step: :func:`repcap.studies.sae._step` (TopK, AuxK while latents are dead, decoder-gradient
projection, Adam, row renormalisation) on a batch of B rows. Bare: the five dense products any
autoencoder step of these shapes does, with nothing else: the encoder forward (B × d)(d × W), the
decoder forward (B × W)(W × d), the decoder's input gradient (B × d)(d × W) and the two weight
gradients (W × B)(B × d). Target: step / bare ≤ 1.5 (no latents dead, the steady state; with every
latent dead the AuxK term adds a second TopK and its own k_aux = d/2 latents' sparse work, also
printed). The step does only the first of the five products densely (the TopK needs every
pre-activation); the rest are sparse in the k kept latents (``repcap.studies.sae``), so it runs
under the bare products. "encoder + TopK" times what no TopK step avoids, that product and the TopK
alone; step / (encoder + TopK) is what everything else costs on top.

Results (d = 384, W = 6144, k = 32, B = 256, best of 3 × 20 steps; torch 2.13 CPU on the book's
2-core machine, quiet, 2026-12-07; the spread is over runs, this script and a same-process A/B of
both steps):

=======  ======================================  ===========  ===================
threads  step                                    step / bare  with AuxK / bare
=======  ======================================  ===========  ===================
1        dense products + fused Adam (42f5eac)   1.19–1.34    1.96–2.19
1        sparse after the encoder (now)          0.38–0.42    0.74–0.77
2        dense products + fused Adam (42f5eac)   1.33–1.56    2.42–2.43
2        sparse after the encoder (now)          0.42–0.50    0.92–1.00
=======  ======================================  ===========  ===================

With another job on both cores, 1 thread: dense 1.21–1.34, sparse 0.39–0.43; 2 threads are
erratic under load: dense 1.42–1.66, sparse 0.62–1.99 (its many short parallel regions wait on a
descheduled thread), so measure 2 threads on a quiet machine.

Now, on 1 thread, a 25 ms step is the encoder product 15 ms and the TopK 4 ms (encoder + TopK
18–19 ms; step / (encoder + TopK) 1.5), Adam 2.8 ms (a memory-bound pass over W_e, W_d and their
moments), the two sparse weight gradients 2.5 ms, the ``embedding_bag`` decoder forward and backward
1.6 ms, the projection and renormalisation 1.2 ms. On 2 threads the encoder product and TopK halve
(10 ms) but the rest does not, hence the higher ratio. Training a width-6144 SAE on 10,151 rows of
all-MiniLM-L6-v2 (3 epochs) took 4.8 s instead of 14.4 s, at the same held-out FVU and live count.
The sparse step is the faster one at every shape tried on 1 thread (step / bare, dense → sparse):
d = 384 with W = 768, 1536, 3072: 1.50 → 0.76, 1.59 → 0.64, 1.30 → 0.45 (k = 32), W = 1536 at
k = 64: 1.55 → 0.75; d = 128, W = 1024 (``--quick``): 2.00 → 1.25, where the bare products are
so small (4 ms) that Adam and the TopK weigh more.

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

    def floor():  # what no TopK SAE step avoids: every pre-activation, then the TopK
        with torch.no_grad():
            for _ in range(args.steps):
                sae.pre_activations(xb).topk(args.k, dim=1, sorted=False)

    steps(10 ** 12)
    bare()
    floor()
    t_bare, _ = best_of(bare, 3)
    t_floor, _ = best_of(floor, 3)
    t_step, _ = best_of(lambda: steps(10 ** 12), 3)
    t_aux, _ = best_of(lambda: steps(-1), 3)  # every latent dead: AuxK on every step
    print(f"SAE d={d} W={w} k={args.k} batch={b} steps={args.steps} "
          f"threads={torch.get_num_threads()}")
    print(f"bare products    {t_bare / args.steps * 1e3:8.2f} ms/step")
    print(f"encoder + TopK   {t_floor / args.steps * 1e3:8.2f} ms/step")
    print(f"training step    {t_step / args.steps * 1e3:8.2f} ms/step")
    print(f"with AuxK        {t_aux / args.steps * 1e3:8.2f} ms/step")
    print(f"ratio (step / bare) = {t_step / t_bare:.3f}  (target <= 1.5); "
          f"with AuxK {t_aux / t_bare:.3f}; step / (encoder + TopK) = {t_step / t_floor:.3f}")

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
