r"""Lexical and semantic relationships between tokens: the paper's Figure 3 (§2.3).

Everything here reads cosines between unit-normalised non-zero rows (:mod:`repcap.studies.neighbours`):

* **Primary tokens** (:func:`primary_tokens`, Figure 3a): with :math:`\mathrm{nn}(i) = \arg\max_{j\ne i}
  \cos(x_i, x_j)`, the tokens :math:`j` with the largest counts :math:`|\{i : \mathrm{nn}(i) =
  j\}|`, each with the tokens that chose it, closest first (the paper's figure code: 3 tokens with
  3 examples each).
* **Pair cosines** (:func:`pair_cosines`, Figure 3b) for semantic pairs such as the paper's yes–no,
  cat–dog, car–bus, school–class and the control quick–un.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from repcap.errors import EmbeddingError, TokenNotFoundError
from repcap.studies.neighbours import Neighbour, neighbour_at, unit_rows
from repcap.studies.token_lookup import (TokenIndex, TokenMatch, display_token, find_token, strip_marker,
                                         token_convention, token_strings)

__all__ = [
    "SEMANTIC_PAIRS", "CONTROL_PAIRS", "PrimaryToken", "PairCosine", "primary_tokens",
    "pair_cosines", "lexical_groups",
]

# The paper's Figure 3b pairs (code: 'yes-no', 'cat-dog', 'car-bus', 'school-class'), and its
# unrelated control 'quick-un'.
SEMANTIC_PAIRS = (("yes", "no"), ("cat", "dog"), ("car", "bus"), ("school", "class"))
CONTROL_PAIRS = (("quick", "un"),)


@dataclass(frozen=True)
class PrimaryToken:
    """A token chosen as nearest neighbour by ``count`` rows; ``examples`` are some of those rows,
    each with its cosine to this token, closest first."""

    token: str
    index: int
    count: int
    examples: tuple[Neighbour, ...]
    text: str


@dataclass(frozen=True)
class PairCosine:
    """The cosine between the rows of two words (``control`` marks an unrelated pair)."""

    a: TokenMatch
    b: TokenMatch
    cos: float
    control: bool = False

    @property
    def label(self) -> str:
        return f"{self.a.word}–{self.b.word}"


def primary_tokens(emb, nearest, *, top: int = 3, examples: int = 3,
                   skip=None) -> list[PrimaryToken]:
    r"""The tokens most often chosen as cosine nearest neighbour (the paper's "primary tokens").

    With :math:`\mathrm{nn}(i)` the nearest other non-zero row of row :math:`i` and :math:`c_i`
    its cosine, the count of token :math:`j` is :math:`n_j = |\{i : \mathrm{nn}(i) = j\}|`.
    Returns the ``top`` tokens by :math:`n_j` (ties: lower row first), each with up to
    ``examples`` rows :math:`i` such that :math:`\mathrm{nn}(i) = j`, sorted by :math:`c_i`
    descending (ties: lower row first) — the rule of the paper's figure code
    (``most_frequent_self_similar_tokens``, 3 tokens × 3 examples). The paper gives no threshold
    on :math:`n_j`.

    ``nearest`` is a :class:`repcap.similarity.PairStats` (or any object with ``nn_index``,
    ``nn_cos`` and optionally ``sample_index``): ``nn_index[k]`` is the row of ``emb`` nearest to
    the k-th analysed row (negative for dropped zero rows) and ``nn_cos[k]`` its cosine; the k-th
    analysed row is ``sample_index[k]`` after a sampled pass, else row k itself. A sampled pass
    counts choices among the sampled rows only.

    ``skip`` (a boolean mask over the vocabulary, e.g.
    :func:`~repcap.studies.token_lookup.placeholder_mask`) removes rows from the count both as choosers
    and as chosen tokens.
    """
    nn_index = np.asarray(nearest.nn_index, dtype=np.int64).ravel()
    nn_cos = np.asarray(nearest.nn_cos, dtype=np.float64).ravel()
    if nn_index.shape != nn_cos.shape:
        raise EmbeddingError(f"nn_index has {nn_index.size} entries but nn_cos has {nn_cos.size}")
    sample = getattr(nearest, "sample_index", None)
    rows = np.arange(nn_index.size) if sample is None else np.asarray(sample, dtype=np.int64).ravel()
    if rows.shape != nn_index.shape:
        raise EmbeddingError(f"sample_index has {rows.size} entries but nn_index has {nn_index.size}")
    if top < 1 or examples < 0:
        raise EmbeddingError(f"top must be ≥ 1 and examples ≥ 0, got top={top}, examples={examples}")
    tokens = token_strings(emb)
    biggest = max(int(nn_index.max(initial=-1)), int(rows.max(initial=-1)))
    if biggest >= len(tokens):
        raise EmbeddingError(f"nn_index refers to row {biggest} but the vocabulary has "
                             f"{len(tokens)} rows; pass the nearest neighbours of this embedding")
    convention = token_convention(tokens)
    chose = np.flatnonzero(nn_index >= 0)
    if skip is not None:
        skip = np.asarray(skip, dtype=bool).ravel()
        if skip.size != len(tokens):
            raise EmbeddingError(f"skip has {skip.size} entries but the vocabulary has {len(tokens)}")
        chose = chose[~skip[rows[chose]] & ~skip[nn_index[chose]]]
    counts = np.bincount(nn_index[chose], minlength=len(tokens))
    order = np.lexsort((np.arange(counts.size), -counts))
    out = []
    for j in order[:top]:
        if counts[j] == 0:
            break
        who = chose[nn_index[chose] == j]
        who = who[np.lexsort((rows[who], -nn_cos[who]))][:examples]
        ex = tuple(neighbour_at(tokens, convention, int(rows[k]), float(nn_cos[k])) for k in who)
        out.append(PrimaryToken(token=tokens[j], index=int(j), count=int(counts[j]), examples=ex,
                                text=strip_marker(tokens[j], convention)))
    return out


def _parse_pair(pair) -> tuple[str, str]:
    if isinstance(pair, str):
        parts = pair.split("-")
        if len(parts) != 2 or not all(parts):
            raise TokenNotFoundError(f"pair {pair!r} must read 'word-word'")
        return parts[0], parts[1]
    a, b = pair
    return str(a), str(b)


def pair_cosines(emb, pairs=SEMANTIC_PAIRS, *, controls=CONTROL_PAIRS, form: str = "word",
                 missing: str = "skip") -> list[PairCosine]:
    r"""Cosine :math:`\cos(x_a, x_b)` (float64) for word pairs, the controls last.

    ``pairs`` and ``controls`` are ``(a, b)`` tuples or ``"a-b"`` strings; by default the paper's
    Figure 3b pairs yes–no, cat–dog, car–bus, school–class and the control quick–un. With
    ``missing="skip"`` a pair with a word absent from the vocabulary is left out (see
    :func:`~repcap.studies.token_lookup.missing_words`); ``"raise"`` raises
    :class:`~repcap.errors.TokenNotFoundError`.
    """
    if missing not in ("raise", "skip"):
        raise TokenNotFoundError(f"missing must be 'raise' or 'skip', got {missing!r}")
    idx = TokenIndex(emb)
    out = []
    for items, control in ((pairs, False), (controls or (), True)):
        for pair in items:
            a, b = _parse_pair(pair)
            try:
                ma = find_token(emb, a, form=form, index=idx)
                mb = find_token(emb, b, form=form, index=idx)
            except TokenNotFoundError:
                if missing == "raise":
                    raise
                continue
            xa, xb = unit_rows(emb, [ma.index, mb.index])
            out.append(PairCosine(a=ma, b=mb, cos=float(xa @ xb), control=control))
    return out


def lexical_groups(emb, primaries: Sequence[PrimaryToken]) -> list[tuple[str, int, list[tuple[str, float]]]]:
    """:func:`primary_tokens` results as ``(label, count, [(example label, cos), ...])`` for
    :func:`repcap.book.plots.embeddings.lexical_groups` (space markers shown as ␣)."""
    convention = token_convention(token_strings(emb))
    return [(display_token(p.token, convention), p.count,
             [(display_token(e.token, convention), e.cos) for e in p.examples]) for p in primaries]
