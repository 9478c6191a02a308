r"""Checks of a built site as a reader sees it, in headless Chromium at 1,400 px.

Every page: math typeset (no raw TeX), images load, no error output, no output wider than its box
and no ``<pre>`` that scrolls sideways, no quoted string of Markdown, no emoji, no filesystem path,
no role left as text, internal links and anchors resolve, citations carry author and year. Chapter
pages also: at least one figure, each numbered "Figure N.M." of its own chapter, typeset math, a
Colab link; every figure legible (:mod:`repcap.book.plots.legibility`).

The test suite runs it on the ``smoke`` site (``tests/test_book_site.py``); run it on the book that
``make book`` built, where the real models give wider tables and longer text::

    .venv/bin/python -m repcap.book.site_check _build/html

It needs Playwright (a test dependency) and Debian's ``chromium`` (``tools/setup_env.sh browser``).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

#: The reading width the book is checked at (CSS px).
WIDTH = 1400


def find_chromium() -> str | None:
    """The Chromium executable on the PATH (Debian's ``chromium``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


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


def site_problems(html_dir: str | Path, chapter_stems, chromium: str | None = None) -> list[str]:
    """Every problem a reader would see on the site in ``html_dir`` (one line each; [] when none).

    ``chapter_stems`` names the chapter notebooks (their pages get the chapter checks); ``chromium``
    is the browser executable (default: :func:`find_chromium`).
    """
    chromium = chromium or find_chromium()
    if chromium is None:
        raise RuntimeError("no chromium on the PATH; run tools/setup_env.sh browser")
    from playwright.sync_api import sync_playwright

    html_dir = Path(html_dir).resolve()  # pages are opened as file:// URIs, which need it absolute
    pages = _pages(html_dir)
    chapter_pages = {html_dir / "notebooks" / f"{stem}.html" for stem in chapter_stems}
    problems = [f"{p.relative_to(html_dir)}: a chapter page is missing from the site"
                for p in sorted(chapter_pages - set(pages))]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
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
    return problems


def main(argv=None) -> int:
    """``python -m repcap.book.site_check [HTML_DIR]``: print each problem; exit 1 when any."""
    import argparse

    from repcap.book.build import toc_notebooks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", nargs="?", default="_build/html",
                        help="the built site (default: _build/html)")
    args = parser.parse_args(argv)
    html = Path(args.html_dir)
    if not (html / "index.html").exists():
        print(f"no built site in {html}: run make book first", file=sys.stderr)
        return 2
    root = Path(__file__).resolve().parents[2]
    problems = site_problems(html, [nb.stem for nb in toc_notebooks(root)])
    for line in problems:
        print(line)
    print(f"{len(problems)} problem(s) on {len(_pages(html))} pages")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
