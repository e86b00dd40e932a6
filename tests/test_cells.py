"""Gated cells (LSTM, GRU) against the independent reference in tests/reference_gated.py,
PyTorch autograd (when installed) and central finite differences.

Every Trace field, the gradients before and after clipping and one Adagrad step must
agree with the reference to 1e-8 relative; every parameter's gradient with finite
differences to 1e-6; back_step and loss_to_state with finite differences.
"""
import io
import sys
from pathlib import Path

import numpy as np
import pytest

import engine
from engine import cells

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference as ref
import reference_gated as refg

ROOT = Path(__file__).resolve().parents[1]
NAMES = ref.NAMES
CELLS = ("lstm", "gru")
RTOL = 1e-8


def close(actual, expected, rtol=RTOL, atol=1e-14, err_msg=""):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64),
                               rtol=rtol, atol=atol, err_msg=err_msg)


def stack(d, T):
    """Reference dict of column vectors keyed by t -> (T, n) array of rows."""
    return np.stack([np.asarray(d[t]).ravel() for t in range(T)])


@pytest.fixture(scope="module")
def prose():
    return (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")[:6000]


def case(cell, text, H=20, T=25, start=300, seed=3, scale=0.4):
    """A window with weights large enough that the gates spread over (0, 1), nonzero
    biases and a nonzero incoming state."""
    chars, char_to_ix, _ = ref.build_vocab(text)
    params = refg.random_params(cell, len(chars), H, seed=seed, scale=scale)
    inputs = [char_to_ix[c] for c in text[start:start + T]]
    targets = [char_to_ix[c] for c in text[start + 1:start + T + 1]]
    rng = np.random.RandomState(seed + 1)
    hprev = np.tanh(rng.randn(H, 1))
    cprev = rng.randn(H, 1) if cell == "lstm" else None
    return params, inputs, targets, hprev, cprev


def run(cell, params, inputs, targets, hprev, cprev, **kw):
    return engine.bptt(params, inputs, targets, hprev, cell=cell, cprev=cprev, **kw)


# -- every Trace field ------------------------------------------------------------------
@pytest.mark.parametrize("clip,threshold", [("value", 0.5), ("value", 5.0), ("norm", 2.0),
                                            ("none", 5.0)])
@pytest.mark.parametrize("cell", CELLS)
def test_trace_fields_match_reference(prose, cell, clip, threshold):
    params, inputs, targets, hprev, cprev = case(cell, prose)
    T, H = len(inputs), hprev.shape[0]
    tr = run(cell, params, inputs, targets, hprev, cprev, clip=clip, threshold=threshold)
    r = refg.window(cell, inputs, targets, hprev, cprev, params, clip, threshold)
    assert tr.cell == cell
    close(tr.hprev, hprev.ravel())
    close(tr.hs, stack(r["hs"], T), err_msg="hs")
    close(tr.ps, stack(r["ps"], T), err_msg="ps")
    close(tr.losses, [r["losses"][t] for t in range(T)], err_msg="losses")
    close(tr.loss, r["loss"], err_msg="loss")
    close(tr.dy, stack(r["dy"], T), err_msg="dy")
    close(tr.dh, stack(r["dh"], T), err_msg="dh")
    close(tr.dhnext, stack(r["dhnext"], T), err_msg="dhnext")
    close(tr.dhraw, stack(r["dhraw"], T), err_msg="dhraw")
    close(tr.dh_pre, stack(r["dh_pre"], T), err_msg="dh_pre")
    close(tr.dhprev, r["dhprev"].ravel(), err_msg="dhprev")
    assert tr.dhraw.shape == (T, refg.BLOCKS[cell] * H)
    assert list(tr.gates) == list(refg.GATES[cell])
    for name in refg.GATES[cell]:
        close(tr.gates[name], stack(r["gates"][name], T), err_msg=f"gate {name}")
    # dh_t = Why^T dy_t + dhnext_t, and dhnext is zero at the last step
    close(tr.dh, tr.dy @ params["Why"] + tr.dhnext, rtol=1e-12)
    close(tr.dh_from_output, tr.dy @ params["Why"], rtol=1e-12)
    np.testing.assert_array_equal(tr.dhnext[-1], 0.0)
    if cell == "lstm":
        close(tr.cprev, cprev.ravel())
        close(tr.cs, stack(r["cs"], T), err_msg="cs")
        close(tr.tanh_c, np.tanh(stack(r["cs"], T)), err_msg="tanh_c")
        close(tr.dc, stack(r["dc"], T), err_msg="dc")
        close(tr.dcnext, stack(r["dcnext"], T), err_msg="dcnext")
        close(tr.dcprev, r["dcprev"].ravel(), err_msg="dcprev")
        np.testing.assert_array_equal(tr.dcnext[-1], 0.0)
        # dcnext_{t-1} = f_t dc_t
        close(tr.dcnext[:-1], tr.gates["f"][1:] * tr.dc[1:], rtol=1e-12)
        assert tr.whn_h is None
    else:
        close(tr.whn_h, stack(r["whn_h"], T), err_msg="whn_h")
        assert tr.cs is None and tr.dc is None and tr.cprev is None
    assert tr.tanh_grad is None
    for name in NAMES:
        close(tr.grads[name], r["grads"][name], err_msg=f"grad {name}")
        close(tr.clipped[name], r["clipped"][name], err_msg=f"clipped {name}")
    for key in (*NAMES, "global"):
        close(tr.norms_before[key], r["norms_before"][key], err_msg=f"norm before {key}")
        close(tr.norms_after[key], r["norms_after"][key], err_msg=f"norm after {key}")
        assert tr.clip_fraction[key] == pytest.approx(r["clip_fraction"][key], abs=1e-15)
    if clip != "none":
        assert tr.clip_fraction["global"] > 0     # the clip really acted on this window


@pytest.mark.parametrize("cell", CELLS)
def test_zero_state_default_and_shapes(prose, cell):
    params, inputs, targets, _, _ = case(cell, prose, H=8, T=6)
    a = run(cell, params, inputs, targets, np.zeros(8), None)
    b = run(cell, params, inputs, targets, np.zeros((8, 1)),
            np.zeros((8, 1)) if cell == "lstm" else None)
    np.testing.assert_array_equal(a.flat_grads, b.flat_grads)
    c = engine.bptt(params, inputs, targets, np.zeros(8))        # cell read from Whh's shape
    assert c.cell == cell
    np.testing.assert_array_equal(a.flat_grads, c.flat_grads)


@pytest.mark.parametrize("cell", CELLS)
def test_bad_arguments_say_what_to_do(prose, cell):
    params, inputs, targets, hprev, _ = case(cell, prose, H=8, T=6)
    other = "gru" if cell == "lstm" else "lstm"
    with pytest.raises(ValueError, match="cell="):
        engine.bptt(params, inputs, targets, hprev, cell=other)
    with pytest.raises(ValueError, match="cell must be one of"):
        engine.bptt(params, inputs, targets, hprev, cell="transformer")
    if cell == "gru":
        with pytest.raises(ValueError, match="cprev"):
            engine.bptt(params, inputs, targets, hprev, cprev=np.zeros(8))
    else:
        with pytest.raises(ValueError, match="cprev must have 8"):
            engine.bptt(params, inputs, targets, hprev, cprev=np.zeros(7))
    with pytest.raises(ValueError, match="hprev must have 8"):
        engine.bptt(params, inputs, targets, np.zeros(9))
    rnn = ref.random_params(len(params["by"]), 8)
    with pytest.raises(ValueError, match="cprev"):
        engine.bptt(rnn, inputs, targets, hprev, cprev=np.zeros(8))
    with pytest.raises(ValueError, match="cell must be one of"):
        engine.Trainer("abcdefgh" * 20, hidden_size=8, seq_length=5, cell="LSTM")


# -- PyTorch autograd -------------------------------------------------------------------
@pytest.mark.parametrize("cell", CELLS)
def test_matches_torch_autograd(prose, cell):
    torch = pytest.importorskip("torch")
    params, inputs, targets, hprev, cprev = case(cell, prose)
    T, H = len(inputs), hprev.shape[0]
    V = params["Why"].shape[0]
    tr = run(cell, params, inputs, targets, hprev, cprev, clip="none")
    dt = torch.float64
    module = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(V, H, dtype=dt)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.tensor(params["Wxh"]))
        module.weight_hh_l0.copy_(torch.tensor(params["Whh"]))
        module.bias_ih_l0.copy_(torch.tensor(params["bh"][:, 0]))
        module.bias_hh_l0.zero_()
    Why = torch.tensor(params["Why"], requires_grad=True)
    by = torch.tensor(params["by"][:, 0], requires_grad=True)
    x = torch.zeros(T, 1, V, dtype=dt)
    x[torch.arange(T), 0, torch.tensor(inputs)] = 1.0
    h0 = torch.tensor(hprev.reshape(1, 1, H), requires_grad=True)
    if cell == "lstm":
        c0 = torch.tensor(cprev.reshape(1, 1, H), requires_grad=True)
        out, (_, cT) = module(x, (h0, c0))
    else:
        out, _ = module(x, h0)
    loss = torch.nn.functional.cross_entropy(out[:, 0] @ Why.T + by, torch.tensor(targets),
                                             reduction="sum")
    loss.backward()
    close(tr.loss, loss.item(), err_msg="loss")
    close(tr.hs, out[:, 0].detach().numpy(), err_msg="hs")
    torch_grads = {"Wxh": module.weight_ih_l0.grad, "Whh": module.weight_hh_l0.grad,
                   "bh": module.bias_ih_l0.grad.reshape(-1, 1), "Why": Why.grad,
                   "by": by.grad.reshape(-1, 1)}
    for name in NAMES:
        close(tr.grads[name], torch_grads[name].numpy(), err_msg=name)
    # PyTorch's bias_hh gets the gradient at Whh h_{t-1} summed over t: dh_pre
    close(tr.dh_pre.sum(axis=0), module.bias_hh_l0.grad.numpy(), err_msg="dh_pre")
    close(tr.dhprev, h0.grad.numpy().ravel(), err_msg="dhprev")
    if cell == "lstm":
        close(tr.cs[-1], cT.detach().numpy().ravel(), err_msg="c_T")
        close(tr.dcprev, c0.grad.numpy().ravel(), err_msg="dcprev")


