r"""The paper's capacity laws: the three forms, its fitting procedure and metrics, capacity, budget.
May import ``repcap.errors`` and ``repcap.common`` only: every other layer may build on it.

==================  ======================================================================
``forms``           ε(k, d) by standard JL, Eq. 6 and Eq. 7, and the paper's constants
``metrics``         R², MAPE and NRMSE as the paper defines them
``fitting``         least-squares fits with the paper's starting points and bounds (:class:`Fit`)
``classes``         the paper's class rule (Class 1: ε > 0.2, Class 2: ε < 0.1), written once
``capacity``        k_max(d, ε) in log space, the code's determinate rule, the Eq. 2 budget
``points``          reading (k, d, ε) points from sweep files, CSV or JSON
``reported``        the fit statistics the paper prints (figure insets), with their sources
==================  ======================================================================

Everything the rest of the project needs is re-exported here, e.g.
``from repcap.laws import fit_all, capacity, PAPER_EQ7``.
"""

from repcap.laws.capacity import (
    DEFAULT_PARAMS,
    capacity,
    capacity_class,
    feature_budget,
    log10_capacity,
)
from repcap.laws.classes import CLASS1_ABOVE, CLASS2_BELOW, classify, classify_interval, in_class2
from repcap.laws.fitting import Fit, fit_all, fit_form, forms_fittable
from repcap.laws.forms import (
    FORMS,
    JL_PROVEN_C,
    PAPER_EQ6_C,
    PAPER_EQ7,
    PAPER_JL_OPTIMISED_C,
    PAPER_JL_RANDOM_C,
    RATIO_FLOOR,
    eq6_eps,
    eq7_eps,
    implied_jl_c,
    jl_eps,
)
from repcap.laws.metrics import metrics
from repcap.laws.points import Points, read_points
from repcap.laws.reported import PAPER_REPORTED_FITS

__all__ = [
    "CLASS1_ABOVE", "CLASS2_BELOW", "DEFAULT_PARAMS", "FORMS", "JL_PROVEN_C", "PAPER_EQ6_C", "PAPER_EQ7",
    "PAPER_JL_OPTIMISED_C", "PAPER_JL_RANDOM_C", "PAPER_REPORTED_FITS", "RATIO_FLOOR", "Fit", "Points", "capacity",
    "capacity_class", "classify", "classify_interval", "eq6_eps", "eq7_eps", "feature_budget", "fit_all", "fit_form", "forms_fittable",
    "in_class2",
    "implied_jl_c", "jl_eps", "log10_capacity", "metrics", "read_points",
]
