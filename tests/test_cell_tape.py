"""engine/cells/tape.py: the paths of each step back and single losses followed through
the window, against the plain reference (tests/reference_gated.py) and central finite
differences through the cell state."""
import sys
from pathlib import Path

import numpy as np
import pytest

import engine
from engine.cells import tape

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference as ref
import reference_gated as refg

ROOT = Path(__file__).resolve().parents[1]
PROSE = (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")[:3000]


def close(actual, expected, rtol=1e-9, atol=1e-13, err_msg=""):
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float),
                               rtol=rtol, atol=atol, err_msg=err_msg)


def case(cell, H=8, T=10, seed=2):
    chars, char_to_ix, _ = ref.build_vocab(PROSE)
    inputs = [char_to_ix[c] for c in PROSE[200:200 + T]]
    targets = [char_to_ix[c] for c in PROSE[201:201 + T]]
    rng = np.random.RandomState(seed + 1)
    hprev = np.tanh(rng.randn(H, 1))
    if cell == "rnn":
        params = engine.init_params(len(chars), H, seed=seed, scale=0.3)
        cprev = None
    else:
        params = refg.random_params(cell, len(chars), H, seed=seed, scale=0.5)
        cprev = rng.randn(H, 1) if cell == "lstm" else None
    trace = engine.bptt(params, inputs, targets, hprev, cell=cell, cprev=cprev)
    return params, inputs, targets, hprev, cprev, trace


def rows(d, T):
    return np.stack([np.asarray(d[t]).ravel() for t in range(T)])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_paths_add_up_to_what_each_step_hands_back(cell):
    params, inputs, targets, hprev, cprev, tr = case(cell)
    T = tr.T
    parts = tape.paths(tr, params)
    handed_back = np.vstack([tr.dhprev, tr.dhnext[:-1]])      # row t: dhnext_{t-1}
    if cell == "rnn":
        assert set(parts) == {"through_whh"}
        close(parts["through_whh"], handed_back)
        return
    r = refg.lossfun(cell, inputs, targets, hprev, cprev, params)
    dh = rows(r["dh"], T)
    close(parts["through_whh"], rows(r["dh_pre"], T) @ params["Whh"])
    if cell == "gru":
        close(parts["carry"], rows(r["gates"]["z"], T) * dh)
        close(parts["through_whh"] + parts["carry"], handed_back)
    else:
        dc, o = rows(r["dc"], T), rows(r["gates"]["o"], T)
        tanh_c = np.tanh(rows(r["cs"], T))
        close(parts["dc_from_h"], dh * o * (1 - tanh_c ** 2))
        close(parts["carry"], np.vstack([tr.dcprev, tr.dcnext[:-1]]))  # f_t dc_t
        close(parts["dc_from_h"] + rows(r["dcnext"], T), dc)          # dc's two sources
        close(parts["through_whh"], handed_back)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_tape_norms(cell):
    params, *_, tr = case(cell)
    table = tape.tape_norms(tr, params)
    assert list(table["t"]) == list(range(tr.T))
    close(table["dh"], np.linalg.norm(tr.dh, axis=1))
    close(table["dhnext"], np.linalg.norm(tr.dhnext, axis=1))
    if cell == "rnn":
        assert "keep" not in table and "dc" not in table
        return
    for name, values in tr.gates.items():
        close(table[f"mean_{name}"], values.mean(axis=1))
    gate, base = ("f", tr.dc) if cell == "lstm" else ("z", tr.dh)
    expected = [np.sqrt(np.sum(tr.gates[gate][t] ** 2 * base[t] ** 2) / np.sum(base[t] ** 2))
                for t in range(tr.T)]
    close(table["keep"], expected)          # an RMS of the gate, weighted by the gradient
    assert ((table["keep"] >= 0) & (table["keep"] <= 1)).all()
    if cell == "lstm":
        close(table["dc"], np.linalg.norm(tr.dc, axis=1))
        close(table["dcnext"], np.linalg.norm(tr.dcnext, axis=1))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_walk_back_splits_the_gradient_by_loss(cell):
    """Summed over the losses, the single-loss gradients are the window's dh (and dc);
    their norms are loss_to_state's (and loss_to_cell's) columns."""
    params, *_, tr = case(cell)
    G = engine.loss_to_state(tr, params)
    C = tape.loss_to_cell(tr, params) if cell == "lstm" else None
    seen = []
    for s, dh, dc in tape.walk_back(tr, params):
        seen.append(s)
        assert dh.shape == (tr.T - s, tr.dh.shape[1])
        close(dh.sum(axis=0), tr.dh[s], err_msg=f"dh at s={s}")
        close(np.linalg.norm(dh, axis=1), G[s:, s], err_msg=f"G column {s}")
        close(dh[0], tr.dh_from_output[s])          # L_s reaches h_s directly
        if cell == "lstm":
            close(dc.sum(axis=0), tr.dc[s], err_msg=f"dc at s={s}")
            close(np.linalg.norm(dc, axis=1), C[s:, s])
            assert np.isnan(C[:s, s]).all()
        else:
            assert dc is None
    assert seen == list(range(tr.T - 1, -1, -1))


