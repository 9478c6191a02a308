"""The whole book under the `smoke` profile: every chapter executes, the site renders, and every page
passes a check in headless Chromium (math typeset, figures load, no error output, internal links resolve).

One module-scoped build serves all tests here; run the suite with ``--dist loadfile`` so that pytest-xdist
keeps this module on one worker.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from repcap import bookbuild

from conftest import ROOT

NOTEBOOKS = bookbuild.toc_notebooks(ROOT)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def smoke_book(tmp_path_factory):
    base = tmp_path_factory.mktemp("book")
    build_dir, results = base / "_build", base / "results"
    report = bookbuild.build("smoke", build_dir=build_dir, jobs=1, results_dir=results, force=True)
    return report, results


def test_every_chapter_executes_and_reports(smoke_book):
    report, results = smoke_book
    assert [e.notebook for e in report.executions] == [nb.name for nb in NOTEBOOKS]
    for nb in NOTEBOOKS:
        data = json.loads((results / f"{nb.stem}.json").read_text())
        assert data, f"{nb.name} wrote no results"
        assert data.get("profile") == "smoke", f"{nb.name} must record its profile in its results"


def test_executed_copies_record_parameters(smoke_book):
    import nbformat

    report, _ = smoke_book
    for nb in NOTEBOOKS:
        executed = nbformat.read(report.html_dir.parent / "executed" / "notebooks" / nb.name, 4)
        assert executed.metadata.papermill.parameters["profile"] == "smoke"
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)


def _pages(html_dir: Path) -> list[Path]:
    skip = {"genindex.html", "search.html"}
    return sorted(p for p in html_dir.rglob("*.html")
                  if p.name not in skip and "_static" not in p.parts and "_sources" not in p.parts
                  and p.name != "index.html")


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
        page = browser.new_page()
        for path in pages:
            name = path.relative_to(html_dir)
            page.goto(path.as_uri(), wait_until="load")
            has_math = page.evaluate("() => !!window.MathJax")
            if has_math:
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
            links = page.evaluate("() => Array.from(document.querySelectorAll('a[href]'))"
                                  ".map(a => a.getAttribute('href'))")
            for href in links:
                url = urlparse(href)
                if url.scheme or href.startswith("#") or not url.path:
                    continue
                target = (path.parent / unquote(url.path)).resolve()
                if not target.exists():
                    problems.append(f"{name}: link to a missing page: {href}")
        browser.close()
    assert not problems, "\n".join(problems)