# -- finite differences -----------------------------------------------------------------
@pytest.mark.parametrize("cell", CELLS)
def test_gradient_check_every_parameter(cell):
    """engine.gradient_check below 1e-6 on every parameter. brackets.txt (7 characters)
    keeps the window loss small (~45) so that its round-off over 2 eps, ~1e-14 / eps,
    stays far below 1e-6 of a gradient entry; entries smaller than 1e-4 (a gate that
    is nearly shut) are held to that absolute round-off floor instead."""
    text = (ROOT / "sample_texts" / "brackets.txt").read_text(encoding="utf-8")
    params, inputs, targets, hprev, cprev = case(cell, text, H=16, T=20, start=200,
                                                 scale=0.6)
    table = engine.gradient_check(params, inputs, targets, hprev, checks_per_param=40,
                                  eps=5e-5, cell=cell, cprev=cprev)
    assert set(table["param"]) == set(NAMES) and len(table) == 5 * 40
    size = np.maximum(table["analytic"].abs(), table["numeric"].abs())
    large = size >= 1e-4
    assert (table.loc[large, "rel_error"] < 1e-6).all(), table[large].nlargest(3, "rel_error")
    # (every entry drawn moves the loss now that unread Wxh columns are not drawn, so
    # tiny real gradients meet the round-off floor of engine.gradcheck.roundoff_floor)
    assert ((table["analytic"] - table["numeric"]).abs()[~large]
            < table["floor"][~large]).all()
    assert (large.groupby(table["param"]).mean() > 0.6).all()    # mostly real checks
    # the cell is read from the parameter shapes when not given
    inferred = engine.gradient_check(params, inputs, targets, hprev, checks_per_param=3,
                                     eps=5e-5, cprev=cprev)
    explicit = engine.gradient_check(params, inputs, targets, hprev, checks_per_param=3,
                                     eps=5e-5, cell=cell, cprev=cprev)
    np.testing.assert_array_equal(inferred["analytic"], explicit["analytic"])
    assert (inferred["rel_error"] < 1e-6).all()


