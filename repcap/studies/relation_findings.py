r"""Chapter 2's findings on what lies right of ε: nearest neighbours, word pairs and analogies.

Three findings objects hold the numbers of the paper's §2.3 on one model (Guha 2026, Figures 3
and 4) and the sentences they support:

* :class:`NeighbourFindings`: the primary tokens (:func:`repcap.studies.relations.primary_tokens`,
  placeholders left out), the nearest-neighbour cosines of the histogram pass against ε, and the
  closest tokens of a few probe words (:func:`repcap.studies.neighbours.nearest_tokens`);
* :class:`PairFindings`: the paper's word pairs and its control
  (:func:`repcap.studies.relations.pair_cosines`); its rule, :meth:`PairFindings.above`, puts a
  pair above ε when :math:`\cos(x_a, x_b) > \varepsilon`;
* :class:`AnalogyFindings`: king − man + woman on several models and token forms
  (:func:`repcap.studies.analogies.analogy_survey`).

ε and the model's name come from :class:`repcap.studies.embedding_findings.EpsilonFindings`, which
writes them to the chapter's record; these sections read them back from the same record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from repcap.errors import TokenNotFoundError
from repcap.studies.analogies import analogy_bars, analogy_survey
from repcap.studies.embedding_findings import CHAPTER, SHARED_KEYS, own_record
from repcap.studies.findings import Findings, Markdown, Table, required
from repcap.studies.neighbours import nearest_tokens
from repcap.studies.relations import (CONTROL_PAIRS, SEMANTIC_PAIRS, lexical_groups, pair_cosines,
                                      primary_tokens)
from repcap.studies.token_lookup import (display_token, missing_words, placeholder_mask,
                                         token_convention)

__all__ = ["NeighbourFindings", "PairFindings", "AnalogyFindings", "code_span"]


def code_span(text: str) -> str:
    """``text`` as a Markdown code span, so that a token such as ``*`` or ``<pad>`` shows as typed
    (a fence one backtick longer than the longest run of backticks in it)."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _listed(items: Sequence[Sequence], quote=code_span) -> str:
    """``[(label, cos), ...]`` as "`label` (0.123), …" (``quote=str`` for a table cell)."""
    return ", ".join(f"{quote(label)} ({cos:.3f})" for label, cos, *_ in items)


_PRIMARY_COLUMNS = [("token", "label", ""), ("nearest neighbour of", "count", ",d"),
                    ("e.g. (cosine to it)", "examples", "")]


@dataclass
class NeighbourFindings(Findings):
    """The primary tokens and nearest neighbours of one model's tokens.

    ``primary_tokens`` are ``{"token", "count", "examples": [[token, cos], ...]}``; ``groups`` the
    same as labelled bars (:func:`repcap.studies.relations.lexical_groups`); ``nn_median`` and
    ``nn_above_eps`` the median nearest-neighbour cosine and the share of analysed tokens whose
    nearest neighbour lies above ε; ``probes`` the closest tokens of each probe word
    (``{"word", "neighbours": [[label, cos], ...], "error"}``).
    """

    chapter: ClassVar[str] = CHAPTER

    model: str
    eps: float
    hist_tokens: int
    convention: str
    placeholders: int
    placeholder_range: list[str]
    primary_tokens: list[dict[str, Any]]
    groups: list
    nn_median: float
    nn_above_eps: float
    probes: list[dict[str, Any]]

    @classmethod
    def measure(cls, emb: Any, stats: Any, *, eps: float, hist_tokens: int,
                probe_words: Sequence[str], token_form: str) -> "NeighbourFindings":
        """The nearest neighbours of the histogram pass ``stats`` (a
        :class:`repcap.similarity.PairStats` of ``emb``), 3 primary tokens × 3 examples, and the 5
        closest tokens of each of ``probe_words`` in ``token_form``."""
        convention = token_convention(emb.tokens)
        placeholders = placeholder_mask(emb.tokens)
        primaries = primary_tokens(emb, stats, top=3, examples=3, skip=placeholders)
        names = [t for t, m in zip(emb.tokens, placeholders) if m]
        nn_valid = stats.nn_cos[np.isfinite(stats.nn_cos)]
        probes = []
        for word in probe_words:
            try:
                near = nearest_tokens(emb, word, k=5, form=token_form)
            except TokenNotFoundError as exc:
                probes.append({"word": word, "neighbours": [], "error": str(exc)})
                continue
            probes.append({"word": word, "error": None,
                           "neighbours": [[display_token(n.token, convention), n.cos]
                                          for n in near]})
        return cls(
            model=emb.name, eps=eps, hist_tokens=hist_tokens, convention=convention,
            placeholders=int(placeholders.sum()), placeholder_range=names[:1] + names[-1:],
            primary_tokens=[{"token": p.token, "count": p.count,
                             "examples": [[e.token, e.cos] for e in p.examples]}
                            for p in primaries],
            groups=lexical_groups(emb, primaries), nn_median=float(np.median(nn_valid)),
            nn_above_eps=float(np.mean(nn_valid > eps)), probes=probes)

    @property
    def analysed(self) -> str:
        """Which tokens the nearest neighbours were sought among."""
        return f"{self.hist_tokens:,} sampled tokens" if self.hist_tokens else "all tokens"

    def tables(self) -> list[Table]:
        rows = [{"label": label, "count": count, "examples": _listed(examples, str)}
                for label, count, examples in self.groups]
        return [Table("Primary tokens: the tokens most often chosen as nearest neighbour", rows,
                      _PRIMARY_COLUMNS)]

    def markdown(self) -> Markdown:
        parts = []
        if self.placeholders:
            first, last = map(code_span, self.placeholder_range)
            parts.append(f"Left out of the count: {self.placeholders:,} placeholder tokens "
                         f"({first} … {last}), reserved entries that training never uses.")
        parts.append(f"Nearest-neighbour cosines: median {self.nn_median:.3f}; "
                     f"{100 * self.nn_above_eps:.1f}% of the analysed tokens have their nearest "
                     "neighbour above ε.")
        probes = [f"* closest to {code_span(p['word'])}: {_listed(p['neighbours'])}"
                  if p["error"] is None else f"* {code_span(p['word'])}: {p['error']}"
                  for p in self.probes]
        return Markdown(" ".join(parts) + ("\n\n" + "\n".join(probes) if probes else ""))

    def record(self) -> dict[str, Any]:
        return own_record(self, skip=(*SHARED_KEYS, "hist_tokens"))


