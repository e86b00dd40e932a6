"""The dashboard through Streamlit's AppTest: every interaction, asserting on the
session's model and on the rendered elements."""
import io
import json
import time

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from apptest import VIEWS, app, charts, plotly_items, wait_until

import engine
from dashboard import exports, live, models, pacing, plotly_element, session, window
from dashboard.charts import style
from engine.checkpoint import to_bytes

TIMEOUT = 30
PERIODIC = engine.read_sample("periodic.txt")


def start():
    at = app(TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def at():
    return start()


def sess(at):
    return at.session_state["session"]


def trainer(at):
    return sess(at).trainer


def errors(at):
    return [e.value for e in at.error]


def markdown(at):
    return "\n".join(m.value for m in at.markdown)


def show(at, view):
    at.session_state["view"] = view
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at, name, data, key="corpus_upload"):
    at.file_uploader(key=key).upload(name, data, "application/octet-stream")
    at.run()
    assert not at.exception, at.exception
    return at


# -- first screen ----------------------------------------------------------------------
def test_first_screen_needs_no_clicks(at):
    tr = trainer(at)
    assert tr.iteration == 1 and tr.trace is not None
    assert tr.text == engine.read_sample("prose.txt")
    assert at.session_state["preset"] == "min-char-rnn"
    assert not errors(at)
    assert len(charts(at)) == 6               # the explorer, fully drawn
    assert at.slider(key="timestep").value == tr.config.seq_length - 1
    assert at.button(key="step").label == "Step"
    assert "prose.txt" in markdown(at) and "iteration **1**" in markdown(at)
    assert engine.PRESETS["min-char-rnn"].description in markdown(at)


def test_the_app_builds_its_figures_without_plotly_template(monkeypatch):
    """The page draws every chart in style.TEMPLATE, so the server builds figures on
    plotly's empty template instead of copying plotly's into each (dashboard/server.py)."""
    import plotly.io as pio
    monkeypatch.setattr(pio.templates, "default", "plotly")
    start()
    assert pio.templates.default == "none"


def test_step_adds_one_iteration(at):
    at.button(key="step").click().run()
    assert trainer(at).iteration == 2
    at.button(key="step").click().run()
    assert trainer(at).iteration == 3 and trainer(at).trace.iteration == 2
    assert "iteration **3**" in markdown(at)


# -- the timestep explorer -------------------------------------------------------------
def test_slider_moves_the_timestep(at):
    at.slider(key="timestep").set_value(3).run()
    assert at.session_state["timestep"] == 3
    assert "Forward at t = 3" in markdown(at) and "Backward at t = 3" in markdown(at)
    assert "t = 3" in markdown(at)


def test_moving_t_resends_only_the_outline_of_whole_window_charts(at):
    def drawn():
        """uirevision name -> the chart's data (the walk's charts share one element)."""
        items = {}
        for _, chart in plotly_items(at):
            spec = chart["spec"] or at.figures[chart["digest"]]
            items[json.loads(spec)["layout"]["uirevision"].rsplit("-", 1)[0]] = chart
        return items
    before = drawn()
    at.slider(key="timestep").set_value(3).run()
    after = drawn()
    for name in ("norms", "heatmaps"):                          # the whole window
        assert before[name]["spec"] is not None                 # sent whole once,
        assert after[name]["spec"] is None                      # then by its digest
        assert after[name]["digest"] == before[name]["digest"]
        assert (before[name]["mark"], after[name]["mark"]) == (24, 3)
        outlined = [shape for shape in json.loads(before[name]["spec"])["layout"]["shapes"]
                    if shape.get("name") == "current t"]
        assert outlined                         # the outline the page moves to the mark
    for name in ("h_t", "dy_t", "dh_parts"):                    # this timestep's vectors
        assert after[name]["digest"] != before[name]["digest"]
        assert after[name]["spec"] is not None and after[name]["mark"] is None
    at.run()                                  # nothing changed: every chart by its digest
    again = drawn()
    assert all(again[name]["spec"] is None and again[name]["digest"] == after[name]["digest"]
               for name in after)