def test_gradient_check_sees_cprev(prose):
    """The LSTM's incoming c changes the loss; a check that ignored cprev would fail."""
    params, inputs, targets, hprev, cprev = case("lstm", prose, H=8, T=6)
    a = run("lstm", params, inputs, targets, hprev, cprev)
    b = run("lstm", params, inputs, targets, hprev, None)
    assert abs(a.loss - b.loss) > 1e-6


def fd(f, x, eps=1e-6):
    """Central differences of the scalar f at every entry of the column x."""
    out = np.zeros(x.size)
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = eps
        out[j] = (f(x + e) - f(x - e)) / (2 * eps)
    return out


@pytest.mark.parametrize("cell", ("rnn", "lstm", "gru"))
def test_back_step_matches_finite_differences(prose, cell):
    """back_step through step t of a functional phi = dh . h_t (+ dc . c_t) of the state
    after step t, recomputed by one reference step from perturbed inputs."""
    H, T, t = 7, 6, 3
    if cell == "rnn":
        chars, char_to_ix, _ = ref.build_vocab(prose)
        params = ref.random_params(len(chars), H, seed=2, scale=0.4, bias_scale=0.3)
        inputs = [char_to_ix[c] for c in prose[50:50 + T]]
        targets = [char_to_ix[c] for c in prose[51:51 + T]]
        hprev, cprev = np.tanh(np.random.RandomState(1).randn(H, 1)), None
    else:
        params, inputs, targets, hprev, cprev = case(cell, prose, H=H, T=T)
    tr = engine.bptt(params, inputs, targets, hprev, cprev=cprev)
    rng = np.random.default_rng(5)
    B = 3
    dstate = tuple(rng.standard_normal((B, H)) for _ in cells.STATE[cell])
    (dprev, dx, dhp) = cells.back_step(tr, params, t, dstate)
    k = refg.BLOCKS.get(cell, 1)
    assert dx.shape == dhp.shape == (B, k * H) and all(d.shape == (B, H) for d in dprev)
    V = params["Why"].shape[0]
    x = np.zeros((V, 1))
    x[inputs[t]] = 1
    h0 = tr.hs[t - 1].reshape(H, 1)
    c0 = tr.cs[t - 1].reshape(H, 1) if cell == "lstm" else None

    def step(h, c, x_offset=None, h_offset=None):
        if cell == "lstm":
            h1, c1, _ = refg.lstm_cell(x, h, c, params, x_offset, h_offset)
            return h1, c1
        if cell == "gru":
            return refg.gru_cell(x, h, params, x_offset, h_offset)[0], None
        a = params["Wxh"] @ x + params["bh"] + params["Whh"] @ h
        a = a + (0 if x_offset is None else x_offset) + (0 if h_offset is None else h_offset)
        return np.tanh(a), None

    for b in range(B):
        def phi(h1, c1, b=b):
            out = float(dstate[0][b] @ h1.ravel())
            return out + (float(dstate[1][b] @ c1.ravel()) if cell == "lstm" else 0.0)
        zero = np.zeros((k * H, 1))
        close(dprev[0][b], fd(lambda h: phi(*step(h, c0)), h0), rtol=1e-6, atol=1e-9)
        if cell == "lstm":
            close(dprev[1][b], fd(lambda c: phi(*step(h0, c)), c0), rtol=1e-6, atol=1e-9)
        close(dx[b], fd(lambda o: phi(*step(h0, c0, x_offset=o)), zero), rtol=1e-6,
              atol=1e-9)
        close(dhp[b], fd(lambda o: phi(*step(h0, c0, h_offset=o)), zero), rtol=1e-6,
              atol=1e-9)
    if cell != "gru":
        np.testing.assert_array_equal(dx, dhp)
    # one row, 1-D: the same numbers
    one = cells.back_step(tr, params, t, tuple(d[0] for d in dstate))
    close(one[1], dx[0], rtol=1e-13)


