r"""Measure the accepted deviation ε of a list of models, one row per model.

For each model the survey loads the input embedding (:func:`repcap.sources.load_embedding`),
computes the exact moments of all :math:`N = V(V-1)/2` pairwise cosines of its non-zero rows
(:func:`repcap.similarity.exact_moments`),

.. math:: \mu = \frac{1}{N}\sum_{i<j}\cos_{ij}, \qquad
          \sigma^2 = \frac{1}{N}\sum_{i<j}\cos_{ij}^2 - \mu^2, \qquad
          \varepsilon = \mu + 2\sigma,

applies the paper's class rule (Class 1: ε > 0.2, Class 2: ε < 0.1,
:func:`repcap.laws.classify`), optionally a token-bootstrap interval for ε, and times each
step. One :class:`SurveyRow` per model; :mod:`repcap.studies.models_table` stores the rows as the CSV
file that later chapters read, :mod:`repcap.studies.eps_parts` splits each ε into shift and spread.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from repcap import catalog
from repcap.common.checks import check_replicates
from repcap.common.progress import iterate
from repcap.errors import DataFileError, DomainError, RepcapError
from repcap.laws.classes import classify, classify_interval
from repcap.similarity import bootstrap_eps, exact_moments
from repcap.sources import OFFLINE_MODELS, load_embedding, offline
from repcap.studies.eps_parts import EpsParts, decompose

__all__ = ["SurveyRow", "Survey", "COLUMNS", "measure_model", "measure", "expand_models"]


@dataclass(frozen=True)
class SurveyRow:
    """One measured model.

    ``name`` is the name the model was loaded by; ``family`` its model family ("" when unknown);
    ``source`` where the matrix came from (``offline``, ``hub``, ``local``, ``gguf``, ``array``);
    ``vocab_size`` = V (rows, zero rows included), ``d_model`` = d, ``tied`` whether the output
    layer reuses the embedding (None: unknown or not applicable), ``dtype`` the stored precision,
    ``zero_rows`` the all-zero rows dropped, ``n_rows`` = V − zero_rows, ``pairs`` = N;
    ``mean`` µ, ``std`` σ (population), ``eps`` ε = µ + 2σ, ``klass`` the paper's class;
    ``null_eps`` = 2/√d; ``ci_low``/``ci_high`` a token-bootstrap interval for ε (NaN when not
    computed) at ``ci_level`` with ``n_boot`` replicates; ``load_seconds``, ``moments_seconds``,
    ``bootstrap_seconds`` wall times, ``seconds`` their sum.
    """

    name: str
    family: str
    source: str
    vocab_size: int
    d_model: int
    tied: bool | None
    dtype: str
    zero_rows: int
    n_rows: int
    pairs: int
    mean: float
    std: float
    eps: float
    klass: str
    null_eps: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    ci_level: float = math.nan
    n_boot: int = 0
    load_seconds: float = 0.0
    moments_seconds: float = 0.0
    bootstrap_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def eps_sqrt_d(self) -> float:
        r""":math:`\varepsilon\sqrt d` (= 2 for an isotropic matrix)."""
        return self.eps * math.sqrt(self.d_model)

    @property
    def parts(self) -> EpsParts:
        """:func:`repcap.studies.eps_parts.decompose` of this row."""
        return decompose(self.mean, self.std, self.d_model)

    @property
    def decided_class(self) -> str:
        """The class as far as the token-bootstrap interval decides it
        (:func:`~repcap.laws.classes.classify_interval`; :attr:`klass` without a bootstrap)."""
        return classify_interval(self.eps, self.ci_low, self.ci_high)

    def to_dict(self) -> dict[str, Any]:
        """The CSV columns (:data:`COLUMNS`) with their values; ``klass`` is written as ``class``."""
        out = asdict(self)
        out["class"] = out.pop("klass")
        return {c: out[c] for c in COLUMNS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SurveyRow":
        """The row back from :meth:`to_dict` (as a results file holds it: NaN may have become
        None); raises :class:`~repcap.errors.DataFileError` when a column is missing."""
        missing = [c for c in COLUMNS if c not in data]
        if missing:
            raise DataFileError(f"a survey row lacks {missing}; rebuild chapter 3")
        values = {("klass" if c == "class" else c): data[c] for c in COLUMNS}
        for f in fields(cls):
            if values[f.name] is None and isinstance(f.default, float):
                values[f.name] = math.nan
        return cls(**values)


# CSV column order; 'class' is SurveyRow.klass.
COLUMNS = tuple("class" if f.name == "klass" else f.name for f in fields(SurveyRow))


@dataclass
class Survey:
    """The rows measured, in the order asked, and the models that could not be measured
    (``failures``: ``(name, message)``; only with ``on_error="skip"``)."""

    rows: list[SurveyRow] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)

    def by_name(self) -> dict[str, SurveyRow]:
        return {r.name: r for r in self.rows}


def _family(name: str) -> str:
    """The model's family from the catalog or the offline list ("" when neither knows it)."""
    for entry in list(catalog.offline_models()) + list(catalog.paper_models()):
        keys = {str(entry.get("name", "")).lower(), str(entry.get("hub_id", "") or "").lower()}
        if name.lower() in keys:
            return str(entry.get("family", "") or "")
    spec = offline.find(name)
    return spec.family if spec is not None else ""