def test_a_figure_the_page_lost_is_sent_whole_again(at):
    """The page keeps the figures it was sent; if it lost one (its copy was dropped) it
    says so through the element's "missing" trigger, and the next run sends it whole."""
    key = next(e.key for e in at.get("bidi_component") if e.key.startswith("plot_heatmaps"))
    at.slider(key="timestep").set_value(3).run()
    [data] = [chart for k, chart in plotly_items(at) if k == key]
    assert data["spec"] is None
    session.forget_chart(at.session_state, key)     # the trigger's callback
    at.slider(key="timestep").set_value(4).run()
    [data] = [chart for k, chart in plotly_items(at) if k == key]
    assert data["spec"] == at.figures[data["digest"]] and data["mark"] == 4


def test_without_static_serving_charts_fall_back_to_st_plotly_chart(monkeypatch):
    monkeypatch.setattr(plotly_element, "plotly_js_url", lambda: None)
    at = start()
    at.slider(key="timestep").set_value(3).run()
    assert len(at.get("plotly_chart")) == len(charts(at)) == 6
    heatmaps = json.loads(at.get("plotly_chart")[-1].proto.spec)["layout"]["shapes"]
    outlines = [shape["x0"] for shape in heatmaps if shape.get("name") == "current t"]
    assert outlines and set(outlines) == {2.5}                    # marked at t = 3


def test_chart_json_carries_the_app_template_and_is_made_once(at):
    fig = go.Figure(go.Scatter(y=[1, 2]), layout=dict(uirevision="x", height=200))
    text = plotly_element.spec(fig)
    assert json.loads(text)["layout"]["template"] == json.loads(
        json.dumps(style.TEMPLATE))
    assert plotly_element.spec(fig) is text                       # cached per figure
    assert plotly_element.spec(go.Figure(fig)) is not text        # a copy is another


def test_previous_next_and_direction(at):
    T = trainer(at).config.seq_length
    assert sess(at).walk_direction == "backward"
    at.button(key="t_next").click().run()                 # backward: next is t-1
    assert at.session_state["timestep"] == T - 2
    at.button(key="t_prev").click().run()
    assert at.session_state["timestep"] == T - 1
    at.segmented_control(key="direction_choice").set_value("forward").run()
    assert at.session_state["timestep"] == 0            # forward starts at t = 0
    at.button(key="t_next").click().run()
    assert at.session_state["timestep"] == 1
    assert at.slider(key="timestep").value == 1


def test_timestep_survives_a_visit_to_another_view(at):
    at.slider(key="timestep").set_value(7).run()
    show(at, "Training")
    show(at, "BPTT code")
    assert at.slider(key="timestep").value == 7          # one timestep for both views
    show(at, "Timestep explorer")
    assert at.slider(key="timestep").value == 7


# -- presets ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(engine.PRESETS))
def test_each_preset(at, name):
    preset = engine.PRESETS[name]
    at.selectbox(key="preset").set_value(name).run()
    assert not at.exception, at.exception
    tr = trainer(at)
    assert tr.text == preset.text
    assert tr.iteration == preset.steps
    for key, value in preset.settings.items():
        assert tr.settings()[key] == value
    assert at.session_state["sample_text"] == preset.corpus
    assert at.number_input(key="hp_hidden_size").value == tr.config.hidden_size
    text = markdown(at)
    assert preset.description in text
    for claim in preset.look_for:                   # each sentence, with its mark
        assert claim.text in text
    due = [c for c in preset.look_for if c.since is None or tr.iteration >= c.since]
    assert text.count("✓ holds") >= len(due)
    assert text.count("◌ from iteration") >= len(preset.look_for) - len(due)
    assert not errors(at)


# -- text: sample, upload, paste -------------------------------------------------------
def test_sample_text_picker_builds_a_fresh_model(at):
    at.selectbox(key="sample_text").set_value("periodic.txt").run()
    tr = trainer(at)
    assert tr.text == PERIODIC and tr.iteration == 1
    assert at.session_state["preset"] == session.CUSTOM == "custom"     # as in a link
    picker = at.selectbox(key="preset")
    assert picker.value == "custom" and "custom (your own settings)" in picker.options


