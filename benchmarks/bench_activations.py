"""Throughput of the per-layer activation pass against a bare forward pass of the same model.

Both run on the same tokenised batches in the same process: the bare pass is
``model(**batch, output_hidden_states=True)`` alone; the activation pass adds the float64 Gram
sums of every layer (:func:`repcap.studies.activations.run_batches`). Prints tokens/s of each,
their ratio (target ≤ 1.2), and peak RSS growth of the pass against the model's own parameter bytes.

    python benchmarks/bench_activations.py [--quick] [--model all-MiniLM-L6-v2] [--tokens N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import best_of  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    import torch

    from repcap.sources.corpus import documents, token_batches
    from repcap.sources.forward import load_forward
    from repcap.studies.activations import run_batches

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--tokens", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2000 tokens, best of two")
    args = parser.parse_args()
    tokens, repeats = (2000, 2) if args.quick else (args.tokens, args.repeats)

    fm = load_forward(args.model)
    batches = list(token_batches(documents(), fm.tokenizer, tokens, max_length=256,
                                 batch_size=8))
    model_mb = sum(p.numel() * p.element_size() for p in fm.model.parameters()) / 2**20

    def bare():
        with torch.inference_mode():
            for b in batches:
                fm.model(**b, output_hidden_states=True)

    # Warm both paths: a single cold first pass measured 3x slower than the rest on 2 cores.
    bare()
    before = _rss_mb()
    run_batches(fm, batches, progress=False)
    t_bare, _ = best_of(bare, repeats)
    t_act, _ = best_of(lambda: run_batches(fm, batches, progress=False), repeats)
    peak = _rss_mb() - before
    print(f"model {fm.name}  d={fm.d_model}  layers={fm.n_layers + 1}  tokens={tokens}  "
          f"threads={torch.get_num_threads()}")
    print(f"bare forward     {tokens / t_bare:10.0f} tok/s")
    print(f"activation pass  {tokens / t_act:10.0f} tok/s")
    print(f"ratio (time activation / bare) = {t_act / t_bare:.3f}  (target <= 1.2)")
    print(f"peak RSS growth during the passes {peak:.0f} MB vs model parameters {model_mb:.0f} MB")


if __name__ == "__main__":
    main()
