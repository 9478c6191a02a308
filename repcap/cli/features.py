"""``repcap features MODEL``: a TopK sparse autoencoder on a model's hidden states, measured as a packing.

Reads ``--tokens`` hidden states of ``--layer`` (default: the middle block) over randomly drawn
documents of ``--corpus`` (cached), trains a TopK SAE of ``--width`` latents with ``--k`` active (or
reuses the one cached for the same settings), and prints one record: FVU and L0 on held-out
documents, live latents, ε = µ + 2σ and ε* = max |cos| of their unit decoder directions, and at the
same (k, d) the random values (2/√d; Eq. 5), the Welch floor, the paper's optimised law, and Eq. 7's
capacity at the measured ε. Same functions as chapter 9
(:func:`repcap.studies.feature_packing.feature_row`).
"""

from __future__ import annotations

import argparse

from repcap.cli import add_json_flag


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "features", help="train a TopK SAE on a model's hidden states; measure its directions",
        description="Train (or reuse) a TopK sparse autoencoder on one layer's hidden states over "
                    "real text and measure its live decoder directions like a packing.")
    parser.add_argument("model", metavar="MODEL",
                        help="offline model name, local folder, .gguf file or hub id")
    parser.add_argument("--layer", type=int, default=None, metavar="L",
                        help="hidden_states index (0 = embedding output; default: middle block)")
    parser.add_argument("--width", type=int, default=None, metavar="W",
                        help="SAE latents (default: 4 d)")
    parser.add_argument("--k", type=int, default=32, metavar="K", help="active latents per token")
    parser.add_argument("--tokens", type=int, default=20000, metavar="N",
                        help="hidden-state positions (15 %% of the documents held out)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--corpus", default="wiki-offline",
                        help="wiki-offline (default), hub:NAME[:CONFIG[:SPLIT]], or a .json/.txt")
    parser.add_argument("--max-length", type=int, default=256, help="tokens per document at most")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--cache-dir", help="cache root (default $REPCAP_CACHE or ~/.cache/repcap)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    add_json_flag(parser)
    parser.set_defaults(func=run)


#: The record's keys, in the order they are printed.
KEYS = ("model", "layer", "d", "width", "k", "tokens_train", "tokens_heldout", "fvu", "bad", "l0",
        "live", "dead_fraction", "ratio", "eps", "mean", "std", "max_abs_cos", "null_eps",
        "random_max_abs_cos", "random_eps", "welch", "levenshtein", "optimised_law",
        "explicit_coherence", "explicit_family", "log10_k", "log10_eq7_capacity",
        "cos_coactive", "cos_never", "embedding_eps", "train_seconds", "cached", "massive_dropped")


def run(args: argparse.Namespace) -> dict:
    from repcap.common.checks import check_int
    from repcap.errors import ParameterError
    from repcap.laws.capacity import capacity
    from repcap.studies.feature_packing import feature_row
    from repcap.studies.sae import hidden_states

    for name, least in (("tokens", 2), ("k", 1), ("epochs", 1), ("batch_size", 1)):
        check_int(f"--{name.replace('_', '-')}", getattr(args, name), least, error=ParameterError)
    if args.width is not None:
        check_int("--width", args.width, 2, error=ParameterError)
        if args.k >= args.width:  # before any forward pass
            raise ParameterError(f"--k must be smaller than --width, got {args.k} and {args.width}")
    if args.layer is not None:
        check_int("--layer", args.layer, 0, error=ParameterError)
    hs = hidden_states(args.model, layer=args.layer, tokens=args.tokens, seed=args.seed,
                       corpus=args.corpus, max_length=args.max_length, device=args.device,
                       cache_dir=args.cache_dir, progress=not args.no_progress)
    width = 4 * hs.d if args.width is None else args.width
    row = feature_row(hs, width, args.k, epochs=args.epochs, batch_size=args.batch_size,
                      seed=args.seed, cache_dir=args.cache_dir, progress=not args.no_progress)
    record = {**row.as_dict(), "embedding_eps": hs.embedding_eps,
              "cached": row.train_seconds == 0.0}
    out = {key: record[key] for key in KEYS}
    out["eq7_capacity"] = (float(capacity(hs.d, row.eps)) if row.eps <= 1.0 else float("nan"))
    return out
