"""BPTT code: the backward pass of min-char-rnn, line by line, beside its live values
at the selected timestep and the equations."""
import numpy as np
import pandas as pd
import streamlit as st

import engine
from dashboard import charts, scroll
from dashboard.charts import style
from dashboard.charts.style import num
from dashboard.views.sections import code_cells
from dashboard.views.sections.common import plot, rev, window_at

VIEW = "BPTT code"

# Our own rewrite of min-char-rnn's backward loop, in the engine's names. Each block is
# (code, LaTeX, which live value to show).
BLOCKS = [
    ("# nothing arrives from beyond the window\n"
     "dhnext = np.zeros(H)\n"
     "for t in reversed(range(T)):",
     r"\begin{aligned}&\text{dhnext}_{T-1} = 0\\ &\text{for } t = T-1, \dots, 0:"
     r"\end{aligned}", None),
    ("    # softmax + cross-entropy: p_t - onehot\n"
     "    dy = ps[t].copy()\n"
     "    dy[targets[t]] -= 1",
     r"dy_t = \frac{\partial L_t}{\partial y_t} = p_t - \mathbf{1}_{\text{target}_t}", "dy"),
    ("    dWhy += np.outer(dy, hs[t])\n"
     "    dby += dy",
     r"\begin{aligned}\frac{\partial L}{\partial W_{hy}} &= \textstyle\sum_t dy_t\, "
     r"h_t^{\top}\\ \frac{\partial L}{\partial b_y} &= \textstyle\sum_t dy_t"
     r"\end{aligned}", "out_grads"),
    ("    # this step's loss + the future's\n"
     "    dh = Why.T @ dy + dhnext",
     r"dh_t = \frac{\partial L}{\partial h_t} = W_{hy}^{\top} dy_t + "
     r"\underbrace{\frac{\partial L_{t+1:}}{\partial h_t}}_{\text{dhnext}_t}", "dh"),
    ("    # back through tanh\n"
     "    dhraw = (1 - hs[t] ** 2) * dh",
     r"\text{dhraw}_t = (1 - h_t^{2}) \odot dh_t", "dhraw"),
    ("    dbh += dhraw\n"
     "    # x_t is one-hot: one column\n"
     "    dWxh[:, inputs[t]] += dhraw\n"
     "    h_before = hs[t - 1] if t > 0 else hprev\n"
     "    dWhh += np.outer(dhraw, h_before)",
     r"\begin{aligned}\frac{\partial L}{\partial b_h} &= \textstyle\sum_t \text{dhraw}_t"
     r"\\ \frac{\partial L}{\partial W_{xh}} &= \textstyle\sum_t \text{dhraw}_t\, "
     r"x_t^{\top}\\ \frac{\partial L}{\partial W_{hh}} &= \textstyle\sum_t "
     r"\text{dhraw}_t\, h_{t-1}^{\top}\end{aligned}", "in_grads"),
    ("    # hand the gradient to step t-1\n"
     "    dhnext = Whh.T @ dhraw",
     r"\text{dhnext}_{t-1} = W_{hh}^{\top}\, \text{dhraw}_t", "dhnext"),
    ("for g in (dWxh, dWhh, dWhy, dbh, dby):\n"
     "    # clip='value' (min-char-rnn)\n"
     "    np.clip(g, -threshold, threshold, out=g)\n"
     "# clip='norm' scales all five together\n"
     "# by min(1, threshold / global norm)",
     r"\begin{aligned}\text{value: }& g \leftarrow \mathrm{clip}(g, -\theta, \theta)\\ "
     r"\text{norm: }& g \leftarrow g \cdot \min\!\left(1, \tfrac{\theta}{\|g\|}\right)"
     r"\end{aligned}", "clip"),
]


def render(ss):
    window = window_at(ss, VIEW)
    if window is None:
        return
    trainer, trace, t = window
    T = trace.T
    if T > 1:
        st.slider("Timestep t (shared with the Timestep explorer)", 0, T - 1,
                  key="timestep", persist_state="session")
    whose = {"rnn": "our rewrite of min-char-rnn's loop", "lstm": "the LSTM's backward, "
             "written for this app in the engine's names", "gru": "the GRU's backward, "
             "written for this app in the engine's names"}[trace.cell]
    st.caption(f"{scroll.anchor('bptt-code')}The backward pass of the window of "
               f"iteration {trace.iteration + 1}, at "
               f"t = {t}. Left: the code ({whose}). Middle: "
               "the math. Right: the live values this line produced.",
               unsafe_allow_html=True)
    for code, latex, what in code_cells.blocks(trace.cell, BLOCKS):
        c = st.columns([6, 4, 4], vertical_alignment="center")
        c[0].code(code, language="python")
        c[1].latex(latex)
        if what:
            with c[2]:
                _value(ss, trainer, trace, t, what)
        st.divider()
    _glossary(trainer)


