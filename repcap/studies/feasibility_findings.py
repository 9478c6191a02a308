r"""Chapter 6 beyond the paper: what is provable about the capacities of Table 1.

The true maximum N(d, ε) of unit vectors with all pairwise |cos| ≤ ε is pinned between existence
guarantees (greedy, random signs, explicit algebraic line sets) and impossibility bounds
(:mod:`repcap.geometry.feasibility`). A capacity that claims to be an upper bound on the number of
distinguishable directions must lie inside that band. :class:`BandFindings` places each Class 2
model of Table 1 in it and lists the models whose Eq. 7 capacity is smaller than an explicit line
set built and checked at the model's (d, ε):

.. math:: \frac{K_\text{construction}(d, \varepsilon)}{k_{\max}(d, \varepsilon)} > 1 .

:class:`ScalingFindings` reads the same models on the scale-free axis :math:`\varepsilon\sqrt d`
(2 for a random matrix of any width, :func:`repcap.geometry.null.null_eps`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from repcap.common.formatting import log10_sci, range_median, sci
from repcap.geometry.bounds import log10_kl_asymptotic
from repcap.geometry.feasibility import eq7_exit, model_band, named_band, outside_band
from repcap.geometry.null import null_eps
from repcap.packing.released import load_paper_sweep
from repcap.studies.capacity_findings import CHAPTER
from repcap.studies.capacity_table import eps_sqrt_d_points, family_sequence
from repcap.studies.findings import Findings, Markdown, Table, required
from repcap.studies.sensitivity_findings import LLAMA2_7B
from repcap.studies.width_trend import trend

__all__ = ["EXIT_DIMS", "FAMILIES", "BandFindings", "ScalingFindings"]

#: The widths at which the chapter finds where Eq. 7 leaves the band.
EXIT_DIMS = (1024, 2048, 4096, 8192, 16384)
#: Families of Table 1 whose ε√d the chapter follows with size.
FAMILIES = (("Llama 3.1 8B", "Llama 3.1 70B", "Llama 3.1 405B"),
            ("Qwen 2.5 7B", "Qwen 2.5 14B", "Qwen 2.5 72B"))

_EXIT_COLUMNS = [
    ("d", "d", "d"),
    ("Eq. 7 falls below the existence guarantee for ε >", "eps", ".4f"),
    ("that is, ε√d >", "esd", ".2f"),
]
_BAND_COLUMNS = [
    ("model", "name", ""),
    ("d", "d", "d"),
    ("ε√d", "eps_sqrt_d", ".2f"),
    ("greedy guarantee", "log10_greedy", log10_sci),
    ("explicit set", "log10_construction", log10_sci),
    ("Eq. 7 (Table 1)", "log10_eq7", log10_sci),
    ("rigorous upper bound", "log10_upper", log10_sci),
    ("KL rate (asymptotic only)", "log10_kl", log10_sci),
    ("verdict", "verdict", ""),
]


@dataclass
class BandFindings(Findings):
    """The feasibility band at the Class 2 models of Table 1.

    ``rows`` are :func:`named_band` of the models; ``exit`` is :func:`eq7_exit` at
    :data:`EXIT_DIMS` (``{"d", "eps", "eps_sqrt_d"}`` as lists); ``llama`` is :func:`model_band` at
    Llama 2 7B's (d, ε); ``kl_beaten`` of the paper's ``kl_above`` released packings with k > d hold
    more vectors than the Kabatiansky–Levenshtein rate allows at their own (d, ε*).
    """

    chapter = CHAPTER

    rows: list[dict]
    exit: dict[str, list[float]]
    llama: dict
    kl_beaten: int
    kl_above: int

    @classmethod
    def of(cls, class2: Sequence[Mapping]) -> "BandFindings":
        """The band at ``class2`` (:func:`repcap.studies.capacity_table.capacity_rows` rows)."""
        released = load_paper_sweep("optimised")
        above = released.k > released.d
        beat = np.log10(released.k[above]) > log10_kl_asymptotic(released.d[above],
                                                                 released.eps[above])
        exit_ = eq7_exit(list(EXIT_DIMS))
        return cls(rows=named_band(class2),
                   exit={key: [float(v) for v in exit_[key]] for key in ("d", "eps", "eps_sqrt_d")},
                   llama=model_band(*LLAMA2_7B)[0], kl_beaten=int(beat.sum()),
                   kl_above=int(above.sum()))

    # -- the numbers ---------------------------------------------------------------------------------
    @property
    def below_construction(self) -> list[dict]:
        """The rows whose Eq. 7 capacity an explicit line set exceeds, by decreasing ratio."""
        return sorted((v for v in self.rows if v["eq7_below_construction"]),
                      key=lambda v: -v["construction_over_eq7"])

    @property
    def outside(self) -> list[dict]:
        """The rows not inside the band (:func:`outside_band`)."""
        return outside_band(self.rows)

    def exit_at(self, d: int) -> float:
        """ε√d at which Eq. 7 leaves the band at width ``d`` (one of :data:`EXIT_DIMS`)."""
        return self.exit["eps_sqrt_d"][self.exit["d"].index(d)]

    # -- what the chapter shows ------------------------------------------------------------------------
    def kl_text(self) -> Markdown:
        """How many of the paper's packings the asymptotic KL rate fails to bound."""
        return Markdown(f"{self.kl_beaten} of the paper's {self.kl_above} released packings with "
                        "k > d hold more vectors than the Kabatiansky–Levenshtein rate at their "
                        "own (d, ε\\*).")

    def llama_text(self) -> Markdown:
        """The band at Llama 2 7B, with the largest explicit set there."""
        b = self.llama
        return Markdown(
            f"At Llama 2 7B (d = {LLAMA2_7B[0]}, ε = {LLAMA2_7B[1]}): greedy guarantee "
            f"{log10_sci(b['log10_greedy'])}, explicit {b['construction_family']} set "
            f"{sci(b['construction_count'])} (coherence {b['construction_coherence']:.4f}), Eq. 7 "
            f"{log10_sci(b['log10_eq7'])}, impossible above {log10_sci(b['log10_upper'])} "
            f"({b['upper_name']} bound).")

    def tables(self) -> list[Table]:
        exits = [{"d": int(a), "eps": b, "esd": c}
                 for a, b, c in zip(self.exit["d"], self.exit["eps"], self.exit["eps_sqrt_d"])]
        widest = sorted(self.rows, key=lambda v: -v["eps_sqrt_d"])[:8]
        return [Table("Where Eq. 7 leaves the band", exits, _EXIT_COLUMNS),
                Table("The Class 2 models with the largest ε√d", widest, _BAND_COLUMNS)]

    def markdown(self) -> Markdown:
        beaten = self.below_construction
        lines = [f"{v['name']} (d = {v['d']}, ε = {v['eps']}): Table 1 prints "
                 f"{sci(v['capacity_paper'])}; a {v['construction_family']} set "
                 f"(m = {v['construction_params'].get('m')}, e = "
                 f"{v['construction_params'].get('e')}) of {sci(v['construction_count'])} vectors "
                 f"at coherence {v['construction_coherence']:.4f} fits, "
                 f"{v['construction_over_eq7']:.3g}× more." for v in beaten]
        n, greedy_only = len(self.rows), [v for v in self.rows if v["log10_eq7"] < v["log10_greedy"]]
        ratios = [v["construction_over_eq7"] for v in beaten]
        spread = f" (ratios {range_median(ratios)})" if ratios else ""
        summary = (f"{len(beaten)} of {n} Class 2 capacities are below an explicit set that "
                   f"provably fits{spread}; {len(greedy_only)} below the greedy count alone; "
                   f"{n - len(self.outside)} of {n} remain inside the band.")
        return Markdown("\n".join(f"* {line}" for line in lines) + f"\n\n{summary}")

    # -- the results record ------------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        return {
            "eq7_exit_eps_sqrt_d": {int(d): c for d, c in zip(self.exit["d"],
                                                              self.exit["eps_sqrt_d"])},
            "outside_band": [v["name"] for v in self.outside],
            "below_construction": [{"name": v["name"], "family": v["construction_family"],
                                    "params": v["construction_params"],
                                    "ratio": v["construction_over_eq7"]}
                                   for v in self.below_construction],
            "band_rows": self.rows, "eq7_exit": self.exit, "llama2_7b_band": self.llama,
            "kl_beaten": self.kl_beaten, "kl_above": self.kl_above}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "BandFindings":
        return cls(*(required(record, CHAPTER, key)
                     for key in ("band_rows", "eq7_exit", "llama2_7b_band", "kl_beaten",
                                 "kl_above")))


