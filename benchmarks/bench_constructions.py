"""Verifying an explicit line set: the project's passes against the bare matrix product, one run.

    python benchmarks/bench_constructions.py [--quick]

For the largest family the tests materialise (all 65,536 vectors of the m = 8, e = 2 dual-BCH code in
R^255; ``--quick``: the 4,096 of m = 6, e = 2 in R^63):

1. generating the vectors (``Construction.vectors``);
2. the baseline: the bare upper-triangle GEMM of the same float32 vectors in row blocks, keeping only
   max |cos| (the least any exact pairwise check must do);
3. ``repcap.similarity.all_pairs`` (histogram, moments, extremes, neighbours) on the same vectors;
4. ``linear_code_coherence`` (codeword weights by popcount, no Gram at all).

Prints the best of the repeats and the ratio baseline / ours (> 1: ours is faster), and checks that all
three give the same coherence.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_of  # noqa: E402


def bare_triangle_max(v: np.ndarray, block: int = 4096) -> float:
    """max_{i<j} |v_i · v_j| by float32 GEMMs over the blocks on and above the diagonal."""
    best = 0.0
    for i in range(0, v.shape[0], block):
        a = v[i:i + block]
        for j in range(i, v.shape[0], block):
            g = np.abs(a @ v[j:j + block].T)
            if i == j:
                np.fill_diagonal(g, 0.0)
            best = max(best, float(g.max()))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="m = 6 instead of m = 8")
    args = parser.parse_args()
    from repcap.geometry.constructions import bch_generator, dual_bch, linear_code_coherence
    from repcap.similarity.allpairs import all_pairs

    m, e = (6, 2) if args.quick else (8, 2)
    repeats = 3 if args.quick else 1
    c = dual_bch(m, e)
    t_gen, v = best_of(lambda: c.vectors(k=c.count), repeats)
    print(f"dual-BCH m={m}, e={e}: {c.count} vectors in R^{c.dim}, generated in {t_gen:.3f} s")
    t_base, mu_base = best_of(lambda: bare_triangle_max(v), repeats)
    t_all, stats = best_of(lambda: all_pairs(v, progress=False, top_pairs=1), repeats)
    mu_all = max(abs(stats.min), abs(stats.max))
    t_w, (mu_w, _, _) = best_of(lambda: linear_code_coherence(bch_generator(m, e)), repeats)
    assert abs(mu_base - mu_w) < 1e-5 and abs(mu_all - mu_w) < 1e-5, (mu_base, mu_all, mu_w)
    print(f"coherence {mu_w:.6f} (package: {c.coherence:.6f}, {c.coherence_is})")
    print(f"bare upper-triangle GEMM (baseline): {t_base:.3f} s")
    print(f"all_pairs pass:                      {t_all:.3f} s, ratio {t_base / t_all:.2f}×")
    print(f"codeword weights (popcount):         {t_w:.4f} s, ratio {t_base / t_w:.1f}×")


if __name__ == "__main__":
    main()
