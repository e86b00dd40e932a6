"""Recurrent cells: the vanilla tanh RNN (min-char-rnn), the LSTM and the GRU.

Every cell shares the parameter names Wxh (kH, V), Whh (kH, H), bh (kH, 1), Why (V, H),
by (V, 1), with k gate blocks of H rows stacked in PyTorch's order (k = 1, 4, 3;
engine/params.py). Each cell module keeps its backward rule next to its forward.

``back_step`` is the one-step backward that every diagnostic is built on (loss_to_state,
reach) and that attribution tools can reuse.
"""
import numpy as np

from ..params import CELL_BLOCKS, cell_of, check_cell
from . import gru, lstm, rnn

CELLS = tuple(CELL_BLOCKS)
MODULES = {"rnn": rnn, "lstm": lstm, "gru": gru}
GATES = {cell: module.GATES for cell, module in MODULES.items()}
SIGMOID_GATES = {"rnn": (), "lstm": lstm.SIGMOID_GATES, "gru": gru.SIGMOID_GATES}
STATE = {"rnn": ("h",), "lstm": ("h", "c"), "gru": ("h",)}     # what dstate holds


def back_step(trace, params, t, dstate):
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
    """
    return MODULES[trace.cell].back_step(trace, params, t, dstate)


def zero_state(trace, rows=None):
    """A zero ``dstate`` for ``trace``'s cell: (H,) arrays, or (rows, H)."""
    H = trace.hs.shape[1]
    shape = (H,) if rows is None else (rows, H)
    return tuple(np.zeros(shape) for _ in STATE[trace.cell])


__all__ = ["CELLS", "GATES", "SIGMOID_GATES", "STATE", "back_step", "cell_of", "check_cell",
           "zero_state"]
