"""Speed of the capacity-chapter helpers against the obvious implementation, measured in one run.

    python benchmarks/bench_capacity_helpers.py [--quick]

1. ``repcap.studies.unembedding.diagonal_cosines`` (float64 accumulation in row blocks) against the one-line
   baseline that converts both matrices to float64 at once and reduces them whole.
2. ``repcap.geometry.feasibility.band_curves`` (vectorised over ε) against calling
   ``repcap.geometry.bounds.bounds_band`` once per ε (what a notebook loop would do).
3. ``repcap.geometry.feasibility.model_band`` for the 31 Class 2 models of Table 1, vectorised against a loop.

Each line prints the best of several repeats and the ratio baseline / ours (> 1: ours is faster),
and checks that both give the same numbers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
import time

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    from repcap import catalog
    from repcap.geometry import bounds, feasibility
    from repcap.studies.unembedding import diagonal_cosines

    rng = np.random.default_rng(0)
    V, d = (30000, 512) if args.quick else (152064, 1024)
    E = rng.standard_normal((V, d), dtype=np.float32)
    U = rng.standard_normal((V, d), dtype=np.float32)

    def naive():
        e, u = E.astype(np.float64), U.astype(np.float64)
        return (e * u).sum(1) / np.sqrt((e * e).sum(1) * (u * u).sum(1))

    t_base, ref = best_of(naive, 3)
    t_ours, got = best_of(lambda: diagonal_cosines(E, U), 3)
    assert np.allclose(ref, got, rtol=0, atol=1e-12)
    print(f"diagonal_cosines, V×d = {V}×{d}: baseline {t_base:.3f} s, ours {t_ours:.3f} s, "
          f"ratio {t_base / t_ours:.2f}× (baseline peaks at two float64 copies, {2 * V * d * 8 / 2**30:.1f} GiB)")

    eps = np.linspace(0.01, 0.16, 300 if not args.quick else 100)
    t_base, ref = best_of(lambda: [bounds.bounds_band(4096, e) for e in eps], 2)
    t_ours, got = best_of(lambda: feasibility.band_curves(4096, eps), 2)
    assert np.allclose([r["log10_upper"] for r in ref], got["upper"], rtol=1e-12)
    assert np.allclose([r["bounds"]["greedy"]["log10_count"] for r in ref], got["greedy"], rtol=1e-12)
    print(f"band_curves, {eps.size} values of ε at d = 4096: baseline (bounds_band per ε) {t_base:.3f} s, "
          f"ours {t_ours:.3f} s, ratio {t_base / t_ours:.1f}×")

    models = [m for m in catalog.paper_models() if m["eps_paper"] is not None and m["eps_paper"] < 0.1]
    ds = [m["d_model"] for m in models]
    es = [m["eps_paper"] for m in models]
    t_base, ref = best_of(lambda: [feasibility.model_band(a, b)[0] for a, b in zip(ds, es)], 3)
    t_ours, got = best_of(lambda: feasibility.model_band(ds, es), 3)
    assert [r["verdict"] for r in ref] == [r["verdict"] for r in got]
    print(f"model_band, {len(models)} Class 2 models: baseline (one call per model) {t_base:.3f} s, "
          f"ours {t_ours:.3f} s, ratio {t_base / t_ours:.1f}×")


if __name__ == "__main__":
    main()
