"""Random directions in R^d: how their cosines spread and how many fit before two collide (chapter 1).

:func:`random_cosines` draws Gaussian directions and returns all their pairwise cosines beside the
exact density ``f_d`` of :func:`repcap.geometry.null.cosine_pdf` (Figure 1.1).

Draw independent uniform unit vectors ``v_1, v_2, …`` in ``R^d`` and let ``K`` be the number drawn
before the first one with ``|cos| > ε`` to an earlier one. :func:`random_collision_counts` measures
``K``; :func:`median_collision_count` predicts its median from the pair tail
``p = I_{1−ε²}((d−1)/2, 1/2)`` of :func:`repcap.geometry.null.pair_tail` (Poisson approximation):

.. math:: \\operatorname{median} K \\approx \\frac{1 + \\sqrt{1 + 8\\ln 2 / p}}{2}.

:func:`count_curves` and :func:`proven_band` put the proven guarantees and ceilings of
:mod:`repcap.geometry.bounds` on the same axes (Figure 1.2).

Torch is imported inside the functions that sample with it, so importing this module is cheap.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, Sequence

import numpy as np

from repcap.common.checks import check_int
from repcap.common.devices import torch_threads
from repcap.common.progress import iterate
from repcap.errors import DomainError
from repcap.geometry.bounds import log10_greedy_count, log10_random_sign_count, log10_upper_bound
from repcap.geometry.null import cosine_pdf, pair_tail
from repcap.studies.feature_geometry import pairwise_cosines

#: An int ≥ 1 or a DomainError (``2.0`` is refused: these are counts typed as ints).
_count = partial(check_int, minimum=1, integral_floats=False)

#: The grid on which the exact cosine density is drawn: open at ±1, where f_d (d < 3) diverges.
DENSITY_GRID = (-0.999, 0.999)


def density_curve(d: int, points: int = 1601) -> tuple[np.ndarray, np.ndarray]:
    """``(t, f_d(t))`` on ``points`` values of :data:`DENSITY_GRID`: the exact density of the cosine of
    two independent uniform directions in R^d (:func:`repcap.geometry.null.cosine_pdf`)."""
    t = np.linspace(*DENSITY_GRID, points)
    return t, cosine_pdf(t, d)


def random_cosines(dims: Sequence[int], vectors: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """All pairwise cosines of ``vectors`` Gaussian directions in each dimension, beside the exact law.

    One generator ``numpy.random.default_rng(seed)`` draws a ``(vectors, d)`` standard normal matrix
    per dimension, in the order of ``dims``; its ``vectors(vectors−1)/2`` cosines
    (:func:`~repcap.studies.feature_geometry.pairwise_cosines`) have the density

    .. math:: f_d(t) = \\frac{\\Gamma(d/2)}{\\sqrt{\\pi}\\,\\Gamma(\\frac{d-1}{2})}\\,(1 - t^2)^{(d-3)/2}.

    Returns one dict per dimension: ``d``, ``cosines``, and ``t``/``pdf`` (:func:`density_curve`).
    """
    rng = np.random.default_rng(seed)
    panels = []
    for d in dims:
        t, pdf = density_curve(d)
        panels.append({"d": d, "cosines": pairwise_cosines(rng.standard_normal((vectors, d))),
                       "t": t, "pdf": pdf})
    return panels


def median_collision_count(d: Any, eps: Any) -> np.ndarray | float:
    r"""Predicted median number of random unit vectors in R^d that keep every |cos| ≤ ε.

    Draw independent uniform unit vectors ``v_1, v_2, …`` and let ``K`` be the number drawn before
    the first one that has ``|cos| > ε`` with an earlier one. Each pair fails with probability
    ``p = I_{1−ε²}((d−1)/2, 1/2)`` (:func:`repcap.geometry.null.pair_tail`), and the failures are close to
    independent rare events (the Poisson approximation of the birthday problem; Arratia, Goldstein
    & Gordon, "Two moments suffice for Poisson approximations", Ann. Probab. 17 (1989) 9–25), so

    .. math:: P(K \ge k) = P\bigl(\max_{i<j\le k} |\cos_{ij}| \le \varepsilon\bigr)
              \approx \exp\!\Bigl(-\binom{k}{2}\, p\Bigr),
              \qquad \operatorname{median} K \approx \frac{1 + \sqrt{1 + 8\ln 2 / p}}{2}.

    ``K`` grows like ``p^{−1/2}`` (the birthday problem), the square root of the greedy guarantee
    ``1/p``: random directions need about twice the exponent ``dε²`` that a careful packing needs.
    """
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

    Runs on torch's CPU kernels with ``threads`` threads (see
    :func:`repcap.studies.toy_model.train_toy_models`; the products are small, and threading them only
    costs). Returns an int array of length ``trials``. A trial that reaches ``max_vectors`` without a
    collision raises :class:`~repcap.errors.DomainError`.
    """
    import torch

    _count("d", d)
    _count("trials", trials)
    _count("max_vectors", max_vectors)
    if threads is not None:
        _count("threads", threads)
    if d < 2:
        raise DomainError("d must be at least 2: in one dimension every pair has |cos| = 1")
    if not (isinstance(eps, (int, float)) and 0 < eps < 1):
        raise DomainError(f"eps must be in (0, 1), got {eps!r}")
    expected = median_collision_count(d, eps)
    if expected > max_vectors / 2:
        raise DomainError(f"about {expected:.3g} random vectors fit at d = {d}, ε = {eps}; that is more "
                            f"than max_vectors / 2 = {max_vectors // 2}; lower d or ε")
    # Blocks of about a quarter of the expected count keep both the wasted work after a collision
    # and the number of Python-level iterations small.
    block = int(min(max(expected / 4, 8), 1024))
    gen = torch.Generator().manual_seed(int(seed))
    counts = np.empty(trials, dtype=np.int64)
    with torch_threads(threads):
        for t in iterate(range(trials), f"random directions (d={d}, ε={eps})", enabled=progress):
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
                    raise DomainError(f"no collision among {n_kept} random vectors (d = {d}, ε = {eps}); "
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
        raise DomainError("dims must list at least one dimension")
    rows = []
    for i, d in enumerate(iterate(dims, f"random directions, ε = {eps}", enabled=progress)):
        counts = random_collision_counts(d, eps, trials, seed=seed + i)
        rows.append((np.median(counts), *np.percentile(counts, [25, 75]), counts.mean()))
    arr = np.asarray(rows, dtype=np.float64)
    return {"dims": np.asarray(dims), "median": arr[:, 0], "q25": arr[:, 1], "q75": arr[:, 2],
            "mean": arr[:, 3], "predicted_median": np.atleast_1d(median_collision_count(np.asarray(dims), eps))}


def count_curves(dims: Sequence[int], eps: float) -> dict[str, np.ndarray]:
    r"""The curves of Figure 1.2 (left) on every integer d from ``min(dims)/2`` to ``1.1·max(dims)``.

    With ``p = I_{1−ε²}((d−1)/2, 1/2)`` (:func:`~repcap.geometry.null.pair_tail`): ``d``;
    ``predicted_median`` (:func:`median_collision_count`); ``greedy`` = 1/p, the greedy guarantee;
    ``random_sign`` = :math:`e^{d\varepsilon^2/4}`, the random-sign guarantee; ``upper`` = the best
    proven upper bound (:func:`~repcap.geometry.bounds.log10_upper_bound`), capped at 10^300 so that
    it stays a float.
    """
    d_lo, d_hi = min(dims), max(dims)
    d_grid = np.arange(max(2, d_lo // 2), int(d_hi * 1.1) + 1)
    return {"d": d_grid,
            "predicted_median": np.asarray(median_collision_count(d_grid, eps)),
            "greedy": 1 / np.asarray(pair_tail(eps, d_grid)),
            "random_sign": 10 ** np.asarray(log10_random_sign_count(d_grid, eps)),
            "upper": 10 ** np.minimum(np.asarray(log10_upper_bound(d_grid, eps)), 300)}


def proven_band(eps_values: Sequence[float], *, d_min: int = 16, d_max: int = 16384,
                points: int = 120) -> tuple[np.ndarray, dict[float, dict[str, np.ndarray]]]:
    """The proven range of N(d, ε) for several ε (Figure 1.2, right): ``(d, {ε: {"greedy", "upper"}})``.

    ``d`` is ``points`` log-spaced integers from ``d_min`` to ``d_max`` (duplicates removed);
    ``greedy`` is log10 of the greedy guarantee 1/p (:func:`~repcap.geometry.bounds.log10_greedy_count`)
    and ``upper`` log10 of the best upper bound (:func:`~repcap.geometry.bounds.log10_upper_bound`).
    """
    band_d = np.unique(np.round(np.logspace(np.log10(d_min), np.log10(d_max), points)).astype(int))
    return band_d, {e: {"greedy": np.asarray(log10_greedy_count(band_d, e)),
                        "upper": np.asarray(log10_upper_bound(band_d, e))} for e in eps_values}
