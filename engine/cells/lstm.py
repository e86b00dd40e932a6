"""LSTM cell: PyTorch's nn.LSTM equations with bias_hh = 0, gate blocks stacked i, f, g, o.

Forward, with a_t = Wxh x_t + bh + Whh h_{t-1} (4H,) cut into blocks a_i, a_f, a_g, a_o:
    i_t = sigmoid(a_i)   f_t = sigmoid(a_f)   g_t = tanh(a_g)   o_t = sigmoid(a_o)
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

Backward, with dh_t = Why^T dy_t + dhnext_t and dcnext_t the gradient arriving at c_t
from step t+1 (zero at T-1):
    dc_t  = dcnext_t + dh_t * o_t * (1 - tanh(c_t)^2)            total gradient at c_t
    da_t  = [dc_t g_t i_t(1-i_t), dc_t c_{t-1} f_t(1-f_t),        gradient at a_t (dhraw)
             dc_t i_t (1-g_t^2),  dh_t tanh(c_t) o_t(1-o_t)]
    dhnext_{t-1} = Whh^T da_t         dcnext_{t-1} = f_t * dc_t
The cell state's own path back is a multiplication by f_t, elementwise: no matrix and no
tanh' in the way, which is why the gradient can cross a long gap when f stays near 1.

Layout: rows are timesteps. Only the recurrence loops over t; every product that does
not depend on the previous step (the factors multiplying dc_t and dh_t above, the weight
gradients) is one array operation over the window.
"""
import functools

import numpy as np

from . import shift

BLOCKS = 4                          # k: gate blocks stacked in Wxh, Whh, bh
GATES = ("i", "f", "g", "o")
SIGMOID_GATES = ("i", "f", "o")
STATE = ("h", "c")                  # what a state (and a dstate) holds
LABEL = "LSTM"
ARTICLE = "an LSTM"                 # for messages
CHOICE = "lstm (cell state c, gates i f g o)"
BACK_STEP_SECONDS = 1e-4            # s of Python per back_step (engine/cost.py)
RECORDED_FIELDS = ("c", "dc", "c0", "gates")  # a recorded layer's own fields (recorded.py)
CARRIER = ("c", "f")                # dcnext_{t-1} = f_t * dc_t: f carries c's gradient back


@functools.lru_cache(maxsize=8)
def _gate_scale(H):
    """Per-row factors for sigmoid(x) = (1 + tanh(x/2)) / 2 on the i, f, o blocks and
    tanh(x) on g: one tanh over the whole (4H,) vector per step instead of exp-based
    sigmoids over three non-adjacent blocks (three fewer array calls per step). Built
    once per H (read-only: every window shares them)."""
    scale = np.full(4 * H, 0.5)
    scale[2 * H: 3 * H] = 1.0
    offset = np.full(4 * H, 0.5)
    offset[2 * H: 3 * H] = 0.0
    scale.flags.writeable = offset.flags.writeable = False
    return scale, offset


def forward(params, inputs, state):
    """acts (T, 4H) gate values i, f, g, o; cs, tanh_c, hs (T, H); state = (hprev, cprev)."""
    hprev, cprev = state
    Whh = params["Whh"]
    T, H = len(inputs), Whh.shape[1]
    pre = params["Wxh"].T[inputs]          # Wxh x_t for the whole window, by indexing
    pre += params["bh"].reshape(-1)
    scale, offset = _gate_scale(H)
    acts = np.empty((T, 4 * H))
    cs, tanh_c, hs = np.empty((T, H)), np.empty((T, H)), np.empty((T, H))
    blocks = acts.reshape(T, 4, H)
    ig = np.empty(H)
    # Whh.dot rather than np.dot: cells/rnn.py says why
    Whh_dot, add, mul, tanh = Whh.dot, np.add, np.multiply, np.tanh
    h, c = hprev, cprev
    steps = zip(acts, pre, blocks[:, 0], blocks[:, 1], blocks[:, 2], blocks[:, 3],
                cs, tanh_c, hs, strict=False)
    for a, pre_t, i, f, g, o, c_t, tc_t, h_t in steps:     # the only sequential part
        Whh_dot(h, a)
        add(a, pre_t, a)
        mul(a, scale, a)
        tanh(a, a)
        mul(a, scale, a)
        add(a, offset, a)
        mul(f, c, c_t)
        mul(i, g, ig)
        add(c_t, ig, c_t)          # c_t = f c_{t-1} + i g
        tanh(c_t, tc_t)
        mul(o, tc_t, h_t)          # h_t = o tanh(c_t)
        h, c = h_t, c_t
    return {"acts": acts, "cs": cs, "tanh_c": tanh_c, "hs": hs}


