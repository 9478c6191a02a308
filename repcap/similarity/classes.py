"""The paper's class rule for the accepted deviation ε = µ + 2σ.

The paper (§2.5, Appendix D) sorts models into two classes by their ε:

* **Class 1** (not near-orthogonal; capacity "indeterminate"): ε > 0.2;
* **Class 2** (strictly near-orthogonal; finite capacity): ε < 0.1.

It reports no model in between; this module names that gap explicitly (``"between"``) instead of
forcing a model into a class.
"""

from __future__ import annotations

import math

from repcap.errors import SimilarityError

CLASS1_ABOVE = 0.2
CLASS2_BELOW = 0.1
LABELS = ("Class 1", "Class 2", "between")


def classify(eps: float) -> str:
    """The paper's class of a model with accepted deviation ``eps``.

    .. math::

        \\operatorname{class}(\\varepsilon) = \\begin{cases}
            \\text{"Class 1"} & \\varepsilon > 0.2 \\\\
            \\text{"Class 2"} & \\varepsilon < 0.1 \\\\
            \\text{"between"} & 0.1 \\le \\varepsilon \\le 0.2
        \\end{cases}

    Both thresholds are strict, as in the paper (ε = 0.2 and ε = 0.1 are "between").
    Raises :class:`~repcap.errors.SimilarityError` for a non-finite or non-numeric ``eps``.
    """
    try:
        value = float(eps)
    except (TypeError, ValueError) as exc:
        raise SimilarityError(f"classify: eps must be a number, got {eps!r}") from exc
    if not math.isfinite(value):
        raise SimilarityError(f"classify: eps must be finite, got {value}; compute it from a "
                              "matrix without NaN/Inf rows")
    if value > CLASS1_ABOVE:
        return "Class 1"
    if value < CLASS2_BELOW:
        return "Class 2"
    return "between"
