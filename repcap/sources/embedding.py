"""The :class:`Embedding` record and the checks every matrix passes before analysis.

An embedding matrix :math:`E \\in \\mathbb{R}^{V \\times d}` holds one row :math:`x_i` per token.
Two row properties matter downstream:

* a row with a NaN or ±Inf entry makes every cosine :math:`\\cos(x_i, x_j) =
  \\langle x_i, x_j\\rangle / (\\lVert x_i\\rVert \\lVert x_j\\rVert)` that touches it undefined, so
  such a matrix is rejected (:class:`~repcap.errors.EmbeddingError`, naming how many rows);
* an all-zero row (:math:`\\lVert x_i\\rVert = 0`, typically an unused or padding token) has no
  direction; it is kept here, counted in :attr:`Embedding.zero_rows`, and dropped later, as the
  paper does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repcap.errors import EmbeddingError

SOURCES = ("hub", "local", "gguf", "offline", "array")


def row_stats(rows: np.ndarray) -> tuple[int, int]:
    """``(non_finite_rows, zero_rows)`` of a block of rows.

    ``non_finite_rows`` = #{i : some x_ij is NaN or ±Inf};
    ``zero_rows`` = #{i : x_ij = 0 for every j}.
    """
    if rows.size == 0:
        return 0, 0
    bad = ~np.isfinite(rows).all(axis=1)
    zero = ~rows.any(axis=1)
    return int(bad.sum()), int((zero & ~bad).sum())


def check_rows(rows: np.ndarray, what: str) -> int:
    """Validate a whole matrix and return its number of all-zero rows.

    Raises :class:`EmbeddingError` when the matrix is not 2-D with at least two rows and two
    columns, or when any row holds NaN/Inf (the message gives the count of such rows).
    """
    if rows.ndim != 2:
        raise EmbeddingError(
            f"{what}: expected a 2-D matrix (vocabulary × d_model), got shape {tuple(rows.shape)}; "
            "pass one row per token")
    if rows.shape[0] < 2 or rows.shape[1] < 2:
        # d = 1 has no angles: every pair is parallel or antiparallel, and ε would be 2.
        raise EmbeddingError(
            f"{what}: shape {tuple(rows.shape)} is too small; an embedding needs at least 2 rows "
            "(V ≥ 2) and 2 columns (d ≥ 2)")
    bad, zero = 0, 0
    step = max(1, (1 << 22) // max(rows.shape[1], 1))  # ~16 MB of float32 per block
    for start in range(0, rows.shape[0], step):
        b, z = row_stats(np.asarray(rows[start:start + step]))
        bad += b
        zero += z
    if bad:
        raise EmbeddingError(non_finite_message(what, bad, rows.shape[0]))
    return zero


def non_finite_message(what: str, bad: int, total: int) -> str:
    return (f"{what}: {bad} of {total} rows contain NaN or Inf values; the checkpoint is corrupt "
            "or was saved in a dtype that overflowed. Re-download it, or drop those rows yourself "
            "and pass the cleaned matrix as an array")


def as_float32_matrix(matrix: Any, what: str = "array") -> np.ndarray:
    """A numpy float32 view/copy of an ndarray, torch tensor or nested sequence (2-D)."""
    if hasattr(matrix, "detach") and hasattr(matrix, "cpu"):  # torch.Tensor without importing torch
        tensor = matrix.detach().cpu()
        if str(tensor.dtype) in ("torch.bfloat16", "torch.float16", "torch.float8_e4m3fn",
                                 "torch.float8_e5m2"):
            tensor = tensor.float()
        matrix = tensor.numpy()
    try:
        array = np.asarray(matrix)
    except Exception as exc:  # ragged lists and the like
        raise EmbeddingError(f"{what}: cannot turn {type(matrix).__name__} into a matrix ({exc})") from exc
    if array.dtype.kind not in "fiub":
        raise EmbeddingError(f"{what}: expected numbers, got dtype {array.dtype}; pass a float matrix")
    return array.astype(np.float32, copy=False)


@dataclass
class Embedding:
    """A model's token-embedding matrix with its tokens and facts.

    ``matrix`` is :math:`E \\in \\mathbb{R}^{V \\times d}` (float32, rows as stored, zero rows kept;
    possibly a read-only memory map of the cache). ``vocab_size`` is :math:`V` (the number of rows,
    which can exceed the tokenizer's size when the vocabulary is padded) and ``d_model`` is
    :math:`d`. ``tied`` says whether the output layer reuses :math:`E` (None when unknown or when
    the notion does not apply, as for static word vectors). ``unembedding`` is the separate output
    matrix :math:`U \\in \\mathbb{R}^{V \\times d}`, set only when asked for and the model is
    untied.
    """

    name: str
    matrix: np.ndarray
    tokens: list[str] | None
    vocab_size: int
    d_model: int
    tied: bool | None
    dtype: str
    source: str
    embedding_tensor: str
    zero_rows: int
    provenance: dict = field(default_factory=dict)
    unembedding: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise EmbeddingError(f"unknown source {self.source!r}; expected one of {SOURCES}")
        if self.matrix.ndim != 2 or self.matrix.shape != (self.vocab_size, self.d_model):
            raise EmbeddingError(
                f"{self.name}: matrix shape {tuple(self.matrix.shape)} does not match "
                f"vocab_size × d_model = {self.vocab_size} × {self.d_model}")
        if self.tokens is not None and len(self.tokens) != self.vocab_size:
            raise EmbeddingError(
                f"{self.name}: {len(self.tokens)} token strings for {self.vocab_size} rows")
        if self.unembedding is not None and self.unembedding.shape[1] != self.d_model:
            raise EmbeddingError(
                f"{self.name}: unembedding has {self.unembedding.shape[1]} columns, "
                f"embedding has {self.d_model}")

    @classmethod
    def from_array(cls, matrix: Any, *, name: str = "array", tokens: list[str] | None = None,
                   tied: bool | None = None) -> "Embedding":
        """Wrap a plain matrix (numpy array, torch tensor, nested list) after validating it.

        Raises :class:`EmbeddingError` for a non-2-D input, NaN/Inf rows, or a token list whose
        length differs from the number of rows.
        """
        source_dtype = str(getattr(matrix, "dtype", "float32")).replace("torch.", "")
        array = as_float32_matrix(matrix, name)
        zero = check_rows(array, name)
        if tokens is not None:
            tokens = [str(t) for t in tokens]
            if len(tokens) != array.shape[0]:
                raise EmbeddingError(
                    f"{name}: {len(tokens)} token strings for {array.shape[0]} rows; pass one "
                    "string per row")
        return cls(name=name, matrix=array, tokens=tokens, vocab_size=int(array.shape[0]),
                   d_model=int(array.shape[1]), tied=tied, dtype=source_dtype, source="array",
                   embedding_tensor="(array)", zero_rows=zero,
                   provenance={"kind": "in-memory array"})

    def info(self) -> dict:
        """The facts as plain JSON-able data (no matrices): what ``repcap info --json`` prints."""
        out = {
            "model": self.name,
            "source": self.source,
            "vocab_size": self.vocab_size,
            "d_model": self.d_model,
            "tied": self.tied,
            "dtype": self.dtype,
            "zero_rows": self.zero_rows,
            "embedding_tensor": self.embedding_tensor,
            "unembedding_tensor": self.provenance.get("unembedding_tensor"),
            "has_unembedding": self.unembedding is not None,
            "tokens": self.tokens is not None,
            "example_tokens": _examples(self.tokens),
            "provenance": _plain(self.provenance),
        }
        return out

    def summary(self) -> list[dict[str, str]]:
        """A short human-readable account of the matrix: rows ``{"field": ..., "value": ...}``.

        Always: model, source, size ``V × d`` (``vocab_size × d_model``), checkpoint dtype, tied
        (``yes``/``no``/``unknown``) and zero rows (count and share :math:`z / V`). Where the
        provenance records them: the licence, the package (name and version) the weights came
        from, the upstream hub id, and the stored precision. No machine paths, unlike :meth:`info`.
        """
        tied = {True: "yes", False: "no", None: "unknown"}[self.tied]
        reason = self.provenance.get("tied_reason")
        rows = [
            ("model", self.name),
            ("source", self.source),
            ("V × d", f"{self.vocab_size:,} × {self.d_model:,}"),
            ("checkpoint dtype", self.dtype),
            ("tied", f"{tied}: {reason}" if reason else tied),
            ("zero rows", f"{self.zero_rows:,} ({100 * self.zero_rows / self.vocab_size:.2f}% of V)"),
        ]
        prov = self.provenance
        config = prov.get("config") if isinstance(prov.get("config"), dict) else {}
        licence = prov.get("licence") or prov.get("license") or config.get("license")
        if licence:
            rows.append(("licence", str(licence)))
        if prov.get("package"):
            version = prov.get("package_version")
            rows.append(("package", f"{prov['package']} {version}" if version else str(prov["package"])))
        if prov.get("upstream_hub_id"):
            rows.append(("upstream hub id", str(prov["upstream_hub_id"])))
        if prov.get("precision"):
            rows.append(("stored precision", str(prov["precision"])))
        return [{"field": f, "value": v} for f, v in rows]

    def token_index(self) -> dict[str, int]:
        """``{token string: first row}`` (empty strings, used for rows without a token, skipped)."""
        if self.tokens is None:
            raise EmbeddingError(f"{self.name}: no token strings are known for this matrix")
        index: dict[str, int] = {}
        for i, tok in enumerate(self.tokens):
            if tok and tok not in index:
                index[tok] = i
        return index


def _examples(tokens: list[str] | None, n: int = 8) -> list[str] | None:
    if tokens is None:
        return None
    picked = [t for t in tokens[: 4 * n] if t][:n]
    return picked


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if hasattr(value, "__fspath__"):
        return str(value)
    return value
