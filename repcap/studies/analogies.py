r"""Analogies by vector arithmetic: the paper's Figure 4 (king − man + woman).

:func:`analogy` returns the rows nearest to :math:`\hat q = q/\lVert q\rVert`,
:math:`q = \hat x_a - \hat x_b + \hat x_c`, top 40, minus every token whose text contains "king",
"woman" or "women" once the tokenizer's space marker is stripped; :func:`analogy_survey` runs it over
several models and token forms, :func:`analogy_bars` turns a result into the figure's bars.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from repcap.errors import EmbeddingError, RepcapError, TokenNotFoundError
from repcap.sources import load_embedding
from repcap.studies.neighbours import (Neighbour, exact_cosines, matrix_of, neighbour_at, scan_cosines, top_rows,
                                       unit_rows)
from repcap.studies.token_lookup import FORMS, TokenIndex, TokenMatch, display_token, find_token

__all__ = [
    "ANALOGY_EXCLUDE", "Analogy", "analogy", "analogy_survey", "analogy_bars",
]

# Figure 4's filter: tokens containing these (case-insensitive) are removed from the analogy list.
ANALOGY_EXCLUDE = ("king", "woman", "women")


@dataclass(frozen=True)
class Analogy:
    r"""Result of :func:`analogy`.

    ``candidates`` are the ``top`` rows nearest to :math:`\hat q` (query tokens included, as in
    the paper); ``kept`` is what survives the substring filter; ``ranks`` gives, for each word of
    ``targets`` present in the vocabulary, its 1-based rank among all non-zero rows,
    :math:`1 + |\{i : \cos(x_i, \hat q) > \cos(x_t, \hat q)\}|`, and its cosine.
    """

    query: tuple[TokenMatch, TokenMatch, TokenMatch]
    candidates: tuple[Neighbour, ...]
    kept: tuple[Neighbour, ...]
    exclude: tuple[str, ...]
    ranks: dict[str, tuple[int, float]] = field(default_factory=dict)
    rows: int = 0
    convention: str = "words"

    @property
    def label(self) -> str:
        a, b, c = (m.word for m in self.query)
        return f"{a} − {b} + {c}"


def analogy(emb, a: str = "king", b: str = "man", c: str = "woman", *, top: int = 40,
            exclude: Sequence[str] = ANALOGY_EXCLUDE, targets: Sequence[str] = ("queen",),
            form: str = "word") -> Analogy:
    r"""The paper's Figure 4: rows nearest to :math:`\hat x_a - \hat x_b + \hat x_c`, filtered.

    .. math:: q = \hat x_a - \hat x_b + \hat x_c, \qquad \hat q = q / \lVert q\rVert,
              \qquad s_i = \cos(x_i, \hat q).

    The ``top`` rows by :math:`s_i` (non-zero rows only; the query tokens are *not* removed, as in
    the paper's code) form ``candidates``. ``kept`` drops each candidate whose text — the token with
    the tokenizer's space marker stripped, lower-cased — contains one of ``exclude`` ("king",
    "woman", "women" by default); of candidates whose stripped text coincides (``Ġqueen`` and
    ``queen``) only the higher-scoring is kept (the paper's code kept the later, lower score).
    ``ranks`` gives, for each word of ``targets`` resolvable in the vocabulary — always in the
    ``"word"`` form, whatever form the query used — its rank among all non-zero rows and its
    :math:`s_i`.

    Raises :class:`~repcap.errors.TokenNotFoundError` when ``a``, ``b`` or ``c`` is absent.
    """
    if top < 1:
        raise EmbeddingError(f"top must be at least 1, got {top}")
    idx = TokenIndex(emb)
    query = tuple(find_token(emb, w, form=form, index=idx) for w in (a, b, c))
    xa, xb, xc = unit_rows(emb, [m.index for m in query])
    q = xa - xb + xc
    norm = np.linalg.norm(q)
    if norm < 1e-6:  # cancellation down to float32 rounding: no direction to search along
        raise EmbeddingError(f"{a} − {b} + {c} is the zero vector; the analogy has no direction")
    q = q / norm
    matrix = matrix_of(emb)
    approx = scan_cosines(matrix, q)
    best = top_rows(matrix, approx, q, top, set())
    candidates = tuple(neighbour_at(idx.tokens, idx.convention, i, s) for i, s in best)
    lowered = tuple(e.lower() for e in exclude)
    kept, seen = [], set()
    for n in candidates:
        text = n.text.lower()
        if any(e in text for e in lowered) or n.text in seen:
            continue
        seen.add(n.text)
        kept.append(n)
    ranks = {}
    for word in targets or ():
        try:
            m = find_token(emb, word, form="word", index=idx)
        except TokenNotFoundError:
            continue
        s = float(exact_cosines(matrix, q, np.array([m.index]))[0])
        # Rank against the float32 scores, except within a band around s where exact values decide.
        near = np.flatnonzero(np.abs(approx - s) < 1e-4)
        above = int(np.sum(approx > s + 1e-4))
        if near.size:
            above += int(np.sum(exact_cosines(matrix, q, near) > s))
        ranks[word] = (above + 1, s)
    rows = int(np.isfinite(approx).sum())
    return Analogy(query=query, candidates=candidates, kept=tuple(kept), exclude=tuple(exclude),
                   ranks=ranks, rows=rows, convention=idx.convention)


def analogy_survey(models: Iterable, *, words: tuple[str, str, str] = ("king", "man", "woman"),
                   forms: Sequence[str] = ("word", "bare"), top: int = 40,
                   exclude: Sequence[str] = ANALOGY_EXCLUDE, targets: Sequence[str] = ("queen",),
                   loader=None) -> tuple[list[tuple[str, str, Analogy]], list[tuple[str, str]]]:
    """:func:`analogy` on each model and each token form, loading one model at a time.

    ``models`` holds names for :func:`repcap.sources.load_embedding` (or ``loader``) or loaded
    embeddings. A form whose query tokens are the same strings as an earlier form's (WordPiece and
    word lists: ``"bare"`` = ``"word"``) is not repeated. Returns ``(results, skipped)``:
    ``(model name, form, Analogy)`` triples, and ``(model, reason)`` for every model or form
    whose tokens are missing or that could not be loaded (any :class:`~repcap.errors.RepcapError`).
    """
    for form in forms:
        if form not in FORMS:
            raise TokenNotFoundError(f"unknown token form {form!r}; use one of {FORMS}")
    results, skipped = [], []
    for model in models:
        try:
            if hasattr(model, "matrix"):
                emb = model
            else:
                emb = (loader or load_embedding)(model, progress=False)
        except RepcapError as exc:
            skipped.append((str(model), f"not loaded: {exc}"))
            continue
        name = str(getattr(emb, "name", model))
        seen: set[tuple[str, ...]] = set()
        tried: set[tuple] = set()
        index = TokenIndex(emb) if getattr(emb, "tokens", None) is not None else None
        for form in forms:
            if index is not None:
                # a vocabulary without word-start markers gives the same candidates in every form
                lookup = tuple(tuple(index.candidates(w, form)) for w in words)
                if lookup in tried:
                    continue
                tried.add(lookup)
            try:
                res = analogy(emb, *words, top=top, exclude=exclude, targets=targets, form=form)
            except (TokenNotFoundError, EmbeddingError) as exc:
                skipped.append((name, f"{form} form: {exc}"))
                continue
            key = tuple(m.token for m in res.query)
            if key in seen:
                continue
            seen.add(key)
            results.append((name, form, res))
        del emb
    return results, skipped


def analogy_bars(result: Analogy, *, n: int = 16,
                 highlight: Sequence[str] = ("queen",)) -> list[tuple[str, float, bool]]:
    """The first ``n`` kept tokens of an :func:`analogy` as ``(label, cos, highlighted)`` bars;
    labels show the space marker as ␣ (:func:`~repcap.studies.token_lookup.display_token`), and a bar
    is highlighted when its stripped, lower-cased text equals one of ``highlight``."""
    marks = {h.lower() for h in highlight}
    return [(display_token(k.token, result.convention), k.cos, k.text.lower() in marks)
            for k in result.kept[:n]]
