"""Each lesson preset shows its phenomenon, measured, not eyeballed."""
import numpy as np
import pytest

import engine

REQUIRED = ("min-char-rnn", "vanishing", "exploding", "exploding-clipped", "long-gap")


def fresh(name):
    """The preset's model before its warm-up steps (the tests take them themselves)."""
    preset = engine.PRESETS[name]
    return engine.Trainer(preset.text, **preset.settings)


def test_required_presets_exist_and_are_described():
    for name in REQUIRED:
        preset = engine.PRESETS[name]
        assert len(preset.description) > 80
        assert preset.look_for and all(isinstance(c, engine.Claim) for c in preset.look_for)
        assert preset.corpus in engine.sample_text_names()


def test_min_char_rnn_is_the_original():
    c = fresh("min-char-rnn").config
    assert (c.hidden_size, c.seq_length, c.learning_rate, c.clip, c.threshold, c.optimizer,
            c.whh_init, c.scale) == (100, 25, 0.1, "value", 5.0, "adagrad", "gaussian", 0.01)


def test_vanishing():
    tr = fresh("vanishing")
    tr.run(50)
    G = engine.loss_to_state(tr.trace, tr.params)
    assert G[-1, 0] / G[-1, -1] < 1e-6
    recorded = tr.history["reach"].dropna()
    assert (recorded[recorded.index >= 8] < 1e-6).all()     # after the first few steps


def test_exploding():
    tr = fresh("exploding")
    assert tr.config.clip == "none" and tr.config.optimizer == "sgd"
    peak = 0.0
    try:
        for _ in range(100):
            peak = max(peak, tr.step().norms_before["global"])
    except engine.DivergenceError:
        peak = np.inf
    assert peak > 1e3
    # the gradient grows as it travels back in time in the first window
    first = fresh("exploding")
    first.step()
    assert first.history["reach"].iloc[0] > 1e2


def test_exploding_clipped_trains():
    tr = fresh("exploding-clipped")
    tr.run(300)                                  # no DivergenceError
    h = tr.history
    assert h["grad_norm_global"].max() > 1e3     # the raw gradient is as large as before
    assert (h["clipped_norm_global"] <= 5.0 + 1e-9).all()
    assert h["loss"].iloc[-50:].mean() < h["loss"].iloc[:10].mean()
    assert h["smooth_loss"].iloc[-1] < h["smooth_loss"].iloc[0]


def test_exploding_without_clipping_does_worse():
    unclipped, clipped = (fresh(n) for n in ("exploding", "exploding-clipped"))
    for tr in (unclipped, clipped):
        try:
            tr.run(100)
        except engine.DivergenceError:
            pass
    assert unclipped.history["loss"].iloc[-20:].mean() > clipped.history["loss"].iloc[-20:].mean()


def test_long_gap_gradient_never_arrives():
    preset = engine.PRESETS["long-gap"]
    tr = fresh("long-gap")
    tr.run(preset.steps)
    trace = tr.trace
    assert trace.position % 25 == 0          # every window is exactly one record
    text = tr.vocab.decode(trace.inputs)
    assert text[0] == tr.vocab.decode(trace.targets)[22] and text[0].isalpha()
    G = engine.loss_to_state(trace, tr.params)
    assert G[22, 0] / G[22, 22] < 1e-6


@pytest.mark.parametrize("name", REQUIRED)
def test_presets_warm_up_without_error(name):
    preset = engine.PRESETS[name]
    tr = fresh(name)
    tr.run(preset.steps)
    assert tr.iteration == preset.steps