@pytest.mark.parametrize("cell", CELLS)
def test_back_step_reproduces_the_window_backward(prose, cell):
    """Walking the Trace's own dh/dc back with back_step, step by step, gives dhnext,
    dcnext, dhraw, dh_pre and the weight gradients."""
    params, inputs, targets, hprev, cprev = case(cell, prose, H=10, T=12)
    tr = run(cell, params, inputs, targets, hprev, cprev, clip="none")
    T = 12
    dWxh, dWhh = np.zeros_like(params["Wxh"]), np.zeros_like(params["Whh"])
    dstate = cells.zero_state(tr)
    for t in range(T - 1, -1, -1):
        close(dstate[0], tr.dhnext[t], rtol=1e-10, atol=1e-13)
        dstate = (dstate[0] + tr.dy[t] @ params["Why"],) + dstate[1:]
        if cell == "lstm":
            close(dstate[1], tr.dcnext[t], rtol=1e-10, atol=1e-13)
        dstate, dx, dhp = cells.back_step(tr, params, t, dstate)
        close(dx, tr.dhraw[t], rtol=1e-10, atol=1e-13)
        close(dhp, tr.dh_pre[t], rtol=1e-10, atol=1e-13)
        dWxh[:, inputs[t]] += dx
        dWhh += np.outer(dhp, hprev.ravel() if t == 0 else tr.hs[t - 1])
    close(dstate[0], tr.dhprev, rtol=1e-10, atol=1e-13)
    close(dWxh, tr.grads["Wxh"], rtol=1e-10, atol=1e-13)
    close(dWhh, tr.grads["Whh"], rtol=1e-10, atol=1e-13)
    if cell == "lstm":
        close(dstate[1], tr.dcprev, rtol=1e-10, atol=1e-13)


