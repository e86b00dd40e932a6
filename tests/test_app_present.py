"""Presentation mode and the fixed colour scale, through Streamlit's AppTest: the sidebar
toggle and ?present=1 turn it on, the page gets its keys element, its buttons and the
charts' 16 px look; the link keeps it; the fixed log colour scale is on in lessons and
changes the heatmaps' colour range."""
import json

import pytest
from apptest import charts, errors, sess, show, start

from dashboard.charts import style


def elements(at, name):
    return [e for e in at.get("bidi_component") if e.proto.component_name.endswith(name)]


def font_size(spec):
    return json.loads(spec)["layout"]["template"]["layout"]["font"]["size"]


def keys(at):
    return {b.key for b in at.button}


@pytest.fixture(scope="module")
def presenting():
    return start({"present": "1"})


def test_a_link_with_present_1_opens_presentation_mode(presenting):
    at = presenting
    assert at.session_state["present"] is True and not errors(at)
    assert not at.warning                   # "present" is not a link problem
    assert sess(at).lesson == "min-char-rnn" and sess(at).trainer.iteration == 1
    assert len(elements(at, "bptt_keys")) == 1
    assert {"present_step", "present_run", "present_exit"} <= keys(at)
    specs = charts(at)
    assert specs and all(font_size(s) == style.PRESENT_FONT for s in specs)
    assert at.query_params["present"] == "1"            # the address bar keeps it


def test_presentation_buttons_step_run_and_leave(presenting):
    at = presenting
    at.button(key="present_step").click().run()
    assert sess(at).trainer.iteration == 2
    at.button(key="present_run").click().run()
    assert sess(at).running
    at.button(key="present_run").click().run()
    assert not sess(at).running
    at.button(key="present_exit").click().run()
    assert at.session_state["present"] is False
    assert not elements(at, "bptt_keys") and "present_step" not in keys(at)
    assert all(font_size(s) == style.FONT for s in charts(at))


def test_the_sidebar_toggle_turns_it_on_and_off():
    at = start()
    assert at.session_state["present"] is False and not elements(at, "bptt_keys")
    at.toggle(key="present").set_value(True).run()
    assert elements(at, "bptt_keys") and "present_step" in keys(at)
    at.toggle(key="present").set_value(False).run()
    assert not elements(at, "bptt_keys")


def test_present_0_leaves_it_off():
    at = start({"present": "0"})
    assert at.session_state["present"] is False and not at.warning


def loss_to_state(at):
    for spec in charts(at):
        fig = json.loads(spec)
        if "loss_to_state" in fig["layout"]["title"]["text"]:
            return fig["data"][0]
    raise AssertionError("no loss_to_state chart")


def test_fixed_colour_scale_is_on_in_lessons_and_can_be_turned_off():
    at = start()
    assert at.session_state["fixed_colour"] is True
    show(at, "Gradient flow", no_errors=True)
    heat = loss_to_state(at)
    assert (heat["zmin"], heat["zmax"]) == style.FIXED_DECADES
    at.toggle(key="fixed_colour").set_value(False).run()
    assert "zmin" not in loss_to_state(at)
    at.selectbox(key="preset").set_value("vanishing").run()      # a lesson: on again
    assert at.session_state["fixed_colour"] is True


def test_runs_table_after_run_then_pause_says_paused_not_none():
    import time
    at = start({"lesson": "clipping"})
    show(at, "Training")
    at.button(key="run").click().run()
    time.sleep(1.0)
    at.run()                                    # a live refresh
    at.button(key="pause").click().run()
    table = at.dataframe[0].value
    assert list(table["iterations/s"]) == ["paused"] * len(table)
    assert table["iteration"].tolist() == [tr.iteration for tr in sess(at).runs.values()]
    text = table.astype(str).to_string()
    assert "None" not in text and "e+" not in text       # one notation: 214, 3e-8


def test_iterations_are_counted_the_same_way_everywhere():
    """The header's "iteration 1" and the explorer's "Window of iteration 1" (it said 0),
    and a comparison's "All runs at iteration N" equal to its table's N (it said N-1)."""
    at = start()
    show(at, "Timestep explorer")
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "· iteration **1** ·" in text and "Window of iteration 1 " in text
    at.selectbox(key="comparison").set_value("clipping").run()
    show(at, "Gradient flow")
    n = sess(at).trainer.iteration
    assert any(f"All runs at iteration {n}," in c.value for c in at.caption)
    show(at, "Training")
    assert set(at.dataframe[0].value["iteration"]) == {n}
