"""The whole book under the `smoke` profile: every chapter executes, the site renders, and every page
passes a check in headless Chromium at 1,400 px (math typeset, figures load and are legible, no error output,
internal links resolve).

One module-scoped build serves all tests here; run the suite with ``--dist loadfile`` so that pytest-xdist
keeps this module on one worker.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from repcap.book import build as bookbuild

from conftest import ROOT

NOTEBOOKS = bookbuild.toc_notebooks(ROOT)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


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


_ANCHORS: dict[Path, set[str]] = {}


def _anchors(page: Path) -> set[str]:
    """The ids a page's links may point at (``#id``), read once per page."""
    if page not in _ANCHORS:
        _ANCHORS[page] = set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))
    return _ANCHORS[page]


def _pages(html_dir: Path) -> list[Path]:
    skip = {"genindex.html", "search.html"}
    return sorted(p for p in html_dir.rglob("*.html")
                  if p.name not in skip and "_static" not in p.parts and "_sources" not in p.parts
                  and p.name != "index.html")


# Outputs whose content is wider than their box (clipped or scrolling), and plumbing left visible.
_PAGE_CHECKS = """() => {
  const out = [];
  const visible = e => e.offsetParent !== null;
  document.querySelectorAll('.cell_output pre, .cell_output .repcap-table-wrap, .cell_output img')
    .forEach(e => {
      if (!visible(e)) return;
      const wide = e.tagName === 'IMG'
        ? e.getBoundingClientRect().width > e.closest('.cell_output').clientWidth + 2
        : e.scrollWidth > e.clientWidth + 2;
      if (wide)
        out.push('output wider than its box: ' + (e.innerText || e.src || '').slice(0, 80));
    });
  document.querySelectorAll('.cell .cell_input').forEach(e => {
    if (visible(e) && /^\\s*write_results\\(/.test(e.innerText))
      out.push('the write_results plumbing cell is visible');
  });
  document.querySelectorAll('.tag_injected-parameters, .tag_check-parameters').forEach(e => {
    if (visible(e)) out.push('a parameter-plumbing cell is visible');
  });
  return out;
}"""

# Every <pre> of a page, code and output, shown or inside a collapsed cell that the reader can open,
# that is wider than its box and so scrolls sideways (at the 1,400 px window of the test).
_SCROLLING_PRE = """() => Array.from(document.querySelectorAll('pre'))
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.split('\\n').reduce((a, b) => b.length > a.length ? b : a, '').slice(0, 90))"""

# Outputs that print a Python string of Markdown (its repr, quotes and \\n escapes) instead of the
# rendered text: a plain-text output that starts with a quote and carries Markdown ("**", a table's
# "|", a heading, or an escaped newline).
_QUOTED_MARKDOWN = """() => Array.from(document.querySelectorAll('.cell_output pre'))
  .map(e => e.textContent.trim())
  .filter(t => /^[rbfu]?['"]/.test(t) && /\\\\n|\\*\\*|\\||^['"]#/.test(t))
  .map(t => t.slice(0, 80))"""

#: Emoji status glyphs (✅ ⚠️ ❌ and their kin): empty boxes where no emoji font is installed.
_EMOJI = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f]")

# For each figure of a page, the number of the first "Figure N.M." caption that follows its cell
# (within the next few elements), or null.
_FIGURE_NUMBERS = """() => Array.from(document.querySelectorAll('.cell_output img')).map(img => {
  let node = img.closest('.cell');
  for (let hops = 0; node && hops < 4; hops++) {
    node = node.nextElementSibling;
    if (!node) break;
    const m = (node.innerText || '').trim().match(/^Figure (\\d+\\.\\d+)\\./);
    if (m) return m[1];
    if (node.querySelector && node.querySelector('.cell_output img')) break;
  }
  return null;
})"""


# Every figure of a page: its PNG, the width it is shown at and its natural width (CSS px).
_FIGURES = """() => Array.from(document.querySelectorAll('.cell_output img')).map(img => [
  img.src, img.getBoundingClientRect().width, img.naturalWidth])"""


