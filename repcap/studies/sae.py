r"""Sparse autoencoders on a model's hidden states (chapter 9): the activation cache and a TopK SAE.

**Hidden states.** :func:`hidden_states` draws documents of the corpus in a seeded random order,
runs the model forward and keeps one layer's hidden state at every real token position, except the
tokenizer's special tokens ([CLS], [SEP], BOS …) and the first position of each document (the
attention-sink position of decoders, whose norm is tens of times the others'; an SAE would spend its
latents on it). The N × d float32 array, the document each row came from and the embedding matrix's
exact ε are cached atomically under ``<cache>/hidden_states/<model>/<corpus>/`` keyed by layer,
tokens, seed and max length, so retraining an SAE costs no forward pass.

**The SAE** (Gao et al. 2024, "Scaling and evaluating sparse autoencoders", arXiv 2406.04093): with
pre-encoder bias :math:`b` (initialised at the geometric median of the training rows), encoder
:math:`W_e` and decoder :math:`W_d` (W × d, unit-norm rows),

.. math::

    z = \operatorname{ReLU}\big(\operatorname{TopK}(W_e (x - b) + b_e)\big),\qquad
    \hat x = W_d^\top z + b,

trained with Adam on :math:`\lVert x - \hat x\rVert^2` plus :math:`\alpha = 1/32` times the AuxK
loss: the residual :math:`x - \hat x` reconstructed by the top-:math:`k_\text{aux}` pre-activations
of the *dead* latents (not fired in the last ``dead_after`` training tokens; by default
:func:`dead_window`, :math:`\lceil 20\,W/k\rceil`, the tokens in which a latent firing at the
uniform rate k/W would fire 20 times), both normalised by the batch variance. The encoder starts as
the decoder's transpose; after each step the decoder gradient's component along each row is removed
before the update and the rows are renormalised after it.

Cost: one dense product, the encoder's (B × d)(d × W) forward (the TopK needs every pre-activation),
and the TopK. The code has k non-zeros a row, so the decoder forward, its input gradient and both
weight gradients are sparse, B·k·d multiply-adds each where the dense products of an autoencoder of
the same shapes cost B·W·d (an ``embedding_bag`` and a sparse (W × B)(B × d) product, see
:func:`_step`); the rest is a few passes over the W × d tensors (Adam, the decoder-gradient
projection, the renormalisation). While latents are dead the AuxK term adds a second TopK and the
same sparse work for its :math:`k_\text{aux}` latents. ``benchmarks/bench_features.py`` compares a
step with the five dense products of an autoencoder of the same shapes (its docstring has the
measured ratios).

Quality on held-out documents: fraction of variance unexplained
:math:`\mathrm{FVU} = \sum\lVert x - \hat x\rVert^2 / \sum\lVert x - \bar x\rVert^2`, mean L0
(active latents per token), and which latents fire at all (the *live* ones).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from repcap.common.checks import check_int
from repcap.common.files import atomic_write
from repcap.common.progress import bar
from repcap.errors import DataFileError, ModelFileError, ParameterError
from repcap.similarity.moments import exact_moments
from repcap.sources.cache import CACHE_FIX, cache_root, slug
from repcap.sources.corpus import DEFAULT_CORPUS, documents, token_batches
from repcap.sources.forward import ForwardModel, load_forward
from repcap.studies.massive import MASSIVE_NORM, massive_rows

__all__ = ["HiddenStates", "hidden_states", "middle_layer", "split_heldout", "massive_rows",
           "MASSIVE_NORM", "TopKSae",
           "SaeQuality", "train_sae", "evaluate", "geometric_median", "trained_sae", "dead_window"]

#: Fraction of the positions (whole documents) held out for FVU, L0, live latents and co-activation.
HELDOUT = 0.15

#: A latent is dead (for AuxK) after the tokens in which it would fire this many times on average at
#: the uniform rate k/W (:func:`dead_window`).
DEAD_FIRINGS = 20


@dataclass
class HiddenStates:
    """One layer's hidden states over randomly drawn documents, and what they were drawn from."""

    model: str
    layer: int
    n_layers: int
    d: int
    seed: int
    corpus: str
    embedding_eps: float
    states: np.ndarray   # N × d float32
    doc: np.ndarray      # N int32: ordinal of the drawn document each row came from
    seconds: float = 0.0  # forward passes (0 when read from the cache)
    cached: bool = False

    @property
    def tokens(self) -> int:
        return int(self.states.shape[0])


