"""The attribution views through AppTest: the saliency-shaded strip, the horizon charts,
the truncation ghost and sample attribution; one run and a comparison; computed once
per window and never by a view that does not show them."""
import base64
import re

import apptest
import numpy as np
import plotly.io as pio
import pytest
from apptest import charts as chart_specs
from apptest import wait_until

import engine
from dashboard import charts, session, window
from dashboard.charts import style

COUNTED = ("input_saliency", "whh_horizon_parts", "beyond_window", "sample_saliency")


@pytest.fixture
def calls(monkeypatch):
    """Count the engine's attribution calls made by the app (same process)."""
    counts = dict.fromkeys(COUNTED, 0)

    def counting(name, f):
        def counted(*args, **kwargs):
            counts[name] += 1
            return f(*args, **kwargs)
        return counted

    for name in COUNTED:
        monkeypatch.setattr(engine, name, counting(name, getattr(engine, name)))
    return counts


@pytest.fixture
def at(calls):
    at = apptest.app(60)
    at.run()
    assert not at.exception, at.exception
    return at


def sess(at):
    return at.session_state["session"]


def show(at, view):
    at.session_state["view"] = view
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def figures(at):
    """Title text -> plotly Figure of every chart on the page (typed arrays decoded)."""
    out = {}
    for spec in chart_specs(at):
        fig = pio.from_json(spec)
        out[fig.layout.title.text] = fig
    return out


def arr(values):
    """A trace's array as numpy: plotly sends numpy arrays as base64 typed arrays."""
    if isinstance(values, dict) and "bdata" in values:
        out = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        return out.reshape(values["shape"]) if "shape" in values else out
    return np.asarray(values, dtype=float)


def figure(at, start):
    found = [f for title, f in figures(at).items() if title.startswith(start)]
    assert len(found) == 1, (start, list(figures(at)))
    return found[0]


def captions(at):
    return "\n".join([c.value for c in at.caption] + apptest.chart_captions(at))


def input_shades(html):
    return re.findall(r"<span class='bptt-in' style='(?:background:([^;]*);)?", html)


# -- Timestep explorer ----------------------------------------------------------------
def test_strip_is_shaded_by_the_selected_steps_saliency(at):
    tr = sess(at).trainer
    trace = tr.trace
    S = engine.input_saliency(trace, trace.params)
    for t in (trace.T - 1, 3):
        at.slider(key="timestep").set_value(t).run()
        html = at.get("html")[0].value
        levels = style.relative_decades(S[t, : t + 1])
        want = ["" if np.isnan(v) else style.ramp(style.SALIENCY, v) for v in levels]
        assert input_shades(html)[: t + 1] == want
        assert html.count("bptt-cell later") == trace.T - 1 - t
        assert f"how strongly the loss at t = {t} depends" in captions(at)


def test_long_gap_says_the_remembered_letter_stays_blank(at):
    at.selectbox(key="preset").set_value("long-gap").run()
    T = sess(at).trainer.config.seq_length
    assert "Select t = 22" in captions(at)                # the walk starts at t = T-1
    at.slider(key="timestep").set_value(22).run()
    assert not at.exception
    assert "stays blank" in captions(at) and "letter" in captions(at)
    html = at.get("html")[0].value
    shades = input_shades(html)
    assert shades[0] == "" and shades[22] != ""           # s = 0 blank, x_22 itself shaded
    assert len(shades) == T


def test_ghost_in_the_explorer_after_the_first_window(at):
    tr = sess(at).trainer
    norms = figure(at, "‖·‖ per timestep")
    assert len(norms.data) == 4                        # position 0: nothing before it
    assert "truncation drops nothing here" in captions(at)
    at.button(key="step").click().run()
    norms = figure(at, "‖·‖ per timestep")
    ghost = norms.data[-1]
    b = engine.beyond_window(tr, windows=window.GHOST_WINDOWS, params=tr.trace.params)
    assert "beyond the cut" in ghost.name and arr(ghost.x).max() == -1
    shown = arr(ghost.y)
    np.testing.assert_allclose(shown[np.isfinite(shown)],
                               b.norms[-len(shown):][np.isfinite(shown)])
    assert style.share_text(b.share) in captions(at)


