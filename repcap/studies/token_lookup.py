r"""Token lookup across tokenizer conventions: a word → the row of its token.

The same word is ``king`` in a WordPiece vocabulary (BERT, MiniLM) or a word list (GloVe, spaCy),
``Ġking`` in a byte-level BPE vocabulary (GPT-2, Llama 3, SmolLM2) and ``▁king`` in a SentencePiece
vocabulary (Llama 2, Gemma); the bare string ``king`` also exists there, as a piece *inside* a word.
:func:`token_convention` tells the conventions apart, and :func:`find_token` resolves a word in one of
two forms: ``"word"`` (the word-initial token when the vocabulary marks word starts, else the word
itself) or ``"bare"`` (the exact string, which is what the paper's code looked up with
``tokenizer.convert_tokens_to_ids(word)``). :func:`placeholder_mask` marks the reserved tokens that
training never sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from repcap.errors import EmbeddingError, TokenNotFoundError

__all__ = [
    "CONVENTIONS", "SPACE_MARKERS", "FORMS", "PLACEHOLDER_PATTERN", "TokenMatch", "TokenIndex",
    "token_strings", "token_convention", "strip_marker", "display_token", "find_token",
    "find_tokens", "missing_words", "placeholder_mask",
]

CONVENTIONS = ("wordpiece", "byte_bpe", "sentencepiece", "words")
# The character a vocabulary puts in front of a word-initial token.
SPACE_MARKERS = {"byte_bpe": "Ġ", "sentencepiece": "▁"}
FORMS = ("word", "bare")


@dataclass(frozen=True)
class TokenMatch:
    """A word resolved to a row: ``token`` is the vocabulary string, ``index`` its row."""

    word: str
    token: str
    index: int
    form: str


def token_strings(emb) -> list[str]:
    """The token strings of ``emb``, one per row; :class:`~repcap.errors.EmbeddingError` when none are known."""
    tokens = getattr(emb, "tokens", None)
    if tokens is None:
        raise EmbeddingError(
            f"{getattr(emb, 'name', 'matrix')}: no token strings are known for this matrix; token "
            "relationships need a model with a tokenizer (load it by name, hub id or directory)")
    return tokens


def token_convention(tokens: Sequence[str]) -> str:
    """How a vocabulary marks words: ``"wordpiece"``, ``"byte_bpe"``, ``"sentencepiece"`` or ``"words"``.

    The rule counts, over all tokens, the share :math:`s_m` that start with each marker
    :math:`m \\in \\{`"Ġ", "▁", "##"`\\}`; the marker with the largest share wins if that share is
    at least 2 %, else the vocabulary is a plain word list. ("##" marks WordPiece *continuations*,
    whose word-initial tokens are unmarked.)
    """
    if not tokens:
        return "words"
    n = len(tokens)
    shares = {
        "byte_bpe": sum(t.startswith("Ġ") for t in tokens) / n,
        "sentencepiece": sum(t.startswith("▁") for t in tokens) / n,
        "wordpiece": sum(t.startswith("##") for t in tokens) / n,
    }
    best = max(shares, key=shares.get)
    return best if shares[best] >= 0.02 else "words"


def strip_marker(token: str, convention: str) -> str:
    """The token's text without the space marker of its convention.

    For byte-level BPE and SentencePiece this is ``token.strip(marker)`` (both ends, as the paper's
    code does with ``'Ġ'``); WordPiece and word-list tokens are returned unchanged (a WordPiece
    ``##`` marks a continuation and is kept: ``##ing`` is not the word ``ing``).
    """
    marker = SPACE_MARKERS.get(convention)
    return token.strip(marker) if marker else token


def display_token(token: str, convention: str) -> str:
    """A printable label: the marker shown as a visible ``␣`` and empty strings as ``''``.

    Word-initial ``Ġking`` and in-word ``king`` then stay distinguishable on a figure.
    """
    marker = SPACE_MARKERS.get(convention)
    if marker and token.startswith(marker):
        token = "␣" + token[len(marker):]
    return token if token.strip() else repr(token)


class TokenIndex:
    """First row of every token string, and the convention; built once per call site.

    :meth:`candidates` lists the strings :func:`find_token` tries for a word in a form."""

    def __init__(self, emb):
        tokens = token_strings(emb)
        self.tokens = tokens
        self.convention = token_convention(tokens)
        self.first: dict[str, int] = {}
        for i, tok in enumerate(tokens):
            if tok and tok not in self.first:
                self.first[tok] = i
        self.name = getattr(emb, "name", "matrix")

    def candidates(self, word: str, form: str) -> list[str]:
        if form not in FORMS:
            raise TokenNotFoundError(f"unknown token form {form!r}; use one of {FORMS}")
        marker = SPACE_MARKERS.get(self.convention)
        if form == "bare" or marker is None:
            return [word]
        return [marker + word, word]


def find_token(emb, word: str, *, form: str = "word", index: TokenIndex | None = None) -> TokenMatch:
    """Resolve ``word`` to a row of ``emb``.

    ``form="word"``: the word-initial token (``Ġword`` for byte-level BPE, ``▁word`` for
    SentencePiece), falling back to the bare string; for WordPiece and word lists the word itself.
    ``form="bare"``: the exact string only (the paper's ``convert_tokens_to_ids(word)``).
    Matching is exact and case-sensitive; the first row holding the string wins.

    Raises :class:`~repcap.errors.TokenNotFoundError` when no candidate string is in the
    vocabulary, or when its row is all zeros (it has no direction).
    """
    idx = index or TokenIndex(emb)
    tried = idx.candidates(word, form)
    for cand in tried:
        row = idx.first.get(cand)
        if row is None:
            continue
        if not np.any(np.asarray(emb.matrix[row])):
            raise TokenNotFoundError(
                f"{idx.name}: token {cand!r} (row {row}) is an all-zero row and has no direction; "
                "choose another word")
        return TokenMatch(word=word, token=cand, index=int(row), form=form)
    raise TokenNotFoundError(
        f"{idx.name}: {word!r} is not a token of this {idx.convention} vocabulary (tried "
        f"{', '.join(repr(t) for t in tried)}); pick a word the tokenizer keeps whole, or check "
        "its case (uncased vocabularies are lower-case)")


def find_tokens(emb, words: Iterable[str], *, form: str = "word",
                missing: str = "raise") -> dict[str, TokenMatch]:
    """:func:`find_token` for several words; ``missing="skip"`` leaves absent words out."""
    if missing not in ("raise", "skip"):
        raise TokenNotFoundError(f"missing must be 'raise' or 'skip', got {missing!r}")
    idx = TokenIndex(emb)
    out: dict[str, TokenMatch] = {}
    for word in words:
        try:
            out[word] = find_token(emb, word, form=form, index=idx)
        except TokenNotFoundError:
            if missing == "raise":
                raise
    return out


def missing_words(emb, words: Iterable[str], *, form: str = "word") -> list[str]:
    """The words of ``words`` that :func:`find_token` cannot resolve in ``emb``."""
    words = list(words)
    found = find_tokens(emb, words, form=form, missing="skip")
    return [w for w in words if w not in found]


#: Vocabulary entries reserved for later use, which training never sees, so their rows stay near
#: initialisation and become "hubs" of nearest-neighbour graphs: BERT's ``[unused17]``, Gemma's
#: ``<unused42>``, Llama 3's ``<|reserved_special_token_3|>``, T5's ``<extra_id_0>``, ``[PAD]``.
PLACEHOLDER_PATTERN = re.compile(
    r"^(\[unused\d+\]|<unused\d+>|<\|reserved_special_token_\d+\|>|<extra_id_\d+>|\[PAD\]|<pad>)$")


def placeholder_mask(tokens) -> np.ndarray:
    """Boolean mask of the placeholder tokens (:data:`PLACEHOLDER_PATTERN`) in ``tokens``."""
    return np.fromiter((bool(PLACEHOLDER_PATTERN.match(str(t))) for t in tokens), dtype=bool,
                       count=len(tokens))
