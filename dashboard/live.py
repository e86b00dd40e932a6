"""Live training, paced by the page and by the server.

While running, the runs train in a process of their own (``dashboard.background``)
and the main fragment only draws them. The next refresh is asked for by the page itself, by a
tiny element drawn last in the fragment (the pacer), once the browser has painted the
previous one: so exactly one refresh is ever in flight, a slow page lowers the refresh
rate instead of piling up a backlog, and Pause is answered at once instead of after the
queued refreshes. Refreshes are spaced by the server's drawing time and the page's
(see ``DRAW_SHARE``), so most of the machine goes to training, whatever the model size.
The pages of a class are paced together (dashboard/pacing.py): a click anywhere is
answered before other pages' live refreshes, and all live refreshes together take a
fixed share of the machine, so each page refreshes less often when many train. A page
refreshed less often than every MAX_PERIOD_SECONDS (a page alone never is) trains its
allowance of iterations per refresh for every MAX_PERIOD_SECONDS that passed, so its
lesson keeps its pace (dashboard/training_process.Training).
"""
import atexit
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import streamlit as st

from dashboard import pacing, pool, session

# A refresh starts at least this many times the server's drawing time after the last
# one (so training keeps about 7/8 of the server), within these bounds in seconds; and
# (in the page) at least 3 times the last refresh's whole cycle, page included.
DRAW_SHARE = 8.0
MIN_PERIOD_SECONDS, MAX_PERIOD_SECONDS = 0.4, 2.0
# However many pages the server paces together, a page refreshes at least this often.
BUSY_PERIOD_SECONDS = 10.0

PACING = pacing.Pacing(pool.CORES)      # every page of this server process
_notice = {}                            # the hold notice's URL, once the app knows it

_pacer = st.components.v2.component(
    "bptt_pacer", js=(Path(__file__).resolve().parent / "web" / "pacer.js").read_text(
        encoding="utf-8"), isolate_styles=False)


@contextmanager
def answering(ss, whole=False):
    """Around a script run (``whole``) or a run of the main fragment: a run that answers
    a person counts as interactive (dashboard/pacing.py), so other pages' live
    refreshes wait for it. Yields whether this run is a live refresh the page asked
    for (the main fragment rerun by its pacer)."""
    if whole:
        with PACING.interactive():
            yield False
        return
    asked = session.take_live_refresh(ss)
    live = asked and _fragment_run()
    with nullcontext() if live or not _fragment_run() else PACING.interactive():
        yield live


def hold_notice_url():
    """The URL of a small file in the static folder saying whether this server is
    answering a click (``{"answering": true}``): each page's pacer reads it before it
    asks for a refresh and waits while it says so. Set up on the first call; None
    without static serving (the refresh then waits on the server, see pacing)."""
    if "url" not in _notice:
        _notice["url"] = None
        if st.get_option("server.enableStaticServing"):
            from dashboard import plotly_element
            folder = plotly_element.static_folder()
            name = f"bptt-answering-{st.get_option('server.port')}.json"
            if folder.is_dir():
                PACING.publish = lambda answering: _write_notice(folder / name, answering)
                _write_notice(folder / name, False)
                atexit.register(_remove_notice, folder / name)  # no file left per port
                _notice["url"] = plotly_element.static_url(name)
    return _notice["url"]


def _write_notice(path, answering):
    try:
        part = path.with_suffix(".part")
        part.write_text('{"answering": %s}' % ("true" if answering else "false"))
        part.replace(path)
    except OSError:                    # a read-only folder: the server-side wait remains
        pass


def _remove_notice(path):
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _fragment_run():
    """Whether this script run reruns fragments only (not the whole app)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def _click_pending():
    """Whether this session has a click (a rerun or a stop) waiting to be run: a live
    refresh waiting for other pages' clicks then goes on at once, so the click is
    answered as soon as it would have been."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    requests = getattr(ctx, "script_requests", None)
    state = getattr(requests, "_state", None)
    return state is not None and getattr(state, "name", "CONTINUE") != "CONTINUE"


def tick(ss, live=False):
    """Start of a refresh: keep the background training going (or stop it when every
    run has diverged), and note the rate. Returns when drawing starts. When training
    stopped or the sidebar is out of date, rerun the whole app so they follow. A live
    refresh (``live``) first waits while other pages' clicks are answered."""
    s = session.get(ss)
    if s.sidebar_stale:
        st.rerun()
    if live and s.running:
        session.note_deferred(ss, PACING.wait_turn(_click_pending))
    was_running = s.running
    with session.drawing(ss):
        session.keep_training(ss, int(ss["iters_per_refresh"]), _page_open(),
                              pace_seconds=MAX_PERIOD_SECONDS)
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
                f"so your run gets at most about {cores / training:.0%} of a core and the "
                "page refreshes less often; the lesson keeps its pace as long as that is "
                "enough. Step and the views are not slowed.", icon=":material/groups:")


def drawn(ss, tick_start):
    """End of a refresh: remember how long the server took to draw it, take the page's
    next place among the live refreshes of the server's pages, then mount the pacer,
    which asks for the next refresh once the page has painted this one (and the time
    set has passed)."""
    s = session.get(ss)
    draw = time.perf_counter() - tick_start
    period = None
    if s.running:
        period = min(MAX_PERIOD_SECONDS, max(MIN_PERIOD_SECONDS, DRAW_SHARE * draw))
        cost = max(draw, s.page_cycle - s.deferred)
        wait = PACING.reserve(cost, longest=BUSY_PERIOD_SECONDS)
        period = min(BUSY_PERIOD_SECONDS, max(period, draw + wait))
    seq = session.note_refresh(ss, draw if s.running else None)
    asked = _pacer(key="pacer", data={"live": s.running, "seq": seq,
                                      "period_ms": round(1000 * (period or 0)),
                                      "hold_url": hold_notice_url() if s.running else None,
                                      "hold_ms": round(1000 * pacing.MAX_DEFER_SECONDS)},
                   on_drawn_change=lambda: session.note_live_refresh(ss))
    _note_cycle(ss, getattr(asked, "drawn", None))


def _note_cycle(ss, request):
    """The pacer's request carries the page's last refresh cycle, request to painted."""
    if isinstance(request, dict) and isinstance(request.get("cycle_ms"), (int, float)):
        session.note_page_cycle(ss, request["cycle_ms"] / 1000)


def walk_tick(ss):
    """One step of the explorer's playing walk; False at the end (the walk stops)."""
    return session.walk_step(ss)
