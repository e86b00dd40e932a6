"""Gated cells in the dashboard, through AppTest: the cell choice, every view for every
cell (one run and the `cells` comparison), the gated presets, links and exports."""
import io

import numpy as np
import pytest
from apptest import VIEWS, chart_captions, charts, errors, sess, start
from apptest import show as _show

import engine
from dashboard import exports, links, window


def show(at, view):
    _show(at, view, no_errors=True)


def text(at):
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                     + chart_captions(at)
                     + [i.value for i in at.info])


def small(at, cell):
    """Apply ``cell`` with a small model (fast views)."""
    at.selectbox(key="hp_cell").set_value(cell).run()
    at.number_input(key="hp_hidden_size").set_value(16).run()
    at.button(key="apply").click().run()
    assert not at.exception and not errors(at)


@pytest.mark.parametrize("cell,k", [("lstm", 4), ("gru", 3)])
def test_apply_a_cell_builds_new_weights_of_that_cell(cell, k):
    at = start()
    at.selectbox(key="hp_cell").set_value(cell).run()
    assert "Not applied yet: cell" in text(at)
    at.button(key="apply").click().run()
    tr = sess(at).trainer
    assert tr.config.cell == cell and tr.iteration == 1
    assert tr.params["Whh"].shape == (k * 100, 100) and tr.trace.cell == cell
    assert f"{cell.upper()}, H = 100" in text(at)
    assert at.selectbox(key="hp_cell").value == cell
    assert "Not applied yet" not in text(at)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_every_view_draws_a_gated_cell(cell):
    at = start()
    small(at, cell)
    at.button(key="step").click().run()
    for view in VIEWS:
        show(at, view)
        count = len(charts(at))
        body = text(at)
        if view == "Training":
            assert count == 8 and "gate_saturation" not in body    # title is in the figure
            assert "Gates of the " + cell.upper() in body
        elif view == "Timestep explorer":
            # 6 as for rnn, then the tape, one loss, the units carrying it, gate heatmaps
            assert count == 10
            assert TAPE_WORDS[cell] in body and "keeps **" in body
        elif view == "Gradient flow":
            # 5 of the flow itself, then the horizon (bars, profile, history) and the ghost
            assert count == 9 and "jacobian_norms is shown for the vanilla cell only" in body
            assert "candidate block" in body
        elif view == "BPTT code":
            code = "\n".join(c.value for c in at.code if c.language == "python")
            assert GATED_LINE[cell] in code and "tanh' " not in code
            assert len(at.latex) == len([c for c in at.code if c.language == "python"])
        elif view == "Gradient check":
            at.button(key="gradcheck_run").click().run()
            assert any(s.value.startswith("PASS") for s in at.success), errors(at)
        elif view == "Export":
            assert len(at.get("download_button")) == 4      # + the handout


TAPE_WORDS = {"lstm": "The cell-state tape", "gru": "The copy tape"}
GATED_LINE = {"lstm": "dcnext = f[t] * dc", "gru": "dhnext = Whh.T @ dh_pre + z[t] * dh"}


def test_lstm_explorer_walks_to_both_ends():
    at = start()
    small(at, "lstm")
    trace = sess(at).trainer.trace
    for t, words in ((trace.T - 1, "dcnext<sub>t−1</sub>"), (0, "truncation drops it")):
        at.slider(key="timestep").set_value(t).run()
        assert not at.exception and not errors(at)
        assert words in text(at), t


def test_gradient_check_uses_the_windows_cell_state():
    at = start()
    small(at, "lstm")
    at.button(key="step").click().run()
    tr = sess(at).trainer
    trace = tr.trace
    assert np.abs(trace.cprev).max() > 0               # a nonzero carried cell state
    show(at, "Gradient check")
    at.button(key="gradcheck_run").click().run()
    table = sess(at).gradcheck["table"]
    expected = engine.gradient_check(tr.params, trace.inputs, trace.targets, trace.hprev,
                                     cell="lstm", cprev=trace.cprev)
    np.testing.assert_allclose(table["numeric"], expected["numeric"])


def test_exported_lstm_window_holds_the_cell_state_and_gates():
    at = start()
    small(at, "lstm")
    tr = sess(at).trainer
    with np.load(io.BytesIO(exports.trace_npz(tr.trace, tr.vocab.chars))) as npz:
        assert str(npz["cell"]) == "lstm" and "tanh_grad" not in npz
        np.testing.assert_array_equal(npz["dc"], tr.trace.dc)
        np.testing.assert_array_equal(npz["gate_f"], tr.trace.gates["f"])
        np.testing.assert_array_equal(npz["cprev"], tr.trace.cprev)


@pytest.mark.parametrize("name", list(engine.GATED_PRESETS))
def test_gated_preset_in_the_lesson_list_and_its_views(name):
    preset = engine.PRESETS[name]                    # listed with the others
    at = start()
    at.selectbox(key="preset").set_value(name).run()
    assert not at.exception and not errors(at)
    tr = sess(at).trainer
    assert tr.config.cell == preset.settings["cell"] and tr.iteration == preset.steps
    assert at.selectbox(key="hp_cell").value == preset.settings["cell"]
    for view in ("Timestep explorer", "Gradient flow"):
        show(at, view)
        for claim in preset.look_for:
            if claim.view == view:
                assert claim.text in text(at)


@pytest.mark.parametrize("focus", ["rnn", "lstm", "gru"])
def test_cells_comparison_every_view_for_every_focus(focus):
    at = start()
    at.selectbox(key="comparison").set_value("cells").run()
    at.radio(key="focus").set_value(focus).run()
    assert sess(at).focus == focus and at.selectbox(key="hp_cell").value == focus
    for view in VIEWS:
        show(at, view)
    show(at, "Timestep explorer")
    at.slider(key="timestep").set_value(22).run()
    assert "for the loss at t = 22" in "\n".join(
        charts(at))     # every run, one loss


def test_links_round_trip_the_cell():
    by_hand = start()
    by_hand.selectbox(key="sample_text").set_value("long_gap.txt").run()
    small(by_hand, "gru")
    for _ in range(3):
        by_hand.button(key="step").click().run()
    query = dict(by_hand.query_params)
    assert query["cell"] == "gru" and query["lesson"] == "custom"
    opened = start(query)
    a, b = sess(by_hand).trainer, sess(opened).trainer
    assert b.config.cell == "gru" and b.iteration == a.iteration == 4
    assert np.array_equal(a._flat, b._flat)
    assert opened.selectbox(key="hp_cell").value == "gru"
    assert opened.selectbox(key="sample_text").value == "long_gap.txt"


def test_a_link_with_an_unknown_cell_is_refused_in_words():
    link, problems = links.decode({"lesson": "custom", "text": "long_gap.txt",
                                   "cell": "transformer"})
    assert "cell" not in link.settings
    assert problems == ["'cell' must be one of rnn, lstm, gru"]
    link, problems = links.decode({"lesson": "long-gap-lstm", "it": "40"})
    assert not problems and link.lesson == "long-gap-lstm"


def test_flow_skips_jacobian_norms_for_gated_cells_only():
    at = start()
    small(at, "lstm")
    s = sess(at)
    flow = window.flow(s, s.focus)
    assert flow["J"] is None and "vanilla cell only" in flow["J_why"]
    tape = window.tape(s, s.focus)
    np.testing.assert_allclose(tape["G"], flow["G"])
    assert tape["C"].shape == (25, 25)
