"""The vanilla tanh cell of min-char-rnn.

Forward, with x_t the one-hot input:
    h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
Backward, with dh_out_t = Why^T dy_t the gradient from the output at t:
    dh_t      = dh_out_t + dhnext_t          (dhnext_{T-1} = 0: nothing from beyond)
    dhraw_t   = (1 - h_t^2) * dh_t           the tanh' mask
    dhnext_{t-1} = Whh^T dhraw_t             what step t hands back to step t-1
    dhprev    = Whh^T dhraw_0                what truncation throws away

Rows are timesteps, so ``dhnext_{t-1} = Whh^T dhraw_t`` is the row product
``dhraw_t @ Whh``. The loops write into preallocated rows with ``out=`` arguments: the
per-call overhead of numpy is most of a step at H = 100, and fresh temporaries cost
more than the arithmetic (engine/bptt.py's docstring has the figures).
"""
import numpy as np

BLOCKS = 1                          # k: gate blocks stacked in Wxh, Whh, bh
GATES = ()
SIGMOID_GATES = ()
STATE = ("h",)                      # what a state (and a dstate) holds
LABEL = "tanh RNN"
ARTICLE = "a vanilla RNN"           # for messages
CHOICE = "rnn (tanh, min-char-rnn)"
BACK_STEP_SECONDS = 2.5e-5          # s of Python per back_step (engine/cost.py)
RECORDED_FIELDS = ()                # a recorded layer's own fields (recorded.py)
CARRIER = None                      # no gate path: every step back goes through Whh^T


def forward(params, inputs, state):
    """hs (T, H): the hidden states of the window from state = (hprev,)."""
    (hprev,) = state
    Whh = params["Whh"]
    T, H = len(inputs), Whh.shape[0]
    # Indexing Wxh's columns is Wxh @ onehot(x_t), without the multiply.
    pre = params["Wxh"].T[inputs]
    pre += params["bh"].reshape(-1)
    hs = np.empty((T, H))
    # Whh.dot, not np.dot: the method skips numpy's __array_function__ dispatch, 0.2 us
    # of the 1.4 us a call costs at H = 100 (the same product, bit for bit)
    Whh_dot, add, tanh, h = Whh.dot, np.add, np.tanh, hprev
    for h_t, pre_t in zip(hs, pre, strict=True):   # the only sequential part
        Whh_dot(h, h_t)                  # h_t = Whh h_{t-1}   (positional out: less overhead)
        add(h_t, pre_t, h_t)             #     + Wxh x_t + bh
        tanh(h_t, h_t)                   # h_t = tanh(...)
        h = h_t
    return {"hs": hs}


def backward(params, fwd, state, dh_out):
    """The backward recurrence: dh, dhraw (= dh_pre), dhnext (T, H), dhprev (H,) and the
    tanh' mask."""
    Whh, hs = params["Whh"], fwd["hs"]
    T, H = hs.shape
    tanh_grad = hs * hs
    np.subtract(1.0, tanh_grad, out=tanh_grad)      # tanh'_t = 1 - h_t^2
    dh, dhraw, dhnext = np.empty((T, H)), np.empty((T, H)), np.empty((T, H))
    dhnext[T - 1] = 0.0
    add, mul = np.add, np.multiply
    # the only sequential part: t = T-1 down to 1, then t = 0 (whose dhnext_{-1} is dhprev)
    steps = zip(dh_out[:0:-1], dhnext[:0:-1], tanh_grad[:0:-1], dh[:0:-1], dhraw[:0:-1],
                dhnext[-2::-1], strict=True)
    for dh_out_t, dhnext_t, tanh_grad_t, dh_t, dhraw_t, dhnext_before in steps:
        add(dh_out_t, dhnext_t, dh_t)               # dh_t = Why^T dy_t + dhnext_t
        mul(tanh_grad_t, dh_t, dhraw_t)             # dhraw_t = (1 - h_t^2) * dh_t
        dhraw_t.dot(Whh, dhnext_before)             # dhnext_{t-1} = Whh^T dhraw_t
    add(dh_out[0], dhnext[0], dh[0])
    mul(tanh_grad[0], dh[0], dhraw[0])
    dhprev = dhraw[0] @ Whh
    return {"dh": dh, "dhraw": dhraw, "dh_pre": dhraw, "dhnext": dhnext, "dhprev": dhprev,
            "tanh_grad": tanh_grad}


def record(fwd, back, state):
    """The Trace fields of this cell beyond the shared ones."""
    return {"tanh_grad": back["tanh_grad"]}


def back_factors(trace, t=slice(None)):
    """back_step's factor at step t (or a slice of steps): the tanh' mask 1 - h_t^2."""
    return {"tanh_grad": trace.tanh_grad[t]}


def back_step(trace, params, t, dstate, factors=None):
    """One step back through step t for a batch of B gradients; see cells.back_step."""
    (dh,) = dstate
    dhraw = dh * trace.tanh_grad[t]     # back_factors' one factor, already on the trace
    return (dhraw @ params["Whh"],), dhraw, dhraw


def step(params, ix, state):
    """One forward step on character ``ix`` (for sampling): the state (h_t,)."""
    (h,) = state
    return (np.tanh(params["Wxh"][:, ix] + params["Whh"] @ h + params["bh"][:, 0]),)
