"""A toy model of superposition and measures of the geometry its features take.

The model is the one of `Elhage et al. (2022), "Toy Models of Superposition"
<https://transformer-circuits.pub/2022/toy_model/index.html>`_: ``n`` sparse input features are
squeezed through ``m < n`` hidden dimensions and read back through the transposed matrix and a ReLU,

.. math::

    h = W x \\in \\mathbb{R}^m, \\qquad x' = \\mathrm{ReLU}(W^\\top W x + b), \\qquad
    L = \\mathbb{E}_x \\sum_{i=1}^{n} I_i\\,(x_i - x'_i)^2,

with ``W ∈ R^{m×n}`` (column ``W_i`` is the direction of feature ``i``), ``b ∈ R^n`` and importances
``I_i = r^i`` (``r ≤ 1``). Each feature is zero with probability ``S`` (the *sparsity*) and otherwise
uniform on ``[0, 1]``, independently. :func:`train_toy_models` trains one such model per sparsity,
all at once as a batch of independent "instances" (as Elhage et al. do), with Adam on CPU or GPU.

The geometry measures take a weight matrix ``W`` of shape ``(m, n)`` (or a stack ``(..., m, n)``)
and compute, in float64:

* norms ``‖W_i‖`` and which features are *represented* (``‖W_i‖`` above a threshold);
* cosines ``cos_ij = W_i·W_j / (‖W_i‖ ‖W_j‖)`` between feature directions;
* the interference ``Σ_{j≠i} (Ŵ_i·W_j)²`` each feature suffers;
* the feature dimensionality ``D_i = ‖W_i‖⁴ / Σ_j (W_i·W_j)²`` (Elhage et al.; the "capacity" of
  `Scherlis et al. 2022 <https://arxiv.org/abs/2210.01892>`_), with ``Σ_i D_i ≤ m``;
* the dimensions per feature ``D* = m / ‖W‖_F²``.

The chapter's first experiment lives here too: :func:`random_collision_counts` counts how many random
directions arrive before the first pair with ``|cos| > ε``, against the Poisson–beta prediction of
:func:`median_collision_count` (built on :func:`repcap.geometry.null.pair_tail`).

Torch is imported inside the functions that train or sample with it, so importing this module is
cheap.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
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


# --------------------------------------------------------------------------------------------
# Geometry of a weight matrix
# --------------------------------------------------------------------------------------------

def _weights(W: Any) -> np.ndarray:
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
    arr = _weights(W)
    return np.einsum("...ki,...kj->...ij", arr, arr)


def feature_norms(W: Any) -> np.ndarray:
    """Length of each feature's direction, ``‖W_i‖ = (Σ_k W_ki²)^{1/2}``; shape (n,) or (..., n)."""
    return np.linalg.norm(_weights(W), axis=-2)


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
    arr = _weights(W)
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


# --------------------------------------------------------------------------------------------
# Random directions: how many fit before two of them collide
# --------------------------------------------------------------------------------------------

def median_collision_count(d: Any, eps: Any) -> np.ndarray | float:
    r"""Predicted median number of random unit vectors in R^d that keep every |cos| ≤ ε.

    Draw independent uniform unit vectors ``v_1, v_2, …`` and let ``K`` be the number drawn before
    the first one that has ``|cos| > ε`` with an earlier one. Each pair fails with probability
    ``p = I_{1−ε²}((d−1)/2, 1/2)`` (:func:`repcap.geometry.null.pair_tail`), and the failures are close to
    independent rare events (Poisson approximation, theory.md §2.2), so

    .. math:: P(K \ge k) = P\bigl(\max_{i<j\le k} |\cos_{ij}| \le \varepsilon\bigr)
              \approx \exp\!\Bigl(-\binom{k}{2}\, p\Bigr),
              \qquad \operatorname{median} K \approx \frac{1 + \sqrt{1 + 8\ln 2 / p}}{2}.

    ``K`` grows like ``p^{−1/2}`` (the birthday problem), the square root of the greedy guarantee
    ``1/p``: random directions need about twice the exponent ``dε²`` that a careful packing needs.
    """
    from repcap.geometry.null import pair_tail

    p = np.asarray(pair_tail(eps, d), dtype=np.float64)
    with np.errstate(divide="ignore"):
        out = 0.5 * (1.0 + np.sqrt(1.0 + 8.0 * math.log(2.0) / p))
    return float(out) if out.ndim == 0 else out


