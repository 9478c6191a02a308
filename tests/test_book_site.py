"""The whole book under the `smoke` profile: every chapter executes, the site renders, and every page
passes a check in headless Chromium at 1,400 px (math typeset, figures load and are legible, no error output,
internal links resolve).

One module-scoped build serves all tests here; run the suite with ``--dist loadfile`` so that pytest-xdist
keeps this module on one worker.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from repcap.book import build as bookbuild
from repcap.book.site_check import find_chromium, site_problems

from conftest import ROOT

NOTEBOOKS = bookbuild.toc_notebooks(ROOT)
CHROMIUM = find_chromium()


@pytest.fixture(scope="module")
def smoke_book(tmp_path_factory):
    base = tmp_path_factory.mktemp("book")
    build_dir, results = base / "_build", base / "results"
    report = bookbuild.build("smoke", build_dir=build_dir, results_dir=results, force=True)
    return report, results


def test_every_chapter_executes_and_reports(smoke_book):
    report, results = smoke_book
    assert [e.notebook for e in report.executions] == [nb.name for nb in NOTEBOOKS]
    for nb in NOTEBOOKS:
        data = json.loads((results / f"{nb.stem}.json").read_text())
        assert data, f"{nb.name} wrote no results"
        assert data.get("profile") == "smoke", f"{nb.name} must record its profile in its results"


def _results(smoke_book, stem):
    return json.loads((smoke_book[1] / f"{stem}.json").read_text())


def test_chapter1_numbers(smoke_book):
    from repcap.book.profiles import parameters_for

    data = _results(smoke_book, "01_superposition")
    params = parameters_for(ROOT / "notebooks" / "01_superposition.ipynb", "smoke")
    for row in data["null"]:  # d·Var(cos) = 1 for random directions
        assert row["var_times_d"] == pytest.approx(1.0, abs=0.15)
    assert len(data["counts"]["median"]) == len(params["count_dims"])
    low, high = data["llama2_7b_band_log10"]  # greedy guarantee to real moment bound: 10^4.44 to 10^55.95
    assert low == pytest.approx(4.44, abs=0.01) and high == pytest.approx(55.95, abs=0.01)
    for section, m in (("toy", params["toy_hidden"]), ("geometry", params["geo_hidden"])):
        table = data[section]["table"]
        assert all(r["sum_dimensionality"] <= m + 1e-9 for r in table)  # Σ D_i ≤ m
        assert all(r["loss"] > 0 and r["no_superposition_loss"] > 0 for r in table)


def test_chapter2_numbers(smoke_book):
    import math

    data = _results(smoke_book, "02_embedding_similarity")
    assert (data["vocab_size"], data["d_model"]) == (30522, 384)  # all-MiniLM-L6-v2
    assert data["pairs"] == (data["vocab_size"] - data["zero_rows"]) * (data["vocab_size"] - data["zero_rows"] - 1) // 2
    assert data["eps"] == pytest.approx(data["mean"] + 2 * data["std"], rel=1e-12)
    assert data["null_eps"] == pytest.approx(2 / math.sqrt(384))
    assert data["random_eps"] == pytest.approx(data["null_eps"], rel=0.02)  # Gaussian matrix ≈ 2/√d
    low, high = data["ci"]
    assert low < data["eps"] < high
    from repcap.laws import classify

    assert data["class"] == classify(data["eps"])
    assert data["ci_classes"] == [classify(low), classify(high)]


def test_chapter3_numbers(smoke_book):
    data = _results(smoke_book, "03_two_classes")
    assert data["rows"] and not data["failures"]
    for row in data["rows"]:
        assert row["eps"] == pytest.approx(row["mean"] + 2 * row["std"], rel=1e-9)


def test_chapter4_numbers(smoke_book, paper_data):
    data = _results(smoke_book, "04_jl_random")
    assert data["llama_k_C8"] == pytest.approx(8.4, abs=0.05)  # paper Eq. 4
    assert data["llama_k_C3029"] == pytest.approx(277, rel=0.01)  # paper §3.2
    assert data["paper_refit_C"] == pytest.approx(3.0295, rel=1e-3)  # the paper's released data


def test_chapter5_numbers(smoke_book, paper_data):
    data = _results(smoke_book, "05_optimised_packing")
    assert data["paper_refits"]["eq6"]["params"]["C"] == pytest.approx(1.2934, rel=1e-3)
    assert data["floor_ratio_min"] >= 1.0  # no packing beats a proven coherence floor


def test_chapter6_numbers(smoke_book):
    data = _results(smoke_book, "06_capacity")
    assert data["n_paper_rows"] == 45 and data["n_determinate"] == 31
    assert data["max_rel_diff_table1"] < 0.005  # Eq. 7 reproduces Table 1 within 0.5 %
    assert "Llama 2 70B" in data["outside_band"]  # below the greedy existence guarantee
    # every capacity the chapter says an explicit set beats really is below that set's count
    from repcap.geometry.constructions import dual_bch, kerdock

    for row in data["below_construction"]:
        assert row["ratio"] > 1 and row["family"] in ("dual_bch", "kerdock")
        make = dual_bch if row["family"] == "dual_bch" else (lambda m: kerdock(4 ** (m // 2)))
        assert make(**row["params"]).count > 0


def test_chapter7_numbers(smoke_book):
    data = _results(smoke_book, "07_packing_frontier")
    ch6 = _results(smoke_book, "06_capacity")
    assert data["n_class2"] == 31
    assert data["n_class2_below_construction"] == len(ch6["below_construction"])
    for s in data["starts"]:  # a construction subset never starts above its set's coherence
        assert s["start_eps"] <= s["coherence"] + 1e-6


def test_verdict_page_numbers_equal_the_chapters(smoke_book):
    from repcap.book import verdict

    report, results = smoke_book
    expected = verdict.verdicts(verdict.load_results(results))
    html = (report.html_dir / "book" / "verdict.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    for v in expected:
        assert v.claim.split(",")[0] in text
    data = _results(smoke_book, "04_jl_random")
    assert f"C = {data['paper_refit_C']:.4f}" in text
    assert f"{data['llama_greedy']:,.0f}" in text
    staged = (report.html_dir.parent / "site" / "book" / "verdict.md").read_text(encoding="utf-8")
    assert staged == verdict.render(expected, "smoke", tuple(sorted(verdict.load_results(results))))


def test_executed_copies_record_parameters(smoke_book):
    import nbformat

    report, _ = smoke_book
    for nb in NOTEBOOKS:
        executed = nbformat.read(report.html_dir.parent / "executed" / "notebooks" / nb.name, 4)
        assert executed.metadata.papermill.parameters["profile"] == "smoke"
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)


def _quoted_markdown(text: str) -> bool:
    """Whether a plain-text output is the repr of a Markdown string (quotes, escaped newlines)."""
    text = text.strip()
    return bool(re.match(r"[rbfu]?['\"]", text)) and bool(re.search(r"\\n|\*\*|\||^['\"]#", text))


def test_no_output_echoes_a_string_of_markdown(smoke_book):
    """A cell that ends in an expression returning Markdown shows its repr, not the table: every
    text is shown with show() (repcap.book.notebook), which renders it."""
    import nbformat

    report, _ = smoke_book
    assert _quoted_markdown("'**Sweep**\\n\\n| S | loss |'") and not _quoted_markdown("0.2014")
    echoed = []
    for nb in NOTEBOOKS:
        executed = nbformat.read(report.html_dir.parent / "executed" / "notebooks" / nb.name, 4)
        for i, cell in enumerate(executed.cells):
            for out in cell.get("outputs", []):
                plain = out.get("data", {}).get("text/plain", "") if "data" in out else out.get("text", "")
                if _quoted_markdown(plain):
                    echoed.append(f"{nb.name} cell {i}: {plain[:80]!r}")
    assert not echoed, "\n".join(echoed)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (tools/setup_env.sh browser)")
def test_every_page_in_headless_chromium(smoke_book):
    report, _ = smoke_book
    # a relative path, as `make check-site` passes _build/html
    relative = os.path.relpath(report.html_dir)
    problems = site_problems(relative, [nb.stem for nb in NOTEBOOKS], CHROMIUM)
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def served_site(smoke_book):
    """The built site over HTTP on 127.0.0.1 (the links must work as a web server serves them)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(Quiet, directory=str(smoke_book[0].html_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser.new_page(viewport={"width": 1400, "height": 900})
        browser.close()


# Each table of a chapter: its header cells and the href of the "download CSV" link under it.
_TABLES = """() => Array.from(document.querySelectorAll('.cell_output .repcap-table-wrap')).map(w => {
  const link = w.parentElement.querySelector('p.repcap-csv a');
  return {headers: Array.from(w.querySelectorAll('thead th')).map(th => th.textContent),
          href: link ? link.getAttribute('href') : null};
})"""


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (tools/setup_env.sh browser)")
def test_every_table_links_its_csv_and_the_verdict_links_the_results(smoke_book, served_site, browser_page):
    import csv
    import io

    page, problems, tables = browser_page, [], 0
    for nb in NOTEBOOKS:
        url = f"{served_site}notebooks/{nb.stem}.html"
        page.goto(url, wait_until="load")
        for n, table in enumerate(page.evaluate(_TABLES), 1):
            tables += 1
            where = f"{nb.stem}, table {n}"
            if table["href"] is None:
                problems.append(f"{where}: no 'download CSV' link under it")
                continue
            reply = page.request.get(urljoin(url, table["href"]))
            if reply.status != 200:
                problems.append(f"{where}: {table['href']} answers HTTP {reply.status}")
                continue
            rows = list(csv.reader(io.StringIO(reply.text())))
            if not rows or rows[0] != table["headers"]:
                problems.append(f"{where}: CSV header {rows[:1]} is not the table's {table['headers']}")
            elif any(len(r) != len(rows[0]) for r in rows):
                problems.append(f"{where}: CSV rows of uneven length")
    assert tables >= len(NOTEBOOKS), "the chapters show fewer tables than chapters"
    url = f"{served_site}book/verdict.html"
    page.goto(url, wait_until="load")
    links = page.evaluate("() => Array.from(document.querySelectorAll('a[href$=\".json\"]'))"
                          ".map(a => a.getAttribute('href'))")
    linked = sorted(Path(urlparse(h).path).stem for h in links)
    if linked != sorted(nb.stem for nb in NOTEBOOKS):
        problems.append(f"the verdict page links the results of {linked}")
    for href in links:
        reply = page.request.get(urljoin(url, href))
        data = json.loads(reply.text()) if reply.status == 200 else None
        if not data or data.get("profile") != "smoke":
            problems.append(f"verdict page: {href} answers HTTP {reply.status} without this build's results")
    assert not problems, "\n".join(problems)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (tools/setup_env.sh browser)")
def test_capacity_explorer_computes_what_the_package_does(smoke_book, served_site, browser_page):
    from repcap.book import explorer
    from repcap.common.formatting import log10_sci

    from test_book_explorer import EVALUATE, GRID, LOGS, compare

    page = browser_page
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{served_site}book/explorer.html", wait_until="load")
    page.wait_for_function("() => window.RepcapCapacity && document.querySelector('#capx #capx-results tr')")
    problems = compare(GRID, page.evaluate(EVALUATE, GRID))
    # it opens at Llama 2 7B, showing the package's numbers for it
    assert page.input_value("#capx-d") == "4096" and page.input_value("#capx-eps") == "0.0645"
    assert page.eval_on_selector("#capx-model", "s => s.options[s.selectedIndex].text").startswith(
        explorer.START_MODEL + " ")

    def shown():
        return page.evaluate("() => Object.fromEntries(Array.from(document.querySelectorAll("
                             "'#capx-results tbody tr')).map(r => [r.dataset.key, "
                             "r.querySelector('.capx-value').textContent]))")

    def expected(d, eps):
        n = explorer.numbers(d, eps)
        return {**{k: log10_sci(n[k]) for k in LOGS}, "best": log10_sci(n["best"]["log10_count"]),
                "class": n["class"]}

    assert shown() == expected(4096, 0.0645)
    models = explorer.constants()["models"]
    pick = next(i for i, m in enumerate(models) if m["name"] == "Llama 3.1 405B")
    page.select_option("#capx-model", value=str(pick))
    d, eps = models[pick]["d"], models[pick]["eps"]
    assert page.input_value("#capx-d") == str(d) and shown() == expected(d, eps), (shown(), expected(d, eps))
    page.fill("#capx-eps", "0.15")  # typed by hand: the model choice is dropped
    assert shown() == expected(d, 0.15) and shown()["class"] == "between"
    assert page.input_value("#capx-model") == ""
    offsite = [u for u in requests if not u.startswith(served_site)]
    assert not offsite, f"the explorer fetched from outside the site: {offsite}"
    assert not problems, "\n".join(problems[:20])


def test_site_check_without_a_built_site_is_one_line_and_exit_2(tmp_path, capsys):
    from repcap.book.site_check import main

    assert main([str(tmp_path / "_build" / "html")]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"no built site in {tmp_path / '_build' / 'html'}: run make book first"]