def _glossary(trainer):
    if trainer.config.cell != "rnn":
        with st.expander("Same things, other names: the notation of notes and textbooks"):
            st.table(code_cells.glossary(trainer.config.cell, trainer.config.hidden_size,
                                         len(trainer.vocab)))
        return
    """Notes and textbooks name these differently; map them to the code, with shapes."""
    H, V = trainer.config.hidden_size, len(trainer.vocab)
    rows = [
        ("W, W^hh", "Whh", f"({H}, {H})", "hidden-to-hidden weights"),
        ("U, W^xh", "Wxh", f"({H}, {V})", "input-to-hidden weights"),
        ("V, W^hy", "Why", f"({V}, {H})", "hidden-to-output weights"),
        ("b, c", "bh, by", f"({H}, 1), ({V}, 1)", "biases"),
        ("s_t, z_t, hraw", "Wxh x_t + Whh h_{t-1} + bh", f"({H},)", "pre-activation"),
        ("a_t, h_t", "hs[t]", f"({H},)", "hidden state"),
        ("ŷ_t, o_t", "ps[t]", f"({V},)", "predicted distribution"),
        ("∂L/∂s_t", "dhraw[t]", f"({H},)", "gradient at the pre-activation"),
        ("∂L_{t+1:}/∂h_t", "dhnext[t]", f"({H},)", "gradient carried back from the future"),
    ]
    with st.expander("Same things, other names: the notation of notes and textbooks"):
        st.table(pd.DataFrame(rows, columns=["in the notes", "in the code", "shape here",
                                             "meaning"]))


def _value(ss, trainer, trace, t, what):
    n = np.linalg.norm
    if what == "dy":
        _vector(ss, trace.dy[t], f"dy at t={t}", style.DY, trainer.vocab.chars)
    elif what == "dh":
        parts = trace.dh_from_output[t], trace.dhnext[t]
        st.markdown(f"‖Why^T dy‖ = {num(n(parts[0]))} · ‖dhnext‖ = {num(n(parts[1]))}")
        _vector(ss, trace.dh[t], f"dh at t={t}", style.DH)
    elif what == "dhraw":
        saturated = float(engine.saturation(trace)[t])
        st.markdown(f"{saturated:.0%} of units saturated (|h| > 0.99, tanh' < 0.02)")
        _vector(ss, trace.dhraw[t], f"dhraw at t={t}", style.DHRAW)
    elif what == "dhnext":
        if t > 0:
            _vector(ss, trace.dhnext[t - 1], f"dhnext for t={t - 1}", style.DHNEXT)
        else:
            st.markdown("At t = 0 this is **dhprev**: the gradient for h_{-1}, which "
                        "truncation throws away.")
            _vector(ss, trace.dhprev, "dhprev", style.DHNEXT)
    elif what in ("out_grads", "in_grads"):
        names = ("Why", "by") if what == "out_grads" else ("Wxh", "Whh", "bh")
        st.markdown("Summed over the whole window (before clipping):\n\n" + "\n".join(
            f"- d{p}: shape {trace.grads[p].shape}, ‖·‖ = {num(trace.norms_before[p])}"
            for p in names))
    elif what == "clip":
        _clip(trace)
    else:
        code_cells.value(trace, t, what, lambda values, name, colour:
                         _vector(ss, values, name, colour))


def _vector(ss, values, name, colour, labels=None):
    values = np.asarray(values)
    st.markdown(f"`{name.split(' ')[0]}` shape {values.shape}, ‖·‖ = "
                f"{num(np.linalg.norm(values))}")
    plot(charts.vector_chart(values, name, "", colour, labels=labels, height=150,
                             uirevision=rev(ss, f"code_{name.split(' ')[0]}")))


def _clip(trace):
    before, after = trace.norms_before["global"], trace.norms_after["global"]
    text = (f"clip = '{trace.clip}', θ = {trace.threshold:g}. Global norm {num(before)} → "
            f"{num(after)}; {num(100 * trace.clip_fraction['global'])}% of entries changed.")
    if trace.clip == "norm" and before > 0:
        text += f" Scale factor {num(after / before)}."
    st.markdown(text)
