"""What a sweep of trained toy models shows, one row or point per model: chapter 1's tables and curves.

From a :class:`repcap.studies.toy_model.ToyModelRun` (one model per sparsity ``S``):
:func:`geometry_table` (how many features each model represents, their dimensionality and overlaps,
the loss against the best model without superposition), :func:`sparsity_curves` (those against the
inverse density ``1/(1−S)``) and :func:`cosine_summary` (how the represented directions overlap,
against the Welch floor ``√((k−m)/(m(k−1)))``); and the arrays the chapter's figures draw:
:func:`gallery` (``WᵀW``, norms, interference), :func:`represented_dimensionalities` (every ``D_i``)
and :func:`cosine_panels` (cosines of represented directions beside the random-direction law).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from repcap.errors import ToyModelError
from repcap.geometry.bounds import welch_floor
from repcap.studies.collisions import density_curve
from repcap.studies.feature_geometry import (dimensions_per_feature, feature_dimensionality, feature_gram,
                                             feature_norms, interference, pairwise_cosines, represented,
                                             represented_cosines)
from repcap.studies.toy_model import ToyModelRun, evaluate_loss, no_superposition_loss


def geometry_table(run: ToyModelRun, threshold: float = 0.5, n_eval: int = 20000,
                   seed: int = 12345, min_active: int = 20000) -> list[dict[str, float]]:
    """One row per instance summarising what the model learned.

    Columns: ``sparsity`` S; ``inverse_density`` 1/(1−S); ``represented`` = #{i : ‖W_i‖ > threshold};
    ``sum_dimensionality`` Σ_i D_i (≤ m); ``dimensions_per_feature`` D* = m/‖W‖_F²;
    ``max_abs_cos`` = max |cos_ij| and ``mean_sq_cos`` = mean cos²_ij over the pairs i < j of
    represented features (NaN with fewer than two);
    ``antipodal_pairs`` = #{i < j represented : cos_ij < −0.9};
    ``loss`` (:func:`~repcap.studies.toy_model.evaluate_loss` with ``n_eval`` and ``min_active``) and
    ``no_superposition_loss`` (closed form).
    """
    losses = evaluate_loss(run, n_samples=n_eval, seed=seed, min_active=min_active)
    rows = []
    for k in range(len(run)):
        W = run.W[k]
        mask = represented(W, threshold)
        n_rep = int(mask.sum())
        if n_rep >= 2:
            cos = pairwise_cosines(W[:, mask].T)
            max_abs, mean_sq, antipodal = float(np.abs(cos).max()), float((cos**2).mean()), int((cos < -0.9).sum())
        else:
            max_abs, mean_sq, antipodal = float("nan"), float("nan"), 0
        S = float(run.sparsities[k])
        rows.append({
            "sparsity": S,
            "inverse_density": 1.0 / (1.0 - S),
            "represented": n_rep,
            "sum_dimensionality": float(feature_dimensionality(W).sum()),
            "dimensions_per_feature": float(dimensions_per_feature(W)),
            "max_abs_cos": max_abs,
            "mean_sq_cos": mean_sq,
            "antipodal_pairs": antipodal,
            "loss": float(losses[k]),
            "no_superposition_loss": no_superposition_loss(run.importance, S, run.n_hidden),
        })
    return rows


# --------------------------------------------------------------------------------------------
# Summaries of a sweep (what the chapter prints and plots)
# --------------------------------------------------------------------------------------------

def sparsity_curves(table: Sequence[dict], n_hidden: int) -> dict[str, np.ndarray]:
    """Superposition against sparsity for one sweep: the two curves of the chapter's Figure 1.4.

    From the rows of :func:`geometry_table` (one per model ``k`` of a run with ``m = n_hidden``):

    .. math:: x_k = \\frac{1}{1 - S_k}, \\qquad
              r_k = \\frac{\\#\\{i : \\lVert W_i \\rVert > t\\}}{m}, \\qquad
              \\ell_k = \\frac{L_k}{L_{\\text{no-sup}}(S_k)},

    returned as arrays under ``inverse_density``, ``represented_per_dim`` and ``loss_ratio``.
    ``r_k > 1`` means more features than dimensions; ``ℓ_k < 1`` means superposition pays.
    """
    rows = list(table)
    return {"inverse_density": np.array([r["inverse_density"] for r in rows]),
            "represented_per_dim": np.array([r["represented"] for r in rows]) / n_hidden,
            "loss_ratio": np.array([r["loss"] / r["no_superposition_loss"] for r in rows])}


def cosine_summary(run: ToyModelRun, indices: Sequence[int], *, threshold: float = 0.5,
                   near: float = 0.1, antipodal: float = -0.9) -> list[dict[str, float]]:
    """How the represented directions of selected models overlap, one row per model index.

    For model ``k`` with ``k_r`` represented features in ``R^m`` and their pairwise cosines ``c``
    (:func:`~repcap.studies.feature_geometry.represented_cosines`): ``inverse_density`` 1/(1−S_k);
    ``represented`` k_r; ``pairs`` k_r(k_r−1)/2; ``near_orthogonal`` the share with ``|c| < near``;
    ``antipodal`` the share with ``c < antipodal``; ``max_abs_cos`` max |c| (shares and maximum NaN
    without pairs); and ``welch`` the Welch floor

    .. math:: \\sqrt{\\frac{k_r - m}{m (k_r - 1)}}

    (:func:`repcap.geometry.bounds.welch_floor`; 0 when ``k_r ≤ m``, where orthogonal directions fit), below
    which no ``k_r`` unit vectors in ``R^m`` can push their largest ``|cos|``.
    """
    rows = []
    for k in indices:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not -len(run) <= k < len(run):
            raise ToyModelError(f"model index {k!r} is out of range for a run of {len(run)} models")
        W = run.W[k]
        cos = represented_cosines(W, threshold)
        n_rep = int(represented(W, threshold).sum())
        floor = float(welch_floor(n_rep, run.n_hidden)) if n_rep > run.n_hidden else 0.0
        rows.append({"inverse_density": 1.0 / (1.0 - float(run.sparsities[k])), "represented": n_rep,
                     "pairs": int(cos.size),
                     "near_orthogonal": float((np.abs(cos) < near).mean()) if cos.size else float("nan"),
                     "antipodal": float((cos < antipodal).mean()) if cos.size else float("nan"),
                     "max_abs_cos": float(np.abs(cos).max()) if cos.size else float("nan"), "welch": floor})
    return rows


# --------------------------------------------------------------------------------------------
# What the chapter's figures draw
# --------------------------------------------------------------------------------------------

def gallery(run: ToyModelRun) -> dict[str, list[np.ndarray]]:
    """Figure 1.3's arrays, one entry per model: ``grams`` ``WᵀW``
    (:func:`~repcap.studies.feature_geometry.feature_gram`), ``norms`` ``‖W_i‖`` and ``interference``
    ``Σ_{j≠i}(Ŵ_i·W_j)²`` (:func:`~repcap.studies.feature_geometry.interference`)."""
    return {"grams": [feature_gram(W) for W in run.W], "norms": [feature_norms(W) for W in run.W],
            "interference": [interference(W) for W in run.W]}


def represented_dimensionalities(run: ToyModelRun, threshold: float = 0.5) -> list[np.ndarray]:
    """Per model, the dimensionality ``D_i = ‖W_i‖⁴ / Σ_j (W_i·W_j)²``
    (:func:`~repcap.studies.feature_geometry.feature_dimensionality`) of its represented features
    (``‖W_i‖ > threshold``), in feature order."""
    return [feature_dimensionality(W)[represented(W, threshold)] for W in run.W]


def cosine_panels(run: ToyModelRun, indices: Sequence[int], *, threshold: float = 0.5,
                  points: int = 801) -> list[dict[str, np.ndarray]]:
    """Per selected model: ``cosines`` between its represented directions
    (:func:`~repcap.studies.feature_geometry.represented_cosines`), and ``t``/``pdf``, the density of
    the cosine of two random directions in the same ``R^m``
    (:func:`~repcap.studies.collisions.density_curve`) for reference."""
    t, pdf = density_curve(run.n_hidden, points)
    return [{"cosines": represented_cosines(run.W[k], threshold), "t": t, "pdf": pdf} for k in indices]
