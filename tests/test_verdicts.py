"""Verdicts and model math that belong to the engine: the gradient check's pass/fail,
per-timestep norms, the cost estimate; one Adagrad epsilon; dead code gone."""
import inspect
import tracemalloc

import numpy as np
import pytest

import engine
from engine import cost
from engine.gradcheck import PASS_REL_ERROR, roundoff_floor, window_loss

TEXT = "the quick brown fox jumps over the lazy dog. " * 20


@pytest.fixture(scope="module")
def trainer():
    tr = engine.Trainer(TEXT, hidden_size=16, seq_length=12)
    tr.run(40)
    return tr


# -- gradient check verdict -----------------------------------------------------------------
def test_gradient_check_carries_its_verdict(trainer):
    trace = trainer.trace
    table = engine.gradient_check(trainer.params, trace.inputs, trace.targets, trace.hprev)
    loss = window_loss({n: np.asarray(a) for n, a in trainer.params.items()}, trace.inputs,
                       trace.targets, trace.hprev)
    floor = 10 * np.finfo(float).eps * max(abs(loss), 1.0) / 1e-5
    np.testing.assert_allclose(table["floor"], floor, rtol=1e-12)
    np.testing.assert_allclose(table["abs_error"], (table["analytic"] - table["numeric"]).abs())
    expected = (table["rel_error"] < 1e-5) | (table["abs_error"] < floor)
    assert (table["ok"] == expected).all() and table["ok"].all()
    summary = engine.gradient_check_summary(table)
    assert summary["ok"] and summary["passed"] == summary["total"] == len(table)
    worst = table["rel_error"].idxmax()
    assert summary["worst_param"] == table.loc[worst, "param"]
    assert summary["worst_rel_error"] == table.loc[worst, "rel_error"]


def test_a_wrong_gradient_fails_the_check(trainer, monkeypatch):
    import engine.gradcheck as gc
    real = gc.bptt

    def wrong(*args, **kw):
        trace = real(*args, **kw)
        trace.grads["Whh"] *= 1.01              # 1% off: a real bug, not round-off
        return trace
    monkeypatch.setattr(gc, "bptt", wrong)
    trace = trainer.trace
    table = engine.gradient_check(trainer.params, trace.inputs, trace.targets, trace.hprev)
    bad = table[table["param"] == "Whh"]
    big = bad["analytic"].abs() > 1e3 * bad["floor"]
    assert not bad.loc[big, "ok"].any()                  # each sizeable entry is caught
    assert table.loc[table["param"] != "Whh", "ok"].all()
    summary = engine.gradient_check_summary(table)
    assert not summary["ok"] and summary["worst_param"] == "Whh"


def test_round_off_is_not_a_failure():
    # a rel_error of 1 on a gradient far below the floor is round-off: ok
    assert roundoff_floor(50.0) == pytest.approx(10 * 2.220446e-16 * 50 / 1e-5)
    assert roundoff_floor(0.01) == roundoff_floor(1.0)
    assert PASS_REL_ERROR == 1e-5


def test_the_view_only_shows_the_verdict():
    from dashboard.views import gradcheck as view
    source = inspect.getsource(view)
    assert "def roundoff_floor" not in source and "rel_error\"] <" not in source
    assert "gradient_check_summary" in source


@pytest.mark.parametrize("bad", [{"checks_per_param": 0}, {"checks_per_param": "3"},
                                 {"eps": 0}, {"eps": "1e-5"}, {"eps": True}])
def test_gradient_check_arguments(trainer, bad):
    trace = trainer.trace
    with pytest.raises(ValueError, match=next(iter(bad))):
        engine.gradient_check(trainer.params, trace.inputs, trace.targets, trace.hprev, **bad)


# -- per-timestep norms -----------------------------------------------------------------------
def test_timestep_norms_against_the_equations(trainer):
    trace = trainer.trace
    p = trace.params                    # the weights that produced this window
    table = engine.timestep_norms(trace)
    assert list(table["t"]) == list(range(trace.T))
    for t in range(trace.T):
        from_output = p["Why"].T @ trace.dy[t]                  # Why^T dy_t
        dhnext = (p["Whh"].T @ trace.dhraw[t + 1]) if t + 1 < trace.T else np.zeros(16)
        dh = from_output + dhnext
        dhraw = (1 - trace.hs[t] ** 2) * dh
        for name, vec in (("dh_from_output", from_output), ("dhnext", dhnext), ("dh", dh),
                          ("dhraw", dhraw)):
            assert table.loc[t, name] == pytest.approx(np.sqrt(np.sum(vec ** 2)), rel=1e-9)
        share = np.sqrt(dhnext @ dhnext) / (np.sqrt(from_output @ from_output)
                                            + np.sqrt(dhnext @ dhnext))
        assert table.loc[t, "future_share"] == pytest.approx(share, rel=1e-9, abs=1e-15)
    assert table["future_share"].iloc[-1] == 0.0
    assert table["future_share"].between(0, 1).all()


