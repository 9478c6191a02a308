"""repcap.studies.eps_parts: the identities of ε's shift/spread split."""

from __future__ import annotations

import pytest

from repcap.errors import DomainError
from repcap.studies import eps_parts as P


def test_decompose_identities():
    p = P.decompose(0.44, 0.14, 576)
    assert p.shift_share + p.spread_share == pytest.approx(1.0)
    assert p.excess == pytest.approx(p.excess_shift + p.excess_spread)
    assert p.null_eps == pytest.approx(2 / 24)
    assert p.ratio == pytest.approx(p.eps / p.null_eps)
    assert p.sigma_ratio == pytest.approx(0.14 * 24)
    for bad in [(0.1, -0.1, 100), (float("nan"), 0.1, 100), (0.1, 0.1, 1), (0.0, 0.0, 100), (0.1, 0.1, 2.5)]:
        with pytest.raises(DomainError):
            P.decompose(*bad)
