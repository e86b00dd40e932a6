"""Attribution (engine/attribution.py) against brute force written from the equations:
one plain backward pass per loss, central finite differences through a continuous
relaxation of the inputs and a per-step Whh, and an explicit long-window BPTT loop."""
import copy
import dataclasses

import numpy as np
import pytest
import reference as ref

import engine
from engine.cells import back_step as _rnn_back_step

H, V = 12, 7
REGIMES = {"contracting": (0.5, 10, 0.3), "expanding": (3.0, 5, 0.05)}   # gain, T, scale


def window(regime, seed=0, T=None):
    gain, T_default, scale = REGIMES[regime]
    T = T_default if T is None else T
    params = engine.init_params(V, H, seed=seed, scale=scale, whh_init="orthogonal",
                                gain=gain)
    rng = np.random.default_rng(seed + 1)
    inputs, targets = rng.integers(0, V, T), rng.integers(0, V, T)
    hprev = rng.standard_normal(H) * 0.1
    return params, inputs, targets, hprev


# -- brute force ----------------------------------------------------------------------
def per_loss_backward(params, inputs, targets, hprev):
    """pieces[t, s] = dL_t / d(pre-activation of step s), an (H,1) column, for s <= t:
    one backward pass per loss, column vectors, a plain loop. Also the forward's hs."""
    _, _, _, hs, _, ps = ref.reference_forward(inputs, targets, hprev, params)
    pieces = {}
    for t in range(len(inputs)):
        dy = ps[t].copy()
        dy[targets[t]] -= 1
        dh = params["Why"].T @ dy                     # dL_t/dh_t
        for s in range(t, -1, -1):
            pieces[t, s] = (1 - hs[s] * hs[s]) * dh   # through tanh at step s
            dh = params["Whh"].T @ pieces[t, s]       # on to h_{s-1}
    return pieces, hs


def slices_by_loop(params, inputs, targets, hprev):
    pieces, hs = per_loss_backward(params, inputs, targets, hprev)
    T = len(inputs)
    slices = np.zeros((T, H, H))
    for (t, s), dhraw in pieces.items():
        slices[t - s] += dhraw @ hs[s - 1].T          # hs[-1] is hprev
    return slices


def relaxed_losses(params, X, targets, hprev, whh_offset=None):
    """Per-step losses of the forward pass with real-valued inputs X (T, V) instead of
    one-hot vectors, and optionally Whh + E at step s only (whh_offset = (s, E))."""
    h = np.asarray(hprev, dtype=float).reshape(H, 1)
    losses = []
    for t in range(len(X)):
        Whh = params["Whh"]
        if whh_offset is not None and whh_offset[0] == t:
            Whh = Whh + whh_offset[1]
        h = np.tanh(params["Wxh"] @ X[t].reshape(V, 1) + Whh @ h + params["bh"])
        y = params["Why"] @ h + params["by"]
        y = y - y.max()
        losses.append(float(np.log(np.exp(y).sum()) - y[targets[t], 0]))
    return np.array(losses)


def onehots(inputs):
    X = np.zeros((len(inputs), V))
    X[np.arange(len(inputs)), inputs] = 1.0
    return X


# -- input saliency -------------------------------------------------------------------
@pytest.mark.parametrize("regime", REGIMES)
def test_input_saliency_matches_per_loss_loop(regime):
    params, inputs, targets, hprev = window(regime)
    S = engine.input_saliency(engine.bptt(params, inputs, targets, hprev), params)
    pieces, _ = per_loss_backward(params, inputs, targets, hprev)
    T = len(inputs)
    assert S.shape == (T, T)
    for t in range(T):
        for s in range(T):
            if s > t:
                assert np.isnan(S[t, s])
            else:
                want = np.linalg.norm(params["Wxh"].T @ pieces[t, s])
                np.testing.assert_allclose(S[t, s], want, rtol=1e-10, err_msg=f"{t},{s}")


