r"""The fit statistics the paper prints, as printed, with where each is printed.

These are the *reported* figures of Guha, "Representational Capacity" (2026, arXiv 2606.02765), kept
for side-by-side tables (a chapter shows them beside the same fits recomputed from the paper's released
sweep data and from our own packings). They are the rounded values of the insets of its Figs 6–8 and
the text of its §3.2–§3.3. The full-precision values are what the author's fitting script
(``vector_packing_graphs.py``) gives on the released sweeps (``random_packing.json``,
``optimized_packing.json``, shipped in ``repcap/data/paper``; :func:`repcap.laws.fit_form` reproduces
them), and the Eq. 7 constants are those of the author's ``representational_capacity.py``; they are
what :mod:`repcap.laws.forms` uses as constants (``PAPER_JL_RANDOM_C``, ``PAPER_JL_OPTIMISED_C``,
``PAPER_EQ6_C``, ``PAPER_EQ7``).

``PAPER_REPORTED_FITS[data][form]`` with ``data`` in ``"random"`` (the 256-cell random-vector sweep)
and ``"optimised"`` (the 166-cell optimised sweep), ``form`` as in :data:`repcap.laws.FORMS`, holds:

* ``params`` — the fitted constants of ε = √(C ln k / d) (``jl``), ε = √(C ln(k/d) / d) (``eq6``) or
  ε = √(C ln(k^a/d)^b / d^c) (``eq7``);
* ``r2`` = 1 − SS_res/SS_tot, ``mape`` = mean |y − ŷ|/|y| · 100 and ``nrmse`` = RMSE/(max y − min y) · 100
  (None where the paper does not print the value);
* ``n`` — the number of (k, d) cells fitted;
* ``source`` — where in the paper the numbers are printed.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["PAPER_REPORTED_FITS"]


def _frozen(data: dict) -> MappingProxyType:
    return MappingProxyType({key: MappingProxyType(value) if isinstance(value, dict) else value
                             for key, value in data.items()})


PAPER_REPORTED_FITS = MappingProxyType({
    "random": MappingProxyType({
        "jl": _frozen({"params": {"C": 3.0295}, "r2": 0.9985, "mape": 1.3, "nrmse": 0.9, "n": 256,
                       "source": "Fig. 6 inset and caption (paper §3.2)"}),
    }),
    "optimised": MappingProxyType({
        # R² of the JL refit is not printed (0.963 when recomputed from the released optimised sweep).
        "jl": _frozen({"params": {"C": 0.7068}, "r2": None, "mape": 975.3, "nrmse": 5.4, "n": 166,
                       "source": "Fig. 7 left inset (paper §3.3)"}),
        "eq6": _frozen({"params": {"C": 1.2934}, "r2": 0.9984, "mape": 7.9, "nrmse": 1.1, "n": 166,
                        "source": "Fig. 7 right inset (paper §3.3); R² in the text of §3.3"}),
        "eq7": _frozen({"params": {"C": 0.458, "a": 1.07, "b": 1.45, "c": 0.97}, "r2": 0.9998, "mape": 5.4,
                        "nrmse": 0.4, "n": 166, "source": "Fig. 8 inset and caption (paper §3.3)"}),
    }),
})
