"""Speed and memory of the relations/survey scans against the obvious implementations, in one run.

    python benchmarks/bench_relations.py [--quick]

1. ``repcap.studies.analogies.analogy`` (king − man + woman: float32 block scan, float64 re-rank of the top
   candidates) against the one-liner that converts the whole matrix to float64, normalises it and
   takes one matrix–vector product.
2. ``repcap.studies.neighbours.nearest_tokens`` for a word, same comparison.
3. ``repcap.studies.sampled_estimate.sampled_eps`` (exact moments of the m sampled rows from a d × d Gram) against
   materialising the m × m cosine matrix in float64 and taking µ and σ of its upper triangle.

Real offline models: gemma-3-270m (262144 × 640) for 1–2 (all-MiniLM-L6-v2 with --quick), MiniLM for 3.
Each line prints the best of several repeats, the ratio baseline / ours (> 1: ours is faster) and the
largest difference between the two results; the peak extra memory of the baseline is stated.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
import time

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_of  # noqa: E402


def naive_top(matrix: np.ndarray, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(matrix, dtype=np.float64)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    s = x @ (q / np.linalg.norm(q))
    top = np.argsort(-s, kind="stable")[:k]
    return top, s[top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="MiniLM instead of Gemma, fewer repeats")
    args = parser.parse_args()
    from repcap.studies import analogies, neighbours, sampled_estimate, token_lookup
    from repcap.sources import load_embedding

    repeats = 2 if args.quick else 3
    name = "all-MiniLM-L6-v2" if args.quick else "gemma-3-270m"
    emb = load_embedding(name, progress=False)
    V, d = emb.matrix.shape
    print(f"{name}: {V} × {d}; baseline holds an extra {V * d * 8 / 1e9:.2f} GB float64 copy")

    t_ours, res = best_of(lambda: analogies.analogy(emb, top=40), repeats)
    q = neighbours.unit_rows(emb, [m.index for m in res.query])
    qv = q[0] - q[1] + q[2]
    t_base, (top, cos) = best_of(lambda: naive_top(emb.matrix, qv, 40), repeats)
    same = [n.index for n in res.candidates] == top.tolist()
    diff = max(abs(n.cos - c) for n, c in zip(res.candidates, cos))
    print(f"analogy top 40        ours {t_ours:7.3f} s   baseline {t_base:7.3f} s   "
          f"ratio {t_base / t_ours:5.2f}   same order: {same}   max |Δcos| {diff:.1e}")

    word = token_lookup.find_token(emb, "dog")
    t_ours, near = best_of(lambda: neighbours.nearest_tokens(emb, "dog", k=10), repeats)
    t_base, (top, cos) = best_of(lambda: naive_top(emb.matrix, np.asarray(emb.matrix[word.index], float), 11),
                                 repeats)
    same = [n.index for n in near] == [i for i in top.tolist() if i != word.index][:10]
    print(f"nearest_tokens k=10   ours {t_ours:7.3f} s   baseline {t_base:7.3f} s   "
          f"ratio {t_base / t_ours:5.2f}   same order: {same}")

    mini = load_embedding("all-MiniLM-L6-v2", progress=False)
    m = 3000 if args.quick else 6000

    def naive_sample():
        rows = np.sort(np.random.default_rng(0).choice(mini.vocab_size, size=m, replace=False))
        x = np.asarray(mini.matrix[rows], dtype=np.float64)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        c = (x @ x.T)[np.triu_indices(m, k=1)]
        return c.mean() + 2 * c.std()

    t_ours, est = best_of(lambda: sampled_estimate.sampled_eps(mini, m, n_boot=0, seed=0), repeats)
    t_base, eps = best_of(naive_sample, repeats)
    print(f"sampled ε, m = {m}    ours {t_ours:7.3f} s   baseline {t_base:7.3f} s   "
          f"ratio {t_base / t_ours:5.2f}   |Δε| {abs(est.eps - eps):.1e}   "
          f"(baseline holds {m * m * 8 * 1.5 / 1e9:.2f} GB of cosines)")


if __name__ == "__main__":
    main()
