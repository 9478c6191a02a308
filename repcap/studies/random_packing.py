r"""Chapter 4's computations: what JL-type constructions guarantee, and what random vectors reach.

* **The guarantees** at Llama 2 7B's width and ε (the paper's Eq. 4 worked example): the number of
  directions :math:`k = \exp(d\varepsilon^2/C)` that JL-type constructions guarantee for each constant
  C, and the exact greedy (Gilbert–Varshamov) count
  :math:`1/I_{1-\varepsilon^2}(\tfrac{d-1}{2}, \tfrac12)` (:func:`guarantee_counts`,
  :func:`guarantee_curves`).
* **The random sweep** (the paper's Eq. 5 and Fig. 6),
  :math:`\varepsilon^*_\text{random}(k, d) = \min_{t \le T} \max_{i \ne j} |\cos(v^{(t)}_i, v^{(t)}_j)|`,
  fitted with standard JL :math:`\varepsilon = \sqrt{C \ln k / d}` and set beside the extreme-value
  law with nothing fitted (:func:`repcap.geometry.null.best_of_trials_median`) (:class:`RandomSweep`).
* **The implied constant** :math:`C = d\varepsilon^2/\ln k` of that law along k
  (:func:`implied_c_curves`), which explains the paper's C ≈ 3.

:mod:`repcap.studies.random_packing_findings` reads these numbers and decides the paper's claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from repcap.geometry.bounds import log10_greedy_count
from repcap.geometry.null import best_of_trials_median
from repcap.laws import JL_PROVEN_C, PAPER_JL_RANDOM_C, Fit, fit_form, implied_jl_c, log10_capacity
from repcap.laws.metrics import relative_errors
from repcap.packing.released import PaperSweep

__all__ = ["LLAMA_D", "LLAMA_EPS", "LLAMA_VOCAB", "PAPER_TRIALS", "CONSTRUCTIONS", "IMPLIED_C_CASES",
           "IMPLIED_C_AT", "guarantee_counts", "guarantee_curves", "implied_c_curves", "RandomSweep"]

#: Llama 2 7B in the paper's Table 1: width d, measured ε, vocabulary V.
LLAMA_D, LLAMA_EPS, LLAMA_VOCAB = 4096, 0.0645, 32000
#: T of the paper's released random sweep.
PAPER_TRIALS = 1000
#: (results key, construction, C) of each JL-type guarantee k = exp(dε²/C), in table order.
CONSTRUCTIONS = (
    ("llama_k_C8", "textbook JL, δ-constant read as ε (the paper)", JL_PROVEN_C),
    ("llama_k_C32", "textbook JL in ε form (ε = 2δ)", 4 * JL_PROVEN_C),
    ("llama_k_C4", "random signs + union bound", 4.0),
    ("llama_k_C3029", "JL fitted to random vectors (paper, Fig. 6)", PAPER_JL_RANDOM_C),
    ("llama_k_C2", "greedy, exp(dε²/2) approximation", 2.0),
)
#: (T, d) of the implied-constant curves of Figure 4.4, and the k at which the text reads them.
IMPLIED_C_CASES = ((1, 4096), (1, 1024), (1000, 4096), (1000, 1024))
IMPLIED_C_AT = (1e3, 3.2e4, 1e12)


def guarantee_counts(d: int = LLAMA_D, eps: float = LLAMA_EPS) -> dict[str, float]:
    r"""Directions each construction of :data:`CONSTRUCTIONS` guarantees at (d, ε), by results key:
    :math:`k = \exp(d\varepsilon^2/C)`; ``llama_greedy`` is the exact greedy count
    :math:`1/I_{1-\varepsilon^2}(\tfrac{d-1}{2}, \tfrac12)`."""
    counts = {key: 10 ** log10_capacity(d, eps, "jl", {"C": C}) for key, _, C in CONSTRUCTIONS}
    return {**counts, "llama_greedy": 10 ** log10_greedy_count(d, eps)}


def guarantee_curves(d: int = LLAMA_D, eps_grid=None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(ε grid, {label: log10 k}) of the guarantees of Figure 4.1 over ε = 0.01…0.12 in R^d."""
    eps_grid = np.linspace(0.01, 0.12, 221) if eps_grid is None else np.asarray(eps_grid, float)
    jl = {"C = 8 (the paper's JL)": JL_PROVEN_C, "C = 4 (random signs)": 4.0,
          "C = 3.03 (JL fitted to random vectors)": PAPER_JL_RANDOM_C,
          "C = 2 (greedy, exp(dε²/2) form)": 2.0}
    curves = {label: log10_capacity(d, eps_grid, "jl", {"C": C}) for label, C in jl.items()}
    return eps_grid, {**curves, "greedy, exact count": log10_greedy_count(d, eps_grid)}


