"""Live training: each refresh of the main fragment trains one chunk."""
import streamlit as st

from dashboard import state

REFRESH_SECONDS = 0.1       # the fragment reruns this often while running


def run_every(ss):
    """The main fragment's timer: on while running, off otherwise."""
    return REFRESH_SECONDS if ss["running"] else None


def tick(ss):
    """Train ``iters_per_refresh`` iterations if running. On divergence the session
    stops running; rerun the whole app so the timer and the sidebar buttons follow."""
    if not ss["running"]:
        return
    if not ss["rate_marks"]:
        state.mark_rate(ss)
    ok = state.step(ss, int(ss["iters_per_refresh"]))
    state.mark_rate(ss)
    if not ok:
        st.rerun()
