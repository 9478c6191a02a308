r"""An SAE's decoder directions measured like any packing (chapter 9).

The live latents of a sparse autoencoder (those that fire on held-out tokens) give k unit decoder
directions :math:`u_1, \dots, u_k \in \mathbb{R}^d`. They are measured exactly as the book measures
packings:

* ε = µ + 2σ of :math:`\cos(u_i, u_j)` over all k(k − 1)/2 pairs, by the closed form of chapter 2
  (:func:`repcap.similarity.moments.exact_moments`), and ε* = :math:`\max_{i<j}\lvert\cos\rvert`
  from a blockwise float64 Gram (:func:`pair_abs_cos`), which also gives :math:`\sum_{i<j}\lvert\cos\rvert`;
* beside them at the same (k, d): random unit vectors (ε = 2/√d; the median largest |cos| of one
  draw and the paper's Eq. 5, the best of 1000 draws, :mod:`repcap.geometry.null`), the Welch and
  Levenshtein floors (:mod:`repcap.geometry.bounds`), the explicit set with at least k lines in
  dimension ≤ d of least coherence (:func:`repcap.geometry.constructions.families_up_to`), the
  paper's law for optimised packings (Eq. 7 with its fitted constants,
  :func:`repcap.laws.forms.eq7_eps`) and, where cheap, a packing optimised here
  (:func:`repcap.packing.optimise.optimise_packing`);
* Eq. 7's capacity at the measured ε against k;
* the co-activation check of superposition theory (Elhage et al. 2022): mean |cos| over pairs of
  latents that fire together on some held-out token against pairs that never do
  (:func:`coactivation`).

:func:`feature_row` trains (or reuses) one SAE and returns all of it as a :class:`FeatureRow`;
:func:`feature_study` sweeps widths and k for one model.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np

from repcap.common.jsonsafe import nan_from_null
from repcap.errors import ParameterError
from repcap.geometry.bounds import levenshtein_floor, welch_floor
from repcap.geometry.constructions import best_construction, families_up_to
from repcap.geometry.null import best_of_trials_median, max_abs_cos_quantile, null_eps
from repcap.laws.capacity import log10_capacity
from repcap.laws.forms import PAPER_EQ7, eq7_eps
from repcap.similarity.moments import exact_moments
from repcap.studies.massive import massive_rows
from repcap.studies.sae import HiddenStates, evaluate, hidden_states, split_heldout, trained_sae

__all__ = ["BAD_FVU", "pair_abs_cos", "coactivation", "reference_values", "FeatureRow",
           "FeatureStudy", "feature_row", "feature_study"]

#: An SAE that leaves more than half the held-out variance unexplained is reported as bad and its
#: directions are not read as the model's features.
BAD_FVU = 0.5


def pair_abs_cos(u: np.ndarray, block: int = 1024) -> tuple[float, float]:
    r"""``(Σ_{i<j} |cos(u_i, u_j)|, max_{i<j} |cos(u_i, u_j)|)`` of the rows of ``u`` (normalised
    here), from float64 Gram blocks of ``block`` rows: O(k² d) time, O(block·k) memory."""
    u = np.asarray(u, dtype=np.float64)
    u = u / np.linalg.norm(u, axis=1, keepdims=True)
    n = u.shape[0]
    total, top = 0.0, 0.0
    for lo in range(0, n, block):
        g = np.abs(u[lo:lo + block] @ u[lo:].T)          # rows lo.., columns lo..
        g[np.arange(g.shape[0]), np.arange(g.shape[0])] = 0.0
        upper = np.triu(g)                               # i < j inside the diagonal block
        total += float(upper.sum())
        top = max(top, float(upper.max(initial=0.0)))
    return total, top


def coactivation(u: np.ndarray, idx: np.ndarray, active: np.ndarray, live: np.ndarray,
                 abs_cos_sum: float) -> dict[str, float]:
    r"""Mean |cos| of the live latents' directions over pairs that fire together on at least one
    held-out row (``idx``/``active``: the kept latents of each row and whether each fired) and over
    the pairs that never do; ``abs_cos_sum`` is :math:`\sum_{i<j}\lvert\cos\rvert` over all live
    pairs (:func:`pair_abs_cos`), so the second mean needs no further pass.

    ``u`` holds the live directions in the order of ``live`` (indices of the live latents)."""
    k = live.size
    position = np.full(int(max(live.max(), idx.max())) + 1, -1, dtype=np.int64)
    position[live] = np.arange(k)
    codes = []
    for row, on in zip(idx, active):
        p = np.sort(position[row[on]])
        p = p[p >= 0]
        if p.size > 1:
            i, j = np.triu_indices(p.size, 1)
            codes.append(p[i] * k + p[j])
    pairs = np.unique(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)
    all_pairs = k * (k - 1) // 2
    unit = u / np.linalg.norm(u, axis=1, keepdims=True)
    co_sum = 0.0
    for lo in range(0, pairs.size, 1 << 15):  # in chunks: a million pairs × d would be gigabytes
        chunk = pairs[lo:lo + (1 << 15)]
        a, b = chunk // k, chunk % k
        co_sum += float(np.abs(np.einsum("ij,ij->i", unit[a], unit[b])).sum())
    never = all_pairs - pairs.size
    return {"coactive_pairs": int(pairs.size), "never_pairs": int(never),
            "cos_coactive": co_sum / pairs.size if pairs.size else float("nan"),
            "cos_never": (abs_cos_sum - co_sum) / never if never else float("nan")}


def _explicit(k: int, d: int) -> tuple[float, str]:
    """Least coherence of a known explicit set with at least k lines in dimension ≤ d."""
    fits = [c for c in families_up_to(d) if c.count >= k]
    if not fits:
        return float("nan"), ""
    best = min(fits, key=lambda c: c.coherence)
    return float(best.coherence), best.family


def reference_values(k: int, d: int, eps: float, max_abs_cos: float) -> dict[str, Any]:
    """What k vectors in R^d give elsewhere in the book, and the measured ε read by Eq. 7.

    Keys: ``null_eps`` (2/√d), ``random_max_abs_cos`` (median max |cos| of one random draw),
    ``random_eps`` (Eq. 5: median of the best of 1000 draws), ``welch``, ``levenshtein``,
    ``optimised_law`` (Eq. 7 with the paper's constants, ε at (k, d)), ``explicit_coherence`` and
    ``explicit_family`` (:func:`_explicit`), ``explicit_count_at_max_abs_cos`` (the largest
    explicit set at coherence ≤ ε*), ``log10_k`` and ``log10_eq7_capacity`` (Eq. 7's k_max at
    (d, ε); NaN where ε > 1)."""
    coherence, family = _explicit(k, d)
    return {
        "null_eps": float(null_eps(d)),
        "random_max_abs_cos": float(max_abs_cos_quantile(0.5, k, d)),
        "random_eps": float(best_of_trials_median(k, d, 1000)),
        "welch": float(welch_floor(k, d)),
        "levenshtein": float(levenshtein_floor(k, d)),
        "optimised_law": float(eq7_eps(k, d, **PAPER_EQ7)),
        "explicit_coherence": coherence,
        "explicit_family": family,
        "explicit_count_at_max_abs_cos": int(best_construction(d, max_abs_cos).count),
        "log10_k": math.log10(k),
        "log10_eq7_capacity": (float(log10_capacity(d, max(eps, 1e-12))) if eps <= 1.0
                               else float("nan")),
    }


@functools.lru_cache(maxsize=64)
def optimised_eps(k: int, d: int, steps: int, seed: int) -> float:
    """ε* of :func:`repcap.packing.optimise.optimise_packing` (k, d) after ``steps`` steps on the
    CPU, remembered for the process: every SAE whose latents all live asks for the same cell."""
    from repcap.packing.optimise import optimise_packing

    return float(optimise_packing(k, d, steps=steps, seed=seed, device="cpu", progress=False).eps)


@dataclass
class FeatureRow:
    """One trained SAE: its settings, its quality on held-out rows and its live directions
    measured as a packing (module docstring)."""

    model: str
    layer: int
    d: int
    width: int
    k: int
    tokens_train: int
    tokens_heldout: int
    fvu: float
    l0: float
    live: int
    dead_fraction: float
    mean: float
    std: float
    eps: float
    max_abs_cos: float
    cos_coactive: float
    cos_never: float
    coactive_pairs: int
    never_pairs: int
    null_eps: float
    random_max_abs_cos: float
    random_eps: float
    welch: float
    levenshtein: float
    optimised_law: float
    explicit_coherence: float
    explicit_family: str
    explicit_count_at_max_abs_cos: int
    log10_k: float
    log10_eq7_capacity: float
    optimised: float = float("nan")   # ε* of a packing optimised here at (live, d); NaN: skipped
    optimise_steps: int = 0
    train_seconds: float = 0.0
    massive_dropped: int = 0          # rows left out as massive activations (massive_rows)

    @property
    def bad(self) -> bool:
        """FVU above :data:`BAD_FVU` (or undefined): the directions are not read as features."""
        return not self.fvu <= BAD_FVU

    @property
    def ratio(self) -> float:
        """live latents per dimension, k/d."""
        return self.live / self.d

    @property
    def eps_null_ratio(self) -> float:
        """ε over the random value 2/√d."""
        return self.eps / self.null_eps

    @property
    def max_random_ratio(self) -> float:
        """ε* over the median max |cos| of one random draw of the same size."""
        return self.max_abs_cos / self.random_max_abs_cos

    def as_dict(self) -> dict[str, Any]:
        return {**vars(self), "bad": self.bad, "ratio": self.ratio}

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureRow":
        names = cls.__dataclass_fields__
        return cls(**nan_from_null({k: v for k, v in data.items() if k in names}))


@dataclass
class FeatureStudy:
    """One model's SAEs: the rows and what the hidden states were drawn from."""

    model: str
    layer: int
    n_layers: int
    d: int
    tokens: int
    corpus: str
    seed: int
    embedding_eps: float
    rows: list[FeatureRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in vars(self).items() if k != "rows"},
                "rows": [r.as_dict() for r in self.rows]}

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureStudy":
        rows = [FeatureRow.from_dict(r) for r in data["rows"]]
        return cls(**{k: data[k] for k in ("model", "layer", "n_layers", "d", "tokens", "corpus",
                                            "seed", "embedding_eps")}, rows=rows)