def middle_layer(n_layers: int) -> int:
    """The hidden_states index of the middle block (0 is the embedding output): n_layers // 2."""
    return max(1, n_layers // 2)


def _cache_file(model: str, corpus: str, layer: int | None, tokens: int, seed: int,
                max_length: int, cache_dir) -> Any:
    where = "mid" if layer is None else str(layer)
    return (cache_root(cache_dir) / "hidden_states" / slug(model) / slug(corpus)
            / f"layer{where}-tokens{tokens}-seed{seed}-len{max_length}.npz")


def _read_cached(path, model: str, corpus: str, seed: int) -> HiddenStates | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            return HiddenStates(model=model, layer=meta["layer"], n_layers=meta["n_layers"],
                                d=meta["d"], seed=seed, corpus=corpus,
                                embedding_eps=meta["embedding_eps"], states=z["states"],
                                doc=z["doc"], cached=True)
    except (OSError, KeyError, ValueError):  # absent or torn by an older writer: rebuild
        return None


def hidden_states(model: str | ForwardModel, *, layer: int | None = None, tokens: int = 20000,
                  seed: int = 0, corpus: str = DEFAULT_CORPUS, max_length: int = 256,
                  batch_size: int = 8, device: str | None = None, cache_dir=None,
                  use_cache: bool = True, progress: bool = True) -> HiddenStates:
    """``tokens`` rows of layer ``layer`` (hidden_states index; default :func:`middle_layer`) over
    documents of ``corpus`` drawn in the order of a permutation seeded by ``seed`` (see the module
    docstring for which positions are kept and for the cache)."""
    tokens = check_int("tokens", tokens, 2, error=ParameterError)
    seed = check_int("seed", seed, 0, error=ParameterError)
    name = model.name if isinstance(model, ForwardModel) else str(model)
    path = _cache_file(name, corpus, layer, tokens, seed, max_length, cache_dir)
    if use_cache:
        found = _read_cached(path, name, corpus, seed)
        if found is not None:
            return found
    docs = documents(corpus)
    fm = model if isinstance(model, ForwardModel) else load_forward(model, device=device,
                                                                     progress=progress)
    chosen = middle_layer(fm.n_layers) if layer is None else layer
    if not 0 <= chosen <= fm.n_layers:
        raise ParameterError(f"layer must lie in 0..{fm.n_layers} for {fm.name} (0 is the "
                             f"embedding output), got {chosen}")
    order = np.random.default_rng(seed).permutation(len(docs))
    drawn = [docs[i] for i in order]
    states, doc, seconds = _forward(fm, drawn, chosen, tokens, max_length, batch_size, progress)
    weight = fm.model.get_input_embeddings().weight.detach().float().cpu().numpy()
    out = HiddenStates(model=fm.name, layer=chosen, n_layers=fm.n_layers, d=fm.d_model, seed=seed,
                       corpus=corpus, embedding_eps=exact_moments(weight).eps, states=states,
                       doc=doc, seconds=seconds)
    if use_cache:
        meta = json.dumps({"layer": chosen, "n_layers": fm.n_layers, "d": fm.d_model,
                           "embedding_eps": out.embedding_eps})
        atomic_write(path, lambda fh: np.savez(fh, states=states, doc=doc, meta=np.array(meta)),
                     binary=True, what="the cache", fix=CACHE_FIX)
    return out


def _forward(fm: ForwardModel, docs: list[str], layer: int, tokens: int, max_length: int,
             batch_size: int, progress: bool) -> tuple[np.ndarray, np.ndarray, float]:
    """Run ``fm`` over ``docs`` until ``tokens`` kept positions of ``layer`` are collected."""
    import torch

    special = torch.tensor(sorted(set(getattr(fm.tokenizer, "all_special_ids", []) or [])),
                           dtype=torch.long)
    # Ask for a margin of positions: special tokens and first positions are dropped afterwards.
    want = tokens + tokens // 8 + 64
    rows, docs_of, got, ordinal = [], [], 0, 0
    start = time.perf_counter()
    pbar = bar(tokens, f"{fm.name}: hidden states of layer {layer}", unit="tok", enabled=progress)
    try:
        batches = token_batches(docs, fm.tokenizer, want, max_length=max_length,
                                batch_size=batch_size)
        with torch.inference_mode():
            for batch in batches:
                out = fm.model(**{k: v.to(fm.device) for k, v in batch.items()},
                               output_hidden_states=True)
                states = getattr(out, "hidden_states", None)
                if states is None or len(states) != fm.n_layers + 1:
                    raise ModelFileError(f"{fm.name}: the forward pass returned no per-layer "
                                         "hidden states")
                ids, mask = batch["input_ids"], batch["attention_mask"].bool()
                keep = mask & ~torch.isin(ids, special)
                keep[:, 0] = False
                h = states[layer].float().cpu()
                for r in range(ids.shape[0]):
                    sel = h[r][keep[r]].numpy()
                    rows.append(sel)
                    docs_of.append(np.full(sel.shape[0], ordinal, dtype=np.int32))
                    ordinal += 1
                    got += sel.shape[0]
                pbar.update(min(tokens, got) - pbar.n)
                if got >= tokens:
                    break
    except DataFileError:  # the corpus is shorter than the request plus its margin
        got = sum(r.shape[0] for r in rows)
    finally:
        pbar.close()
    if got < tokens:
        raise DataFileError(f"the corpus has too few token positions at max_length {max_length} "
                            f"for {tokens} (plus {want - tokens} for dropped special and first "
                            "positions); ask for fewer --tokens")
    states = np.concatenate(rows)[:tokens].astype(np.float32)
    doc = np.concatenate(docs_of)[:tokens]
    return states, doc, time.perf_counter() - start


def split_heldout(doc: np.ndarray, fraction: float = HELDOUT) -> np.ndarray:
    """Boolean mask of the held-out rows: the last whole documents holding about ``fraction`` of
    the rows (at least one document; the documents were drawn at random, so the last are a random
    sample). Raises when there is a single document."""
    n = doc.shape[0]
    last = np.unique(doc)
    if last.size < 2:
        raise DataFileError("the hidden states come from one document: nothing to hold out")
    cut_doc = doc[min(n - 1, int(round(n * (1 - fraction))))]
    cut_doc = min(cut_doc, last[-1])
    if cut_doc == last[0]:
        cut_doc = last[1]
    return doc >= cut_doc


def geometric_median(x: np.ndarray, iters: int = 30, rows: int = 4096, seed: int = 0) -> np.ndarray:
    r"""Weiszfeld's iteration for :math:`\arg\min_m \sum_i \lVert x_i - m\rVert` on up to ``rows``
    rows (a seeded sample), started at the mean."""
    rng = np.random.default_rng(seed)
    sample = x if x.shape[0] <= rows else x[rng.choice(x.shape[0], rows, replace=False)]
    sample = sample.astype(np.float64)
    m = sample.mean(axis=0)
    for _ in range(iters):
        w = 1.0 / np.maximum(np.linalg.norm(sample - m, axis=1), 1e-12)
        m = (w[:, None] * sample).sum(axis=0) / w.sum()
    return m


class TopKSae:
    """A TopK sparse autoencoder's tensors (torch, float32) and its encode/decode (module docstring).

    ``scale`` divides every input first (one number, so that the training rows have unit mean
    squared distance from ``b_pre``); it changes no direction. ``dead_after`` is the AuxK dead
    window :func:`train_sae` used (training tokens; None when not known)."""

    def __init__(self, w_enc, b_enc, w_dec, b_pre, k: int, scale: float,
                 dead_after: int | None = None):
        self.w_enc, self.b_enc, self.w_dec, self.b_pre = w_enc, b_enc, w_dec, b_pre
        self.k, self.scale = int(k), float(scale)
        self.dead_after = None if dead_after is None else int(dead_after)

    @property
    def width(self) -> int:
        return int(self.w_dec.shape[0])

    @property
    def d(self) -> int:
        return int(self.w_dec.shape[1])

    def pre_activations(self, xc):
        """:math:`W_e x_c + b_e` for centred rows ``xc`` (B × W)."""
        import torch

        return torch.addmm(self.b_enc, xc, self.w_enc.T)

    @staticmethod
    def top(pre, k: int, allowed=None):
        """``(acts, idx)``: ReLU of the ``k`` largest entries of each row of ``pre`` and where they
        are; ``allowed`` (a W-long bool mask) restricts the choice."""
        import torch

        if allowed is not None:
            pre = pre.masked_fill(~allowed, float("-inf"))
        vals, idx = pre.topk(k, dim=1, sorted=False)
        return torch.relu(vals), idx

    def decode(self, acts, idx):
        r""":math:`\sum_j a_j\,W_d[i_j]` over the kept latents (without the bias): :func:`_decode`."""
        return _decode(self.w_dec, acts, idx)

    def forward(self, x):
        """``(x̂, acts, idx)`` for raw rows ``x`` (already divided by :attr:`scale`)."""
        acts, idx = self.top(self.pre_activations(x - self.b_pre), self.k)
        return self.decode(acts, idx) + self.b_pre, acts, idx

    def directions(self) -> np.ndarray:
        """The decoder rows (W × d, unit norm) as float64 NumPy."""
        return self.w_dec.detach().double().cpu().numpy()

    def state(self) -> dict[str, np.ndarray]:
        return {"w_enc": self.w_enc.detach().cpu().numpy(), "b_enc": self.b_enc.detach().cpu().numpy(),
                "w_dec": self.w_dec.detach().cpu().numpy(), "b_pre": self.b_pre.detach().cpu().numpy(),
                "k": np.array(self.k), "scale": np.array(self.scale),
                **({} if self.dead_after is None else {"dead_after": np.array(self.dead_after)})}

    @classmethod
    def from_state(cls, state) -> "TopKSae":
        import torch

        t = {n: torch.from_numpy(np.asarray(state[n], dtype=np.float32))
             for n in ("w_enc", "b_enc", "w_dec", "b_pre")}
        dead_after = int(state["dead_after"]) if "dead_after" in state else None
        return cls(t["w_enc"], t["b_enc"], t["w_dec"], t["b_pre"], int(state["k"]),
                   float(state["scale"]), dead_after)


def _check_settings(d: int, width: int, k: int, epochs: int, batch_size: int) -> None:
    check_int("width", width, 2, error=ParameterError)
    check_int("k", k, 1, error=ParameterError)
    check_int("epochs", epochs, 1, error=ParameterError)
    check_int("batch_size", batch_size, 1, error=ParameterError)
    if k >= width:
        raise ParameterError(f"k must be smaller than the width, got k = {k}, width = {width}")
    if k > d:
        raise ParameterError(f"k must be at most d = {d}, got {k}")


def default_lr(width: int) -> float:
    r"""Gao et al.'s learning-rate rule :math:`2\cdot10^{-4}/\sqrt{W/2^{14}}`, times 2 because
    the book's SAEs see thousands of steps, not millions (capped at 2·10⁻³)."""
    return min(2e-3, 2 * 2e-4 / math.sqrt(width / 2 ** 14))


def dead_window(width: int, k: int) -> int:
    r"""The default AuxK dead window in training tokens,
    :math:`\lceil c\,W/k\rceil` with :math:`c` = :data:`DEAD_FIRINGS` = 20 (reasoning in
    :func:`train_sae`)."""
    return math.ceil(DEAD_FIRINGS * check_int("width", width, 1, error=ParameterError)
                     / check_int("k", k, 1, error=ParameterError))


def train_sae(x: np.ndarray, width: int, k: int, *, epochs: int = 8, batch_size: int = 256,
              lr: float | None = None, aux_k: int | None = None, aux_coef: float = 1 / 32,
              dead_after: int | None = None, seed: int = 0, progress: bool = True) -> TopKSae:
    r"""Train a TopK SAE of ``width`` latents, ``k`` active, on the rows of ``x`` (N × d).

    ``epochs`` passes over the shuffled rows in batches of ``batch_size``; Adam at ``lr``
    (default :func:`default_lr`). AuxK: ``aux_k`` (default d/2) dead latents, a latent being dead
    when it has not fired in the last ``dead_after`` training rows (tokens), by default
    (:func:`dead_window`)

    .. math::

        \text{dead\_after} = \lceil c\,W/k \rceil,\qquad c = 20 .

    Why: TopK keeps k of the W latents per token, so latents fire on k/W of the tokens on average,
    :math:`W/k` tokens apart; the window is c of those gaps. A latent firing at that rate is
    wrongly called dead with probability about
    :math:`(1 - k/W)^{cW/k} \approx e^{-c} = 2\cdot10^{-9}` per window (one firing at a fifth of
    it, :math:`e^{-4} \approx 2\,\%`), while one that never fires is caught after :math:`cW/k`
    tokens whatever N and the number of epochs (W = 6144, k = 32: 3840 tokens, 15 batches of
    256, 0.38 of an epoch of the default profile's 10,151 training rows). Gao et al. use a fixed
    10⁷ tokens; for their widest SAE (:math:`2^{24}` latents) at k = 32 that is
    :math:`10^7\cdot 32/2^{24} \approx 19` expected firings, the same c. The former default, half
    the training rows, grew with N, and at the book's narrow widths was ten times longer than
    this one (W = 768, k = 32: 5075 tokens against 480). The counter moves a batch at a time, so
    the window is in effect rounded up to whole batches; the SAE records the window in
    :attr:`TopKSae.dead_after`. Seeded: the same call gives the same SAE on the same machine.
    """
    import torch

    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] < 2 or not np.isfinite(x).all():
        raise DataFileError("an SAE trains on a finite N × d array with N ≥ 2")
    n, d = x.shape
    _check_settings(d, width, k, epochs, batch_size)
    aux_k = d // 2 if aux_k is None else int(aux_k)
    dead_after = dead_window(width, k) if dead_after is None else int(dead_after)
    gen = torch.Generator().manual_seed(seed)
    median = geometric_median(x, seed=seed)
    scale = float(np.sqrt(np.mean(np.sum((x - median) ** 2, axis=1)))) or 1.0
    data = torch.from_numpy(x / scale)
    w_dec = torch.randn(width, d, generator=gen)
    w_dec /= w_dec.norm(dim=1, keepdim=True)
    sae = TopKSae(w_dec.clone().requires_grad_(), torch.zeros(width, requires_grad=True),
                  w_dec.requires_grad_(), torch.from_numpy((median / scale).astype(np.float32))
                  .requires_grad_(), k, scale, dead_after)
    params = [sae.w_enc, sae.b_enc, sae.w_dec, sae.b_pre]
    # fused: one pass over each parameter instead of a dozen (Adam was a sixth of a CPU step)
    opt = torch.optim.Adam(params, lr=default_lr(width) if lr is None else lr, eps=6.25e-10,
                           fused=True)
    since_fired = torch.zeros(width, dtype=torch.long)
    steps = epochs * math.ceil(n / batch_size)
    pbar = bar(steps, f"SAE W={width} k={k}", unit="step", enabled=progress)
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for lo in range(0, n, batch_size):
            batch = data[order[lo:lo + batch_size]]
            _step(sae, batch, opt, since_fired, aux_k, aux_coef, dead_after)
            pbar.update(1)
    pbar.close()
    for p in params:
        p.requires_grad_(False)
        p.grad = None  # the step's W × d buffers are not part of the SAE
    return sae


