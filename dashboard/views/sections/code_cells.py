"""BPTT code for the gated cells: the LSTM's and the GRU's backward loops, written for
this app in the engine's names (engine/cells/lstm.py, gru.py), with their live values.
The loops run as printed: tests/test_code_blocks.py executes them on a real window and
compares every gradient with the engine's."""
import numpy as np
import pandas as pd
import streamlit as st

import engine
from dashboard.charts import style
from dashboard.charts.style import num

LSTM_START = (
    "# from the forward pass: gate values, (T, H) each\n"
    "i, f, g, o = (gates[k] for k in ('i', 'f', 'g', 'o'))\n"
    "# nothing arrives from beyond the window\n"
    "dhnext, dcnext = np.zeros(H), np.zeros(H)\n"
    "for t in reversed(range(T)):",
    r"\begin{aligned}&\text{dhnext}_{T-1} = \text{dcnext}_{T-1} = 0\\ &\text{for } "
    r"t = T-1, \dots, 0:\end{aligned}", None)
LSTM_DC = (
    "    # h = o * tanh(c): dh enters c through\n"
    "    # tanh', and joins what c_{t+1} sent back\n"
    "    dc = dcnext + dh * o[t] * (1 - tanh_c[t] ** 2)",
    r"dc_t = \text{dcnext}_t + dh_t \odot o_t \odot (1 - \tanh^2 c_t)", "dc")
LSTM_DA = (
    "    c_before = cs[t - 1] if t > 0 else cprev\n"
    "    # at each gate's pre-activation (dhraw)\n"
    "    da = np.concatenate([\n"
    "        dc * g[t] * i[t] * (1 - i[t]),      # i\n"
    "        dc * c_before * f[t] * (1 - f[t]),  # f\n"
    "        dc * i[t] * (1 - g[t] ** 2),        # g\n"
    "        dh * tanh_c[t] * o[t] * (1 - o[t]), # o\n"
    "    ])",
    r"\text{da}_t = \begin{bmatrix} dc_t \odot g_t \odot i_t(1-i_t)\\ dc_t \odot c_{t-1}"
    r" \odot f_t(1-f_t)\\ dc_t \odot i_t \odot (1-g_t^2)\\ dh_t \odot \tanh c_t \odot "
    r"o_t(1-o_t)\end{bmatrix}", "da")
LSTM_WEIGHTS = (
    "    dbh += da\n"
    "    dWxh[:, inputs[t]] += da\n"
    "    h_before = hs[t - 1] if t > 0 else hprev\n"
    "    dWhh += np.outer(da, h_before)",
    r"\begin{aligned}\frac{\partial L}{\partial b_h} &= \textstyle\sum_t \text{da}_t"
    r"\\ \frac{\partial L}{\partial W_{xh}} &= \textstyle\sum_t \text{da}_t\, x_t^{\top}"
    r"\\ \frac{\partial L}{\partial W_{hh}} &= \textstyle\sum_t \text{da}_t\, "
    r"h_{t-1}^{\top}\end{aligned}", "in_grads")
LSTM_NEXT = (
    "    # to h_{t-1}: through the gates and Whh\n"
    "    dhnext = Whh.T @ da\n"
    "    # to c_{t-1}: one elementwise product\n"
    "    dcnext = f[t] * dc",
    r"\begin{aligned}\text{dhnext}_{t-1} &= W_{hh}^{\top}\, \text{da}_t\\ "
    r"\text{dcnext}_{t-1} &= f_t \odot dc_t\end{aligned}", "lstm_next")

GRU_START = (
    "# from the forward pass: gate values, (T, H) each\n"
    "r, z, n = (gates[k] for k in ('r', 'z', 'n'))\n"
    "# nothing arrives from beyond the window\n"
    "dhnext = np.zeros(H)\n"
    "for t in reversed(range(T)):",
    r"\begin{aligned}&\text{dhnext}_{T-1} = 0\\ &\text{for } t = T-1, \dots, 0:"
    r"\end{aligned}", None)