def feature_row(hs: HiddenStates, width: int, k: int, *, epochs: int = 4, batch_size: int = 256,
                lr: float | None = None, seed: int = 0, optimise_steps: int = 0,
                optimise_max_k: int = 2048, cache_dir=None, use_cache: bool = True,
                progress: bool = True) -> FeatureRow:
    """Train (or reuse) a TopK SAE of ``width`` latents, ``k`` active, on the training documents
    of ``hs`` and measure it on the held-out ones (module docstring). ``optimise_steps`` > 0 also
    optimises a packing at (live, d) when live ≤ ``optimise_max_k``. Rows with a massive activation
    (:func:`repcap.studies.massive.massive_rows`) are left out of both, and counted."""
    massive = massive_rows(hs.states)
    if massive.any():
        hs = replace(hs, states=hs.states[~massive], doc=hs.doc[~massive])
    heldout = split_heldout(hs.doc)
    sae, seconds, _ = trained_sae(hs, hs.states[~heldout], width, k, epochs=epochs,
                                  batch_size=batch_size, lr=lr, seed=seed, cache_dir=cache_dir,
                                  use_cache=use_cache, progress=progress)
    quality = evaluate(sae, hs.states[heldout])
    live = np.flatnonzero(quality.fires > 0)
    if live.size < 2:
        raise ParameterError(f"{hs.model}: fewer than two latents of the width-{width} SAE fire "
                             "on held-out tokens; train on more tokens")
    u = sae.directions()[live]
    moments = exact_moments(u)
    abs_sum, top = pair_abs_cos(u)
    refs = reference_values(live.size, hs.d, moments.eps, top)
    co = coactivation(u, quality.idx, quality.active, live, abs_sum)
    optimised = float("nan")
    if optimise_steps > 0 and live.size <= optimise_max_k:
        optimised = optimised_eps(int(live.size), hs.d, optimise_steps, seed)
    return FeatureRow(model=hs.model, layer=hs.layer, d=hs.d, width=width, k=k,
                      tokens_train=int((~heldout).sum()), tokens_heldout=quality.tokens,
                      fvu=quality.fvu, l0=quality.l0, live=int(live.size),
                      dead_fraction=1.0 - live.size / width, mean=moments.mean, std=moments.std,
                      eps=moments.eps, max_abs_cos=top, **co, **refs, optimised=optimised,
                      optimise_steps=optimise_steps if math.isfinite(optimised) else 0,
                      train_seconds=seconds, massive_dropped=int(massive.sum()))