def random_collision_counts(d: int, eps: float, trials: int, *, seed: int = 0,
                            max_vectors: int = 100_000, threads: int | None = 1,
                            progress: bool = False) -> np.ndarray:
    """Measured ``K``: random unit vectors in R^d drawn before the first pair with ``|cos| > ε``.

    For each trial, Gaussian vectors normalised to the sphere are drawn in blocks; a block's cosines
    with all earlier vectors and among themselves are checked in float64, and ``K`` is the index of
    the first vector with some ``|cos(v_i, v_j)| > ε``, ``j < i``, i.e. the first ``K`` vectors all
    satisfy ``|cos| ≤ ε``. Compare with :func:`median_collision_count`.

    Runs on torch's CPU kernels with ``threads`` threads (see :func:`train_toy_models`; the products
    are small, and threading them only costs). Returns an int array of length ``trials``. A trial
    that reaches ``max_vectors`` without a collision raises :class:`ToyModelError`.
    """
    import torch

    _check_positive_int("d", d)
    _check_positive_int("trials", trials)
    _check_positive_int("max_vectors", max_vectors)
    if d < 2:
        raise ToyModelError("d must be at least 2: in one dimension every pair has |cos| = 1")
    if not (isinstance(eps, (int, float)) and 0 < eps < 1):
        raise ToyModelError(f"eps must be in (0, 1), got {eps!r}")
    expected = median_collision_count(d, eps)
    if expected > max_vectors / 2:
        raise ToyModelError(f"about {expected:.3g} random vectors fit at d = {d}, ε = {eps}; that is more "
                            f"than max_vectors / 2 = {max_vectors // 2}; lower d or ε")
    # Blocks of about a quarter of the expected count keep both the wasted work after a collision
    # and the number of Python-level iterations small.
    block = int(min(max(expected / 4, 8), 1024))
    gen = torch.Generator().manual_seed(int(seed))
    counts = np.empty(trials, dtype=np.int64)
    with _torch_threads(threads):
        for t in _progress(range(trials), f"random directions (d={d}, ε={eps})", progress):
            kept = torch.empty((int(min(4 * expected, max_vectors)) + block, d), dtype=torch.float64)
            n_kept = 0
            while True:
                X = torch.randn(block, d, generator=gen, dtype=torch.float64)
                X /= torch.linalg.vector_norm(X, dim=1, keepdim=True)
                bad = torch.tril(X @ X.T, -1).abs().amax(dim=1) > eps
                if n_kept:
                    bad |= (X @ kept[:n_kept].T).abs().amax(dim=1) > eps
                if bool(bad.any()):
                    counts[t] = n_kept + int(torch.argmax(bad.to(torch.uint8)))
                    break
                if n_kept + block > max_vectors:
                    raise ToyModelError(f"no collision among {n_kept} random vectors (d = {d}, ε = {eps}); "
                                        "raise max_vectors")
                if n_kept + block > len(kept):  # a rare long run: grow the buffer
                    kept = torch.cat([kept, torch.empty_like(kept)])
                kept[n_kept:n_kept + block] = X
                n_kept += block
    return counts


def random_count_summary(dims: Sequence[int], eps: float, trials: int, *, seed: int = 0,
                         progress: bool = True) -> dict[str, np.ndarray]:
    """:func:`random_collision_counts` at several dimensions, summarised against the prediction.

    Returns arrays over ``dims``: ``median``, ``q25`` and ``q75`` of the measured ``K`` (``trials``
    per dimension, seeds ``seed + index``), ``mean``, and ``predicted_median`` from
    :func:`median_collision_count`.
    """
    dims = [int(d) for d in dims]
    if not dims:
        raise ToyModelError("dims must list at least one dimension")
    rows = []
    for i, d in enumerate(_progress(dims, f"random directions, ε = {eps}", progress)):
        counts = random_collision_counts(d, eps, trials, seed=seed + i)
        rows.append((np.median(counts), *np.percentile(counts, [25, 75]), counts.mean()))
    arr = np.asarray(rows, dtype=np.float64)
    return {"dims": np.asarray(dims), "median": arr[:, 0], "q25": arr[:, 1], "q75": arr[:, 2],
            "mean": arr[:, 3], "predicted_median": np.atleast_1d(median_collision_count(np.asarray(dims), eps))}