def test_good_upload_takes_effect_at_once(at):
    text = "Grüße aus Köln — 東京 🙂\n" * 20
    upload(at, "notes.txt", text.encode("utf-8"))
    tr = trainer(at)
    assert tr.text == text and tr.iteration == 1
    assert sess(at).corpus_label == "upload notes.txt"
    assert at.session_state["sample_text"] == session.OWN_TEXT
    assert not errors(at)


BAD_UPLOADS = {
    "empty": (b"", "empty"),
    "binary": (bytes(range(256)) * 10, "binary"),
    "not utf-8": (b"caf\xe9 au lait " * 10, "UTF-8"),
    "too short": (b"hello world", "seq_length"),
    "too large": (b"a b\n" * 1_300_000, "limit"),
}


@pytest.mark.parametrize("kind", list(BAD_UPLOADS))
def test_bad_upload_keeps_the_model(at, kind):
    data, words = BAD_UPLOADS[kind]
    at.button(key="step").click().run()
    before = trainer(at)
    upload(at, f"{kind}.txt", data)
    assert trainer(at) is before and before.iteration == 2
    (message,) = errors(at)
    assert words in message and "unchanged" in message and f"{kind}.txt" in message
    at.button(key="step").click().run()               # and it keeps working
    assert trainer(at).iteration == 3 and not errors(at)


def test_upload_limit_is_stated_in_the_ui(at):
    label = at.file_uploader(key="corpus_upload").label
    assert "5 MB" in label and "UTF-8" in label


def test_paste_a_text(at):
    at.text_area(key="paste_text").set_value(PERIODIC[:400])
    at.button(key="paste_apply").click().run()
    assert trainer(at).text == PERIODIC[:400]
    at.text_area(key="paste_text").set_value("   ")
    before = trainer(at)
    at.button(key="paste_apply").click().run()
    assert trainer(at) is before and "whitespace" in errors(at)[0]


# -- hyperparameters -------------------------------------------------------------------
def test_apply_new_architecture_builds_a_new_model(at):
    at.number_input(key="hp_hidden_size").set_value(32).run()
    assert "Not applied yet: hidden_size" in "\n".join(c.value for c in at.caption)
    at.button(key="apply").click().run()
    tr = trainer(at)
    assert tr.config.hidden_size == 32 and tr.iteration == 1
    assert tr.params["Whh"].shape == (32, 32)


def test_apply_training_settings_keeps_the_weights(at):
    at.button(key="step").click().run()
    before = trainer(at)
    Whh = before.params["Whh"].copy()
    at.number_input(key="hp_learning_rate").set_value(0.05)
    at.selectbox(key="hp_clip").set_value("norm")
    at.button(key="apply").click().run()
    tr = trainer(at)
    assert tr is before and tr.iteration == 2
    assert tr.config.learning_rate == 0.05 and tr.config.clip == "norm"
    np.testing.assert_array_equal(tr.params["Whh"], Whh)
    at.button(key="step").click().run()
    assert trainer(at).trace.clip == "norm"


def test_reset_starts_again(at):
    for _ in range(3):
        at.button(key="step").click().run()
    before = trainer(at)
    at.button(key="reset").click().run()
    assert trainer(at) is not before and trainer(at).iteration == 1


# -- live training ---------------------------------------------------------------------
def test_run_trains_in_the_background_and_pause_stops(at):
    at.select_slider(key="iters_per_refresh").set_value(5).run()
    at.button(key="run").click().run()
    assert sess(at).running is True
    worker = sess(at).worker
    wait_until(lambda: worker.trained() == 5)              # in its process, 5 per refresh,
    time.sleep(0.2)
    assert worker.trained() == 5                           # then it waits for the page
    assert trainer(at).iteration == 1                      # the page's copy: not yet told
    at.run()                                               # the page asks for a refresh
    assert trainer(at).iteration == 1 + 5                  # brought up to date
    wait_until(lambda: worker.trained() == 5)
    at.run()
    assert trainer(at).iteration == 1 + 10
    assert "iterations/s" in markdown(at)
    at.button(key="pause").click().run()
    assert sess(at).running is False and sess(at).worker is None
    paused = trainer(at).iteration
    time.sleep(0.2)
    at.run()
    assert trainer(at).iteration == paused


