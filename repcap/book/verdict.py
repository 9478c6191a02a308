"""The verdict page: each of the paper's claims, the book's evidence and a status, from the chapters' results.

Every chapter ends by writing its findings' record to ``<results>/<chapter>.json``
(``write_results(results_path, ...)``). :func:`verdicts` reads those files, rebuilds each chapter's
findings (:meth:`repcap.studies.findings.Findings.from_record`) and asks them for their verdicts: the
status of a claim comes from the same rule method the chapter's own text calls, so the page and the
chapters cannot disagree, and a rebuild that changes a number changes the page. This module only
orders the claims and renders them; :func:`write_page` writes the MyST page ``book/verdict.md`` of the
staged site.

Statuses (:data:`repcap.studies.findings.STATUSES`): ``holds``, ``holds with a caveat``,
``does not hold``, ``not tested in the paper's regime``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from repcap.common.files import write_if_changed
from repcap.errors import RepcapError
from repcap.studies.activation_findings import ActivationFindings
from repcap.studies.classes_findings import TwoClassesFindings
from repcap.studies.feature_findings import FeatureFindings
from repcap.studies.findings import CAVEAT, FAILS, HOLDS, STATUSES, UNTESTED, Findings, Verdict
from repcap.studies.frontier_findings import FrontierFindings, upper_bound_verdict
from repcap.studies.objective_comparison import ObjectiveFindings
from repcap.studies.optimised_packing import PackingFindings
from repcap.studies.sensitivity_findings import SensitivityFindings
from repcap.studies.random_packing_findings import RandomPackingFindings
from repcap.studies.width_trend_findings import WidthTrendFindings

__all__ = ["Verdict", "CLAIMS", "badge", "load_results", "verdicts", "render", "write_page"]

def badge(status: str) -> str:
    """``status`` as an HTML badge, ``<span class="status status-<slug>">status</span>``.

    The slug is the status with every run of non-letters replaced by ``-`` ("holds with a caveat"
    -> ``status-holds-with-a-caveat``); ``_static/custom.css`` colours each slug. The words are the
    badge: no emoji, which renders as an empty box where no emoji font is installed. A new status
    needs one CSS rule, and until it has one it shows as a neutral badge.
    """
    slug = re.sub(r"[^a-z]+", "-", status.lower()).strip("-")
    return f'<span class="status status-{slug}">{status}</span>'


def load_results(results_dir: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """``{chapter stem: results dict}`` for every ``*.json`` in ``results_dir``."""
    out = {}
    for path in sorted(Path(results_dir).glob("*.json")):
        try:
            out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RepcapError(f"results file {path.name} cannot be read ({exc}); rebuild its chapter")
    return out


def _record(results: Mapping[str, Any], chapter: str) -> Mapping[str, Any]:
    """The results record of ``chapter``, or an error naming the chapter to build."""
    record = results.get(chapter)
    if record is None:
        raise RepcapError(f"the verdict page needs the results of {chapter}, which were not written; "
                          "build that chapter")
    return record


def _link(chapter: str, text: str) -> str:
    return f"[{text}](../notebooks/{chapter}.ipynb)"


# --------------------------------------------------------------------------------------------
# The claims: each rebuilds its chapters' findings from their records and returns their Verdict.
# --------------------------------------------------------------------------------------------

def _upper_bound(r) -> Verdict:
    """Chapters 5 and 7 decide it together: :func:`repcap.studies.frontier_findings.upper_bound_verdict`."""
    packing = _record(r, PackingFindings.chapter)
    return upper_bound_verdict(PackingFindings.from_record(packing),
                               ObjectiveFindings.from_record(packing),
                               FrontierFindings.from_record(_record(r, FrontierFindings.chapter)))


def _findings_claim(findings: type[Findings], index: int = 0) -> Callable[[Mapping], Verdict]:
    """The claim decided by ``findings`` (its ``index``-th verdict), rebuilt from its chapter's record:
    the rule is the findings' own, the one its chapter prints."""
    def claim(results: Mapping[str, Any]) -> Verdict:
        return findings.from_record(_record(results, findings.chapter)).verdicts()[index]

    claim.__name__ = f"{findings.__name__}[{index}]"
    return claim