# --------------------------------------------------------------------------------------------
# The data, the loss and a closed-form baseline
# --------------------------------------------------------------------------------------------

def importance_weights(n_features: int, decay: float = 1.0) -> np.ndarray:
    """Feature importances ``I_i = decay^i`` for ``i = 0 … n−1`` (1 for all when ``decay = 1``)."""
    _check_positive_int("n_features", n_features)
    if not 0 < decay <= 1:
        raise ToyModelError(f"importance decay must be in (0, 1], got {decay!r} "
                            "(Elhage et al. use 0.7 for n = 20, 1 for the geometry experiments)")
    return decay ** np.arange(n_features, dtype=np.float64)


def sparsities_from_density(max_inverse_density: float, count: int) -> np.ndarray:
    """Sparsities whose inverse feature density ``1/(1−S)`` is log-spaced from 1 to a maximum.

    .. math:: S_k = 1 - r^{-k/(K-1)}, \\qquad k = 0 … K−1,\\ r = \\texttt{max\\_inverse\\_density},

    so the densest model has ``S = 0`` (every feature always on) and the sparsest has on average
    ``n/r`` active features per input.
    """
    _check_positive_int("count", count)
    if not max_inverse_density >= 1:
        raise ToyModelError(f"max_inverse_density = 1/(1−S) must be ≥ 1, got {max_inverse_density!r}")
    if count == 1:
        return np.zeros(1)
    exponents = np.linspace(0.0, 1.0, count)
    return 1.0 - float(max_inverse_density) ** (-exponents)


