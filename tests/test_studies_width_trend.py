"""repcap.studies.width_trend: the log–log slope and Spearman correlations against numpy and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from repcap.errors import DomainError
from repcap.studies import reported_eps as Rp
from repcap.studies import width_trend as Tr


def test_trend_against_numpy_and_scipy():
    from scipy import stats

    d = np.array([512, 1024, 2048, 4096, 8192])
    iso = [{"d_model": int(x), "eps": 2 / math.sqrt(x)} for x in d]
    t = Tr.trend(iso)
    assert t.slope == pytest.approx(-0.5, abs=1e-12)
    assert t.intercept == pytest.approx(math.log(2), abs=1e-12)
    assert t.spearman == pytest.approx(-1.0) and math.isnan(t.spearman_scaled)
    # the paper's Class 2 rows (reported ε): compare with polyfit and scipy directly
    pts = Rp.class2_points(Rp.reported_points())
    t = Tr.trend(pts)
    dd = np.array([p["d_model"] for p in pts], float)
    ee = np.array([p["eps"] for p in pts])
    slope, intercept = np.polyfit(np.log(dd), np.log(ee), 1)
    assert (t.slope, t.intercept) == (pytest.approx(slope, abs=1e-10), pytest.approx(intercept, abs=1e-10))
    rho, p = stats.spearmanr(dd, ee * np.sqrt(dd))
    assert (t.spearman_scaled, t.p_value_scaled) == (pytest.approx(rho), pytest.approx(p))
    assert t.n == 31 and -0.5 < t.slope < 0  # falls slower than 1/√d: ε√d grows with d
    with pytest.raises(DomainError):
        Tr.trend(iso[:2])
    with pytest.raises(DomainError):
        Tr.trend([{"d_model": 64, "eps": e} for e in (0.1, 0.2, 0.3)])
