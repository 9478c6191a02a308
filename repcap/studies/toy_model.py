"""The toy model of superposition: its data, its loss, a closed-form baseline, and its training.

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

Torch is imported inside the functions that train with it, so importing this module is cheap. The
geometry of the trained weights is read by :mod:`repcap.studies.feature_geometry`, a sweep of trained
models is summarised by :mod:`repcap.studies.toy_sweep`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Sequence

import numpy as np

from repcap.common.checks import check_int
from repcap.common.devices import resolve_device, torch_threads
from repcap.common.progress import iterate
from repcap.errors import EmbeddingError, ToyModelError
from repcap.studies.feature_geometry import as_weights

#: An int ≥ 1 or a ToyModelError (``2.0`` is refused: these are counts typed as ints).
check_positive_int = partial(check_int, minimum=1, error=ToyModelError, integral_floats=False)


# --------------------------------------------------------------------------------------------
# The data, the loss and a closed-form baseline
# --------------------------------------------------------------------------------------------

def importance_weights(n_features: int, decay: float = 1.0) -> np.ndarray:
    """Feature importances ``I_i = decay^i`` for ``i = 0 … n−1`` (1 for all when ``decay = 1``)."""
    check_positive_int("n_features", n_features)
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
    check_positive_int("count", count)
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
    check_positive_int("n_samples", n_samples)
    check_positive_int("n_features", n_features)
    _check_sparsity(sparsity)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    p = 1.0 - float(sparsity)
    u = gen.random((n_samples, n_features))
    return np.where(u < p, u / p, 0.0)


def reconstruct(W: Any, b: Any, x: Any) -> np.ndarray:
    """The toy model's output ``x' = ReLU(WᵀW x + b)`` for a batch ``x`` of shape (batch, n).

    ``W`` has shape (m, n) and ``b`` shape (n,); float64 throughout.
    """
    Wa = as_weights(W)
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
    check_positive_int("n_hidden", n_hidden)
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
        ``"cpu"`` (the default), ``"cuda"``, ``"cuda:N"``, ``"mps"``: checked by
        :func:`repcap.common.devices.resolve_device` (a :class:`~repcap.errors.DeviceError` before
        any work when torch cannot use it).
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

    check_positive_int("n_features", n_features)
    check_positive_int("n_hidden", n_hidden)
    check_positive_int("steps", steps)
    check_positive_int("batch_size", batch_size)
    if not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
        raise ToyModelError(f"lr must be a positive number, got {lr!r}")
    S = np.asarray(list(sparsities), dtype=np.float64)
    if S.ndim != 1 or S.size == 0:
        raise ToyModelError("sparsities must be a non-empty list of numbers in [0, 1)")
    for s in S:
        _check_sparsity(float(s))
    check_positive_int("restarts", restarts)
    if threads is not None:
        check_positive_int("threads", threads)
    dev = resolve_device(device)  # a device torch cannot use fails here, before any work
    importance = importance_weights(n_features, importance_decay)

    gen = torch.Generator(device=dev).manual_seed(int(seed))
    S_all = np.repeat(S, restarts)  # restarts of one sparsity are neighbours
    n_inst = int(S_all.size)
    std = math.sqrt(2.0 / (n_hidden + n_features))
    W = (torch.randn(n_inst, n_hidden, n_features, generator=gen, device=dev) * std).requires_grad_()
    b = torch.zeros(n_inst, n_features, device=dev, requires_grad=True)
    imp = torch.as_tensor(importance, dtype=torch.float32, device=dev)
    density = torch.as_tensor(1.0 - S_all, dtype=torch.float32, device=dev)[:, None, None]

    with torch_threads(threads if dev.type == "cpu" else None):
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
                  "device": str(dev), "threads": threads},
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
    bar = iterate(range(steps), f"toy models ({n_inst} × n={n_features}, m={n_hidden})",
                  enabled=progress)
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
                bar.set_postfix(loss=f"{values.sum():.4g}", refresh=False)
    finally:
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
    check_positive_int("n_samples", n_samples)
    check_positive_int("min_active", min_active)
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


def _check_sparsity(value: float) -> None:
    if not (isinstance(value, (int, float, np.floating)) and 0 <= value < 1):
        raise ToyModelError(f"sparsity S must be in [0, 1) (the probability that a feature is zero; "
                            f"S = 1 would mean no data), got {value!r}")