# -- Gradient flow ---------------------------------------------------------------------
def test_flow_draws_horizon_and_ghost_for_one_run(at):
    at.button(key="step").click().run()
    show(at, "Gradient flow")
    tr = sess(at).trainer
    trace = tr.trace
    bars = figure(at, "dWhh by step and distance")
    assert len(arr(bars.data[0].y)) == trace.T * (trace.T + 1) // 2     # a segment per (s, d)
    profile = figure(at, "whh_gradient_by_distance")
    np.testing.assert_allclose(arr(profile.data[0].y),
                               engine.whh_distance_norms(trace, trace.params), rtol=1e-12)
    history = figure(at, "horizon")
    measured = tr.history["horizon"].dropna()
    assert len(history.data) == 1 and len(arr(history.data[0].y)) == len(measured)
    ghost = figure(at, "What truncation throws away")
    b = engine.beyond_window(tr, windows=window.GHOST_WINDOWS, params=trace.params)
    assert style.share_text(b.share) in full_title(ghost)
    assert "trace.params" in captions(at)


def test_the_ghost_uses_the_weights_that_produced_the_window(at):
    at.button(key="step").click().run()
    s = sess(at)
    tr = s.trainer
    cached = window.beyond(s, s.focus)
    same = engine.beyond_window(tr, windows=window.GHOST_WINDOWS, params=tr.trace.params)
    now = engine.beyond_window(tr, windows=window.GHOST_WINDOWS)     # one update later
    np.testing.assert_array_equal(cached.norms, same.norms)
    assert not np.allclose(cached.norms, now.norms, rtol=1e-12, atol=0)


def test_flow_with_a_comparison_overlays_every_run(at):
    at.selectbox(key="comparison").set_value("clipping").run()
    at.button(key="step").click().run()
    show(at, "Gradient flow")
    names = list(sess(at).runs)
    profile = figure(at, "whh_gradient_by_distance")
    assert [d.name.split(" (horizon")[0] for d in profile.data] == names
    assert [d.line.color for d in profile.data] == list(
        style.run_colours(names).values())
    history = figure(at, "horizon")
    assert [d.name for d in history.data] == names
    assert figure(at, "dWhh by step and distance")             # the focused run
    assert figure(at, "What truncation throws away")


# -- Training: sample attribution -------------------------------------------------------
def test_sample_attribution_explains_the_latest_sample(at):
    show(at, "Training")
    s = sess(at)
    tr = s.trainer
    _, temperature, text = session.latest_samples(at.session_state, s.focus, 1.0)[0]
    at.slider(key="sample_char").set_value(12).run()
    assert not at.exception
    hprev, seed = engine.sample_start(tr)
    ids = np.concatenate([seed, tr.vocab.encode(text)])
    want = engine.sample_saliency(tr.params, ids, hprev, len(seed) + 12, temperature)
    html = next(h.value for h in at.get("html") if "bptt-sample" in h.value)
    assert html.count("bptt-ch chosen") == 1 and html.count("bptt-ch later") == len(text) - 13
    assert f"probability {want.prob:.3g}" in captions(at)
    assert f"'{style.show_char(text[12])}'" in captions(at)


def test_sample_attribution_with_several_runs(at):
    at.selectbox(key="comparison").set_value("clipping").run()
    show(at, "Training")
    focus = sess(at).focus
    assert any(f"Why did the model write that? (run '{focus}')" in m.value
               for m in at.markdown)
    assert any("bptt-sample" in h.value for h in at.get("html"))


# -- not computed where not shown; once per window ----------------------------------------
def test_computed_once_per_window_and_only_where_shown(at, calls):
    assert calls["input_saliency"] == 1 and calls["beyond_window"] == 1   # first screen
    assert calls["whh_horizon_parts"] == 0 and calls["sample_saliency"] == 0
    for t in (3, 7, 11):
        at.slider(key="timestep").set_value(t).run()                     # same window
    show(at, "Gradient flow")
    assert calls["input_saliency"] == 1 and calls["beyond_window"] == 1   # shared cache
    assert calls["whh_horizon_parts"] == 1
    show(at, "Training")
    assert calls["sample_saliency"] == 1
    at.button(key="step").click().run()                                  # new window
    assert calls["input_saliency"] == 1 and calls["whh_horizon_parts"] == 1
    assert calls["beyond_window"] == 1 and calls["sample_saliency"] == 2
    show(at, "Timestep explorer")
    assert calls["input_saliency"] == 2 and calls["beyond_window"] == 2


