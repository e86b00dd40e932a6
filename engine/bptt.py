"""One truncated-BPTT window: forward, backward, clipping, all recorded in a Trace.

Row layout: ``hs[t]`` is h_t as a row, so the per-window products are single matmuls
and only the recurrence itself loops over t.
"""
from dataclasses import dataclass, field

import numpy as np

from .clip import check_clip, clip_gradients, norms
from .params import A_CELL, cell_of, check_cell
from .params import layout as layout_for
from .threads import single_threaded


@dataclass
class Trace:
    """Everything computed for one BPTT window of T characters."""

    inputs: np.ndarray      # (T,) character ids x_t
    targets: np.ndarray     # (T,) character ids to predict at t
    hprev: np.ndarray       # (H,) h_{-1}, carried over from the previous window
    hs: np.ndarray          # (T, H) h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
    ps: np.ndarray          # (T, V) softmax(Why h_t + by)
    losses: np.ndarray      # (T,) -log ps[t, targets[t]]
    loss: float             # sum of losses
    dy: np.ndarray          # (T, V) ps - onehot(targets): dL_t/dy_t
    dh: np.ndarray          # (T, H) Why^T dy_t + dhnext_t: dL/dh_t
    dhraw: np.ndarray       # (T, H) (1 - h_t^2) * dh_t: dL/d(pre-activation)
    dhnext: np.ndarray      # (T, H) Whh^T dhraw_{t+1}: gradient from the future, 0 at T-1
    dhprev: np.ndarray      # (H,) Whh^T dhraw_0: what truncation throws away
    grads: dict             # name -> gradient before clipping
    clipped: dict           # name -> gradient after clipping
    norms_before: dict      # name and "global" -> L2 norm before clipping
    norms_after: dict       # name and "global" -> L2 norm after clipping
    clip_fraction: dict     # name and "global" -> fraction of entries the clip changed
    clip: str = "value"
    threshold: float = 5.0
    iteration: int | None = None    # set by Trainer: the iteration that trained on it
    position: int | None = None     # set by Trainer: data pointer p of the window
    params: dict = field(default=None, repr=False)   # the weights that produced it
    dh_from_output: np.ndarray = field(default=None, repr=False)  # (T, H) Why^T dy_t
    tanh_grad: np.ndarray = field(default=None, repr=False)       # (T, H) 1 - h_t^2
    flat_grads: np.ndarray = field(default=None, repr=False)
    flat_clipped: np.ndarray = field(default=None, repr=False)
    # -- gated cells (engine/cells). For them hs, dh, dhnext, dhprev keep the meanings
    # above (dh_t = Why^T dy_t + dhnext_t still holds), tanh_grad is None, and dhraw is
    # (T, kH): the gradient at the stacked gate pre-activations a_t, PyTorch's order.
    cell: str = "rnn"       # "rnn", "lstm" or "gru"
    gates: dict = field(default=None, repr=False)
    #   name -> (T, H) gate values. lstm: i, f, o = sigmoid(a_i, a_f, a_o), g = tanh(a_g);
    #   gru: r, z = sigmoid(a_r, a_z), n = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1}))
    dh_pre: np.ndarray = field(default=None, repr=False)
    #   (T, kH) gradient at Whh h_{t-1}: dWhh = sum_t dh_pre_t^T h_{t-1}. The same array
    #   as dhraw for lstm; for gru its n block is r_t * dhraw's n block
    cs: np.ndarray = field(default=None, repr=False)      # lstm (T, H) c_t = f c_{t-1} + i g
    cprev: np.ndarray = field(default=None, repr=False)   # lstm (H,) c_{-1}, carried over
    tanh_c: np.ndarray = field(default=None, repr=False)  # lstm (T, H) tanh(c_t); h_t = o tanh(c_t)
    dc: np.ndarray = field(default=None, repr=False)
    #   lstm (T, H) dL/dc_t, total: dcnext_t + dh_t * o_t * (1 - tanh(c_t)^2)
    dcnext: np.ndarray = field(default=None, repr=False)
    #   lstm (T, H) f_{t+1} * dc_{t+1}: gradient arriving at c_t from the future, 0 at T-1
    dcprev: np.ndarray = field(default=None, repr=False)  # lstm (H,) f_0 * dc_0: dropped
    whn_h: np.ndarray = field(default=None, repr=False)   # gru (T, H) W_hn h_{t-1}

    @property
    def T(self):
        return len(self.inputs)