_PAIR_COLUMNS = [("pair", "pair", ""), ("token a", "a", ""), ("token b", "b", ""),
                 ("cos", "cos", "+.3f"), ("against ε", "side", "")]


@dataclass
class PairFindings(Findings):
    """The cosines of the paper's word pairs (``control`` marks the unrelated one) against ε.

    ``semantic_pairs`` are ``{"label", "a", "b", "cos", "control"}`` (``a``, ``b``: the tokens the
    words resolved to in ``token_form``); ``missing_words`` the words this vocabulary lacks.
    """

    chapter: ClassVar[str] = CHAPTER

    model: str
    eps: float
    token_form: str
    semantic_pairs: list[dict[str, Any]]
    missing_words: list[str]

    @classmethod
    def measure(cls, emb: Any, *, eps: float, token_form: str) -> "PairFindings":
        """The paper's Figure 3b pairs and control on ``emb``, words resolved in ``token_form``."""
        pairs = pair_cosines(emb, form=token_form)
        words = [w for pair in (*SEMANTIC_PAIRS, *CONTROL_PAIRS) for w in pair]
        return cls(model=emb.name, eps=eps, token_form=token_form,
                   semantic_pairs=[{"label": pc.label, "a": pc.a.token, "b": pc.b.token,
                                    "cos": pc.cos, "control": pc.control} for pc in pairs],
                   missing_words=missing_words(emb, words, form=token_form))

    # -- the rule ----------------------------------------------------------------------------------
    def above(self, cos: float) -> bool:
        """Whether a pair's cosine lies above the model's ε (the paper's "related" side)."""
        return cos > self.eps

    @property
    def related(self) -> list[dict[str, Any]]:
        return [p for p in self.semantic_pairs if not p["control"]]

    @property
    def controls(self) -> list[dict[str, Any]]:
        return [p for p in self.semantic_pairs if p["control"]]

    @property
    def related_above(self) -> int:
        return sum(self.above(p["cos"]) for p in self.related)

    @property
    def controls_below(self) -> int:
        return sum(not self.above(p["cos"]) for p in self.controls)

    # -- what the chapter shows ----------------------------------------------------------------
    def bars(self) -> list[tuple[str, float]]:
        """``(label, cos)`` per pair, the control marked, for the figure."""
        return [(p["label"] + (" (control)" if p["control"] else ""), p["cos"])
                for p in self.semantic_pairs]

    def tables(self) -> list[Table]:
        rows = [{"pair": label, "a": p["a"], "b": p["b"], "cos": cos,
                 "side": "above ε" if self.above(cos) else "below ε"}
                for (label, cos), p in zip(self.bars(), self.semantic_pairs)]
        return [Table(f"Word pairs against ε = {self.eps:.3f}", rows, _PAIR_COLUMNS)]

    def markdown(self) -> Markdown:
        controls = (f"{self.controls_below} of {len(self.controls)} control pair(s) below it"
                    if self.controls else "no control pair in this vocabulary")
        text = (f"{self.related_above} of {len(self.related)} related pairs lie above "
                f"ε = {self.eps:.3f}; {controls}.")
        if self.missing_words:
            text += (" Not in this vocabulary (pairs skipped): "
                     + ", ".join(map(code_span, self.missing_words)) + ".")
        return Markdown(text)

    def record(self) -> dict[str, Any]:
        cosines = {p["label"]: p["cos"] for p in self.semantic_pairs}
        return {**own_record(self), "pairs_cos": cosines,
                "related_above": self.related_above, "controls_below": self.controls_below}


