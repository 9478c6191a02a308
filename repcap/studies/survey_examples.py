"""Which measured models to draw side by side, and their sampled pair histograms beside a Gaussian matrix.

:func:`choose_examples` (or :func:`pick_examples`) picks the rows; :func:`example_histograms` samples
the pair cosines of each picked model and of an i.i.d. Gaussian matrix of the same width, whose
cosines have mean 0 and variance 1/d. :class:`ExamplesFindings` holds them for chapter 3: why each
model was picked and how its sample compares with its exact moments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repcap.errors import DomainError, ParameterError
from repcap.laws.classes import CLASS1, CLASS2
from repcap.similarity import sampled_pairs
from repcap.sources import load_embedding
from repcap.studies.findings import Findings, Markdown
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
    if isinstance(tokens, bool) or not isinstance(tokens, (int, np.integer)) or tokens < 2:
        raise DomainError(f"example_histograms: tokens must be an integer ≥ 2, got {tokens!r}")
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
    """The example histograms of chapter 3 (:func:`example_histograms`), over ``tokens`` sampled
    tokens per model. The histograms themselves are not recorded (only the models' names), so
    these findings are not rebuilt from a results file."""

    chapter = "03_two_classes"

    examples: list[ExampleHistograms]
    tokens: int

    @classmethod
    def of(cls, rows: Sequence[SurveyRow], compare: Sequence[str] = (), *, tokens: int, bins: int,
           seed: int = 0) -> "ExamplesFindings":
        """The rows :func:`choose_examples` picks, sampled by :func:`example_histograms`."""
        picked = choose_examples(rows, compare)
        return cls(example_histograms(picked, tokens=tokens, bins=bins, seed=seed), tokens)

    def markdown(self) -> Markdown:
        return Markdown("\n".join(
            f"* {ex.why}: {ex.row.name} ({ex.row.klass}); sample of {ex.m:,} tokens: µ = "
            f"{ex.model.mean:.4f}, ε = {ex.model.eps:.4f} (exact {ex.row.mean:.4f}, "
            f"{ex.row.eps:.4f})" for ex in self.examples))

    def record(self) -> dict[str, Any]:
        return {"examples": [ex.row.name for ex in self.examples]}

    @classmethod
    def from_record(cls, record):
        raise NotImplementedError("the example histograms are not recorded; sample them again "
                                  "with ExamplesFindings.of")