# -- diagnostics ------------------------------------------------------------------------
@pytest.mark.parametrize("cell", CELLS)
def test_loss_to_state_matches_finite_differences(prose, cell):
    """G[t, s] = ||dL_t/dh_s|| by perturbing h_s in the reference forward (c_s fixed)."""
    H, T = 6, 8
    params, inputs, targets, hprev, cprev = case(cell, prose, H=H, T=T)
    tr = run(cell, params, inputs, targets, hprev, cprev)
    G = engine.loss_to_state(tr, params)
    assert G.shape == (T, T)
    eps = 1e-6
    for s in range(T):
        J = np.zeros((T, H))                   # J[t, j] = dL_t / dh_s[j]
        for j in range(H):
            e = np.zeros((H, 1))
            e[j] = eps
            up = refg.forward(cell, inputs, targets, hprev, cprev, params, (s, e))["losses"]
            dn = refg.forward(cell, inputs, targets, hprev, cprev, params, (s, -e))["losses"]
            J[:, j] = [(up[t] - dn[t]) / (2 * eps) for t in range(T)]
        for t in range(T):
            if t < s:
                assert np.isnan(G[t, s])
                np.testing.assert_allclose(J[t], 0.0, atol=1e-9)   # no effect on the past
            else:
                close(G[t, s], np.linalg.norm(J[t]), rtol=1e-6, atol=1e-10,
                      err_msg=f"G[{t},{s}]")


@pytest.mark.parametrize("cell", CELLS)
def test_reach_and_reach_by_lag(prose, cell):
    params, inputs, targets, hprev, cprev = case(cell, prose, H=10, T=12)
    tr = run(cell, params, inputs, targets, hprev, cprev)
    G = engine.loss_to_state(tr, params)
    close(engine.reach(tr, params), G[-1, 0] / G[-1, -1], rtol=1e-10)
    curve = engine.reach_by_lag(G)
    assert curve[0] == 1.0
    close(curve[4], np.median([G[t, t - 4] / G[t, t] for t in range(4, 12)]), rtol=1e-12)
    close(np.diag(G), np.linalg.norm(tr.dy @ params["Why"], axis=1), rtol=1e-12)


def test_generic_loss_to_state_agrees_with_the_vanilla_one(prose):
    """cells.flow (back_step, batched over losses) and diagnostics' own vanilla product."""
    from engine.cells import flow
    chars, char_to_ix, _ = ref.build_vocab(prose)
    params = ref.random_params(len(chars), 16, seed=4, scale=0.3, bias_scale=0.1)
    inputs = [char_to_ix[c] for c in prose[:20]]
    targets = [char_to_ix[c] for c in prose[1:21]]
    tr = engine.bptt(params, inputs, targets, np.zeros(16))
    close(flow.loss_to_state(tr, params), engine.loss_to_state(tr, params), rtol=1e-10)
    close(flow.reach(tr, params), engine.reach(tr, params), rtol=1e-10)


