"""The geometry of a toy model's weights: how its features share the hidden dimensions.

The measures take a weight matrix ``W`` of shape ``(m, n)`` (or a stack ``(..., m, n)``), column
``W_i`` the direction of feature ``i`` in the ``m``-dimensional hidden space (:mod:`repcap.studies.toy_model`
trains such matrices; `Elhage et al. (2022), "Toy Models of Superposition"
<https://transformer-circuits.pub/2022/toy_model/index.html>`_), and compute, in float64:

* norms ``‖W_i‖`` and which features are *represented* (``‖W_i‖`` above a threshold);
* cosines ``cos_ij = W_i·W_j / (‖W_i‖ ‖W_j‖)`` between feature directions;
* the interference ``Σ_{j≠i} (Ŵ_i·W_j)²`` each feature suffers;
* the feature dimensionality ``D_i = ‖W_i‖⁴ / Σ_j (W_i·W_j)²`` (Elhage et al.; the "capacity" of
  `Scherlis et al. 2022 <https://arxiv.org/abs/2210.01892>`_), with ``Σ_i D_i ≤ m``;
* the dimensions per feature ``D* = m / ‖W‖_F²``;
* the share of represented features whose ``D_i`` sits on a uniform-polytope fraction
  (:data:`STICKY_FRACTIONS`, :func:`polytope_share`).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from repcap.errors import EmbeddingError, ToyModelError

# Elhage et al. find that D_i clusters at the dimensionalities of uniform polytopes:
# a dedicated dimension (1), tetrahedron (3/4), triangle (2/3), digon/antipodal pair (1/2),
# pentagon (2/5), square antiprism (3/8). Plots draw these as reference levels.
STICKY_FRACTIONS = {
    "dedicated (1)": 1.0,
    "tetrahedron (3/4)": 3 / 4,
    "triangle (2/3)": 2 / 3,
    "antipodal pair (1/2)": 1 / 2,
    "pentagon (2/5)": 2 / 5,
    "square antiprism (3/8)": 3 / 8,
}


def as_weights(W: Any) -> np.ndarray:
    """``W`` as a float64 array of shape (m, n) or (..., m, n), checked: finite, at least one feature and
    one dimension (:class:`~repcap.errors.EmbeddingError` otherwise)."""
    arr = np.asarray(W, dtype=np.float64)
    if arr.ndim < 2:
        raise EmbeddingError(f"a weight matrix must have shape (m, n) or (..., m, n): one column per "
                             f"feature; got shape {arr.shape}. Pass W itself, not a row of it.")
    if arr.shape[-1] == 0 or arr.shape[-2] == 0:
        raise EmbeddingError(f"weight matrix of shape {arr.shape} has no features or no dimensions")
    if not np.isfinite(arr).all():
        raise EmbeddingError("weight matrix contains NaN or Inf; train again with a smaller learning "
                             "rate or check the array that was passed")
    return arr


def feature_gram(W: Any) -> np.ndarray:
    """Gram matrix of the feature directions, ``G = WᵀW``, i.e. ``G_ij = W_i·W_j``.

    Parameters
    ----------
    W : array of shape (m, n) or (..., m, n)
        Column ``W_i`` is the direction of feature ``i`` in the ``m``-dimensional hidden space.

    Returns
    -------
    ndarray of shape (n, n) or (..., n, n), float64
    """
    arr = as_weights(W)
    return np.einsum("...ki,...kj->...ij", arr, arr)


def feature_norms(W: Any) -> np.ndarray:
    """Length of each feature's direction, ``‖W_i‖ = (Σ_k W_ki²)^{1/2}``; shape (n,) or (..., n)."""
    return np.linalg.norm(as_weights(W), axis=-2)


def represented(W: Any, threshold: float = 0.5) -> np.ndarray:
    """Boolean mask of the features the model represents: ``‖W_i‖ > threshold``.

    A feature whose column has (near) zero length is read back as a constant (its bias) and so is
    not represented; trained represented features have ``‖W_i‖ ≈ 1``. The default threshold 0.5
    sits between the two.
    """
    if not threshold > 0:
        raise ToyModelError(f"threshold must be positive, got {threshold!r}")
    return feature_norms(W) > threshold


def feature_cosines(W: Any) -> np.ndarray:
    """Cosines between feature directions, ``cos_ij = W_i·W_j / (‖W_i‖ ‖W_j‖)``.

    Rows and columns of zero-length features are set to 0 (their direction is undefined).

    Returns
    -------
    ndarray of shape (n, n) or (..., n, n), float64; the diagonal is 1 for non-zero features.
    """
    G = feature_gram(W)
    norms = np.sqrt(np.clip(np.einsum("...ii->...i", G), 0.0, None))
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return G * inv[..., :, None] * inv[..., None, :]


def interference(W: Any) -> np.ndarray:
    """How much of the other features each feature's read-out picks up.

    .. math:: \\mathrm{int}_i = \\sum_{j \\ne i} (\\hat W_i \\cdot W_j)^2
              = \\frac{\\sum_{j \\ne i} G_{ij}^2}{G_{ii}}, \\qquad \\hat W_i = W_i / \\lVert W_i \\rVert,

    0 for a zero-length feature. It is the colour of the bars in Elhage et al.'s figures: 0 means
    the feature has a direction of its own, values near ``‖W_i‖²`` mean it shares one.
    """
    G = feature_gram(W)
    diag = np.einsum("...ii->...i", G)
    off = (G**2).sum(axis=-1) - diag**2
    return np.divide(off, diag, out=np.zeros_like(diag), where=diag > 0)


