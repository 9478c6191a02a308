r"""Embedding against unembedding (the paper's Appendix C): how a token's input and output rows relate.

For a model whose output layer :math:`U \in \mathbb{R}^{V \times d}` is separate from its input embedding
:math:`E \in \mathbb{R}^{V \times d}` (an *untied* model), token i has two directions, :math:`e_i` and
:math:`u_i`. The paper's Figure 9 is the distribution over tokens of

.. math:: c_i = \cos(e_i, u_i) = \frac{\langle e_i, u_i\rangle}{\lVert e_i\rVert\,\lVert u_i\rVert},

which it finds tightly centred near 0 (the two directions of a token are largely orthogonal), and its
Figure 10 the pairwise cosines among the rows of U. This module computes the :math:`c_i` exactly (float64
accumulation, block by block, so a 150k-token matrix never needs a float64 copy) and summarises them.
For tied models U = E and every :math:`c_i = 1`; the question does not arise.

:func:`appendix_c` runs the whole comparison over a list of models and returns
:class:`UnembeddingFindings` (chapter 6's Appendix C: its table, record and notes);
:func:`untied_availability` says which offline models could take part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repcap import catalog
from repcap.errors import EmbeddingError
from repcap.similarity import exact_moments, sampled_pairs
from repcap.sources import load_embedding
from repcap.studies.capacity_findings import CHAPTER
from repcap.studies.findings import Findings, Markdown, Table, required

__all__ = ["diagonal_cosines", "cosine_histogram", "summarise", "UnembeddingFindings", "appendix_c",
           "untied_availability"]


def diagonal_cosines(embedding, unembedding, *, block: int = 16384) -> np.ndarray:
    r"""Per-token cosine between the embedding row and the unembedding row of the same token.

    .. math:: c_i = \frac{\sum_j E_{ij} U_{ij}}{\sqrt{\sum_j E_{ij}^2}\,\sqrt{\sum_j U_{ij}^2}},
              \qquad i = 1, \dots, \min(V_E, V_U)

    (the first rows of both when one matrix is padded to a longer vocabulary). Returns a float64 array
    with NaN for tokens whose embedding or unembedding row is all zeros (never-trained padding rows).
    Raises :class:`EmbeddingError` when the widths differ or a value is NaN/Inf.
    """
    E = np.asarray(embedding)
    U = np.asarray(unembedding)
    if E.ndim != 2 or U.ndim != 2:
        raise EmbeddingError(f"embedding and unembedding must be 2-D matrices, got shapes {E.shape} and {U.shape}")
    if E.shape[1] != U.shape[1]:
        raise EmbeddingError(f"embedding has width {E.shape[1]} but unembedding {U.shape[1]}; both must be "
                             "V × d_model of the same model")
    if block < 1:
        raise EmbeddingError(f"block must be ≥ 1, got {block}")
    n = min(E.shape[0], U.shape[0])
    out = np.empty(n, dtype=np.float64)
    for start in range(0, n, block):
        stop = min(start + block, n)
        e = np.asarray(E[start:stop], dtype=np.float64)
        u = np.asarray(U[start:stop], dtype=np.float64)
        if not (np.isfinite(e).all() and np.isfinite(u).all()):
            raise EmbeddingError(f"rows {start}–{start + len(e) - 1} contain NaN or Inf; the checkpoint is damaged")
        dot = np.einsum("ij,ij->i", e, u)
        norms = np.sqrt(np.einsum("ij,ij->i", e, e) * np.einsum("ij,ij->i", u, u))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:start + len(e)] = np.where(norms > 0, dot / np.where(norms > 0, norms, 1.0), np.nan)
    return out


def cosine_histogram(values, *, bins: int = 200, value_range: tuple[float, float] = (-1.0, 1.0)):
    """``(counts, edges)`` of the finite values on ``bins`` equal bins over ``value_range`` (the paper: 200 on [−1, 1])."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if bins < 1:
        raise EmbeddingError(f"bins must be ≥ 1, got {bins}")
    return np.histogram(v, bins=bins, range=value_range)


def summarise(values) -> dict:
    r"""Mean, standard deviation, median, 1st and 99th percentiles of the finite values, and

    ``frac_below_0_1`` = the fraction with :math:`|c_i| < 0.1` (nearly orthogonal pairs), ``n`` (finite
    values used) and ``dropped`` (NaN values left out).
    """
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        raise EmbeddingError("no finite cosine to summarise (every row was zero?)")
    q01, med, q99 = np.percentile(finite, [1, 50, 99])
    return {"n": int(finite.size), "dropped": int(v.size - finite.size), "mean": float(finite.mean()),
            "std": float(finite.std()), "median": float(med), "q01": float(q01), "q99": float(q99),
            "frac_below_0_1": float(np.mean(np.abs(finite) < 0.1))}


