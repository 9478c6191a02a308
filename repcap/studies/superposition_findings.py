r"""Chapter 1's findings: random directions, how many fit below an overlap, and the toy models.

The chapter computes its numbers with :mod:`repcap.studies.collisions` (random directions),
:mod:`repcap.studies.toy_model` (training) and :mod:`repcap.studies.toy_sweep` (what each trained
model learned); one findings object per section holds them, shows them as tables and says in words
what they show:

* :class:`CosineLawFindings` (Figure 1.1): per dimension d, the pairwise cosines of random
  directions against the exact law: :math:`d\,\operatorname{Var}(\cos)` (1 by the law) and the
  share of pairs beyond :math:`2/\sqrt d` beside its exact value;
* :class:`CollisionFindings` (Figure 1.2): the number K of random directions drawn before the first
  pair with :math:`|\cos| > \varepsilon`, its median against the Poisson–beta prediction, the
  greedy guarantee 1/p and the best upper bound, and the proven range at Llama 2 7B;
* :class:`ToyModelFindings` (Figure 1.3): the toy models with decaying importance, one
  :func:`~repcap.studies.toy_sweep.geometry_table` row per sparsity, and what the densest and the
  sparsest of them do;
* :class:`GeometrySweepFindings` (Figures 1.4–1.6): the equal-importance sweep, the share of its
  feature dimensionalities on polytope fractions, and the overlaps of three models' directions
  against the Welch floor.

Chapter 1 settles none of the paper's claims (no verdicts). The chapter writes the union of the
sections' records (:func:`repcap.studies.findings.chapter_record`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from repcap.common.formatting import formatted
from repcap.geometry.bounds import log10_greedy_count, log10_upper_bound
from repcap.geometry.null import pair_tail
from repcap.studies.collisions import random_count_summary
from repcap.studies.feature_geometry import polytope_share
from repcap.studies.findings import Findings, Markdown, Table, required
from repcap.studies.random_packing import LLAMA_D, LLAMA_EPS
from repcap.studies.toy_model import ToyModelRun
from repcap.studies.toy_sweep import (cosine_summary, geometry_table, represented_dimensionalities,
                                      sparsity_curves)

__all__ = ["CHAPTER", "POLYTOPE_TOL", "POLYTOPE_REGIME", "CosineLawFindings", "CollisionFindings",
           "ToyModelFindings", "GeometrySweepFindings", "cosine_models"]

CHAPTER = "01_superposition"
#: A feature dimensionality D_i sits on a polytope fraction when it is this close to one.
POLYTOPE_TOL = 0.02
#: Below D* = 3/8, the smallest listed fraction, the features cannot on average sit on the
#: polytopes: only models at or above it count towards the share.
POLYTOPE_REGIME = 3 / 8


def _loss_ratio(row: Mapping) -> float:
    """A model's loss over the best loss without superposition (below 1: superposition pays)."""
    return row["loss"] / row["no_superposition_loss"]


#: One row per trained model (:func:`~repcap.studies.toy_sweep.geometry_table`).
GEOMETRY_COLUMNS = [
    ("S", "sparsity", ".4g"),
    ("1/(1−S)", "inverse_density", ".1f"),
    ("represented", "represented", ""),
    ("Σ D_i", "sum_dimensionality", ".2f"),
    ("D*", "dimensions_per_feature", ".3f"),
    ("max |cos|", "max_abs_cos", ".3f"),
    ("antipodal", "antipodal_pairs", ""),
    ("loss", "loss", ".3g"),
    ("no-sup loss", "no_superposition_loss", ".3g"),
    ("ratio", _loss_ratio, ".3f"),
]
#: One row per model of Figure 1.6 (:func:`~repcap.studies.toy_sweep.cosine_summary`).
COSINE_COLUMNS = [
    ("1/(1−S)", "inverse_density", ".1f"),
    ("features", "represented", ""),
    ("pairs", "pairs", ""),
    ("|cos| < 0.1", "near_orthogonal", ".1%"),
    ("cos < −0.9", "antipodal", ".1%"),
    ("max |cos|", "max_abs_cos", ".3f"),
    ("Welch floor", "welch", ".3f"),
]