GRU_DA = (
    "    h_before = hs[t - 1] if t > 0 else hprev\n"
    "    # h = (1 - z) * n + z * h_before\n"
    "    da_n = dh * (1 - z[t]) * (1 - n[t] ** 2)\n"
    "    da_z = dh * (h_before - n[t]) * z[t] * (1 - z[t])\n"
    "    # n = tanh(... + r * whn_h), whn_h = W_hn h_before\n"
    "    da_r = da_n * whn_h[t] * r[t] * (1 - r[t])\n"
    "    dhraw = np.concatenate([da_r, da_z, da_n])",
    r"\begin{aligned}\text{da}^n_t &= dh_t \odot (1-z_t) \odot (1-n_t^2)\\ \text{da}^z_t"
    r" &= dh_t \odot (h_{t-1}-n_t) \odot z_t(1-z_t)\\ \text{da}^r_t &= \text{da}^n_t "
    r"\odot W_{hn}h_{t-1} \odot r_t(1-r_t)\end{aligned}", "gru_da")
GRU_WEIGHTS = (
    "    # at Whh @ h_before: r scales the n block\n"
    "    dh_pre = np.concatenate([da_r, da_z, r[t] * da_n])\n"
    "    dbh += dhraw\n"
    "    dWxh[:, inputs[t]] += dhraw\n"
    "    dWhh += np.outer(dh_pre, h_before)",
    r"\begin{aligned}\text{dh\_pre}_t &= [\text{da}^r_t, \text{da}^z_t, r_t \odot "
    r"\text{da}^n_t]\\ \frac{\partial L}{\partial W_{hh}} &= \textstyle\sum_t "
    r"\text{dh\_pre}_t\, h_{t-1}^{\top}\\ \frac{\partial L}{\partial W_{xh}} &= "
    r"\textstyle\sum_t \text{dhraw}_t\, x_t^{\top}\end{aligned}", "in_grads")
GRU_NEXT = (
    "    # through the gates and Whh, plus the\n"
    "    # copy of h_{t-1} that z let through\n"
    "    dhnext = Whh.T @ dh_pre + z[t] * dh",
    r"\text{dhnext}_{t-1} = W_{hh}^{\top}\, \text{dh\_pre}_t + z_t \odot dh_t", "gru_next")
CLIP = (
    "for dparam in (dWxh, dWhh, dWhy, dbh, dby):\n"
    "    # clip='value' (min-char-rnn)\n"
    "    np.clip(dparam, -threshold, threshold, out=dparam)\n"
    "# clip='norm' scales all five together\n"
    "# by min(1, threshold / global norm)",
    r"\begin{aligned}\text{value: }& g \leftarrow \mathrm{clip}(g, -\theta, \theta)\\ "
    r"\text{norm: }& g \leftarrow g \cdot \min\!\left(1, \tfrac{\theta}{\|g\|}\right)"
    r"\end{aligned}", "clip")


def blocks(cell, vanilla):
    """The code blocks (code, LaTeX, live value) of ``cell``'s backward loop.
    ``vanilla`` is the rnn's list (views/code.py): its dy, dWhy and dh blocks hold for
    every cell."""
    if cell == "rnn":
        return vanilla
    dy, out_grads, dh = vanilla[1], vanilla[2], vanilla[3]
    if cell == "lstm":
        return [LSTM_START, dy, out_grads, dh, LSTM_DC, LSTM_DA, LSTM_WEIGHTS, LSTM_NEXT,
                CLIP]
    return [GRU_START, dy, out_grads, dh, GRU_DA, GRU_WEIGHTS, GRU_NEXT, CLIP]