def forward(params, inputs, hprev):
    """hs (T, H), ps (T, V), the max-shifted logits and the softmax denominators."""
    Whh, Why = params["Whh"], params["Why"]
    T, H = len(inputs), Whh.shape[0]
    # Indexing Wxh's columns is Wxh @ onehot(x_t), without the multiply.
    pre = params["Wxh"].T[inputs]
    pre += params["bh"].reshape(-1)
    hs = np.empty((T, H))
    dot, add, tanh, h = np.dot, np.add, np.tanh, hprev
    for h_t, pre_t in zip(hs, pre, strict=True):   # the only sequential part of the forward pass
        dot(Whh, h, h_t)                 # (positional out: a little less call overhead)
        add(h_t, pre_t, h_t)
        tanh(h_t, h_t)
        h = h_t
    ys = hs @ Why.T
    ys += params["by"].reshape(-1)
    ys -= ys.max(axis=1, keepdims=True)
    ps = np.exp(ys)
    total = ps.sum(axis=1)
    ps /= total[:, None]
    return hs, ps, ys, total


@single_threaded
def bptt(params, inputs, targets, hprev, clip="value", threshold=5.0, cell=None,
         cprev=None):
    """Forward and backward over one window; returns the full Trace.

    ``cell``: "rnn", "lstm" or "gru" (engine/cells); None reads it from Whh's shape.
    ``cprev``: the LSTM's c_{-1}, (H,) or (H, 1); None means zeros."""
    threshold = check_clip(clip, threshold)     # before any work: a bad value costs nothing
    if cell is not None or cprev is not None or \
            params["Whh"].shape[0] != params["Whh"].shape[1]:
        gated = _check_cell(params, cell)
        if gated:
            return _gated(params, inputs, targets, hprev, clip, threshold, gated, cprev)
        if cprev is not None:
            raise ValueError("cprev is the LSTM's cell state; the vanilla rnn has none. "
                             "Leave cprev=None.")
    Whh, Why = params["Whh"], params["Why"]
    H, V = Whh.shape[0], Why.shape[0]
    inputs, targets, hprev = _window(inputs, targets, hprev, H)
    T = len(inputs)

    hs, ps, ys, total = forward(params, inputs, hprev)
    rows = np.arange(T)
    # log-softmax form of -log p[target]: finite even when p underflows to 0.
    losses = np.log(total)
    losses -= ys[rows, targets]

    layout = layout_for(V, H)
    flat = np.empty(layout.size)
    g = layout.views(flat)
    dy = ps.copy()
    dy[rows, targets] -= 1.0
    np.dot(dy.T, hs, out=g["Why"])
    ones = np.ones(T)
    np.dot(ones, dy, out=g["by"][:, 0])     # sums over t, as one small matvec
    dh_out = dy @ Why                       # row t: Why^T dy_t
    tanh_grad = hs * hs
    np.subtract(1.0, tanh_grad, out=tanh_grad)
    dh, dhraw, dhnext = np.empty((T, H)), np.empty((T, H)), np.empty((T, H))
    dhnext[T - 1] = 0.0
    add, mul, dot = np.add, np.multiply, np.dot
    # the only sequential part of the backward pass: t = T-1 down to 1, then t = 0
    steps = zip(dh_out[:0:-1], dhnext[:0:-1], tanh_grad[:0:-1], dh[:0:-1], dhraw[:0:-1],
                dhnext[-2::-1], strict=True)
    for dh_out_t, dhnext_t, tanh_grad_t, dh_t, dhraw_t, dhnext_before in steps:
        add(dh_out_t, dhnext_t, dh_t)               # dh_t = Why^T dy_t + dhnext_t
        mul(tanh_grad_t, dh_t, dhraw_t)             # dhraw_t = (1 - h_t^2) * dh_t
        dot(dhraw_t, Whh, dhnext_before)            # dhnext_{t-1} = Whh^T dhraw_t
    add(dh_out[0], dhnext[0], dh[0])
    mul(tanh_grad[0], dh[0], dhraw[0])
    dhprev = dhraw[0] @ Whh
    hs_prev = np.empty((T, H))
    hs_prev[0] = hprev
    hs_prev[1:] = hs[:-1]
    np.dot(dhraw.T, hs_prev, out=g["Whh"])
    onehot = np.zeros((T, V))
    onehot[rows, inputs] = 1.0              # one small matmul beats a scatter-add
    np.dot(dhraw.T, onehot, out=g["Wxh"])
    np.dot(ones, dhraw, out=g["bh"][:, 0])

    before = norms(flat, layout)
    flat_clipped, fractions, after = clip_gradients(flat, layout, clip, threshold, before)
    return Trace(
        inputs=inputs, targets=targets, hprev=hprev, hs=hs, ps=ps, losses=losses,
        loss=float(losses.sum()), dy=dy, dh=dh, dhraw=dhraw, dhnext=dhnext, dhprev=dhprev,
        grads=g, clipped=layout.views(flat_clipped),
        norms_before=before, norms_after=after, clip_fraction=fractions, clip=clip,
        threshold=float(threshold), params=params, dh_from_output=dh_out,
        tanh_grad=tanh_grad, flat_grads=flat, flat_clipped=flat_clipped)


