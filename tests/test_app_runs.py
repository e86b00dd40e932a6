"""Several runs in the dashboard, through AppTest: comparisons, fork, focus, remove."""
import io

import numpy as np
import pandas as pd
import pytest
from apptest import VIEWS, charts, errors, sess, show, start, wait_until

import engine
from dashboard import exports, session


@pytest.fixture
def at():
    return start(timeout=60)


@pytest.mark.parametrize("name", list(engine.COMPARISONS))
def test_each_comparison_loads_and_every_view_draws_every_run(at, name):
    comparison = engine.COMPARISONS[name]
    at.selectbox(key="comparison").set_value(name).run()
    assert not at.exception and not errors(at)
    s = sess(at)
    assert list(s.runs) == list(comparison.runs)
    for run, settings in comparison.runs.items():
        for key, value in settings.items():
            assert s.runs[run].settings()[key] == value
    assert comparison.description in "\n".join(m.value for m in at.markdown)
    at.button(key="step").click().run()
    assert len({tr.iteration for tr in s.runs.values()}) == 1      # lockstep
    for view in VIEWS:
        show(at, view)
        assert not errors(at), (view, errors(at))
        charts(at)                                  # every figure passes plotly's checks
    show(at, "Training")
    table = at.dataframe[0].value
    assert len(table) == len(comparison.runs)


def test_runs_with_equal_seq_length_train_on_the_same_windows(at):
    at.selectbox(key="comparison").set_value("clipping").run()
    for _ in range(3):
        at.button(key="step").click().run()
    traces = [tr.trace for tr in sess(at).runs.values()]
    assert len({t.position for t in traces}) == 1
    for t in traces[1:]:
        np.testing.assert_array_equal(t.inputs, traces[0].inputs)


def test_fork_names_the_change_and_trains_beside(at):
    at.button(key="step").click().run()
    at.selectbox(key="hp_clip").set_value("none").run()
    at.button(key="fork").click().run()
    s = sess(at)
    assert list(s.runs) == ["min-char-rnn", "clip none"] and s.focus == "clip none"
    assert s.trainer.config.clip == "none" and s.runs["min-char-rnn"].config.clip == "value"
    assert s.trainer.iteration == 2 and at.radio(key="focus").value == "clip none"
    assert "Forked run 'clip none'" in at.success[0].value
    np.testing.assert_array_equal(s.runs["clip none"].params["Whh"],
                                  s.runs["min-char-rnn"].params["Whh"])
    at.button(key="step").click().run()
    assert [tr.iteration for tr in s.runs.values()] == [3, 3]


def test_focus_switches_the_detailed_views_and_sidebar(at):
    at.selectbox(key="comparison").set_value("seq-length").run()
    at.radio(key="focus").set_value("T 50").run()
    s = sess(at)
    assert s.focus == "T 50" and s.trainer.config.seq_length == 50
    assert at.number_input(key="hp_seq_length").value == 50
    assert at.slider(key="timestep").max == 49
    at.slider(key="timestep").set_value(40).run()
    at.radio(key="focus").set_value("T 10").run()
    assert at.session_state["timestep"] == 9                     # clamped to the new T


def test_remove_and_the_last_run_stays(at):
    at.selectbox(key="comparison").set_value("optimizer").run()
    s = sess(at)
    at.radio(key="focus").set_value("sgd lr 0.1").run()
    at.button(key="remove_run").click().run()
    assert list(s.runs) == ["adagrad lr 0.1", "sgd lr 0.01"] and s.focus == "adagrad lr 0.1"
    at.button(key="remove_run").click().run()
    assert list(s.runs) == ["sgd lr 0.01"]
    assert at.button(key="remove_run").disabled
    with pytest.raises(ValueError, match="only run"):
        session.remove(at.session_state, "sgd lr 0.01")
    assert list(s.runs) == ["sgd lr 0.01"]


def test_a_fifth_run_is_refused_and_nothing_is_lost(at):
    at.selectbox(key="comparison").set_value("clipping").run()
    at.button(key="fork").click().run()
    s = sess(at)
    assert len(s.runs) == 4 and at.button(key="fork").disabled
    before = dict(s.runs)
    with pytest.raises(ValueError, match="at most 4"):
        session.fork(at.session_state, {})
    assert s.runs == before


