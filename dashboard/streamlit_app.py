"""BPTT Scope: watch backpropagation through time in min-char-rnn, live.

    streamlit run dashboard

Reads top-down: page config, the session, the sidebar, then the views. All model math
comes from ``engine``; charts come from ``dashboard.charts``; the session changes only
through ``dashboard.session``.
"""
import streamlit as st

from dashboard import live, session, sidebar
from dashboard.views import code, explorer, export, flow, gradcheck, header, training
from dashboard.views.common import safely

st.set_page_config(page_title="BPTT Scope", page_icon="🔁", layout="wide")

ss = st.session_state
session.init(ss)          # first visit: prose.txt, the min-char-rnn preset, one step taken
sidebar.render(ss)

VIEWS = {
    "Training": training.render,
    "Timestep explorer": explorer.render,
    "Gradient flow": flow.render,
    "BPTT code": code.render,
    "Gradient check": gradcheck.render,
    "Export": export.render,
}
FIRST_VIEW = "Timestep explorer"


@st.fragment(run_every=live.run_every(ss))
def main_views():
    """Everything right of the sidebar. While running, this fragment reruns on a timer
    and trains one chunk per refresh; a view that is not open is not computed."""
    live.tick(ss)
    header.status(ss)
    header.messages(ss)
    header.lesson(ss)
    tabs = st.tabs(list(VIEWS), key="view", on_change="rerun", default=FIRST_VIEW)
    for tab, render in zip(tabs, VIEWS.values()):
        if tab.open:
            with tab:
                safely(render, ss)


main_views()