def _check_cell(params, cell):
    """The gated cell to run, or None for the vanilla path."""
    found = cell_of(params)
    if cell is not None and check_cell(cell) != found:
        raise ValueError(f"cell={cell!r} but the parameters are those of {A_CELL[found]} "
                         f"(Whh has shape {params['Whh'].shape}). Pass cell={found!r} or "
                         f"parameters made with init_params(..., cell={cell!r}).")
    return None if found == "rnn" else found


def _window(inputs, targets, hprev, H):
    """(inputs, targets, hprev) of one window as arrays, checked: equally long,
    non-empty, and an hprev of H entries ((H,) or (H, 1))."""
    inputs = np.asarray(inputs, dtype=np.intp)
    targets = np.asarray(targets, dtype=np.intp)
    T = len(inputs)
    if T == 0 or len(targets) != T:
        raise ValueError(f"inputs and targets must be non-empty and equally long; "
                         f"got {T} and {len(targets)}.")
    hprev = np.asarray(hprev, dtype=np.float64).reshape(-1)
    if hprev.shape != (H,):
        raise ValueError(f"hprev must have {H} entries; got {hprev.size}.")
    return inputs, targets, hprev


def _gated(params, inputs, targets, hprev, clip, threshold, cell, cprev):
    # imported here, not at the top: cells.window imports Trace from this module
    from .cells.window import gated_bptt
    H = params["Whh"].shape[1]
    inputs, targets, hprev = _window(inputs, targets, hprev, H)
    if cell == "lstm":
        cprev = np.zeros(H) if cprev is None else \
            np.asarray(cprev, dtype=np.float64).reshape(-1)
        if cprev.shape != (H,):
            raise ValueError(f"cprev must have {H} entries; got {cprev.size}.")
    elif cprev is not None:
        raise ValueError(f"cprev is the LSTM's cell state; {A_CELL[cell]} has none. Leave "
                         f"cprev=None.")
    return gated_bptt(params, inputs, targets, hprev, cprev, cell, clip, threshold)
