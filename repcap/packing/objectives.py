r"""Packing objectives: functions of the Gram matrix whose minimum spreads unit vectors apart.

Every objective acts on the off-diagonal entries g = G_ij = ⟨v_i, v_j⟩ of G = VᵀV (unit columns v_i)
and is differentiated entry by entry: the engine in :mod:`repcap.packing.blockwise` only needs the
elementwise derivative ∂L/∂G_ij, applied in place to one block of G at a time, so no objective ever
needs the k × k matrix at once.

``paper`` (paper §3.3, with the exponent rule of the author's code)
    .. math:: L = \sum_{i \ne j} |G_{ij}|^p, \qquad
              \partial L / \partial G_{ij} = p\,\mathrm{sign}(G_{ij})\,|G_{ij}|^{p-1}

    with p = :func:`paper_exponent` (k, d) = min(⌊m / ln d⌋, 20), m = 40 if k ≤ 4000, else 50 if
    d ≥ 3072, else 60.

``softmax`` (ours: a smooth maximum of |cos| at a fixed *relative* temperature)
    .. math:: L = \frac{R}{\tau} \ln \sum_{i \ne j} \exp\!\Big(\frac{\tau |G_{ij}|}{R}\Big), \qquad
              \partial L / \partial G_{ij} = \mathrm{sign}(G_{ij})\, w_{ij},\quad
              w_{ij} = \frac{e^{\tau |G_{ij}| / R}}{\sum_{k \ne l} e^{\tau |G_{kl}| / R}}

    with R the largest |G_ij| of the previous step (held constant within a step); default τ = 40.
    L is a smooth maximum, between max|G| and max|G| + (R/τ) ln(k(k−1)). Below the maximum the weights
    fall off exponentially, as exp(−τ(1 − |g|/R)), so only pairs within a few per cent of the current
    maximum pull; the weights of |G|^p fall off only as a power, (|g|/max)^{p−1}, so with the paper's
    p = 4–17 the many pairs below the maximum still pull. Raising p is no cure: the gradient's size
    p·max|G|^{p−1} then sinks below Adam's ε = 1e-8 and the run stalls (in a CPU float32 re-run of the
    author's loop at k = 2000, d = 128, seed 0, p = 20 ends at 0.213 where the code's own p = 8 reaches
    0.153), whereas softmax weights sum to 1 at every scale, which also lets it drive k ≤ d packings to
    ~1e-3 or below. Its default learning-rate schedule is
    cosine decay (see :func:`repcap.packing.optimise_packing`).

``anneal`` (ours: ``softmax`` with its sharpness raised along the run; the default of ``repcap pack``)
    The same L and gradient as ``softmax``, with τ rising geometrically from τ₀ at the first step to
    τ₁ at the last,

    .. math:: \tau_t = \tau_0\,(\tau_1 / \tau_0)^{t / (\text{steps} - 1)}, \qquad \tau_0 = 10,\ \tau_1 = 1000

    (``sharpness`` sets τ₀; τ₁ = 100 τ₀). Early on a soft maximum (τ = 10: every pair within ~30 % of
    the maximum pulls) moves the whole configuration; at the end τ = 1000 leaves only the pairs within
    ~0.3 % of the maximum, a minimax step on the active pairs. :func:`repcap.packing.optimise_packing`
    tells the objective how far the run has got (:meth:`Objective.set_progress`) and, for k ≤
    :data:`repcap.packing.projection.POLISH_MAX_K`, polishes the result by alternating projection.

``exp`` (N. Yoder, "Beyond Orthogonality", blog post, 2025, https://nickyoder.com/johnson-lindenstrauss/)
    .. math:: L = \sum_{i \ne j} \exp(\alpha G_{ij}^2), \qquad
              \partial L / \partial G_{ij} = 2 \alpha\, G_{ij} \exp(\alpha G_{ij}^2)

    Yoder used α = 20 for 10,000 vectors in R^100; the default here keeps his α·ε² scale at every d with
    α = d / 5.

Sharpness parameters (``exponent`` p, ``sharpness`` τ or α) are recorded in the result's settings.
"""

from __future__ import annotations

import math
from typing import Any

from repcap.errors import PackingError


