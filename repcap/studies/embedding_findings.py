r"""Chapter 2's findings on one model's ε: exactly, from a token sample, and as a distribution.

With :math:`\hat x_i` the unit-normalised non-zero rows of the token-embedding matrix and
:math:`c_{ij} = \hat x_i\cdot\hat x_j` over its :math:`N = V(V-1)/2` pairs, the paper's accepted
deviation is :math:`\varepsilon = \mu + 2\sigma` (Guha 2026, §2.2). Two findings objects hold the
chapter's numbers:

* :class:`EpsilonFindings`: ε exactly (:func:`repcap.similarity.exact_moments`), its token-bootstrap
  interval (:func:`repcap.similarity.bootstrap_eps`) and the estimate from a random sample of
  tokens (:func:`repcap.studies.sampled_estimate.sampled_eps`). Its rule,
  :meth:`EpsilonFindings.interval_classes`, reads the paper's class (:func:`repcap.laws.classify`)
  at both ends of the interval: one class, the data decide the class; two, the interval straddles
  a threshold and only the point estimate decides it.
* :class:`DistributionFindings`: the histogram pass over the pairs (all, or all among sampled
  tokens) of the model and of a seeded Gaussian matrix of the same shape, beside the isotropic
  value :math:`2/\sqrt d` (:func:`repcap.geometry.null.null_eps`).

The chapter's neighbours, word pairs and analogies are in :mod:`repcap.studies.relation_findings`.
Chapter 2 settles none of the verdict page's claims. The chapter writes the union of the sections'
records (:func:`repcap.studies.findings.chapter_record`); the keys every section shares (the model,
its shape and its exact µ, σ, ε) are written once, by :class:`EpsilonFindings`, and the other
sections read them back from the same record.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from repcap.geometry.null import null_eps
from repcap.laws import classify
from repcap.laws.classes import UNDECIDED, classify_interval
from repcap.similarity import all_pairs, bootstrap_eps, exact_moments, sampled_pairs
from repcap.studies.findings import Findings, Markdown, Table
from repcap.studies.sampled_estimate import sampled_eps

__all__ = ["CHAPTER", "RANDOM_LABEL", "SHARED_KEYS", "histogram_tokens", "source_line",
           "matrix_table", "own_record", "EpsilonFindings", "DistributionFindings"]

CHAPTER = "02_embedding_similarity"
#: The series label of the Gaussian matrix of the model's shape.
RANDOM_LABEL = "random N(0,1), same shape"
#: Record keys that :class:`EpsilonFindings` writes and the other sections only read.
SHARED_KEYS = ("model", "vocab_size", "d_model", "mean", "std", "eps")


def own_record(findings: Findings, skip: Sequence[str] = SHARED_KEYS) -> dict[str, Any]:
    """The dataclass fields of ``findings`` that it writes itself: every field but ``skip`` and
    the ones marked ``metadata={"record": False}`` (live objects such as histograms)."""
    return {f.name: getattr(findings, f.name) for f in fields(findings)
            if f.name not in skip and f.metadata.get("record", True)}


def histogram_tokens(pairs_sample: int, max_rows_all_pairs: int, vocab_size: int) -> int:
    """How many random tokens the histograms use; 0 for all tokens.

    ``pairs_sample`` when it is set; else ``max_rows_all_pairs`` when the vocabulary is larger
    (0 there means no limit); else 0."""
    if pairs_sample:
        return pairs_sample
    return max_rows_all_pairs if 0 < max_rows_all_pairs < vocab_size else 0


def source_line(emb: Any, hist_tokens: int, analogy_models: Sequence[str]) -> str:
    """The data the chapter reads, for its provenance line."""
    pairs = ("histograms over all pairs" if hist_tokens == 0
             else f"histograms over all pairs of {hist_tokens} sampled tokens")
    return (f"token embeddings of `{emb.name}` ({emb.source}, {emb.vocab_size} × {emb.d_model}, "
            f"{emb.dtype}); {pairs}; analogies on {len(analogy_models)} model(s)")


def matrix_table(emb: Any) -> Table:
    """The embedding's summary (:meth:`repcap.sources.Embedding.summary`) as a table."""
    return Table(f"The matrix of {emb.name}", emb.summary(),
                 [("field", "field", ""), ("value", "value", "")])