@dataclass
class ScalingFindings(Findings):
    r"""The Class 2 models of Table 1 on the axes ε and :math:`\varepsilon\sqrt d` against d.

    ``names``, ``d``, ``eps``, ``eps_sqrt_d`` and ``groups`` are per model
    (:func:`eps_sqrt_d_points`); ``rho_eps`` and ``rho_eps_sqrt_d`` are Spearman's (ρ, p) of each
    with d (:func:`repcap.studies.width_trend.trend`, the numbers chapter 3 reads); ``families`` the ``[(name, ε√d)]`` of :data:`FAMILIES`.
    """

    chapter = CHAPTER

    names: list[str]
    d: list[float]
    eps: list[float]
    eps_sqrt_d: list[float]
    groups: list[str]
    rho_eps: tuple[float, float]
    rho_eps_sqrt_d: tuple[float, float]
    families: list[list[tuple[str, float]]]

    @classmethod
    def of(cls, rows: Iterable[Mapping]) -> "ScalingFindings":
        """The Class 2 models among ``rows`` (:func:`capacity_rows` of Table 1)."""
        rows = list(rows)
        pts = eps_sqrt_d_points(rows)
        c2 = pts["class2"]
        d, eps, esd = pts["d"][c2], pts["eps"][c2], pts["eps_sqrt_d"][c2]
        t = trend([{"d_model": a, "eps": b} for a, b in zip(d, eps)])  # chapter 3's trend
        return cls(names=list(pts["name"][c2]), d=d.tolist(), eps=eps.tolist(),
                   eps_sqrt_d=esd.tolist(), groups=list(pts["group"][c2]),
                   rho_eps=(t.spearman, t.p_value),
                   rho_eps_sqrt_d=(t.spearman_scaled, t.p_value_scaled),
                   families=[family_sequence(rows, list(f)) for f in FAMILIES])

    def random_curve(self, n: int = 50) -> tuple[np.ndarray, np.ndarray]:
        """``(d, 2/√d)`` over the models' range of d: the ε of a random matrix."""
        d_line = np.geomspace(min(self.d), max(self.d), n)
        return d_line, null_eps(d_line)

    def markdown(self) -> Markdown:
        v = np.asarray(self.eps_sqrt_d)
        (r1, p1), (r2, p2) = self.rho_eps, self.rho_eps_sqrt_d
        lines = [f"Class 2: ε√d ranges {v.min():.2f}–{v.max():.2f}, i.e. {v.min() / 2:.2f}–"
                 f"{v.max() / 2:.2f} times the random value 2.",
                 f"Class 2, Spearman rank correlation with d_model: ε {r1:+.2f} (p = {p1:.2g}), "
                 f"ε√d {r2:+.2f} (p = {p2:.2g})."]
        lines += [" → ".join(f"{name} {value:.2f}" for name, value in family)
                  for family in self.families]
        return Markdown("\n".join(f"* {line}" for line in lines))

    def record(self) -> dict[str, Any]:
        return {"spearman_eps_d": self.rho_eps[0], "spearman_eps_sqrt_d_d": self.rho_eps_sqrt_d[0],
                "scaling": {"names": self.names, "d": self.d, "eps": self.eps,
                            "eps_sqrt_d": self.eps_sqrt_d, "groups": self.groups,
                            "rho_eps": list(self.rho_eps),
                            "rho_eps_sqrt_d": list(self.rho_eps_sqrt_d),
                            "families": self.families}}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "ScalingFindings":
        s = required(record, CHAPTER, "scaling")
        return cls(names=s["names"], d=s["d"], eps=s["eps"], eps_sqrt_d=s["eps_sqrt_d"],
                   groups=s["groups"], rho_eps=tuple(s["rho_eps"]),
                   rho_eps_sqrt_d=tuple(s["rho_eps_sqrt_d"]),
                   families=[[tuple(p) for p in f] for f in s["families"]])
