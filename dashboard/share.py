"""Links in the browser: open the session a link describes, keep the address bar in
step with the session, and offer the link to copy."""
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

import engine
from dashboard import actions, links, models, present, session
from dashboard.session import get

CHUNK_SECONDS = 0.25    # training per script run while a link replays: a Stop lands
                        # within about this long (by the engine's estimate)

_link = st.components.v2.component(
    "bptt_link", js=(Path(__file__).resolve().parent / "web" / "link.js").read_text())


def start(ss):
    """First script run of a browser session: the state of the link it was opened with,
    or the default lesson. A link that cannot be followed gets a message, never an
    exception, and the default lesson; a link that asks for iterations is replayed over
    the next script runs (see ``replay``)."""
    if "session" in ss:
        return
    query = st.query_params.to_dict()
    session.init(ss)
    presenting = present.from_query(query)
    if presenting is not None:
        session.set_presenting(ss, presenting)
    if "exercise" in query:
        return _open_exercise(ss, query)
    if not query:
        return
    link, problems = links.decode(query)
    try:
        replay = links.link_replay(link)
    except (engine.CorpusError, ValueError) as err:
        problems.append(str(err))
        replay = None
    if problems:
        note = ("warning", "This link could not be followed completely: "
                + "; ".join(p.rstrip(".") for p in problems) + "."
                + ("" if replay is not None else " Showing the default lesson."))
        if replay is None:
            session.flash(ss, *note)
        else:
            replay.notes.append(note)
    if replay is not None:
        session.begin_replay(ss, replay)


def replay(ss):
    """While a link's lesson is replayed: show the progress and a Stop button, train one
    chunk, and run the script again (nothing else is drawn meanwhile; the button stays
    on the page while the chunk trains, so a press lands within a chunk). Returns once
    the replay is finished or stopped, with its lesson open."""
    s = get(ss)
    r = s.replay
    if r is None:
        return
    if r.finished:
        session.finish_replay(ss)
        return
    left = r.seconds * (1 - r.done / r.total)
    st.progress(r.done / r.total, text=f"Replaying the shared lesson: iteration "
                f"{r.done:,} of {r.total:,} (about {left:.0f} s left by the engine's "
                "estimate). Training is deterministic, so it arrives at the shared "
                "weights bit for bit.")
    st.button("Stop replaying", key="replay_stop", on_click=actions.on_stop_replay,
              icon=":material/stop:", help="Open the lesson at the iteration reached so far.")
    links.replay_some(r, CHUNK_SECONDS)
    _next_chunk()


def _next_chunk():
    st.rerun()


def _open_exercise(ss, query):
    """?exercise=NAME: the exercise's lesson, iteration, view and t (the link's other
    parameters are ignored: the exercise sets them). A name that is not an exercise
    keeps the default lesson and is shown as plain text."""
    raw = query["exercise"]
    name = (raw[-1] if raw else "") if isinstance(raw, list) else str(raw)
    if name.strip() not in engine.EXERCISES:
        session.exercise_missing(ss, name)
        return
    bar = st.progress(0.0, text=f"Opening exercise {name.strip()}…")
    try:
        runs, label, notes = models.from_exercise(name.strip())
    except (engine.CorpusError, ValueError) as err:
        session.flash(ss, "error", f"The exercise could not be opened: {err}")
        return
    finally:
        bar.empty()
    ignored = [k for k in query if k != "exercise"]
    if ignored:                 # their names are not echoed: they could be markdown
        notes.append(("info", f"The link's {len(ignored)} other parameter"
                              f"{'s were' if len(ignored) > 1 else ' was'} ignored: an "
                              "exercise sets its own lesson, iteration, view and timestep."))
    session.open_exercise(ss, name.strip(), runs, label, notes)


def mirror(ss):
    """Write the session into the address bar (only when it changed, and not on live
    refreshes)."""
    s = get(ss)
    if s.running:
        return
    params = links.encode(s, ss.get("view"), ss.get("timestep", 0))
    if s.exercise is not None:          # reloading reopens the exercise as set
        params = {"exercise": s.exercise}
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
