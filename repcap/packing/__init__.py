"""Packing: k unit vectors in R^d, random (Eq. 5) and optimised (§3.3), and their experiments.
May import ``repcap.errors``, ``repcap.common``, ``repcap.laws`` and ``repcap.geometry`` (never sources,
studies, book, cli).

Modules, one job each:

``results``          :class:`CellResult`, the record of one (k, d) cell
``objectives``       the paper's Σ|G_ij|^p loss and its exponent/learning-rate rules, and alternatives
                     (``anneal``: the book's best recipe)
``projection``       alternating projection onto tight frames, the polish of the best recipe
``blockwise``        Gram tiles: max |cos| and the packing gradient without a k × k matrix
``random_baseline``  ε*_random(k, d) = min over T draws of max |cos|
``optimise``         Adam on the normalised vectors, checkpointed and resumable
``hardware``         dtypes, sizes, memory budgets, a device's name for records
``checkpoint``       atomic checkpoint and results files
``sweeps``           resumable (k, d) grids of cells, one JSON record per finished cell
``cluster``          the cells of a sweep as tasks on a Dask cluster (optional extra ``cluster``)
``grid``             the cells a chapter runs, their results file, grid summaries
``cost``             floating-point work per cell, fitted throughput, the time a grid would take
``released``         the paper's released sweeps (random and optimised), read for comparison

Torch is imported only when a packing is computed.
"""

from repcap.packing.objectives import OBJECTIVES, paper_exponent, paper_learning_rate
from repcap.packing.optimise import optimise_packing
from repcap.packing.random_baseline import random_baseline
from repcap.packing.results import CellResult

__all__ = ["CellResult", "OBJECTIVES", "optimise_packing", "paper_exponent", "paper_learning_rate",
           "random_baseline"]
