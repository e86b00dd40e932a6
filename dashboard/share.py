"""Links in the browser: open the session a link describes, keep the address bar in
step with the session, and offer the link to copy."""
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

import engine
from dashboard import links, models, present, session
from dashboard.session import get

_link = st.components.v2.component(
    "bptt_link", js=(Path(__file__).resolve().parent / "web" / "link.js").read_text())


def start(ss):
    """First script run of a browser session: the state of the link it was opened with,
    or the default lesson. A link that cannot be followed gets a message, never an
    exception, and the default lesson."""
    if "session" in ss:
        return
    query = st.query_params.to_dict()
    session.init(ss)
    presenting = present.from_query(query)
    if presenting is not None:
        session.set_presenting(ss, presenting)
    if not query:
        return
    link, problems = links.decode(query)
    bar = st.progress(0.0, text="Opening the shared lesson…")
    try:
        runs, label, lesson, notes = models.from_link(
            link, progress=lambda f, text: bar.progress(min(f, 1.0), text=text))
    except (engine.CorpusError, ValueError) as err:
        problems.append(str(err))
        runs = None
    finally:
        bar.empty()
    if runs is not None:
        session.open_link(ss, runs, label, lesson, notes, link.view, link.timestep,
                          link.focus)
    if problems:
        session.flash(ss, "warning", "This link could not be followed completely: "
                      + "; ".join(p.rstrip(".") for p in problems) + "."
                      + ("" if runs is not None else " Showing the default lesson."))


def mirror(ss):
    """Write the session into the address bar (only when it changed, and not on live
    refreshes)."""
    s = get(ss)
    if s.running:
        return
    params = links.encode(s, ss.get("view"), ss.get("timestep", 0))
    if session.presenting(ss):
        params[present.QUERY] = "1"
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def link_box(ss):
    """The link to this view, with what it does and does not carry."""
    s = get(ss)
    params = links.encode(s, ss.get("view"), ss.get("timestep", 0))
    base = st.context.url or "http://localhost:8501/"
    if s.lesson == session.CUSTOM and "text" not in params:
        st.caption("Links carry the shipped sample texts only: this text was uploaded or "
                   "pasted. Share a checkpoint (Export tab) instead.")
        return
    if session.presenting(ss):
        params[present.QUERY] = "1"
    # the box shows the address bar (kept equal to this link by mirror), so it follows
    # t when only the explorer's walk reran; while live, this link
    _link(key="link_box", data={"link": f"{base}?{urlencode(params)}", "live": s.running})
    note = ("Opening it rebuilds this lesson from fresh weights and replays "
            f"{get(ss).trainer.iteration:,} iterations: the same weights, bit for bit.")
    if s.edited:
        note += (" Not in the link: the forks, removals and settings changed by hand "
                 "during training; the link replays the lesson with the settings shown.")
    st.caption(note)
