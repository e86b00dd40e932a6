"""Gradient-flow diagnostics against brute force: explicit products of Jacobians."""
import numpy as np
import pytest
import reference as ref
import reference_gated as refg

import engine

T, H, V = 12, 16, 7


def window(gain, seed=0):
    params = engine.init_params(V, H, seed=seed, scale=0.3, whh_init="orthogonal", gain=gain)
    rng = np.random.default_rng(seed + 1)
    inputs, targets = rng.integers(0, V, T), rng.integers(0, V, T)
    hprev = rng.standard_normal(H) * 0.1
    return params, engine.bptt(params, inputs, targets, hprev)


def jacobian(params, hs, t, s):
    """dh_t/dh_s = prod_{k=t..s+1} diag(1 - h_k^2) Whh, multiplied out one factor at a time."""
    J = np.eye(H)
    for k in range(s + 1, t + 1):
        J = np.diag(1 - hs[k] ** 2) @ params["Whh"] @ J
    return J


@pytest.mark.parametrize("gain", [0.5, 1.0, 2.5])   # contracting, neutral, expanding
def test_loss_to_state_and_jacobian_norms_match_brute_force(gain):
    params, trace = window(gain)
    G = engine.loss_to_state(trace, params)
    J = engine.jacobian_norms(trace, params)
    assert G.shape == J.shape == (T, T)
    for t in range(T):
        dL_dh_t = params["Why"].T @ trace.dy[t]           # dL_t/dh_t
        for s in range(T):
            if s > t:
                assert np.isnan(G[t, s]) and np.isnan(J[t, s])
                continue
            Jts = jacobian(params, trace.hs, t, s)
            np.testing.assert_allclose(G[t, s], np.linalg.norm(Jts.T @ dL_dh_t), rtol=1e-6)
            np.testing.assert_allclose(J[t, s], np.linalg.norm(Jts, 2), rtol=1e-6)
    np.testing.assert_array_equal(np.diag(J), 1.0)


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e-6, 1.0, 1e6, 1e150, 1e300])
def test_spectral_norms_match_svd_at_every_scale(scale):
    """eigvalsh of the scaled Gram matrix gives numpy's 2-norm to rounding, even where
    squaring the entries would underflow (vanishing) or overflow (exploding)."""
    from engine.diagnostics import spectral_norms
    rng = np.random.default_rng(3)
    P = rng.standard_normal((9, H, H)) * scale
    P[4] = np.outer(rng.standard_normal(H), rng.standard_normal(H)) * scale   # rank one
    want = np.array([np.linalg.norm(p / scale, 2) for p in P]) * scale
    np.testing.assert_allclose(spectral_norms(P), want, rtol=1e-12)


def test_spectral_norms_of_zero_inf_and_nan_matrices():
    from engine.diagnostics import spectral_norms
    P = np.zeros((4, 3, 3))
    P[1] = np.diag([1.0, -5.0, 2.0])
    P[2, 0, 1] = np.inf
    P[3, 2, 2] = np.nan
    got = spectral_norms(P)
    assert got[0] == 0.0 and got[1] == 5.0 and got[2] == np.inf and np.isnan(got[3])


def test_regimes_are_what_they_claim():
    """Far off the diagonal, contracting Whh gives small norms and expanding large ones."""
    _, small = window(0.3)
    p_small, _ = window(0.3)
    J_small = engine.jacobian_norms(small, p_small)
    params = engine.init_params(V, H, seed=0, scale=0.01, whh_init="orthogonal", gain=1.5)
    big = engine.bptt(params, np.zeros(T, int), np.ones(T, int), np.zeros(H))
    J_big = engine.jacobian_norms(big, params)
    assert J_small[T - 1, 0] < 1e-4
    assert J_big[T - 1, 0] > 10


