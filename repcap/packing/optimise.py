r"""Optimised packings (paper §3.3): Adam on k free vectors whose normalised versions repel each other.

The parameter is W ∈ R^{k×d} (one row per vector; the paper's d × k matrix transposed), initialised
with N(0, 1) entries and normalised once. Every step forms V = W / ‖W‖_row and G = V Vᵀ, takes the
gradient of the objective (default: the paper's Σ_{i≠j}|G_ij|^p) blockwise with
:class:`~repcap.packing.blockwise.GramWorkspace` (never the whole k × k matrix when it does not fit
the memory budget), maps it back through the normalisation and lets Adam update W. The packing's
quality is

.. math:: \varepsilon^* = \max_{i \ne j} |G_{ij}|

read, as in the author's code, at the last step before its update.

Recipes
-------
``objective="paper"`` (the function's default) is the author's recipe, kept exactly for chapter 5.
``objective="anneal"`` (:data:`BEST_OBJECTIVE`, the default of ``repcap pack`` and of the
``released-cpu`` sweep grid) is the book's best recipe (issue 24):

1. the smooth maximum of |G_ij| of the ``softmax`` objective, its sharpness τ raised geometrically
   from 10 at the first step to 1000 at the last (:class:`~repcap.packing.objectives.AnnealedSoftmaxObjective`);
2. Adam at lr = min(0.01, 0.08/√d) (twice the paper's up to d = 64; above, the same angular step
   per row, :meth:`~repcap.packing.objectives.AnnealedSoftmaxObjective.default_lr`), decayed to 0
   on a cosine;
3. the rows of the lowest ε met along the run, not the last step's;
4. for k ≤ :data:`~repcap.packing.projection.POLISH_MAX_K` (1024), 300 rounds of alternating
   projection onto the tight-frame and coherence sets (Tropp, Dhillon, Heath & Strohmer 2005;
   :func:`~repcap.packing.projection.alternating_projection`), kept only when it lowers ε.

Measured (seed 0, float32, one thread of a shared 2-core CPU; ``benchmarks/bench_packing.py optima``):
the equiangular tight frames (6, 3), (10, 5), (16, 6), (28, 7) reach their optimum (ratio 1.0000) in
1000 steps, where ``softmax`` (τ = 40) stops at 0.378 for (16, 6) and 0.388 for (10, 5) and the
alternating projection finds the frame from there in 100 rounds; 276 lines in R^23 end at 0.288
(optimum 0.2, the paper's loss 0.32, ``softmax`` 0.299): all these methods end in another basin;
(2000, 64) in 2000 steps passes 0.2157 (kept; its last step is at 0.2233; released ε* 0.2363,
``softmax`` 0.2226), (2000, 32) 0.3580 (released 0.3859), (2000, 128) 0.1291 (released 0.1469; at
lr 0.01 it blew up at step 850 and kept 0.1340), (2000, 256) 0.0773 (released 0.0911); 2112 lines in
R^64 end at 0.2169 in 5000 steps, 1.74× the Kerdock set's 1/8.
At (276, 23) the basin is wide: seeds 0–2 end at 0.2874–0.2876; τ₀ = 1, 2 or 10, lr up to 0.05 and
20,000 steps at 0.286–0.300; 12 rounds of basin hopping (rows moved by N(0, 0.3²/d), 2000 steps each,
the best kept) at 0.2869. What did not win: alternating projection from a random start (0.41 for
(276, 23) after 3000 rounds, exact eigen-projection; 0.65 with the equiangular projection |G_ij| = μ;
0.26 for (2000, 64) after 500, with μ = 0.21), a constant τ = 40 (above), τ from 20 to 1000 at the
paper's lr (0.393 for (28, 7)), and a route through designs: 276 lines in R^23 are a tight
projective 2-design, so they are the only global minima of the quartic frame potential
Σ_{i≠j} G_ij⁴ (≥ 3k²/(d(d+2)) − k = 121.4, equality exactly for 2-designs), yet L-BFGS from random
starts (seeds 0–3, float64) stops at 177.5–178.0 with ε 0.375–0.382, and so does a run lifted to
R^30 with a growing penalty on the rows' energy outside their top 23 singular directions.

Cost: one step against the bare Gram product and its gradient on the same k × d
(``benchmarks/bench_packing.py step``, 9 repeats, the sharpest τ, an idle 2-core machine,
2026-12-07), with 2 threads: 2.92× at (2000, 32), 1.55× at (2000, 128), 1.23× at (2000, 512), 1.11×
at (4000, 256), 1.10× at (8000, 128); with 1 thread 2.23×, 1.46×, 1.18×, 1.07×, 0.99×. Adam's fused
kernel took the 2-thread ratios down from 3.07×, 1.59×, 1.48×, 1.18×, 1.10×. The products themselves
cost less than the baseline's (the tiles cover one triangle of G); what is left is the objective's
elementwise passes over every tile (|g|, scale, shift, clip, exp, sum, copysign, and the max that ε
reads): about ten memory passes per Gram entry, against 4d FLOPs of products, so they weigh as much
as the products at d = 32 and still a third at d = 128; fusing them would need a compiler
(``torch.compile``), which the book does not require.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Callable

from repcap.common.devices import resolve_device
from repcap.common.progress import bar
from repcap.errors import PackingError
from repcap.packing import checkpoint as ckpt
from repcap.packing.blockwise import GramWorkspace, choose_block, normalise_rows, project_to_weights
from repcap.packing.hardware import (check_size, describe, dtype_name, parse_memory_budget,
                                     resolve_dtype)
from repcap.packing.objectives import make_objective, paper_learning_rate
from repcap.packing.projection import POLISH_MAX_K, POLISH_ROUNDS, alternating_projection
from repcap.packing.results import CellResult

CHECKPOINT_VERSION = 1
# Largest Gram tile edge on each device type: on a CPU two 1024² float32 tiles (8 MB) stay in the
# last-level cache, which keeps the elementwise passes cheap; a GPU wants large tiles.
PREFERRED_BLOCK = {"cpu": 1024, "cuda": 16384}
LR_SCHEDULES = ("constant", "cosine")
#: The book's best recipe (``repcap pack``'s default): see :func:`optimise_packing`, "Recipes".
BEST_OBJECTIVE = "anneal"


def optimise_packing(k: int, d: int, *, steps: int = 5000, objective: str = "paper", lr: float | None = None,
                     exponent: float | None = None, sharpness: float | None = None, seed: int = 0,
                     device: Any = None, dtype: str = "float32", memory_budget: int | str = "1GB",
                     checkpoint_path: str | Path | None = None, checkpoint_every: int = 250,
                     log_every: int = 50, progress: bool = True, return_vectors: bool = False,
                     callback: Callable[[int, float], None] | None = None, lr_schedule: str | None = None,
                     block: int | None = None, init: Any = None) -> CellResult:
    r"""Pack k unit vectors in R^d by minimising a Gram objective with Adam; return ε* = max_{i≠j}|⟨v_i, v_j⟩|.

    Defaults follow the author's code: objective Σ_{i≠j}|G_ij|^p with
    p = :func:`~repcap.packing.objectives.paper_exponent` (k, d), Adam with
    lr = :func:`~repcap.packing.objectives.paper_learning_rate` (d) (0.005 if d ≤ 1024 else 0.0025)
    and default betas, 5000 steps, float32; ε* is measured at the last step, before its update.

    Parameters
    ----------
    k, d : number of vectors (≥ 2) and dimension (≥ 2).
    steps : number of forward passes; steps − 1 Adam updates happen between them.
    objective : a key of :data:`~repcap.packing.objectives.OBJECTIVES` (``"paper"``, ``"softmax"``, ``"exp"``).
    lr : Adam learning rate (default: the paper's rule).
    lr_schedule : ``"constant"`` (the paper's) or ``"cosine"``: lr_t = lr · ½(1 + cos(π t / (steps − 1)))
        for update t, which lets the last iterate settle instead of jittering at Adam's step size.
        Default: the objective's own (``constant`` for ``paper`` and ``exp``, ``cosine`` for ``softmax``).
    exponent : p of the ``paper`` objective (default: the paper's rule).
    sharpness : τ of ``softmax`` (default 40) or α of ``exp`` (default d/5).
    seed : seeds the initial N(0, 1) matrix (drawn on the CPU, so every device starts alike).
    device : ``"cpu"``, ``"cuda"``, ... (default: CUDA when available).
    dtype : ``"float32"`` (the paper's) or ``"float64"``.
    memory_budget : bound on the Gram tiles (bytes or e.g. ``"1GB"``); W, V, the gradient and Adam's
        two moments (5·k·d numbers) come on top.
    checkpoint_path : file that holds the state every ``checkpoint_every`` updates and at the end. A
        call whose checkpoint exists resumes from it (the result is identical to an uninterrupted run
        on the same device); a finished checkpoint is returned at once, or extended when ``steps`` grew.
    log_every : steps between ``history`` entries and ``callback`` calls (the last step is always logged).
    callback : ``callback(step, eps)`` at each logged step; an exception it raises stops the run
        (the last checkpoint keeps the work done so far).
    block : tile edge override (default: the largest that fits ``memory_budget``, capped per device).
    init : optional (k, d) array of starting vectors (rows; normalised here), e.g. k vectors of an
        explicit construction, instead of the seeded N(0, 1) start. A checkpoint records a digest of
        it, so a run resumes only with the same start.

    Returns
    -------
    CellResult with ``kind="optimised"``, ``eps`` = ε*, ``history`` = [(step, max|G|), ...] and,
    when ``return_vectors``, ``vectors`` = the (d, k) float array of unit columns that ε* measures.
    """
    import torch

    k = check_size("k", k, 2)
    d = check_size("d", d, 2)
    steps = check_size("steps", steps, 1)
    seed = check_size("seed", seed, 0)
    checkpoint_every = check_size("checkpoint_every", checkpoint_every, 1)
    log_every = check_size("log_every", log_every, 1)
    dev = resolve_device(device)
    tdtype = resolve_dtype(dtype)
    if tdtype not in (torch.float32, torch.float64):
        raise PackingError(f"optimised packing runs in float32 or float64, not {dtype!r}")
    budget = parse_memory_budget(memory_budget)
    obj = make_objective(objective, k, d, exponent=exponent, sharpness=sharpness)
    lr = obj.default_lr(d) if lr is None else lr
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < math.inf:
        raise PackingError(f"lr must be a positive number, got {lr!r}")
    lr_schedule = obj.default_schedule if lr_schedule is None else lr_schedule
    if lr_schedule not in LR_SCHEDULES:
        raise PackingError(f"unknown lr_schedule {lr_schedule!r}; choose one of {', '.join(LR_SCHEDULES)}")
    itemsize = torch.finfo(tdtype).bits // 8
    if block is None:
        block = choose_block(k, budget, itemsize, preferred=PREFERRED_BLOCK.get(dev.type, 4096))
    else:
        block = check_size("block", block, 1)

    settings = _settings(steps, obj, lr, lr_schedule, tdtype, k)
    start_rows = _check_init(init, k, d)
    if start_rows is not None:
        import hashlib

        settings["init"] = "given rows, normalised"
        settings["init_sha1"] = hashlib.sha1(start_rows.tobytes()).hexdigest()
    # What must match for a checkpoint to be resumed: everything but the number of steps, which a
    # constant learning rate lets a finished run extend (a schedule depends on it).
    config = {"version": CHECKPOINT_VERSION, "kind": "optimised", "k": k, "d": d, "seed": seed,
              **{key: value for key, value in settings.items()
                 if key != "steps" or lr_schedule != "constant" or obj.annealed}}

    run = PackingRun(k, d, obj, lr, seed=seed, device=dev, dtype=tdtype, block=block, init=start_rows)
    start, history, seconds_before = 0, [], 0.0

    path = Path(checkpoint_path) if checkpoint_path is not None else None
    if path is not None and path.exists():
        state = ckpt.load_torch(path)
        ckpt.check_config(path, state.get("config", {}), config)
        if state["updates"] > steps - 1:
            raise PackingError(f"checkpoint {path} is already past step {state['updates']}, beyond the "
                               f"requested steps={steps}; ask for at least {state['updates'] + 1} steps")
        run.load_state_dict(state)
        start = state["updates"]
        history = [tuple(h) for h in state["history"] if h[0] < start]
        seconds_before = float(state["seconds"])
        if state.get("done") and state["updates"] == steps - 1:
            return _result(run, state["eps"], seconds_before, seed, settings,
                           [tuple(h) for h in state["history"]], return_vectors)

    began = time.perf_counter()

    def elapsed() -> float:
        return seconds_before + time.perf_counter() - began

    def save(updates: int, done: bool = False, eps: float | None = None, seconds: float | None = None) -> None:
        if path is not None:
            ckpt.save_torch(path, {"config": config, "updates": updates, "done": done, "eps": eps,
                                   "history": [list(h) for h in history],
                                   "seconds": elapsed() if seconds is None else seconds, **run.state_dict()})

    eps = float("nan")
    torch.set_flush_denormal(True)  # |g|^(p-1) of tiny g would otherwise hit slow denormal arithmetic
    try:
        pbar = bar(steps, f"pack k={k} d={d}", initial=start, enabled=progress)
        for step in range(start, steps):
            obj.set_progress(step / (steps - 1) if steps > 1 else 1.0)
            eps = run.measure(step)
            last = step == steps - 1
            if step % log_every == 0 or last:
                history.append((step, eps))
                pbar.set_postfix(eps=f"{eps:.4f}", refresh=False)
                if callback is not None:
                    callback(step, eps)
            if last:
                break
            if lr_schedule == "cosine":
                run.update(0.5 * lr * (1.0 + math.cos(math.pi * step / (steps - 1))))
            else:
                run.update()
            pbar.update(1)
            if (step + 1) % checkpoint_every == 0:
                save(step + 1)
        pbar.update(1)
        pbar.close()
        if run.keep_best:
            eps = run.restore_best(eps)
        if settings.get("polish"):
            eps = run.polish(eps)
            history.append((steps - 1, eps))
        seconds = elapsed()
        save(steps - 1, done=True, eps=eps, seconds=seconds)
    finally:
        torch.set_flush_denormal(False)  # torch's default
    return _result(run, eps, seconds, seed, settings, history, return_vectors)


def _check_init(init, k: int, d: int):
    """The starting rows as a float64 (k, d) array, or None; PackingError on a bad shape or row."""
    if init is None:
        return None
    import numpy as np

    arr = np.asarray(init, dtype=np.float64)
    if arr.shape != (k, d):
        raise PackingError(f"init must have shape (k, d) = ({k}, {d}), got {arr.shape}")
    norms = np.linalg.norm(arr, axis=1)
    if not np.isfinite(arr).all() or (norms == 0).any():
        raise PackingError("init rows must be finite and non-zero")
    return np.ascontiguousarray(arr)


class PackingRun:
    """One optimisation in progress: W, Adam, the objective, the Gram tiles; one step = measure + update.

    ``measure(step)`` normalises the rows, computes ε = max_{i≠j}|G_ij| and ∂L/∂V blockwise and
    returns ε; ``update(lr)`` maps the gradient through the normalisation and takes one Adam step.
    :func:`optimise_packing` drives it; benchmarks time it.
    """

    def __init__(self, k: int, d: int, objective, lr: float, *, seed: int, device, dtype, block: int,
                 init=None):
        import torch

        if init is None:
            generator = torch.Generator().manual_seed(seed)
            start = torch.randn(k, d, generator=generator, dtype=torch.float64)
        else:
            start = torch.as_tensor(init, dtype=torch.float64)
        start = torch.nn.functional.normalize(start, dim=1).to(device=device, dtype=dtype)
        self.k, self.d, self.device, self.objective = k, d, device, objective
        self.param = torch.nn.Parameter(start)
        # The fused kernel makes Adam's update one pass over W (the loop form made ~12 % of a step at
        # (2000, 128) on a CPU); CPU and CUDA have it.
        fused = True if device.type in ("cpu", "cuda") else None
        self.optimiser = torch.optim.Adam([self.param], lr=float(lr), fused=fused)
        self.workspace = GramWorkspace(k, block, device=device, dtype=dtype)
        self.V = torch.empty_like(start)
        self.grad = torch.empty_like(start)
        self.norms = None
        # Annealed runs keep the rows of their lowest ε (at (2000, 64) the run passed 0.2156 and ended
        # at 0.2227); one k × d copy whenever ε improves, nothing next to a step's k² d products.
        self.keep_best = bool(getattr(objective, "annealed", False))
        self.best_eps = math.inf
        self.best_V = torch.empty_like(start) if self.keep_best else None
        # R of the adaptive objectives: max|G| of the previous step (of the start before step 0)
        self.reference: float | None = None

    def measure(self, step: int = 0) -> float:
        """ε of the current vectors; leaves ∂L/∂V in ``self.grad``."""
        import torch

        with torch.no_grad():
            if self.reference is None:
                normalise_rows(self.param.data, out=self.V)
                self.reference = self.workspace.max_abs(self.V)
            _, self.norms = normalise_rows(self.param.data, out=self.V)
            self.objective.begin_step(self.reference)
            eps = float(self.workspace.gradient(self.V, self.objective, self.grad))
            # a NaN or ±inf anywhere in the gradient makes its sum non-finite: one pass, not three
            if not (math.isfinite(eps) and math.isfinite(float(self.grad.sum()))):
                raise PackingError(
                    f"the {self.objective.name} objective overflowed {dtype_name(self.V.dtype)} at step {step} "
                    f"(k={self.k}, d={self.d}); lower its sharpness/exponent or the learning rate")
        self._eps = eps
        if self.keep_best and eps < self.best_eps:
            self.best_eps = eps
            self.best_V.copy_(self.V)
        return eps

    def restore_best(self, eps: float) -> float:
        """Put back the rows of the lowest ε measured when it is below ``eps``; return the ε kept."""
        if self.best_eps < eps:
            self.param.data.copy_(self.best_V)
            return self.best_eps
        return eps

    def update(self, lr: float | None = None) -> None:
        """One Adam step on W with the gradient of the last :meth:`measure` (at learning rate ``lr``)."""
        import torch

        with torch.no_grad():
            project_to_weights(self.V, self.norms, self.grad)
        if lr is not None:
            self.optimiser.param_groups[0]["lr"] = lr
        self.param.grad = self.grad
        self.optimiser.step()
        self.reference = self._eps

    def polish(self, eps: float) -> float:
        """Alternating projection (:func:`~repcap.packing.projection.alternating_projection`) on the
        current vectors; keep its rows when their ε, measured as :meth:`measure` does, is below ``eps``."""
        import torch

        with torch.no_grad():
            normalise_rows(self.param.data, out=self.V)
            rows, _ = alternating_projection(self.V)
            polished = self.workspace.max_abs(rows)
            if polished < eps:
                self.param.data.copy_(rows)
                return polished
        return eps

    def state_dict(self) -> dict[str, Any]:
        """W, Adam's state and the objective's reference, on the CPU."""
        self.objective.reference = float("nan") if self.reference is None else self.reference
        out = {"W": self.param.data.detach().cpu(), "optimizer": _cpu_state(self.optimiser.state_dict()),
               "objective": self.objective.state_dict()}
        if self.keep_best:
            out["best"] = {"eps": self.best_eps, "V": self.best_V.detach().cpu()}
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        import torch

        with torch.no_grad():
            self.param.copy_(state["W"].to(device=self.param.device, dtype=self.param.dtype))
        self.optimiser.load_state_dict(state["optimizer"])
        self.objective.load_state_dict(state["objective"])
        if self.keep_best and "best" in state:
            self.best_eps = float(state["best"]["eps"])
            self.best_V.copy_(state["best"]["V"].to(device=self.best_V.device, dtype=self.best_V.dtype))
        reference = self.objective.reference
        self.reference = None if math.isnan(reference) else reference

    def vectors(self):
        """The current unit vectors as a (d, k) numpy array."""
        import torch

        with torch.no_grad():
            return torch.nn.functional.normalize(self.param.data, dim=1).T.cpu().numpy()


def optimised_settings(k: int, d: int, *, steps: int = 5000, objective: str = "paper", lr: float | None = None,
                       exponent: float | None = None, sharpness: float | None = None,
                       lr_schedule: str | None = None, dtype: str = "float32") -> dict[str, Any]:
    """The ``settings`` dict that :func:`optimise_packing` records for these arguments (without running it).

    Sweeps compare it with stored records to skip finished cells.
    """
    obj = make_objective(objective, k, d, exponent=exponent, sharpness=sharpness)
    return _settings(steps, obj, obj.default_lr(d) if lr is None else lr,
                     obj.default_schedule if lr_schedule is None else lr_schedule, resolve_dtype(dtype), k)


def _settings(steps, obj, lr, lr_schedule, tdtype, k) -> dict[str, Any]:
    out = {"steps": steps, **obj.settings(), "lr": float(lr), "lr_schedule": lr_schedule,
           "optimizer": "adam", "dtype": dtype_name(tdtype), "init": "gaussian, normalised"}
    if obj.annealed:
        out["keep"] = "best iterate"
    if obj.annealed and k <= POLISH_MAX_K:
        out["polish"] = f"alternating projection, {POLISH_ROUNDS} rounds"
    return out


def _result(run: PackingRun, eps, seconds, seed, settings, history, return_vectors) -> CellResult:
    return CellResult(kind="optimised", k=run.k, d=run.d, eps=float(eps), seconds=float(seconds),
                      device=describe(run.device), seed=seed, settings=dict(settings),
                      history=[(int(s), float(e)) for s, e in history],
                      vectors=run.vectors() if return_vectors else None)


def _cpu_state(state: dict[str, Any]) -> dict[str, Any]:
    """An optimiser state_dict with every tensor moved to the CPU (checkpoints load on any device)."""
    import torch

    def move(value):
        if isinstance(value, torch.Tensor):
            return value.detach().cpu()
        if isinstance(value, dict):
            return {key: move(item) for key, item in value.items()}
        if isinstance(value, list):
            return [move(item) for item in value]
        return value

    return move(state)

