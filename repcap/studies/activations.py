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
Viswanath 2018) uses the exact mean raw vector :math:`m = \frac1N\sum_i h_i` of the whole stream and
the cosines of :math:`h_i - m` among a uniform reservoir of R positions (all R(R−1)/2 pairs): a sample
estimate, since the renormalisation after centring does not reduce to running sums.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from repcap.common.jsonsafe import nan_from_null
from repcap.common.progress import bar
from repcap.common.devices import resolve_device
from repcap.errors import DataFileError, ModelFileError, ParameterError, option
from repcap.laws.capacity import log10_capacity
from repcap.laws.classes import classify
from repcap.similarity.moments import CentredSums, exact_moments
from repcap.sources.corpus import documents, token_batches
from repcap.sources.forward import ForwardModel, load_forward


@dataclass
class LayerSums:
    """Running float64 sums of one layer (torch tensors on the model's device)."""

    shift: Any = None
    n: int = 0
    u: Any = None       # Σ (ĥ − shift)
    gram: Any = None    # Σ (ĥ − shift)(ĥ − shift)ᵀ
    d1: Any = 0.0       # Σ δ, δ = ‖ĥ‖² − 1 (a device scalar: no sync per batch)
    d2: Any = 0.0       # Σ δ²
    raw: Any = None     # Σ h (unnormalised), for the mean vector
    keys: Any = None    # reservoir priorities
    sample: Any = None  # reservoir vectors (float32, CPU)

    def add(self, h, reservoir: int, generator) -> None:
        r"""Fold the rows of ``h`` (positions × d) into the sums.

        With :math:`\hat h = h/\lVert h\rVert` over the non-zero rows and the shift :math:`s` (the
        first batch's mean unit vector), it adds :math:`\sum r`, :math:`\sum r r^\top` for
        :math:`r = \hat h - s`, :math:`\sum \delta` and :math:`\sum \delta^2` for
        :math:`\delta = \lVert\hat h\rVert^2 - 1` (rounding), and :math:`\sum h`; then keeps a
        uniform sample of ``reservoir`` rows (the largest of uniform random keys).
        """
        import torch

        x = h.to(torch.float64)
        norms = x.norm(dim=1, keepdim=True)
        keep = norms[:, 0] > 0
        x = x[keep]
        unit = x / norms[keep]
        if self.shift is None:
            self.shift = unit.mean(dim=0)
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
        self.raw += x.sum(dim=0)
        if reservoir:
            self._sample(x, reservoir, generator)

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
    """One row of the per-layer table (:func:`rows_from_sums` gives the formulas)."""

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


@dataclass
class ActivationStudy:
    """One model's per-layer table and what it was measured on."""

    model: str
    d_model: int
    n_layers: int
    tokens: int
    corpus: str
    device: str
    dtype: str
    embedding_eps: float
    rows: list[LayerRow]

    def as_dict(self) -> dict:
        """The study as JSON-ready types (``repcap activations --json``)."""
        return {"model": self.model, "d_model": self.d_model, "n_layers": self.n_layers,
                "tokens": self.tokens, "corpus": self.corpus, "device": self.device,
                "dtype": self.dtype, "embedding_eps": self.embedding_eps,
                "embedding_class": classify(self.embedding_eps),
                "layers": [vars(r) for r in self.rows]}

    @classmethod
    def from_dict(cls, data: dict) -> "ActivationStudy":
        """The study back from :meth:`as_dict` (None in a float field, JSON's NaN, becomes NaN)."""
        rows = [LayerRow(**nan_from_null(dict(r))) for r in data["layers"]]
        fields = ("model", "d_model", "n_layers", "tokens", "corpus", "device", "dtype",
                  "embedding_eps")
        return cls(**{k: data[k] for k in fields}, rows=rows)

    @property
    def layer_eps(self) -> np.ndarray:
        """ε of every measured layer, in order."""
        return np.array([r.eps for r in self.rows])

    @property
    def max_abs_gap(self) -> float:
        """max over layers of |ε_layer − ε_embedding|."""
        return float(np.abs(self.layer_eps - self.embedding_eps).max())

    @property
    def layers_same_class(self) -> int:
        """How many layers fall in the class of the embedding matrix (:func:`classify`)."""
        return sum(r.paper_class == classify(self.embedding_eps) for r in self.rows)

    @property
    def median_centred_drop(self) -> float:
        """Median over layers of ε − ε_centred: how much removing the stream's mean vector lowers ε
        (negative where it raises it)."""
        return float(np.nanmedian(self.layer_eps - np.array([r.eps_centred for r in self.rows])))

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


