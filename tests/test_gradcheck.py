"""Gradients against central finite differences.

The weights are large enough that the hidden units are far from linear (tanh' is well
below 1 and some units are nearly saturated) and that value clipping at the default
threshold 5 changes some gradient entries, so the checks really test the tanh' term and
show that ``grads`` is the gradient *before* clipping.

Besides engine.gradient_check, dL/dhprev, dL/dh_t, dL_{t+1:}/dh_t and dL/dhraw_t are
differenced here through the independent forward pass of tests/reference.py, which
validates the meaning of dhprev, dh, dhnext and dhraw without any backward formula.
"""
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference as ref  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NAMES = ref.NAMES
H, T = 100, 25


def big_params(V, seed=2):
    """Wxh, Why, biases at 0.4; Whh at 0.1 (= 0.4 / sqrt(H / 6)), so sigma_max(Whh) ~ 2:
    strongly nonlinear, but not so chaotic that finite differences lose their digits."""
    rng = np.random.RandomState(seed)
    return {"Wxh": rng.randn(H, V) * 0.4, "Whh": rng.randn(H, H) * 0.1,
            "Why": rng.randn(V, H) * 0.4, "bh": rng.randn(H, 1) * 0.4,
            "by": rng.randn(V, 1) * 0.4}


@pytest.fixture(scope="module")
def case():
    # brackets.txt has 7 characters: every column of Wxh and Why gets a real gradient,
    # and no entry of dWhy is so small (an improbable character) that the round-off of
    # a window loss of ~100, about 1e-14 / eps, reaches 1e-6 of it
    text = (ROOT / "sample_texts" / "brackets.txt").read_text(encoding="utf-8")
    chars, char_to_ix, _ = ref.build_vocab(text)
    params = big_params(len(chars))
    inputs = [char_to_ix[c] for c in text[200:200 + T]]
    targets = [char_to_ix[c] for c in text[201:201 + T]]
    hprev = np.tanh(np.random.RandomState(9).randn(H, 1))
    trace = engine.bptt(params, inputs, targets, hprev)   # default: value clip at 5
    return params, inputs, targets, hprev, trace


def test_regime_is_nonlinear_and_clipped(case):
    params, inputs, targets, hprev, trace = case
    tanh_grad = 1 - trace.hs ** 2
    assert tanh_grad.mean() < 0.75 and tanh_grad.min() < 0.05   # tanh' matters
    assert trace.clip_fraction["global"] > 0                    # clipping acts at 5
    assert not np.array_equal(trace.flat_grads, trace.flat_clipped)


@pytest.mark.parametrize("hprev_shape", ["(H,1)", "(H,)"])
def test_gradient_check_every_parameter(case, hprev_shape):
    params, inputs, targets, hprev, trace = case
    h = hprev if hprev_shape == "(H,1)" else hprev.ravel()
    before = {n: params[n].copy() for n in NAMES}
    # eps 5e-5 balances truncation error (~eps^2) against the round-off of the loss
    # (~1e-14 / eps). See test_gradient_check_round_off_floor for why a few tiny entries
    # (|g| < 1e-4) can exceed 1e-6 in other random samples.
    df = engine.gradient_check(params, inputs, targets, h, checks_per_param=50, eps=5e-5,
                               seed=0)
    for n in NAMES:
        np.testing.assert_array_equal(params[n], before[n])   # params restored
    assert list(df.columns)[:5] == ["param", "index", "analytic", "numeric", "rel_error"]
    assert df["ok"].all()
    assert isinstance(df, pd.DataFrame) and len(df) == 5 * 50
    assert set(df["param"]) == set(NAMES)
    assert (df.groupby("param").size() == 50).all()
    worst = df.groupby("param")["rel_error"].max()
    assert (worst < 1e-6).all(), f"relative errors too large:\n{worst}"
    # the rows are self-consistent: analytic is the pre-clip gradient, rel_error is
    # |a - n| / max(|a|, |n|)
    for row in df.itertuples():
        idx = tuple(int(i) for i in row.index)
        assert len(idx) == params[row.param].ndim
        assert row.analytic == trace.grads[row.param][idx]
        scale = max(abs(row.analytic), abs(row.numeric))
        expected = abs(row.analytic - row.numeric) / scale if scale > 0 else 0.0
        assert row.rel_error == pytest.approx(expected, rel=1e-12, abs=1e-300)
    # nonzero entries are checked in every parameter, not only trivial zeros
    assert (df[df["analytic"] != 0].groupby("param").size() >= 25).all()


def test_gradient_check_round_off_floor(case):
    """A large sample: every entry the float64 loss can resolve (|g| >= 1e-4) is within
    1e-6 relative; the rest are within the round-off floor of the loss, 1e-9 absolute.
    (rel_error = |a - n| / max(|a|, |n|) is bound to exceed 1e-6 on entries near zero:
    a window loss of ~100 carries ~1e-14 of round-off, i.e. ~1e-10 in n at eps 5e-5.)"""
    params, inputs, targets, hprev, _ = case
    df = engine.gradient_check(params, inputs, targets, hprev, checks_per_param=400,
                               eps=5e-5, seed=11)
    scale = np.maximum(df["analytic"].abs(), df["numeric"].abs())
    resolvable = scale >= 1e-4
    assert resolvable.mean() > 0.99
    assert df.loc[resolvable, "rel_error"].max() < 1e-6
    assert ((df["analytic"] - df["numeric"]).abs() <= 1e-6 * scale + 1e-9).all()


def test_gradient_check_defaults_and_seed(case):
    params, inputs, targets, hprev, _ = case
    a = engine.gradient_check(params, inputs, targets, hprev, seed=3)
    b = engine.gradient_check(params, inputs, targets, hprev, seed=3)
    assert len(a) == 5 * 10
    pd.testing.assert_frame_equal(a, b)


