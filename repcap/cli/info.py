"""``repcap info MODEL``: the facts of a model's token embedding (no matrices printed).

Examples::

    repcap info all-MiniLM-L6-v2 --json
    repcap info google/gemma-3-270m
    repcap info ./my-checkpoint --unembedding
    repcap info model.gguf --tensor token_embd.weight

With ``--json`` one JSON object goes to stdout with at least ``model, source, vocab_size,
d_model, tied, dtype, zero_rows, embedding_tensor``; progress bars and warnings go to stderr.
"""

from __future__ import annotations

import argparse

from repcap import catalog
from repcap.cli import add_json_flag, add_source_flags
from repcap.errors import ModelNotFoundError
from repcap.sources import load_embedding


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "info", help="facts about a model's token-embedding matrix",
        description="Load a model's input embedding (offline name, hub id, folder, .gguf or "
                    ".safetensors file) and print its facts: shape, tying, dtype, zero rows, "
                    "tensor names and provenance.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="offline model name, hub repo id (org/name), local folder, "
                                      ".gguf or .safetensors file")
    parser.add_argument("--unembedding", action="store_true",
                        help="also load the separate output matrix of an untied model")
    add_source_flags(parser)
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict:
    emb = load_embedding(args.model, revision=args.revision, with_unembedding=args.unembedding,
                         cache_dir=args.cache_dir, progress=not args.no_progress,
                         tensor=args.tensor)
    out = emb.info()
    if emb.unembedding is not None:
        out["unembedding_shape"] = list(emb.unembedding.shape)
    try:
        row = catalog.find(args.model)
    except ModelNotFoundError:
        row = None
    if row is not None:
        out["catalog"] = {k: row[k] for k in ("name", "family", "eps_paper", "capacity_paper",
                                              "class_paper", "source")}
    return out