def measure_model(model: Any, *, bootstrap: int = 0, level: float = 0.95, seed: int = 0,
                  family: str | None = None, loader: Callable | None = None,
                  progress: bool = False) -> SurveyRow:
    """Load one model and measure it (see the module docstring for the formulas).

    ``model`` is anything :func:`repcap.sources.load_embedding` accepts, or an already loaded
    :class:`~repcap.sources.Embedding`. ``bootstrap`` > 0 adds a token-bootstrap interval with
    that many replicates (:func:`repcap.similarity.bootstrap_eps`; ≥ 2). ``loader`` replaces
    ``load_embedding`` (for tests). Load errors propagate as :class:`~repcap.errors.RepcapError`.
    """
    bootstrap = check_replicates("bootstrap", bootstrap)
    start = time.perf_counter()
    if hasattr(model, "matrix") and hasattr(model, "d_model"):
        emb = model
    else:
        emb = (loader or load_embedding)(model, progress=progress)
    load_s = time.perf_counter() - start
    t = time.perf_counter()
    mom = exact_moments(emb)
    mom_s = time.perf_counter() - t
    ci = (math.nan, math.nan, math.nan, 0, 0.0)
    if bootstrap:
        t = time.perf_counter()
        boot = bootstrap_eps(emb, n_boot=bootstrap, level=level, seed=seed, progress=progress)
        ci = (boot.ci_low, boot.ci_high, boot.level, boot.n_boot, time.perf_counter() - t)
    name = str(getattr(emb, "name", model))
    return SurveyRow(
        name=name, family=family if family is not None else _family(name),
        source=str(getattr(emb, "source", "array")), vocab_size=int(emb.vocab_size),
        d_model=int(emb.d_model), tied=getattr(emb, "tied", None), dtype=str(getattr(emb, "dtype", "")),
        zero_rows=int(mom.zero_rows), n_rows=int(mom.n_rows), pairs=int(mom.pairs),
        mean=float(mom.mean), std=float(mom.std), eps=float(mom.eps), klass=classify(mom.eps),
        null_eps=2.0 / math.sqrt(emb.d_model), ci_low=float(ci[0]), ci_high=float(ci[1]),
        ci_level=float(ci[2]), n_boot=int(ci[3]), load_seconds=load_s, moments_seconds=mom_s,
        bootstrap_seconds=float(ci[4]), seconds=load_s + mom_s + float(ci[4]))


def measure(models: Iterable[Any], *, bootstrap: int = 0, level: float = 0.95, seed: int = 0,
            on_error: str = "raise", loader: Callable | None = None,
            progress: bool = True) -> Survey:
    """:func:`measure_model` for each model in turn, with a progress bar over the models.

    ``on_error="skip"`` records a model that raises a :class:`~repcap.errors.RepcapError` (gated,
    missing, offline) in ``Survey.failures`` and goes on; ``"raise"`` stops at the first one.
    Each embedding is released before the next is loaded, so memory holds one matrix at a time.
    """
    if on_error not in ("raise", "skip"):
        raise DomainError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    models = list(models)
    if not models:
        raise DomainError("measure: no models given; pass at least one model name")
    survey = Survey()
    for model in iterate(models, "models", unit="model", enabled=progress):
        try:
            survey.rows.append(measure_model(model, bootstrap=bootstrap, level=level, seed=seed,
                                             loader=loader, progress=False))
        except RepcapError as exc:
            if on_error == "raise":
                raise
            survey.failures.append((str(model), str(exc)))
    return survey


def expand_models(names: Iterable[str]) -> list[str]:
    """Model names with two shorthands expanded, duplicates dropped (first occurrence kept).

    ``"offline"`` stands for every offline model (:data:`repcap.sources.OFFLINE_MODELS`, in order
    of d_model); ``"paper"`` for the hub ids of the paper's Table 1 (:func:`repcap.catalog.
    paper_models`, in the paper's order; two rows of the paper share DeepSeek's figures, both are
    kept). Any other string is passed on unchanged to the loader.
    """
    if isinstance(names, str):
        names = [names]
    out: list[str] = []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise DomainError(f"model names must be non-empty strings, got {name!r}")
        if name == "offline":
            expanded = list(OFFLINE_MODELS)
        elif name == "paper":
            expanded = [m["hub_id"] for m in catalog.paper_models() if m.get("hub_id")]
        else:
            expanded = [name]
        out.extend(e for e in expanded if e not in out)
    if not out:
        raise DomainError("no models to measure; pass names, 'offline' or 'paper'")
    return out
