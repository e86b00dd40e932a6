"""Live training: each refresh of the main fragment trains one time-bounded chunk."""
import time

import streamlit as st

from dashboard import session

REFRESH_SECONDS = 0.1       # the fragment reruns this often while running
# Training per refresh is bounded by time, whatever the model size, so the page never
# waits long for a redraw: TRAIN_PER_DRAW times the last refresh's drawing time (so
# training keeps about 3/4 of the server's time), within these bounds in seconds.
MIN_TRAIN_SECONDS, MAX_TRAIN_SECONDS = 0.15, 0.6
TRAIN_PER_DRAW = 3.0


def run_every(ss):
    """The main fragment's timer: on while running, off otherwise."""
    return REFRESH_SECONDS if session.get(ss).running else None


def tick(ss):
    """Train one chunk if running: up to ``iters_per_refresh`` iterations of every run,
    within the time budget; returns when it finished (None if not running). When
    training stops (every run diverged) or the sidebar is
    out of date, rerun the whole app so the timer and the sidebar follow."""
    s = session.get(ss)
    if s.sidebar_stale:
        st.rerun()
    if not s.running:
        return None
    if not s.rate_marks:
        session.mark_rate(ss)
    budget = min(MAX_TRAIN_SECONDS, max(MIN_TRAIN_SECONDS, TRAIN_PER_DRAW * s.render_seconds))
    session.step(ss, int(ss["iters_per_refresh"]), budget=budget)
    session.mark_rate(ss)
    if not s.running:
        st.rerun()
    return time.perf_counter()


def drawn(ss, tick_end):
    """After the views are drawn: remember how long drawing took (live refreshes only)."""
    if tick_end is not None:
        session.note_render(ss, time.perf_counter() - tick_end)


def walk_tick(ss):
    """One step of the explorer's playing walk; False at the end (the walk stops)."""
    return session.walk_step(ss)