_two_classes = _findings_claim(TwoClassesFindings)
_width_trend = _findings_claim(WidthTrendFindings)
_embedding_transfer = _findings_claim(ActivationFindings)
_premise = _findings_claim(FeatureFindings)
_kd_law = _findings_claim(PackingFindings)
_sensitivity = _findings_claim(SensitivityFindings)
_jl_count = _findings_claim(RandomPackingFindings, 0)
_jl_constant = _findings_claim(RandomPackingFindings, 1)


#: The claims in the order the page lists them.
CLAIMS: tuple[Callable[[Mapping[str, Any]], Verdict], ...] = (
    _two_classes, _width_trend, _jl_count, _jl_constant, _kd_law, _upper_bound, _sensitivity,
    _embedding_transfer, _premise)


def verdicts(results: Mapping[str, Mapping[str, Any]]) -> list[Verdict]:
    """Every claim's :class:`Verdict` from the chapters' results (``{stem: dict}``)."""
    return [claim(results) for claim in CLAIMS]


def _chapter_links(stems: tuple[str, ...]) -> str:
    """Links to the chapters ``stems`` ("05_optimised_packing" -> "chapter 5")."""
    return ", ".join(_link(stem, f"chapter {int(stem[:2])}") for stem in stems)


def render(items: list[Verdict], profile: str, data: tuple[str, ...] = ()) -> str:
    """The MyST page: an intro, a summary table, one section per claim, then links to the results
    JSON of the chapters ``data`` (stems; the build copies them to ``results/<stem>.json``)."""
    counts = {s: sum(v.status == s for v in items) for s in STATUSES}
    lines = [
        "# Verdict: the paper's claims, checked",
        "",
        "Each claim of {cite:t}`guha2026` below is paraphrased with its "
        "section, followed by the evidence this book computed and a status. The numbers are read from "
        "the results the chapters wrote in this build (profile "
        f"`{profile}`), and each status follows from them by the rule the chapter's own text uses "
        "(its findings in `repcap.studies`), so this page and the chapters cannot disagree, and "
        "the page changes when a chapter's numbers do. A claim is *not tested in the paper's "
        "regime* when the book's measurements lie outside the conditions the paper makes it for: "
        "they neither support nor refute it.",
        "",
        f"Summary: {counts[HOLDS]} hold, {counts[CAVEAT]} hold with a caveat, "
        f"{counts[FAILS]} do not hold, {counts[UNTESTED]} not tested in the paper's regime.",
        "",
        "| # | claim | status | evidence |",
        "|---|---|---|---|",
    ]
    for n, v in enumerate(items, 1):
        lines.append(f"| {n} | {v.claim} | {badge(v.status)} | {_chapter_links(v.chapters)} |")
    for n, v in enumerate(items, 1):
        where = _chapter_links(v.chapters)
        lines += ["", f"## {n}. {v.claim}", "",
                  f"*The paper, {v.where}.* **{badge(v.status)}.** {v.evidence} (Evidence: {where}.)"]
    if data:  # raw links: the JSON files are copied into the site, not Sphinx documents
        lines += ["", "## The data", "",
                  "Every number above is read from these files, one a chapter, as this build wrote "
                  "them:", ""]
        lines += [f'- <a href="../results/{stem}.json">{stem}.json</a>' for stem in data]
    return "\n".join(lines) + "\n"


def write_page(results_dir: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Render the verdict from ``results_dir`` into ``path`` (atomically, and only when the text
    changed, so Sphinx does not re-read an unchanged page); return the path."""
    results = load_results(results_dir)
    profile = next((r.get("profile") for r in results.values() if r.get("profile")), "unknown")
    write_if_changed(path, render(verdicts(results), profile, tuple(results)))
    return Path(path)
