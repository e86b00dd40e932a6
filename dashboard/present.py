"""Presentation mode: the views alone and large, driven from the keyboard, for a room.

On with the sidebar's toggle or a link's ``?present=1``. The sidebar and the long texts
(captions, the lesson's description) are hidden, text and charts are larger (the
charts' template at ``style.PRESENT_FONT``), the explorer's norms chart is enlarged, and
keys drive the lesson: space = Step, left / right = move t, r = Run / Pause, Escape =
leave. The page's part is in ``web/``: the CSS, and the JavaScript that listens for
the keys (a components.v2 element, like the charts' in plotly_element.py)."""
import functools
from pathlib import Path

import streamlit as st

from dashboard import actions, session

WEB = Path(__file__).resolve().parent / "web"
QUERY = "present"
KEYS_HELP = "Keys: space Step · ← → move t · r Run / Pause · Esc leave"

_keys = st.components.v2.component("bptt_keys", js=(WEB / "keys.js").read_text())


def from_query(query):
    """Take ``present`` out of a link's query (a dict, changed in place): presentation
    mode on if it says 1 / true / yes / on. Returns True / False, or None without it."""
    value = query.pop(QUERY, None)
    if value is None:
        return None
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@functools.cache
def _css():
    return (WEB / "present.css").read_text()


def toggle(sb):
    sb.toggle("Presentation mode", key="present",
              help="For a room: hides this sidebar and the long texts, enlarges the text "
                   "and one chart. " + KEYS_HELP + ". Also opened by adding ?present=1 "
                                                   "to the link.")


def bar(ss):
    """While presenting: the page's CSS, the keys, and a row of the buttons the hidden
    sidebar held (the keys do the same)."""
    if not session.presenting(ss):
        return
    st.html(f"<style>{_css()}</style>")
    _keys(key="present_keys", on_key_change=actions.on_key)
    running = session.get(ss).running
    c = st.columns([1, 1.3, 1.3, 5], vertical_alignment="center")
    c[0].button("Step", key="present_step", on_click=actions.on_step, type="primary",
                help="Train one iteration (key: space).")
    c[1].button("Pause" if running else "Run", key="present_run",
                on_click=actions.on_run_pause, help="Key: r.")
    c[2].button("Leave presentation", key="present_exit",
                on_click=actions.on_present_exit, help="Key: Esc.")
    c[3].markdown(KEYS_HELP)
