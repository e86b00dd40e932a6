"""The open exercise (engine.EXERCISES): its question, an answer box, Check, Hint and
Reveal, and what the engine said about the answer. Above the views, so the numbers it
asks about stay in sight."""
import streamlit as st

import engine
from dashboard import actions
from dashboard.session import get


def link(name):
    """The homework link of exercise ``name``: this page's address with ?exercise=."""
    base = (st.context.url or "http://localhost:8501/").split("?")[0]
    return f"{base}?exercise={name}"


def render(ss):
    s = get(ss)
    if s.exercise_problem is not None:
        _missing(s.exercise_problem)
    ex = s.homework
    if ex is None:
        return
    status = s.exercise_status
    with st.container(border=True):
        where = f"view **{ex.view}**" + (f", t = {ex.t}" if ex.t is not None else "")
        st.markdown(f":material/school: **Exercise '{ex.name}'** · lesson **{ex.lesson}** "
                    f"at iteration {ex.iteration} · {where}")
        st.markdown(f"##### {ex.question}")
        if ex.given is not None:
            st.markdown(ex.given(s.runs))
        if ex.predict and not status.get("trained"):
            st.caption(f"The runs are at iteration {s.trainer.iteration}: they have not "
                       f"trained yet. Type your prediction (one of: "
                       f"{', '.join([*s.runs, engine.exercises.NO_RUN])}) and press Check: "
                       f"then they train to iteration {ex.iteration} and you see whether "
                       "it held.")
        c = st.columns([5, 1.3, 1, 1.2, 1.2], vertical_alignment="bottom")
        c[0].text_input("Your answer", key="exercise_answer",
                        placeholder="a number like 0.5, -0.0123 or 5e-1" if ex.kind ==
                        "number" else "a name")
        c[1].button("Predict" if ex.predict and not status.get("trained") else "Check",
                    key="exercise_check", type="primary", on_click=actions.on_exercise_check)
        c[2].button("Hint", key="exercise_hint", on_click=actions.on_exercise_hint)
        c[3].button("Reveal", key="exercise_reveal", on_click=actions.on_exercise_reveal)
        c[4].button("Close", key="exercise_close", on_click=actions.on_exercise_close)
        _status(ex, status, s)
        st.caption(f"Homework link for this exercise: {link(ex.name)}")


def _status(ex, status, s):
    fresh = status.get("iteration") == s.trainer.iteration
    verdict = status.get("verdict") if fresh else None
    if verdict is not None:
        if verdict.correct is None:
            st.warning(verdict.problem)
        elif verdict.correct:
            said = "Your prediction held" if status.get("prediction") else "Right"
            st.success(f"**{said}: {show(verdict.expected)}.** {ex.explanation}")
            if status.get("prediction") and ex.work is not None:
                st.caption(ex.work(s.runs))
        elif status.get("prediction"):
            st.warning(f"**Your prediction did not hold**: after training to iteration "
                       f"{s.trainer.iteration} the answer is **{show(verdict.expected)}**. "
                       f"{ex.explanation}")
            if ex.work is not None:
                st.caption(ex.work(s.runs))
        else:
            given = f" ({show(verdict.given)})" if ex.kind == "number" else ""
            st.warning(f"**Not quite{given}.** Hint: {ex.hint}")
    if status.get("hint") and not (verdict is not None and verdict.correct is False):
        st.info(f"Hint: {ex.hint}")
    if status.get("revealed") and fresh:
        expected = ex.answer(s.runs)
        st.info(f"**Answer: {show(expected)}.** {ex.explanation}")
        if ex.work is not None:
            st.code(ex.work(s.runs), language=None, wrap_lines=True)


def show(value):
    """An answer as the page says it: names in quotes, numbers to 4 significant digits."""
    if isinstance(value, str):
        return f"'{value}'"
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e9 else f"{value:.4g}"


def _missing(raw):
    """An ?exercise= value that names no exercise: said in words, the value as plain
    text (never markdown), and the names that exist."""
    st.warning("This link asks for an exercise that does not exist, so the default lesson "
               "is shown. The name it gave is below, as plain text. The exercises are: "
               + ", ".join(engine.EXERCISES) + " (also in the sidebar, under Exercises).")
    if not raw.strip():
        st.text("(nothing: the link says exercise= with no name)")
    else:
        st.text(raw if len(raw) <= 200 else raw[:200] + "…")