def _decode(w_dec, acts, idx):
    r""":math:`\sum_j a_{bj}\,W_d[i_{bj}]` for every row b, as one ``embedding_bag``: B·k row reads
    instead of the (B × W)(W × d) product of a dense code; differentiable in ``acts`` (the
    B·k dots :math:`W_d[i_{bj}]\cdot h_b` with the output gradient h) and in ``w_dec``."""
    import torch.nn.functional as F

    return F.embedding_bag(idx, w_dec, per_sample_weights=acts, mode="sum")


def _scatter_rows(out, parts) -> None:
    r"""Write :math:`\text{out}[i] = \sum c_{bj}\, r_b` over every part ``(idx, c, r)`` and every
    :math:`(b, j)` with :math:`\text{idx}[b, j] = i` (``idx``, ``c``: B × k; ``r``: B × d) over the
    W × d tensor ``out``, in place: the (W × ΣB)(ΣB × d) product of the parts' B·k entries as one
    sparse matrix with their stacked rows, B·k·d multiply-adds where the dense product of a TopK
    code costs B·W·d, and no W × d temporary (fresh W × d buffers cost page faults every step)."""
    import torch

    ind, val, rows, base = [], [], [], 0
    for idx, c, r in parts:
        b, k = idx.shape
        ind.append(torch.stack([idx.reshape(-1), torch.arange(base, base + b).repeat_interleave(k)]))
        val.append(c.reshape(-1))
        rows.append(r)
        base += b
    sparse = torch.sparse_coo_tensor(torch.cat(ind, 1), torch.cat(val), (out.shape[0], base),
                                     check_invariants=False)  # valid by construction
    out.addmm_(sparse, torch.cat(rows), beta=0)


