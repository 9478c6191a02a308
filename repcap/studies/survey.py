r"""Measure the accepted deviation ε of a list of models, and keep the results as a CSV table.

For each model the survey loads the input embedding (:func:`repcap.sources.load_embedding`),
computes the exact moments of all :math:`N = V(V-1)/2` pairwise cosines of its non-zero rows
(:func:`repcap.similarity.exact_moments`),

.. math:: \mu = \frac{1}{N}\sum_{i<j}\cos_{ij}, \qquad
          \sigma^2 = \frac{1}{N}\sum_{i<j}\cos_{ij}^2 - \mu^2, \qquad
          \varepsilon = \mu + 2\sigma,

applies the paper's class rule (Class 1: ε > 0.2, Class 2: ε < 0.1,
:func:`repcap.similarity.classify`), optionally a token-bootstrap interval for ε, and times each
step. One :class:`SurveyRow` per model; :func:`write_table` / :func:`read_table` store the rows as a
CSV file (written atomically: a temporary file in the same folder, then ``os.replace``) that later
chapters read.

:func:`decompose` splits ε into the part that comes from the *shift* of the distribution and the
part that comes from its *spread*, and compares it with the isotropic null of
:mod:`repcap.geometry.null`: for independent uniform unit vectors in :math:`\mathbb{R}^d` the cosine has mean
0 and variance :math:`1/d`, so :math:`\varepsilon_0 = 2/\sqrt d`.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from repcap.errors import DataFileError, DomainError, ParameterError, RepcapError
from repcap.sources import offline

__all__ = [
    "SurveyRow",
    "Survey",
    "EpsParts",
    "COLUMNS",
    "measure_model",
    "measure",
    "decompose",
    "write_table",
    "read_table",
    "pick_examples",
    "figure5b_subset",
    "choose_examples",
    "ExampleHistograms",
    "example_histograms",
    "expand_models",
    "reported_points",
    "join_reported",
    "SampledEstimate",
    "sampled_eps",
    "Trend",
    "trend",
]


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
    def parts(self) -> "EpsParts":
        """:func:`decompose` of this row."""
        return decompose(self.mean, self.std, self.d_model)

    def to_dict(self) -> dict[str, Any]:
        """The CSV columns (:data:`COLUMNS`) with their values; ``klass`` is written as ``class``."""
        out = asdict(self)
        out["class"] = out.pop("klass")
        return {c: out[c] for c in COLUMNS}


# CSV column order; 'class' is SurveyRow.klass.
COLUMNS = tuple("class" if f.name == "klass" else f.name for f in fields(SurveyRow))
_INT = {"vocab_size", "d_model", "zero_rows", "n_rows", "pairs", "n_boot"}
_FLOAT = {"mean", "std", "eps", "null_eps", "ci_low", "ci_high", "ci_level", "load_seconds",
          "moments_seconds", "bootstrap_seconds", "seconds"}
_REQUIRED = ("name", "d_model", "mean", "std", "eps")


@dataclass
class Survey:
    """The rows measured, in the order asked, and the models that could not be measured
    (``failures``: ``(name, message)``; only with ``on_error="skip"``)."""

    rows: list[SurveyRow] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)

    def by_name(self) -> dict[str, SurveyRow]:
        return {r.name: r for r in self.rows}


@dataclass(frozen=True)
class EpsParts:
    r"""How ε = µ + 2σ splits into shift and spread, and how far it is from the isotropic null.

    ``shift_share`` = µ/ε and ``spread_share`` = 2σ/ε (they sum to 1); ``null_eps`` =
    :math:`\varepsilon_0 = 2/\sqrt d`; ``excess`` = ε − ε₀, which splits exactly as

    .. math:: \varepsilon - \frac{2}{\sqrt d} = \underbrace{\mu}_{\text{shift}}
              + \underbrace{2\,(\sigma - 1/\sqrt d)}_{\text{extra spread}} ;

    ``ratio`` = ε/ε₀ = ε√d/2 and ``sigma_ratio`` = σ√d (both 1 for an isotropic matrix).
    """

    eps: float
    mean: float
    std: float
    d: int
    shift_share: float
    spread_share: float
    null_eps: float
    excess: float
    excess_shift: float
    excess_spread: float
    ratio: float
    sigma_ratio: float


def decompose(mean: float, std: float, d: int) -> EpsParts:
    r"""Split ε = µ + 2σ into shift (µ) and spread (2σ), and compare it with 2/√d.

    .. math::

        \text{shift share} = \frac{\mu}{\varepsilon}, \quad
        \text{spread share} = \frac{2\sigma}{\varepsilon}, \quad
        \varepsilon - \frac{2}{\sqrt d} = \mu + 2\Big(\sigma - \frac{1}{\sqrt d}\Big), \quad
        \frac{\varepsilon}{2/\sqrt d} = \frac{\varepsilon\sqrt d}{2}.

    Raises :class:`~repcap.errors.DomainError` for non-finite inputs, σ < 0, d < 2 or ε = 0.
    """
    try:
        mean, std, d_int = float(mean), float(std), int(d)
    except (TypeError, ValueError) as exc:
        raise DomainError(f"decompose: mean, std and d must be numbers, got {mean!r}, {std!r}, {d!r}") from exc
    if not (math.isfinite(mean) and math.isfinite(std)) or std < 0:
        raise DomainError(f"decompose: need finite µ and σ ≥ 0, got µ = {mean}, σ = {std}")
    if d_int < 2 or d_int != d:
        raise DomainError(f"decompose: d must be an integer ≥ 2, got {d!r}")
    eps = mean + 2.0 * std
    if eps == 0:
        raise DomainError("decompose: ε = µ + 2σ is 0; the shares are undefined")
    root = math.sqrt(d_int)
    null = 2.0 / root
    return EpsParts(eps=eps, mean=mean, std=std, d=d_int, shift_share=mean / eps,
                    spread_share=2.0 * std / eps, null_eps=null, excess=eps - null,
                    excess_shift=mean, excess_spread=2.0 * (std - 1.0 / root),
                    ratio=eps * root / 2.0, sigma_ratio=std * root)


# --------------------------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------------------------

def _family(name: str) -> str:
    """The model's family from the catalog or the offline list ("" when neither knows it)."""
    try:
        from repcap import catalog

        for entry in list(catalog.offline_models()) + list(catalog.paper_models()):
            keys = {str(entry.get("name", "")).lower(), str(entry.get("hub_id", "") or "").lower()}
            if name.lower() in keys:
                return str(entry.get("family", "") or "")
    except (ImportError, AttributeError):  # catalog not available: fall back to the offline specs
        pass
    try:
        spec = offline.find(name)
        return spec.family if spec is not None else ""
    except (ImportError, AttributeError):
        return ""


