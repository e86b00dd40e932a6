"""Small helpers every view uses."""
import logging

import streamlit as st

import engine
from dashboard import state

PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def plot(fig, caption=None):
    """Draw a figure and the one line that says what to notice in it. The key (from
    the figure's uirevision, unique per chart) lets Streamlit keep the chart's identity
    across updates where it supports that."""
    st.plotly_chart(fig, config=PLOT_CONFIG, key=f"plot_{fig.layout.uirevision}")
    if caption:
        st.caption(caption)


def look_for(ss, view):
    """The active preset's hints for this view, next to its charts."""
    preset = engine.PRESETS.get(ss.get("active_preset"))
    if preset is None:
        return
    hints = [what for where, what in preset.look_for if where == view]
    if hints:
        st.info(f"**Lesson '{preset.name}': look for** " + "; ".join(hints) + ".",
                icon=":material/visibility:")


def no_window():
    st.info("No window has been trained yet (the last step diverged). Press **Step** in "
            "the sidebar, or reset the model.")


def window_at(ss, view):
    """(trainer, trace, t) for a view that walks the current window at the selected
    timestep, with the lesson's hints drawn; None (and a note) if there is no window."""
    trainer = ss["trainer"]
    if trainer.trace is None:
        no_window()
        return None
    look_for(ss, view)
    return trainer, trainer.trace, state.clamp_timestep(ss)


def rev(ss, name):
    """uirevision for a chart: zoom survives updates of the same model, not a new one."""
    return f"{name}-{ss['model_id']}"


def safely(render, ss):
    """Draw a view; if it fails, say so in words (the traceback goes to the server log,
    never to the screen). The model is not touched by drawing, so it keeps working."""
    try:
        render(ss)
    except Exception as err:      # a bug in one view must not take the app down
        logging.getLogger("bpttscope").exception("view failed")
        st.error(f"This view could not be drawn ({type(err).__name__}: {err}). The model "
                 "is unchanged and the other views still work; Reset if it persists.")