@pytest.mark.parametrize("regime", REGIMES)
def test_input_saliency_matches_finite_differences(regime):
    params, inputs, targets, hprev = window(regime)
    S = engine.input_saliency(engine.bptt(params, inputs, targets, hprev), params)
    T, eps, X = len(inputs), 1e-5, onehots(inputs)
    grad = np.zeros((T, T, V))                   # [t, s, v] = dL_t/dx_s[v]
    for s in range(T):
        for v in range(V):
            up, down = X.copy(), X.copy()
            up[s, v] += eps
            down[s, v] -= eps
            grad[:, s, v] = (relaxed_losses(params, up, targets, hprev)
                             - relaxed_losses(params, down, targets, hprev)) / (2 * eps)
    fd = np.linalg.norm(grad, axis=2)
    lower = np.tril(np.ones((T, T), bool))
    np.testing.assert_array_equal(fd[~lower], 0.0)          # x_s never reaches L_t, t < s
    np.testing.assert_allclose(S[lower], fd[lower], rtol=1e-5, atol=1e-9 * fd.max())


def test_regimes_are_what_they_claim():
    """Contracting: the last loss's saliency fades going back; expanding: it grows."""
    for regime, grows in (("contracting", False), ("expanding", True)):
        params, inputs, targets, hprev = window(regime)
        S = engine.input_saliency(engine.bptt(params, inputs, targets, hprev), params)
        pieces, _ = per_loss_backward(params, inputs, targets, hprev)
        T = len(inputs)
        ratio = np.linalg.norm(pieces[T - 1, 0]) / np.linalg.norm(pieces[T - 1, T - 1])
        assert (ratio > 5) if grows else (ratio < 1e-2), (regime, ratio)
        assert np.isfinite(S[np.tril_indices(T)]).all()


# -- Whh gradient by distance ---------------------------------------------------------
@pytest.mark.parametrize("regime", REGIMES)
def test_whh_slices_match_loop_and_sum_to_the_gradient(regime):
    params, inputs, targets, hprev = window(regime)
    trace = engine.bptt(params, inputs, targets, hprev)
    W = engine.whh_gradient_by_distance(trace, params)
    want = slices_by_loop(params, inputs, targets, hprev)
    assert W.shape == (len(inputs), H, H)
    for d in range(len(inputs)):
        np.testing.assert_allclose(W[d], want[d], rtol=1e-10,
                                   atol=1e-12 * np.abs(want).max(), err_msg=f"d={d}")
    total = trace.grads["Whh"]
    assert np.linalg.norm(W.sum(axis=0) - total) <= 1e-12 * np.linalg.norm(total)


@pytest.mark.parametrize("regime", REGIMES)
def test_whh_slices_match_finite_differences(regime):
    """d L_t / d(Whh used at step s only), by central differences, summed over
    t - s = d, for a few entries (i, j)."""
    params, inputs, targets, hprev = window(regime)
    W = engine.whh_gradient_by_distance(engine.bptt(params, inputs, targets, hprev), params)
    T, eps, X = len(inputs), 1e-5, onehots(inputs)
    rng = np.random.default_rng(7)
    for i, j in rng.integers(0, H, (4, 2)):
        E = np.zeros((H, H))
        E[i, j] = eps
        fd = np.zeros(T)
        for s in range(T):
            dL = (relaxed_losses(params, X, targets, hprev, (s, E))
                  - relaxed_losses(params, X, targets, hprev, (s, -E))) / (2 * eps)
            np.testing.assert_array_equal(dL[:s], 0.0)
            fd[: T - s] += dL[s:]                   # loss s + d lands in slice d
        np.testing.assert_allclose(W[:, i, j], fd, rtol=1e-5,
                                   atol=1e-9 * np.abs(W).max(), err_msg=f"({i},{j})")


@pytest.mark.parametrize("regime", REGIMES)
def test_gradient_horizon_and_piece_norms(regime):
    params, inputs, targets, hprev = window(regime)
    trace = engine.bptt(params, inputs, targets, hprev)
    slices = slices_by_loop(params, inputs, targets, hprev)
    f = np.array([np.linalg.norm(sl) for sl in slices])
    want = np.sum(np.arange(len(f)) * f) / f.sum()
    assert engine.gradient_horizon(trace, params) == pytest.approx(want, rel=1e-9)
    norms = engine.whh_distance_norms(trace, params)        # the slices' norms, unformed
    np.testing.assert_allclose(norms, f, rtol=1e-8, atol=1e-12 * f.max())
    assert engine.horizon_from_norms(norms) == pytest.approx(want, rel=1e-9)
    assert np.isnan(engine.horizon_from_norms(np.zeros(4)))
    pieces, hs = per_loss_backward(params, inputs, targets, hprev)
    C = engine.whh_piece_norms(trace, params)
    T = len(inputs)
    for t in range(T):
        for s in range(T):
            if s > t:
                assert np.isnan(C[t, s])
            else:
                np.testing.assert_allclose(
                    C[t, s], np.linalg.norm(pieces[t, s] @ hs[s - 1].T), rtol=1e-10)
    both = engine.whh_horizon_parts(trace, params)        # one backward pass for the two
    np.testing.assert_allclose(both[0], norms, rtol=1e-12, atol=1e-15 * f.max())
    np.testing.assert_allclose(both[1], C, rtol=1e-12)    # NaN above the diagonal too