@pytest.mark.parametrize("cell", CELLS)
def test_jacobian_norms_refuses_gated_cells(prose, cell):
    params, inputs, targets, hprev, cprev = case(cell, prose, H=6, T=5)
    tr = run(cell, params, inputs, targets, hprev, cprev)
    with pytest.raises(ValueError, match="vanilla cell.*loss_to_state"):
        engine.jacobian_norms(tr, params)


@pytest.mark.parametrize("cell", CELLS)
def test_whh_spectrum_of_the_candidate_block(cell):
    H = 9
    params = engine.init_params(5, H, seed=1, scale=0.3, cell=cell)
    spec = engine.whh_spectrum(params)
    candidate = params["Whh"][2 * H: 3 * H]
    sv = np.linalg.svd(candidate, compute_uv=False)
    close(spec["singular_values"], sv, rtol=1e-12)
    np.testing.assert_allclose(np.sort_complex(spec["eigenvalues"]),
                               np.sort_complex(np.linalg.eigvals(candidate)), rtol=1e-10)
    assert spec["sigma_max"] == pytest.approx(sv[0], rel=1e-12)
    assert "candidate" in spec["measures"] and ("'g'" if cell == "lstm" else "'n'") in \
        spec["measures"]
    gates = refg.GATES[cell]
    assert list(spec["block_sigma_max"]) == list(gates)
    for j, g in enumerate(gates):
        assert spec["block_sigma_max"][g] == pytest.approx(
            np.linalg.norm(params["Whh"][j * H:(j + 1) * H], 2), rel=1e-12)
    assert engine.whh_spectrum(engine.init_params(5, H))["measures"].startswith("Whh")


@pytest.mark.parametrize("cell", CELLS)
def test_gate_saturation(prose, cell):
    params, inputs, targets, hprev, cprev = case(cell, prose, H=20, T=25, scale=1.5)
    tr = run(cell, params, inputs, targets, hprev, cprev)
    sat = engine.gate_saturation(tr)
    names = list(refg.GATES[cell]) + (["tanh_c"] if cell == "lstm" else [])
    assert list(sat) == names
    sigmoid = {"i", "f", "o", "r", "z"}
    for name in refg.GATES[cell]:
        a = tr.gates[name]
        if name in sigmoid:     # slope below 2% of its peak: s < 0.005 or s > 0.995
            expected = np.mean((a < 0.005) | (a > 0.995), axis=1)
        else:
            expected = np.mean(np.abs(a) > 0.99, axis=1)
        close(sat[name], expected, atol=0, rtol=1e-15, err_msg=name)
        assert sat[name].shape == (25,)
    assert max(s.max() for s in sat.values()) > 0      # the check is not vacuous
    close(engine.saturation(tr), np.mean(np.abs(tr.hs) > 0.99, axis=1), atol=0)
    rnn_tr = engine.bptt(ref.random_params(len(params["by"]), 8), inputs, targets,
                         np.zeros(8))
    assert list(engine.gate_saturation(rnn_tr)) == ["h"]


# -- training ---------------------------------------------------------------------------
def put_state(reference, trainer):
    """Put the reference trainer in the engine trainer's exact state."""
    reference.params = {n: trainer.params[n].copy() for n in NAMES}
    reference.mem = {n: trainer.mem[n].copy() for n in NAMES}
    reference.hprev = trainer.hprev.reshape(-1, 1).copy()
    if trainer.cprev is not None:
        reference.cprev = trainer.cprev.reshape(-1, 1).copy()
    reference.p, reference.n = trainer.position, trainer.iteration
    reference.smooth_loss = trainer.smooth_loss