def _grad_buffer(p):
    """``p.grad``, allocated once and then overwritten by every step (see :func:`_scatter_rows`)."""
    import torch

    if p.grad is None:
        p.grad = torch.zeros_like(p)
    return p.grad


def _step(sae: TopKSae, x, opt, since_fired, aux_k: int, aux_coef: float, dead_after: int):
    r"""One Adam step on the normalised MSE plus the AuxK term; returns that loss.

    The encoder sees :math:`x_c = x - b` with :math:`b` (``b_pre``) held fixed (its gradient comes
    from the decoder side only), which saves the (B × W)(W × d) product of the input gradient. Only
    the encoder's forward product is dense (the TopK needs every pre-activation :math:`p`); the code
    has k non-zeros :math:`a_{bj} = \operatorname{ReLU}(p_{b,i_{bj}})` a row, so all the rest is
    sparse. Autograd differentiates the loss through :func:`_decode` with respect to the kept
    activations and the decoder's output :math:`\hat x_b - b` only (B × k and B × d tensors), giving
    :math:`g_{bj} = \partial L/\partial a_{bj}` and :math:`h_b = \partial L/\partial \hat x_b`; the
    parameter gradients are then

    .. math::

        \frac{\partial L}{\partial W_d[i]} = \sum_{i_{bj} = i} a_{bj}\, h_b,\quad
        \frac{\partial L}{\partial W_e[i]} = \sum_{i_{bj} = i} g_{bj}\,[p_{b,i} > 0]\, x_{c,b},
        \quad \frac{\partial L}{\partial b_e[i]} = \sum_{i_{bj} = i} g_{bj}\,[p_{b,i} > 0],
        \quad \frac{\partial L}{\partial b} = \sum_b h_b,

    sums over the kept entries (:func:`_scatter_rows`) of the main term and, while latents are dead,
    of the AuxK term (with its own a, g, h; its target is the detached residual, so it adds nothing
    to :math:`\partial L/\partial b`). The decoder gradient's component along each unit row,
    :math:`\partial L/\partial W_d[i]\cdot W_d[i] = \sum_{i_{bj} = i} a_{bj}\, g_{bj}` (as
    :math:`g_{bj} = h_b\cdot W_d[i_{bj}]`), is removed from it before Adam, and the rows are
    renormalised after."""
    import torch

    with torch.no_grad():
        xc = x - sae.b_pre
        pre = sae.pre_activations(xc)
        vals, idx = pre.topk(sae.k, dim=1, sorted=False)
        since_fired += x.shape[0]
        since_fired[idx[vals > 0]] = 0
        dead = since_fired > dead_after
        n_dead = int(dead.sum())
    w_dec = sae.w_dec.detach()  # its gradient is the sparse sum below, not embedding_bag's own
    acts = torch.relu(vals).requires_grad_()
    core = _decode(w_dec, acts, idx)
    var = (x - x.mean(dim=0)).pow(2).sum().clamp_min(1e-12)
    err = x - (core + sae.b_pre.detach())
    loss = err.pow(2).sum() / var
    terms = [(idx, vals, acts, core)]  # per term: kept latents, their p, their a, the decoded a
    if n_dead and aux_coef > 0:
        with torch.no_grad():
            aux_vals, aux_idx = pre.masked_fill(~dead, float("-inf")).topk(
                min(aux_k, n_dead), dim=1, sorted=False)
        aux_acts = torch.relu(aux_vals).requires_grad_()
        aux_core = _decode(w_dec, aux_acts, aux_idx)
        resid = err.detach()
        aux_var = (resid - resid.mean(dim=0)).pow(2).sum().clamp_min(1e-12)
        loss = loss + aux_coef * (resid - aux_core).pow(2).sum() / aux_var
        terms.append((aux_idx, aux_vals, aux_acts, aux_core))
    grads = torch.autograd.grad(loss, [t for term in terms for t in term[2:]])
    g_of, h_of = grads[0::2], grads[1::2]
    with torch.no_grad():
        _grad_buffer(sae.b_pre).copy_(h_of[0].sum(dim=0))
        _scatter_rows(_grad_buffer(sae.w_dec), [(i, a, h) for (i, _, a, _), h in zip(terms, h_of)])
        g_pre = [g * (p > 0) for (_, p, _, _), g in zip(terms, g_of)]  # through the ReLU
        _scatter_rows(_grad_buffer(sae.w_enc), [(t[0], g, xc) for t, g in zip(terms, g_pre)])
        g_b = _grad_buffer(sae.b_enc).zero_()
        along = torch.zeros(sae.width)
        for (i, _, a, _), g, gp in zip(terms, g_of, g_pre):
            g_b.index_add_(0, i.reshape(-1), gp.reshape(-1))
            along.index_add_(0, i.reshape(-1), (a * g).reshape(-1))
        # keep the step tangent to the unit rows, in place, without a W × d product
        sae.w_dec.grad.addcmul_(along.unsqueeze(1), w_dec, value=-1)
    opt.step()
    with torch.no_grad():
        sae.w_dec.div_(sae.w_dec.norm(dim=1, keepdim=True).clamp_min(1e-12))
    return float(loss.detach())