def _interval(ci: Sequence[float] | None) -> str | None:
    return None if ci is None else f"[{ci[0]:.5f}, {ci[1]:.5f}]"


_ESTIMATE_COLUMNS = [("estimate", "estimate", ""), ("ε", "eps", ".5f"),
                     ("interval", "interval", ""), ("interval from", "how", ""),
                     ("class", "class", "")]


@dataclass
class EpsilonFindings(Findings):
    """ε = µ + 2σ of one model's embedding: exact, its token-bootstrap interval, and a sample's.

    ``ci`` is the ``ci_level`` percentile interval of ``n_boot`` token-bootstrap replicates over
    all rows (None when ``n_boot`` is 0); ``sampled`` holds the estimate from ``m`` random tokens:
    ``{"m", "eps", "ci"}`` (its interval from a bootstrap within the sample, None without one).
    """

    chapter: ClassVar[str] = CHAPTER

    model: str
    source: str
    vocab_size: int
    d_model: int
    n_rows: int
    zero_rows: int
    pairs: int
    mean: float
    std: float
    eps: float
    ci: list[float] | None
    ci_level: float
    n_boot: int
    sampled: dict[str, Any]
    exact_seconds: float = math.nan

    @classmethod
    def measure(cls, emb: Any, *, bootstrap: int, sample_tokens: int,
                seed: int) -> "EpsilonFindings":
        """ε of ``emb`` exactly, with a token bootstrap of ``bootstrap`` replicates (0: none), and
        from ``sample_tokens`` random tokens (at most the non-zero rows); ``seed`` seeds both."""
        moments = exact_moments(emb)
        boot = (bootstrap_eps(emb, n_boot=bootstrap, seed=seed, progress=False)
                if bootstrap else None)
        est = sampled_eps(emb, min(sample_tokens, moments.n_rows), n_boot=bootstrap, seed=seed)
        return cls(
            model=emb.name, source=emb.source, vocab_size=emb.vocab_size, d_model=emb.d_model,
            n_rows=moments.n_rows, zero_rows=moments.zero_rows, pairs=moments.pairs,
            mean=moments.mean, std=moments.std, eps=moments.eps,
            ci=[boot.ci_low, boot.ci_high] if boot else None,
            ci_level=boot.level if boot else est.level, n_boot=bootstrap,
            sampled={"m": est.m, "eps": est.eps,
                     "ci": [est.ci_low, est.ci_high] if bootstrap else None},
            exact_seconds=moments.seconds)

    # -- the rule ----------------------------------------------------------------------------------
    @property
    def klass(self) -> str:
        """The paper's class of the exact ε."""
        return classify(self.eps)

    @property
    def sampled_class(self) -> str:
        """The paper's class of the sampled estimate."""
        return classify(self.sampled["eps"])

    @property
    def decided_class(self) -> str:
        """The class as far as the token-bootstrap interval decides it
        (:func:`~repcap.laws.classes.classify_interval`): "undecided" when the interval straddles
        a threshold; the exact ε's class without a bootstrap."""
        return classify_interval(self.eps, *(self.ci or ()))

    def interval_classes(self) -> tuple[str, str] | None:
        """The class at each end of the token-bootstrap interval of the exact ε (None without a
        bootstrap); two different classes mean that the interval straddles a class threshold."""
        return None if self.ci is None else (classify(self.ci[0]), classify(self.ci[1]))

    def sample_covers(self) -> bool | None:
        """Whether the sample's interval holds the exact ε (None without a bootstrap)."""
        ci = self.sampled["ci"]
        return None if ci is None else bool(ci[0] <= self.eps <= ci[1])

    @property
    def width_ratio(self) -> float | None:
        """The width of the sample's interval over the width of the full one."""
        if self.ci is None or self.sampled["ci"] is None:
            return None
        lo, hi = self.sampled["ci"]
        return (hi - lo) / max(self.ci[1] - self.ci[0], 1e-300)

    # -- what the chapter shows ----------------------------------------------------------------
    def exact_text(self) -> Markdown:
        """The exact moments, the time of the exact pass and the token-bootstrap interval."""
        text = (f"{self.pairs:,} pairs of {self.n_rows:,} non-zero rows ({self.zero_rows} zero "
                f"rows dropped): mean µ = {self.mean:.5f}, std σ = {self.std:.5f}, ε = µ + 2σ = "
                f"{self.eps:.5f}, **{self.klass}** under the paper's rule. The exact pass over the "
                f"{self.n_rows:,} × {self.d_model} matrix took {self.exact_seconds:.2f} s.")
        if self.ci is not None:
            text += (f" Token bootstrap ({self.n_boot} replicates): {100 * self.ci_level:.0f}% "
                     f"interval for ε {_interval(self.ci)}.")
        return Markdown(text)

    def sample_table(self) -> Table:
        """The exact ε and the sampled estimate, each with its interval and class."""
        s = self.sampled
        rows = [{"estimate": f"exact, all {self.n_rows:,} tokens", "eps": self.eps,
                 "interval": _interval(self.ci), "class": self.klass,
                 "how": "token bootstrap" if self.ci else "no bootstrap"},
                {"estimate": f"sampled, {s['m']:,} tokens", "eps": s["eps"],
                 "interval": _interval(s["ci"]), "class": self.sampled_class,
                 "how": "bootstrap within the sample" if s["ci"] else "no bootstrap"}]
        return Table("ε exactly and from a token sample", rows, _ESTIMATE_COLUMNS)

    def sample_text(self) -> Markdown:
        """The sampling error, whether the sample's interval covers ε, and whether the data decide
        the class (:meth:`interval_classes`)."""
        s = self.sampled
        text = f"Sampling error {s['eps'] - self.eps:+.5f}"
        if self.ci is not None:
            covers = "covers" if self.sample_covers() else "misses"
            text += (f"; the sample's interval {covers} the exact value; its width is {self.width_ratio:.1f} × the full one "
                     f"(√(V/m) = {np.sqrt(self.n_rows / s['m']):.1f})")
        text += (f". Class under the paper's rule: exact {self.klass}, sampled "
                 f"{self.sampled_class}.")
        ends = self.interval_classes()
        if ends is None:
            return Markdown(text)
        if self.decided_class != UNDECIDED:
            return Markdown(f"{text} The exact value's interval lies within '{ends[0]}'.")
        return Markdown(f"{text} The exact value's interval straddles a class threshold "
                        f"('{ends[0]}' to '{ends[1]}'): the data do not decide the class, which "
                        f"reads **{UNDECIDED}** wherever the book lists it.")

    def tables(self) -> list[Table]:
        return [self.sample_table()]

    def markdown(self) -> Markdown:
        return Markdown(f"{self.exact_text()}\n\n{self.sample_text()}")

    # -- the results record ----------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        ends = self.interval_classes()
        return {**own_record(self, skip=()), "class": self.klass,
                "decided_class": self.decided_class, "sampled_class": self.sampled_class,
                "ci_classes": list(ends) if ends else None}