@pytest.mark.parametrize("cell", CELLS)
def test_training_steps_match_reference(cell):
    """Shadowing at lr 0.1: before every engine step the reference takes the engine's
    state and the same step; loss, smooth loss, the Adagrad update (parameters and
    memory) and the carried h and c must agree to 1e-8. 160 steps of 13 characters on
    1000 characters cross two wraps of the data pointer (where h and c reset)."""
    text = (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")[:1000]
    V = len(set(text))
    params = refg.random_params(cell, V, 24, seed=7, scale=0.2, bias_scale=0.1)
    tr = engine.Trainer(text, hidden_size=24, seq_length=13, cell=cell, params=params)
    other = refg.GatedTrainer(cell, text, params, seq_length=13)
    wraps = 0
    for i in range(160):
        put_state(other, tr)
        out = other.step()
        trace = tr.step()
        wraps += trace.position == 0
        close(trace.loss, out["loss"], err_msg=f"loss at {i}")
        assert tr.smooth_loss == pytest.approx(other.smooth_loss, rel=1e-12)
        for n in NAMES:
            close(tr.params[n], other.params[n], atol=1e-13, err_msg=f"{n} at {i}")
            close(tr.mem[n], other.mem[n], atol=1e-15, err_msg=f"mem {n} at {i}")
        close(tr.hprev, other.hprev.ravel(), err_msg=f"hprev at {i}")
        if cell == "lstm":
            close(tr.cprev, other.cprev.ravel(), err_msg=f"cprev at {i}")
            close(tr.cprev, trace.cs[-1], rtol=0, atol=0)
        assert tr.position == other.p
    assert wraps == 3      # iteration 0 and two wraps


@pytest.mark.parametrize("cell", CELLS)
def test_free_run_matches_reference(cell):
    """Without shadowing, 40 iterations agree to 1e-8 before chaos can separate them."""
    text = (ROOT / "sample_texts" / "long_gap.txt").read_text(encoding="utf-8")[:600]
    params = refg.random_params(cell, len(set(text)), 30, seed=1, scale=0.1,
                                bias_scale=0.0)
    tr = engine.Trainer(text, hidden_size=30, seq_length=25, cell=cell, params=params)
    other = refg.GatedTrainer(cell, text, params, seq_length=25)
    losses = [tr.step().loss for _ in range(40)]
    expected = [other.step()["loss"] for _ in range(40)]
    close(losses, expected)
    for n in NAMES:
        close(tr.params[n], other.params[n], atol=1e-13, err_msg=n)


@pytest.mark.parametrize("cell", CELLS)
def test_trainer_carries_and_resets_the_state(cell):
    text = "abcdefghij" * 12
    tr = engine.Trainer(text, hidden_size=10, seq_length=10, cell=cell)
    assert (tr.cprev is not None) == (cell == "lstm")
    for _ in range(25):
        hprev, cprev = tr.hprev.copy(), None if tr.cprev is None else tr.cprev.copy()
        trace = tr.step()
        if trace.position == 0:            # first window and every wrap start from zero
            np.testing.assert_array_equal(trace.hprev, 0.0)
            if cell == "lstm":
                np.testing.assert_array_equal(trace.cprev, 0.0)
        else:
            np.testing.assert_array_equal(trace.hprev, hprev)
            if cell == "lstm":
                np.testing.assert_array_equal(trace.cprev, cprev)
        np.testing.assert_array_equal(tr.hprev, trace.hs[-1])
        if cell == "lstm":
            np.testing.assert_array_equal(tr.cprev, trace.cs[-1])


@pytest.mark.parametrize("cell", CELLS)
def test_history_rows_for_gated_cells(cell):
    tr = engine.Trainer("the cat sat on the mat. " * 10, hidden_size=10, seq_length=8,
                        cell=cell, diagnostics_every=3)
    before = {n: p.copy() for n, p in tr.params.items()}
    trace = tr.step()
    h = tr.history
    G = engine.loss_to_state(trace, before)
    assert h["reach"].iloc[0] == pytest.approx(G[-1, 0] / G[-1, -1], rel=1e-9)
    assert h["sigma_max"].iloc[0] == pytest.approx(engine.whh_spectrum(before)["sigma_max"])
    assert h["saturation"].iloc[0] == pytest.approx(engine.saturation(trace).mean())
    tr.run(9)
    assert list(np.flatnonzero(np.isfinite(tr.history["reach"]))) == [0, 1, 2, 3, 4, 6, 8, 9]
    assert np.isfinite(tr.history["grad_norm_Whh"]).all()


@pytest.mark.parametrize("cell", CELLS)
def test_sampling_follows_the_cell(cell):
    """Trainer.sample against a sampler built on the reference's one-step cell."""
    text = "the cat sat on the mat. " * 10
    tr = engine.Trainer(text, hidden_size=12, seq_length=8, cell=cell)
    tr.run(30)
    state = (tr.hprev.copy(), None if tr.cprev is None else tr.cprev.copy())
    got = tr.sample(40, rng_seed=3, seed_text="the ")
    np.testing.assert_array_equal(tr.hprev, state[0])        # state untouched
    p = {n: tr.params[n] for n in NAMES}
    V, H = len(tr.vocab), 12
    h = tr.hprev.reshape(H, 1)
    c = None if cell == "gru" else tr.cprev.reshape(H, 1)

    def advance(ix, h, c):
        x = np.zeros((V, 1))
        x[ix] = 1
        if cell == "lstm":
            return refg.lstm_cell(x, h, c, p)[:2]
        return refg.gru_cell(x, h, p)[0], None

    seed = tr.vocab.encode("the ")
    for ix in seed[:-1]:
        h, c = advance(ix, h, c)
    ix, rng, out = int(seed[-1]), np.random.default_rng(3), []
    for _ in range(40):
        h, c = advance(ix, h, c)
        y = (p["Why"] @ h + p["by"]).ravel()
        cdf = np.cumsum(np.exp(y - y.max()))
        ix = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), V - 1)
        out.append(ix)
    assert got == tr.vocab.decode(np.array(out))


