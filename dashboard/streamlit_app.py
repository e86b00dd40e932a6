"""BPTT Scope: watch backpropagation through time in min-char-rnn, live.

    streamlit run dashboard

Reads top-down: page config, the views' fragment, then the session, the sidebar and
the views. All model math
comes from ``engine``; charts come from ``dashboard.charts``; the session changes only
through ``dashboard.session``.
"""
import streamlit as st

from dashboard import live, logdir_mode, present, server, session, share, sidebar
from dashboard.views import registry
from dashboard.views.sections import header, homework
from dashboard.views.sections.common import safely

server.freeze_imports()       # before any session's data exists: see server.py
server.figures_without_plotly_template()

st.set_page_config(page_title="BPTT Scope", page_icon="🔁", layout="wide")

if logdir_mode.logdir() is not None:     # bpttscope --logdir PATH: recorded runs only
    from dashboard import recorded_app
    recorded_app.render(logdir_mode.logdir())
    st.stop()

ss = st.session_state


@st.fragment
def main_views():
    """Everything right of the sidebar. While running, the runs train in the background
    and this fragment redraws them each time the page asks (live.drawn); a view that is
    not open is not computed."""
    with live.answering(ss) as live_refresh:   # a click here: live refreshes wait for it
        tick_start = live.tick(ss, live_refresh)
        with session.drawing(ss):
            _draw_views()
        live.drawn(ss, tick_start)


def _draw_views():
    present.bar(ss)           # presentation mode only: its keys and buttons
    left, right = st.columns([9, 2], vertical_alignment="center")   # "Copy link" whole at 1280 px
    with left:
        header.status(ss)
    with right.popover("Copy link", icon=":material/link:",
                       help="A link that reopens this lesson, at this iteration, view "
                            "and timestep, for anyone."):
        share.link_box(ss)
    header.messages(ss)
    homework.render(ss)
    header.lesson(ss)
    tabs = st.tabs(list(registry.TITLES), key="view", on_change="rerun",
                   default=registry.FIRST)
    for tab, view in zip(tabs, registry.VIEWS, strict=True):
        if tab.open:
            with tab:
                safely(view.render, ss)
    share.mirror(ss)      # the address bar always links to what is on screen


with live.answering(ss, whole=True):   # a click: other pages' live refreshes wait for it
    with session.drawing(ss):   # while live, the background training waits meanwhile
        share.start(ss)         # first visit: the link's lesson, or min-char-rnn on prose.txt
        share.replay(ss)        # a link's replay: one chunk per script run, with a Stop
        sidebar.render(ss)
    main_views()
