"""Identities the recorded quantities must satisfy, clipping semantics, and the
bookkeeping of the training loop (determinism, data pointer, hidden state, sampling,
optimizer updates)."""
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference as ref  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NAMES = ref.NAMES


def random_window(seed, V, H, T, scale, bias_scale=0.3):
    rng = np.random.RandomState(seed)
    params = ref.random_params(V, H, seed=seed, scale=scale, bias_scale=bias_scale)
    inputs = rng.randint(0, V, size=T)
    targets = rng.randint(0, V, size=T)
    hprev = np.tanh(rng.randn(H))
    return params, inputs, targets, hprev


windows = st.builds(random_window, seed=st.integers(0, 10_000), V=st.integers(2, 9),
                    H=st.integers(1, 16), T=st.integers(1, 12),
                    scale=st.sampled_from([0.01, 0.1, 0.5, 1.0, 2.0]))


def near(a, b, what="", scale=None):
    """Equal up to round-off. ``scale`` is the size of the terms that were summed to
    make ``b`` (default |b|): when they cancel, round-off is relative to them."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = float(np.max(np.abs(b), initial=0.0)) if scale is None else float(scale)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14 * max(1.0, scale),
                               err_msg=what)


def terms(A, B):
    """The largest term magnitude of the products in A @ B."""
    return float(np.max(np.abs(A) @ np.abs(B), initial=0.0))


# -- backward-pass identities ---------------------------------------------------------
@settings(max_examples=60, deadline=None, derandomize=True)
@given(w=windows)
def test_backward_identities(w):
    params, inputs, targets, hprev = w
    tr = engine.bptt(params, inputs, targets, hprev, clip="none")
    Wxh, Whh, Why, bh, by = (params[n] for n in NAMES)
    T = len(inputs)
    assert np.all(tr.dhnext[T - 1] == 0)                       # nothing comes from t = T
    big = max(float(np.max(np.abs(tr.dh))), float(np.max(np.abs(tr.dhnext))),
              terms(tr.dy, Why))
    for t in range(T):
        near(tr.dh[t], Why.T @ tr.dy[t] + tr.dhnext[t], f"dh[{t}]", scale=big)
        near(tr.dhraw[t], (1 - tr.hs[t] ** 2) * tr.dh[t], f"dhraw[{t}]")
        if t:
            near(tr.dhnext[t - 1], Whh.T @ tr.dhraw[t], f"dhnext[{t - 1}]",
                 scale=terms(Whh.T, tr.dhraw[t]))
    near(tr.dhprev, Whh.T @ tr.dhraw[0], "dhprev", scale=terms(Whh.T, tr.dhraw[0]))
    near(tr.dh_from_output, tr.dy @ Why, "dh_from_output", scale=big)
    near(tr.tanh_grad, 1 - tr.hs ** 2, "tanh_grad")
    # forward identities, one step at a time from the recorded h_{t-1} (recomputing the
    # whole chain would compare round-off amplified by the recurrence, not the identity)
    for t in range(T):
        h_prev = hprev if t == 0 else tr.hs[t - 1]
        near(tr.hs[t], np.tanh(Wxh[:, inputs[t]] + Whh @ h_prev + bh[:, 0]), f"hs[{t}]",
             scale=terms(Whh, h_prev) + np.max(np.abs(Wxh)) + np.max(np.abs(bh)))
    near(tr.ps.sum(axis=1), np.ones(T), "ps sums to 1")
    near(tr.losses, -np.log(tr.ps[np.arange(T), targets]), "losses")
    assert tr.loss == pytest.approx(float(np.sum(tr.losses)), rel=1e-14)
    onehot = np.zeros_like(tr.ps)
    onehot[np.arange(T), targets] = 1
    near(tr.dy, tr.ps - onehot, "dy")
    # the weight gradients are sums of per-timestep outer products
    hs_prev = np.vstack([hprev[None, :], tr.hs[:-1]])
    near(tr.grads["Why"], tr.dy.T @ tr.hs, "dWhy", scale=terms(tr.dy.T, tr.hs))
    near(tr.grads["by"][:, 0], tr.dy.sum(axis=0), "dby", scale=np.abs(tr.dy).sum(axis=0).max())
    near(tr.grads["Whh"], tr.dhraw.T @ hs_prev, "dWhh", scale=terms(tr.dhraw.T, hs_prev))
    dhraw_sum = np.abs(tr.dhraw).sum(axis=0).max()
    near(tr.grads["bh"][:, 0], tr.dhraw.sum(axis=0), "dbh", scale=dhraw_sum)
    dWxh = np.zeros_like(Wxh)
    for t in range(T):
        dWxh[:, inputs[t]] += tr.dhraw[t]
    near(tr.grads["Wxh"], dWxh, "dWxh", scale=dhraw_sum)


# -- clipping -------------------------------------------------------------------------
def l2(x):
    return math.sqrt(float(np.sum(np.asarray(x, dtype=float) ** 2)))


def check_norms(tr):
    for n in NAMES:
        assert tr.norms_before[n] == pytest.approx(l2(tr.grads[n]), rel=1e-12, abs=1e-300)
        assert tr.norms_after[n] == pytest.approx(l2(tr.clipped[n]), rel=1e-12, abs=1e-300)
    total_b = math.sqrt(sum(l2(tr.grads[n]) ** 2 for n in NAMES))
    total_a = math.sqrt(sum(l2(tr.clipped[n]) ** 2 for n in NAMES))
    assert tr.norms_before["global"] == pytest.approx(total_b, rel=1e-12, abs=1e-300)
    assert tr.norms_after["global"] == pytest.approx(total_a, rel=1e-12, abs=1e-300)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(w=windows, threshold=st.sampled_from([0.01, 0.1, 0.5, 1.0, 5.0, 100.0]))
def test_value_clipping(w, threshold):
    params, inputs, targets, hprev = w
    tr = engine.bptt(params, inputs, targets, hprev, clip="value", threshold=threshold)
    assert tr.clip == "value" and tr.threshold == threshold
    changed_total, size_total = 0, 0
    for n in NAMES:
        g, c = tr.grads[n], tr.clipped[n]
        assert c.shape == g.shape
        assert np.all(np.abs(c) <= threshold)
        inside = np.abs(g) <= threshold
        np.testing.assert_array_equal(c[inside], g[inside])          # untouched exactly
        np.testing.assert_array_equal(c[~inside], np.sign(g[~inside]) * threshold)
        assert tr.clip_fraction[n] == np.count_nonzero(~inside) / g.size
        changed_total += np.count_nonzero(~inside)
        size_total += g.size
    assert tr.clip_fraction["global"] == changed_total / size_total
    check_norms(tr)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(w=windows, threshold=st.sampled_from([0.01, 0.1, 0.5, 1.0, 5.0, 100.0]))
def test_norm_clipping(w, threshold):
    params, inputs, targets, hprev = w
    tr = engine.bptt(params, inputs, targets, hprev, clip="norm", threshold=threshold)
    total = math.sqrt(sum(l2(tr.grads[n]) ** 2 for n in NAMES))
    if total > threshold:
        assert tr.norms_after["global"] == pytest.approx(threshold, rel=1e-12)
        factor = threshold / total
        nonzero, size = 0, 0
        for n in NAMES:
            g, c = tr.grads[n], tr.clipped[n]
            # same direction, one common factor for every parameter
            np.testing.assert_allclose(c, g * factor, rtol=1e-12, atol=1e-300)
            assert np.all(np.sign(c) == np.sign(g))
            assert tr.clip_fraction[n] == np.count_nonzero(g) / g.size
            nonzero += np.count_nonzero(g)
            size += g.size
        assert tr.clip_fraction["global"] == nonzero / size
    else:
        for n in NAMES:
            np.testing.assert_array_equal(tr.clipped[n], tr.grads[n])
            assert tr.clip_fraction[n] == 0.0
        assert tr.clip_fraction["global"] == 0.0
        assert tr.norms_after == tr.norms_before
    check_norms(tr)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(w=windows)
def test_no_clipping(w):
    params, inputs, targets, hprev = w
    tr = engine.bptt(params, inputs, targets, hprev, clip="none", threshold=1e-3)
    for n in NAMES:
        np.testing.assert_array_equal(tr.clipped[n], tr.grads[n])
        assert tr.clipped[n] is not tr.grads[n]
        assert tr.clip_fraction[n] == 0.0
    assert tr.clip_fraction["global"] == 0.0
    assert tr.norms_after == tr.norms_before
    check_norms(tr)


def test_clipped_is_a_copy(prose):
    chars, char_to_ix, _ = ref.build_vocab(prose)
    params = ref.random_params(len(chars), 20, seed=0, scale=0.5)
    inputs = [char_to_ix[c] for c in prose[:25]]
    targets = [char_to_ix[c] for c in prose[1:26]]
    for clip in ("value", "norm", "none"):
        tr = engine.bptt(params, inputs, targets, np.zeros(20), clip=clip, threshold=0.1)
        before = {n: tr.grads[n].copy() for n in NAMES}
        for n in NAMES:
            tr.clipped[n][...] = 123.0
        for n in NAMES:
            np.testing.assert_array_equal(tr.grads[n], before[n])


def test_default_clip_is_value_at_5(prose):
    chars, char_to_ix, _ = ref.build_vocab(prose)
    params = ref.random_params(len(chars), 30, seed=0, scale=1.0)
    inputs = [char_to_ix[c] for c in prose[:25]]
    targets = [char_to_ix[c] for c in prose[1:26]]
    tr = engine.bptt(params, inputs, targets, np.zeros(30))
    assert tr.clip == "value" and tr.threshold == 5.0
    assert tr.clip_fraction["global"] > 0
    assert max(np.max(np.abs(c)) for c in tr.clipped.values()) == 5.0


# -- the training loop ----------------------------------------------------------------
@pytest.fixture(scope="module")
def prose():
    return (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")[:3000]


def small_trainer(text, **kw):
    kw.setdefault("hidden_size", 32)
    kw.setdefault("seq_length", 25)
    return engine.Trainer(text, **kw)


def test_determinism_same_seed_same_history(prose):
    a, b = small_trainer(prose, seed=7), small_trainer(prose, seed=7)
    a.run(150)
    b.run(150)
    pd.testing.assert_frame_equal(a.history, b.history)
    for n in NAMES:
        np.testing.assert_array_equal(a.params[n], b.params[n])
        np.testing.assert_array_equal(a.mem[n], b.mem[n])
    np.testing.assert_array_equal(a.hprev, b.hprev)
    assert a.sample(50, rng_seed=1) == b.sample(50, rng_seed=1)


def test_different_seed_differs(prose):
    a, b = small_trainer(prose, seed=7), small_trainer(prose, seed=8)
    assert not np.array_equal(a.params["Whh"], b.params["Whh"])
    a.run(20)
    b.run(20)
    assert not np.array_equal(a.history["loss"].to_numpy(), b.history["loss"].to_numpy())
    assert not np.array_equal(a.params["Why"], b.params["Why"])


def expected_positions(n_data, T, n):
    out, p = [], 0
    for i in range(n):
        if i == 0 or p + T + 1 >= n_data:
            p = 0
        out.append(p)
        p += T
    return out


@pytest.mark.parametrize("length,T", [(200, 25), (103, 10), (27, 25), (52, 25)])
def test_data_pointer_wraps_and_hprev_resets(prose, length, T):
    text = prose[:length]
    tr = small_trainer(text, seq_length=T, hidden_size=8)
    n = 40
    traces, last_hs = [], None
    for i in range(n):
        hprev_before = tr.hprev.copy()
        pos_before = tr.position
        trace = tr.step()
        assert trace.iteration == i and tr.iteration == i + 1
        assert trace is tr.trace
        wrapped = i == 0 or pos_before + T + 1 >= len(text)
        assert trace.position == (0 if wrapped else pos_before)
        if wrapped:
            assert np.all(trace.hprev == 0)                  # memory reset at the wrap
        else:
            np.testing.assert_array_equal(trace.hprev, hprev_before)
            np.testing.assert_array_equal(trace.hprev, last_hs)   # carried h_{T-1}
        np.testing.assert_array_equal(tr.hprev, trace.hs[-1])
        assert tr.hprev is not trace.hs[-1] and not np.shares_memory(tr.hprev, trace.hs)
        assert tr.position == trace.position + T
        p = trace.position
        np.testing.assert_array_equal(trace.inputs, tr.vocab.encode(text[p:p + T]))
        np.testing.assert_array_equal(trace.targets, tr.vocab.encode(text[p + 1:p + T + 1]))
        last_hs = trace.hs[-1].copy()
        traces.append(trace)
    positions = tr.history["position"].to_numpy()
    assert list(positions) == expected_positions(len(text), T, n)
    assert list(positions) == [t.position for t in traces]
    assert list(tr.history["iteration"]) == list(range(n))
    assert (positions == 0).sum() >= 2          # it did wrap


def test_smooth_loss(prose):
    tr = small_trainer(prose)
    V = len(tr.vocab)
    assert tr.smooth_loss == -math.log(1.0 / V) * 25
    for _ in range(30):
        before = tr.smooth_loss
        trace = tr.step()
        assert tr.smooth_loss == before * 0.999 + trace.loss * 0.001
        assert tr.history["smooth_loss"].iloc[-1] == tr.smooth_loss
        assert tr.history["loss"].iloc[-1] == trace.loss


def snapshot(tr):
    return {"params": {n: tr.params[n].copy() for n in NAMES},
            "mem": {n: tr.mem[n].copy() for n in NAMES}, "hprev": tr.hprev.copy(),
            "position": tr.position, "iteration": tr.iteration,
            "smooth_loss": tr.smooth_loss, "rows": len(tr.history), "trace": tr.trace}


def assert_same_state(tr, snap):
    for n in NAMES:
        np.testing.assert_array_equal(tr.params[n], snap["params"][n])
        np.testing.assert_array_equal(tr.mem[n], snap["mem"][n])
    np.testing.assert_array_equal(tr.hprev, snap["hprev"])
    assert tr.position == snap["position"] and tr.iteration == snap["iteration"]
    assert tr.smooth_loss == snap["smooth_loss"] and len(tr.history) == snap["rows"]
    assert tr.trace is snap["trace"]


def test_sample_leaves_state_alone_and_is_reproducible(prose):
    tr = small_trainer(prose)
    tr.run(60)
    snap = snapshot(tr)
    a = tr.sample(120, rng_seed=5)
    assert_same_state(tr, snap)
    b = tr.sample(120, rng_seed=5)
    c = tr.sample(120, rng_seed=6)
    d = tr.sample(80, temperature=0.5, seed_text="The ", rng_seed=5)
    e = tr.sample(80, temperature=0.5, seed_text="The ", rng_seed=5)
    assert_same_state(tr, snap)
    assert a == b and d == e
    assert a != c
    assert len(a) == 120 and len(d) == 80
    assert set(a) <= set(tr.vocab.chars)
    assert tr.sample(0, rng_seed=1) == ""
    # training after sampling is the same as training without it
    other = small_trainer(prose)
    other.run(60)
    tr.run(5)
    other.run(5)
    pd.testing.assert_frame_equal(tr.history, other.history)


def test_sgd_update_is_exact(prose):
    tr = small_trainer(prose, optimizer="sgd", learning_rate=0.05, clip="value", threshold=0.5)
    for _ in range(10):
        before = {n: tr.params[n].copy() for n in NAMES}
        mem_before = {n: tr.mem[n].copy() for n in NAMES}
        trace = tr.step()
        for n in NAMES:
            np.testing.assert_array_equal(tr.params[n], before[n] - 0.05 * trace.clipped[n])
            np.testing.assert_array_equal(tr.mem[n], mem_before[n])   # sgd keeps no memory
    assert (tr.history["clip_fraction"] > 0).any()


def test_adagrad_update(prose):
    lr = 0.1
    tr = small_trainer(prose, learning_rate=lr)
    for _ in range(10):
        before = {n: tr.params[n].copy() for n in NAMES}
        mem_before = {n: tr.mem[n].copy() for n in NAMES}
        trace = tr.step()
        for n in NAMES:
            g = trace.clipped[n]
            mem = mem_before[n] + g * g
            np.testing.assert_array_equal(tr.mem[n], mem)
            step = lr * g / np.sqrt(mem + 1e-8)
            np.testing.assert_allclose(before[n] - tr.params[n], step, rtol=1e-9, atol=1e-15)