@pytest.mark.parametrize("cell", CELLS)
def test_checkpoint_resumes_bit_for_bit(cell, tmp_path):
    text = (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")[:1200]
    kw = {"hidden_size": 20, "seq_length": 25, "cell": cell}
    straight = engine.Trainer(text, **kw)
    straight.run(100)
    first = engine.Trainer(text, **kw)
    first.run(40)
    path = tmp_path / "gated.npz"
    first.save(path)
    resumed = engine.Trainer.load(path)
    assert resumed.config.cell == cell
    if cell == "lstm":
        np.testing.assert_array_equal(resumed.cprev, first.cprev)
    else:
        assert resumed.cprev is None
    resumed.run(60)
    np.testing.assert_array_equal(resumed._flat, straight._flat)
    np.testing.assert_array_equal(resumed._mem_flat, straight._mem_flat)
    np.testing.assert_array_equal(resumed.hprev, straight.hprev)
    if cell == "lstm":
        np.testing.assert_array_equal(resumed.cprev, straight.cprev)
    assert resumed.smooth_loss == straight.smooth_loss
    assert resumed.history.equals(straight.history)
    assert resumed.sample(50, rng_seed=2) == straight.sample(50, rng_seed=2)


def test_checkpoint_without_cell_state_is_refused_and_old_ones_load(tmp_path):
    text = (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")[:600]
    lstm = engine.Trainer(text, hidden_size=8, cell="lstm")
    lstm.run(3)
    buf = io.BytesIO()
    lstm.save(buf)
    with np.load(io.BytesIO(buf.getvalue())) as npz:
        arrays = {k: npz[k] for k in npz.files}
    del arrays["cprev"]
    broken = io.BytesIO()
    np.savez(broken, **arrays)
    broken.seek(0)
    with pytest.raises(ValueError, match="cell state cprev is missing"):
        engine.Trainer.load(broken)
    # a checkpoint written before gated cells existed (no hyper_cell) is a vanilla rnn
    rnn = engine.Trainer(text, hidden_size=8)
    rnn.run(3)
    buf = io.BytesIO()
    rnn.save(buf)
    with np.load(io.BytesIO(buf.getvalue())) as npz:
        arrays = {k: npz[k] for k in npz.files if k != "hyper_cell"}
    old = io.BytesIO()
    np.savez(old, **arrays)
    old.seek(0)
    back = engine.Trainer.load(old)
    assert back.config.cell == "rnn" and back.cprev is None
    np.testing.assert_array_equal(back._flat, rnn._flat)


def test_command_line_trains_a_gated_cell(tmp_path):
    import subprocess
    out = tmp_path / "run"
    res = subprocess.run([sys.executable, "-m", "engine", "train",
                          str(ROOT / "sample_texts" / "periodic.txt"), "--iterations", "30",
                          "--hidden", "16", "--cell", "lstm", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    tr = engine.Trainer.load(out / "checkpoint.npz")
    assert tr.config.cell == "lstm" and tr.iteration == 30 and tr.cprev.shape == (16,)
