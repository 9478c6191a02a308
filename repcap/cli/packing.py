"""``repcap pack``, ``repcap random-baseline`` and ``repcap sweep``: packing cells from the command line.

Examples::

    repcap pack --k 2000 --d 32 --steps 1500 --json
    repcap pack --k 2000 --d 32 --objective paper      # the paper's recipe (chapter 5)
    repcap random-baseline --k 2000 --d 256 --trials 1000
    repcap sweep --kind optimised --grid cpu --results results/optimised.jsonl
    repcap sweep --kind optimised --grid released-cpu --results repcap/data/packings/released_cpu.jsonl
    repcap sweep --kind random --grid cpu --results results/random.jsonl --cluster local:2
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from repcap.cli import SomeFailed, add_json_flag
from repcap.errors import PackingError
from repcap.packing import optimise_packing, random_baseline
from repcap.packing.cluster import run_sweep_on_cluster
from repcap.packing.cost import available_memory_bytes, cell_flops, cell_memory_bytes
from repcap.packing.hardware import parse_memory_budget, resolve_dtype
from repcap.packing.objectives import OBJECTIVES
from repcap.packing.optimise import BEST_OBJECTIVE
from repcap.packing.sweeps import BUDGETS, default_grid, default_settings, run_sweep


def register(subparsers) -> None:
    """Add the ``pack``, ``random-baseline`` and ``sweep`` sub-commands."""
    pack = subparsers.add_parser(
        "pack", help="optimise one packing of k unit vectors in R^d and print ε* = max |cos|",
        description="Adam on k unit vectors in R^d, by default with the book's best recipe (a smooth "
                    "maximum of |cos| whose sharpness rises along the run, then alternating projection "
                    "for k ≤ 1024; --objective paper for the paper's Σ|G_ij|^p); prints ε* = "
                    "max_{i≠j} |cos| and the seconds it took.")
    pack.add_argument("--k", type=int, required=True, help="number of vectors")
    pack.add_argument("--d", type=int, required=True, help="dimension")
    pack.add_argument("--steps", type=int, default=5000, help="optimisation steps (default 5000, the paper's)")
    pack.add_argument("--objective", choices=sorted(OBJECTIVES), default=BEST_OBJECTIVE,
                      help=f"loss to minimise (default {BEST_OBJECTIVE}, the best recipe; paper: Σ|G_ij|^p)")
    pack.add_argument("--exponent", type=float, default=None, help="p of the paper objective (default: paper rule)")
    pack.add_argument("--sharpness", type=float, default=None, help="τ (τ₀) of softmax (anneal) / α of exp")
    pack.add_argument("--lr", type=float, default=None,
                      help="Adam learning rate (default: paper rule, twice it for anneal)")
    pack.add_argument("--lr-schedule", choices=("constant", "cosine"), default=None,
                      help="constant (the paper's) or cosine decay to 0 (default: the objective's own)")
    pack.add_argument("--seed", type=int, default=0)
    pack.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    pack.add_argument("--memory-budget", default="1GB", help="bound on the Gram tiles (default 1GB)")
    pack.add_argument("--checkpoint", default=None, help="checkpoint file; an existing one is resumed")
    pack.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    add_json_flag(pack)
    pack.set_defaults(func=run_pack)

    rnd = subparsers.add_parser(
        "random-baseline", help="best of T draws of k random unit vectors in R^d (paper Eq. 5)",
        description="ε*_random(k, d) = min over T draws of max_{i≠j} |cos| among k Gaussian unit "
                    "vectors in R^d; prints it and the seconds it took.")
    rnd.add_argument("--k", type=int, required=True, help="number of vectors")
    rnd.add_argument("--d", type=int, required=True, help="dimension")
    rnd.add_argument("--trials", type=int, required=True, help="T, independent draws (the paper: 1000)")
    rnd.add_argument("--seed", type=int, default=0)
    rnd.add_argument("--dtype", default="float32", help="float16 (the paper's), float32 (default), float64")
    rnd.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    rnd.add_argument("--memory-budget", default="512MB", help="bound on tiles and trial batches")
    rnd.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    add_json_flag(rnd)
    rnd.set_defaults(func=run_random)

    sweep = subparsers.add_parser(
        "sweep", help="run a resumable (k, d) grid of packing cells into a JSON-lines file",
        description="Runs every cell of a grid not yet in the results file; rerun the same command "
                    "after an interruption to continue.")
    sweep.add_argument("--kind", choices=("random", "optimised"), required=True)
    sweep.add_argument("--grid", choices=BUDGETS, default="cpu",
                       help="smoke (seconds), cpu (≤ 10 min on 2 cores, default), paper (GPU), "
                            "released-cpu (optimised: the released cells with k ≤ 4000, d ≤ 256; ~20 min)")
    sweep.add_argument("--results", required=True, help="JSON-lines results file (created or extended)")
    sweep.add_argument("--steps", type=int, default=None, help="optimised: steps (default: the grid's)")
    sweep.add_argument("--trials", type=int, default=None, help="random: trials (default: the grid's)")
    sweep.add_argument("--objective", choices=sorted(OBJECTIVES), default=None, help="optimised: loss")
    sweep.add_argument("--sharpness", type=float, default=None, help="optimised: τ of softmax / α of exp")
    sweep.add_argument("--lr-schedule", choices=("constant", "cosine"), default=None,
                       help="optimised: learning-rate schedule (default: the objective's own)")
    sweep.add_argument("--dtype", default=None,
                       help="precision: random float16/float32/float64, optimised float32/float64 "
                            "(default float32; the paper's random grid used float16)")
    sweep.add_argument("--seed", type=int, default=0)
    sweep.add_argument("--device", default=None)
    sweep.add_argument("--progress", action="store_true", help="show progress bars on stderr")
    sweep.add_argument("--cluster", default=None, metavar="ADDRESS",
                       help="compute the cells as tasks on a Dask cluster: a scheduler address "
                            "(tcp://host:8786) or local:N for N local workers (needs repcap[cluster])")
    sweep.add_argument("--retries", type=int, default=0,
                       help="with --cluster: reruns of a cell that raised (lost workers are always rerun)")
    add_json_flag(sweep)
    sweep.set_defaults(func=run_sweep_command)


def _summary(result) -> dict[str, Any]:
    out = {"kind": result.kind, "k": result.k, "d": result.d, "eps": result.eps,
           "seconds": round(result.seconds, 3), "device": result.device, "seed": result.seed}
    out.update(result.settings)
    return out


def _check_size(command: str, kind: str, args: argparse.Namespace, *, itemsize: int = 4,
                work_units: int) -> None:
    """Refuse a cell that cannot fit in memory, before any allocation; announce a long one.

    A k × d request far beyond the machine used to end in an allocator traceback (3.2 TB for
    k = 10⁸, d = 4096) or a silent minute; here it is one line, with the estimate.
    """
    if args.k < 2 or args.d < 1:
        return  # the library's own checks word these
    need = cell_memory_bytes(kind, args.k, args.d, itemsize=itemsize,
                             memory_budget=parse_memory_budget(args.memory_budget))
    have = available_memory_bytes()
    if have is not None and need > have:
        raise PackingError(
            f"k = {args.k}, d = {args.d} needs about {need / 1e9:.3g} GB of memory and "
            f"{have / 1e9:.3g} GB is available; choose a smaller k or d")
    if kind == "optimised":
        flops = cell_flops(kind, args.k, args.d, steps=work_units)
    else:
        flops = cell_flops(kind, args.k, args.d, trials=work_units)
    if flops > 1e12:  # roughly a minute or more on a laptop CPU: say so before starting
        print(f"repcap {command}: estimated cost {flops:.2g} FLOPs, about "
              f"{need / 1e9:.3g} GB of memory", file=sys.stderr)


def run_pack(args: argparse.Namespace) -> dict[str, Any]:
    """One optimised cell: ε* and seconds, plus the settings used."""
    if args.steps >= 1:
        _check_size("pack", "optimised", args, work_units=args.steps)
    exponent = args.exponent
    if exponent is not None and float(exponent).is_integer():
        exponent = int(exponent)
    result = optimise_packing(args.k, args.d, steps=args.steps, objective=args.objective, lr=args.lr,
                              lr_schedule=args.lr_schedule, exponent=exponent, sharpness=args.sharpness,
                              seed=args.seed, device=args.device, memory_budget=args.memory_budget,
                              checkpoint_path=args.checkpoint, progress=args.progress)
    return _summary(result)


def run_random(args: argparse.Namespace) -> dict[str, Any]:
    """One random-baseline cell: ε*_random and seconds."""
    if args.trials >= 1:
        itemsize = resolve_dtype(args.dtype).itemsize
        _check_size("random-baseline", "random", args, itemsize=itemsize, work_units=args.trials)
    result = random_baseline(args.k, args.d, args.trials, seed=args.seed, dtype=args.dtype,
                             device=args.device, memory_budget=args.memory_budget, progress=args.progress)
    return _summary(result)


def run_sweep_command(args: argparse.Namespace) -> dict[str, Any] | SomeFailed:
    """A whole grid: where the results went, how many cells, total seconds, and ε* per cell."""
    cells = default_grid(args.kind, args.grid)
    settings = default_settings(args.kind, args.grid)
    if args.steps is not None:
        settings["steps"] = args.steps
    if args.trials is not None:
        settings["trials"] = args.trials
    extra = {"device": args.device} if args.device else {}
    for name in ("objective", "sharpness", "lr_schedule", "dtype"):
        if getattr(args, name) is not None:
            settings.pop(name, None)
            extra[name] = getattr(args, name)
    if args.cluster:
        records = run_sweep_on_cluster(args.kind, cells, args.results, cluster=args.cluster,
                                       seed=args.seed, progress=args.progress, retries=args.retries,
                                       **settings, **extra)
    else:
        records = run_sweep(args.kind, cells, args.results, seed=args.seed, progress=args.progress,
                            **settings, **extra)
    failed = [r for r in records if r.get("status") == "failed"]
    out = {"results": str(args.results), "kind": args.kind, "grid": args.grid, "cells": len(records),
           "failed": len(failed), "seconds": round(sum(r.get("seconds") or 0.0 for r in records), 3),
           "eps": [[r["k"], r["d"], r["eps"]] for r in records]}
    if failed:
        out["errors"] = [[r["k"], r["d"], r["error"]] for r in failed]
        # the cells are recorded as failed (the next run retries them); the exit status says so too
        return SomeFailed(out, [f"cell k = {r['k']}, d = {r['d']}: {r['error']}" for r in failed],
                          f"{len(failed)} of {len(records)} cells failed; rerun the same command "
                          f"to retry them", status=2 if len(failed) == len(records) else 1)
    return out