def paper_exponent(k: int, d: int) -> int:
    """The loss exponent of the author's code: p = min(⌊m / ln d⌋, 20).

    The modifier m is 40 when k ≤ 4000, otherwise 50 when d ≥ 3072, otherwise 60 (the author's
    ``optimized_packing_sweep.py``); the paper's text (Guha 2026, §3.3) calls m the exponent
    ("p ∈ [40, 60]"), but the code divides it by ln d, so the
    exponent actually used is 4–17 on the paper's grid.
    """
    if d < 2 or k < 2:
        raise PackingError(f"paper_exponent needs k ≥ 2 and d ≥ 2, got k={k}, d={d}")
    m = 40 if k <= 4000 else (50 if d >= 3072 else 60)
    # The small offset absorbs float error when m / ln d is an exact integer (it never is for the
    # paper's d, but e.g. d = e^10 rounded would otherwise floor one too low).
    return min(int(math.floor(m / math.log(d) + 1e-12)), 20)


def paper_learning_rate(d: int) -> float:
    """The Adam learning rate of the author's code: 0.005 if d ≤ 1024, else 0.0025."""
    if d < 1:
        raise PackingError(f"paper_learning_rate needs d ≥ 1, got {d}")
    return 0.005 if d <= 1024 else 0.0025


