"""The Trace: everything computed for one BPTT window of T characters.

One Trace is one window of one sequence through one recurrent layer, so every array
below has the timestep as its first axis (rows are timesteps). A record with more
axes (several layers, a batch of sequences) grows by new optional fields placed in
front of these, never by changing the shape or meaning of a field below: code that
reads ``trace.dhnext[t]`` keeps working.

The vanilla cell's fields carry min-char-rnn's names and equations. A gated cell keeps
the meanings of hs, dh, dhnext and dhprev (``dh_t = Why^T dy_t + dhnext_t`` still
holds); its dhraw is (T, kH), the gradient at the k stacked gate pre-activations a_t in
PyTorch's order, and it fills the optional fields of its cell.
"""
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Trace:
    """One BPTT window. T: timesteps, H: hidden units, V: vocabulary, k: gate blocks."""

    # -- the window
    inputs: np.ndarray      # (T,) character ids x_t
    targets: np.ndarray     # (T,) character ids to predict at t
    hprev: np.ndarray       # (H,) h_{-1}, carried over from the previous window
    # -- forward
    hs: np.ndarray          # (T, H) h_t = tanh(Wxh x_t + Whh h_{t-1} + bh) for the rnn
    ps: np.ndarray          # (T, V) p_t = softmax(Why h_t + by)
    losses: np.ndarray      # (T,) L_t = -log p_t[target_t]
    loss: float             # L = sum_t L_t
    # -- backward
    dy: np.ndarray          # (T, V) dL_t/dy_t = p_t - onehot(target_t)
    dh: np.ndarray          # (T, H) dL/dh_t = Why^T dy_t + dhnext_t
    dhraw: np.ndarray       # (T, kH) dL/d(pre-activation); rnn: (1 - h_t^2) * dh_t
    dhnext: np.ndarray      # (T, H) gradient reaching h_t from the future, 0 at T-1;
    #                         rnn: dhnext_{t-1} = Whh^T dhraw_t
    dhprev: np.ndarray      # (H,) the gradient at hprev: what truncation throws away
    # -- gradients, by parameter name (Wxh, Whh, Why, bh, by)
    grads: dict             # before clipping
    clipped: dict           # after clipping
    norms_before: dict      # name and "global" -> L2 norm before clipping
    norms_after: dict       # name and "global" -> L2 norm after clipping
    clip_fraction: dict     # name and "global" -> fraction of entries the clip changed
    clip: str = "value"     # "value", "norm" or "none"
    threshold: float = 5.0
    # -- set by the Trainer
    iteration: int | None = None    # the iteration that trained on this window
    position: int | None = None     # the data pointer p of the window
    # -- kept for the diagnostics
    params: dict = field(default=None, repr=False)   # the weights that produced it
    dh_from_output: np.ndarray = field(default=None, repr=False)  # (T, H) Why^T dy_t
    tanh_grad: np.ndarray = field(default=None, repr=False)       # rnn (T, H) 1 - h_t^2
    flat_grads: np.ndarray = field(default=None, repr=False)      # grads, one buffer
    flat_clipped: np.ndarray = field(default=None, repr=False)    # clipped, one buffer
    # -- gated cells (engine/cells/lstm.py, gru.py)
    cell: str = "rnn"       # "rnn", "lstm" or "gru"
    gates: dict = field(default=None, repr=False)
    #   name -> (T, H) gate values. lstm: i, f, o = sigmoid(a_i, a_f, a_o), g = tanh(a_g);
    #   gru: r, z = sigmoid(a_r, a_z), n = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1}))
    dh_pre: np.ndarray = field(default=None, repr=False)
    #   (T, kH) gradient at Whh h_{t-1}: dWhh = sum_t dh_pre_t^T h_{t-1}. The same array
    #   as dhraw for rnn and lstm; for gru its n block is r_t * dhraw's n block
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
