"""Gradient check: the analytic BPTT gradients against finite differences."""
import streamlit as st

from dashboard import actions
from dashboard.session import get
from dashboard.views.common import no_window
from engine.gradcheck import DEFAULT_EPS

PASS = 1e-5     # relative error below this: the entries agree
EPS = DEFAULT_EPS   # gradient_check's finite-difference step


def roundoff_floor(loss):
    """Smallest difference central differences can resolve: the loss is only known to
    about machine epsilon times its size, divided by the step 2*EPS (with margin)."""
    return 10 * 2.2e-16 * max(abs(loss), 1.0) / EPS


def render(ss):
    s = get(ss)
    trainer = s.trainer
    if trainer.trace is None:
        return no_window()
    st.markdown(
        "Is the backward pass right? For a few random entries w of each parameter, "
        "compare the gradient BPTT computed with (L(w+ε) − L(w−ε)) / 2ε, ε = 1e-5, on "
        "the current window (its inputs, targets and h_{-1}) with the current weights.")
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
    floor = roundoff_floor(trainer.trace.loss)
    abs_error = (table["analytic"] - table["numeric"]).abs()
    passed = (table["rel_error"] < PASS) | (abs_error < floor)
    worst = table.loc[table["rel_error"].idxmax()]
    summary = (f"{int(passed.sum())} of {len(table)} entries agree: relative error below "
               f"{PASS:g}, or a difference below {floor:.0e}, the smallest that finite "
               f"differences can resolve for a loss of {trainer.trace.loss:.0f}. Largest "
               f"relative error: {worst['param']}{tuple(int(i) for i in worst['index'])}, "
               f"{worst['rel_error']:.2e}.")
    if passed.all():
        st.success("PASS — " + summary)
    else:
        st.error("FAIL — " + summary + " Some analytic gradients disagree with finite "
                 "differences.")
    shown = table.assign(index=table["index"].map(lambda ix: str(tuple(int(i) for i in ix))),
                         abs_error=abs_error, ok=passed)
    st.dataframe(shown, hide_index=True, column_config={
        "analytic": st.column_config.NumberColumn(format="%.6e"),
        "numeric": st.column_config.NumberColumn(format="%.6e"),
        "abs_error": st.column_config.NumberColumn(format="%.1e"),
        "rel_error": st.column_config.NumberColumn(format="%.2e")})
    st.caption("Tiny gradients (e.g. 1e-13) have large relative errors only because the "
               "numeric estimate is round-off there; their absolute difference is what "
               "matters.")
