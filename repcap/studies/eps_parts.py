r"""How ε = µ + 2σ splits into the *shift* of the cosine distribution and its *spread*, against the null.

:func:`decompose` compares ε with the isotropic null of :mod:`repcap.geometry.null`: for independent
uniform unit vectors in :math:`\mathbb{R}^d` the cosine has mean 0 and variance :math:`1/d`, so
:math:`\varepsilon_0 = 2/\sqrt d`, and the excess splits exactly into shift and extra spread,

.. math:: \varepsilon - \frac{2}{\sqrt d} = \mu + 2\Big(\sigma - \frac{1}{\sqrt d}\Big).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from repcap.errors import DomainError

__all__ = ["EpsParts", "decompose"]


@dataclass(frozen=True)
class EpsParts:
    r"""How ε = µ + 2σ splits into shift and spread, and how far it is from the isotropic null.

    ``shift_share`` = µ/ε and ``spread_share`` = 2σ/ε (they sum to 1); ``null_eps`` =
    :math:`\varepsilon_0 = 2/\sqrt d`; ``excess`` = ε − ε₀, which splits exactly as

    .. math:: \varepsilon - \frac{2}{\sqrt d} = \underbrace{\mu}_{\text{shift}}
              + \underbrace{2\,(\sigma - 1/\sqrt d)}_{\text{extra spread}} ;

    ``ratio`` = ε/ε₀ = ε√d/2 and ``sigma_ratio`` = σ√d (both 1 for an isotropic matrix).
    """

    eps: float
    mean: float
    std: float
    d: int
    shift_share: float
    spread_share: float
    null_eps: float
    excess: float
    excess_shift: float
    excess_spread: float
    ratio: float
    sigma_ratio: float


def decompose(mean: float, std: float, d: int) -> EpsParts:
    r"""Split ε = µ + 2σ into shift (µ) and spread (2σ), and compare it with 2/√d.

    .. math::

        \text{shift share} = \frac{\mu}{\varepsilon}, \quad
        \text{spread share} = \frac{2\sigma}{\varepsilon}, \quad
        \varepsilon - \frac{2}{\sqrt d} = \mu + 2\Big(\sigma - \frac{1}{\sqrt d}\Big), \quad
        \frac{\varepsilon}{2/\sqrt d} = \frac{\varepsilon\sqrt d}{2}.

    Raises :class:`~repcap.errors.DomainError` for non-finite inputs, σ < 0, d < 2 or ε = 0.
    """
    try:
        mean, std, d_int = float(mean), float(std), int(d)
    except (TypeError, ValueError) as exc:
        raise DomainError(f"decompose: mean, std and d must be numbers, got {mean!r}, {std!r}, {d!r}") from exc
    if not (math.isfinite(mean) and math.isfinite(std)) or std < 0:
        raise DomainError(f"decompose: need finite µ and σ ≥ 0, got µ = {mean}, σ = {std}")
    if d_int < 2 or d_int != d:
        raise DomainError(f"decompose: d must be an integer ≥ 2, got {d!r}")
    eps = mean + 2.0 * std
    if eps == 0:
        raise DomainError("decompose: ε = µ + 2σ is 0; the shares are undefined")
    root = math.sqrt(d_int)
    null = 2.0 / root
    return EpsParts(eps=eps, mean=mean, std=std, d=d_int, shift_share=mean / eps,
                    spread_share=2.0 * std / eps, null_eps=null, excess=eps - null,
                    excess_shift=mean, excess_spread=2.0 * (std - 1.0 / root),
                    ratio=eps * root / 2.0, sigma_ratio=std * root)
