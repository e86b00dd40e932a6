"""Recurrent cells as peers: the vanilla tanh RNN (min-char-rnn), the LSTM and the GRU.

Every cell module owns its equations and its facts, with the same names:

    BLOCKS, GATES, SIGMOID_GATES, STATE     k gate blocks, gate names, state parts
    LABEL, ARTICLE, CHOICE                  how people read its name
    BACK_STEP_SECONDS, RECORDED_FIELDS      what a back_step costs (engine/cost.py), what
                                            a recorded layer of it holds (recorded.py)
    CARRIER                                 (state, gate): the gate that hands the state's
                                            gradient back elementwise, past Whh (None:
                                            no such path)
    forward(params, inputs, state) -> fwd   the recurrence over a window ("hs" (T, H))
    backward(params, fwd, state, dh_out)    the backward recurrence: dh, dhraw, dh_pre,
                                            dhnext (T, ...), dhprev (H,), ...
    record(fwd, back, state) -> dict        the Trace fields of this cell only
    back_factors(trace, t=slice(None))      back_step's factors at step t (or at every
                                            step at once, for a walk back)
    back_step(trace, params, t, dstate, factors=None)   one step back, batched (below)
    step(params, ix, state) -> state        one forward step, for sampling

``state`` is a tuple in the order of STATE: ``(h,)``, or ``(h, c)`` for the LSTM. Every
cell shares the parameter names Wxh (kH, V), Whh (kH, H), bh (kH, 1), Why (V, H),
by (V, 1), with k gate blocks of H rows stacked in PyTorch's order. The window around a
cell (output layer, loss, weight gradients, clipping) is engine/bptt.py, shared by all.
Every table about cells below is derived from the modules: add a cell by adding a module.
"""
import numpy as np

from . import gru, lstm, rnn

MODULES = {"rnn": rnn, "lstm": lstm, "gru": gru}
CELLS = tuple(MODULES)
BLOCKS = {cell: m.BLOCKS for cell, m in MODULES.items()}
GATES = {cell: m.GATES for cell, m in MODULES.items()}
SIGMOID_GATES = {cell: m.SIGMOID_GATES for cell, m in MODULES.items()}
STATE = {cell: m.STATE for cell, m in MODULES.items()}
LABEL = {cell: m.LABEL for cell, m in MODULES.items()}
ARTICLE = {cell: m.ARTICLE for cell, m in MODULES.items()}
CHOICE = {cell: m.CHOICE for cell, m in MODULES.items()}
CARRIER = {cell: m.CARRIER for cell, m in MODULES.items()}


def check_cell(cell):
    if cell not in MODULES:
        raise ValueError(f"cell must be one of {', '.join(CELLS)}; got {cell!r}.")
    return cell


def cell_of(params):
    """The cell whose parameters these are, from Whh's shape (kH, H)."""
    rows, cols = params["Whh"].shape
    for cell, k in BLOCKS.items():
        if rows == k * cols:
            return cell
    raise ValueError(f"Whh has shape {(rows, cols)}: no cell stacks that many blocks; "
                     f"expected (H, H) for rnn, (4H, H) for lstm or (3H, H) for gru.")


def back_step(trace, params, t, dstate, factors=None):
    """Backpropagate a batch of gradients through step t of ``trace``'s window.

    ``dstate``: a tuple of (B, H) arrays (or (H,) for B = 1), the gradient with respect
    to the state *after* step t, taken as independent variables: ``(dh,)`` for rnn and
    gru, ``(dh, dc)`` for lstm, where ``dc`` excludes the path through h_t = o tanh(c_t)
    (the step adds that path itself). Each row is one gradient: a batch of different
    losses, or of different directions.

    Returns ``(dstate_prev, dx_pre, dh_pre)``:
      dstate_prev  the same tuple for the state after step t-1 (for t = 0: the gradient
                   at hprev / cprev, which truncation drops);
      dx_pre (B, kH)  the gradient at the input-side pre-activation Wxh x_t + bh of step
                   t: dL/dx_t = dx_pre @ Wxh, dWxh += dx_pre^T onehot(x_t),
                   dbh += sum over rows of dx_pre;
      dh_pre (B, kH)  the gradient at Whh h_{t-1}: dWhh += dh_pre^T h_{t-1}. For rnn and
                   lstm this is dx_pre itself; for gru the n block is r_t times it.

    Uses the weights ``params`` (the ones that produced the trace: ``trace.params``) and
    the trace's forward values; the step's own output loss is not added (add
    Why^T dy_t to dh yourself when it belongs in the sum).

    ``factors``: ``back_factors(trace)``, computed once by a loop over many steps (the
    same numbers; without it each call computes its step's factors itself).
    """
    return MODULES[trace.cell].back_step(trace, params, t, dstate, factors)


def back_factors(trace):
    """The factors of every step of ``trace`` at once, for back_step(..., factors=):
    a walk back of T steps computes them in a few array operations instead of T times."""
    return MODULES[trace.cell].back_factors(trace)


def walk_losses(trace, params):
    """The batched walk back, one loss per row: every diagnostic and attribution reads it.

    Backpropagation is linear in the losses, so the T backward passes of L_0 .. L_{T-1},
    each alone, run together as one batch. Yields ``(s, dstate, dx_pre, dh_pre)`` for
    s = T-1 down to 0, where row d of every array belongs to the loss L_{s+d}:
      dstate   the tuple (T-s, H) of gradients at the state after step s (h_s, and the
               LSTM's c_s without the path through h_s), L_s's own Why^T dy_s included;
      dx_pre, dh_pre (T-s, kH)   back_step's gradients at step s's pre-activations.
    Summed over the rows, dstate[0] is trace.dh[s]. Memory O(T kH): one batch at a time.
    """
    direct = trace.dy @ params["Why"]               # row t: dL_t/dh_t = Why^T dy_t
    factors = back_factors(trace)
    dstate = zero_state(trace, rows=0)
    for s in range(trace.T - 1, -1, -1):
        entering = zero_state(trace, rows=1)        # L_s reaches c_s only through h_s
        entering[0][0] = direct[s]
        dstate = tuple(np.concatenate((new, old)) for new, old in
                       zip(entering, dstate, strict=True))
        before, dx_pre, dh_pre = back_step(trace, params, s, dstate, factors)
        yield s, dstate, dx_pre, dh_pre
        dstate = before


def zero_state(trace, rows=None):
    """A zero ``dstate`` for ``trace``'s cell: (H,) arrays, or (rows, H)."""
    H = trace.hs.shape[1]
    shape = (H,) if rows is None else (rows, H)
    return tuple(np.zeros(shape) for _ in STATE[trace.cell])


__all__ = ["ARTICLE", "BLOCKS", "CARRIER", "CELLS", "CHOICE", "GATES", "LABEL", "MODULES",
           "SIGMOID_GATES", "STATE", "back_factors", "back_step", "cell_of", "check_cell",
           "walk_losses", "zero_state"]
