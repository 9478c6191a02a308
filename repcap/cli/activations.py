"""``repcap activations MODEL``: ε = µ + 2σ of a model's hidden states, layer by layer.

Runs the model over ``--tokens`` real token positions of documents of ``--corpus`` drawn in a
seeded random order and prints one row per layer (embedding output, every block; the last after the
final norm in decoders): exact µ, σ, ε over all pairs of positions with its bootstrap interval over
documents (``eps_interval``) and that of its gap to the embedding rows at the same positions
(``gap_interval``), ε·√d, the mean-removed ε, participation ratio, effective rank, the paper's class
and log10 of Eq. 7's capacity; and the embedding matrix's ε over its vocabulary (``embedding_eps``),
at the same positions (``embedding_eps_at_positions``) and over their distinct token types
(``embedding_eps_at_types``). Same function as chapter 8
(:func:`repcap.studies.activations.activation_study`).
"""

from __future__ import annotations

import argparse

from repcap.cli import add_json_flag


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "activations", help="per-layer eps of a transformer's hidden states on real text",
        description="Exact eps = mu + 2 sigma over all pairs of token positions, per layer, from "
                    "streamed d x d Gram sums. Progress bars go to stderr.")
    parser.add_argument("model", metavar="MODEL",
                        help="offline model name, local folder, .gguf file or hub id")
    parser.add_argument("--corpus", default="wiki-offline",
                        help="wiki-offline (default), hub:NAME[:CONFIG[:SPLIT]], or a .json/.txt")
    parser.add_argument("--tokens", type=int, default=20000, metavar="N",
                        help="real (unpadded) token positions to read")
    parser.add_argument("--layers", type=int, nargs="+", metavar="I",
                        help="hidden_states indices (0 = embedding output; negative from the end)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=256, help="tokens per document at most")
    parser.add_argument("--reservoir", type=int, default=2000,
                        help="positions kept per layer for the mean-removed eps")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="B",
                        help="resamples of the documents for each layer's interval (0: none)")
    parser.add_argument("--level", type=float, default=0.95, help="coverage of the intervals")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the document order, the reservoir and the bootstrap")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict:
    # Loads scipy (through repcap.laws): imported by this command, not by every `repcap` start-up.
    from repcap.studies.activations import activation_study

    study = activation_study(args.model, corpus=args.corpus, tokens=args.tokens,
                             layers=args.layers, batch_size=args.batch_size,
                             max_length=args.max_length, reservoir=args.reservoir,
                             seed=args.seed, bootstrap=args.bootstrap, level=args.level,
                             device=args.device, progress=not args.no_progress)
    return study.as_dict()
