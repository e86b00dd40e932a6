"""Gradient check: the analytic BPTT gradients against finite differences."""
import streamlit as st

from dashboard import actions
from dashboard.charts.style import num
from dashboard.session import get
from dashboard.views.sections.common import no_window
from engine.gradcheck import PASS_REL_ERROR, gradient_check_summary


def render(ss):
    s = get(ss)
    trainer = s.trainer
    if trainer.trace is None:
        return no_window()
    st.markdown(
        "Is the backward pass right? For a few random entries w of each parameter, "
        "compare the gradient BPTT computed with (L(w+ε) − L(w−ε)) / 2ε, ε = 1e-5, on "
        "the current window (its inputs, targets and h_{-1}"
        + (", and c_{-1}" if trainer.config.cell == "lstm" else "")
        + ") with the current weights.")
    st.button("Run gradient check", key="gradcheck_run", on_click=actions.on_gradcheck,
              type="primary")
    result = s.gradcheck
    if not result:
        st.caption("10 entries per parameter, 50 in all; takes about a second.")
        return
    table = result["table"]
    if result["iteration"] != trainer.iteration:
        st.caption(f"Checked at iteration {result['iteration']}; the model has trained since. "
                   "Run it again to check the current window.")
    verdict = gradient_check_summary(table)     # the engine's verdict; shown, not made
    loss = table.attrs.get("loss", trainer.trace.loss)
    summary = (f"{verdict['passed']} of {verdict['total']} entries agree: relative error "
               f"below {PASS_REL_ERROR:g}, or a difference below {num(verdict['floor'], 1)}, the "
               f"smallest that finite differences can resolve for a loss of {loss:.0f}. "
               f"Largest relative error: {verdict['worst_param']}{verdict['worst_index']}, "
               f"{verdict['worst_rel_error']:.2e}.")
    if verdict["ok"]:
        st.success("PASS — " + summary)
    else:
        st.error("FAIL — " + summary + " Some analytic gradients disagree with finite "
                 "differences.")
    shown = table.drop(columns=["floor"]).assign(
        index=table["index"].map(lambda ix: str(tuple(int(i) for i in ix))))
    st.dataframe(shown, hide_index=True, column_config={
        "analytic": st.column_config.NumberColumn(format="%.6e"),
        "numeric": st.column_config.NumberColumn(format="%.6e"),
        "abs_error": st.column_config.NumberColumn(format="%.1e"),
        "rel_error": st.column_config.NumberColumn(format="%.2e")})
    st.caption("Tiny gradients (e.g. 1e-13) have large relative errors only because the "
               "numeric estimate is round-off there; their absolute difference is what "
               "matters.")