def backward(params, fwd, state, dh_out):
    """The backward recurrence. Returns dh, da (= dhraw), dc, dhnext, dcnext (T, ...),
    dhprev, dcprev (H,)."""
    cprev = state[1]
    Whh = params["Whh"]
    acts, cs, tanh_c = fwd["acts"], fwd["cs"], fwd["tanh_c"]
    T, H = cs.shape
    i, f, g, o = (acts.reshape(T, 4, H)[:, j] for j in range(4))
    c_before = np.empty((T, H))
    c_before[0] = cprev
    c_before[1:] = cs[:-1]
    # da_t blocks i, f, g are dc_t times K_t; block o is dh_t times Ko_t
    K = np.empty((T, 3, H))
    np.multiply(g, i * (1.0 - i), out=K[:, 0])
    np.multiply(c_before, f * (1.0 - f), out=K[:, 1])
    np.multiply(i, 1.0 - g * g, out=K[:, 2])
    Ko = tanh_c * o * (1.0 - o)
    dc_from_h = o * (1.0 - tanh_c * tanh_c)          # dc_t gets dh_t times this
    dh, dc, da = np.empty((T, H)), np.empty((T, H)), np.empty((T, 4 * H))
    da4 = da.reshape(T, 4, H)
    # row 0 receives dhprev / dcprev, row t+1 is dhnext_t / dcnext_t
    dhnext_ext, dcnext_ext = np.empty((T + 1, H)), np.empty((T + 1, H))
    dhnext_ext[T] = 0.0
    dcnext_ext[T] = 0.0
    add, mul = np.add, np.multiply
    steps = zip(dh_out[::-1], dhnext_ext[:0:-1], dcnext_ext[:0:-1], dh[::-1], dc[::-1],
                dc_from_h[::-1], K[::-1], Ko[::-1], da[::-1], da4[::-1, :3], da4[::-1, 3],
                f[::-1], dhnext_ext[-2::-1], dcnext_ext[-2::-1], strict=False)
    for (dh_out_t, dhnext_t, dcnext_t, dh_t, dc_t, dc_from_h_t, K_t, Ko_t, da_t, da_ifg,
         da_o, f_t, dhnext_before, dcnext_before) in steps:
        add(dh_out_t, dhnext_t, dh_t)              # dh_t = Why^T dy_t + dhnext_t
        mul(dh_t, dc_from_h_t, dc_t)
        add(dc_t, dcnext_t, dc_t)                  # dc_t = dcnext_t + dh_t o (1 - tanh^2 c)
        mul(K_t, dc_t, da_ifg)
        mul(Ko_t, dh_t, da_o)
        da_t.dot(Whh, dhnext_before)               # dhnext_{t-1} = Whh^T da_t
        mul(dc_t, f_t, dcnext_before)              # dcnext_{t-1} = f_t dc_t
    return {"dh": dh, "dhraw": da, "dh_pre": da, "dc": dc, "dhnext": dhnext_ext[1:],
            "dcnext": dcnext_ext[1:], "dhprev": dhnext_ext[0], "dcprev": dcnext_ext[0]}


def record(fwd, back, state):
    """The Trace fields of this cell beyond the shared ones."""
    T, H = fwd["hs"].shape
    acts = fwd["acts"].reshape(T, 4, H)
    return {"gates": {name: acts[:, j] for j, name in enumerate(GATES)}, "cs": fwd["cs"],
            "cprev": state[1], "tanh_c": fwd["tanh_c"], "dc": back["dc"],
            "dcnext": back["dcnext"], "dcprev": back["dcprev"]}


def back_factors(trace, t=slice(None)):
    """back_step's factors at step t, or at every step of a slice at once (a walk back
    computes them once per window instead of once per step):
        dc_from_h = o (1 - tanh(c)^2)    dc_t gets dh_t times this
        K  (..., 3, H)                   da's blocks i, f, g are dc_t times K
        Ko = tanh(c) o (1 - o)           da's block o is dh_t times Ko
        f                                dcnext_{t-1} = f_t dc_t"""
    i, f, g, o = (trace.gates[name][t] for name in GATES)
    tc = trace.tanh_c[t]
    c_before = shift.before(trace.cs, trace.cprev, t)
    K = np.stack((g * i * (1.0 - i), c_before * f * (1.0 - f), i * (1.0 - g * g)), axis=-2)
    return {"dc_from_h": o * (1.0 - tc * tc), "K": K, "Ko": tc * o * (1.0 - o), "f": f}


def back_step(trace, params, t, dstate, factors=None):
    """One step back through step t for a batch of B gradients; see cells.back_step."""
    dh, dc = dstate
    F = back_factors(trace, t) if factors is None else {k: v[t] for k, v in factors.items()}
    H = trace.hs.shape[1]
    dc = dc + dh * F["dc_from_h"]
    da = np.empty(np.broadcast_shapes(dh.shape, dc.shape)[:-1] + (4 * H,))
    blocks = da.reshape(da.shape[:-1] + (4, H))
    np.multiply(dc[..., None, :], F["K"], out=blocks[..., :3, :])
    np.multiply(dh, F["Ko"], out=blocks[..., 3, :])
    return (da @ params["Whh"], dc * F["f"]), da, da


def step(params, ix, state):
    """One forward step on character ``ix`` (for sampling): the state (h_t, c_t)."""
    h, c = state
    H = h.shape[0]
    a = params["Wxh"][:, ix] + params["bh"][:, 0] + params["Whh"] @ h
    i, f, o = (1.0 / (1.0 + np.exp(-a[j * H:(j + 1) * H])) for j in (0, 1, 3))
    c = f * c + i * np.tanh(a[2 * H: 3 * H])
    return o * np.tanh(c), c
