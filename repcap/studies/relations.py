r"""Token relationships in an embedding matrix: lookup, nearest tokens, primary tokens, analogies.

Everything here reads cosines between unit-normalised rows,

.. math:: \cos(x_i, x_j) = \frac{\langle x_i, x_j\rangle}{\lVert x_i\rVert\,\lVert x_j\rVert},

over the *non-zero* rows of :math:`E \in \mathbb{R}^{V\times d}` (a zero row has no direction and
is never a neighbour, as in the paper's code). It serves the paper's §2.3 (Figures 3 and 4):

* **Token lookup across tokenizer conventions.** The same word is ``king`` in a WordPiece vocabulary
  (BERT, MiniLM) or a word list (GloVe, spaCy), ``Ġking`` in a byte-level BPE vocabulary (GPT-2,
  Llama 3, SmolLM2) and ``▁king`` in a SentencePiece vocabulary (Llama 2, Gemma); the bare string
  ``king`` also exists there, as a piece *inside* a word. :func:`find_token` resolves a word in
  one of two forms: ``"word"`` (the word-initial token when the vocabulary marks word starts,
  else the word itself) or ``"bare"`` (the exact string, which is what the paper's code looked up
  with ``tokenizer.convert_tokens_to_ids(word)``).
* **Primary tokens** (:func:`primary_tokens`): with :math:`\mathrm{nn}(i) = \arg\max_{j\ne i}
  \cos(x_i, x_j)`, the tokens :math:`j` with the largest counts :math:`|\{i : \mathrm{nn}(i) =
  j\}|`, each with the tokens that chose it, closest first (the paper's figure code: 3 tokens with
  3 examples each).
* **Pair cosines** (:func:`pair_cosines`) for semantic pairs such as the paper's yes–no, cat–dog,
  car–bus, school–class and the control quick–un.
* **Analogies** (:func:`analogy`): the nearest rows to :math:`\hat q = q/\lVert q\rVert`,
  :math:`q = \hat x_a - \hat x_b + \hat x_c` (king − man + woman), top 40, minus every token whose
  text contains "king", "woman" or "women" once the tokenizer's space marker is stripped.

Scores are computed blockwise in float32 (never a :math:`V\times V` matrix) and the candidates are
re-ranked in float64, so orderings agree with an exact float64 computation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from repcap.errors import EmbeddingError, TokenNotFoundError

__all__ = [
    "PLACEHOLDER_PATTERN",
    "placeholder_mask",
    "CONVENTIONS",
    "SPACE_MARKERS",
    "SEMANTIC_PAIRS",
    "CONTROL_PAIRS",
    "ANALOGY_EXCLUDE",
    "TokenMatch",
    "Neighbour",
    "PrimaryToken",
    "PairCosine",
    "Analogy",
    "token_convention",
    "strip_marker",
    "display_token",
    "find_token",
    "find_tokens",
    "missing_words",
    "unit_rows",
    "nearest_tokens",
    "primary_tokens",
    "pair_cosines",
    "analogy",
    "analogy_survey",
    "analogy_bars",
    "lexical_groups",
]

CONVENTIONS = ("wordpiece", "byte_bpe", "sentencepiece", "words")
# The character a vocabulary puts in front of a word-initial token.
SPACE_MARKERS = {"byte_bpe": "Ġ", "sentencepiece": "▁"}
# The paper's Figure 3b pairs (code: 'yes-no', 'cat-dog', 'car-bus', 'school-class'), and its
# unrelated control 'quick-un'.
SEMANTIC_PAIRS = (("yes", "no"), ("cat", "dog"), ("car", "bus"), ("school", "class"))
CONTROL_PAIRS = (("quick", "un"),)
# Figure 4's filter: tokens containing these (case-insensitive) are removed from the analogy list.
ANALOGY_EXCLUDE = ("king", "woman", "women")
FORMS = ("word", "bare")
_BLOCK = 1 << 15  # rows per float32 block: 32768 × 640 × 4 B ≈ 84 MB at Gemma's width


@dataclass(frozen=True)
class TokenMatch:
    """A word resolved to a row: ``token`` is the vocabulary string, ``index`` its row."""

    word: str
    token: str
    index: int
    form: str


@dataclass(frozen=True)
class Neighbour:
    """One row and its cosine with a query (``text`` is the token without its space marker)."""

    token: str
    index: int
    cos: float
    text: str


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


# --------------------------------------------------------------------------------------------
# tokenizer conventions and lookup
# --------------------------------------------------------------------------------------------

def _tokens(emb) -> list[str]:
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


class _Index:
    """First row of every token string, and the convention; built once per call site."""

    def __init__(self, emb):
        tokens = _tokens(emb)
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


def find_token(emb, word: str, *, form: str = "word", index: _Index | None = None) -> TokenMatch:
    """Resolve ``word`` to a row of ``emb``.

    ``form="word"``: the word-initial token (``Ġword`` for byte-level BPE, ``▁word`` for
    SentencePiece), falling back to the bare string; for WordPiece and word lists the word itself.
    ``form="bare"``: the exact string only (the paper's ``convert_tokens_to_ids(word)``).
    Matching is exact and case-sensitive; the first row holding the string wins.

    Raises :class:`~repcap.errors.TokenNotFoundError` when no candidate string is in the
    vocabulary, or when its row is all zeros (it has no direction).
    """
    idx = index or _Index(emb)
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
    idx = _Index(emb)
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


# --------------------------------------------------------------------------------------------
# cosine scans
# --------------------------------------------------------------------------------------------

def _matrix(emb) -> np.ndarray:
    return emb.matrix if hasattr(emb, "matrix") else np.asarray(emb, dtype=np.float32)


def unit_rows(emb, rows: Sequence[int]) -> np.ndarray:
    r"""The unit vectors :math:`\hat x_i = x_i/\lVert x_i\rVert` of the given rows, float64."""
    m = _matrix(emb)
    x = np.asarray(m[np.asarray(rows, dtype=np.int64)], dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise EmbeddingError("a requested row is all zeros and has no direction")
    return x / norms


def _scan(matrix: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Approximate cosines of every row with the unit query, one float32 pass over the matrix.

    Dot products and row norms come from the same block read; their error (~1e-6) is far below
    the re-ranking margin of :func:`_top`. Zero rows get -inf, so they are never chosen.
    """
    q32 = q.astype(np.float32)
    out = np.empty(matrix.shape[0], dtype=np.float64)
    for s in range(0, matrix.shape[0], _BLOCK):
        block = np.asarray(matrix[s:s + _BLOCK], dtype=np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        dots = block @ q32
        with np.errstate(divide="ignore", invalid="ignore"):
            out[s:s + _BLOCK] = np.where(norms > 0, dots / norms, -np.inf)
    return out


def _exact(matrix: np.ndarray, q: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """float64 cosines of the given (non-zero) rows with the unit query."""
    x = np.asarray(matrix[rows], dtype=np.float64)
    return (x @ q) / np.sqrt(np.einsum("ij,ij->i", x, x))


def _top(matrix, approx: np.ndarray, q, k: int, exclude: set[int]) -> list[tuple[int, float]]:
    """The ``k`` rows with the largest cosine to unit ``q`` (float64 order), minus ``exclude``."""
    approx = approx.copy()
    for i in exclude:
        approx[i] = -np.inf
    valid = int(np.isfinite(approx).sum())
    k = min(k, valid)
    if k <= 0:
        return []
    # float32 scores are within ~1e-6 of the truth: take a margin of candidates, re-rank exactly.
    m = min(valid, k + 64)
    cand = np.argpartition(-approx, m - 1)[:m]
    cand = cand[np.isfinite(approx[cand])]
    exact = _exact(matrix, q, cand)
    order = np.lexsort((cand, -exact))[:k]
    return [(int(cand[o]), float(exact[o])) for o in order]


def _neighbour(tokens, convention, i: int, cos: float) -> Neighbour:
    tok = tokens[i] if tokens is not None else str(i)
    return Neighbour(token=tok, index=i, cos=cos, text=strip_marker(tok, convention))


def nearest_tokens(emb, query, *, k: int = 10, exclude: Iterable[int] = (),
                   form: str = "word") -> list[Neighbour]:
    r"""The ``k`` non-zero rows nearest to ``query`` by cosine, closest first.

    ``query`` is a word (resolved with :func:`find_token`, its own row excluded), a row index (also
    excluded) or a vector :math:`q \in \mathbb{R}^d`. Returns rows :math:`i` sorted by
    :math:`\cos(x_i, q)` descending (ties by row index), computed exactly in float64 for the
    candidates a float32 scan proposes.
    """
    matrix = _matrix(emb)
    tokens = getattr(emb, "tokens", None)
    convention = token_convention(tokens) if tokens is not None else "words"
    excluded = {int(i) for i in exclude}
    if isinstance(query, str):
        match = find_token(emb, query, form=form)
        excluded.add(match.index)
        q = unit_rows(emb, [match.index])[0]
    elif isinstance(query, (int, np.integer)):
        if not 0 <= int(query) < matrix.shape[0]:
            raise EmbeddingError(f"row {query} is outside 0..{matrix.shape[0] - 1}")
        excluded.add(int(query))
        q = unit_rows(emb, [int(query)])[0]
    else:
        q = np.asarray(query, dtype=np.float64).ravel()
        if q.shape[0] != matrix.shape[1]:
            raise EmbeddingError(f"query vector has {q.shape[0]} entries; the matrix has "
                                 f"d = {matrix.shape[1]} columns")
        norm = np.linalg.norm(q)
        if not np.isfinite(norm) or norm == 0:
            raise EmbeddingError("query vector is zero or not finite; it has no direction")
        q = q / norm
    if k < 1:
        raise EmbeddingError(f"k must be at least 1, got {k}")
    best = _top(matrix, _scan(matrix, q), q, k, excluded)
    return [_neighbour(tokens, convention, i, c) for i, c in best]


# --------------------------------------------------------------------------------------------
# primary tokens, pairs, analogies
# --------------------------------------------------------------------------------------------

#: Vocabulary entries reserved for later use, which training never sees, so their rows stay near
#: initialisation and become "hubs" of nearest-neighbour graphs: BERT's ``[unused17]``, Gemma's
#: ``<unused42>``, Llama 3's ``<|reserved_special_token_3|>``, T5's ``<extra_id_0>``, ``[PAD]``.
PLACEHOLDER_PATTERN = re.compile(
    r"^(\[unused\d+\]|<unused\d+>|<\|reserved_special_token_\d+\|>|<extra_id_\d+>|\[PAD\]|<pad>)$")


def placeholder_mask(tokens) -> np.ndarray:
    """Boolean mask of the placeholder tokens (:data:`PLACEHOLDER_PATTERN`) in ``tokens``."""
    return np.fromiter((bool(PLACEHOLDER_PATTERN.match(str(t))) for t in tokens), dtype=bool,
                       count=len(tokens))


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

    ``skip`` (a boolean mask over the vocabulary, e.g. :func:`placeholder_mask`) removes rows from
    the count both as choosers and as chosen tokens.
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
    tokens = _tokens(emb)
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
        ex = tuple(_neighbour(tokens, convention, int(rows[k]), float(nn_cos[k])) for k in who)
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
    :func:`missing_words`); ``"raise"`` raises :class:`~repcap.errors.TokenNotFoundError`.
    """
    if missing not in ("raise", "skip"):
        raise TokenNotFoundError(f"missing must be 'raise' or 'skip', got {missing!r}")
    idx = _Index(emb)
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
    idx = _Index(emb)
    query = tuple(find_token(emb, w, form=form, index=idx) for w in (a, b, c))
    xa, xb, xc = unit_rows(emb, [m.index for m in query])
    q = xa - xb + xc
    norm = np.linalg.norm(q)
    if norm < 1e-6:  # cancellation down to float32 rounding: no direction to search along
        raise EmbeddingError(f"{a} − {b} + {c} is the zero vector; the analogy has no direction")
    q = q / norm
    matrix = _matrix(emb)
    approx = _scan(matrix, q)
    best = _top(matrix, approx, q, top, set())
    candidates = tuple(_neighbour(idx.tokens, idx.convention, i, s) for i, s in best)
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
        s = float(_exact(matrix, q, np.array([m.index]))[0])
        # Rank against the float32 scores, except within a band around s where exact values decide.
        near = np.flatnonzero(np.abs(approx - s) < 1e-4)
        above = int(np.sum(approx > s + 1e-4))
        if near.size:
            above += int(np.sum(_exact(matrix, q, near) > s))
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
    from repcap.errors import RepcapError

    for form in forms:
        if form not in FORMS:
            raise TokenNotFoundError(f"unknown token form {form!r}; use one of {FORMS}")
    results, skipped = [], []
    for model in models:
        try:
            if hasattr(model, "matrix"):
                emb = model
            else:
                if loader is None:
                    from repcap.sources import load_embedding as loader
                emb = loader(model, progress=False)
        except RepcapError as exc:
            skipped.append((str(model), f"not loaded: {exc}"))
            continue
        name = str(getattr(emb, "name", model))
        seen: set[tuple[str, ...]] = set()
        tried: set[tuple] = set()
        index = _Index(emb) if getattr(emb, "tokens", None) is not None else None
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
    labels show the space marker as ␣ (:func:`display_token`), and a bar is highlighted when its
    stripped, lower-cased text equals one of ``highlight``."""
    marks = {h.lower() for h in highlight}
    return [(display_token(k.token, result.convention), k.cos, k.text.lower() in marks)
            for k in result.kept[:n]]


def lexical_groups(emb, primaries: Sequence[PrimaryToken]) -> list[tuple[str, int, list[tuple[str, float]]]]:
    """:func:`primary_tokens` results as ``(label, count, [(example label, cos), ...])`` for
    :func:`repcap.book.plots.embeddings.lexical_groups` (space markers shown as ␣)."""
    convention = token_convention(_tokens(emb))
    return [(display_token(p.token, convention), p.count,
             [(display_token(e.token, convention), e.cos) for e in p.examples]) for p in primaries]
