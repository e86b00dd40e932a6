"""The tapes of a window's backward pass, for the timestep explorer: how the gradient
at each step splits into its paths back, and how far each loss's gradient travels.

A gated cell hands its gradient back on two kinds of path. Through the matrix Whh^T
(every cell) it is mixed and shrunk or grown like the vanilla RNN's. Through an
elementwise product with a gate it is not mixed at all: the LSTM's cell state,
dcnext_{t-1} = f_t * dc_t, and the GRU's copy of h, z_t * dh_t inside dhnext_{t-1}.
``paths`` gives both parts; ``tape_norms`` their sizes per step; ``walk_back``,
``loss_to_cell`` and ``follow_loss`` follow single losses through every path
(engine/cells/flow.py's walk, which also reads out the cell state).
"""
import numpy as np
import pandas as pd

from ..cost import check_analysis
from . import CARRIER, back_factors, back_step, walk_losses, zero_state


def paths(trace, params):
    """name -> (T, H): row t is what step t hands back to step t-1 (at t = 0: what
    truncation drops), split by path, plus what feeds the LSTM's cell state.

    every cell  ``through_whh``  Whh^T dh_pre_t, the matrix path (for rnn: dhnext_{t-1})
    lstm        ``dc_from_h``    dh_t * o_t * (1 - tanh(c_t)^2): dh_t's share into c_t
                                 (dc_t = dcnext_t + dc_from_h_t)
                ``carry``        f_t * dc_t = dcnext_{t-1}: the cell state's path
    gru         ``carry``        z_t * dh_t: the copy path
                                 (dhnext_{t-1} = through_whh_t + carry_t)
    """
    out = {"through_whh": trace.dh_pre @ params["Whh"]}
    if trace.cell == "lstm":
        out["dc_from_h"] = trace.dh * (trace.gates["o"] * (1.0 - trace.tanh_c ** 2))
    if CARRIER[trace.cell] is not None:
        state, gate = CARRIER[trace.cell]
        out["carry"] = trace.gates[gate] * getattr(trace, "d" + state)
    return out


def tape_norms(trace, params):
    """One row per timestep t: L2 norms of the backward quantities and their paths,
    the mean of every gate over the units, and ``keep``.

    Columns: t, dh, dhnext, through_whh; lstm adds dc, dcnext, dc_from_h, carry; gru
    adds carry; gated cells add ``mean_<gate>`` per gate and ``keep`` = ||carry_t|| /
    ||dc_t|| (lstm) or ||carry_t|| / ||dh_t|| (gru): the share of the gradient's length
    the gate path keeps in one step back. keep is the gate's mean weighted by where the
    gradient is (an RMS of f or z over the units, weighted by dc^2 or dh^2), so it is
    near 1 when the units that carry the gradient have their gate near 1, whatever the
    other units do. NaN where the gradient is zero."""
    n = np.linalg.norm
    table = {"t": np.arange(trace.T), "dh": n(trace.dh, axis=1),
             "dhnext": n(trace.dhnext, axis=1)}
    parts = paths(trace, params)
    for name, values in parts.items():
        table[name] = n(values, axis=1)
    if trace.cell == "lstm":
        table["dc"], table["dcnext"] = n(trace.dc, axis=1), n(trace.dcnext, axis=1)
    if trace.cell != "rnn":
        for name, values in trace.gates.items():
            table[f"mean_{name}"] = values.mean(axis=1)
        base = table["d" + CARRIER[trace.cell][0]]
        with np.errstate(divide="ignore", invalid="ignore"):
            table["keep"] = np.where(base > 0, table["carry"] / base, np.nan)
    return pd.DataFrame(table)


def walk_back(trace, params):
    """Follow every loss of the window back through every path at once.

    Yields ``(s, dh, dc)`` for s = T-1 down to 0: row j of dh (T-s, H) is
    dL_{s+j}/dh_s, the gradient of the loss at step s+j alone at h_s; for lstm, row j
    of dc is dL_{s+j}/dc_s, the total gradient at c_s (its own path and the one through
    h_s = o_s tanh(c_s), as trace.dc); None for the other cells. Summed over the rows
    they are trace.dh[s] and trace.dc[s]. Memory O(T H): one batch at a time."""
    lstm = trace.cell == "lstm"
    for s, (dh, *rest), _, _ in walk_losses(trace, params):
        dc = None
        if lstm:
            tc = trace.tanh_c[s]
            dc = rest[0] + dh * (trace.gates["o"][s] * (1.0 - tc * tc))
        yield s, dh, dc


def loss_to_cell(trace, params):
    """(T, T) ``C[t, s] = ||dL_t / dc_s||`` for s <= t, NaN above the diagonal: how much
    of step t's loss reaches the LSTM's cell state c_s (total gradient, as trace.dc).
    Row t follows one loss back; column s says which later losses feed dc_s."""
    if trace.cell != "lstm":
        raise ValueError(f"loss_to_cell needs the LSTM's cell state c; this trace is from "
                         f"cell={trace.cell!r}, which has none. Use loss_to_state for h.")
    # a backward pass per loss, as loss_to_state's: the same budget
    check_analysis("loss_to_state", trace.T, trace.hs.shape[1], params["Why"].shape[0],
                   trace.cell)
    C = np.full((trace.T, trace.T), np.nan)
    for s, _, dc in walk_back(trace, params):
        C[s:, s] = np.linalg.norm(dc, axis=1)
    return C


def follow_loss(trace, params, t):
    """The gradient of the loss at step ``t`` alone, at every earlier step, unit by unit:
    {"dh": (t+1, H) with row s = dL_t/dh_s, "dc": the same for c_s (LSTM; total, as
    trace.dc) or None}. One back_step per step, for one loss."""
    if not 0 <= t < trace.T:
        raise ValueError(f"t must be a timestep of the window, 0 to {trace.T - 1}; got {t}.")
    H = trace.hs.shape[1]
    dh, dc = np.zeros((t + 1, H)), np.zeros((t + 1, H)) if trace.cell == "lstm" else None
    state = zero_state(trace)
    state[0][...] = trace.dy[t] @ params["Why"]
    factors = back_factors(trace)
    for s in range(t, -1, -1):
        dh[s] = state[0]
        if dc is not None:
            tc = trace.tanh_c[s]
            dc[s] = state[1] + state[0] * (trace.gates["o"][s] * (1.0 - tc * tc))
        if s > 0:
            state = back_step(trace, params, s, state, factors)[0]
    return {"dh": dh, "dc": dc}
