"""``repcap epsilon MODEL``: a model's accepted deviation ε = µ + 2σ from the command line.

``repcap epsilon MODEL``
    exact µ, σ and ε over all pairs of non-zero token-embedding rows (a d × d Gram pass), and the
    paper's class;
``--bootstrap B``
    adds a token-bootstrap interval (``ci_low``, ``ci_high``) from B replicates;
``--pairs``
    adds the streaming all-pairs pass (``min``, ``max``, the most similar pairs, the pass's own µ
    and σ in ``--dtype``);
``--sample M``
    runs that pass on all pairs among M random tokens instead (huge vocabularies).

MODEL is anything :func:`repcap.sources.load_embedding` accepts: an offline model name, a hub id,
a folder in the hub layout, or a ``.gguf``/``.safetensors`` file.
"""

from __future__ import annotations

import argparse

from repcap.cli import add_json_flag, add_source_flags
from repcap.errors import ParameterError
from repcap.similarity import epsilon_report


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "epsilon", help="eps = mu + 2 sigma of all pairwise cosines of a model's token embeddings",
        description="Exact mean, standard deviation and eps = mu + 2 sigma of the cosines of all "
                    "pairs of non-zero token-embedding rows, with the paper's class rule "
                    "(Class 1: eps > 0.2, Class 2: eps < 0.1). Progress bars go to stderr.")
    parser.add_argument("model", metavar="MODEL",
                        help="offline model name, hub id, local folder, .gguf or .safetensors file")
    parser.add_argument("--sample", type=int, metavar="M",
                        help="run the pair pass on all pairs among M random tokens (seeded)")
    parser.add_argument("--pairs", action="store_true",
                        help="run the streaming pass over all pairs (min, max, top pairs)")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="B",
                        help="token-bootstrap replicates for an interval of eps (0: none)")
    parser.add_argument("--level", type=float, default=None,
                        help="coverage of the bootstrap interval (default 0.95; needs --bootstrap)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and the sample")
    parser.add_argument("--dtype", default=None, choices=("float32", "bfloat16", "float16"),
                        help="precision of the pair pass's products (default float32; bfloat16: "
                             "as the paper's GPU runs; needs --pairs or --sample)")
    parser.add_argument("--device", default=None,
                        help="cpu or cuda for the pair pass (default: cuda when available)")
    parser.add_argument("--memory-budget", default=None, metavar="SIZE",
                        help="memory for the pair pass's blocks, e.g. 256MB, 2GiB (default 256MB)")
    parser.add_argument("--top", type=int, default=None, metavar="N",
                        help="most similar pairs to list when a pass runs (default 10)")
    add_source_flags(parser)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    add_json_flag(parser)
    parser.set_defaults(func=run)


#: Options that only the pair pass (--pairs / --sample) or the bootstrap uses, with their defaults.
PASS_OPTIONS = {"dtype": "float32", "device": None, "memory_budget": "256MB", "top": 10}
BOOTSTRAP_OPTIONS = {"level": 0.95}


def _reject_unused(args: argparse.Namespace) -> None:
    """An option that the requested computation never reads is a mistake, not a no-op."""
    passes = args.pairs or args.sample is not None
    for group, needs, applies in ((PASS_OPTIONS, "--pairs or --sample", passes),
                                  (BOOTSTRAP_OPTIONS, "--bootstrap", bool(args.bootstrap))):
        unused = [n for n in group if getattr(args, n) is not None and not applies]
        if unused:
            flags = ", ".join("--" + n.replace("_", "-") for n in unused)
            verb = "applies" if len(unused) == 1 else "apply"
            raise ParameterError(f"{flags} only {verb} with {needs}")


def run(args: argparse.Namespace) -> dict:
    _reject_unused(args)
    opts = {name: default if getattr(args, name) is None else getattr(args, name)
            for name, default in {**PASS_OPTIONS, **BOOTSTRAP_OPTIONS}.items()}
    return epsilon_report(args.model, sample=args.sample, pairs=args.pairs,
                          bootstrap=args.bootstrap, seed=args.seed, progress=not args.no_progress,
                          level=opts["level"], dtype=opts["dtype"], device=opts["device"],
                          memory_budget=opts["memory_budget"], top_pairs=opts["top"],
                          load_options={"revision": args.revision, "cache_dir": args.cache_dir,
                                        "tensor": args.tensor})