def test_the_explorer_takes_its_norms_from_the_engine():
    from dashboard.views import explorer
    source = inspect.getsource(explorer)
    assert "engine.timestep_norms" in source
    assert "np.linalg.norm(a, axis=1)" not in source


# -- one Adagrad epsilon ------------------------------------------------------------------------
def test_effective_learning_rate_is_the_step_the_trainer_takes():
    tr = engine.Trainer(TEXT, hidden_size=8, seq_length=6)
    tr.run(3)
    before = tr._flat.copy()
    lr_eff = {n: tr.config.learning_rate / np.sqrt(m + engine.trainer.ADAGRAD_EPS)
              for n, m in tr.mem.items()}
    table = engine.effective_learning_rate(tr.mem, tr.config.learning_rate)
    for _, row in table.iterrows():
        assert row["max"] == pytest.approx(lr_eff[row["param"]].max(), rel=1e-12)
    trace = tr.step()
    g = trace.flat_clipped
    mem = np.concatenate([m.ravel() for m in tr.mem.values()])
    expected = before - tr.config.learning_rate * g / np.sqrt(mem + 1e-8)
    np.testing.assert_allclose(tr._flat, expected, rtol=1e-12, atol=1e-15)
    from engine import diagnostics, trainer
    assert diagnostics.ADAGRAD_EPS is trainer.ADAGRAD_EPS
    assert "1e-8" not in inspect.getsource(diagnostics)


def test_history_saturation_is_the_diagnostic(trainer):
    assert trainer.history["saturation"].iloc[-1] == pytest.approx(
        engine.saturation(trainer.trace).mean(), rel=1e-12)


# -- cost estimate ---------------------------------------------------------------------------
def test_cost_grows_with_every_size():
    base = engine.estimate_cost(100, 100, 25)
    for bigger in ((1000, 100, 25), (100, 400, 25), (100, 100, 200)):
        c = engine.estimate_cost(*bigger)
        assert c.seconds_per_step > base.seconds_per_step and c.peak_bytes > base.peak_bytes


def measured_peak(V, H, T):
    text = "".join(chr(0x4E00 + i) for i in range(V)) * 3 + "ab" * T
    tracemalloc.start()
    tr = engine.Trainer(text, hidden_size=H, seq_length=T, diagnostics_every=10**9)
    tr.run(3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, len(tr.vocab), len(tr.text)


@pytest.mark.parametrize("V, H, T", [(60, 300, 40), (1500, 64, 120)])
def test_memory_estimate_within_a_quarter(V, H, T):
    peak, V, n = measured_peak(V, H, T)
    est = engine.estimate_cost(V, H, T, text_length=n).peak_bytes
    assert 0.75 < est / peak < 1.33, (est, peak)


def test_the_largest_settings_are_refused_before_any_allocation():
    text = "".join(chr(0x4E00 + i) for i in range(9_999)) + "a" * 1100   # 10,000 characters
    tracemalloc.start()
    with pytest.raises(ValueError) as info:
        engine.Trainer(text, hidden_size=2048, seq_length=1000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20_000_000            # the model would take gigabytes
    msg = str(info.value)
    assert "GB" in msg and "hidden_size" in msg and "limit" in msg
    fits = int(msg.split("hidden_size to ")[1].split(" ")[0])
    c = engine.estimate_cost(10_000, fits, 1000)
    assert c.peak_bytes <= cost.REFUSE_BYTES and c.seconds_per_step <= cost.REFUSE_SECONDS


def test_slow_configurations_warn():
    slow = next((V, H, T) for V, H, T in [(65, 2048, 1000), (65, 2048, 400), (65, 1024, 1000)]
                if cost.WARN_SECONDS < engine.estimate_cost(V, H, T).seconds_per_step
                <= cost.REFUSE_SECONDS and engine.estimate_cost(V, H, T).peak_bytes
                <= cost.REFUSE_BYTES)
    notes = cost.check_cost(engine.estimate_cost(*slow), *slow)
    assert any("slow" in n and "per step" in n for n in notes)
    tr = engine.Trainer(TEXT, hidden_size=1024, seq_length=12)
    assert any("spectrum" in w for w in tr.warnings)     # 1024^3: ~1.5 s at each record
    assert tr.cost.diagnostic_seconds > cost.WARN_DIAGNOSTIC_SECONDS


# -- dead code -------------------------------------------------------------------------------------
def test_dead_code_is_gone():
    from dashboard import charts
    from engine.history import History
    assert not hasattr(History, "truncate") and not hasattr(History, "column")
    assert "__contains__" not in vars(engine.Vocab)
    assert not hasattr(engine.Preset, "trainer")
    assert not hasattr(charts, "state_heatmap")
