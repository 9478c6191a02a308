"""``repcap fit`` and ``repcap capacity``: the paper's laws from the command line.

``repcap fit FILE``
    fits standard JL, Eq. 6 and Eq. 7 to (k, d, ε) points read from FILE (a sweep results file, a CSV
    with columns k,d,eps, or a JSON list of [k, d, eps] triples) and prints each form's constants,
    R², MAPE and NRMSE; a fit with a constant at a bound of the optimiser's box is flagged
    (``at_bound``, and a ``degenerate`` line naming it): the box, not the data, fixed that constant.
``repcap capacity --d D --eps E``
    prints k_max by Eq. 7 (the paper's capacity), Eq. 6 and standard JL, with the paper's class
    rule, and the largest explicit line set that provably fits (``construction``: family, count,
    coherence, and its ratio to Eq. 7); optionally the Eq. 2 feature budget (``--vocab``) and the proven bounds (``--bounds``).
"""

from __future__ import annotations

import argparse
import math

from repcap.cli import add_json_flag
from repcap.common.checks import MAX_DIMENSION, check_d_eps, check_whole_dimension
from repcap.geometry.constructions import best_construction

FORM_NAMES = ("jl", "eq6", "eq7")


def register(subparsers) -> None:
    fit = subparsers.add_parser(
        "fit", help="fit the JL, Eq. 6 and Eq. 7 laws to (k, d, eps) points",
        description="Fit eps(k, d) by standard JL, Eq. 6 and Eq. 7 with the paper's procedure "
                    "(least squares on eps, its starting points and bounds).")
    fit.add_argument("file", metavar="FILE",
                     help="a sweep results file, a CSV with columns k,d,eps, or a JSON list of "
                          "[k, d, eps] triples")
    fit.add_argument("--form", action="append", choices=FORM_NAMES, dest="forms",
                     help="fit only this form (repeatable; default: all three)")
    add_json_flag(fit)
    fit.set_defaults(func=run)

    cap = subparsers.add_parser(
        "capacity", help="representational capacity k_max(d, eps) by Eq. 7, Eq. 6 and JL",
        description="k_max(d, eps) by Eq. 7 (the paper's capacity), Eq. 6 and standard JL, and the "
                    "paper's class rule (a capacity is reported only for eps < 0.1).")
    cap.add_argument("--d", type=float, required=True, metavar="D",
                     help=f"d_model: a whole number up to {MAX_DIMENSION:,}")
    cap.add_argument("--eps", type=float, required=True, metavar="E",
                     help="accepted deviation (mu + 2 sigma of the pairwise cosines)")
    cap.add_argument("--eq7", type=float, nargs=4, metavar=("C", "A", "B", "CC"),
                     help="Eq. 7 constants C a b c (default: the paper's)")
    cap.add_argument("--eq6-c", type=float, metavar="C", help="Eq. 6 constant (default 1.293401)")
    cap.add_argument("--jl-c", type=float, metavar="C",
                     help="JL constant (default 3.02948, the random-baseline fit; 8 = 'proven')")
    cap.add_argument("--vocab", type=int, metavar="V",
                     help="vocabulary size: also report the Eq. 2 feature budget k - 2V (or k - V)")
    cap.add_argument("--tied", action="store_true", help="embedding and unembedding are tied")
    cap.add_argument("--bounds", action="store_true",
                     help="also report the proven bounds on N(d, eps) (log10 counts)")
    add_json_flag(cap)
    cap.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict:
    if args.command == "fit":
        return _run_fit(args)
    return _run_capacity(args)


def _run_fit(args) -> dict:
    # repcap.laws and repcap.geometry.bounds load scipy: imported by the commands that use them,
    # not by every `repcap` start-up.
    from repcap.laws import fit_form, read_points

    pts = read_points(args.file)
    forms = list(dict.fromkeys(args.forms)) if args.forms else list(FORM_NAMES)
    result = {"file": args.file, "n": len(pts), "skipped": pts.skipped}
    degenerate = []
    for form in forms:
        fit = fit_form(form, pts.k, pts.d, pts.eps).to_dict()
        result[form] = {key: fit[key] for key in ("formula", "params", "r2", "mape", "nrmse", "stderr",
                                                  "at_bound")}
        degenerate += [f"{form}: {name} = {fit['params'][name]:.4g} at its bound"
                       for name in fit["at_bound"]]
    if degenerate:
        result["degenerate"] = "; ".join(degenerate) + " (a degenerate fit; not read as a law)"
    return result


def _run_capacity(args) -> dict:
    from repcap.laws import (DEFAULT_PARAMS, capacity, capacity_class, classify, feature_budget,
                             log10_capacity)

    # Checked here, before any formula: the construction below needs a whole d up to MAX_DIMENSION.
    check_d_eps(args.d, args.eps)
    args.d = check_whole_dimension(args.d)
    overrides = {
        "eq7": dict(zip(("C", "a", "b", "c"), args.eq7)) if args.eq7 else None,
        "eq6": {"C": args.eq6_c} if args.eq6_c is not None else None,
        "jl": {"C": args.jl_c} if args.jl_c is not None else None,
    }
    result = {
        "d": args.d,
        "eps": args.eps,
        "class": capacity_class(args.eps),
        "paper_class": classify(args.eps),
    }
    for form in ("eq7", "eq6", "jl"):
        params = overrides[form] or DEFAULT_PARAMS[form]
        entry = {
            "max_k": capacity(args.d, args.eps, form, params),
            "log10_max_k": log10_capacity(args.d, args.eps, form, params),
            "params": dict(params),
        }
        if args.vocab is not None:
            entry["k_features"] = feature_budget(entry["max_k"], args.vocab, args.tied)
            entry["log10_k_features"] = _log10_features(entry["k_features"], entry["log10_max_k"])
        result[form] = entry
    construction = best_construction(args.d, args.eps).to_dict()
    construction["over_eq7"] = 10.0 ** (construction["log10_count"] - result["eq7"]["log10_max_k"])
    result["construction"] = construction
    if result["class"] == "indeterminate":
        result["note"] = ("eps >= 0.1: the paper reports no capacity here (Table 1: 'indeterminate'); "
                          "the numbers above are the formulas' vacuous values")
    if args.bounds:
        from repcap.geometry.bounds import bounds_band

        band = bounds_band(args.d, args.eps)
        # JSON writes an infinite log10 count as null; "vacuous" keeps the difference from NaN.
        result["bounds"] = {name: {"log10_count": b["log10_count"],
                                   "vacuous": bool(math.isinf(b["log10_count"])), "kind": b["kind"],
                                   "rigorous": b["rigorous"], "label": b["label"]}
                            for name, b in band["bounds"].items()}
        result["log10_lower"] = band["log10_lower"]
        result["log10_upper"] = band["log10_upper"]
    return result


def _log10_features(k_features: float, log10_k: float) -> float | None:
    """log10 of the feature budget k − V (or k − 2V), finite where the budget itself overflows:
    past the float range V is far below k's last digit, so log10(k − 2V) = log10 k. None when the
    vocabulary alone exceeds the capacity (the budget is negative)."""
    if math.isinf(k_features):
        return float(log10_k)
    return math.log10(k_features) if k_features > 0 else None
