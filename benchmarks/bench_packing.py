"""Packing benchmarks: step cost against the bare Gram products, objectives at equal steps, the CPU grids.

Sections (run one or several; ``step`` is the default and takes about a minute):

``step``        one optimisation step (normalise, blockwise Gram + f' + gradient, projection, Adam) against
                the bare ``G = V Vᵀ`` and ``G V`` products for the same (k, d), timed alternately in
                one run; prints the ratio (target ≤ 1.5).
``objectives``  the paper's loss and the alternatives at equal steps on the CPU-sized cells of the
                paper's grid, with ε*/ε*_paper against the released values.
``optima``      the book's best recipe (``repcap pack``'s default) where the optimum is known: equiangular
                tight frames (6, 3) at 1/√5, (10, 5), (16, 6), (28, 7) at 1/3, (276, 23) at 1/5, and the
                Kerdock set (2112, 64) at 1/8 (Levenstein-tight); prints ε*/optimum and seconds per cell
                against the targets (1 % up to 28 lines, 5 % beyond).
``grid``        the default CPU grids (``repcap.packing.sweeps.default_grid(kind, "cpu")``) with their default
                trials/steps: seconds per cell, ε* per cell, ratios to the released values where the
                cell is in the paper's grid, and for optimised cells the random baseline of the same cell.

Usage::

    python benchmarks/bench_packing.py [step] [objectives] [optima] [grid] [--steps N] [--threads N] [--out DIR]

Ratios are measured within one run, so they hold on any machine; seconds are this machine's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from repcap.packing import optimise_packing, random_baseline
from repcap.packing.objectives import make_objective, paper_learning_rate
from repcap.packing.optimise import BEST_OBJECTIVE, PREFERRED_BLOCK, PackingRun
from repcap.packing.sweeps import default_grid, default_settings, load_results, run_sweep
from repcap.studies.optima import KNOWN_OPTIMA, optima_rows

ROOT = Path(__file__).resolve().parent.parent
PAPER_DATA = ROOT.parent / "shared" / "reference" / "data"


def _paper_values(name: str) -> dict[tuple[int, int], float]:
    path = PAPER_DATA / name
    if not path.exists():
        return {}
    return {(r["k"], r["d"]): r["eps"] for r in load_results(path)}


def bench_step(sizes, repeats: int) -> None:
    print("\n## One optimisation step vs the bare Gram product and its gradient (same k, d, float32)")
    print("baseline = torch.mm(V, V.T, out=G) + torch.mm(G, V, out=H), k × k G in memory")
    print(f"{'k':>6} {'d':>5} {'objective':>9} {'tile':>5} {'baseline ms':>12} {'step ms':>9} {'ratio':>6}")
    torch.set_flush_denormal(True)  # as optimise_packing runs: exp(−τ…) underflows to denormals at τ = 1000
    for k, d in sizes:
        gen = torch.Generator().manual_seed(0)
        V = torch.nn.functional.normalize(torch.randn(k, d, generator=gen), dim=1)
        G = torch.empty(k, k)
        H = torch.empty(k, d)

        def baseline():
            torch.mm(V, V.T, out=G)
            torch.mm(G, V, out=H)

        for name, params in (("paper", {}), ("softmax", {"sharpness": 40.0}), (BEST_OBJECTIVE, {})):
            obj = make_objective(name, k, d, **params)
            obj.set_progress(1.0)  # annealed: the sharpest step, where the exponentials matter most
            block = min(k, PREFERRED_BLOCK["cpu"])
            run = PackingRun(k, d, obj, paper_learning_rate(d), seed=0, device=torch.device("cpu"),
                             dtype=torch.float32, block=block)

            def step():
                run.measure()
                run.update()

            for _ in range(2):  # warm-up: allocations, Adam state
                baseline()
                step()
            base_t, step_t = [], []
            for _ in range(repeats):  # alternate, so load changes hit both alike
                t = time.perf_counter()
                baseline()
                base_t.append(time.perf_counter() - t)
                t = time.perf_counter()
                step()
                step_t.append(time.perf_counter() - t)
            b, s = statistics.median(base_t), statistics.median(step_t)
            print(f"{k:>6} {d:>5} {name:>9} {block:>5} {1e3 * b:>12.2f} {1e3 * s:>9.2f} {s / b:>6.2f}")
            sys.stdout.flush()


OBJECTIVE_CONFIGS = {
    "paper": ("paper (author's rule)", {"objective": "paper"}),
    "paper-cos": ("paper + cosine lr", {"objective": "paper", "lr_schedule": "cosine"}),
    "exp": ("exp (Yoder, α=d/5)", {"objective": "exp"}),
    "softmax20": ("softmax τ=20", {"objective": "softmax", "sharpness": 20.0, "lr_schedule": "constant"}),
    "softmax40": ("softmax τ=40", {"objective": "softmax", "sharpness": 40.0, "lr_schedule": "constant"}),
    "softmax40-cos": ("softmax τ=40 + cosine", {"objective": "softmax", "sharpness": 40.0,
                                                "lr_schedule": "cosine"}),
}


def bench_objectives(steps: int, cells, names) -> None:
    paper = _paper_values("optimized_packing.json")
    configs = [OBJECTIVE_CONFIGS[name] for name in names]
    print(f"\n## Objectives at equal steps ({steps} steps, seed 0, float32); ratio = ε* / released ε*")
    print(f"{'k':>6} {'d':>5} {'objective':<24} {'eps':>8} {'min along run':>14} {'ratio':>7} {'seconds':>8}")
    for k, d in cells:
        for label, kw in configs:
            result = optimise_packing(k, d, steps=steps, progress=False, log_every=50, **kw)
            low = min(e for _, e in result.history)
            ref = paper.get((k, d))
            ratio = f"{result.eps / ref:7.3f}" if ref else "      -"
            print(f"{k:>6} {d:>5} {label:<24} {result.eps:8.4f} {low:14.4f} {ratio} {result.seconds:8.1f}")
            sys.stdout.flush()


def bench_optima(steps: int, cells) -> None:
    print(f"\n## Known optima: objective {BEST_OBJECTIVE!r} (the default of repcap pack), {steps} steps, "
          "seed 0, float32; ratio = ε* / optimum")
    print(f"{'k':>6} {'d':>4} {'optimum':>8} {'eps':>8} {'ratio':>7} {'target':>7} {'met':>4} {'seconds':>8}  set")
    for cell in cells:  # one at a time, so each line prints as soon as its cell is done
        (r,) = optima_rows([cell], steps=steps)
        print(f"{r['k']:>6} {r['d']:>4} {r['optimum']:8.4f} {r['eps']:8.4f} {r['ratio']:7.4f} "
              f"{r['target']:7.2f} {'yes' if r['met'] else 'no':>4} {r['seconds']:8.1f}  {r['attained_by']}")
        sys.stdout.flush()


def bench_grid(out: Path, steps: int | None) -> None:
    try:  # the parameter-free prediction of the best-of-T median (Poisson–beta law)
        from repcap.geometry.null import best_of_trials_median as predict
    except ImportError:
        predict = None
        print("repcap.geometry.null.best_of_trials_median is not available: no null-model column")
    rand_paper = _paper_values("random_packing.json")
    opt_paper = _paper_values("optimized_packing.json")
    for kind in ("random", "optimised"):
        cells = default_grid(kind, "cpu")
        settings = default_settings(kind, "cpu")
        if steps is not None and kind == "optimised":
            settings["steps"] = steps
        path = out / f"{kind}_cpu.jsonl"
        began = time.perf_counter()
        records = run_sweep(kind, cells, path, progress=False, **settings)
        wall = time.perf_counter() - began
        ref = rand_paper if kind == "random" else opt_paper
        print(f"\n## Default CPU grid, {kind}: {len(cells)} cells, {settings} -> {path}")
        print(f"{'k':>6} {'d':>5} {'eps':>8} {'seconds':>8} {'paper eps':>10} {'ratio':>6}"
              + (f" {'random eps':>10} {'opt/rand':>8}" if kind == "optimised" else f" {'null pred':>9} {'ratio':>6}"))
        total = 0.0
        for r in records:
            total += r["seconds"]
            paper_eps = ref.get((r["k"], r["d"]))
            line = (f"{r['k']:>6} {r['d']:>5} {r['eps']:8.4f} {r['seconds']:8.1f} "
                    + (f"{paper_eps:10.4f} {r['eps'] / paper_eps:6.3f}" if paper_eps else f"{'-':>10} {'-':>6}"))
            if kind == "optimised":
                rand = random_baseline(r["k"], r["d"], 1000, progress=False)
                line += f" {rand.eps:10.4f} {r['eps'] / rand.eps:8.3f}"
            elif predict is not None:
                pred = float(predict(r["k"], r["d"], r["settings"]["trials"]))
                line += f" {pred:9.4f} {r['eps'] / pred:6.3f}"
            print(line)
            sys.stdout.flush()
        print(f"sum of cell seconds {total:.1f} s; this call's wall time {wall:.1f} s "
              "(0 when every cell was already recorded)")


SECTIONS = ("step", "objectives", "optima", "grid")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # No `choices=` here: with nargs="*" argparse checks the whole default list against the choices
    # and rejects it (Python 3.11), so the sections are validated below.
    parser.add_argument("sections", nargs="*", metavar="SECTION",
                        help=f"any of {', '.join(SECTIONS)} (default: step)")
    parser.add_argument("--steps", type=int, default=None,
                        help="objectives, optima: steps per run (default 5000); grid: override the optimised steps")
    parser.add_argument("--repeats", type=int, default=7, help="step: timed repetitions per size")
    parser.add_argument("--configs", default=",".join(OBJECTIVE_CONFIGS),
                        help=f"objectives: comma-separated subset of {','.join(OBJECTIVE_CONFIGS)}")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--quick", action="store_true",
                        help="seconds: small cells, 2 repetitions (what the test suite runs)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "repcap-bench-packing",
                        help="grid: folder of the results files (resumable)")
    args = parser.parse_args(argv)
    args.sections = args.sections or ["step"]
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if "step" in args.sections:
        sizes = ([(500, 32), (500, 128)] if args.quick
                 else [(2000, 32), (2000, 128), (2000, 512), (4000, 256), (8000, 128)])
        bench_step(sizes, 2 if args.quick else args.repeats)
    if "objectives" in args.sections:
        bench_objectives(args.steps or 5000, [(2000, 32), (2000, 64), (2000, 128)], args.configs.split(","))
    if "optima" in args.sections:
        cells = KNOWN_OPTIMA[:4] if args.quick else KNOWN_OPTIMA
        bench_optima(args.steps or (1000 if args.quick else 5000), cells)
    if "grid" in args.sections:
        args.out.mkdir(parents=True, exist_ok=True)
        bench_grid(args.out, args.steps)


if __name__ == "__main__":
    main()