def test_pacer_asks_for_refreshes_only_while_running(at, monkeypatch):
    # a page alone: other tests' sessions in this process share the server's timeline
    monkeypatch.setattr(live, "PACING", pacing.Pacing(2))

    def pacer():
        [element] = [e for e in at.get("bidi_component")
                     if e.proto.component_name.endswith("bptt_pacer")]
        return json.loads(element.proto.json)
    assert pacer()["live"] is False
    at.button(key="run").click().run()
    first = pacer()
    assert first["live"] is True and 400 <= first["period_ms"] <= 2000
    at.run()
    assert pacer()["seq"] > first["seq"]           # each refresh is numbered anew
    at.button(key="pause").click().run()
    assert pacer()["live"] is False


# -- views -----------------------------------------------------------------------------
@pytest.mark.parametrize("view", VIEWS)
def test_each_view_renders(at, view):
    show(at, view)
    assert not errors(at)
    count = len(charts(at))
    if view == "Training":
        assert count == 7 and len(at.code) >= 1            # seven charts and a sample
    elif view == "Gradient flow":
        assert count == 9                  # 6 + horizon bars, distance profile, history
        # the first window starts the text: truncation drops nothing, said in words
        assert any("truncation discards nothing" in i.value for i in at.info)
    elif view == "BPTT code":
        assert len(at.latex) == 8 and count == 4
        assert len([c for c in at.code if c.language == "python"]) == 8
        glossary = at.table[0].value
        assert "dhnext[t]" in set(glossary["in the code"])            # notes -> code names
    elif view == "Gradient check":
        assert at.button(key="gradcheck_run")
    elif view == "Export":
        assert len(at.get("download_button")) == 4          # + the handout


def test_gradient_check_passes(at):
    show(at, "Gradient check")
    at.button(key="gradcheck_run").click().run()
    table = at.dataframe[0].value
    assert len(table) == 50 and set(table["param"]) == {"Wxh", "Whh", "Why", "bh", "by"}
    assert at.success and "PASS" in at.success[0].value


def test_downloads_exist_and_hold_the_data(at):
    at.button(key="step").click().run()
    show(at, "Export")
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["History (CSV)", "Current window (NPZ)", "Checkpoint (NPZ)",
                      "Handout of this window (HTML, works offline)"]
    tr = trainer(at)
    history = pd.read_csv(io.BytesIO(exports.history_csv(tr.history)))
    np.testing.assert_allclose(history["loss"], tr.history["loss"])
    with np.load(io.BytesIO(exports.trace_npz(tr.trace, tr.vocab.chars))) as npz:
        np.testing.assert_array_equal(npz["dhnext"], tr.trace.dhnext)
        assert str(npz["vocab"]) == tr.vocab.chars and int(npz["iteration"]) == 1
    assert engine.Trainer.load(io.BytesIO(to_bytes(tr))).iteration == tr.iteration


# -- checkpoints -----------------------------------------------------------------------
def test_checkpoint_upload_resumes(at):
    other = engine.Trainer(PERIODIC, hidden_size=16, seq_length=10)
    other.run(7)
    show(at, "Export")
    upload(at, "saved.npz", to_bytes(other), key="checkpoint_upload")
    tr = trainer(at)
    assert tr.config.hidden_size == 16 and tr.text == PERIODIC
    assert tr.iteration == 8 and len(tr.history) == 8          # resumed, then one step
    np.testing.assert_allclose(tr.history["loss"][:7], other.history["loss"])
    assert at.number_input(key="hp_hidden_size").value == 16
    assert "Resumed saved.npz at iteration 7" in at.success[0].value


def _pickled_npz():
    buf = io.BytesIO()
    np.savez(buf, format=np.array("bpttscope-checkpoint"), evil=np.array([{}], dtype=object))
    return buf.getvalue()


def _foreign_npz():
    buf = io.BytesIO()
    np.savez(buf, weights=np.ones(3))
    return buf.getvalue()


