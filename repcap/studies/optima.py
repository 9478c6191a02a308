r"""The optimiser where the optimum is known: line packings whose least coherence is proven.

For k unit vectors in R^d no packing has max |cos| below the coherence floor
(:func:`repcap.geometry.bounds.coherence_floor`), e.g. the Welch bound
:math:`\mu_W = \sqrt{(k - d) / (d (k - 1))}` or, for k > d(d + 1)/2, the Levenshtein bound. In the
cells of :data:`KNOWN_OPTIMA` a line set is known that attains the floor, so the floor *is* the
optimum and

.. math:: \rho = \varepsilon^*_\text{optimiser} / \mu_\text{floor} \ge 1

measures how far an optimiser ends from the physical limit (ρ = 1: it found an optimal packing).
The sets that attain these floors are cited; two are also built and checked here, the Kerdock set
of R^64 (:func:`repcap.geometry.constructions.kerdock`) and the 276 lines of R^23
(:func:`repcap.geometry.constructions.leech_etf`). They are: equiangular tight frames of 6 lines
in R^3 (the icosahedron's diagonals), 10 in R^5, 16 in R^6 and 28 in R^7 (from the Petersen and
Clebsch graphs and the E7 root system; Lemmens & Seidel 1973), 276 in R^23 (the McLaughlin
two-graph, from the Leech lattice; Lemmens & Seidel 1973), and 2112 lines in R^64 (Kerdock,
attaining Levenshtein's bound; Calderbank et al. 1997).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from repcap.geometry.bounds import coherence_floor
from repcap.packing.optimise import BEST_OBJECTIVE, optimise_packing

__all__ = ["KnownOptimum", "KNOWN_OPTIMA", "optima_rows"]


@dataclass(frozen=True)
class KnownOptimum:
    """A cell (k, d) where a known set attains the coherence floor; ``target`` is the ratio ρ an
    optimiser is asked to reach (issue 24: 1 % on the small frames, 5 % on the large cells)."""

    k: int
    d: int
    attained_by: str
    target: float

    @property
    def optimum(self) -> float:
        """The least possible max |cos|: the coherence floor, which the cited set attains."""
        return float(coherence_floor(self.k, self.d))


#: Cells whose optimum is known, smallest first.
KNOWN_OPTIMA: tuple[KnownOptimum, ...] = (
    KnownOptimum(6, 3, "icosahedron's diagonals (ETF)", 1.01),
    KnownOptimum(10, 5, "ETF (Petersen graph)", 1.01),
    KnownOptimum(16, 6, "ETF (Clebsch graph)", 1.01),
    KnownOptimum(28, 7, "ETF (E7 roots)", 1.01),
    KnownOptimum(276, 23, "ETF (Leech lattice; built here)", 1.05),
    KnownOptimum(2112, 64, "Kerdock set (Levenshtein-tight; built here)", 1.05),
)


def optima_rows(cells: Iterable[KnownOptimum] = KNOWN_OPTIMA, *, steps: int = 5000,
                objective: str = BEST_OBJECTIVE, seeds: Sequence[int] = (0,), device=None,
                progress: bool = False) -> list[dict]:
    """Run the optimiser at each known optimum; one row per cell.

    Each row: ``k``, ``d``, ``optimum`` (μ_floor), ``attained_by``, ``eps`` (the lowest ε* over
    ``seeds``), ``eps_by_seed``, ``ratio`` (ρ = eps / optimum), ``target``, ``met`` (ρ ≤ target),
    ``seconds`` (summed over seeds), ``steps`` and ``objective``.
    """
    rows = []
    for cell in cells:
        runs = [optimise_packing(cell.k, cell.d, steps=steps, objective=objective, seed=s,
                                 device=device, progress=progress) for s in seeds]
        eps = min(r.eps for r in runs)
        ratio = eps / cell.optimum
        rows.append({"k": cell.k, "d": cell.d, "optimum": cell.optimum, "attained_by": cell.attained_by,
                     "eps": eps, "eps_by_seed": [r.eps for r in runs], "ratio": ratio,
                     "target": cell.target, "met": bool(ratio <= cell.target),
                     "seconds": sum(r.seconds for r in runs), "steps": steps, "objective": objective})
    return rows