def rows_by_finite_differences(cell, p, inputs, targets, hprev, s, eps=1e-6):
    """(T - s, H): row t - s is dL_t/dh_s, by central differences of the independent
    reference's per-step losses (tests/reference.py, tests/reference_gated.py) with h_s
    nudged after it is computed: no backward formula of the engine's or the reference's."""
    rows = np.zeros((T - s, H))
    for j in range(H):
        nudge = np.zeros((H, 1))
        nudge[j] = eps
        if cell == "rnn":
            up = ref.reference_forward(inputs, targets, hprev, p, h_offset=(s, nudge))[1]
            dn = ref.reference_forward(inputs, targets, hprev, p, h_offset=(s, -nudge))[1]
        else:
            up = refg.forward(cell, inputs, targets, hprev, None, p, (s, nudge))["losses"]
            dn = refg.forward(cell, inputs, targets, hprev, None, p, (s, -nudge))["losses"]
        rows[:, j] = [(up[t] - dn[t]) / (2 * eps) for t in range(s, T)]
    return rows


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_one_loss_per_row_sums_to_dh(cell):
    """The walk back every diagnostic reads (one loss per row), whole rows against an
    independent truth: at every s, row t - s is dL_t/dh_s by finite differences of the
    reference implementation's losses; the rows sum to dh_s (the reference's own
    backward pass for the vanilla cell); their norms are loss_to_state's column s; and
    for the vanilla cell each row is the brute-force product of Jacobians
    (dh_t/dh_s)^T Why^T dy_t."""
    p = engine.init_params(V, H, seed=2, cell=cell) if cell != "rnn" else window(1.0)[0]
    rng = np.random.default_rng(7)
    inputs, targets = rng.integers(0, V, T), rng.integers(0, V, T)
    hprev = rng.standard_normal(H) * 0.1
    trace = engine.bptt(p, inputs, targets, hprev, cell=cell)
    G = engine.loss_to_state(trace, p)
    truth = ref.reference_lossfun(inputs, targets, hprev.reshape(H, 1), p) \
        if cell == "rnn" else None
    seen = []
    for s, dstate, _, _ in engine.cells.walk_losses(trace, p):
        seen.append(s)
        rows = dstate[0]
        np.testing.assert_allclose(rows, rows_by_finite_differences(cell, p, inputs, targets,
                                                                     hprev, s),
                                   rtol=1e-5, atol=1e-9, err_msg=f"rows at s={s}")
        np.testing.assert_allclose(rows.sum(axis=0), trace.dh[s], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(np.linalg.norm(rows, axis=1), G[s:, s], rtol=1e-10)
        if cell == "rnn":
            np.testing.assert_allclose(rows.sum(axis=0), truth["dh"][s].ravel(),
                                       rtol=1e-10, atol=1e-14)
            for d, row in enumerate(rows):
                t = s + d
                brute = jacobian(p, trace.hs, t, s).T @ (p["Why"].T @ trace.dy[t])
                np.testing.assert_allclose(row, brute, rtol=1e-9, atol=1e-15)
    assert seen == list(range(T - 1, -1, -1))


def test_reach_matches_loss_to_state():
    params, trace = window(1.2)
    G = engine.loss_to_state(trace, params)
    np.testing.assert_allclose(engine.reach(trace, params), G[T - 1, 0] / G[T - 1, T - 1],
                               rtol=1e-10)


def test_reach_by_lag_is_median_ratio():
    params, trace = window(0.8)
    G = engine.loss_to_state(trace, params)
    curve = engine.reach_by_lag(G)
    assert curve[0] == 1.0
    k = 3
    expected = np.median([G[t, t - k] / G[t, t] for t in range(k, T)])
    np.testing.assert_allclose(curve[k], expected, rtol=1e-12)


def test_whh_spectrum_matches_numpy():
    params = engine.init_params(5, 30, seed=3, scale=0.2)
    spec = engine.whh_spectrum(params)
    eig = np.linalg.eig(params["Whh"]).eigenvalues
    np.testing.assert_allclose(np.sort_complex(spec["eigenvalues"]), np.sort_complex(eig),
                               rtol=1e-10)
    sv = np.linalg.svd(params["Whh"], compute_uv=False)
    np.testing.assert_allclose(spec["singular_values"], sv, rtol=1e-12)
    assert spec["sigma_max"] == pytest.approx(sv[0], rel=1e-12)
    assert spec["spectral_radius"] == pytest.approx(np.abs(eig).max(), rel=1e-10)
    assert spec["spectral_radius"] <= spec["sigma_max"] * (1 + 1e-12)


@pytest.mark.parametrize("init,gain", [("orthogonal", 0.7), ("identity", 1.3)])
def test_whh_init_spectrum(init, gain):
    params = engine.init_params(5, 20, seed=1, whh_init=init, gain=gain)
    sv = np.linalg.svd(params["Whh"], compute_uv=False)
    np.testing.assert_allclose(sv, gain, rtol=1e-12)      # gain times an orthogonal matrix


def test_saturation_counts_units_beyond_099():
    params, trace = window(1.0)
    trace.hs[2, :4] = [0.995, -0.999, 0.5, 0.98]
    sat = engine.saturation(trace)
    assert sat.shape == (T,)
    expected = np.mean(np.abs(trace.hs) > 0.99, axis=1)
    np.testing.assert_array_equal(sat, expected)


def test_effective_learning_rate_summary():
    tr = engine.Trainer("abcabcabd" * 20, hidden_size=8, seq_length=5)
    tr.run(3)
    table = engine.effective_learning_rate(tr.mem, 0.1)
    assert list(table["param"]) == ["Wxh", "Whh", "Why", "bh", "by"]
    lr_eff = 0.1 / np.sqrt(tr.mem["Why"].ravel() + 1e-8)
    row = table.set_index("param").loc["Why"]
    assert row["min"] == pytest.approx(lr_eff.min())
    assert row["max"] == pytest.approx(lr_eff.max())
    assert row["median"] == pytest.approx(np.median(lr_eff))


def test_history_carries_diagnostics():
    tr = engine.Trainer("the cat sat on the mat. " * 10, hidden_size=10, seq_length=8,
                        diagnostics_every=3)
    before = {n: p.copy() for n, p in tr.params.items()}
    trace = tr.step()
    h = tr.history
    # recorded with the weights that produced the trace, not the updated ones
    G = engine.loss_to_state(trace, before)
    assert h["reach"].iloc[0] == pytest.approx(G[-1, 0] / G[-1, -1], rel=1e-9)
    assert h["sigma_max"].iloc[0] == pytest.approx(engine.whh_spectrum(before)["sigma_max"])
    tr.run(9)
    h = tr.history
    measured = np.flatnonzero(np.isfinite(h["sigma_max"]))
    assert list(measured) == [0, 1, 2, 3, 4, 6, 8, 9]     # powers of two and every 3rd
    assert h["saturation"].between(0, 1).all()
    np.testing.assert_allclose(h["saturation"].iloc[-1], engine.saturation(tr.trace).mean())


def test_trace_keeps_the_weights_that_produced_it():
    tr = engine.Trainer("the cat sat on the mat. " * 10, hidden_size=10, seq_length=8)
    before = {n: p.copy() for n, p in tr.params.items()}
    trace = tr.step()
    for name in before:
        np.testing.assert_array_equal(trace.params[name], before[name])
        assert not np.array_equal(tr.params[name], before[name]) or name == "bh"
    tr.step()
    np.testing.assert_array_equal(trace.params["Whh"], before["Whh"])   # a copy, not a view


def test_retune_keeps_weights_and_validates():
    tr = engine.Trainer("the cat sat on the mat. " * 10, hidden_size=10, seq_length=8)
    tr.run(3)
    weights, mem = tr._flat.copy(), tr._mem_flat.copy()
    tr.retune(learning_rate=0.01, clip="norm", threshold=1.0)
    assert (tr.config.learning_rate, tr.config.clip, tr.config.threshold) == (0.01, "norm", 1.0)
    np.testing.assert_array_equal(tr._flat, weights)
    np.testing.assert_array_equal(tr._mem_flat, mem)
    with pytest.raises(ValueError, match="hidden_size"):
        tr.retune(hidden_size=20)
    with pytest.raises(ValueError, match="learning_rate"):
        tr.retune(learning_rate=-1)
    assert tr.config.learning_rate == 0.01
    assert tr.step().norms_after["global"] <= 1.0 + 1e-12


def test_blas_limit_is_scoped():
    from engine import threads
    funcs = threads._openblas()
    if funcs is None:
        pytest.skip("numpy does not use OpenBLAS here; nothing to limit")
    get, put = funcs
    put(2)
    with threads.one_blas_thread():
        assert get() == 1
    assert get() == 2