def implied_c_curves(k_grid=None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    r"""(k grid, {label: C}) of the constant :math:`C = d\,\varepsilon^2/\ln k` implied by the median
    of the best of T draws (:func:`~repcap.geometry.null.best_of_trials_median`), for each (T, d) of
    :data:`IMPLIED_C_CASES`, over k = 10^3…10^12."""
    k_grid = np.geomspace(1e3, 1e12, 120) if k_grid is None else np.asarray(k_grid, float)
    series = {}
    for T, dd in IMPLIED_C_CASES:
        name = f"{'one draw' if T == 1 else 'best of 1000'}, d = {dd}"
        series[name] = implied_jl_c(k_grid, dd, best_of_trials_median(k_grid, dd, T))
    return k_grid, series


@dataclass
class RandomSweep:
    """Our random sweep (``records`` of :func:`repcap.packing.sweeps.run_sweep`) beside the paper's
    released one, with standard JL fitted to each and the zero-parameter law at every cell. The
    figures draw from it; :meth:`RandomPackingFindings.from_sweep` reads its numbers."""

    records: list[dict]
    paper: PaperSweep
    trials: int
    grid: str = ""
    dtype: str = ""
    file: str = ""  # the results file's name (cells found there were not recomputed)
    k: np.ndarray = field(init=False)
    d: np.ndarray = field(init=False)
    eps: np.ndarray = field(init=False)
    seconds: np.ndarray = field(init=False)
    fit: Fit = field(init=False)          # JL fitted to our cells
    paper_fit: Fit = field(init=False)    # JL refitted to the released cells
    law_eps: np.ndarray = field(init=False)        # the law at our cells, T = trials
    paper_law_eps: np.ndarray = field(init=False)  # the law at the released cells, T = 1000

    def __post_init__(self):
        self.k, self.d, self.eps, self.seconds = (
            np.array([r[key] for r in self.records], dtype=float)
            for key in ("k", "d", "eps", "seconds"))
        self.fit = fit_form("jl", self.k, self.d, self.eps)
        self.paper_fit = fit_form("jl", self.paper.k, self.paper.d, self.paper.eps)
        self.law_eps = np.asarray(best_of_trials_median(self.k, self.d, self.trials))
        self.paper_law_eps = np.asarray(best_of_trials_median(self.paper.k, self.paper.d,
                                                              PAPER_TRIALS))

    def law(self, k, d):
        """The zero-parameter law at (k, d) for this sweep's T."""
        return best_of_trials_median(k, d, self.trials)

    def residuals(self) -> dict[str, np.ndarray]:
        """measured / predicted − 1 of our cells: ``{"fit": …, "law": …}``."""
        return {"fit": relative_errors(self.eps, self.fit.predict(self.k, self.d)),
                "law": relative_errors(self.eps, self.law_eps)}

    def paper_residuals(self) -> dict[str, np.ndarray]:
        """measured / predicted − 1 of the released cells: ``{"fit": …, "law": …}``."""
        p = self.paper
        return {"fit": relative_errors(p.eps, self.paper_fit.predict(p.k, p.d)),
                "law": relative_errors(p.eps, self.paper_law_eps)}