def measure_model(model: Any, *, bootstrap: int = 0, level: float = 0.95, seed: int = 0,
                  family: str | None = None, loader: Callable | None = None,
                  progress: bool = False) -> SurveyRow:
    """Load one model and measure it (see the module docstring for the formulas).

    ``model`` is anything :func:`repcap.sources.load_embedding` accepts, or an already loaded
    :class:`~repcap.sources.Embedding`. ``bootstrap`` > 0 adds a token-bootstrap interval with
    that many replicates (:func:`repcap.similarity.bootstrap_eps`; ≥ 2). ``loader`` replaces
    ``load_embedding`` (for tests). Load errors propagate as :class:`~repcap.errors.RepcapError`.
    """
    from repcap.laws.classes import classify
    from repcap.similarity import bootstrap_eps, exact_moments

    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 0 or bootstrap == 1:
        raise DomainError(f"bootstrap must be 0 (none) or an integer ≥ 2, got {bootstrap!r}")
    start = time.perf_counter()
    if hasattr(model, "matrix") and hasattr(model, "d_model"):
        emb = model
    else:
        if loader is None:
            from repcap.sources import load_embedding as loader
        emb = loader(model, progress=progress)
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
    from tqdm.auto import tqdm

    if on_error not in ("raise", "skip"):
        raise DomainError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    models = list(models)
    if not models:
        raise DomainError("measure: no models given; pass at least one model name")
    survey = Survey()
    for model in tqdm(models, desc="models", unit="model", disable=not progress, leave=False):
        try:
            survey.rows.append(measure_model(model, bootstrap=bootstrap, level=level, seed=seed,
                                             loader=loader, progress=False))
        except RepcapError as exc:
            if on_error == "raise":
                raise
            survey.failures.append((str(model), str(exc)))
    return survey