def feature_study(model, *, layer: int | None = None, tokens: int = 16000,
                  widths: Sequence[int] = (2, 4, 8), k: int = 32, extra_k: Sequence[int] = (),
                  k_width: int | None = None, epochs: int = 4, batch_size: int = 256, lr: float | None = None, seed: int = 0,
                  corpus: str = "wiki-offline", max_length: int = 256,
                  optimise_steps: int = 0, optimise_max_k: int = 2048, device: str | None = None,
                  cache_dir=None, use_cache: bool = True, progress: bool = True) -> FeatureStudy:
    """SAEs of width ``m·d`` for each multiple ``m`` in ``widths`` at ``k`` active latents, then
    width ``k_width·d`` (default: the largest) at each k of ``extra_k`` (the dependence on k), on
    ``tokens`` hidden
    states of ``layer`` of ``model`` (:func:`repcap.studies.sae.hidden_states`)."""
    hs = hidden_states(model, layer=layer, tokens=tokens, seed=seed, corpus=corpus,
                       max_length=max_length, device=device, cache_dir=cache_dir,
                       use_cache=use_cache, progress=progress)
    settings = [(int(m) * hs.d, k) for m in widths]
    k_width = int(max(widths) if k_width is None else k_width)
    settings += [(k_width * hs.d, int(kk)) for kk in extra_k if int(kk) != k]
    rows = [feature_row(hs, w, kk, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                        optimise_steps=optimise_steps, optimise_max_k=optimise_max_k,
                        cache_dir=cache_dir, use_cache=use_cache, progress=progress)
            for w, kk in settings]
    return FeatureStudy(model=hs.model, layer=hs.layer, n_layers=hs.n_layers, d=hs.d,
                        tokens=hs.tokens, corpus=corpus, seed=seed,
                        embedding_eps=hs.embedding_eps, rows=rows)
