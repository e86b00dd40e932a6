"""Shareable links, the played walk and the guided tour, through AppTest and the pure
link codec."""

import numpy as np
import pytest
from apptest import sess, start

import engine
from dashboard import links, tour


def warnings(at):
    return [w.value for w in at.warning]


def test_the_address_bar_follows_the_session():
    at = start()
    query = dict(at.query_params)
    assert query["lesson"] == "min-char-rnn" and query["it"] == "1"
    assert query["view"] == "Timestep explorer" and query["t"] == "24"
    at.button(key="step").click().run()
    at.slider(key="timestep").set_value(5).run()
    assert at.query_params["it"] == "2" and at.query_params["t"] == "5"


def test_a_link_reproduces_the_weights_bit_for_bit():
    by_hand = start()
    by_hand.number_input(key="hp_hidden_size").set_value(40).run()
    by_hand.button(key="apply").click().run()                  # a custom model
    for _ in range(6):
        by_hand.button(key="step").click().run()
    by_hand.slider(key="timestep").set_value(3).run()
    query = dict(by_hand.query_params)
    assert query["lesson"] == "custom" and query["hidden_size"] == "40"
    opened = start(query)
    a, b = sess(by_hand).trainer, sess(opened).trainer
    assert b.iteration == a.iteration == 7
    assert np.array_equal(a._flat, b._flat) and np.array_equal(a._mem_flat, b._mem_flat)
    assert np.array_equal(a.hprev, b.hprev) and a.smooth_loss == b.smooth_loss
    assert opened.session_state["timestep"] == 3 and not warnings(opened)


def test_a_comparison_link_reopens_every_run_at_its_iteration_view_and_focus():
    query = {"lesson": "seq-length", "it": "30", "focus": "T 50", "view": "Gradient flow",
             "t": "40"}
    at = start(query)
    s = sess(at)
    assert list(s.runs) == ["T 10", "T 25", "T 50"] and s.focus == "T 50"
    assert {tr.iteration for tr in s.runs.values()} == {30}
    assert at.session_state["view"] == "Gradient flow" and at.session_state["timestep"] == 40
    fresh = engine.COMPARISONS["seq-length"].trainers()["T 50"]
    fresh.run(30 - fresh.iteration)
    assert np.array_equal(fresh._flat, s.runs["T 50"]._flat)


HOSTILE = {
    "unknown key": ({"evil": "1"}, "unknown parameter"),
    "unknown lesson": ({"lesson": "<script>alert(1)</script>"}, "no lesson"),
    "wrong type": ({"hidden_size": "many", "lesson": "custom", "text": "prose.txt"},
                   "whole number"),
    "not finite": ({"learning_rate": "nan", "lesson": "custom", "text": "prose.txt"},
                   "finite"),
    "out of range": ({"hidden_size": "100000", "lesson": "custom", "text": "prose.txt"},
                     "hidden_size"),
    "negative iteration": ({"it": "-5"}, "'it'"),
    "huge iteration": ({"it": "9" * 5000}, "too long"),
    "unknown text": ({"lesson": "custom", "text": "../../etc/passwd"}, "sample text"),
    "unknown view": ({"view": "Admin"}, "no view"),
    "unknown choice": ({"lesson": "custom", "text": "prose.txt", "clip": "sometimes"},
                       "clip"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_query_parameters_get_a_message_not_an_exception(kind):
    query, words = HOSTILE[kind]
    at = start(query)
    assert any(words in w for w in warnings(at)), warnings(at)
    assert sess(at).trainer.trace is not None              # a working lesson on screen
    at.button(key="step").click().run()
    assert not at.exception


def test_a_replay_beyond_the_budget_is_refused_politely():
    at = start({"lesson": "min-char-rnn", "it": "5000000"})
    (message,) = warnings(at)
    assert "replay budget" in message and "press Run" in message
    assert sess(at).trainer.iteration == 1 and sess(at).lesson == "min-char-rnn"


def test_replay_time_is_the_engines_estimate_for_every_run():
    runs = engine.COMPARISONS["seq-length"].trainers()
    each = [engine.cost.training_seconds(tr.cost, tr.iteration, 1000, 250)
            for tr in runs.values()]
    assert links.replay_seconds(runs, 1000) == pytest.approx(sum(each))
    assert each[0] < each[1] < each[2]              # T 10 < T 25 < T 50


def test_decode_never_raises_on_garbage():
    for query in ({}, {"lesson": ""}, {"t": "1e3"}, {"it": ["1", "2"]}, {"seed": "1.5"},
                  {"lesson": "custom"}, {"gain": "inf", "lesson": "exploding"}):
        link, problems = links.decode(query)
        assert isinstance(link, links.Link) and isinstance(problems, list)


def test_play_walks_the_window_and_stops_at_the_end():
    at = start()
    T = sess(at).trainer.config.seq_length
    at.button(key="play").click().run()            # starts and takes the first step
    assert sess(at).playing and at.session_state["timestep"] == T - 2
    for _ in range(T):                              # the timer's ticks, by hand
        if not sess(at).playing:
            break
        at.run()
    assert not sess(at).playing and at.session_state["timestep"] == 0
    at.button(key="play").click().run()            # at the end: Play starts over
    assert sess(at).playing and at.session_state["timestep"] == T - 2
    at.button(key="play").click().run()
    assert not sess(at).playing


def test_the_guided_tour_opens_each_stop_and_can_be_left():
    at = start()
    T = sess(at).trainer.config.seq_length
    at.button(key="tour_start").click().run()
    for k, stop in enumerate(tour.STOPS):
        assert sess(at).tour_step == k
        assert at.session_state["view"] == stop.view
        assert at.session_state["timestep"] == tour.timestep(stop, T)
        assert f"stop {k + 1} of {len(tour.STOPS)}" in "\n".join(m.value for m in at.markdown)
        if k == 2:
            at.button(key="tour_back").click().run()
            assert sess(at).tour_step == 1
            at.button(key="tour_next").click().run()
        at.button(key="tour_next").click().run()
        assert not at.exception
    assert sess(at).tour_step is None
    at.button(key="tour_start").click().run()
    at.button(key="tour_leave").click().run()
    assert sess(at).tour_step is None


@pytest.mark.parametrize("key, value, valid", [
    ("text", "prose", "prose.txt"), ("lesson", "vanish", "vanishing"),
    ("view", "Explorer", "Timestep explorer")])
def test_a_name_that_does_not_exist_is_answered_with_the_ones_that_do(key, value, valid):
    """'prose' for 'prose.txt' is a typo: the message lists what the link may name."""
    query = {"lesson": "custom", "text": "prose.txt", key: value}
    _, problems = links.decode(query)
    said = [p for p in problems if f"called '{value}'" in p]
    assert said and valid in said[0], problems


@pytest.mark.parametrize("value", [0.1234567, 0.1 + 1e-12, 1 / 3, 0.05, 5.0, 2.5e-4])
def test_a_link_carries_every_setting_exactly(value):
    """A float setting reads back as the very number (``:g`` alone kept six digits, and a
    run trained with 0.1234567 came back as 0.123457); a round one stays short."""
    trainer = engine.Trainer("hello world, " * 10, hidden_size=8, seq_length=5,
                             learning_rate=value, threshold=value)
    s = type("Session", (), {"trainer": trainer, "lesson": "custom", "comparison": None,
                             "corpus_label": "sample prose.txt", "focus": None})()
    query = links.encode(s, "Training", 0)
    link, problems = links.decode(query)
    assert not problems, problems
    assert link.settings["learning_rate"] == value and link.settings["threshold"] == value
    if value == 5.0:
        assert query["threshold"] == "5"
