"""Live training, paced by the page.

While running, the runs train in a process of their own (``dashboard.background``)
and the main fragment only draws them. The next refresh is asked for by the page itself, by a
tiny element drawn last in the fragment (the pacer), once the browser has painted the
previous one: so exactly one refresh is ever in flight, a slow page lowers the refresh
rate instead of piling up a backlog, and Pause is answered at once instead of after the
queued refreshes. Refreshes are spaced by the server's drawing time and the page's
(see ``DRAW_SHARE``), so most of the machine goes to training, whatever the model size;
when many sessions train, each refreshes less often, so that drawing all of them takes
at most SERVER_SHARE of the server (its one interpreter) and a new page or a click
still finds it free.
"""
import time
from pathlib import Path

import streamlit as st

from dashboard import pool, session

# A refresh starts at least this many times the server's drawing time after the last
# one (so training keeps about 7/8 of the server), within these bounds in seconds; and
# (in the page) at least 3 times the last refresh's whole cycle, page included.
DRAW_SHARE = 8.0
MIN_PERIOD_SECONDS, MAX_PERIOD_SECONDS = 0.4, 2.0
# With n sessions live, a refresh starts at least n / SERVER_SHARE times the drawing time
# after the last one (at most BUSY_PERIOD_SECONDS apart).
SERVER_SHARE, BUSY_PERIOD_SECONDS = 0.5, 6.0

_pacer = st.components.v2.component(
    "bptt_pacer", js=(Path(__file__).resolve().parent / "web" / "pacer.js").read_text(
        encoding="utf-8"), isolate_styles=False)


def tick(ss):
    """Start of a refresh: keep the background training going (or stop it when every
    run has diverged), and note the rate. Returns when drawing starts. When training
    stopped or the sidebar is out of date, rerun the whole app so they follow."""
    s = session.get(ss)
    if s.sidebar_stale:
        st.rerun()
    was_running = s.running
    with session.drawing(ss):
        session.keep_training(ss, int(ss["iters_per_refresh"]), _page_open())
        if s.running:
            session.mark_rate(ss)
    if was_running and not s.running:
        st.rerun()
    if s.running:
        _busy_note(s)
    return time.perf_counter()


def _page_open():
    """``page_open()`` for this session: whether its websocket is still connected (the
    janitor stops the training of a closed tab, dashboard/pool.py). None outside a
    server (AppTest)."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return None
    rt, session_id = runtime.get_instance(), ctx.session_id
    if not isinstance(rt, runtime.Runtime):          # AppTest's stand-in
        return None
    pool.set_sessions(lambda: _session_count(rt))
    return lambda: rt.is_active_session(session_id)


def _session_count(rt):
    """Sessions the server holds, open or kept for a reconnect, after reaping those kept
    past server.disconnectedSessionTTL (Streamlit only reaps them on its next write, so
    a class that has left would otherwise keep its memory)."""
    try:
        manager = rt._session_mgr
        manager._session_storage._cache.expire()
        return len(manager.list_sessions())
    except (AttributeError, TypeError):      # another Streamlit, or AppTest's stand-in
        return None


def _busy_note(s):
    """Say so when this session trains slower than alone, or waits for a place."""
    training, cores = pool.busy()
    if s.queued:
        st.warning(f"The server is full: {training} students are training, the most it "
                   "takes at once. Your run starts as soon as one of them pauses or "
                   "leaves; Step works meanwhile.", icon=":material/hourglass_top:")
    elif training > cores:
        st.info(f"The server is busy: {training} students are training on {cores} cores, "
                f"so your run trains at about {cores / training:.0%} of full speed and the "
                "page refreshes less often. Step and the views are not slowed.",
                icon=":material/groups:")


def drawn(ss, tick_start):
    """End of a refresh: remember how long the server took to draw it, then mount the
    pacer, which asks for the next refresh once the page has painted this one."""
    s = session.get(ss)
    seq = session.note_refresh(ss, time.perf_counter() - tick_start if s.running else None)
    period = min(MAX_PERIOD_SECONDS, max(MIN_PERIOD_SECONDS, DRAW_SHARE * s.render_seconds))
    period = min(BUSY_PERIOD_SECONDS,
                 max(period, pool.training_now() * s.render_seconds / SERVER_SHARE))
    _pacer(key="pacer", data={"live": s.running, "seq": seq,
                              "period_ms": round(1000 * period)},
           on_drawn_change=lambda: None)


def walk_tick(ss):
    """One step of the explorer's playing walk; False at the end (the walk stops)."""
    return session.walk_step(ss)
