"""``repcap frontier``: the paper's released packings beside the best this project can show.

``repcap frontier --released [--packings FILE] [--paper-file FILE] [--json]``
    one record per cell of the paper's released optimised sweep (166 cells): ``k``, ``d``,
    ``released_eps``, the orthonormal basis where k ≤ d, the best explicit set of dimension ≤ d holding
    ≥ k vectors (family, coherence, "exact" or "bound"), our packing where FILE has the cell (default:
    the kept ``released-cpu`` results; ``--packings none`` for the explicit sets alone), ``best_eps``
    and ``best_by``; and the counts: cells whose best is ≤ the released ε*, how many the basis and
    explicit sets settle alone, and the open cells a CPU run could settle and those only a GPU run of
    the optimiser can (:func:`repcap.studies.frontier.released_frontier`). Without ``--json`` the
    counts and the open cells are printed; ``--json`` adds every cell.
``repcap frontier --k K --d D``
    the same record for one cell (with the released ε* where the sweep has the cell).
"""

from __future__ import annotations

import argparse
from collections import Counter

from repcap.cli import add_json_flag
from repcap.common.checks import check_whole_dimension
from repcap.errors import DomainError
from repcap.packing.released import load_paper_sweep
from repcap.packing.sweeps import RELEASED_CPU_GRID, load_results, released_cpu_results
from repcap.studies.frontier import best_packings, frontier_cell, released_frontier


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "frontier", help="the paper's released packings beside explicit sets and our packings",
        description="Each released optimised cell (k, d) beside the orthonormal basis (k <= d), the "
                    "best explicit line set with at least k vectors in dimension <= d, and our "
                    "packing where a results file has the cell; who reaches the smallest max |cos|.")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--released", action="store_true", help="every released cell (166)")
    what.add_argument("--k", type=int, metavar="K", help="one cell: number of vectors (with --d)")
    p.add_argument("--d", type=float, metavar="D", help="one cell: dimension (with --k)")
    p.add_argument("--packings", metavar="FILE",
                   help="our packings: a results file of repcap sweep or pack records (default: the "
                        "kept released-cpu results; 'none' for none)")
    p.add_argument("--paper-file", metavar="FILE",
                   help="the released optimized_packing.json to compare with (default: the vendored copy)")
    add_json_flag(p)
    p.set_defaults(func=run)


def _packings(name: str | None) -> tuple[list[dict], str | None]:
    if name is not None and name.lower() == "none":
        return [], None
    path = released_cpu_results() if name is None else name
    return load_results(path, kind="optimised"), str(path)


def run(args: argparse.Namespace) -> dict:
    released = load_paper_sweep("optimised", args.paper_file)
    packings, source = _packings(args.packings)
    if not args.released:
        if args.d is None:
            raise DomainError("--k K needs --d D (or use --released for every released cell)")
        if args.k < 1:
            raise DomainError(f"--k must be ≥ 1, got {args.k}")
        d = check_whole_dimension(args.d)
        return {**frontier_cell(args.k, d, released.lookup(args.k, d),
                                best_packings(packings).get((args.k, d)),
                                cpu=(args.k, d) in set(RELEASED_CPU_GRID)),
                "packings": source}
    if args.d is not None:
        raise DomainError("--d goes with --k (one cell); --released lists every released cell")
    out = released_frontier(released, packings)
    summary = {"released": released.source if released.origin == "file" else "vendored (the paper's)",
               "packings": source,
               "n_cells": out["n_cells"], "n_best_le_released": out["n_best_le_released"],
               "n_explicit_le_released": out["n_explicit_le_released"],
               "n_ours": out["n_ours"], "n_ours_le_released": out["n_ours_le_released"],
               "best_by": dict(sorted(Counter(r["best_by"] for r in out["cells"]).items())),
               "open_cpu": out["open_cpu"], "open_gpu_count": len(out["open_gpu"]),
               "open_gpu": out["open_gpu"]}
    if args.json:
        summary["cells"] = out["cells"]
    return summary