def value(trace, t, what, vector):
    """The live value of a gated block at timestep t; ``vector(values, name, colour)``
    draws one vector (views/code.py's)."""
    n = np.linalg.norm
    if what == "dc":
        st.markdown(f"‖dcnext‖ = {num(n(trace.dcnext[t]))} (from c_(t+1)) · ‖dc‖ = "
                    f"{num(n(trace.dc[t]))}")
        vector(trace.dc[t], f"dc at t={t}", style.DC)
    elif what in ("da", "gru_da"):
        shares = engine.gate_saturation(trace)
        st.markdown("Saturated at t: " + ", ".join(
            f"{name} {float(share[t]):.0%}" for name, share in shares.items()
            if name in trace.gates))
        vector(trace.dhraw[t], f"dhraw at t={t} (blocks "
               + ", ".join(trace.gates) + ")", style.DHRAW)
    elif what in ("lstm_next", "gru_next"):
        if t > 0:
            vector(trace.dhnext[t - 1], f"dhnext for t={t - 1}", style.DHNEXT)
        else:
            st.markdown("At t = 0 these are **dhprev**"
                        + (" and **dcprev**" if what == "lstm_next" else "")
                        + ": the gradient for the state before the window, which "
                        "truncation throws away.")
            vector(trace.dhprev, "dhprev", style.DHNEXT)
        if what == "lstm_next":
            carried = trace.dcnext[t - 1] if t > 0 else trace.dcprev
            keep = n(carried) / n(trace.dc[t]) if n(trace.dc[t]) > 0 else float("nan")
            st.markdown(f"f_t keeps {keep:.0%} of ‖dc_t‖")
            vector(carried, f"dcnext for t={t - 1}" if t > 0 else "dcprev", style.DCNEXT)


def glossary(cell, H, V):
    """Notes' and textbooks' names for the gated cell's parts, mapped to the code."""
    if cell == "lstm":
        rows = [
            ("W_i, W_f, W_g (W_c), W_o", "Wxh[:H], Wxh[H:2H], Wxh[2H:3H], Wxh[3H:]",
             f"({H}, {V}) each", "input-to-gate weights, stacked i, f, g, o"),
            ("U_i, U_f, U_g, U_o", "Whh[:H], …, Whh[3H:]", f"({H}, {H}) each",
             "hidden-to-gate weights"),
            ("b_i, b_f, b_g, b_o", "bh[:H], …, bh[3H:]", f"({H}, 1) each",
             "biases (PyTorch's b_ih; b_hh is 0)"),
            ("i_t, f_t, o_t", "gates['i'][t], gates['f'][t], gates['o'][t]", f"({H},)",
             "input, forget and output gates, sigmoids in (0, 1)"),
            ("g_t, C̃_t", "gates['g'][t]", f"({H},)", "new content, tanh"),
            ("C_t, c_t", "cs[t]", f"({H},)", "the cell state: c_t = f c_(t−1) + i g"),
            ("h_t", "hs[t]", f"({H},)", "h_t = o tanh(c_t)"),
            ("∂L/∂C_t", "dc[t]", f"({H},)", "gradient at the cell state, total"),
            ("∂L_{t+1:}/∂C_t", "dcnext[t]", f"({H},)", "f_(t+1) dc_(t+1): from c_(t+1)"),
            ("∂L/∂(gate pre-activations)", "dhraw[t] (da)", f"({4 * H},)",
             "i, f, g, o blocks"),
        ]
    else:
        rows = [
            ("W_r, W_z, W (W_n)", "Wxh[:H], Wxh[H:2H], Wxh[2H:]", f"({H}, {V}) each",
             "input-to-gate weights, stacked r, z, n"),
            ("U_r, U_z, U (W_hn)", "Whh[:H], Whh[H:2H], Whh[2H:]", f"({H}, {H}) each",
             "hidden-to-gate weights"),
            ("r_t, z_t", "gates['r'][t], gates['z'][t]", f"({H},)",
             "reset and update gates, sigmoids in (0, 1)"),
            ("h̃_t, n_t", "gates['n'][t]", f"({H},)", "the candidate, tanh"),
            ("h_t", "hs[t]", f"({H},)", "(1 − z) n + z h_(t−1): PyTorch's convention; some "
             "notes swap z and 1 − z"),
            ("U h_{t-1}", "whn_h[t]", f"({H},)", "W_hn h_(t−1), which r scales"),
            ("∂L/∂(gate pre-activations)", "dhraw[t]", f"({3 * H},)", "r, z, n blocks"),
            ("∂L/∂(Whh h_{t-1})", "dh_pre[t]", f"({3 * H},)", "the n block times r_t"),
        ]
    rows.append(("∂L_{t+1:}/∂h_t", "dhnext[t]", f"({H},)",
                 "gradient carried back from the future"))
    return pd.DataFrame(rows, columns=["in the notes", "in the code", "shape here",
                                       "meaning"])