@dataclass
class CosineLawFindings(Findings):
    """Figure 1.1's numbers: one row per dimension (``d``, ``pairs``, ``var_times_d``,
    ``beyond_2_over_sqrt_d``, ``exact_beyond``) and how many seeded vectors gave them."""

    chapter = CHAPTER

    rows: list[dict]
    vectors: int = 0
    seed: int = 0

    @classmethod
    def of(cls, panels: Sequence[Mapping], *, vectors: int, seed: int) -> "CosineLawFindings":
        r"""From :func:`~repcap.studies.collisions.random_cosines`: per dimension d with cosines c,
        :math:`d\,\operatorname{Var}(c)`, the share of :math:`|c|` above the cut
        :math:`\min(2/\sqrt d, 1)` and its exact value :math:`p(d, \text{cut})`
        (:func:`~repcap.geometry.null.pair_tail`)."""
        rows = []
        for panel in panels:
            d, cos = panel["d"], panel["cosines"]
            cut = min(2 / np.sqrt(d), 1.0)  # no pair exceeds 1 (d < 4)
            rows.append({"d": d, "pairs": cos.size, "var_times_d": float(cos.var() * d),
                         "beyond_2_over_sqrt_d": float((np.abs(cos) > cut).mean()),
                         "exact_beyond": float(pair_tail(cut, d))})
        return cls(rows, vectors=vectors, seed=seed)

    def tables(self) -> list[Table]:
        return [Table("Pairwise cosines of random directions against the exact law", self.rows,
                      [("d", "d", ""), ("pairs", "pairs", ","), ("d·Var(cos)", "var_times_d", ".4f"),
                       ("P(|cos| > 2/√d)", "beyond_2_over_sqrt_d", ".4f"),
                       ("exact", "exact_beyond", ".4f")])]

    def record(self) -> dict[str, Any]:
        return {"null": self.rows, "null_vectors": self.vectors, "null_seed": self.seed}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "CosineLawFindings":
        return cls(required(record, CHAPTER, "null"), vectors=record.get("null_vectors", 0),
                   seed=record.get("null_seed", 0))


@dataclass
class CollisionFindings(Findings):
    """Figure 1.2's numbers: K, the random directions before the first pair with |cos| > ``eps``
    (median and quartiles over ``trials`` per dimension, the predicted median), and
    ``llama_log10``, log10 of the greedy guarantee and of the best upper bound at Llama 2 7B."""

    chapter = CHAPTER

    eps: float
    trials: int
    dims: list[int]
    median: list[float]
    q25: list[float]
    q75: list[float]
    predicted_median: list[float]
    llama_log10: list[float]

    @classmethod
    def measure(cls, dims: Sequence[int], eps: float, trials: int, *,
                seed: int = 0) -> "CollisionFindings":
        """K measured by :func:`~repcap.studies.collisions.random_count_summary`, and the proven
        range at the paper's Llama 2 7B (d = 4096, ε = 0.0645)."""
        s = random_count_summary(dims, eps, trials, seed=seed, progress=False)
        floats = {key: [float(v) for v in s[key]] for key in ("median", "q25", "q75", "predicted_median")}
        return cls(eps=eps, trials=trials, dims=[int(d) for d in s["dims"]], **floats,
                   llama_log10=[float(log10_greedy_count(LLAMA_D, LLAMA_EPS)),
                                float(log10_upper_bound(LLAMA_D, LLAMA_EPS))])

    def ratio_range(self) -> tuple[float, float]:
        """The smallest and largest measured / predicted median over the dimensions."""
        rel = np.asarray(self.median) / np.asarray(self.predicted_median)
        return float(rel.min()), float(rel.max())

    def tables(self) -> list[Table]:
        rows = [{"d": d, "median": med, "predicted_median": pred, "greedy": 1 / pair_tail(self.eps, d),
                 "upper": 10 ** log10_upper_bound(d, self.eps)}
                for d, med, pred in zip(self.dims, self.median, self.predicted_median)]
        return [Table(f"Random directions before the first pair with |cos| > {self.eps:g}", rows,
                      [("d", "d", ""), ("measured median K", "median", ".1f"),
                       ("predicted", "predicted_median", ".1f"), ("greedy 1/p", "greedy", ".4g"),
                       ("upper bound", "upper", ".4g")])]

    def markdown(self) -> Markdown:
        lo, hi = self.ratio_range()
        low, high = self.llama_log10
        return Markdown(
            f"* Measured / predicted median: {lo:.2f} to {hi:.2f}.\n"
            f"* d = {LLAMA_D}, ε = {LLAMA_EPS} (Llama 2 7B in the paper): at least 10^{low:.2f} "
            f"directions exist (greedy guarantee); no more than 10^{high:.2f} can (best upper bound).")

    def record(self) -> dict[str, Any]:
        counts = {"eps": self.eps, "dims": self.dims, "median": self.median,
                  "predicted_median": self.predicted_median, "trials": self.trials,
                  "q25": self.q25, "q75": self.q75}
        return {"counts": counts, "llama2_7b_band_log10": self.llama_log10}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "CollisionFindings":
        counts = required(record, CHAPTER, "counts")
        return cls(**{k: counts.get(k, []) for k in ("eps", "trials", "dims", "median", "q25", "q75",
                                                     "predicted_median")},
                   llama_log10=required(record, CHAPTER, "llama2_7b_band_log10"))