@dataclass
class SaeQuality:
    """What an SAE does on held-out rows: FVU, mean L0, per-latent firing counts, the kept latents."""

    fvu: float
    l0: float
    fires: np.ndarray   # W: held-out rows on which each latent is active
    idx: np.ndarray     # N_h × k: the latents kept per row
    active: np.ndarray  # N_h × k bool: whether each kept latent's activation is > 0
    tokens: int


def evaluate(sae: TopKSae, x: np.ndarray, batch_size: int = 1024) -> SaeQuality:
    r"""FVU :math:`= \sum\lVert x - \hat x\rVert^2/\sum\lVert x - \bar x\rVert^2` (on the scale of
    ``x``, float64 sums), mean L0 and the firing pattern of ``sae`` on the rows of ``x``."""
    import torch

    x = np.asarray(x, dtype=np.float32)
    err = 0.0
    idxs, acts = [], []
    with torch.no_grad():
        for lo in range(0, x.shape[0], batch_size):
            xb = torch.from_numpy(x[lo:lo + batch_size] / sae.scale)
            recon, a, idx = sae.forward(xb)
            err += float((xb - recon).double().pow(2).sum()) * sae.scale ** 2
            idxs.append(idx.numpy())
            acts.append((a > 0).numpy())
    total = float(np.sum((x.astype(np.float64) - x.mean(axis=0, dtype=np.float64)) ** 2))
    idx, active = np.concatenate(idxs), np.concatenate(acts)
    fires = np.bincount(idx[active], minlength=sae.width)
    return SaeQuality(fvu=err / total if total > 0 else float("nan"),
                      l0=float(active.sum(axis=1).mean()), fires=fires, idx=idx, active=active,
                      tokens=int(x.shape[0]))