#: The keys of each analogy in the record's "analogies"; the rest go to "analogy_details".
_ANALOGY_KEYS = ("model", "form", "query", "kept", "queen_rank")


def _queen(r: Mapping[str, Any]) -> str:
    if r["queen_rank"] is None:
        return "no 'queen' token"
    return f"rank {r['queen_rank']:,} of {r['rows']:,} (cos {r['queen_cos']:.3f})"


_ANALOGY_COLUMNS = [("model", "model", ""), ("tokens", "form", ""),
                    ("query", lambda r: " ".join(r["query"]), ""),
                    ("kept", lambda r: f"{r['n_kept']} of {r['n_candidates']}", ""),
                    ("queen", _queen, ""),
                    ("first kept tokens", lambda r: ", ".join(r["top_kept"]), "")]


@dataclass
class AnalogyFindings(Findings):
    """king − man + woman on several models and token forms (the paper's Figure 4).

    Each of ``results`` holds the model, the token form, the query tokens, the first 16 kept tokens
    ``[token, cos]``, the rank and cosine of "queen" among all ``rows`` (None without a "queen"
    token), how many of the ``n_candidates`` nearest survived the filter, the first 6 kept as
    labels, and the figure's bars (:func:`repcap.studies.analogies.analogy_bars`). ``skipped``
    holds ``{"model", "reason"}`` for each model or form without the three words.
    """

    chapter: ClassVar[str] = CHAPTER

    results: list[dict[str, Any]]
    skipped: list[dict[str, str]]

    @classmethod
    def survey(cls, models: Sequence[Any]) -> "AnalogyFindings":
        """The analogy on each of ``models`` in the word and bare token forms."""
        found, skipped = analogy_survey(models, forms=("word", "bare"))
        results = []
        for name, form, res in found:
            rank, cos = res.ranks.get("queen", (None, None))
            results.append({
                "model": name, "form": form, "query": [m.token for m in res.query],
                "kept": [[k.token, k.cos] for k in res.kept[:16]], "queen_rank": rank,
                "queen_cos": cos, "rows": res.rows, "n_kept": len(res.kept),
                "n_candidates": len(res.candidates),
                "top_kept": [display_token(k.token, res.convention) for k in res.kept[:6]],
                "bars": analogy_bars(res, n=16)})
        # the diagnosis, without the advice
        reasons = [{"model": name, "reason": why.splitlines()[0].split("; ")[0]}
                   for name, why in skipped]
        return cls(results=results, skipped=reasons)

    def panels(self) -> list[tuple[str, list]]:
        """``(panel title, bars)`` per model and token form, for the figure."""
        return [(f"{r['model']} ({r['form']} tokens)", r["bars"]) for r in self.results]

    def tables(self) -> list[Table]:
        if not self.results:
            return []
        return [Table("king − man + woman: what survives the paper's filter", self.results,
                      _ANALOGY_COLUMNS)]

    def markdown(self) -> Markdown:
        lines = [f"Skipped {s['model']}: {s['reason']}." for s in self.skipped]
        if not self.results:
            lines.append("No model of `analogy_models` has the tokens king, man and woman: "
                         "no figure.")
        return Markdown("\n\n".join(lines))

    def record(self) -> dict[str, Any]:
        return {"analogies": [{k: r[k] for k in _ANALOGY_KEYS} for r in self.results],
                "analogy_details": [{k: v for k, v in r.items() if k not in _ANALOGY_KEYS}
                                    for r in self.results],
                "analogy_skipped": [s["model"] for s in self.skipped],
                "analogy_skip_reasons": [s["reason"] for s in self.skipped]}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "AnalogyFindings":
        analogies = required(record, CHAPTER, "analogies")
        details = required(record, CHAPTER, "analogy_details")
        names = required(record, CHAPTER, "analogy_skipped")
        reasons = record.get("analogy_skip_reasons") or [""] * len(names)
        return cls(results=[{**a, **d} for a, d in zip(analogies, details)],
                   skipped=[{"model": n, "reason": r} for n, r in zip(names, reasons)])
