"""Token strings of each embedding row, from the tokenizer files of a hub-layout checkpoint.

Readers, in order of preference:

``tokenizer.json`` (the ``tokenizers`` library's format): ``model.vocab`` is ``{token: id}`` for
BPE, WordPiece and WordLevel models and ``[[piece, score], ...]`` (id = position) for Unigram;
``added_tokens`` lists ``{"id", "content"}`` entries that override or extend it.
``vocab.json`` (GPT-2 style ``{token: id}``) and ``vocab.txt`` (one token per line, id = line).

Strings are returned raw, as the tokenizer stores them (``Ġking``, ``▁king``, ``##ing``); a row
beyond the tokenizer's vocabulary (padded embedding matrices) gets the empty string.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from repcap.errors import ModelFileError

TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "vocab.txt")


def id_to_token(path: str | os.PathLike) -> dict[int, str]:
    """``{id: token}`` from one tokenizer file (chosen by its name)."""
    path = Path(path)
    name = path.name
    try:
        if name == "vocab.txt":
            lines = path.read_text(encoding="utf-8").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            return {i: tok.rstrip("\r") for i, tok in enumerate(lines)}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: cannot read tokenizer file ({exc})") from exc
    if name == "vocab.json":
        return _from_vocab(data, path)
    model = data.get("model") or {}
    vocab = model.get("vocab")
    table = _from_vocab(vocab, path) if vocab is not None else {}
    for added in data.get("added_tokens") or []:
        try:
            table[int(added["id"])] = str(added["content"])
        except (KeyError, TypeError, ValueError):
            continue
    if not table:
        raise ModelFileError(f"{path}: no vocabulary found (model type {model.get('type')!r})")
    return table


def _from_vocab(vocab, path: Path) -> dict[int, str]:
    if isinstance(vocab, dict):
        return {int(i): str(tok) for tok, i in vocab.items()}
    if isinstance(vocab, list):  # Unigram: [[piece, score], ...]
        return {i: str(entry[0] if isinstance(entry, (list, tuple)) else entry)
                for i, entry in enumerate(vocab)}
    raise ModelFileError(f"{path}: unexpected vocabulary layout {type(vocab).__name__}")


def token_list(table: dict[int, str], rows: int) -> tuple[list[str], int]:
    """Strings for rows ``0 .. rows-1`` and the number of rows that had no token (left "")."""
    tokens = [table.get(i, "") for i in range(rows)]
    missing = sum(1 for i in range(rows) if i not in table)
    return tokens, missing


def tokenizer_size(table: dict[int, str]) -> int:
    return (max(table) + 1) if table else 0