_DISTRIBUTION_COLUMNS = [("matrix", "name", ""), ("µ", "mean", ".5f"), ("σ", "std", ".5f"),
                         ("ε = µ + 2σ", "eps", ".5f"), ("min", "min", ".4f"),
                         ("max", "max", ".4f")]


@dataclass
class DistributionFindings(Findings):
    """The pairwise cosines of the model and of a Gaussian matrix of its shape.

    ``hist_*`` and ``random_min``/``random_max`` come from the histogram pass (all pairs, or all
    pairs among ``hist_tokens`` random tokens); ``random_mean``, ``random_std`` and ``random_eps``
    are the Gaussian matrix's exact moments; ``null_eps`` = 2/√d. ``stats`` and ``random_stats`` are the
    passes themselves (:class:`repcap.similarity.PairStats`, for the figure and the nearest
    neighbours), not part of the record.
    """

    chapter: ClassVar[str] = CHAPTER

    model: str
    vocab_size: int
    d_model: int
    mean: float
    std: float
    eps: float
    hist_tokens: int
    bins: int
    hist_pairs: int
    hist_mean: float
    hist_std: float
    hist_min: float
    hist_max: float
    random_mean: float
    random_std: float
    random_eps: float
    random_min: float
    random_max: float
    null_eps: float
    stats: Any = field(default=None, repr=False, compare=False, metadata={"record": False})
    random_stats: Any = field(default=None, repr=False, compare=False,
                              metadata={"record": False})

    @classmethod
    def measure(cls, emb: Any, epsilon: EpsilonFindings, *, hist_tokens: int, bins: int,
                seed: int) -> "DistributionFindings":
        """Histogram the pairs of ``emb`` and of a Gaussian matrix of its shape (NumPy
        ``default_rng(seed)``, float32): all pairs, or all pairs among ``hist_tokens`` tokens
        drawn with ``seed``; ``bins`` bins on [-1, 1]."""
        rng = np.random.default_rng(seed)
        random_matrix = rng.standard_normal((emb.vocab_size, emb.d_model), dtype=np.float32)
        if hist_tokens:
            stats = sampled_pairs(emb, hist_tokens, seed=seed, bins=bins, progress=False)
            random_stats = sampled_pairs(random_matrix, hist_tokens, seed=seed, bins=bins,
                                         progress=False)
        else:
            stats = all_pairs(emb, bins=bins, progress=False)
            random_stats = all_pairs(random_matrix, bins=bins, progress=False)
        rnd = exact_moments(random_matrix)
        return cls(model=epsilon.model, vocab_size=epsilon.vocab_size, d_model=epsilon.d_model,
                   mean=epsilon.mean, std=epsilon.std, eps=epsilon.eps, hist_tokens=hist_tokens,
                   bins=bins, hist_pairs=int(stats.pairs), hist_mean=stats.mean,
                   hist_std=stats.std, hist_min=stats.min, hist_max=stats.max,
                   random_mean=rnd.mean, random_std=rnd.std, random_eps=rnd.eps,
                   random_min=random_stats.min, random_max=random_stats.max,
                   null_eps=null_eps(emb.d_model), stats=stats, random_stats=random_stats)

    @property
    def label(self) -> str:
        """The model's series label: its name and shape."""
        return f"{self.model} ({self.vocab_size}×{self.d_model})"

    def series(self) -> tuple[dict[str, Any], dict[str, float]]:
        """The figure's series, ``{label: PairStats}``, and their ε, ``{label: ε}``: the model's
        and the Gaussian matrix's."""
        return ({self.label: self.stats, RANDOM_LABEL: self.random_stats},
                {self.label: self.eps, RANDOM_LABEL: self.random_eps})

    @property
    def null_ratio(self) -> float:
        """The model's ε over the isotropic value 2/√d."""
        return self.eps / self.null_eps

    def tables(self) -> list[Table]:
        rows = [{"name": self.label, "mean": self.mean, "std": self.std, "eps": self.eps,
                 "min": self.hist_min, "max": self.hist_max},
                {"name": RANDOM_LABEL, "mean": self.random_mean, "std": self.random_std,
                 "eps": self.random_eps, "min": self.random_min, "max": self.random_max}]
        return [Table("The model beside a random matrix: exact moments, extremes of the "
                      "histogrammed pairs", rows, _DISTRIBUTION_COLUMNS)]

    def markdown(self) -> Markdown:
        return Markdown(f"Random unit vectors in d = {self.d_model}: µ + 2σ = 2/√d = "
                        f"{self.null_eps:.5f} (exact law). The model's ε is "
                        f"{self.null_ratio:.2f} × the random value.")

    def record(self) -> dict[str, Any]:
        return {**own_record(self), "null_ratio": self.null_ratio}