def _sae_file(hs: HiddenStates, key: dict, cache_dir) -> Any:
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    return (cache_root(cache_dir) / "sae" / slug(hs.model) / slug(hs.corpus)
            / f"layer{hs.layer}-tokens{hs.tokens}-seed{hs.seed}-W{key['width']}-k{key['k']}"
              f"-{digest}.npz")


def trained_sae(hs: HiddenStates, train: np.ndarray, width: int, k: int, *, epochs: int = 8,
                batch_size: int = 256, lr: float | None = None, dead_after: int | None = None,
                seed: int = 0, cache_dir=None, use_cache: bool = True,
                progress: bool = True) -> tuple[TopKSae, float, bool]:
    """``(sae, training seconds, read from the cache)``: :func:`train_sae` on the rows ``train`` of
    ``hs``, or the SAE a previous call with the same data and settings saved (atomically). The key
    holds the dead window actually used (``dead_after`` or :func:`dead_window`), so a change of its
    default retrains; version 2: the sparse step and the W/k window (version 1 used N/2)."""
    dead_after = dead_window(width, k) if dead_after is None else int(dead_after)
    key = {"width": width, "k": k, "epochs": epochs, "batch_size": batch_size, "lr": lr,
           "dead_after": dead_after, "seed": seed, "train_rows": int(train.shape[0]), "version": 2}
    path = _sae_file(hs, key, cache_dir)
    if use_cache:
        try:
            with np.load(path, allow_pickle=False) as z:
                return TopKSae.from_state(z), 0.0, True
        except (OSError, KeyError, ValueError):
            pass
    start = time.perf_counter()
    sae = train_sae(train, width, k, epochs=epochs, batch_size=batch_size, lr=lr,
                    dead_after=dead_after, seed=seed, progress=progress)
    seconds = time.perf_counter() - start
    if use_cache:
        atomic_write(path, lambda fh: np.savez(fh, **sae.state()), binary=True, what="the cache",
                     fix=CACHE_FIX)
    return sae, seconds, False
