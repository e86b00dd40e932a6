"""Live training: each refresh of the main fragment trains one time-bounded chunk."""
import streamlit as st

from dashboard import session

REFRESH_SECONDS = 0.1       # the fragment reruns this often while running
TRAIN_SECONDS = 0.25        # training per refresh stops after this long, whatever the
                            # model size, so the page never waits long for a redraw


def run_every(ss):
    """The main fragment's timer: on while running, off otherwise."""
    return REFRESH_SECONDS if session.get(ss).running else None


def tick(ss):
    """Train one chunk if running: up to ``iters_per_refresh`` iterations of every run,
    within ``TRAIN_SECONDS``. When training stops (every run diverged) or the sidebar is
    out of date, rerun the whole app so the timer and the sidebar follow."""
    s = session.get(ss)
    if s.sidebar_stale:
        st.rerun()
    if not s.running:
        return
    if not s.rate_marks:
        session.mark_rate(ss)
    session.step(ss, int(ss["iters_per_refresh"]), budget=TRAIN_SECONDS)
    session.mark_rate(ss)
    if not s.running:
        st.rerun()


def walk_tick(ss):
    """One step of the explorer's playing walk; False at the end (the walk stops)."""
    return session.walk_step(ss)