def feature_dimensionality(W: Any) -> np.ndarray:
    """Feature dimensionality of Elhage et al. (2022), the fraction of a dimension each feature gets.

    .. math:: D_i = \\frac{\\lVert W_i \\rVert^2}{\\sum_j (\\hat W_i \\cdot W_j)^2}
              = \\frac{\\lVert W_i \\rVert^4}{\\sum_j (W_i \\cdot W_j)^2}
              = \\frac{G_{ii}^2}{(G^2)_{ii}}, \\qquad G = W^\\top W,

    with ``D_i = 0`` for a zero-length feature. ``D_i = 1`` when feature ``i`` is orthogonal to all
    others; ``D_i = 1 / (1 + Σ_{j≠i} cos²_ij)`` when all represented features have unit length.
    Because ``G_ii² ≤ (G²)_ii · P_ii`` (Cauchy–Schwarz, ``P`` the projector onto the range of ``G``),
    ``Σ_i D_i ≤ rank W ≤ m``.

    Returns
    -------
    ndarray of shape (n,) or (..., n), values in [0, 1].
    """
    G = feature_gram(W)
    diag = np.einsum("...ii->...i", G)
    denom = (G**2).sum(axis=-1)
    return np.divide(diag**2, denom, out=np.zeros_like(diag), where=denom > 0)


def dimensions_per_feature(W: Any) -> np.ndarray | float:
    """Dimensions per feature ``D* = m / ‖W‖_F²`` (Elhage et al.), a scalar per matrix.

    With all represented features of unit length, ``‖W‖_F²`` counts them, so ``D*`` is the number of
    hidden dimensions per represented feature: 1 without superposition, 1/2 for antipodal pairs.
    Infinite for an all-zero matrix.
    """
    arr = as_weights(W)
    m = arr.shape[-2]
    fro2 = (arr**2).sum(axis=(-2, -1))
    out = np.divide(float(m), fro2, out=np.full_like(fro2, np.inf), where=fro2 > 0)
    return float(out) if np.ndim(out) == 0 else out


def pairwise_cosines(vectors: Any) -> np.ndarray:
    """All cosines ``cos(v_i, v_j)`` for ``i < j`` between the rows of ``vectors`` (shape (k, d)).

    .. math:: \\cos(v_i, v_j) = \\frac{v_i \\cdot v_j}{\\lVert v_i \\rVert \\lVert v_j \\rVert},

    returned as a flat float64 array of length ``k(k−1)/2`` (upper triangle of the cosine matrix).
    Used for random vectors and for the represented features of a toy model (pass ``W[:, mask].T``).
    """
    arr = np.asarray(vectors, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 2:
        raise EmbeddingError(f"need a (k, d) array with k ≥ 2 rows, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise EmbeddingError("vectors contain NaN or Inf")
    norms = np.linalg.norm(arr, axis=1)
    if (norms == 0).any():
        raise EmbeddingError(f"{int((norms == 0).sum())} zero vector(s): a zero vector has no direction; "
                             "drop those rows first")
    unit = arr / norms[:, None]
    cos = unit @ unit.T
    iu = np.triu_indices(arr.shape[0], k=1)
    return np.clip(cos[iu], -1.0, 1.0)


def polytope_share(per_feature: Sequence[Any], dims_per_feature: Sequence[float], *,
                   fractions: Sequence[float] | None = None, tol: float = 0.02,
                   min_dims_per_feature: float = 3 / 8) -> dict[str, Any]:
    """Share of represented features whose dimensionality sits on a uniform-polytope fraction.

    Only models with ``D* ≥ min_dims_per_feature`` count (below 3/8, the smallest listed fraction,
    the features cannot on average sit on these polytopes). Over the pooled ``D_i`` of those models,

    .. math:: \\text{share} = \\frac{1}{N} \\sum_{i} \\mathbf{1}\\Big[\\min_{f \\in F} |D_i - f| < \\text{tol}\\Big],

    with ``F`` the fractions (default :data:`STICKY_FRACTIONS`). ``per_feature[k]`` holds the ``D_i``
    of the represented features of model ``k`` (:func:`feature_dimensionality` masked by
    :func:`represented`), ``dims_per_feature[k]`` its ``D*``.

    Returns a dict: ``models`` (how many models qualify), ``features`` (``N``) and ``share`` (NaN
    when ``N = 0``).
    """
    per_feature = [np.asarray(D, dtype=np.float64).ravel() for D in per_feature]
    dims = np.asarray(dims_per_feature, dtype=np.float64).ravel()
    if len(per_feature) != dims.size:
        raise ToyModelError(f"per_feature has {len(per_feature)} models but dims_per_feature has {dims.size}; "
                            "pass one D* per model")
    if not tol > 0:
        raise ToyModelError(f"tol must be positive, got {tol!r}")
    frac = np.asarray(list(STICKY_FRACTIONS.values()) if fractions is None else list(fractions), dtype=np.float64)
    if frac.size == 0:
        raise ToyModelError("fractions is empty: pass at least one polytope fraction")
    regime = [D for D, dstar in zip(per_feature, dims) if dstar >= min_dims_per_feature]
    pooled = np.concatenate(regime) if regime else np.array([])
    if pooled.size == 0:
        return {"models": len(regime), "features": 0, "share": float("nan")}
    near = np.abs(pooled[:, None] - frac[None, :]).min(axis=1) < tol
    return {"models": len(regime), "features": int(pooled.size), "share": float(near.mean())}


def represented_cosines(W: Any, threshold: float = 0.5) -> np.ndarray:
    """Cosines ``cos_ij`` (``i < j``) between the represented features of one model (``‖W_i‖ > threshold``).

    :func:`pairwise_cosines` of ``W[:, mask].T``; an empty array with fewer than two represented features.
    """
    arr = as_weights(W)
    mask = represented(arr, threshold)
    return pairwise_cosines(arr[:, mask].T) if mask.sum() >= 2 else np.array([])