def _figure_problems(figures) -> list[str]:
    """The legibility rule of issue 25 for each figure ``(src, shown, natural)`` of a page: shown at
    ≥ 80 % of its natural width, no text under 10 px on screen (smallest font px at the PNG's dpi ×
    shown/natural), and no problem in the report its PNG carries (plots.legibility: clipped text,
    text outside the canvas, labels over labels, legends or labels over the data)."""
    from repcap.book.plots.legibility import MIN_TEXT_PX, read_png_report

    out = []
    for n, (src, shown, natural) in enumerate(figures, 1):
        url = urlparse(src)
        data = Path(unquote(url.path)).read_bytes() if url.scheme == "file" else b""
        report = read_png_report(data)
        if report is None:
            out.append(f"figure {n} carries no legibility report (drawn outside the book's style?)")
            continue
        scale = shown / natural
        if scale < 0.8:
            out.append(f"figure {n} is shown at {100 * scale:.0f} % of its width (< 80 %)")
        if report["min_font_px"] * scale < MIN_TEXT_PX:
            out.append(f"figure {n} has text of {report['min_font_px'] * scale:.1f} px on screen "
                       f"(< {MIN_TEXT_PX:g})")
        out += [f"figure {n}: {p}" for p in report["problems"]]
    return out


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (tools/setup_env.sh browser)")
def test_every_page_in_headless_chromium(smoke_book):
    from playwright.sync_api import sync_playwright

    report, _ = smoke_book
    html_dir = report.html_dir
    pages = _pages(html_dir)
    chapter_pages = {html_dir / "notebooks" / f"{nb.stem}.html" for nb in NOTEBOOKS}
    assert chapter_pages <= set(pages), "a chapter page is missing from the site"
    problems = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})  # the reading width
        for path in pages:
            name = path.relative_to(html_dir)
            page.goto(path.as_uri(), wait_until="load")
            if page.evaluate("() => !!window.MathJax"):
                # window.MathJax is first the page's config object; the library replaces it when
                # its (deferred) script runs, which a busy machine may not have done at "load".
                page.wait_for_function("() => window.MathJax.startup && MathJax.startup.promise")
                page.evaluate("() => MathJax.startup.promise")
            text = page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
            for raw in (r"\(", r"\[", "$$"):
                if raw in text:
                    problems.append(f"{name}: raw TeX {raw!r} left on the page")
            if re.search(r"\\(frac|varepsilon|sqrt|mu|sigma)\b", text):
                problems.append(f"{name}: untypeset TeX command")
            broken = page.evaluate("() => Array.from(document.images)"
                                   ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
            problems += [f"{name}: image does not load: {src}" for src in broken]
            if path in chapter_pages:
                if page.evaluate("() => document.querySelectorAll('.cell_output img').length") == 0:
                    problems.append(f"{name}: a chapter without a single figure")
                if page.evaluate("() => document.querySelectorAll('mjx-container').length") == 0:
                    problems.append(f"{name}: no typeset math on a chapter page")
                colab = page.evaluate("() => Array.from(document.querySelectorAll('a'))"
                                      ".map(a => a.href).filter(h => h.includes('colab.research.google.com'))")
                if not any(h.endswith(f"notebooks/{path.stem}.ipynb") for h in colab):
                    problems.append(f"{name}: no Colab launch link to the notebook")
            errors = page.evaluate("() => Array.from(document.querySelectorAll("
                                   "'.output.traceback, .output.error, .output.stderr'))"
                                   ".map(e => e.innerText)")
            for err in errors:
                if re.search(r"Traceback|Error|Warning", err):
                    problems.append(f"{name}: error output in a cell: {err[:200]!r}")
            problems += [f"{name}: {p}" for p in page.evaluate(_PAGE_CHECKS)]
            problems += [f"{name}: {p}" for p in _figure_problems(page.evaluate(_FIGURES))]
            problems += [f"{name}: a <pre> scrolls sideways at 1,400 px: {line!r}"
                         for line in page.evaluate(_SCROLLING_PRE)]
            problems += [f"{name}: an output prints a quoted string of Markdown: {t!r}"
                         for t in page.evaluate(_QUOTED_MARKDOWN)]
            for glyph in sorted(set(_EMOJI.findall(page.inner_text("body")))):
                problems.append(f"{name}: emoji {glyph!r} on the page (no emoji font everywhere)")
            if path in chapter_pages:
                chapter = int(path.stem.split("_")[0])
                numbers = page.evaluate(_FIGURE_NUMBERS)
                for n, number in enumerate(numbers, 1):
                    if number is None:
                        problems.append(f"{name}: figure {n} of the page has no 'Figure {chapter}.x.' caption")
                    elif not number.startswith(f"{chapter}."):
                        problems.append(f"{name}: figure {n} is captioned Figure {number}")
                found = [x for x in numbers if x]
                if len(set(found)) != len(found):
                    problems.append(f"{name}: figure numbers repeat: {found}")
            text_all = page.inner_text("body")
            for hit in re.findall(r"(?<![\w.~])/(?:tmp|work|home|root|usr|opt)/\S*|site-packages\S*", text_all):
                problems.append(f"{name}: prints a filesystem path: {hit[:120]}")
            links = page.evaluate("() => Array.from(document.querySelectorAll('a[href]'))"
                                  ".map(a => a.getAttribute('href'))")
            for href in links:
                url = urlparse(href)
                if url.scheme or href.startswith("#") or not url.path:
                    continue
                target = (path.parent / unquote(url.path)).resolve()
                if not target.exists():
                    problems.append(f"{name}: link to a missing page: {href}")
                elif url.fragment and url.fragment not in _anchors(target):
                    problems.append(f"{name}: link to a missing anchor: {href}")
            for raw in re.findall(r"\{(?:cite|ref|doc|numref|eq)(?::\w+)?\}`[^`]*`", text_all):
                problems.append(f"{name}: a role left as text: {raw}")
            cites = page.evaluate("() => Array.from(document.querySelectorAll('a[href*=\"references.html#\"]'))"
                                  ".map(a => a.innerText)")
            problems += [f"{name}: a citation without its author and year: {c!r}"
                         for c in cites if not re.search(r"[A-Z].*(19|20)\d\d|^(19|20)\d\d$", c)]
        browser.close()
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
