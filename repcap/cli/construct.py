"""``repcap construct``: the largest known explicit line set for a dimension and a coherence.

``repcap construct --d D --eps E``
    prints the family, parameters, count, coherence (``coherence_is``: "exact", the set's max |cos|
    itself, or "bound", a proven upper bound on it) and the dimension it lives in of the largest
    explicit set (orthonormal basis, Kerdock / real MUB line set, dual-BCH code, the 276 equiangular
    lines of R^23 from the Leech lattice) with dimension ≤ D and coherence ≤ E
    (:func:`repcap.geometry.constructions.best_construction`).
``--save FILE --k K``
    also writes K of its vectors (the first K, or a seeded sample with ``--seed``), zero-padded to
    D, float32, to FILE as ``.npy`` (written atomically).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from repcap.cli import add_json_flag
from repcap.common.checks import MAX_DIMENSION, check_d_eps, check_whole_dimension
from repcap.common.files import atomic_write
from repcap.errors import DomainError
from repcap.geometry.constructions import best_construction

# Vectors beyond this many floats are refused: a saved set must fit in memory comfortably.
_MAX_SAVE_FLOATS = 1 << 30


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "construct", help="largest known explicit set of unit vectors with max |cos| <= eps",
        description="The largest known explicit line set (orthonormal basis, Kerdock / real MUB, "
                    "dual-BCH code, 276 Leech lines) with dimension <= D and proven max |cos| <= E.")
    p.add_argument("--d", type=float, required=True, metavar="D",
                   help=f"dimension: a whole number up to {MAX_DIMENSION:,}")
    p.add_argument("--eps", type=float, required=True, metavar="E", help="largest allowed |cos|")
    p.add_argument("--save", metavar="FILE", help="write K of the vectors (float32, K x D) as .npy")
    p.add_argument("--k", type=int, metavar="K", help="how many vectors --save writes")
    p.add_argument("--seed", type=int, metavar="S",
                   help="draw the K vectors as a seeded sample (default: the first K)")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict:
    # The same checks, and the same messages, as ``repcap capacity``.
    check_d_eps(args.d, args.eps)
    d = check_whole_dimension(args.d)
    c = best_construction(d, args.eps)
    result = {"d": d, "eps": args.eps, **c.to_dict()}
    if args.save is None:
        if args.k is not None:
            raise DomainError("--k needs --save FILE")
        return result
    if args.k is None or args.k < 1:
        raise DomainError("--save needs --k K (K ≥ 1)")
    if args.k > c.count:
        raise DomainError(f"--k {args.k} exceeds the set's {c.count} vectors")
    if args.k * d > _MAX_SAVE_FLOATS:
        raise DomainError(f"--k {args.k} x d {d} floats is too large to save")
    vectors = c.vectors(k=args.k, seed=args.seed, pad_to=d)
    result["saved"] = _save(args.save, vectors)
    result["saved_k"] = int(vectors.shape[0])
    return result


def _save(path, vectors) -> str:
    target = atomic_write(path, lambda f: np.save(f, vectors), binary=True, what="the vectors",
                          fix=f"name a file for --save (e.g. {Path(path) / 'vectors.npy'})")
    return str(target)
