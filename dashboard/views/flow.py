"""Gradient flow: how far each loss's gradient reaches back, and why (Whh's spectrum)."""
import streamlit as st

from dashboard import charts, scroll, session, window
from dashboard.charts import style
from dashboard.session import get
from dashboard.views.sections import attribution, cell_text
from dashboard.views.sections.common import look_for, no_window, plot, rev

VIEW = "Gradient flow"


def render(ss):
    s = get(ss)
    trainer = s.trainer
    if trainer.trace is None:
        return no_window()
    look_for(ss, VIEW)
    if len(s.runs) > 1:
        _runs(ss)
    flow = window.flow(s, s.focus, jacobian=False)   # the page draws these meanwhile
    spectrum = flow["spectrum"]
    if len(s.runs) > 1:
        st.markdown(f"#### Run '{s.focus}' in detail")
    cell = trainer.trace.cell
    block = cell_text.BLOCK.get(cell, "Whh")
    decades = style.FIXED_DECADES if session.fixed_colour(ss) else None
    st.caption(f"{scroll.anchor('bptt-heatmap')}Window of iteration "
               f"{trainer.trace.iteration + 1}, with the weights that produced it (before "
               "that iteration's update). " + cell_text.spectrum_line(cell, spectrum),
               unsafe_allow_html=True)
    left, right = st.columns(2, gap="large")
    with left:
        plot(charts.loss_to_state_heatmap(flow["G"], uirevision=rev(ss, "l2s"),
                                          decades=decades),
             "Row t: where the gradient of step t's loss goes. The diagonal is where it "
             "enters; moving left it travels back in time. Dark = vanished, bright = "
             "large. Grey above the diagonal: the future cannot affect the past.")
        plot(charts.reach_by_lag_chart(flow["lag"], uirevision=rev(ss, "lag")),
             "The heatmap summarised: how much of a loss's gradient is left k steps "
             "back (median over t). A straight falling line on this log axis is "
             "exponential decay: vanishing gradients.")
        plot(charts.eigenvalue_chart(spectrum["eigenvalues"], uirevision=rev(ss, "eig"),
                                     name=block), cell_text.EIGEN_CAPTION[cell])
    with right:
        flow = window.flow(s, s.focus)
        if flow["J"] is not None:
            plot(charts.jacobian_heatmap(flow["J"], uirevision=rev(ss, "jac"),
                                         decades=decades),
                 "The gain of the chain dh_t/dh_s alone, without the loss: 1 on the "
                 "diagonal, then the product of tanh' gates and Whh. Values above 1 "
                 "(bright) explode, far below 1 (dark) vanish.")
        elif flow.get("J_why"):
            st.info(flow["J_why"])
        else:
            T, H = trainer.trace.T, trainer.config.hidden_size
            seconds = window.jacobian_seconds(T, H)
            if s.running and seconds <= window.JACOBIAN_LIMIT:
                st.info(f"jacobian_norms ({T * (T - 1) // 2} exact spectral norms, about "
                        f"{seconds:.1f} s per window) is drawn when training pauses.")
            else:
                st.info(f"jacobian_norms is skipped at seq_length {T} and hidden_size {H}: "
                        f"its {T * (T - 1) // 2} exact spectral norms would take about "
                        f"{seconds:.0f} s per window. Use a shorter window or fewer hidden "
                        "units to see it.")
        plot(charts.singular_value_chart(spectrum["singular_values"],
                                         uirevision=rev(ss, "sv"), name=block),
             cell_text.SV_CAPTION[cell])
        plot(charts.spectrum_history_chart(trainer.history, uirevision=rev(ss, "spec_hist"),
                                           name=block),
             "How training moves Whh's spectrum: the largest singular value and the "
             f"spectral radius, {cell_text.schedule(trainer.config.diagnostics_every)}.")
    attribution.horizon_section(ss)
    attribution.ghost_section(ss)


def _runs(ss):
    """Every run's loss_to_state on one colour scale, and their reach-by-lag curves."""
    s = get(ss)
    names = [n for n, tr in s.runs.items() if tr.trace is not None]
    flows = {n: window.flow(s, n, jacobian=False) for n in names}   # G and lag only
    iterations = {s.runs[n].trace.iteration + 1 for n in names}    # as in the runs table
    same = "the same window" if len({s.runs[n].trace.position for n in names}) == 1 \
        else "each run's own window (their seq_length differs)"
    st.caption(f"All runs at iteration {', '.join(map(str, sorted(iterations)))}, "
               f"on {same}.")
    plot(charts.loss_to_state_grid({n: f["G"] for n, f in flows.items()},
                                   uirevision=rev(ss, "runs_l2s"),
                                   decades=style.FIXED_DECADES if session.fixed_colour(ss)
                                   else None),
         "One colour scale for all panels: the same colour is the same gradient size, so "
         "a brighter panel really carries more gradient back in time.")
    plot(charts.runs_lines_chart(
        {n: f["lag"] for n, f in flows.items()},
        "reach_by_lag of every run — median<sub>t</sub> ‖∂L<sub>t</sub>/∂h<sub>t−k</sub>‖"
        " / ‖∂L<sub>t</sub>/∂h<sub>t</sub>‖", "k: steps back in time",
        "ratio (log scale)", rev(ss, "runs_lag")),
         "How much of a loss's gradient is left k steps back, per run.")