def sample_features(n_samples: int, n_features: int, sparsity: float,
                    rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Draw inputs ``x ∈ R^n``: each ``x_i`` is 0 with probability ``S``, else ``U[0, 1]``.

    One uniform ``u`` decides both: ``x_i = u/(1−S)`` if ``u < 1−S`` else 0, and ``u/(1−S)`` given
    ``u < 1−S`` is again uniform on ``[0, 1)``. Returns an ``(n_samples, n_features)`` float64 array.
    """
    _check_positive_int("n_samples", n_samples)
    _check_positive_int("n_features", n_features)
    _check_sparsity(sparsity)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    p = 1.0 - float(sparsity)
    u = gen.random((n_samples, n_features))
    return np.where(u < p, u / p, 0.0)


def reconstruct(W: Any, b: Any, x: Any) -> np.ndarray:
    """The toy model's output ``x' = ReLU(WᵀW x + b)`` for a batch ``x`` of shape (batch, n).

    ``W`` has shape (m, n) and ``b`` shape (n,); float64 throughout.
    """
    Wa = _weights(W)
    if Wa.ndim != 2:
        raise EmbeddingError(f"reconstruct takes one (m, n) matrix, got shape {Wa.shape}")
    ba = np.asarray(b, dtype=np.float64)
    xa = np.asarray(x, dtype=np.float64)
    n = Wa.shape[1]
    if ba.shape != (n,) or xa.ndim != 2 or xa.shape[1] != n:
        raise EmbeddingError(f"shapes do not fit: W {Wa.shape}, b {ba.shape}, x {xa.shape}; "
                             f"need b of shape ({n},) and x of shape (batch, {n})")
    return np.maximum(xa @ Wa.T @ Wa + ba, 0.0)


def toy_loss(W: Any, b: Any, x: Any, importance: Any) -> float:
    """Importance-weighted reconstruction loss on a batch, averaged over the batch.

    .. math:: L = \\frac{1}{B} \\sum_{s=1}^{B} \\sum_{i=1}^{n} I_i\\,(x_{si} - x'_{si})^2,
              \\qquad x' = \\mathrm{ReLU}(W^\\top W x + b).
    """
    xa = np.asarray(x, dtype=np.float64)
    out = reconstruct(W, b, xa)
    imp = np.asarray(importance, dtype=np.float64)
    if imp.shape != (xa.shape[1],):
        raise ToyModelError(f"importance has shape {imp.shape}, expected ({xa.shape[1]},)")
    return float((((xa - out) ** 2) * imp).sum(axis=1).mean())


def no_superposition_loss(importance: Any, sparsity: float, n_hidden: int) -> float:
    """Best expected loss without superposition: the ``m`` most important features get a dimension
    each, every other feature is predicted by its mean through the bias.

    A dedicated feature is reconstructed exactly (``x'_i = ReLU(x_i) = x_i``); a dropped one costs
    its variance. With ``x_i`` = 0 w.p. ``S`` else ``U[0,1]``: ``E x_i = (1−S)/2``,
    ``E x_i² = (1−S)/3``, so

    .. math:: L_{\\text{no-sup}} = \\sum_{i \\notin \\text{top-}m} I_i
              \\left( \\frac{1-S}{3} - \\frac{(1-S)^2}{4} \\right).

    A trained model whose loss is below this has found something better than dedicated
    dimensions, i.e. superposition.
    """
    imp = np.sort(np.asarray(importance, dtype=np.float64))[::-1]
    _check_sparsity(sparsity)
    _check_positive_int("n_hidden", n_hidden)
    p = 1.0 - float(sparsity)
    return float(imp[n_hidden:].sum() * (p / 3.0 - p * p / 4.0))


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------

@dataclass
class ToyModelRun:
    """Trained toy models, one per sparsity (an "instance"), and how they were made.

    Attributes
    ----------
    W : ndarray (instances, m, n)
        Feature directions; ``W[k][:, i]`` is feature ``i`` in instance ``k``.
    b : ndarray (instances, n)
        Output biases.
    sparsities : ndarray (instances,)
        ``S`` of each instance.
    importance : ndarray (n,)
        ``I_i`` shared by all instances.
    loss_steps, loss_history : ndarray (L,), ndarray (L, instances)
        Training-batch loss of each instance at the logged steps.
    settings : dict
        Everything needed to reproduce the run (sizes, steps, batch, lr, seed, device, restarts).
    seconds : float
        Wall-clock training time.
    restart_losses : ndarray (instances, restarts)
        Loss on fresh inputs of every restart of every instance; the kept one is the smallest.
    """

    W: np.ndarray
    b: np.ndarray
    sparsities: np.ndarray
    importance: np.ndarray
    loss_steps: np.ndarray
    loss_history: np.ndarray
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0
    restart_losses: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return int(self.W.shape[2])

    @property
    def n_hidden(self) -> int:
        return int(self.W.shape[1])

    def __len__(self) -> int:
        return int(self.W.shape[0])


def train_toy_models(n_features: int, n_hidden: int, sparsities: Sequence[float], *,
                     importance_decay: float = 1.0, steps: int = 5000, batch_size: int = 1024,
                     lr: float = 1e-3, seed: int = 0, restarts: int = 1, device: str = "cpu",
                     threads: int | None = 1, progress: bool = True) -> ToyModelRun:
    """Train one toy model of superposition per sparsity, all in one batched model.

    Instance ``k`` has its own ``W^{(k)} ∈ R^{m×n}`` and ``b^{(k)} ∈ R^n`` and sees inputs of
    sparsity ``S_k``. The optimised objective is the sum of the instances' losses,

    .. math:: \\mathcal{L} = \\sum_k \\frac{1}{B} \\sum_{s=1}^{B} \\sum_{i=1}^{n}
              I_i \\bigl(x^{(k)}_{si} - \\mathrm{ReLU}(W^{(k)\\top} W^{(k)} x^{(k)}_s + b^{(k)})_i\\bigr)^2,

    whose gradient with respect to one instance's parameters involves that instance alone, so the
    instances train independently (and Adam scales each parameter separately). A fresh batch of
    ``B`` inputs is drawn at every step. ``W`` starts Xavier-normal (std ``√(2/(m+n))``), ``b`` at 0;
    the learning rate follows a cosine decay from ``lr`` to ``lr/20`` over the run, which lets the
    short CPU runs settle.

    A model can stall in a local minimum: a feature whose weights shrink while its bias is negative
    never fires again and stops receiving gradient ("dead" feature), and two features that start on
    the same side of a line may never become an antipodal pair. With ``restarts = r > 1`` every
    sparsity is trained ``r`` times from different initial weights (as extra instances of the same
    batch), and the restart with the smallest loss on fresh inputs (:func:`evaluate_loss`, on a
    sample separate from the default evaluation seed) is kept, as Elhage et al. do.

    Parameters
    ----------
    n_features, n_hidden : int
        ``n`` features and ``m`` hidden dimensions (superposition needs ``m < n``, but any ``m ≥ 1``
        is allowed).
    sparsities : sequence of float in [0, 1)
        One instance per value.
    importance_decay : float in (0, 1]
        ``I_i = importance_decay^i``.
    steps, batch_size : int
        Adam steps and inputs per step and instance.
    lr : float
        Peak learning rate.
    seed : int
        Seeds the initial weights and the data stream (same seed, same device: same result).
    restarts : int
        Independent trainings per sparsity; the best is kept (see above).
    device : str
        ``"cpu"`` or ``"cuda"``.
    threads : int or None
        CPU threads torch may use while training (restored afterwards); ``None`` keeps torch's
        setting. The default 1 is fastest here: each step's tensors are small, and intra-op threads
        cost more than they give, up to ten times more when the cores are shared with other work.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    ToyModelRun
    """
    import torch

    _check_positive_int("n_features", n_features)
    _check_positive_int("n_hidden", n_hidden)
    _check_positive_int("steps", steps)
    _check_positive_int("batch_size", batch_size)
    if not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
        raise ToyModelError(f"lr must be a positive number, got {lr!r}")
    S = np.asarray(list(sparsities), dtype=np.float64)
    if S.ndim != 1 or S.size == 0:
        raise ToyModelError("sparsities must be a non-empty list of numbers in [0, 1)")
    for s in S:
        _check_sparsity(float(s))
    _check_positive_int("restarts", restarts)
    if threads is not None:
        _check_positive_int("threads", threads)
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ToyModelError(f"device {device!r} requested but CUDA is not available; use device='cpu'")
    importance = importance_weights(n_features, importance_decay)

    dev = torch.device(device)
    gen = torch.Generator(device=dev).manual_seed(int(seed))
    S_all = np.repeat(S, restarts)  # restarts of one sparsity are neighbours
    n_inst = int(S_all.size)
    std = math.sqrt(2.0 / (n_hidden + n_features))
    W = (torch.randn(n_inst, n_hidden, n_features, generator=gen, device=dev) * std).requires_grad_()
    b = torch.zeros(n_inst, n_features, device=dev, requires_grad=True)
    imp = torch.as_tensor(importance, dtype=torch.float32, device=dev)
    density = torch.as_tensor(1.0 - S_all, dtype=torch.float32, device=dev)[:, None, None]

    with _torch_threads(threads if dev.type == "cpu" else None):
        logged_steps, logged, seconds = _optimise(W, b, imp, density, steps=steps, batch_size=batch_size,
                                                  lr=float(lr), gen=gen, progress=progress)
    run = ToyModelRun(
        W=W.detach().cpu().numpy().astype(np.float64),
        b=b.detach().cpu().numpy().astype(np.float64),
        sparsities=S_all,
        importance=importance,
        loss_steps=np.asarray(logged_steps),
        loss_history=np.vstack(logged),
        settings={"n_features": n_features, "n_hidden": n_hidden, "importance_decay": importance_decay,
                  "steps": steps, "batch_size": batch_size, "lr": lr, "seed": seed, "restarts": restarts,
                  "device": device, "threads": threads},
        seconds=seconds,
    )
    # A selection sample apart from evaluate_loss's default seed, so that reported losses are not
    # the ones the best restart was chosen on.
    losses = evaluate_loss(run, seed=int(seed) + 1_000_003).reshape(S.size, restarts)
    keep = np.arange(S.size) * restarts + np.argmin(losses, axis=1)
    run.W, run.b, run.sparsities = run.W[keep], run.b[keep], S
    run.loss_history = run.loss_history[:, keep]
    run.restart_losses = losses
    return run


def _optimise(W, b, imp, density, *, steps, batch_size, lr, gen, progress):
    """Adam on the summed instance losses; returns (logged steps, per-instance losses, seconds)."""
    import torch

    n_inst, n_hidden, n_features = W.shape
    dev = W.device
    opt = torch.optim.Adam([W, b], lr=float(lr))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=float(lr) / 20)
    log_every = max(1, steps // 200)
    logged_steps: list[int] = []
    logged: list[np.ndarray] = []
    start = time.perf_counter()
    bar = _progress(range(steps), f"toy models ({n_inst} × n={n_features}, m={n_hidden})", progress)
    try:
        for step in bar:
            u = torch.rand(n_inst, batch_size, n_features, generator=gen, device=dev)
            x = torch.where(u < density, u / density, torch.zeros((), device=dev))
            h = torch.bmm(x, W.transpose(1, 2))
            out = torch.relu(torch.bmm(h, W) + b[:, None, :])
            per_instance = (((x - out) ** 2) * imp).sum(dim=2).mean(dim=1)
            loss = per_instance.sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if step % log_every == 0 or step == steps - 1:
                values = per_instance.detach().cpu().numpy().astype(np.float64)
                if not np.isfinite(values).all():
                    raise ToyModelError(f"training diverged at step {step} (loss is NaN/Inf); "
                                        f"lower lr (now {lr})")
                logged_steps.append(step)
                logged.append(values)
                if progress:
                    bar.set_postfix(loss=f"{values.sum():.4g}", refresh=False)
    finally:
        if progress:
            bar.close()
    return logged_steps, logged, time.perf_counter() - start


def evaluate_loss(run: ToyModelRun, n_samples: int = 20000, seed: int = 12345,
                  min_active: int = 20000) -> np.ndarray:
    """Loss ``L`` of each trained instance on fresh inputs (numpy, float64).

    Independent of the training code path: it re-implements ``x' = ReLU(WᵀWx + b)`` in numpy
    (:func:`reconstruct`) and averages ``Σ_i I_i (x_i − x'_i)²`` over the sample. At high sparsity
    almost every input is all zeros and the loss comes from rare active features, so instance ``k``
    gets ``max(n_samples, ⌈min_active / (n (1 − S_k))⌉)`` inputs — at least ``min_active`` active
    features on average — evaluated in chunks to bound memory. The inputs depend only on ``seed``
    and ``S_k``.
    """
    _check_positive_int("n_samples", n_samples)
    _check_positive_int("min_active", min_active)
    out = np.empty(len(run))
    chunk = 1 << 16
    for k in range(len(run)):
        S = float(run.sparsities[k])
        # One stream per sparsity: models of equal S (restarts) see the same inputs, and a model's
        # loss does not depend on which other models are in the run.
        rng = np.random.default_rng([int(seed), int(round(S * 2**32))])
        total = max(n_samples, math.ceil(min_active / (run.n_features * (1.0 - S))))
        acc, done = 0.0, 0
        while done < total:
            size = min(chunk, total - done)
            x = sample_features(size, run.n_features, S, rng)
            acc += toy_loss(run.W[k], run.b[k], x, run.importance) * size
            done += size
        out[k] = acc / total
    return out


def geometry_table(run: ToyModelRun, threshold: float = 0.5, n_eval: int = 20000,
                   seed: int = 12345, min_active: int = 20000) -> list[dict[str, float]]:
    """One row per instance summarising what the model learned.

    Columns: ``sparsity`` S; ``inverse_density`` 1/(1−S); ``represented`` = #{i : ‖W_i‖ > threshold};
    ``sum_dimensionality`` Σ_i D_i (≤ m); ``dimensions_per_feature`` D* = m/‖W‖_F²;
    ``max_abs_cos`` = max |cos_ij| and ``mean_sq_cos`` = mean cos²_ij over the pairs i < j of
    represented features (NaN with fewer than two);
    ``antipodal_pairs`` = #{i < j represented : cos_ij < −0.9};
    ``loss`` (:func:`evaluate_loss` with ``n_eval`` and ``min_active``) and ``no_superposition_loss``
    (closed form).
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

def sparsity_curves(run: ToyModelRun, table: Sequence[dict]) -> dict[str, np.ndarray]:
    """Superposition against sparsity for one sweep: the two curves of the chapter's Figure 1.4.

    From the rows of :func:`geometry_table` (one per instance ``k`` of ``run``):

    .. math:: x_k = \\frac{1}{1 - S_k}, \\qquad
              r_k = \\frac{\\#\\{i : \\lVert W_i \\rVert > t\\}}{m}, \\qquad
              \\ell_k = \\frac{L_k}{L_{\\text{no-sup}}(S_k)},

    returned as arrays under ``inverse_density``, ``represented_per_dim`` and ``loss_ratio``.
    ``r_k > 1`` means more features than dimensions; ``ℓ_k < 1`` means superposition pays.
    """
    rows = list(table)
    if len(rows) != len(run):
        raise ToyModelError(f"the table has {len(rows)} rows but the run has {len(run)} models; pass "
                            "geometry_table(run) of the same run")
    return {"inverse_density": np.array([r["inverse_density"] for r in rows]),
            "represented_per_dim": np.array([r["represented"] for r in rows]) / run.n_hidden,
            "loss_ratio": np.array([r["loss"] / r["no_superposition_loss"] for r in rows])}


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
    arr = _weights(W)
    mask = represented(arr, threshold)
    return pairwise_cosines(arr[:, mask].T) if mask.sum() >= 2 else np.array([])


def cosine_summary(run: ToyModelRun, indices: Sequence[int], *, threshold: float = 0.5,
                   near: float = 0.1, antipodal: float = -0.9) -> list[dict[str, float]]:
    """How the represented directions of selected models overlap, one row per model index.

    For model ``k`` with ``k_r`` represented features in ``R^m`` and their pairwise cosines ``c``
    (:func:`represented_cosines`): ``inverse_density`` 1/(1−S_k); ``represented`` k_r; ``pairs``
    k_r(k_r−1)/2; ``near_orthogonal`` the share with ``|c| < near``; ``antipodal`` the share with
    ``c < antipodal``; ``max_abs_cos`` max |c| (shares and maximum NaN without pairs); and ``welch``
    the Welch floor

    .. math:: \\sqrt{\\frac{k_r - m}{m (k_r - 1)}}

    (:func:`repcap.geometry.bounds.welch_floor`; 0 when ``k_r ≤ m``, where orthogonal directions fit), below
    which no ``k_r`` unit vectors in ``R^m`` can push their largest ``|cos|``.
    """
    from repcap.geometry.bounds import welch_floor

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
# Argument checks
# --------------------------------------------------------------------------------------------

def _progress(iterable, desc: str, enabled: bool):
    """A tqdm bar over ``iterable`` when enabled; the bare iterable otherwise (tqdm is not even
    imported then, which keeps its notebook-widget warning out of pages that show no bar)."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, mininterval=0.5)


@contextlib.contextmanager
def _torch_threads(threads: int | None):
    """Run a block with torch limited to ``threads`` CPU threads (None: leave the setting alone)."""
    import torch

    if threads is None:
        yield
        return
    _check_positive_int("threads", threads)
    old = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _check_positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ToyModelError(f"{name} must be a positive integer, got {value!r}")


def _check_sparsity(value: float) -> None:
    if not (isinstance(value, (int, float, np.floating)) and 0 <= value < 1):
        raise ToyModelError(f"sparsity S must be in [0, 1) (the probability that a feature is zero; "
                            f"S = 1 would mean no data), got {value!r}")
