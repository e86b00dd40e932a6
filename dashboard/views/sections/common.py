"""Small helpers every view uses."""
import functools
import logging

import streamlit as st

import engine
from dashboard import session
from dashboard.plotly_element import Memo, plotly_chart, plotly_charts
from dashboard.session import get

PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def plot(fig, caption=None, mark=None):
    """Draw a figure and the one line that says what to notice in it. The key (from
    the figure's uirevision, unique per chart) keeps the chart's identity across
    updates, so it is redrawn in place and keeps the user's zoom. ``mark``: the
    selected timestep, outlined in a whole-window figure (moving it redraws only the
    outline)."""
    key = f"plot_{fig.layout.uirevision}"
    ss = st.session_state
    plotly_chart(fig, PLOT_CONFIG, key, mark, _memo(ss, key), session.presenting(ss))
    if caption:
        st.caption(caption)


def plots(ss, name, columns, mark=None):
    """Figures side by side as one element: ``columns`` of ``(figure, caption)`` pairs,
    the caption under its figure. Cheaper for the page than a plot() per figure: each
    element costs a render on every run. ``mark`` as in plot(), for every figure."""
    key = f"plot_{rev(ss, name)}"
    plotly_charts([[(fig, caption, mark) for fig, caption in column] for column in columns],
                  PLOT_CONFIG, key, _memo(ss, key), session.presenting(ss))


def _memo(ss, key):
    """What this page holds of chart element ``key``, from the session (None before
    the session exists: every figure is sent whole)."""
    sent = session.charts_sent(ss)
    if sent is None:
        return None
    return Memo(sent.get(key, ()), functools.partial(session.note_charts_sent, ss, key),
                functools.partial(session.forget_chart, ss, key))


def fragment(draw, run_every=None):
    """``draw(ss)`` as a Streamlit fragment nested in the main views: when it reruns on
    its own (its widget, its timer), it reads the runs inside ``session.drawing`` like
    every other script run, so live training never changes a model under it."""
    @functools.wraps(draw)          # the fragment's identity is draw's, not this wrapper's
    def drawn(ss):
        with session.drawing(ss):
            draw(ss)
    return st.fragment(drawn, run_every=run_every)


def look_for(ss, view):
    """The active lesson's claims about this view, measured now, next to its charts."""
    from dashboard.views.sections import claims
    claims.for_view(ss, view)


def no_window():
    st.info("No window has been trained yet (the last step diverged). Press **Step** in "
            "the sidebar, or reset the model.")


def window_at(ss, view):
    """(trainer, trace, t) of the focused run for a view that walks its current window
    at the selected timestep, with the lesson's hints drawn; None (and a note) if there
    is no window."""
    trainer = get(ss).trainer
    if trainer.trace is None:
        no_window()
        return None
    if view is not None:
        look_for(ss, view)
    return trainer, trainer.trace, min(ss["timestep"], trainer.trace.T - 1)


def rev(ss, name):
    """uirevision for a chart: zoom survives updates of the same runs, not new ones."""
    return f"{name}-{get(ss).generation}"


def safely(render, ss):
    """Draw a view; if it fails, say so in words (the traceback goes to the server log,
    never to the screen). The model is not touched by drawing, so it keeps working."""
    try:
        render(ss)
    except engine.CostError as err:     # not a bug: the engine refused work this large
        st.info(f"This view is not drawn for this model: {err}")
    except Exception as err:      # a bug in one view must not take the app down
        logging.getLogger("bpttscope").exception("view failed")
        st.error(f"This view could not be drawn ({type(err).__name__}: {err}). The model "
                 "is unchanged and the other views still work; Reset if it persists.")