class Objective:
    """An elementwise packing loss L = Σ_{i≠j} f(G_ij) (or a smooth function of such a sum).

    Subclasses define :meth:`derivative_` (overwrite a Gram block with ∂L/∂G up to the constant
    :attr:`scale`), :meth:`value` (the loss of a Gram block, for checks and logs) and, when the loss
    is a smooth maximum, :meth:`finish` (the normalisation known only after all blocks).
    """

    name = "objective"
    adaptive = False  # True: needs the previous step's max |G| (the reference R)
    annealed = False  # True: its shape follows set_progress, so a run cannot be extended
    default_schedule = "constant"  # the learning-rate schedule used when the caller names none

    def __init__(self, k: int, d: int):
        self.k, self.d = k, d
        self.reference = float("nan")
        self.scale = 1.0

    def settings(self) -> dict[str, Any]:
        """The parameters that define this objective, for result records."""
        return {"objective": self.name}

    def begin_step(self, reference: float) -> None:
        """Called before each step with R = max|G_ij| of the previous step (or of the start)."""
        self.reference = float(reference)

    def set_progress(self, fraction: float) -> None:
        """Called before each step with t / (steps − 1) ∈ [0, 1]; annealed objectives follow it."""

    def default_lr(self, d: int) -> float:
        """Adam's learning rate when the caller names none: the paper's rule (:func:`paper_learning_rate`)."""
        return paper_learning_rate(d)

    def derivative_(self, block, work, diagonal: bool = False, block_max=None) -> float | None:
        """Overwrite ``block`` of G with ∂L/∂G / :attr:`scale`; ``work`` is scratch of the same shape.

        ``diagonal`` says that the block holds the self-pairs G_ii on its diagonal; the caller has set
        them to 0 before the call and sets them to 0 again after it. ``block_max`` is max |block|
        (a 0-d tensor). A returned number asks the caller to multiply the gradient summed so far by
        it before adding this block (used by smooth maxima to move their overflow shift); ``None``
        means no change.
        """
        raise NotImplementedError

    def finish(self) -> float:
        """Factor by which the summed gradient must still be multiplied (1 for plain sums)."""
        return 1.0

    def value(self, gram) -> float:
        """The loss of a full Gram matrix (float64 torch tensor; diagonal ignored), for checks."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {"reference": self.reference}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.reference = float(state.get("reference", float("nan")))


def _offdiag(gram):
    import torch

    return gram[~torch.eye(gram.shape[0], dtype=torch.bool, device=gram.device)]


class PaperObjective(Objective):
    r"""L = Σ_{i≠j} |G_ij|^p; ∂L/∂G_ij = p sign(G_ij) |G_ij|^{p−1} (p from :func:`paper_exponent`)."""

    name = "paper"

    def __init__(self, k: int, d: int, *, exponent: float | None = None, sharpness: float | None = None):
        super().__init__(k, d)
        if sharpness is not None:
            raise PackingError("objective 'paper' takes `exponent` (p), not `sharpness`")
        p = paper_exponent(k, d) if exponent is None else exponent
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not math.isfinite(p) or p < 2:
            raise PackingError(f"exponent p must be a number ≥ 2 (the loss is Σ|G_ij|^p), got {p!r}")
        self.exponent = int(p) if float(p).is_integer() else float(p)
        self.scale = float(self.exponent)

    def settings(self) -> dict[str, Any]:
        return {"objective": self.name, "exponent": self.exponent}

    def derivative_(self, block, work, diagonal: bool = False, block_max=None) -> None:
        import torch

        m = self.exponent - 2  # block <- g |g|^(p-2) = sign(g)|g|^(p-1)
        if m == 0:
            return
        if not isinstance(m, int):
            torch.abs(block, out=work)
            block.mul_(work.pow_(m))
            return
        # Integer powers by repeated squaring: a multiply pass over a cache-resident tile costs about
        # a twentieth of one pow pass (which calls a transcendental per entry).
        if m % 2 == 0:
            torch.mul(block, block, out=work)  # |g|^m = (g²)^(m/2)
            m //= 2
        else:
            torch.abs(block, out=work)
        while True:
            if m & 1:
                block.mul_(work)
            m >>= 1
            if not m:
                break
            work.mul_(work)

    def value(self, gram) -> float:
        return float(_offdiag(gram).abs().pow(self.exponent).sum())


class SoftmaxObjective(Objective):
    r"""L = (R/τ) ln Σ_{i≠j} exp(τ|G_ij|/R); ∂L/∂G_ij = sign(G_ij) softmax_ij(τ|G|/R); R = previous max.

    Computed like an online softmax: the exponentials are taken as exp(τ(|g| − S)/R) with a shift S
    that starts at R and moves up (rescaling what was summed) whenever a tile holds a larger |g|, so
    nothing overflows even when one Adam step moves the maximum far.
    """

    name = "softmax"
    adaptive = True
    # At a fixed relative temperature the last iterate keeps jittering at Adam's step size (at
    # (2000, 512) the last step ended 8 % above a cosine-decayed run); decaying lr lets it settle.
    default_schedule = "cosine"
    DEFAULT_SHARPNESS = 40.0
    SAFE_SHARPNESS = 40.0  # up to here the shift starts at R (the max would have to fall 2.2×)

    def __init__(self, k: int, d: int, *, exponent: float | None = None, sharpness: float | None = None):
        super().__init__(k, d)
        if exponent is not None:
            raise PackingError(f"objective '{self.name}' takes `sharpness` (τ), not `exponent`")
        tau = self.DEFAULT_SHARPNESS if sharpness is None else sharpness
        if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not 0 < tau <= 1000:
            raise PackingError(f"sharpness τ of objective '{self.name}' must be in (0, 1000], got {tau!r}")
        self.sharpness = float(tau)
        self.current_sharpness = self.sharpness  # τ of this step (annealed objectives move it)
        self._total = None
        self._shift = 0.0

    def settings(self) -> dict[str, Any]:
        return {"objective": self.name, "sharpness": self.sharpness}

    def begin_step(self, reference: float) -> None:
        super().begin_step(reference)
        self._total = None
        self._shift = self.reference

    def derivative_(self, block, work, diagonal: bool = False, block_max=None) -> float | None:
        import torch

        if not self.reference > 0:
            raise PackingError("objective 'softmax' needs a positive reference max|G|; all vectors are "
                               "exactly orthogonal already, so there is nothing left to optimise")
        rate = self.current_sharpness / self.reference
        rescale = None
        peak = float(block_max) if block_max is not None else float(block.abs().max())
        if self._total is None and self.current_sharpness > self.SAFE_SHARPNESS:
            # Sharp: started at R, a step that lowered the maximum by 87/τ (9 % at τ = 1000) would
            # leave every exponential below float32's range and the sum 0; the first tile's own
            # peak keeps at least one term at exp(0) = 1.
            self._shift = peak
        elif peak > self._shift:
            rescale = math.exp(rate * (self._shift - peak))
            self._shift = peak
            if self._total is not None:
                self._total = self._total * rescale
        torch.abs(block, out=work)
        work.mul_(rate).sub_(rate * self._shift)
        if rate * self._shift > 87.0:
            # exp below −87 (float32's smallest normal) takes a slow path, 10× a normal pass; terms
            # that small weigh < 1e-37 against the maximum's 1, so clipping them changes nothing.
            # The smallest argument is −rate·S (at g = 0), so below 87 no term needs it.
            work.clamp_(min=-87.0)
        work.exp_()
        # L sums over ordered pairs: a diagonal tile holds both orders (its zeroed self-pairs gave
        # exp(−τS/R) each and are not pairs of L), an off-diagonal tile stands for itself and its transpose.
        if diagonal:
            total = work.sum() - block.shape[0] * math.exp(-rate * self._shift)
        else:
            total = 2 * work.sum()
        self._total = total if self._total is None else self._total + total
        torch.copysign(work, block, out=block)
        return rescale

    def finish(self) -> float:
        return 1.0 / float(self._total)

    def value(self, gram) -> float:
        g = _offdiag(gram).abs()
        r, t = self.reference, self.current_sharpness
        return float((r / t) * (t * g / r).logsumexp(0))


class AnnealedSoftmaxObjective(SoftmaxObjective):
    r"""``softmax`` with τ_t = τ₀ (τ₁/τ₀)^{t/(steps−1)}, τ₀ = 10 (``sharpness``), τ₁ = 100 τ₀.

    Measured (seed 0, float32, one thread, cosine lr from 0.01): 28 lines in R^7 reach 1/3 where
    ``softmax`` at τ = 40 also does, and 276 lines in R^23 end at 0.288 where ``softmax`` ends at 0.299.
    """

    name = "anneal"
    annealed = True
    DEFAULT_SHARPNESS = 10.0
    RANGE = 100.0  # τ₁ / τ₀

    def settings(self) -> dict[str, Any]:
        return {"objective": self.name, "sharpness": self.sharpness,
                "sharpness_end": self.sharpness * self.RANGE}

    #: Largest learning rate, and the row displacement lr·√d it may reach (see :meth:`default_lr`).
    MAX_LR = 0.01
    ROW_STEP = 0.08

    def default_lr(self, d: int) -> float:
        r"""lr = min(0.01, 0.08 / √d), decayed on a cosine by the run.

        Adam moves every coordinate of a row by about lr per step whatever the gradient's size, so
        a row moves by about lr·√d: the same lr turns rows through larger angles in larger d. At
        lr = 0.01 runs at d ≥ 128 blew up once τ passed ~60 (k = 2000, seed 0: ε jumped from 0.135
        to 0.37 at step 850 of 2000 at d = 128, and from 0.082 to 0.31 at d = 256, and ended at
        0.145 and 0.106 with best iterates 0.134 and 0.081); holding lr·√d at 0.08 (the value
        at d = 64) ran smoothly to 0.1291 and 0.0773. Up to d = 64 the rule is the 0.01 the
        recipe was tuned with (the small equiangular frames need it: at the paper's 0.005 28 lines
        in R^7 stop at 0.39).
        """
        if d < 1:
            raise PackingError(f"default_lr needs d ≥ 1, got {d}")
        return min(self.MAX_LR, self.ROW_STEP / math.sqrt(d))

    def set_progress(self, fraction: float) -> None:
        self.current_sharpness = self.sharpness * self.RANGE ** min(max(float(fraction), 0.0), 1.0)


class ExpObjective(Objective):
    r"""L = Σ_{i≠j} exp(α G_ij²); ∂L/∂G_ij = 2α G_ij exp(α G_ij²) (Yoder's penalty, α = d/5 by default)."""

    name = "exp"

    def __init__(self, k: int, d: int, *, exponent: float | None = None, sharpness: float | None = None):
        super().__init__(k, d)
        if exponent is not None:
            raise PackingError("objective 'exp' takes `sharpness` (α), not `exponent`")
        alpha = d / 5.0 if sharpness is None else sharpness
        # No upper limit: exp(α g²) only overflows float32 when α·max g² > 88, which the engine
        # detects (non-finite gradient) and reports with the advice to lower α.
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < math.inf:
            raise PackingError(f"sharpness α of objective 'exp' must be a positive number, got {alpha!r}")
        self.sharpness = float(alpha)
        self.scale = 2.0 * self.sharpness

    def settings(self) -> dict[str, Any]:
        return {"objective": self.name, "sharpness": self.sharpness}

    def derivative_(self, block, work, diagonal: bool = False, block_max=None) -> None:
        import torch

        torch.mul(block, block, out=work)
        work.mul_(self.sharpness).exp_()
        block.mul_(work)

    def value(self, gram) -> float:
        return float(_offdiag(gram).pow(2).mul(self.sharpness).exp().sum())


OBJECTIVES: dict[str, type[Objective]] = {
    "paper": PaperObjective,
    "softmax": SoftmaxObjective,
    "anneal": AnnealedSoftmaxObjective,
    "exp": ExpObjective,
}


def make_objective(name: str, k: int, d: int, *, exponent: float | None = None,
                   sharpness: float | None = None) -> Objective:
    """The objective ``name`` (a key of :data:`OBJECTIVES`) for k vectors in R^d."""
    if name not in OBJECTIVES:
        raise PackingError(f"unknown objective {name!r}; choose one of {', '.join(OBJECTIVES)}")
    return OBJECTIVES[name](k, d, exponent=exponent, sharpness=sharpness)