def test_horizon_tracks_the_regime():
    """A contracting Whh keeps dWhh near the losses; an expanding one pulls it back."""
    near = engine.gradient_horizon(engine.bptt(*window("contracting", T=5)),
                                   window("contracting")[0])
    far = engine.gradient_horizon(engine.bptt(*window("expanding")), window("expanding")[0])
    assert near < 1.0 < far


def test_one_step_window():
    params, inputs, targets, hprev = window("contracting", T=1)
    trace = engine.bptt(params, inputs, targets, hprev)
    pieces, _ = per_loss_backward(params, inputs, targets, hprev)
    S = engine.input_saliency(trace, params)
    assert S.shape == (1, 1)
    np.testing.assert_allclose(S[0, 0], np.linalg.norm(params["Wxh"].T @ pieces[0, 0]))
    W = engine.whh_gradient_by_distance(trace, params)
    np.testing.assert_allclose(W[0], trace.grads["Whh"], rtol=1e-14)
    assert engine.gradient_horizon(trace, params) == 0.0
    zero_state = engine.bptt(params, inputs, targets, np.zeros(H))   # dWhh = dhraw 0^T
    assert np.isnan(engine.gradient_horizon(zero_state, params))


def test_rnn_back_step_reproduces_bptt():
    """The per-step contract: fed the summed losses, back_step gives bptt's dhraw at
    each step and its dhnext / dhprev as the gradient for the state one step back."""
    params, inputs, targets, hprev = window("contracting")
    trace = engine.bptt(params, inputs, targets, hprev)
    dh_out = trace.dy @ params["Why"]
    dstate = (np.zeros((1, H)),)
    for t in range(trace.T - 1, -1, -1):
        np.testing.assert_allclose(dstate[0][0], trace.dhnext[t], rtol=1e-12, atol=1e-300)
        dstate = (dstate[0] + dh_out[t],)
        dstate, dx_pre, dh_pre = _rnn_back_step(trace, params, t, dstate)
        np.testing.assert_allclose(dx_pre[0], trace.dhraw[t], rtol=1e-12)
        np.testing.assert_allclose(dh_pre[0], trace.dhraw[t], rtol=1e-12)
    np.testing.assert_allclose(dstate[0][0], trace.dhprev, rtol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_cells_split_their_whh_gradient_exactly(cell):
    """The per-loss backward (cells.back_step) against bptt's own gated backward: the
    distance slices sum to the Whh gradient, and the saliency of x_t for L_t is
    ||Wxh^T dx_pre|| of the step's own loss."""
    tr = engine.Trainer(engine.read_sample("long_gap.txt"), hidden_size=12, cell=cell)
    tr.run(3)
    trace, params = tr.trace, tr.trace.params
    slices = engine.whh_gradient_by_distance(trace, params)
    assert slices.shape == (trace.T, *params["Whh"].shape)
    np.testing.assert_allclose(slices.sum(axis=0), trace.grads["Whh"], rtol=1e-10,
                               atol=1e-13)
    S = engine.input_saliency(trace, params)
    assert np.isnan(S[np.triu_indices(trace.T, 1)]).all()
    assert (S[np.tril_indices(trace.T)] >= 0).all()
    assert 0 < engine.gradient_horizon(trace, params) < trace.T


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_beyond_window_inside_the_window_matches_bptt(cell):
    """With no earlier window (the first one) and the trace's own weights, the norms
    inside the window are bptt's ||dh_t||."""
    tr = engine.Trainer(engine.read_sample("long_gap.txt"), hidden_size=12, cell=cell)
    tr.step()
    result = engine.beyond_window(tr, windows=4, params=tr.trace.params)
    assert result.windows_used == 0 and len(result.norms) == 0
    np.testing.assert_allclose(result.window_norms, np.linalg.norm(tr.trace.dh, axis=1),
                               rtol=1e-10)


# -- history --------------------------------------------------------------------------
def test_history_records_horizon_on_the_reach_schedule():
    tr = engine.Trainer("the cat sat on the mat. " * 10, hidden_size=10, seq_length=8,
                        diagnostics_every=3)
    before = {n: p.copy() for n, p in tr.params.items()}
    trace = tr.step()
    H_ = 10
    slices = np.zeros((trace.T, H_, H_))
    pieces, hs = per_loss_backward(before, trace.inputs, trace.targets, np.zeros(H_))
    for (t, s), dhraw in pieces.items():
        slices[t - s] += dhraw @ hs[s - 1].T
    f = np.linalg.norm(slices, axis=(1, 2))
    want = np.sum(np.arange(len(f)) * f) / f.sum()
    assert tr.history["horizon"].iloc[0] == pytest.approx(want, rel=1e-9)
    tr.run(9)
    h = tr.history
    np.testing.assert_array_equal(np.isnan(h["horizon"]), np.isnan(h["reach"]))
    assert list(np.flatnonzero(np.isfinite(h["horizon"]))) == [0, 1, 2, 3, 4, 6, 8, 9]


# -- beyond_window --------------------------------------------------------------------
TEXT = "abcab bca ccab abba cabc " * 8


def trainer(steps, T=6, text=TEXT):
    tr = engine.Trainer(text, hidden_size=H, seq_length=T, seed=3, whh_init="orthogonal",
                        gain=1.2, scale=0.3)
    tr.run(steps)
    return tr


def reference_beyond(text, params, T, p, k):
    """Full BPTT of the window at p's loss through k windows before it, from a zero
    state: column vectors, a plain loop."""
    _, char_to_ix, _ = ref.build_vocab(text)
    used = min(k, p // T)
    start, first = p - used * T, used * T
    inputs = [char_to_ix[c] for c in text[start: p + T]]
    targets = [char_to_ix[c] for c in text[start + 1: p + T + 1]]
    Hh = params["Whh"].shape[0]
    _, _, _, hs, _, ps = ref.reference_forward(inputs, targets, np.zeros((Hh, 1)), params)
    norms = np.zeros(len(inputs))
    dWhh = {"before": np.zeros((Hh, Hh)), "window": np.zeros((Hh, Hh))}
    dhnext = np.zeros((Hh, 1))
    for t in reversed(range(len(inputs))):
        dh = dhnext.copy()
        if t >= first:                             # only the current window's losses
            dy = ps[t].copy()
            dy[targets[t]] -= 1
            dh += params["Why"].T @ dy
        norms[t] = np.sqrt(np.sum(dh * dh))
        dhraw = (1 - hs[t] * hs[t]) * dh
        dWhh["before" if t < first else "window"] += dhraw @ hs[t - 1].T
        dhnext = params["Whh"].T @ dhraw
    before, inside = np.linalg.norm(dWhh["before"]), np.linalg.norm(dWhh["window"])
    return {"norms": norms[:first], "window_norms": norms[first:], "used": used,
            "start": start, "whh_before": before, "whh_window": inside,
            "share": before / (before + inside)}


def check_against_reference(result, want):
    assert result.windows_used == want["used"]
    assert result.start == want["start"]
    assert result.norms.shape == want["norms"].shape
    np.testing.assert_allclose(result.norms, want["norms"], rtol=1e-10)
    np.testing.assert_allclose(result.window_norms, want["window_norms"], rtol=1e-10)
    for key in ("whh_before", "whh_window", "share"):
        assert getattr(result, key) == pytest.approx(want[key], rel=1e-10, abs=1e-300)


@pytest.mark.parametrize("k", [1, 4])
def test_beyond_window_matches_long_window_loop(k):
    tr = trainer(9)
    p = tr.trace.position
    assert p == 8 * 6
    result = engine.beyond_window(tr, windows=k)
    want = reference_beyond(TEXT, {n: a.copy() for n, a in tr.params.items()}, 6, p, k)
    check_against_reference(result, want)
    assert result.complete and result.windows == k and result.position == p
    assert len(result.norms) == k * 6 and 0 < result.share < 1
    # with the weights that produced the trace instead of the current ones
    result = engine.beyond_window(tr, windows=k, params=tr.trace.params)
    check_against_reference(result, reference_beyond(TEXT, tr.trace.params, 6, p, k))


@pytest.mark.parametrize("gain", [0.5, 3.0])
def test_beyond_window_contracting_and_expanding(gain):
    tr = engine.Trainer(TEXT, hidden_size=H, seq_length=4, whh_init="orthogonal",
                        gain=gain, scale=0.05, learning_rate=1e-3)
    tr.run(4)
    result = engine.beyond_window(tr, windows=2)
    check_against_reference(result, reference_beyond(TEXT, tr.params, 4, 12, 2))
    last_before, first_before = result.norms[-1], result.norms[0]
    assert (first_before > last_before) if gain > 1 else (first_before < 1e-2 * last_before)


def test_beyond_window_near_the_start_of_the_text():
    tr = trainer(1)                                # the first window: nothing before it
    result = engine.beyond_window(tr, windows=3, params=tr.trace.params)
    assert (result.windows_used, result.start, result.position) == (0, 0, 0)
    assert result.norms.shape == (0,) and result.share == 0.0 and not result.complete
    # from a zero state with the trace's weights, the counterfactual is the trace itself
    np.testing.assert_allclose(result.window_norms, np.linalg.norm(tr.trace.dh, axis=1),
                               rtol=1e-12)
    assert result.whh_window == pytest.approx(np.linalg.norm(tr.trace.grads["Whh"]),
                                              rel=1e-12)
    tr.run(2)                                      # window at 2T: two windows before it
    result = engine.beyond_window(tr, windows=5)
    check_against_reference(result, reference_beyond(TEXT, tr.params, 6, 12, 5))
    assert result.windows_used == 2 and len(result.norms) == 12 and not result.complete
    np.testing.assert_array_equal(result.offsets, np.arange(-12, 0))
    assert engine.beyond_window(tr, windows=0).norms.shape == (0,)


def test_beyond_window_after_wrap_around():
    text = TEXT[:60]                               # T = 8: windows at 0, 8, ..., 48, then 0
    tr = engine.Trainer(text, hidden_size=H, seq_length=8)
    tr.run(8)
    assert tr.trace.position == 0
    assert engine.beyond_window(tr, windows=4).windows_used == 0


def test_beyond_window_refuses_without_a_window_or_a_bad_k():
    tr = engine.Trainer(TEXT, hidden_size=H, seq_length=6)
    with pytest.raises(ValueError, match="step"):
        engine.beyond_window(tr)
    tr.step()
    with pytest.raises(ValueError, match="windows"):
        engine.beyond_window(tr, windows=-1)


def assert_same(a, b, what):
    if isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=what)
        assert a.dtype == b.dtype, what
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), what
        for key in a:
            assert_same(a[key], b[key], f"{what}[{key}]")
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), what
    else:
        assert a == b, what