def cosine_models(count: int) -> list[int]:
    """The models of a sweep of ``count`` whose cosines the chapter shows: the one a quarter of the
    way, the middle one and the sparsest (fewer when ``count`` is small)."""
    return sorted({count // 4, count // 2, count - 1})


@dataclass(kw_only=True)
class _SweepFindings(Findings):
    """A sweep of trained toy models: how they were trained, and one
    :func:`~repcap.studies.toy_sweep.geometry_table` row per model (``table``)."""

    chapter = CHAPTER
    #: The key of the chapter's record that holds this sweep, and what sets it apart (the label).
    key: ClassVar[str] = ""
    kind: ClassVar[str] = ""
    heading: ClassVar[str] = ""

    n: int
    m: int
    steps: int
    seconds: float
    table: list[dict]
    restarts: int = 1
    batch: int = 0
    lr: float = 0.0
    seed: int = 0
    importance_decay: float = 1.0
    threshold: float = 0.5

    @staticmethod
    def _trained(run: ToyModelRun, threshold: float) -> dict[str, Any]:
        s = run.settings
        return {"n": run.n_features, "m": run.n_hidden, "steps": s.get("steps", 0),
                "seconds": run.seconds, "restarts": s.get("restarts", 1),
                "batch": s.get("batch_size", 0), "lr": s.get("lr", 0.0), "seed": s.get("seed", 0),
                "importance_decay": s.get("importance_decay", 1.0), "threshold": threshold,
                "table": geometry_table(run, threshold=threshold)}

    @property
    def models(self) -> int:
        return len(self.table)

    @property
    def label(self) -> str:
        return f"{self.kind}: n = {self.n}, m = {self.m}"

    def column(self, key: str) -> np.ndarray:
        """One column of :attr:`table` as an array, one value per model."""
        return np.array([row[key] for row in self.table])

    def curves(self) -> dict[str, np.ndarray]:
        """Represented features per dimension and the loss ratio against 1/(1−S)
        (:func:`~repcap.studies.toy_sweep.sparsity_curves`)."""
        return sparsity_curves(self.table, self.m)

    def run_text(self) -> Markdown:
        what = f"(n = {self.n}, m = {self.m}, {self.steps} steps) in {self.seconds:.1f} s"
        if self.restarts > 1:
            return Markdown(f"Trained {self.models} × {self.restarts} models {what}; kept the best "
                            "restart of each.")
        return Markdown(f"Trained {self.models} models {what}.")

    def geometry_table(self) -> Table:
        return Table(f"{self.heading} (n = {self.n}, m = {self.m}), trained in this run", self.table,
                     GEOMETRY_COLUMNS)

    def record(self) -> dict[str, Any]:
        return {self.key: asdict(self)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]):
        return super().from_record(required(record, CHAPTER, cls.key))


@dataclass(kw_only=True)
class ToyModelFindings(_SweepFindings):
    """The toy models of Figure 1.3, one per sparsity, with importances decaying along the features."""

    key = "toy"
    kind = "decaying importance"
    heading = "Toy models with decaying importance"

    @classmethod
    def of(cls, run: ToyModelRun, *, threshold: float = 0.5) -> "ToyModelFindings":
        return cls(**cls._trained(run, threshold))

    def tables(self) -> list[Table]:
        return [self.geometry_table()]

    def markdown(self) -> Markdown:
        """What the densest (first) and the sparsest (last) model do with their features."""
        dense, sparse = self.table[0], self.table[-1]
        return Markdown(
            f"* Densest model (S = {dense['sparsity']:g}): {dense['represented']} of {self.n} "
            f"features represented in {self.m} dimensions; largest |cos| between them "
            f"{formatted(dense['max_abs_cos'], '.3f')}; loss / no-superposition loss = "
            f"{_loss_ratio(dense):.3f}.\n"
            f"* Sparsest model (S = {sparse['sparsity']:g}): {sparse['represented']} features "
            f"represented in {self.m} dimensions; loss / no-superposition loss = "
            f"{_loss_ratio(sparse):.3f}.")


@dataclass(kw_only=True)
class GeometrySweepFindings(_SweepFindings):
    """The equal-importance sweep of Figures 1.4–1.6: its models, the share of their feature
    dimensionalities on polytope fractions, and the overlaps of the :attr:`cosine_models`."""

    key = "geometry"
    kind = "equal importance"
    heading = "Equal-importance sweep"

    polytope_regime_models: int = 0
    polytope_regime_features: int = 0
    share_near_polytope_fraction: float | None = None
    cosine_models: list[int] = field(default_factory=list)
    cosines: list[dict] = field(default_factory=list)

    @classmethod
    def of(cls, run: ToyModelRun, *, threshold: float = 0.5) -> "GeometrySweepFindings":
        """The sweep's rows; :func:`~repcap.studies.feature_geometry.polytope_share` over the models
        with D* ≥ :data:`POLYTOPE_REGIME`; :func:`~repcap.studies.toy_sweep.cosine_summary` of the
        models :func:`cosine_models` picks."""
        trained = cls._trained(run, threshold)
        poly = polytope_share(represented_dimensionalities(run, threshold),
                              [r["dimensions_per_feature"] for r in trained["table"]],
                              tol=POLYTOPE_TOL, min_dims_per_feature=POLYTOPE_REGIME)
        picks = cosine_models(len(run))
        return cls(**trained, polytope_regime_models=poly["models"],
                   polytope_regime_features=poly["features"],
                   share_near_polytope_fraction=poly["share"], cosine_models=picks,
                   cosines=cosine_summary(run, picks, threshold=threshold))

    def cosine_table(self) -> Table:
        count = {1: "one", 2: "two", 3: "three"}.get(len(self.cosines), str(len(self.cosines)))
        return Table(f"Overlaps of the represented directions of {count} models", self.cosines,
                     COSINE_COLUMNS)

    def tables(self) -> list[Table]:
        return [self.geometry_table(), self.cosine_table()]

    def markdown(self) -> Markdown:
        """How many features sit on polytope fractions, and the largest Σ_i D_i (never above m)."""
        regime = (f"Models with D* ≥ {Fraction(POLYTOPE_REGIME).limit_denominator(100)}: "
                  f"{self.polytope_regime_models} of {self.models}")
        if self.polytope_regime_features:
            share = (f"{regime}, with {self.polytope_regime_features} represented features; "
                     f"{self.share_near_polytope_fraction:.1%} of these have D_i within "
                     f"{POLYTOPE_TOL} of a polytope fraction.")
        else:
            share = f"{regime}, with no represented feature: no share is counted."
        top = max(r["sum_dimensionality"] for r in self.table)
        return Markdown(f"* {share}\n* Largest Σ_i D_i over the models: {top:.4f} (m = {self.m}).")
