"""Exercises in the dashboard (AppTest): ?exercise=NAME opens the lesson, right and wrong
answers, hint, reveal, predict-then-run, a bad name, the sidebar list."""
import numpy as np
from apptest import sess, start

import engine
from dashboard.charts import tables


def answer(at, text):
    at.text_input(key="exercise_answer").input(text)
    at.button(key="exercise_check").click()
    at.run()
    assert not at.exception, at.exception


def weights(at):
    return {name: {k: v.copy() for k, v in tr.params.items()}
            for name, tr in sess(at).runs.items()}


def same_weights(a, b):
    return a.keys() == b.keys() and all(
        np.array_equal(a[n][k], b[n][k]) for n in a for k in a[n])


def texts(elements):
    return "\n".join(e.value for e in elements)


def test_dh_by_hand_opens_its_lesson_and_checks_answers():
    at = start({"exercise": "dh-by-hand"})
    ex = engine.EXERCISES["dh-by-hand"]
    s = sess(at)
    assert s.exercise == "dh-by-hand" and s.lesson == "tiny"
    assert s.trainer.iteration == ex.iteration
    assert at.session_state["view"] == ex.view and at.session_state["timestep"] == ex.t
    assert ex.question in texts(at.markdown)
    # the explorer prints the tables the question needs, at t
    assert any("Per hidden unit at t = 1" in h.proto.body for h in at.get("html"))
    before, iteration = weights(at), s.trainer.iteration
    right = ex.answer(s.runs)
    wrong = right + 0.5
    answer(at, f"{wrong:.4f}")
    assert not at.success and "Not quite" in texts(at.warning)
    assert ex.hint in texts(at.warning)
    answer(at, tables.num(right).replace("−", "-"))
    assert "Right" in texts(at.success) and ex.explanation in texts(at.success)
    answer(at, "about one")
    assert "not a number" in texts(at.warning)
    assert same_weights(before, weights(at)) and sess(at).trainer.iteration == iteration


def test_hint_and_reveal():
    at = start({"exercise": "clipped-entries"})
    ex = engine.EXERCISES["clipped-entries"]
    at.button(key="exercise_hint").click().run()
    assert ex.hint in texts(at.info)
    before = weights(at)
    at.button(key="exercise_reveal").click().run()
    expected = ex.answer(sess(at).runs)
    assert f"Answer: {expected}." in texts(at.info) and ex.explanation in texts(at.info)
    assert same_weights(before, weights(at))


def test_reveal_shows_the_arithmetic_of_dh_by_hand():
    at = start({"exercise": "dh-by-hand"})
    at.button(key="exercise_reveal").click().run()
    assert any("dhnext_1[0]" in c.value for c in at.code)


def test_predict_then_run():
    at = start({"exercise": "diverge-first"})
    ex = engine.EXERCISES["diverge-first"]
    s = sess(at)
    warm = s.trainer.iteration
    assert s.lesson == ex.lesson and warm < ex.iteration           # not trained yet
    assert at.button(key="exercise_check").label == "Predict"
    answer(at, "the red one")                                        # not a run: no training
    assert "Answer with one of" in texts(at.warning)
    assert sess(at).trainer.iteration == warm
    runs = list(s.runs)
    guess = runs[-1]
    answer(at, guess.upper())
    assert all(tr.iteration == ex.iteration for tr in sess(at).runs.values())
    truth = ex.answer(sess(at).runs)
    if truth.casefold() == guess.casefold():
        assert "Your prediction held" in texts(at.success)
    else:
        assert "Your prediction did not hold" in texts(at.warning)
        assert truth in texts(at.warning)
    assert at.button(key="exercise_check").label == "Check"
    answer(at, truth)                              # checking now trains nothing more
    assert "Your prediction held" in texts(at.success)
    assert all(tr.iteration == ex.iteration for tr in sess(at).runs.values())


def test_a_bad_exercise_name_is_plain_text_and_the_default_lesson_loads():
    name = "**bold** :red[x] <b>y</b> $z$"
    at = start({"exercise": name})
    s = sess(at)
    assert s.exercise is None and s.lesson == "min-char-rnn"
    assert "does not exist" in texts(at.warning)
    assert [t.value for t in at.text] == [name]           # st.text: never markdown
    assert name not in texts(at.markdown) + texts(at.warning)


def test_the_sidebar_lists_every_exercise_with_its_link():
    at = start()
    for name in engine.EXERCISES:
        assert at.sidebar.button(key=f"exercise_open_{name}")
    codes = [c.value for c in at.sidebar.code]
    assert all(any(c.endswith(f"?exercise={n}") for c in codes) for n in engine.EXERCISES)
    at.sidebar.button(key="exercise_open_tanh-mask").click().run()
    assert not at.exception
    s = sess(at)
    assert s.exercise == "tanh-mask" and s.lesson == "tiny"
    assert at.session_state["timestep"] == engine.EXERCISES["tanh-mask"].t
    assert at.query_params["exercise"] == ["tanh-mask"] or \
        at.query_params["exercise"] == "tanh-mask"
    # a named answer, case-insensitive
    answer(at, str(int(engine.EXERCISES["tanh-mask"].answer(s.runs))))
    assert "Right" in texts(at.success)
    # changing the lesson closes the exercise
    at.sidebar.selectbox(key="preset").select("vanishing").run()
    assert sess(at).exercise is None


def test_export_offers_the_handout_of_the_window():
    at = start({"exercise": "dh-by-hand"})
    at.session_state["view"] = "Export"
    at.run()
    assert not at.exception
    buttons = [b for b in at.get("download_button") if b.proto.id.endswith("-handout")
               or "handout" in b.proto.id]
    assert len(buttons) == 1 and "Handout" in buttons[0].label