@dataclass(frozen=True)
class SampledEstimate:
    """ε from the pairs among ``m`` random tokens, with a token-bootstrap interval within them.

    ``rows`` are the sampled row indices (sorted); ``mean``, ``std``, ``eps`` are exact over the
    m(m − 1)/2 pairs among them; [``ci_low``, ``ci_high``] is the ``level`` percentile interval of
    ``n_boot`` token-bootstrap replicates drawn from the sample (NaN when ``n_boot`` = 0).
    """

    m: int
    mean: float
    std: float
    eps: float
    ci_low: float
    ci_high: float
    level: float
    n_boot: int
    rows: Any = field(repr=False, default=None)

    def covers(self, value: float) -> bool:
        """Whether ``value`` (e.g. the exact ε of all tokens) lies in the interval."""
        return bool(self.ci_low <= value <= self.ci_high)


def sampled_eps(emb: Any, m: int, *, n_boot: int = 200, level: float = 0.95, seed: int = 0,
                progress: bool = False) -> SampledEstimate:
    r"""Estimate ε from a random subset of tokens, as one would without the exact Gram identity.

    Draws ``m`` of the non-zero rows without replacement (NumPy ``default_rng(seed)``), computes

    .. math:: \hat\varepsilon_m = \hat\mu_m + 2\hat\sigma_m

    over the :math:`m(m-1)/2` pairs among them (exactly, :func:`repcap.similarity.exact_moments`),
    and a token-bootstrap percentile interval *within the sample*
    (:func:`repcap.similarity.bootstrap_eps`, ``n_boot`` replicates, 0 for none). Pairs share rows,
    so the interval's width shrinks like :math:`1/\sqrt m`, not like one over the square root of
    the number of pairs.
    """
    import numpy as np

    from repcap.similarity import bootstrap_eps, exact_moments

    matrix = emb.matrix if hasattr(emb, "matrix") else np.asarray(emb, dtype=np.float32)
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 3:
        raise DomainError(f"sampled_eps: m must be an integer ≥ 3, got {m!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 0 or n_boot == 1:
        raise DomainError(f"sampled_eps: n_boot must be 0 or an integer ≥ 2, got {n_boot!r}")
    nonzero = np.flatnonzero(np.any(np.asarray(matrix) != 0, axis=1))
    if m > nonzero.size:
        raise DomainError(f"sampled_eps: m = {m} exceeds the {nonzero.size} non-zero rows; "
                          "use the exact computation instead")
    rows = np.sort(np.random.default_rng(seed).choice(nonzero, size=int(m), replace=False))
    sub = np.asarray(matrix[rows], dtype=np.float32)
    mom = exact_moments(sub)
    lo = hi = math.nan
    if n_boot:
        boot = bootstrap_eps(sub, n_boot=n_boot, level=level, seed=seed, progress=progress)
        lo, hi = boot.ci_low, boot.ci_high
    return SampledEstimate(m=int(m), mean=mom.mean, std=mom.std, eps=mom.eps, ci_low=float(lo),
                           ci_high=float(hi), level=float(level), n_boot=int(n_boot), rows=rows)


@dataclass(frozen=True)
class Trend:
    r"""How ε moves with d over a set of models (see :func:`trend`).

    ``slope``/``intercept``: least-squares fit of :math:`\ln\varepsilon = a + b\ln d` (an
    isotropic family has :math:`b = -1/2`); ``spearman``/``p_value``: Spearman's rank correlation
    of ε with d and its two-sided p-value; ``spearman_scaled``/``p_value_scaled``: the same for
    :math:`\varepsilon\sqrt d` (ε in units of the isotropic value, up to the factor 2; NaN when
    that series is constant); ``n`` models.
    """

    n: int
    slope: float
    intercept: float
    spearman: float
    p_value: float
    spearman_scaled: float
    p_value_scaled: float


def trend(points: Iterable[Any]) -> Trend:
    r"""Does ε fall with d faster or slower than concentration of measure alone would make it?

    For points :math:`(d_k, \varepsilon_k)` (dicts or rows with ``d_model`` and ``eps``):

    .. math:: \hat b = \frac{\sum_k (u_k - \bar u)(v_k - \bar v)}{\sum_k (u_k - \bar u)^2},
              \quad u_k = \ln d_k,\ v_k = \ln\varepsilon_k,

    with intercept :math:`\bar v - \hat b\bar u`, plus Spearman rank correlations (scipy) of ε
    and of :math:`\varepsilon\sqrt d` with d. Random matrices give :math:`\hat b = -1/2` and a
    flat :math:`\varepsilon\sqrt d`; a slope between −1/2 and 0 means that, relative to the
    isotropic value, wider models are *less* near-orthogonal.

    Raises :class:`~repcap.errors.DomainError` for fewer than 3 points, a single width, or
    non-positive values.
    """
    import numpy as np
    from scipy import stats

    pts = [(p["d_model"], p["eps"]) if isinstance(p, Mapping) else (p.d_model, p.eps) for p in points]
    if len(pts) < 3:
        raise DomainError(f"trend: need at least 3 models, got {len(pts)}")
    d = np.array([float(x) for x, _ in pts])
    e = np.array([float(y) for _, y in pts])
    if not (np.all(np.isfinite(d)) and np.all(np.isfinite(e))) or np.any(d <= 0) or np.any(e <= 0):
        raise DomainError("trend: d_model and eps must be finite and positive")
    u, v = np.log(d), np.log(e)
    if np.ptp(u) == 0:
        raise DomainError("trend: all models have the same d_model; a slope needs several widths")
    slope = float(np.sum((u - u.mean()) * (v - v.mean())) / np.sum((u - u.mean()) ** 2))
    def rank_corr(y):
        # a constant series (an exactly isotropic family's ε√d) has no rank correlation
        if np.ptp(y) <= 1e-12 * np.max(np.abs(y)):
            return math.nan, math.nan
        return stats.spearmanr(d, y)

    rho, p = rank_corr(e)
    rho_s, p_s = rank_corr(e * np.sqrt(d))
    return Trend(n=len(pts), slope=slope, intercept=float(v.mean() - slope * u.mean()),
                 spearman=float(rho), p_value=float(p), spearman_scaled=float(rho_s),
                 p_value_scaled=float(p_s))


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
            from repcap.sources import OFFLINE_MODELS

            expanded = list(OFFLINE_MODELS)
        elif name == "paper":
            from repcap import catalog

            expanded = [m["hub_id"] for m in catalog.paper_models() if m.get("hub_id")]
        else:
            expanded = [name]
        out.extend(e for e in expanded if e not in out)
    if not out:
        raise DomainError("no models to measure; pass names, 'offline' or 'paper'")
    return out


def reported_points() -> list[dict[str, Any]]:
    """The paper's Table 1 as points for Figure 5: ``name, hub_id, family, d_model, eps`` (ε as
    reported in the paper, not measured here), ``class_paper``; rows without ε are left out."""
    from repcap import catalog

    return [{"name": m["name"], "hub_id": m.get("hub_id"), "family": m.get("family") or "",
             "d_model": int(m["d_model"]), "eps": float(m["eps_paper"]),
             "class_paper": m.get("class_paper")}
            for m in catalog.paper_models() if m.get("eps_paper") is not None and m.get("d_model")]


def figure5b_subset(points: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The models of the paper's Figure 5b ("the second class, zoomed in"): the reported points with
    ε < 0.1, without the Gemma family and Llama 2 70B, which the paper's plotting code leaves out."""
    return [p for p in points if p["eps"] < 0.1 and p.get("family") != "Gemma"
            and p["name"] != "Llama 2 70B"]


def join_reported(rows: Iterable[SurveyRow]) -> list[dict[str, Any]]:
    """Measured rows beside the paper's reported ε for the same model (matched by hub id or name).

    Each dict: ``name``, ``paper_name``, ``d_model``, ``eps`` (measured), ``eps_paper``,
    ``diff`` = eps − eps_paper, ``rel_diff`` = diff / eps_paper, ``klass`` (ours) and
    ``class_paper``. An offline copy (e.g. ``gemma-3-270m``) matches through its upstream hub id.
    Rows of models the paper did not measure are left out.
    """
    reported = reported_points()
    index = {}
    for p in reported:
        index.setdefault(p["name"].lower(), p)
        if p["hub_id"]:
            index.setdefault(p["hub_id"].lower(), p)
    out = []
    for r in rows:
        p = index.get(r.name.lower())
        spec = offline.find(r.name) if p is None else None
        if spec is not None and spec.hub_id:  # an offline copy of a model the paper measured
            p = index.get(spec.hub_id.lower())
        if p is None:
            continue
        diff = r.eps - p["eps"]
        out.append({"name": r.name, "paper_name": p["name"], "d_model": r.d_model, "eps": r.eps,
                    "eps_paper": p["eps"], "diff": diff, "rel_diff": diff / p["eps"],
                    "klass": r.klass, "class_paper": p["class_paper"]})
    return out


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
                for c in ("Class 1", "Class 2")}
    if by_class["Class 1"] and by_class["Class 2"]:
        for c in ("Class 1", "Class 2"):
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
    import numpy as np

    from repcap.similarity import sampled_pairs
    from repcap.sources import load_embedding

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


# --------------------------------------------------------------------------------------------
# the CSV table
# --------------------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    return str(value)


def write_table(rows: Iterable[SurveyRow | Mapping[str, Any]], path: str | os.PathLike) -> Path:
    """Write the rows as CSV (header :data:`COLUMNS`) to ``path``, atomically; returns the path.

    Floats are written with full precision (``repr``), so :func:`read_table` gives back the same
    numbers. Missing parent folders are created. An interrupted write leaves any previous file
    intact (temporary file in the same folder + ``os.replace``). A folder that cannot be created or
    written raises :class:`~repcap.errors.DataFileError`.
    """
    target = Path(path)
    records = []
    for row in rows:
        data = row.to_dict() if isinstance(row, SurveyRow) else dict(row)
        missing = [c for c in COLUMNS if c not in data]
        if missing:
            raise DataFileError(f"write_table: a row lacks columns {missing}; pass SurveyRow objects")
        records.append({c: _cell(data[c]) for c in COLUMNS})
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise DataFileError(f"{target}: cannot write the table here ({exc.strerror or exc}); pass a "
                            "writable path (table_path) or an empty one to skip the file") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
            writer.writeheader()
            writer.writerows(records)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _parse(column: str, text: str, path: Path, line: int) -> Any:
    try:
        if column in _INT:
            return int(text)
        if column in _FLOAT:
            return float(text) if text != "" else math.nan
    except ValueError:
        raise DataFileError(f"{path}, line {line}: column {column!r} holds {text!r}, not a number; "
                            "the file is damaged: re-run the survey to rewrite it") from None
    if column == "tied":
        return {"true": True, "false": False, "": None}.get(text.lower(), None)
    return text


def read_table(path: str | os.PathLike) -> list[SurveyRow]:
    """Read a table written by :func:`write_table` back into :class:`SurveyRow` objects.

    Raises :class:`~repcap.errors.DataFileError` when the file is missing, lacks one of the
    required columns (name, d_model, mean, std, eps), or holds a non-number in a numeric column.
    Optional columns that are absent take their defaults (NaN intervals, zero timings), and the
    class is recomputed from ε when absent.
    """
    from repcap.laws.classes import classify

    source = Path(path)
    if not source.is_file():
        raise DataFileError(f"{source}: no survey table here; run chapter 3 (or repcap.studies.survey.measure "
                            "and write_table) to create it")
    with source.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in _REQUIRED if c not in header]
        if missing:
            raise DataFileError(f"{source}: missing column(s) {missing}; expected a table written by "
                                "repcap.studies.survey.write_table")
        out = []
        for line, raw in enumerate(reader, start=2):
            values = {c: _parse(c, raw[c], source, line) for c in COLUMNS if c in raw and raw[c] is not None}
            d = values["d_model"]
            eps = values["eps"]
            if d < 1 or not math.isfinite(eps):
                raise DataFileError(f"{source}, line {line}: d_model = {d}, eps = {eps} are not a "
                                    "measurement; re-run the survey")
            values.setdefault("klass", None)
            values["klass"] = values.pop("class", None) or classify(eps)
            defaults = {"family": "", "source": "", "vocab_size": 0, "tied": None, "dtype": "",
                        "zero_rows": 0, "n_rows": 0, "pairs": 0, "null_eps": 2.0 / math.sqrt(max(d, 1))}
            for key, value in defaults.items():
                values.setdefault(key, value)
            out.append(SurveyRow(**values))
    return out