def assert_same_trace(a, b):
    for f in dataclasses.fields(a):
        assert_same(getattr(a, f.name), getattr(b, f.name), f.name)


def test_beyond_window_changes_no_state():
    tr = trainer(5)
    untouched = copy.deepcopy(tr)
    engine.beyond_window(tr, windows=4)
    engine.beyond_window(tr, windows=2, params=tr.trace.params)
    for name in ("_flat", "_mem_flat", "hprev", "position", "iteration", "smooth_loss",
                 "data"):
        assert_same(getattr(tr, name), getattr(untouched, name), name)
    assert_same(tr.history_store.to_arrays(), untouched.history_store.to_arrays(), "history")
    assert_same_trace(tr.trace, untouched.trace)
    assert_same_trace(tr.step(), untouched.step())   # and the next step is bit-identical
    assert_same(tr._flat, untouched._flat, "params after the next step")
    assert_same(tr._mem_flat, untouched._mem_flat, "memory after the next step")


def test_history_skips_the_horizon_where_it_would_be_costly():
    from engine import cost
    assert cost.horizon_affordable(25, 100)
    assert not cost.horizon_affordable(1000, 2048)
    text = engine.read_sample("prose.txt")
    big = engine.Trainer(text, hidden_size=40, seq_length=400)
    assert not cost.horizon_affordable(400, 40)
    big.step()
    row = big.history.iloc[0]
    assert np.isnan(row["horizon"]) and np.isfinite(row["reach"])