def loss_of(inputs, targets, hprev, params, **offsets):
    loss, losses, *_ = ref.reference_forward(inputs, targets, hprev, params, **offsets)
    return loss, losses


def central(f, n, eps):
    """Central differences of the scalar f(delta) along each unit vector of R^n."""
    g = np.empty(n)
    for i in range(n):
        d = np.zeros((n, 1))
        d[i] = eps
        g[i] = (f(d) - f(-d)) / (2 * eps)
    return g


def assert_gradient(numeric, analytic, what):
    analytic = np.asarray(analytic).ravel()
    rel = np.linalg.norm(numeric - analytic) / np.linalg.norm(analytic)
    assert rel < 1e-7, f"{what}: relative error {rel:.2e}"
    np.testing.assert_allclose(numeric, analytic, rtol=1e-5, atol=1e-8, err_msg=what)


EPS = 1e-4


def test_dhprev_is_gradient_of_window_loss_wrt_hprev(case):
    params, inputs, targets, hprev, trace = case
    numeric = central(lambda d: loss_of(inputs, targets, hprev + d, params)[0], H, EPS)
    assert_gradient(numeric, trace.dhprev, "dhprev")


@pytest.mark.parametrize("t", [0, 1, 12, T - 2, T - 1])
def test_dh_is_gradient_of_window_loss_wrt_h_t(case, t):
    params, inputs, targets, hprev, trace = case
    numeric = central(lambda d: loss_of(inputs, targets, hprev, params, h_offset=(t, d))[0],
                      H, EPS)
    assert_gradient(numeric, trace.dh[t], f"dh[{t}]")


@pytest.mark.parametrize("t", [0, 3, 12, T - 2])
def test_dhnext_is_gradient_of_future_losses_wrt_h_t(case, t):
    """dhnext[t] = dL_{t+1:}/dh_t: h_t's influence on the losses after t only."""
    params, inputs, targets, hprev, trace = case

    def future(d):
        _, losses = loss_of(inputs, targets, hprev, params, h_offset=(t, d))
        return sum(losses[k] for k in range(t + 1, T))

    numeric = central(future, H, EPS)
    assert_gradient(numeric, trace.dhnext[t], f"dhnext[{t}]")
    # and it is not dh[t], which also holds loss t's own share Why^T dy_t
    assert np.linalg.norm(numeric - trace.dh[t]) > 1e-2 * np.linalg.norm(trace.dh[t])


@pytest.mark.parametrize("t", [0, 7, T - 1])
def test_dhraw_is_gradient_wrt_pre_activation(case, t):
    params, inputs, targets, hprev, trace = case
    numeric = central(lambda d: loss_of(inputs, targets, hprev, params, raw_offset=(t, d))[0],
                      H, EPS)
    assert_gradient(numeric, trace.dhraw[t], f"dhraw[{t}]")


def test_clipped_entries_are_checked_before_clipping(case):
    """The largest entries (clipped to +-5 in ``clipped``) match finite differences of
    the loss with their *unclipped* value."""
    params, inputs, targets, hprev, trace = case
    checked = 0
    for name in NAMES:
        g = trace.grads[name]
        i = np.unravel_index(np.argmax(np.abs(g)), g.shape)
        if abs(g[i]) <= 5.0:
            continue
        p = {n: params[n].copy() for n in NAMES}
        old = p[name][i]
        p[name][i] = old + 5e-5
        plus = loss_of(inputs, targets, hprev, p)[0]
        p[name][i] = old - 5e-5
        minus = loss_of(inputs, targets, hprev, p)[0]
        numeric = (plus - minus) / 1e-4
        assert numeric == pytest.approx(g[i], rel=1e-6), name
        assert abs(trace.clipped[name][i]) == 5.0
        assert abs(numeric - trace.clipped[name][i]) > 1e-3
        checked += 1
    assert checked >= 1


def test_gradient_check_samples_only_wxh_columns_the_window_reads():
    """On a large vocabulary (prose.txt: most characters absent from a 25-character
    window) every sampled Wxh entry is in the column of a character the window reads,
    so the check is not spent on 0 = 0; those columns are exactly the ones whose
    numeric gradient, by the reference forward pass, can differ from zero."""
    text = (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")
    chars, char_to_ix, _ = ref.build_vocab(text)
    V = len(chars)
    params = big_params(V, seed=4)
    inputs = [char_to_ix[c] for c in text[:T]]
    targets = [char_to_ix[c] for c in text[1:T + 1]]
    hprev = np.zeros((H, 1))
    assert len(set(inputs)) < V / 2              # most columns of Wxh are unused here
    df = engine.gradient_check(params, inputs, targets, hprev, checks_per_param=40,
                               eps=5e-5, seed=1)
    wxh = df[df["param"] == "Wxh"]
    assert len(wxh) == 40 and wxh["ok"].all()
    assert {int(i[1]) for i in wxh["index"]} <= set(inputs)
    assert (wxh["analytic"] != 0).mean() > 0.9   # real gradients, not 0 = 0
    # independently: an unused column does not move the reference loss at all, a used
    # one does (central differences through tests/reference.py's forward pass)
    unused = next(j for j in range(V) if j not in inputs)
    for column, moves in ((unused, False), (inputs[0], True)):
        shifted = lambda sign, column=column: {**params, "Wxh": params["Wxh"] + sign * 1e-3 * (
            np.arange(V) == column)[None, :]}
        plus = loss_of(inputs, targets, hprev, shifted(1))[0]
        minus = loss_of(inputs, targets, hprev, shifted(-1))[0]
        assert (plus != minus) == moves
    # the other parameters are sampled over all their entries
    assert len(engine.gradcheck.live_entries("Why", (V, H), inputs)) == V * H
