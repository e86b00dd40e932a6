"""Above the views: what model this is, what just happened, and the lesson."""
import streamlit as st

from dashboard import actions, scroll, session, tour
from dashboard.charts import style
from dashboard.session import get
from dashboard.views.sections import claims
from engine.cells import LABEL as CELL_LABEL

TOUR_TOP = "3.75rem"    # below Streamlit's own header bar
ALERTS = {"error": st.error, "warning": st.warning, "info": st.info, "success": st.success}


def status(ss):
    s = get(ss)
    trainer = s.trainer
    c = trainer.config
    trace = trainer.trace
    loss = f"{trace.loss:.2f}" if trace is not None else "—"
    who = f"run **{s.focus}** of {len(s.runs)} · " if len(s.runs) > 1 else ""
    line = (f"{who}**{s.corpus_label}** ({len(trainer.text):,} characters, vocabulary "
            f"V = {len(trainer.vocab)}) · {CELL_LABEL[c.cell]}, H = {c.hidden_size}, "
            f"T = {c.seq_length}, "
            f"{c.optimizer} lr {c.learning_rate:g}, clip {c.clip}"
            + (f" {c.threshold:g}" if c.clip != "none" else "")
            + f" · iteration **{trainer.iteration}** · loss {loss} · smooth loss "
            f"{trainer.smooth_loss:.2f}")
    if s.running:
        rate = session.iterations_per_second(ss)
        line += " · ▶ training live" + (f": **{style.plural(rate, 'iteration')}/s**" if rate
                                        else "")
    st.markdown(line)


def messages(ss):
    s = get(ss)
    for level, text in s.messages:
        ALERTS[level](text)
    for name, why in s.diverged.items():
        _divergence(ss, name, why)


def _divergence(ss, name, why):
    s = get(ss)
    several = len(s.runs) > 1
    st.error(
        (f"**Run '{name}' diverged.** " if several else "**Training diverged.** ")
        + f"{why}\n\n" + ("This run has stopped; the others go on. " if several else
                            "Live training has stopped. ")
        + "The model is exactly as it was before that step, so every chart still shows "
        "its last good window." + (" Focus it in the sidebar to fix it." if several and
                                   name != s.focus else " Pick a way out:"), icon="💥")
    if several and name != s.focus:
        return
    c = st.columns(3)
    c[0].button("Lower the learning rate ×0.1", key="fix_lower_lr",
                on_click=actions.on_lower_lr)
    c[1].button("Clip the gradient norm to 5", key="fix_clip", on_click=actions.on_clip_norm)
    c[2].button("Reset the model", key="fix_reset", on_click=actions.on_reset)


def lesson(ss):
    s = get(ss)
    lesson = s.preset or s.comparison
    if s.tour_step is not None:
        return _tour(ss)
    if lesson is None:
        return
    kind = "Lesson" if s.preset else "Comparison"
    results = session.lesson_claims(ss)
    claims.lapses(ss)
    mine = [r for r in results if r.source == "look for"]
    held, ended = sum(r.holds for r in mine), sum(r.ended for r in mine)
    pending = sum(r.pending for r in mine)
    with st.expander(f"{kind}: **{lesson.name}** — what you will see ({held} of "
                     f"{len(mine)} sentences hold now"
                     + (f", {ended} ended as said" if ended else "")
                     + (f", {pending} not yet due" if pending else "") + ")", expanded=True):
        st.markdown(lesson.description)
        st.caption(f"Each sentence below is measured on the runs at every refresh and "
                   f"marked {claims.HOLDS}, {claims.BROKEN}, {claims.ENDED} (when it "
                   f"said it would not last) or {claims.PENDING} (when it speaks of what "
                   f"training brings later). This lesson trains {lesson.pace:,} iteration"
                   f"{'s' if lesson.pace > 1 else ''} per refresh, a pace a class can "
                   "follow (sidebar: iterations per refresh).")
        claims.listing([r for r in results if r.source == "look for"])
        if lesson.name == tour.LESSON and len(s.runs) == 1:
            st.button("Take the guided tour", key="tour_start", on_click=actions.on_tour,
                      args=(0,), icon=":material/tour:",
                      help=f"{len(tour.STOPS)} short stops: each opens the right view at "
                           "the right timestep and says what to notice.")


def _tour(ss):
    s = get(ss)
    k = s.tour_step
    stop = tour.STOPS[k]
    result = stop.claim.evaluate(s.runs, f"tour stop {k + 1}")
    # the stop stays in sight while the page scrolls to what it names
    # (the wrapper Streamlit puts around the box is as tall as the box: it must stick)
    st.html(f"<style>[data-testid=stLayoutWrapper]:has(> .st-key-tour_box) {{position: "
            f"sticky; top: {TOUR_TOP}; z-index: 990;}} .st-key-tour_box {{background: "
            "var(--st-background-color, #fff);}</style>")
    with st.container(border=True, key="tour_box"):
        st.markdown(f"**Guided tour, stop {k + 1} of {len(tour.STOPS)}** · {stop.view}, "
                    f"t = {ss['timestep']}<br>{claims.line(result, with_view=False)}",
                    unsafe_allow_html=True)
        scroll.to(stop.anchor, f"{s.generation}-{k}", below=".st-key-tour_box",
                  align="end" if stop.anchor.endswith("-end") else "start")
        c = st.columns([2, 2, 3, 7])
        c[0].button("◀ Back", key="tour_back", on_click=actions.on_tour, args=(k - 1,),
                    disabled=k == 0)
        last = k == len(tour.STOPS) - 1
        c[1].button("Finish" if last else "Next ▶", key="tour_next", type="primary",
                    on_click=actions.on_tour, args=(None if last else k + 1,))
        c[2].button("Leave the tour", key="tour_leave", on_click=actions.on_tour,
                    args=(None,))
