"""Which measured models to draw side by side, and their sampled pair histograms beside a Gaussian matrix.

:func:`choose_examples` (or :func:`pick_examples`) picks the rows; :func:`example_histograms` samples
the pair cosines of each picked model and of an i.i.d. Gaussian matrix of the same width, whose
cosines have mean 0 and variance 1/d. :class:`ExamplesFindings` holds them for chapter 3: why each
model was picked and how its sample compares with its exact moments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repcap.common.checks import check_int
from repcap.errors import DomainError, ParameterError
from repcap.laws.classes import CLASS1, CLASS2
from repcap.similarity import sampled_pairs
from repcap.sources import load_embedding
from repcap.studies.findings import Findings, Markdown, required
from repcap.studies.survey import SurveyRow

__all__ = ["pick_examples", "choose_examples", "ExampleHistograms", "example_histograms",
           "ExamplesFindings"]


def pick_examples(rows: Sequence[SurveyRow]) -> list[tuple[str, SurveyRow]]:
    r"""Two rows to draw side by side, with the reason each was picked.

    If both classes occur: for Class 1 and for Class 2, the row whose ε is the median of its class
    (the lower median for an even count). Otherwise (e.g. every offline model is Class 1): the row
    with the largest shift share µ/ε and the one closest to isotropy (smallest ε√d), if they differ.
    """
    rows = list(rows)
    if not rows:
        raise DomainError("pick_examples: no rows")
    out: list[tuple[str, SurveyRow]] = []
    by_class = {c: sorted((r for r in rows if r.klass == c), key=lambda r: r.eps)
                for c in (CLASS1, CLASS2)}
    if by_class[CLASS1] and by_class[CLASS2]:
        for c in (CLASS1, CLASS2):
            members = by_class[c]
            out.append((f"{c} (median ε of {len(members)})", members[(len(members) - 1) // 2]))
        return out
    shifted = max(rows, key=lambda r: (r.mean / r.eps, r.name))
    out.append(("largest shift share µ/ε", shifted))
    iso = min(rows, key=lambda r: (r.eps_sqrt_d, r.name))
    if iso is not shifted:
        out.append(("closest to isotropic (smallest ε√d)", iso))
    return out


def choose_examples(rows: Sequence[SurveyRow], compare: Sequence[str] = ()) -> list[tuple[str, SurveyRow]]:
    """The rows to draw side by side: those named in ``compare`` (in that order), else :func:`pick_examples`.

    Raises :class:`~repcap.errors.ParameterError` naming any ``compare`` entry that is not a
    measured model.
    """
    by_name = {r.name: r for r in rows}
    if not compare:
        return pick_examples(rows)
    unknown = [c for c in compare if c not in by_name]
    if unknown:
        raise ParameterError(f"compare: {unknown} not among the measured models {list(by_name)}")
    return [("chosen with compare", by_name[c]) for c in compare]


@dataclass(frozen=True)
class ExampleHistograms:
    """One example model's sampled pair histogram beside a Gaussian matrix of its width.

    ``why`` and ``row`` come from :func:`choose_examples`; ``m`` is the number of tokens sampled;
    ``model`` and ``gauss`` are :class:`repcap.similarity.PairStats` over the m(m-1)/2 pairs.
    """

    why: str
    row: SurveyRow
    m: int
    model: Any = field(repr=False)
    gauss: Any = field(repr=False)


def example_histograms(picked: Iterable[tuple[str, SurveyRow]], *, tokens: int, bins: int, seed: int = 0,
                       progress: bool = False) -> list[ExampleHistograms]:
    r"""Pair-cosine histograms of each picked model and of a Gaussian matrix of the same shape.

    For each row, with :math:`m = \min(\text{tokens}, n_\text{rows})`: all pairs among m random
    non-zero rows of the model's input embedding (:func:`repcap.similarity.sampled_pairs`, seeded by
    ``seed``, ``bins`` bins on [-1, 1]), and all pairs of an m × d matrix with i.i.d. N(0, 1) entries
    (float32, ``default_rng(seed)``), whose cosines have mean 0 and variance 1/d. Each embedding is
    loaded (:func:`repcap.sources.load_embedding`) and released in turn, so one model is in memory
    at a time.
    """
    tokens = check_int("example_histograms: tokens", tokens, 2, integral_floats=False)
    out = []
    for why, r in picked:
        emb = load_embedding(r.name, progress=False)
        m = min(tokens, r.n_rows)
        stats = sampled_pairs(emb, m, seed=seed, bins=bins, progress=progress)
        del emb
        gauss = np.random.default_rng(seed).standard_normal((m, r.d_model), dtype=np.float32)
        gstats = sampled_pairs(gauss, m, seed=seed, bins=bins, progress=progress)
        out.append(ExampleHistograms(why=why, row=r, m=m, model=stats, gauss=gstats))
    return out


@dataclass
class ExamplesFindings(Findings):
    """The example models of chapter 3 (:func:`choose_examples`), each sampled over ``tokens`` tokens:
    why it was picked, its class, the sample's µ and ε beside the exact ones. ``examples`` holds the
    histograms the figure draws; they are not recorded, so findings rebuilt from a results file
    have the summaries only."""

    chapter = "03_two_classes"

    summaries: list[dict]
    tokens: int
    examples: list[ExampleHistograms] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def of(cls, rows: Sequence[SurveyRow], compare: Sequence[str] = (), *, tokens: int, bins: int,
           seed: int = 0) -> "ExamplesFindings":
        """The rows :func:`choose_examples` picks, sampled by :func:`example_histograms`."""
        return cls.from_examples(example_histograms(choose_examples(rows, compare), tokens=tokens,
                                                    bins=bins, seed=seed), tokens)

    @classmethod
    def from_examples(cls, examples: Sequence[ExampleHistograms], tokens: int) -> "ExamplesFindings":
        """The findings of sampled examples: their summaries, and the histograms for the figure."""
        summaries = [{"why": ex.why, "name": ex.row.name, "class": ex.row.klass, "m": ex.m,
                      "sample_mean": ex.model.mean, "sample_eps": ex.model.eps,
                      "mean": ex.row.mean, "eps": ex.row.eps} for ex in examples]
        return cls(summaries, tokens, list(examples))

    def markdown(self) -> Markdown:
        return Markdown("\n".join(
            f"* {x['why']}: {x['name']} ({x['class']}); sample of {x['m']:,} tokens: µ = "
            f"{x['sample_mean']:.4f}, ε = {x['sample_eps']:.4f} (exact {x['mean']:.4f}, "
            f"{x['eps']:.4f})" for x in self.summaries))

    def record(self) -> dict[str, Any]:
        return {"examples": [x["name"] for x in self.summaries], "example_summaries": self.summaries,
                "example_tokens": self.tokens}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "ExamplesFindings":
        return cls(required(record, cls.chapter, "example_summaries"),
                   required(record, cls.chapter, "example_tokens"))