def test_live_refreshes_of_training_compute_no_window_attribution(at, calls):
    show(at, "Training")
    before = dict(calls)
    at.select_slider(key="iters_per_refresh").set_value(5).run()
    at.button(key="run").click().run()
    for _ in range(3):
        at.run()                                                         # live refreshes
    wait_until(lambda: sess(at).trainer.iteration > 3)
    at.button(key="pause").click().run()
    for name in ("input_saliency", "whh_horizon_parts", "beyond_window"):
        assert calls[name] == before[name], name


# -- limits --------------------------------------------------------------------------------
def test_too_slow_pieces_are_skipped_in_words(at, monkeypatch):
    monkeypatch.setattr(window, "ATTRIBUTION_LIMIT", 0.0)
    at.button(key="step").click().run()
    assert "Input shading by saliency is skipped" in captions(at)
    assert "The truncation ghost is skipped" in captions(at)
    show(at, "Gradient flow")
    infos = " ".join(i.value for i in at.info)
    assert "horizon is skipped" in infos and "ghost is skipped" in infos


def test_sample_attribution_says_it_is_for_the_rnn_only(at):
    lstm = engine.Trainer(engine.read_sample("long_gap.txt"), hidden_size=16, cell="lstm")
    lstm.step()
    session.install(at.session_state, {"lstm": lstm}, "sample long_gap.txt")
    show(at, "Training")
    assert any("Sample attribution is not available for the lstm cell" in i.value
               for i in at.info)
    assert not at.exception




# -- gated cells (their views are another branch's; the attribution pieces are here) --------
@pytest.fixture(scope="module")
def cells_runs():
    return engine.COMPARISONS["cells"].trainers()


def test_long_gap_note_for_each_cell(cells_runs):
    from dashboard.views.explorer import _long_gap_note
    notes = {}
    for name, tr in cells_runs.items():
        trace = tr.trace
        S = window.saliency(session.Session(runs={name: tr}, focus=name), name)
        levels = style.relative_decades(S[22, :23])
        inputs, targets = tr.vocab.decode(trace.inputs), tr.vocab.decode(trace.targets)
        assert inputs[0].isalpha() and set(inputs[1:23]) == {"."}, inputs   # the lesson's line
        notes[tr.config.cell] = _long_gap_note(tr.config.cell, S[22], levels, inputs,
                                               targets, 22)
        assert "Select t = 22" in _long_gap_note(tr.config.cell, S[20], levels, inputs,
                                                 targets, 20)
    assert "stays blank" in notes["rnn"] and "vanilla RNN cannot learn" in notes["rnn"]
    assert "is shaded" in notes["gru"] and "GRU's gates" in notes["gru"]


def test_window_attribution_for_gated_runs(cells_runs):
    s = session.Session(runs=dict(cells_runs), focus="lstm")
    for name, tr in cells_runs.items():
        T = tr.trace.T
        S, h, b = window.saliency(s, name), window.horizon(s, name), window.beyond(s, name)
        assert S.shape == (T, T) and np.isfinite(np.diag(S)).all()
        assert h["pieces"].shape == (T, T) and h["profile"].shape == (T,)
        assert 0 <= h["horizon"] <= T - 1
        assert len(b.norms) == b.windows_used * T and 0 <= b.share <= 1
        charts.horizon_bars_chart(h["pieces"], "x" * T, h["horizon"])
        charts.ghost_chart(np.linalg.norm(tr.trace.dh, axis=1), b.norms, b.window_norms,
                           b.share, b.windows_used)


def test_horizon_too_large_for_memory_is_skipped_and_said():
    """seq_length 1000 with one hidden unit is quick per the time model, but the
    horizon's (T, T, T) Gram would hold 8 GB: it is skipped, and the note says why."""
    trainer = engine.Trainer(engine.read_sample("prose.txt"), hidden_size=1,
                             seq_length=1000)
    trainer.step()
    s = session.Session(runs={"big": trainer}, focus="big")
    assert window.attribution_seconds("horizon", 1000, 1) <= window.ATTRIBUTION_LIMIT
    assert window.horizon(s, "big") is None
    assert "8.0 GB" in window.skipped_note(s, "big", "horizon")
    assert window.saliency(s, "big") is not None            # the others are not affected


def full_title(fig):
    """The title and its subtitle (style.layout puts a chart's note there)."""
    return fig.layout.title.text + " " + (fig.layout.title.subtitle.text or "")