def _other_vocabulary_npz():
    buf = io.BytesIO(to_bytes(engine.Trainer(PERIODIC, hidden_size=8)))
    with np.load(buf) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["vocab"] = np.array("abcdefghij")
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


BAD_CHECKPOINTS = {
    "other-vocabulary": _other_vocabulary_npz,
    "random": lambda: np.random.default_rng(0).bytes(2000),
    "truncated": lambda: to_bytes(engine.Trainer(PERIODIC, hidden_size=8))[:500],
    "foreign": _foreign_npz,
    "pickled": _pickled_npz,
}


@pytest.mark.parametrize("kind", list(BAD_CHECKPOINTS))
def test_bad_checkpoint_keeps_the_model(at, kind):
    before = trainer(at)
    show(at, "Export")
    upload(at, f"{kind}.npz", BAD_CHECKPOINTS[kind](), key="checkpoint_upload")
    assert trainer(at) is before
    (message,) = errors(at)
    assert f"{kind}.npz" in message and "unchanged" in message


# -- divergence ------------------------------------------------------------------------
def _diverge(self):
    raise engine.DivergenceError(
        f"Training diverged at iteration {self.iteration}: the first non-finite value "
        "appeared in dh at timestep t=3.", quantity="dh", timestep=3, iteration=self.iteration)


class _Diverging(engine.Trainer):
    """Diverges at its next step; live training happens in another process, which a
    monkeypatch here would not reach (the class goes there by reference)."""
    step = _diverge


def test_divergence_stops_and_offers_ways_out(at, monkeypatch):
    at.select_slider(key="iters_per_refresh").set_value(3).run()
    at.button(key="run").click().run()
    wait_until(lambda: sess(at).worker.trained() == 3)
    at.run()                                                 # a refresh: brought up to date
    assert sess(at).running and trainer(at).iteration == 1 + 3
    before = trainer(at)
    sess(at).worker.stop()
    reached = before.iteration
    before.__class__ = _Diverging                            # training goes on with it:
    at.run()                                                 # a refresh: 3 more may train
    wait_until(lambda: sess(at).worker is None or sess(at).worker.trained() > 0)
    at.run()                                                 # the next refresh tells
    before.__class__ = engine.Trainer
    assert not at.exception
    assert sess(at).running is False
    assert trainer(at) is before and before.iteration == reached   # the model as it was
    message = errors(at)[0]
    assert "diverged" in message and "dh at timestep t=3" in message
    for key in ("fix_lower_lr", "fix_clip", "fix_reset"):
        assert at.button(key=key)
    assert len(charts(at)) == 6                    # charts still show data
    monkeypatch.undo()
    at.button(key="fix_lower_lr").click().run()
    assert trainer(at) is before and before.config.learning_rate == pytest.approx(0.01)
    assert not errors(at) and at.number_input(key="hp_learning_rate").value == 0.01
    at.button(key="step").click().run()
    assert trainer(at).iteration == reached + 1


def test_divergence_on_step_then_clip(at, monkeypatch):
    monkeypatch.setattr(engine.Trainer, "step", _diverge)
    at.button(key="step").click().run()
    assert trainer(at).iteration == 1 and "diverged" in errors(at)[0]
    monkeypatch.undo()
    at.button(key="fix_clip").click().run()
    assert trainer(at).config.clip == "norm" and trainer(at).config.threshold == 5.0


def test_a_model_without_a_window_still_renders_every_view(at, monkeypatch):
    monkeypatch.setattr(engine.Trainer, "step", _diverge)
    at.selectbox(key="sample_text").set_value("periodic.txt").run()
    tr = trainer(at)
    assert tr.text == PERIODIC and tr.trace is None           # warm-up step diverged
    assert any("Warm-up stopped" in w.value for w in at.warning)
    for view in VIEWS:
        show(at, view)
        assert not errors(at), view
    monkeypatch.undo()
    at.button(key="step").click().run()
    assert trainer(at).trace is not None


