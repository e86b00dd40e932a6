"""Live training, paced by the page.

While running, the runs train on a worker thread (``dashboard.background``) and the
main fragment only draws them. The next refresh is asked for by the page itself, by a
tiny element drawn last in the fragment (the pacer), once the browser has painted the
previous one: so exactly one refresh is ever in flight, a slow page lowers the refresh
rate instead of piling up a backlog, and Pause is answered at once instead of after the
queued refreshes. Refreshes are spaced by the server's drawing time and the page's
(see ``DRAW_SHARE``), so most of the machine goes to training, whatever the model size.
"""
import time

import streamlit as st

from dashboard import session

# A refresh starts at least this many times the server's drawing time after the last
# one (so training keeps about 7/8 of the server), within these bounds in seconds; and
# (in the page) at least 3 times the last refresh's whole cycle, page included.
DRAW_SHARE = 8.0
MIN_PERIOD_SECONDS, MAX_PERIOD_SECONDS = 0.4, 2.0

PACER_JS = r"""
const CYCLE_SHARE = 3;

export default function ({ data, parentElement, setTriggerValue }) {
  const root = parentElement;
  clearTimeout(root.bpttTimer);
  const mine = root.bpttRender = (root.bpttRender ?? 0) + 1;   // a newer render wins
  if (!data.live) { root.bpttAsked = null; return; }
  const ask = () => {
    if (root.bpttRender !== mine) return;
    // a refresh cycle (request, server, page) takes at most a third of the time, so
    // the page's drawing does not starve training of the machine's cores
    const now = performance.now();
    const cycle = root.bpttAsked ? now - root.bpttAsked : 0;
    const wait = Math.max(data.period_ms, CYCLE_SHARE * cycle) - cycle;
    root.bpttTimer = setTimeout(() => {
      root.bpttAsked = performance.now();
      setTriggerValue("drawn", data.seq);
    }, Math.max(0, wait));
  };
  // Charts off screen, drawn in idle time (plotly_element), must have caught up too:
  // their drawing is part of the cycle (at most 2 s of waiting for them)
  const caughtUp = (since) => {
    if (root.bpttRender !== mine) return;
    if (!document.querySelector("div.bptt-plot[data-pending]")
        || performance.now() - since > 2000) ask();
    else root.bpttTimer = setTimeout(() => caughtUp(since), 50);
  };
  // after the browser has painted this refresh (a hidden tab paints nothing: go on
  // at the timer's pace there, so training does not stop)
  if (document.hidden) ask();
  else requestAnimationFrame(() => requestAnimationFrame(() => caughtUp(performance.now())));
}
"""
_pacer = st.components.v2.component("bptt_pacer", js=PACER_JS, isolate_styles=False)


def tick(ss):
    """Start of a refresh: keep the background training going (or stop it when every
    run has diverged), and note the rate. Returns when drawing starts. When training
    stopped or the sidebar is out of date, rerun the whole app so they follow."""
    s = session.get(ss)
    if s.sidebar_stale:
        st.rerun()
    was_running = s.running
    with session.drawing(ss):
        session.keep_training(ss, int(ss["iters_per_refresh"]))
        if s.running:
            session.mark_rate(ss)
    if was_running and not s.running:
        st.rerun()
    return time.perf_counter()


def drawn(ss, tick_start):
    """End of a refresh: remember how long the server took to draw it, then mount the
    pacer, which asks for the next refresh once the page has painted this one."""
    s = session.get(ss)
    seq = session.note_refresh(ss, time.perf_counter() - tick_start if s.running else None)
    period = min(MAX_PERIOD_SECONDS, max(MIN_PERIOD_SECONDS, DRAW_SHARE * s.render_seconds))
    _pacer(key="pacer", data={"live": s.running, "seq": seq,
                              "period_ms": round(1000 * period)},
           on_drawn_change=lambda: None)


def walk_tick(ss):
    """One step of the explorer's playing walk; False at the end (the walk stops)."""
    return session.walk_step(ss)