def run_batches(fm, batches: Iterable[dict], *, layers: Iterable[int] | None = None,
                reservoir: int = 2000, seed: int = 0, progress: bool = True,
                total_tokens: int | None = None) -> dict[int, LayerSums]:
    """Forward every batch with hidden states and fold the unpadded positions into the sums."""
    import torch

    count = fm.n_layers + 1
    chosen = _select(layers, count)
    sums = {i: LayerSums() for i in chosen}
    gen = torch.Generator().manual_seed(seed)
    pbar = bar(total_tokens, f"{fm.name}: hidden states", unit="tok", enabled=progress, leave=True)
    with torch.inference_mode():
        for batch in batches:
            batch = {k: v.to(fm.device) for k, v in batch.items()}
            out = fm.model(**batch, output_hidden_states=True)
            states = getattr(out, "hidden_states", None)
            if states is None or len(states) != count:
                raise ModelFileError(f"{fm.name}: the forward pass returned no per-layer "
                                     "hidden states")
            keep = batch["attention_mask"].reshape(-1).bool()
            for i in chosen:
                sums[i].add(states[i].reshape(-1, fm.d_model)[keep], reservoir, gen)
            pbar.update(int(keep.sum()))
    pbar.close()
    return sums


def embedding_eps(fm) -> float:
    """ε of the model's token-embedding rows (the paper's measurement), exact."""
    weight = fm.model.get_input_embeddings().weight.detach().float().cpu().numpy()
    return exact_moments(weight).eps


def _log10_eq7(d: int, eps: float) -> float:
    """log10 of Eq. 7's k_max at (d, ε); NaN where ε > 1 (µ + 2σ can exceed 1 when µ is near 1,
    and Eq. 7 is defined only for a bound on |cos| in [0, 1])."""
    return float(log10_capacity(d, max(eps, 1e-12))) if eps <= 1.0 else float("nan")


def rows_from_sums(sums: dict[int, LayerSums], d: int, n_layers: int) -> list[LayerRow]:
    r"""One :class:`LayerRow` per layer from its sums: µ, σ and ε = µ + 2σ over all pairs of the
    n positions (:meth:`CentredSums.moments`), ε√d, ε of the reservoir after subtracting the mean
    m = Σh/n, the norm ‖s + u/n‖ of the mean unit vector, participation ratio and effective rank
    (:func:`spectrum_measures`), the paper's class and log10 of Eq. 7's capacity at (d, ε)."""
    labels = layer_labels(n_layers)
    rows = []
    for i, s in sums.items():
        if s.n < 2:
            raise DataFileError(f"layer {i}: fewer than two token positions")
        c = s.centred()
        mean, std, eps = c.moments()
        pr, erank = spectrum_measures(c)
        unit_mean = c.shift + c.u / c.n
        mean_vec = (s.raw / s.n).cpu().numpy()
        sample = s.sample.numpy() if s.sample is not None else None
        rows.append(LayerRow(
            layer=i, label=labels[i], tokens=s.n, mean=mean, std=std, eps=eps,
            eps_sqrt_d=eps * math.sqrt(d), eps_centred=_centred_eps(sample, mean_vec),
            mean_norm=float(np.linalg.norm(unit_mean)), participation_ratio=pr,
            effective_rank=erank, paper_class=classify(eps),
            log10_capacity_eq7=_log10_eq7(d, eps)))
    return rows


def activation_study(model: str | Any, *, corpus: str = "wiki-offline", tokens: int = 20000,
                     layers: Iterable[int] | None = None, batch_size: int = 8,
                     max_length: int = 256, reservoir: int = 2000, seed: int = 0,
                     device: str | None = None, progress: bool = True) -> ActivationStudy:
    r"""Per-layer ε = µ + 2σ (exact, over all pairs of the ``tokens`` real positions), ε·√d,
    mean-removed ε, participation ratio, effective rank, class and Eq. 7 capacity of ``model``'s
    hidden states on ``corpus`` (see the module docstring for the formulas).

    ``model``: a name :func:`repcap.sources.forward.load_forward` accepts, or a
    :class:`~repcap.sources.forward.ForwardModel` already built.
    """
    if tokens < 2:
        raise ParameterError(f"{option('tokens')} must be at least 2, got {tokens}")
    if not isinstance(model, ForwardModel):
        resolve_device(device)  # a device that is not there fails before the corpus and model load
    docs = documents(corpus)
    if isinstance(model, ForwardModel):
        fm = model
    else:
        fm = load_forward(model, device=device, progress=progress)
    # Tokenise everything first: "more tokens than the corpus holds" fails before any pass.
    batches = list(token_batches(docs, fm.tokenizer, tokens, max_length=max_length,
                                 batch_size=batch_size))
    sums = run_batches(fm, batches, layers=layers, reservoir=reservoir, seed=seed,
                       progress=progress, total_tokens=tokens)
    rows = rows_from_sums(sums, fm.d_model, fm.n_layers)
    return ActivationStudy(model=fm.name, d_model=fm.d_model, n_layers=fm.n_layers,
                           tokens=tokens, corpus=corpus, device=fm.device,
                           dtype=str(fm.dtype).replace("torch.", ""),
                           embedding_eps=embedding_eps(fm), rows=rows)