# -- sessions --------------------------------------------------------------------------
def test_two_sessions_are_isolated():
    a, b = start(), start()
    a.button(key="step").click().run()
    a.button(key="step").click().run()
    b.selectbox(key="sample_text").set_value("periodic.txt").run()
    ta, tb = trainer(a), trainer(b)
    assert ta is not tb
    assert ta.iteration == 3 and tb.iteration == 1
    assert ta.text != tb.text
    assert not np.shares_memory(ta.params["Why"], tb.params["Why"])
    b.button(key="step").click().run()
    assert trainer(a).iteration == 3 and trainer(b).iteration == 2


# -- the pure session helpers ----------------------------------------------------------
def test_trainer_from_upload_is_pure():
    settings = {"hidden_size": 8, "seq_length": 5}
    tr, notes = models.from_upload("a.txt", PERIODIC.encode(), settings)
    assert tr.iteration == 1 and tr.config.hidden_size == 8 and notes == []
    with pytest.raises(engine.CorpusError, match="a.txt: .*empty"):
        models.from_upload("a.txt", b"", settings)
    with pytest.raises(engine.CorpusError, match="limit"):
        models.from_upload("a.txt", b"ab" * 100, settings, max_bytes=50)


def test_session_helpers_on_a_plain_dict():
    ss = {}
    session.init(ss)
    s = ss["session"]
    assert s.trainer.iteration == 1 and ss["timestep"] == 24
    assert session.step(ss, 3) == 3 and s.trainer.iteration == 4
    assert window.flow(s, s.focus, jacobian=False)["J"] is None   # not computed yet
    flow = window.flow(s, s.focus)
    assert flow["G"].shape == (25, 25) and flow["J"] is not None
    assert window.flow(s, s.focus) is flow                     # cached for this window
    assert window.flow(s, s.focus, jacobian=False)["J"] is flow["J"]
    samples = session.latest_samples(ss, s.focus, 1.0)
    assert samples[0][0] == 4 and len(samples[0][2]) == session.SAMPLE_LENGTH
    assert session.latest_samples(ss, s.focus, 1.0) == samples   # generated once
    assert 0.1 < window.jacobian_seconds(25, 100) < 0.5          # the bench's figure


def test_flow_diagnostics_use_the_weights_that_made_the_window():
    ss = {}
    session.init(ss)                # one step: the window of iteration 0
    s = ss["session"]
    tr = s.trainer
    flow = window.flow(s, s.focus)
    # Trainer.history measures the spectrum with the weights before the update, too
    assert flow["spectrum"]["sigma_max"] == pytest.approx(tr.history["sigma_max"][0])
    assert engine.whh_spectrum(tr.params)["sigma_max"] != pytest.approx(
        flow["spectrum"]["sigma_max"])
    np.testing.assert_allclose(flow["G"], engine.loss_to_state(
        tr.trace, tr.trace.params))


def test_gradient_flow_skips_jacobian_norms_when_too_slow(at):
    at.number_input(key="hp_hidden_size").set_value(512).run()
    at.number_input(key="hp_seq_length").set_value(60).run()
    at.button(key="apply").click().run()
    assert trainer(at).config.hidden_size == 512
    assert window.jacobian_seconds(60, 512) > 2.0
    show(at, "Gradient flow")
    assert not errors(at)
    assert any("jacobian_norms is skipped" in i.value for i in at.info)
    assert len(charts(at)) == 8                   # everything else is drawn


def test_the_explorer_says_what_dhnext_did_on_this_window_without_a_lesson():
    """The norms caption pointed at 'the lesson's measured sentences' for whether dhnext
    shrinks or grows; on the student's own text there are none. It now gives the
    engine's ratio for the window on screen."""
    from apptest import sess, show, start
    at = start()
    show(at, "Timestep explorer")
    trainer = sess(at).trainer
    kept = engine.quantities.measure("dhnext_kept", trainer)
    shown = "\n".join(c.value for c in at.caption)
    assert "‖dhnext_0‖ / ‖dhnext_T−2‖ = " in shown
    assert ("larger" if kept > 1 else "smaller") + " at the start of the window" in shown
    assert "the lesson's measured sentences say which" not in shown