def test_bad_fork_settings_get_a_message_and_nothing_changes(at):
    at.number_input(key="hp_learning_rate").set_value(0.0).run()
    at.button(key="fork").click().run()
    assert len(sess(at).runs) == 1
    (message,) = errors(at)
    assert "learning_rate" in message and "unchanged" in message


def test_a_diverged_run_stops_and_the_others_go_on(at, monkeypatch):
    at.selectbox(key="comparison").set_value("clipping").run()
    s = sess(at)
    doomed = s.runs["clip none"]
    start = doomed.iteration                # the comparison's warm-up
    real_step = engine.Trainer.step

    def step(self):
        if self is doomed:
            raise engine.DivergenceError("Training diverged (forced).", quantity="dh",
                                         iteration=self.iteration)
        return real_step(self)

    monkeypatch.setattr(engine.Trainer, "step", step)
    for _ in range(2):
        at.button(key="step").click().run()
    assert doomed.iteration == start and "clip none" in s.diverged
    assert s.runs["clip norm 5"].iteration == start + 2
    assert any("Run 'clip none' diverged" in e for e in errors(at))
    assert not at.exception


def test_live_training_advances_every_run_equally(at):
    at.selectbox(key="comparison").set_value("seq-length").run()
    at.select_slider(key="iters_per_refresh").set_value(4).run()
    at.button(key="run").click().run()
    # read before the refresh: after it the worker may train its 4 iterations before
    # this line runs and then wait for a refresh that never comes (a flaky timeout in CI)
    start_iteration = sess(at).trainer.iteration
    at.run()
    wait_until(lambda: sess(at).trainer.iteration > start_iteration)
    at.button(key="pause").click().run()
    assert not sess(at).running
    iterations = {tr.iteration for tr in sess(at).runs.values()}     # whole rounds only
    assert len(iterations) == 1 and iterations.pop() > start_iteration


def test_export_all_runs_csv_has_a_run_column(at):
    at.selectbox(key="comparison").set_value("optimizer").run()
    at.button(key="step").click().run()
    show(at, "Export")
    labels = [b.label for b in at.get("download_button")]
    assert "History of all runs (CSV)" in labels
    assert sum(label.startswith("Checkpoint '") for label in labels) == 3
    s = sess(at)
    frame = pd.read_csv(io.BytesIO(exports.runs_csv({n: t.history for n, t in s.runs.items()})))
    steps = engine.COMPARISONS["optimizer"].steps           # the warm-up, then one Step
    assert list(frame["run"].unique()) == list(s.runs) and len(frame) == 3 * (steps + 1)
    assert frame.columns[0] == "run"


def test_apply_new_architecture_replaces_only_the_focused_run(at):
    at.selectbox(key="comparison").set_value("clipping").run()
    s = sess(at)
    others = {n: tr for n, tr in s.runs.items() if n != s.focus}
    at.number_input(key="hp_hidden_size").set_value(20).run()
    at.button(key="apply").click().run()
    assert s.trainer.config.hidden_size == 20
    assert all(s.runs[n] is tr for n, tr in others.items())


def test_resumed_checkpoint_outside_widget_defaults_is_shown_as_it_is(at):
    big = engine.Trainer(engine.read_sample("periodic.txt"), hidden_size=600, seq_length=5)
    big.step()
    show(at, "Export")
    at.file_uploader(key="checkpoint_upload").upload(
        "big.npz", engine.checkpoint.to_bytes(big), "application/octet-stream")
    at.run()
    assert not at.exception
    assert sess(at).trainer.config.hidden_size == 600
    assert at.number_input(key="hp_hidden_size").value == 600
    assert not any("Not applied yet" in c.value for c in at.caption)
    at.selectbox(key="hp_clip").set_value("norm").run()
    at.button(key="apply").click().run()
    tr = sess(at).trainer
    assert tr.config.hidden_size == 600 and tr.config.clip == "norm" and tr.iteration == 2
