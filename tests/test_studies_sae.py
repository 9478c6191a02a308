"""repcap.studies.sae and feature_packing: the SAE recovers planted features; every measurement
agrees with a brute-force float64 computation; the hidden-state cache is keyed and atomic."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from repcap.errors import DataFileError, ParameterError
from repcap.geometry.bounds import welch_floor
from repcap.geometry.null import null_eps
from repcap.studies import feature_packing as F
from repcap.studies import sae as S


def planted(n=6000, d=32, features=64, active=3, seed=0):
    """Rows that are sparse non-negative sums of ``features`` planted unit directions in R^d,
    plus a constant offset and a little noise."""
    rng = np.random.default_rng(seed)
    dirs = rng.standard_normal((features, d))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    x = np.zeros((n, d))
    for i in range(n):
        chosen = rng.choice(features, active, replace=False)
        x[i] = rng.uniform(1.0, 2.0, active) @ dirs[chosen]
    x += 0.5 + 0.01 * rng.standard_normal((n, d))
    return x.astype(np.float32), dirs


@pytest.fixture(scope="module")
def trained():
    x, dirs = planted()
    sae = S.train_sae(x[:5000], 128, 3, epochs=8, batch_size=64, lr=1e-2, seed=0,
                      progress=False)
    return sae, x, dirs


def test_planted_features_are_recovered(trained):
    sae, x, dirs = trained
    cos = np.abs(dirs @ sae.directions().T)  # planted × learned
    assert cos.max(axis=1).min() > 0.9, np.sort(cos.max(axis=1))[:5]
    assert S.evaluate(sae, x[5000:]).fvu < 0.1


def test_decoder_rows_stay_unit(trained):
    sae, _, _ = trained
    np.testing.assert_allclose(np.linalg.norm(sae.directions(), axis=1), 1.0, atol=1e-5)


def test_evaluate_matches_a_numpy_forward_pass(trained):
    sae, x, _ = trained
    held = x[5000:5400].astype(np.float64)
    st = {k: np.asarray(v, dtype=np.float64) for k, v in sae.state().items()}
    xs = held / st["scale"]
    pre = (xs - st["b_pre"]) @ st["w_enc"].T + st["b_enc"]
    top = np.argsort(-pre, axis=1)[:, :sae.k]
    code = np.zeros_like(pre)
    rows = np.arange(pre.shape[0])[:, None]
    code[rows, top] = np.maximum(pre[rows, top], 0)
    recon = (code @ st["w_dec"] + st["b_pre"]) * st["scale"]
    fvu = ((held - recon) ** 2).sum() / ((held - held.mean(axis=0)) ** 2).sum()
    q = S.evaluate(sae, x[5000:5400])
    assert q.fvu == pytest.approx(fvu, rel=1e-4)
    assert q.l0 == pytest.approx((code > 0).sum(axis=1).mean())
    np.testing.assert_array_equal(q.fires, (code > 0).sum(axis=0))


def test_pair_abs_cos_against_brute_force():
    rng = np.random.default_rng(1)
    u = rng.standard_normal((37, 5)) * rng.uniform(0.5, 3, (37, 1))
    unit = u / np.linalg.norm(u, axis=1, keepdims=True)
    vals = [abs(unit[i] @ unit[j]) for i, j in itertools.combinations(range(37), 2)]
    total, top = F.pair_abs_cos(u, block=8)  # several blocks, a ragged last one
    assert total == pytest.approx(sum(vals), rel=1e-12)
    assert top == pytest.approx(max(vals), rel=1e-12)


def test_coactivation_against_brute_force():
    rng = np.random.default_rng(2)
    width, d, k = 12, 4, 3
    idx = np.stack([rng.choice(width, k, replace=False) for _ in range(30)])
    active = rng.random(idx.shape) > 0.3
    live = np.unique(idx[active])
    u = rng.standard_normal((live.size, d))
    unit = u / np.linalg.norm(u, axis=1, keepdims=True)
    together = set()
    for row, on in zip(idx, active):
        fired = sorted(row[on])
        together.update(itertools.combinations(fired, 2))
    pos = {lat: i for i, lat in enumerate(live)}
    co, never = [], []
    for a, b in itertools.combinations(live, 2):
        c = abs(unit[pos[a]] @ unit[pos[b]])
        (co if (a, b) in together else never).append(c)
    total, _ = F.pair_abs_cos(u)
    got = F.coactivation(u, idx, active, live, total)
    assert got["coactive_pairs"] == len(co) and got["never_pairs"] == len(never)
    assert got["cos_coactive"] == pytest.approx(np.mean(co), rel=1e-10)
    assert got["cos_never"] == pytest.approx(np.mean(never), rel=1e-10)


def test_feature_row_measures_the_live_directions(trained, tmp_path):
    sae, x, _ = trained
    doc = np.repeat(np.arange(60), 100).astype(np.int32)
    hs = S.HiddenStates(model="planted", layer=1, n_layers=2, d=32, seed=0, corpus="synthetic",
                        embedding_eps=0.3, states=x, doc=doc)
    row = F.feature_row(hs, 96, 3, epochs=2, batch_size=64, cache_dir=tmp_path, progress=False)
    again = F.feature_row(hs, 96, 3, epochs=2, batch_size=64, cache_dir=tmp_path, progress=False)
    assert again.train_seconds == 0.0 and again.eps == row.eps  # the cached SAE
    heldout = S.split_heldout(doc)
    sae2, _, cached = S.trained_sae(hs, x[~heldout], 96, 3, epochs=2, batch_size=64,
                                    cache_dir=tmp_path, progress=False)
    assert cached
    q = S.evaluate(sae2, x[heldout])
    live = np.flatnonzero(q.fires > 0)
    unit = sae2.directions()[live]
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)  # float32 rows: unit to ~1e-7
    cos = (unit @ unit.T)[np.triu_indices(live.size, 1)]
    assert row.live == live.size and row.tokens_heldout == heldout.sum()
    assert row.eps == pytest.approx(cos.mean() + 2 * cos.std(), rel=1e-9)
    assert row.max_abs_cos == pytest.approx(np.abs(cos).max(), rel=1e-9)
    assert row.welch == pytest.approx(welch_floor(live.size, 32))
    assert row.null_eps == pytest.approx(null_eps(32))
    assert row.dead_fraction == pytest.approx(1 - live.size / 96)


def test_split_heldout_keeps_whole_documents():
    doc = np.repeat(np.arange(10), 10)
    held = S.split_heldout(doc, 0.2)
    assert held.sum() == 20 and set(doc[held]) == {8, 9}
    with pytest.raises(DataFileError, match="one document"):
        S.split_heldout(np.zeros(5, dtype=int))


def test_geometric_median_beats_the_mean_on_an_outlier():
    x = np.vstack([np.zeros((20, 2)), [[100.0, 100.0]]])
    assert np.linalg.norm(S.geometric_median(x)) < 0.1


@pytest.mark.parametrize("width, k, message", [(8, 8, "smaller than the width"),
                                               (64, 20, "at most d"), (1, 1, "width")])
def test_bad_settings_are_refused(width, k, message):
    with pytest.raises(ParameterError, match=message):
        S.train_sae(np.ones((10, 16), dtype=np.float32), width, k, progress=False)


def test_hidden_states_are_cached_and_keyed(tmp_path):
    from repcap.sources.forward import tiny_random

    fm = tiny_random()
    a = S.hidden_states(fm, tokens=300, seed=3, cache_dir=tmp_path, progress=False)
    b = S.hidden_states(fm, tokens=300, seed=3, cache_dir=tmp_path, progress=False)
    c = S.hidden_states(fm, tokens=300, seed=4, cache_dir=tmp_path, progress=False)
    assert not a.cached and b.cached and not c.cached
    assert a.states.shape == (300, 32) and a.layer == 1
    np.testing.assert_array_equal(a.states, b.states)
    assert not np.array_equal(a.states, c.states)  # another seed draws other documents
    files = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["layermid-tokens300-seed3-len256.npz", "layermid-tokens300-seed4-len256.npz"]
    with pytest.raises(ParameterError, match="layer must lie in 0..2"):
        S.hidden_states(fm, layer=5, tokens=300, cache_dir=tmp_path, progress=False)


def dense_reference_grads(sae, x, since_fired, aux_k, aux_coef, dead_after):
    """The gradients of one step's loss by autograd through the dense (B × W) code: the products
    that :func:`repcap.studies.sae._step` replaces by sparse ones, and its projection of the
    decoder gradient."""
    import torch

    p = {n: getattr(sae, n).detach().clone().requires_grad_() for n in ("w_enc", "b_enc", "w_dec",
                                                                       "b_pre")}
    pre = (x - p["b_pre"].detach()) @ p["w_enc"].T + p["b_enc"]
    vals, idx = pre.topk(sae.k, dim=1)
    code = torch.zeros_like(pre).scatter(1, idx, torch.relu(vals))
    err = x - (code @ p["w_dec"] + p["b_pre"])
    loss = err.pow(2).sum() / (x - x.mean(dim=0)).pow(2).sum()
    since = since_fired + x.shape[0]
    since[idx[vals > 0]] = 0
    dead = since > dead_after
    if dead.any():
        aux_vals, aux_idx = pre.masked_fill(~dead, float("-inf")).topk(min(aux_k, int(dead.sum())),
                                                                       dim=1)
        aux_code = torch.zeros_like(pre).scatter(1, aux_idx, torch.relu(aux_vals))
        resid = err.detach()
        loss = loss + aux_coef * ((resid - aux_code @ p["w_dec"]).pow(2).sum()
                                  / (resid - resid.mean(dim=0)).pow(2).sum())
    loss.backward()
    g, w = p["w_dec"].grad, p["w_dec"].detach()
    p["w_dec"].grad = g - (g * w).sum(dim=1, keepdim=True) * w
    return {n: t.grad for n, t in p.items()}, since


@pytest.mark.parametrize("dead_after", [10 ** 9, 100, -1], ids=["none-dead", "some-dead", "all-dead"])
def test_step_gradients_match_the_dense_autograd_reference(trained, dead_after):
    """The sparse step (embedding_bag decoder, sparse weight gradients, projection from the kept
    entries) gives the gradients of the dense formulation, AuxK included."""
    import torch

    trained_sae, x, _ = trained
    sae = S.TopKSae.from_state(trained_sae.state())
    for t in (sae.w_enc, sae.b_enc, sae.w_dec, sae.b_pre):
        t.requires_grad_()
    xb = torch.from_numpy(x[:64] / sae.scale)
    since = torch.arange(sae.width) * 3  # some latents idle for longer than others
    want, want_since = dense_reference_grads(sae, xb, since, 16, 1 / 32, dead_after)
    w_before = sae.w_dec.detach().clone()
    opt = torch.optim.SGD([sae.w_enc, sae.b_enc, sae.w_dec, sae.b_pre], lr=0.0)  # gradients only
    S._step(sae, xb, opt, since, 16, 1 / 32, dead_after)
    np.testing.assert_array_equal(since.numpy(), want_since.numpy())
    for name, g in want.items():
        got = getattr(sae, name).grad
        scale = float(g.abs().max())
        assert scale > 0, name
        np.testing.assert_allclose(got.numpy(), g.numpy(), rtol=0, atol=1e-5 * scale, err_msg=name)
    np.testing.assert_allclose(sae.w_dec.detach().numpy(), w_before.numpy(), atol=1e-6)


def test_training_is_reproducible():
    x, _ = planted(n=800)
    a = S.train_sae(x, 64, 3, epochs=2, batch_size=64, seed=1, progress=False)
    b = S.train_sae(x, 64, 3, epochs=2, batch_size=64, seed=1, progress=False)
    for name, value in a.state().items():
        np.testing.assert_array_equal(value, b.state()[name], err_msg=name)


def test_dead_window_scales_with_width_over_k():
    assert S.dead_window(6144, 32) == 3840  # 20 expected firings at the uniform rate k/W
    assert S.dead_window(128, 3) == 854
    assert S.dead_window(2 * 6144, 32) == 2 * S.dead_window(6144, 32)
    assert S.dead_window(6144, 64) == S.dead_window(6144, 32) // 2
    with pytest.raises(ParameterError):
        S.dead_window(64, 0)


def test_a_silent_latent_is_dead_after_the_window_and_ones_at_the_uniform_rate_never_are():
    """Latents ±e_i on isotropic Gaussian rows are exchangeable, so each fires at the uniform rate
    k/W; latent 0, given a huge negative bias, never fires. Run with the default window on frozen
    weights (lr 0) for 40 windows: latent 0 is dead from the first step past the window on, and no
    other latent is ever dead (each would be with probability about e^-20 per window)."""
    import torch

    d, k, batch = 16, 4, 32
    width = 2 * d
    window = S.dead_window(width, k)  # 160 tokens = 5 batches
    eye = torch.eye(d)
    rows = torch.cat([eye, -eye])
    b_enc = torch.zeros(width)
    b_enc[0] = -1e6
    sae = S.TopKSae(rows.clone().requires_grad_(), b_enc.requires_grad_(),
                    rows.clone().requires_grad_(), torch.zeros(d, requires_grad=True), k, 1.0)
    opt = torch.optim.SGD([sae.w_enc, sae.b_enc, sae.w_dec, sae.b_pre], lr=0.0)
    gen = torch.Generator().manual_seed(0)
    since = torch.zeros(width, dtype=torch.long)
    steps = 40 * window // batch
    fired = torch.zeros(width)
    for step in range(1, steps + 1):
        S._step(sae, torch.randn(batch, d, generator=gen), opt, since, d // 2, 1 / 32, window)
        dead = (since > window).numpy()
        assert dead[0] == (step * batch > window), step  # dead once the window has passed
        assert not dead[1:].any(), (step, np.flatnonzero(dead))
        fired += since == 0
    rate = fired[1:] / steps  # batches in which each live latent fired
    expected = 1 - (1 - k / (width - 1)) ** batch
    np.testing.assert_allclose(rate.numpy(), expected, atol=0.05)


def test_training_records_the_dead_window_and_the_cache_key_holds_it(tmp_path):
    x, _ = planted(n=600)
    sae = S.train_sae(x, 64, 3, epochs=1, batch_size=64, progress=False)
    assert sae.dead_after == S.dead_window(64, 3) == 427
    assert S.TopKSae.from_state(sae.state()).dead_after == 427
    assert S.train_sae(x, 64, 3, epochs=1, batch_size=64, dead_after=100,
                       progress=False).dead_after == 100
    assert sae.w_dec.grad is None and not sae.w_dec.requires_grad
    doc = np.repeat(np.arange(6), 100).astype(np.int32)
    hs = S.HiddenStates(model="planted", layer=1, n_layers=2, d=32, seed=0, corpus="synthetic",
                        embedding_eps=0.3, states=x, doc=doc)
    kwargs = dict(epochs=1, batch_size=64, cache_dir=tmp_path, progress=False)
    a, _, cached_a = S.trained_sae(hs, x, 64, 3, **kwargs)
    b, _, cached_b = S.trained_sae(hs, x, 64, 3, dead_after=427, **kwargs)  # the default, spelt out
    c, _, cached_c = S.trained_sae(hs, x, 64, 3, dead_after=100, **kwargs)
    assert (cached_a, cached_b, cached_c) == (False, True, False)
    assert b.dead_after == 427 and c.dead_after == 100
    assert len(list(tmp_path.rglob("*.npz"))) == 2


def test_massive_activation_rows_are_left_out_and_counted(trained, tmp_path):
    sae, x, _ = trained
    # the rule against a direct computation: norms above 10 x the median norm
    norms = np.linalg.norm(x.astype(np.float64), axis=1)
    spiked = x.copy()
    spiked[[7, 5950]] *= 1000.0  # one massive row in a training document, one held out
    mask = S.massive_rows(spiked)
    assert np.flatnonzero(mask).tolist() == [7, 5950]
    assert not S.massive_rows(x).any() and norms.max() < S.MASSIVE_NORM * np.median(norms)
    doc = np.repeat(np.arange(60), 100).astype(np.int32)

    def hs(states):
        return S.HiddenStates(model="planted", layer=1, n_layers=2, d=32, seed=0,
                              corpus="synthetic", embedding_eps=0.3, states=states, doc=doc)

    clean = F.feature_row(hs(x), 96, 3, epochs=2, batch_size=64, cache_dir=tmp_path, progress=False)
    row = F.feature_row(hs(spiked), 96, 3, epochs=2, batch_size=64, cache_dir=tmp_path,
                        progress=False)
    assert clean.massive_dropped == 0 and row.massive_dropped == 2
    assert row.tokens_train + row.tokens_heldout == clean.tokens_train + clean.tokens_heldout - 2
    # without the two rows the held-out reconstruction is as good as on clean data; with the
    # held-out spike kept, its variance (10^6 x a row's) would drive the FVU towards 1
    assert row.fvu == pytest.approx(clean.fvu, abs=0.05) and row.fvu < 0.5