def _losses_with_c_offset(inputs, targets, hprev, cprev, params, s, e):
    """Per-step losses of the reference LSTM with c_s replaced by c_s + e (so h_s =
    o_s tanh(c_s + e) sees it too)."""
    V, H = params["Why"].shape
    h, c = hprev.reshape(H, 1), cprev.reshape(H, 1)
    losses = []
    for t, (ix, target) in enumerate(zip(inputs, targets, strict=True)):
        x = np.zeros((V, 1))
        x[ix] = 1
        h, c, gates = refg.lstm_cell(x, h, c, params)
        if t == s:
            c = c + e
            h = gates["o"] * np.tanh(c)
        y = params["Why"] @ h + params["by"]
        p = np.exp(y - y.max())
        losses.append(-np.log(p[target, 0] / p.sum()))
    return np.array(losses)


def test_loss_to_cell_matches_finite_differences():
    params, inputs, targets, hprev, cprev, tr = case("lstm", H=5, T=7)
    C = tape.loss_to_cell(tr, params)
    T, H, eps = tr.T, 5, 1e-6
    for s in range(T):
        J = np.zeros((T, H))
        for j in range(H):
            e = np.zeros((H, 1))
            e[j] = eps
            up = _losses_with_c_offset(inputs, targets, hprev, cprev, params, s, e)
            dn = _losses_with_c_offset(inputs, targets, hprev, cprev, params, s, -e)
            J[:, j] = (up - dn) / (2 * eps)
        for t in range(T):
            if t < s:
                assert np.isnan(C[t, s])
                np.testing.assert_allclose(J[t], 0.0, atol=1e-9)
            else:
                close(C[t, s], np.linalg.norm(J[t]), rtol=1e-6, atol=1e-10,
                      err_msg=f"C[{t},{s}]")


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_loss_to_cell_needs_a_cell_state(cell):
    params, *_, tr = case(cell)
    with pytest.raises(ValueError, match="loss_to_state"):
        tape.loss_to_cell(tr, params)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_follow_loss_is_one_row_of_the_walk(cell):
    params, *_, tr = case(cell)
    rows = {s: (dh, dc) for s, dh, dc in tape.walk_back(tr, params)}
    for t in (0, 4, tr.T - 1):
        one = tape.follow_loss(tr, params, t)
        assert one["dh"].shape == (t + 1, tr.hs.shape[1])
        for s in range(t + 1):
            close(one["dh"][s], rows[s][0][t - s], err_msg=f"dh t={t} s={s}")
            if cell == "lstm":
                close(one["dc"][s], rows[s][1][t - s], err_msg=f"dc t={t} s={s}")
        assert (one["dc"] is None) == (cell != "lstm")
    with pytest.raises(ValueError, match="timestep of the window"):
        tape.follow_loss(tr, params, tr.T)
