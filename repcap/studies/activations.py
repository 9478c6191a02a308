r"""ε of the vectors a transformer computes: per-layer moments of its hidden states, streamed.

For layer ℓ and the N real (unpadded) token positions of a corpus, with :math:`\hat h_i` the unit
hidden state at position *i*, the paper's accepted deviation over pairs of positions is
:math:`\varepsilon_\ell = \mu + 2\sigma` of :math:`c_{ij} = \hat h_i\cdot\hat h_j`, *i < j*. As in
:mod:`repcap.similarity.moments` it needs only :math:`\sum_i \hat h_i` and the d × d Gram
:math:`\sum_i \hat h_i\hat h_i^\top`, accumulated batch by batch in float64 (shifted by the first
batch's mean so nothing cancels): memory :math:`O(L d^2)`, never N × d × L, and the value is exact.

Also per layer: ε·√d (the null calibration: for isotropic random unit vectors µ ≈ 0 and
σ ≈ 1/√d, so ε·√d ≈ 2); the participation ratio :math:`(\operatorname{tr}C)^2/\lVert C\rVert_F^2`
and the effective rank :math:`\exp(-\sum_k p_k\ln p_k)`, :math:`p_k = \lambda_k/\sum\lambda`, of the
covariance C of the unit vectors; the norm of the mean unit vector; the paper's class of ε and
Eq. 7's capacity at (d, ε). The mean-removed ε (anisotropy removed, Ethayarajh 2019; Mu &
Viswanath 2018) uses the exact mean raw vector :math:`m` of the whole stream and the cosines of
:math:`h_i - m` among a uniform reservoir of R positions (all R(R−1)/2 pairs): a sample estimate,
since the renormalisation after centring does not reduce to running sums. Positions with a massive
activation (:mod:`repcap.studies.massive`) are left out of m and of the reservoir, and counted
(``LayerRow.massive``): in SmolLM2-135M a single one can outweigh the rest of the sum.

**The embedding matrix in the same frame.** A layer's ε is taken over token *positions* (a frequent
token counts as often as it occurs, and two positions of one token at the embedding output have
cosine 1); the paper's embedding ε is taken over the *vocabulary* rows, each once. Those are
different samples of the same matrix. So the embedding matrix is measured three ways: over the
vocabulary (``embedding_eps``, the paper's frame), over the rows looked up at the same N positions
(``embedding_eps_at_positions``, the frame of every layer) and over the distinct token types those
positions use (``embedding_eps_at_types``). Layers are compared with the same-frame value.

**Sampling and uncertainty.** Documents are drawn in a seeded random order
(:func:`repcap.sources.corpus.in_random_order`), not taken from the start of the file. Every
layer's ε gets a percentile interval from a bootstrap over *documents* (positions of one document
are not independent): G documents are drawn with replacement and ε is recomputed exactly on the
resampled positions from per-document pair sums (:func:`group_pair_sums`,
:func:`repcap.similarity.bootstrap.group_eps`). The same draws are applied to the embedding rows at
the same positions, so each layer's gap to the embedding also gets an interval (a paired bootstrap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from repcap.common.devices import resolve_device
from repcap.common.jsonsafe import nan_from_null
from repcap.common.progress import bar
from repcap.errors import DataFileError, ModelFileError, ParameterError, option
from repcap.laws.capacity import log10_capacity
from repcap.laws.classes import classify
from repcap.similarity.bootstrap import GroupPairSums, group_counts, group_eps, percentile_interval
from repcap.similarity.moments import CentredSums, exact_moments
from repcap.sources.corpus import documents, in_random_order, token_batches
from repcap.sources.forward import ForwardModel, load_forward
from repcap.studies.massive import massive_threshold

NAN2 = (float("nan"), float("nan"))
#: A gap interval reaching within this of 0 does not exclude 0: each replicate's ε is computed from
#: float32 rows and carries rounding of about 1e-7 (a decoder's embedding output *is* the embedding
#: rows at the positions, gap 0 up to that rounding).
GAP_ROUNDING = 1e-6


@dataclass
class LayerSums:
    """Running float64 sums of one layer (torch tensors on the model's device)."""

    shift: Any = None
    n: int = 0
    u: Any = None       # Σ (ĥ − shift)
    gram: Any = None    # Σ (ĥ − shift)(ĥ − shift)ᵀ
    d1: Any = 0.0       # Σ δ, δ = ‖ĥ‖² − 1 (a device scalar: no sync per batch)
    d2: Any = 0.0       # Σ δ²
    raw: Any = None     # Σ h (unnormalised) over the rows that are not massive, for the mean vector
    massive: Any = 0    # how many rows were massive (a device scalar, like d1)
    norm_cut: float = math.inf  # a row is massive above this norm (set by the first batch)
    keys: Any = None    # reservoir priorities
    sample: Any = None  # reservoir vectors (float32, CPU)
    rows: list = field(default_factory=list)    # unit rows (float32, CPU), for the bootstrap
    groups: list = field(default_factory=list)  # the document index of each kept row

    def add(self, h, reservoir: int, generator, groups=None) -> None:
        r"""Fold the rows of ``h`` (positions × d) into the sums.

        With :math:`\hat h = h/\lVert h\rVert` over the non-zero rows and the shift :math:`s` (the
        first batch's mean unit vector), it adds :math:`\sum r`, :math:`\sum r r^\top` for
        :math:`r = \hat h - s`, :math:`\sum \delta` and :math:`\sum \delta^2` for
        :math:`\delta = \lVert\hat h\rVert^2 - 1` (rounding), and :math:`\sum h`; then keeps a
        uniform sample of ``reservoir`` rows (the largest of uniform random keys). With ``groups``
        (the document index of each row) it also keeps every unit row, for :func:`group_pair_sums`.

        Rows with a massive activation (:mod:`repcap.studies.massive`: norm above 10 × the median;
        the median of the first batch, thousands of positions, stands for the stream's, since a
        massive row sits orders of magnitude above it) are left out of :math:`\sum h` and of the
        reservoir, and counted: one such row can outweigh thousands in a raw sum. They stay in
        every cosine sum, where each is one position among N.
        """
        import torch

        x = h.to(torch.float64)
        norms = x.norm(dim=1, keepdim=True)
        keep = norms[:, 0] > 0
        x, norms = x[keep], norms[keep]
        unit = x / norms
        if self.shift is None:
            self.shift = unit.mean(dim=0)
            self.norm_cut = massive_threshold(norms.cpu().numpy())
            d = unit.shape[1]
            self.u = torch.zeros(d, dtype=torch.float64, device=unit.device)
            self.gram = torch.zeros((d, d), dtype=torch.float64, device=unit.device)
            self.raw = torch.zeros(d, dtype=torch.float64, device=unit.device)
        r = unit - self.shift
        delta = (unit * unit).sum(dim=1) - 1.0
        self.n += unit.shape[0]
        self.u += r.sum(dim=0)
        self.gram.addmm_(r.T, r)
        self.d1 = self.d1 + delta.sum()
        self.d2 = self.d2 + (delta * delta).sum()
        big = norms[:, 0] > self.norm_cut
        typical = x[~big]
        self.massive = self.massive + big.sum()
        self.raw += typical.sum(dim=0)
        if reservoir:
            self._sample(typical, reservoir, generator)
        if groups is not None:
            self.rows.append(unit.to(torch.float32).cpu())
            self.groups.append(groups[keep.cpu()])

    def _sample(self, x, reservoir: int, generator) -> None:
        """Keep the ``reservoir`` rows with the largest keys; copy to the CPU only new rows that stay."""
        import torch

        new_keys = torch.rand(x.shape[0], generator=generator)
        old = 0 if self.keys is None else self.keys.shape[0]
        keys = new_keys if self.keys is None else torch.cat([self.keys, new_keys])
        top = torch.topk(keys, reservoir).indices if keys.shape[0] > reservoir else None
        if top is None:
            kept_old, fresh = torch.arange(old), torch.arange(x.shape[0])
        else:
            kept_old, fresh = top[top < old], top[top >= old] - old
        vecs = x[fresh.to(x.device)].to(torch.float32).cpu()
        if self.sample is not None:
            vecs = torch.cat([self.sample[kept_old], vecs])
            new_keys = torch.cat([self.keys[kept_old], new_keys[fresh]])
        else:
            new_keys = new_keys[fresh]
        self.keys, self.sample = new_keys, vecs

    def centred(self) -> CentredSums:
        """The sums as :class:`~repcap.similarity.moments.CentredSums` (NumPy, float64)."""
        return CentredSums(shift=self.shift.cpu().numpy(), n=float(self.n),
                           q_weights=float(self.n), u=self.u.cpu().numpy(),
                           gram=self.gram.cpu().numpy(), d1=float(self.d1), d2=float(self.d2))


def spectrum_measures(sums: CentredSums) -> tuple[float, float]:
    r"""``(participation ratio, effective rank)`` of the covariance C = H/n of the unit vectors,
    H = Σ rrᵀ − uuᵀ/n: PR = (tr C)²/‖C‖²_F and erank = exp(−Σ p ln p), p = λ/Σλ."""
    h = sums.gram - np.outer(sums.u, sums.u) / sums.n
    lam = np.clip(np.linalg.eigvalsh((h + h.T) / 2.0), 0.0, None)
    total = lam.sum()
    if total <= 0:
        return 1.0, 1.0
    p = lam[lam > 0] / total
    return float(total ** 2 / (lam @ lam)), float(np.exp(-(p * np.log(p)).sum()))


def _centred_eps(sample: np.ndarray, mean: np.ndarray) -> float:
    """ε of all pairs among the reservoir rows after subtracting the stream's mean vector."""
    if sample is None or sample.shape[0] < 2:
        return float("nan")
    centred = np.asarray(sample, dtype=np.float64) - mean
    norms = np.linalg.norm(centred, axis=1)
    centred = centred[norms > 0]
    if centred.shape[0] < 2:
        return float("nan")
    return exact_moments(centred).eps


@dataclass
class LayerRow:
    """One row of the per-layer table (:func:`rows_from_sums` gives the formulas; the intervals come
    from the document bootstrap, NaN without one)."""

    layer: int
    label: str
    tokens: int
    mean: float
    std: float
    eps: float
    eps_sqrt_d: float
    eps_centred: float
    mean_norm: float
    participation_ratio: float
    effective_rank: float
    paper_class: str
    log10_capacity_eq7: float
    eps_interval: tuple = NAN2  # bootstrap interval of ε over documents
    massive: int = 0  # positions left out of the mean vector and the reservoir (massive activations)
    gap_interval: tuple = NAN2  # ... of ε − ε of the embedding rows at the same positions


@dataclass
class ActivationStudy:
    """One model's per-layer table, its embedding matrix in three frames (module docstring) and
    what it was measured on."""

    model: str
    d_model: int
    n_layers: int
    tokens: int
    corpus: str
    device: str
    dtype: str
    embedding_eps: float  # over the vocabulary rows: the paper's frame
    rows: list[LayerRow]
    embedding_eps_at_positions: float = float("nan")  # the rows at the same N positions
    embedding_eps_at_types: float = float("nan")  # the distinct token types of those positions
    embedding_types: int = 0
    embedding_interval: tuple = NAN2  # bootstrap interval of embedding_eps_at_positions
    documents: int = 0
    bootstrap: int = 0
    level: float = 0.95
    seed: int = 0

    _SCALARS = ("model", "d_model", "n_layers", "tokens", "corpus", "device", "dtype",
                "embedding_eps", "embedding_eps_at_positions", "embedding_eps_at_types",
                "embedding_types", "embedding_interval", "documents", "bootstrap", "level", "seed")

    def as_dict(self) -> dict:
        """The study as JSON-ready types (``repcap activations --json``)."""
        out = {k: getattr(self, k) for k in self._SCALARS}
        out["embedding_class"] = classify(self.embedding_eps)
        out["embedding_class_at_positions"] = classify(self.embedding_eps_at_positions)
        out["layers"] = [vars(r) for r in self.rows]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "ActivationStudy":
        """The study back from :meth:`as_dict` (None in a float field, JSON's NaN, becomes NaN)."""
        rows = [LayerRow(**nan_from_null(dict(r))) for r in data["layers"]]
        return cls(**{k: nan_from_null(data[k]) for k in cls._SCALARS if k in data}, rows=rows)

    @property
    def baseline(self) -> float:
        """The embedding's ε in the layers' frame: over its rows at the same positions."""
        return self.embedding_eps_at_positions

    @property
    def layer_eps(self) -> np.ndarray:
        """ε of every measured layer, in order."""
        return np.array([r.eps for r in self.rows])

    @property
    def max_abs_gap(self) -> float:
        """max over layers of |ε_layer − ε_embedding at the same positions|."""
        return float(np.abs(self.layer_eps - self.baseline).max())

    @property
    def layers_same_class(self) -> int:
        """How many layers fall in the class (:func:`classify`) of the embedding at the same
        positions."""
        return sum(r.paper_class == classify(self.baseline) for r in self.rows)

    @property
    def layers_gap_resolved(self) -> int:
        """Layers whose bootstrap interval of ε − ε_embedding (same positions) excludes 0."""
        return sum(lo > GAP_ROUNDING or hi < -GAP_ROUNDING
                   for lo, hi in (r.gap_interval for r in self.rows))

    @property
    def median_centred_drop(self) -> float:
        """Median over layers of ε − ε_centred: how much removing the stream's mean vector lowers ε
        (negative where it raises it)."""
        return float(np.nanmedian(self.layer_eps - np.array([r.eps_centred for r in self.rows])))

    @property
    def layers_raised_by_centring(self) -> int:
        """Layers where removing the stream's mean vector raises ε (ε_centred > ε)."""
        return sum(r.eps_centred > r.eps for r in self.rows)

    def _finite_capacities(self) -> np.ndarray:
        cap = np.array([r.log10_capacity_eq7 for r in self.rows], dtype=float)
        return cap[np.isfinite(cap)]

    @property
    def log10_capacity_span(self) -> float:
        """max − min of log10 k_max(d, ε_ℓ) by Eq. 7 over the layers where it is defined (NaN: none)."""
        cap = self._finite_capacities()
        return float(cap.max() - cap.min()) if cap.size else float("nan")

    @property
    def layers_without_capacity(self) -> int:
        """Layers with ε > 1, where Eq. 7 is undefined."""
        return len(self.rows) - self._finite_capacities().size


def layer_labels(n_layers: int) -> list[str]:
    """Names of the hidden_states entries: the embedding output, then each block (the last
    block's entry is after the final norm in decoder models)."""
    return ["embeddings"] + [f"block {i}" for i in range(1, n_layers + 1)]


def _select(layers: Iterable[int] | None, count: int) -> list[int]:
    if layers is None:
        return list(range(count))
    chosen = sorted({int(i) % count if -count <= int(i) < count else -1 for i in layers})
    if not chosen or chosen[0] < 0:
        raise ParameterError(f"layers must lie in 0..{count - 1} (or -{count}..-1)")
    return chosen


@dataclass
class HiddenPass:
    """What :func:`run_batches` read: each layer's sums, and the token id and document index of
    every real position, in order."""

    sums: dict[int, LayerSums]
    token_ids: Any  # torch int64, N
    groups: Any     # torch int64, N: the document (sequence) each position belongs to
    documents: int


def run_batches(fm, batches: Iterable[dict], *, layers: Iterable[int] | None = None,
                reservoir: int = 2000, seed: int = 0, progress: bool = True,
                total_tokens: int | None = None, keep_rows: bool = False) -> HiddenPass:
    """Forward every batch with hidden states and fold the unpadded positions into the sums; each
    sequence of a batch is one document. ``keep_rows`` also keeps every unit row (float32, CPU:
    N × d × layers) for the document bootstrap."""
    import torch

    count = fm.n_layers + 1
    chosen = _select(layers, count)
    sums = {i: LayerSums() for i in chosen}
    gen = torch.Generator().manual_seed(seed)
    token_ids, groups, n_docs = [], [], 0
    pbar = bar(total_tokens, f"{fm.name}: hidden states", unit="tok", enabled=progress, leave=True)
    with torch.inference_mode():
        for batch in batches:
            mask = batch["attention_mask"].cpu()
            keep_cpu = mask.reshape(-1).bool()
            seq = torch.arange(n_docs, n_docs + mask.shape[0])[:, None].expand(mask.shape)
            group = seq.reshape(-1)[keep_cpu]
            n_docs += mask.shape[0]
            token_ids.append(batch["input_ids"].cpu().reshape(-1)[keep_cpu])
            groups.append(group)
            batch = {k: v.to(fm.device) for k, v in batch.items()}
            out = fm.model(**batch, output_hidden_states=True)
            states = getattr(out, "hidden_states", None)
            if states is None or len(states) != count:
                raise ModelFileError(f"{fm.name}: the forward pass returned no per-layer "
                                     "hidden states")
            keep = keep_cpu.to(fm.device)
            for i in chosen:
                sums[i].add(states[i].reshape(-1, fm.d_model)[keep], reservoir, gen,
                            group if keep_rows else None)
            pbar.update(int(keep_cpu.sum()))
    pbar.close()
    return HiddenPass(sums, torch.cat(token_ids), torch.cat(groups), n_docs)


def group_pair_sums(unit, groups, n_groups: int, *, device: str = "cpu",
                    block: int = 1024) -> GroupPairSums:
    r""":class:`~repcap.similarity.bootstrap.GroupPairSums` of unit rows ``unit`` (N × d torch
    tensor) whose document indices ``groups`` (N, non-decreasing, in 0..n_groups−1) are given.

    ``cross`` = S Sᵀ with :math:`S_g = \sum_{i\in g}\hat h_i` and the diagonal terms are exact
    float64 sums of the float32 rows; the shift :math:`\mu_0` is the full sample's µ from them.
    ``cross_sq[g, h]`` = :math:`\sum_{i\in g,j\in h}(c_{ij}-\mu_0)^2` forms every cosine once, in
    float32 blocks of ``block`` rows against the rows after them on ``device`` (the upper triangle:
    N²d/2 multiply-adds, O(block · N) memory), and sums them per document pair through the N × G
    indicator matrix.
    """
    import torch

    x32 = unit.to(torch.float32)
    x64 = x32.to(torch.float64)
    groups = groups.to(torch.long)
    n, d = x32.shape
    s = torch.zeros((n_groups, d), dtype=torch.float64).index_add_(0, groups, x64)
    sizes = torch.bincount(groups, minlength=n_groups).to(torch.float64)
    norms2 = (x64 * x64).sum(dim=1)
    diag = torch.zeros(n_groups, dtype=torch.float64).index_add_(0, groups, norms2)
    cross = s @ s.T
    shift = float((cross.sum() - diag.sum()) / (n * n - n))
    diag_sq = torch.zeros(n_groups, dtype=torch.float64).index_add_(0, groups,
                                                                     (norms2 - shift) ** 2)
    x = x32.to(device)
    onehot = torch.zeros((n, n_groups), dtype=torch.float32, device=device)
    onehot[torch.arange(n, device=device), groups.to(device)] = 1.0
    cross_sq = torch.zeros((n_groups, n_groups), dtype=torch.float64, device=device)
    with torch.inference_mode():
        for lo in range(0, n, block):
            hi = min(lo + block, n)
            sq = (x[lo:hi] @ x[lo:].T - shift).square_()
            rows = onehot[lo:hi].T
            inner = (rows @ (sq[:, :hi - lo] @ onehot[lo:hi])).double()
            outer = (rows @ (sq[:, hi - lo:] @ onehot[hi:])).double()
            cross_sq += inner + outer + outer.T
    return GroupPairSums(sizes=sizes.numpy(), cross=cross.numpy(), cross_sq=cross_sq.cpu().numpy(),
                         diag=diag.numpy(), diag_sq=diag_sq.numpy(), shift=shift)


def _embedding_weight(fm):
    return fm.model.get_input_embeddings().weight.detach().float().cpu()


def embedding_frames(fm, token_ids) -> tuple[float, float, float, int]:
    """``(ε over the vocabulary, ε over the rows at the positions, ε over the distinct types,
    number of types)`` of the model's token-embedding matrix, each exact (:func:`exact_moments`;
    the positions' rows repeat where a token does, so two positions of one token add a cosine 1)."""
    import torch

    weight = _embedding_weight(fm)
    types = torch.unique(token_ids)
    return (exact_moments(weight).eps, exact_moments(weight[token_ids]).eps,
            exact_moments(weight[types]).eps, int(types.numel()))


def _unit_rows(rows, groups):
    """``(unit rows, their groups)`` with all-zero rows dropped (as :func:`exact_moments` drops them)."""
    import torch

    x = rows.to(torch.float64)
    norms = x.norm(dim=1)
    keep = norms > 0
    return x[keep] / norms[keep][:, None], groups[keep]


def document_bootstrap(hp: HiddenPass, embedding_rows, *, n_boot: int, level: float, seed: int,
                       device: str = "cpu") -> tuple[dict[int, tuple], tuple]:
    """Bootstrap over the documents of ``hp`` (which kept its rows): ``({layer: (ε interval, gap
    interval)}, interval of the embedding rows at the positions)``. The same ``n_boot`` draws of
    documents (seed ``seed`` + 1, a stream apart from the document order) resample every layer and
    ``embedding_rows`` (the N × d embedding rows at the positions), each ε recomputed exactly
    (:func:`repcap.similarity.bootstrap.group_eps`); the gap interval is that of ε*_layer − ε*_emb."""
    import torch

    counts = group_counts(hp.documents, n_boot, seed + 1)
    emb_unit, emb_groups = _unit_rows(embedding_rows, hp.groups)
    emb = group_eps(group_pair_sums(emb_unit, emb_groups, hp.documents, device=device), counts)
    out = {}
    for i, s in hp.sums.items():
        pairs = group_pair_sums(torch.cat(s.rows), torch.cat(s.groups), hp.documents,
                                device=device)
        s.rows.clear()  # N × d per layer: free it as soon as it is read
        reps = group_eps(pairs, counts)
        out[i] = (percentile_interval(reps, level), percentile_interval(reps - emb, level))
    return out, percentile_interval(emb, level)


def log10_eq7(d: int, eps: float) -> float:
    """log10 of Eq. 7's k_max at (d, ε); NaN where ε > 1 (µ + 2σ can exceed 1 when µ is near 1,
    and Eq. 7 is defined only for a bound on |cos| in [0, 1])."""
    return float(log10_capacity(d, max(eps, 1e-12))) if eps <= 1.0 else float("nan")


def rows_from_sums(sums: dict[int, LayerSums], d: int, n_layers: int) -> list[LayerRow]:
    r"""One :class:`LayerRow` per layer from its sums: µ, σ and ε = µ + 2σ over all pairs of the
    n positions (:meth:`CentredSums.moments`), ε√d, ε of the reservoir after subtracting the mean
    m = Σh/(n − n_massive) of the rows without a massive activation, the norm ‖s + u/n‖ of the
    mean unit vector, participation ratio and effective rank (:func:`spectrum_measures`), the paper's class and log10 of Eq. 7's capacity at (d, ε)."""
    labels = layer_labels(n_layers)
    rows = []
    for i, s in sums.items():
        if s.n < 2:
            raise DataFileError(f"layer {i}: fewer than two token positions")
        c = s.centred()
        mean, std, eps = c.moments()
        pr, erank = spectrum_measures(c)
        unit_mean = c.shift + c.u / c.n
        massive = int(s.massive)
        # every row massive cannot happen (the cut is 10 × a median of the same stream), but a
        # mean of no rows would be NaN, not an error
        mean_vec = (s.raw / max(s.n - massive, 1)).cpu().numpy()
        sample = s.sample.numpy() if s.sample is not None else None
        rows.append(LayerRow(
            layer=i, label=labels[i], tokens=s.n, mean=mean, std=std, eps=eps,
            eps_sqrt_d=eps * math.sqrt(d), eps_centred=_centred_eps(sample, mean_vec),
            mean_norm=float(np.linalg.norm(unit_mean)), participation_ratio=pr,
            effective_rank=erank, paper_class=classify(eps),
            log10_capacity_eq7=log10_eq7(d, eps), massive=massive))
    return rows


def activation_study(model: str | Any, *, corpus: str = "wiki-offline", tokens: int = 20000,
                     layers: Iterable[int] | None = None, batch_size: int = 8,
                     max_length: int = 256, reservoir: int = 2000, seed: int = 0,
                     bootstrap: int = 1000, level: float = 0.95,
                     device: str | None = None, progress: bool = True) -> ActivationStudy:
    r"""Per-layer ε = µ + 2σ (exact, over all pairs of the ``tokens`` real positions), ε·√d,
    mean-removed ε, participation ratio, effective rank, class and Eq. 7 capacity of ``model``'s
    hidden states on ``corpus``, the embedding matrix's ε in three frames, and (``bootstrap`` > 0)
    each layer's ``level`` interval from ``bootstrap`` resamples of the documents (see the module
    docstring). ``seed`` seeds the document order, the reservoir and the bootstrap.

    ``model``: a name :func:`repcap.sources.forward.load_forward` accepts (an offline name, a
    folder, a ``.gguf`` file or a hub id), or a :class:`~repcap.sources.forward.ForwardModel`.
    """
    if tokens < 2:
        raise ParameterError(f"{option('tokens')} must be at least 2, got {tokens}")
    if bootstrap and bootstrap < 2:
        raise ParameterError(f"{option('bootstrap')} must be 0 (none) or at least 2 resamples, "
                             f"got {bootstrap}")
    if not isinstance(model, ForwardModel):
        resolve_device(device)  # a device that is not there fails before the corpus and model load
    docs = in_random_order(documents(corpus), seed)
    if isinstance(model, ForwardModel):
        fm = model
    else:
        fm = load_forward(model, device=device, progress=progress)
    # Tokenise everything first: "more tokens than the corpus holds" fails before any pass.
    batches = list(token_batches(docs, fm.tokenizer, tokens, max_length=max_length,
                                 batch_size=batch_size))
    hp = run_batches(fm, batches, layers=layers, reservoir=reservoir, seed=seed,
                     progress=progress, total_tokens=tokens, keep_rows=bool(bootstrap))
    rows = rows_from_sums(hp.sums, fm.d_model, fm.n_layers)
    vocab, at_positions, at_types, n_types = embedding_frames(fm, hp.token_ids)
    emb_interval = NAN2
    if bootstrap:
        if hp.documents < 2:
            raise ParameterError(f"the {tokens} tokens come from one document: a bootstrap over "
                                 "documents needs more tokens or bootstrap=0")
        weight = _embedding_weight(fm)
        intervals, emb_interval = document_bootstrap(
            hp, weight[hp.token_ids], n_boot=bootstrap, level=level, seed=seed, device=fm.device)
        for r in rows:
            r.eps_interval, r.gap_interval = intervals[r.layer]
    return ActivationStudy(model=fm.name, d_model=fm.d_model, n_layers=fm.n_layers,
                           tokens=tokens, corpus=corpus, device=fm.device,
                           dtype=str(fm.dtype).replace("torch.", ""), embedding_eps=vocab,
                           rows=rows, embedding_eps_at_positions=at_positions,
                           embedding_eps_at_types=at_types, embedding_types=n_types,
                           embedding_interval=emb_interval, documents=hp.documents,
                           bootstrap=bootstrap, level=level, seed=seed)
