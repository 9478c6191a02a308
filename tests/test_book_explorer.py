"""The capacity explorer: the constants the build writes, the page's rule for the best explicit set,
and the page's JavaScript (_static/capacity.js) against the package on a grid of (d, ε), run by Node
here (the browser test, tests/test_book_site.py, runs it again in Chromium on the built page)."""

from __future__ import annotations

import itertools
import json
import math
import shutil
import subprocess

import pytest

from repcap.book import explorer as E
from repcap.common.formatting import log10_sci
from repcap.geometry.constructions import best_construction

from conftest import ROOT

LOGS = ("jl_random", "jl_proven", "eq6", "eq7", "greedy")
#: (d, ε) where the page must agree with the package: tiny and large d, ε from 0 to 0.99, the
#: thresholds, coherences of explicit sets (1/8 is Kerdock's in R^64) and Table 1's Llama 2 7B.
GRID = [(d, eps) for d, eps in itertools.product(
    (2, 3, 7, 16, 63, 64, 100, 384, 1023, 2048, 4095, 4096, 8192, 16384, 65536),
    (0.0, 1e-4, 0.003, 0.03, 0.0645, 0.09962, 0.1, 0.125, 0.2, 0.25, 0.5, 0.8, 0.99))]


def compare(grid, page: list[dict]) -> list[str]:
    """Where the page's numbers (``numbers(d, ε)`` of capacity.js, plus ``sci`` of each log) differ
    from :func:`repcap.book.explorer.numbers`: logs beyond 1e-9 relative, anything else at all."""
    problems = []
    for (d, eps), got in zip(grid, page, strict=True):
        want = E.numbers(d, eps)
        for key in LOGS:
            if got[key] != pytest.approx(want[key], rel=1e-9, abs=1e-12):
                problems.append(f"{key}(d={d}, ε={eps}): page {got[key]!r}, package {want[key]!r}")
            if got["sci"][key] != log10_sci(want[key]):
                problems.append(f"{key}(d={d}, ε={eps}) written {got['sci'][key]!r}, "
                                f"tables write {log10_sci(want[key])!r}")
        for key in ("best", "class", "determinate"):
            if got[key] != want[key]:
                problems.append(f"{key}(d={d}, ε={eps}): page {got[key]!r}, package {want[key]!r}")
    return problems


#: JavaScript that evaluates the page's module on ``grid`` (a global) as :func:`compare` reads it.
EVALUATE = """grid => grid.map(([d, eps]) => {
  const n = window.RepcapCapacity.numbers(d, eps);
  n.sci = {};
  for (const key of %s) n.sci[key] = window.RepcapCapacity.log10Sci(n[key]);
  return n;
})""" % json.dumps(LOGS)


def test_constants_are_the_packages():
    from repcap import laws
    from repcap.catalog import paper_models

    c = E.constants()
    assert c["jl"] == {"random_C": laws.PAPER_JL_RANDOM_C, "proven_C": laws.JL_PROVEN_C}
    assert c["eq6"]["C"] == laws.PAPER_EQ6_C and c["eq7"] == laws.PAPER_EQ7
    assert (c["classes"]["class1_above"], c["classes"]["class2_below"]) == (laws.CLASS1_ABOVE,
                                                                           laws.CLASS2_BELOW)
    assert [m["name"] for m in c["models"]] == [r["name"] for r in paper_models()]
    start = next(m for m in c["models"] if m["name"] == c["start"])
    assert (start["d"], start["eps"]) == (4096, 0.0645)  # Table 1's Llama 2 7B
    text = E.constants_script()
    prefix = f"window.{E.GLOBAL} = "
    assert json.loads(text[text.index(prefix) + len(prefix):].rstrip().rstrip(";")) == c


def test_first_fit_in_the_table_is_the_best_construction():
    """The page's rule (first set that fits in the build's sorted table, else the basis of R^d),
    written here independently, picks best_construction's set on a grid of (d, ε)."""
    table = E.constants()["constructions"]
    sets = table["sets"]
    assert all(s["dim"] <= table["max_d"] for s in sets) and len(sets) > 100
    # the page says whether each coherence is exact or a proven bound, as `repcap construct` does
    assert {s["coherence_is"] for s in sets} == {"exact", "bound"}
    logs = [s["log10_count"] for s in sets]
    assert logs == sorted(logs, reverse=True)
    for d, eps in GRID + [(s["dim"], s["coherence"]) for s in sets[::7]]:
        if eps > 1:
            continue
        fit = next((s for s in sets if s["dim"] <= d and s["coherence"] <= eps + table["tol"]), None)
        best = best_construction(d, eps)
        if fit is None or (fit["count"] is not None and fit["count"] <= d):
            assert (best.family, best.count) == ("orthonormal", d)
        else:
            assert fit == E._construction(best)


def test_numbers_at_llama2_7b_by_hand():
    """The opening point against the closed forms and a numerical integral of the cap area."""
    from scipy import integrate, special

    d, eps = 4096, 0.0645
    n = E.numbers(d, eps)
    assert n["jl_proven"] == pytest.approx(d * eps**2 / 8 / math.log(10), rel=1e-12)
    assert n["eq6"] == pytest.approx(math.log10(d) + d * eps**2 / 1.293401 / math.log(10), rel=1e-12)
    # P(|cos| > ε) for a uniform direction: the density of cos is ∝ (1 − t²)^((d−3)/2)
    log_norm = special.betaln(0.5, (d - 1) / 2)
    tail, _ = integrate.quad(lambda t: 2 * math.exp((d - 3) / 2 * math.log1p(-t * t) - log_norm),
                             eps, 1, epsabs=0, epsrel=1e-12, limit=200)
    assert n["greedy"] == pytest.approx(-math.log10(tail), rel=1e-9)
    assert n["class"] == "Class 2" and n["determinate"]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_pages_javascript_matches_the_package_in_node(tmp_path):
    script = tmp_path / "run.js"
    script.write_text(
        "global.window = global;\n"
        "global.document = {readyState: 'complete', getElementById: () => null};\n"
        + E.constants_script() + (ROOT / "_static" / "capacity.js").read_text(encoding="utf-8")
        + f"\nconsole.log(JSON.stringify(({EVALUATE})({json.dumps(GRID)})));\n")
    out = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    problems = compare(GRID, json.loads(out.stdout))
    assert not problems, "\n".join(problems[:20])