# -- chapter 6's Appendix C ------------------------------------------------------------------------

_COLUMNS = [
    ("model", "model", ""),
    ("tokens", "n", ",d"),
    ("mean cos(e_i, u_i)", "mean", ".4f"),
    ("sd", "std", ".4f"),
    ("1 %–99 %", lambda r: f"{r['q01']:.3f} … {r['q99']:.3f}", ""),
    ("|cos| < 0.1", "frac_below_0_1", ".1%"),
    ("ε of E", "eps_E", ".4f"),
    ("ε of U", "eps_U", ".4f"),
]


def _histogram(counts, edges) -> dict[str, list[float]]:
    return {"counts": np.asarray(counts).tolist(), "edges": np.asarray(edges).tolist()}


def _pair_histogram(matrix, m: int, seed: int) -> dict[str, list[float]]:
    pairs = sampled_pairs(matrix, m, seed=seed, bins=200, progress=False)
    return _histogram(pairs.counts, pairs.edges)


@dataclass
class UnembeddingFindings(Findings):
    r"""Embedding against unembedding for each untied model of ``models`` (the paper's Appendix C).

    ``models`` maps a model's name to ``diag`` (:func:`summarise` of its :math:`c_i`), ``hist``
    (their 200-bin histogram), ``eps_E`` and ``eps_U`` (exact ε = µ + 2σ of E and of U), and
    ``pairs_E``, ``pairs_U`` (histograms of the pairwise cosines among ``pairs_sample`` sampled
    tokens of each); histograms are ``{"counts", "edges"}``. ``skipped`` lists the models that
    turned out to have no separate output matrix, as ``[name, tied]``.
    """

    chapter = CHAPTER

    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    pairs_sample: int = 0
    skipped: list[list] = field(default_factory=list)

    def tables(self) -> list[Table]:
        if not self.models:
            return []
        rows = [{"model": n, **a["diag"], "eps_E": a["eps_E"], "eps_U": a["eps_U"]}
                for n, a in self.models.items()]
        return [Table("Embedding against unembedding (untied models)", rows, _COLUMNS)]

    def markdown(self) -> Markdown:
        return Markdown("\n".join(f"* {name}: tied={tied}; no separate unembedding, skipped"
                                   for name, tied in self.skipped))

    def record(self) -> dict[str, Any]:
        return {"appendix_c_models": list(self.models), "appendix_c": self.models,
                "appendix_c_pairs_sample": self.pairs_sample, "appendix_c_skipped": self.skipped}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "UnembeddingFindings":
        return cls(required(record, CHAPTER, "appendix_c"),
                   record.get("appendix_c_pairs_sample") or 0,
                   [list(s) for s in record.get("appendix_c_skipped") or []])


def appendix_c(models: Sequence[str], *, pairs_sample: int, seed: int = 0) -> UnembeddingFindings:
    r"""Load each of ``models`` with its output matrix and compare the two (the paper's Figs. 9–10).

    For an untied model: :func:`diagonal_cosines` :math:`c_i = \cos(e_i, u_i)` summarised and
    binned (200 bins on [−1, 1]), the exact ε of E and of U
    (:func:`repcap.similarity.exact_moments`), and the 200-bin histograms of the pairwise cosines
    among ``pairs_sample`` tokens of each, drawn with ``seed``
    (:func:`repcap.similarity.sampled_pairs`). A model without a separate unembedding is listed
    in ``skipped``.
    """
    out = UnembeddingFindings(pairs_sample=pairs_sample)
    for name in models:
        emb = load_embedding(name, with_unembedding=True, progress=False)
        if emb.unembedding is None:
            out.skipped.append([name, emb.tied])
            continue
        diag = diagonal_cosines(emb.matrix, emb.unembedding)
        out.models[name] = {
            "diag": summarise(diag), "hist": _histogram(*cosine_histogram(diag, bins=200)),
            "eps_E": exact_moments(emb.matrix).eps, "eps_U": exact_moments(emb.unembedding).eps,
            "pairs_E": _pair_histogram(emb.matrix, pairs_sample, seed),
            "pairs_U": _pair_histogram(emb.unembedding, pairs_sample, seed)}
    return out


def untied_availability(requested: Sequence[str]) -> Markdown:
    """Which offline models have a separate output layer, and whether the appendix can run."""
    offline = catalog.offline_models()
    lines = [f"* {m['name']}: " + ("ties its output layer to the embedding" if m.get("tied")
                                  else m.get("notes") or "has no output layer")
             for m in offline]
    if not requested and not any(m.get("tied") is False for m in offline):
        lines.append("\nNo untied model is available offline, so this appendix is not reproduced "
                     "in this build. On Colab, the `paper` profile runs it on untied hub models "
                     "(unembedding_models).")
    return Markdown("\n".join(lines))
