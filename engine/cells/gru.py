"""GRU cell: PyTorch's nn.GRU equations with bias_hh = 0, gate blocks stacked r, z, n.

Forward, with Wxh x_t + bh and Whh h_{t-1} (3H,) cut into blocks r, z, n:
    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1})
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1})
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1}))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

Backward, with dh_t = Why^T dy_t + dhnext_t (a_r, a_z, a_n: the pre-activations inside
sigmoid / tanh above):
    da_n = dh_t (1 - z_t) (1 - n_t^2)
    da_z = dh_t (h_{t-1} - n_t) z_t (1 - z_t)
    da_r = da_n (W_hn h_{t-1}) r_t (1 - r_t)
    dhraw_t = [da_r, da_z, da_n]                gradient at the stacked pre-activations
    dh_pre_t = [da_r, da_z, r_t da_n]           gradient at Whh h_{t-1}: r scales W_hn h
    dhnext_{t-1} = Whh^T dh_pre_t + z_t dh_t    the last term: h_t's direct copy of h_{t-1}
The z_t dh_t term is the GRU's gated highway: when z stays near 1 the gradient passes
back almost untouched, with no matrix and no tanh' in the way.

Every block of dhraw_t and dh_pre_t is dh_t times a factor that does not depend on the
backward recurrence, so the factors are computed for the whole window at once and the
loop is one multiply, one matvec and one multiply-add per step.
"""
import numpy as np

from . import shift

BLOCKS = 3                          # k: gate blocks stacked in Wxh, Whh, bh
GATES = ("r", "z", "n")
SIGMOID_GATES = ("r", "z")
STATE = ("h",)                      # what a state (and a dstate) holds
LABEL = "GRU"
ARTICLE = "a GRU"                   # for messages
CHOICE = "gru (gates r z n)"
BACK_STEP_SECONDS = 1e-4            # s of Python per back_step (engine/cost.py)
RECORDED_FIELDS = ("gates", "whn_h")  # a recorded layer's own fields (recorded.py)
CARRIER = ("h", "z")                # z_t * dh_t inside dhnext_{t-1}: z copies h's gradient


def forward(params, inputs, state):
    """acts (T, 3H) gate values r, z, n; hh (T, 3H) Whh h_{t-1}; hs (T, H); state = (hprev,)."""
    (hprev,) = state
    Whh = params["Whh"]
    T, H = len(inputs), Whh.shape[1]
    pre = params["Wxh"].T[inputs]          # Wxh x_t for the whole window, by indexing
    pre += params["bh"].reshape(-1)
    acts, hh, hs = np.empty((T, 3 * H)), np.empty((T, 3 * H)), np.empty((T, H))
    diff = np.empty(H)
    # Whh.dot rather than np.dot: cells/rnn.py says why
    Whh_dot, add, sub, mul, tanh = Whh.dot, np.add, np.subtract, np.multiply, np.tanh
    h = hprev
    steps = zip(pre[:, :2 * H], pre[:, 2 * H:], hh, hh[:, :2 * H], hh[:, 2 * H:],
                acts[:, :2 * H], acts[:, H: 2 * H], acts[:, 2 * H:], hs, strict=False)
    for pre_rz, pre_n, hh_t, hh_rz, hh_n, rz, z, n, h_t in steps:   # the sequential part
        Whh_dot(h, hh_t)
        add(hh_rz, pre_rz, rz)
        mul(rz, 0.5, rz)                   # sigmoid(x) = (1 + tanh(x/2)) / 2: no exp
        tanh(rz, rz)                       # overflow for large |x|
        mul(rz, 0.5, rz)
        add(rz, 0.5, rz)
        mul(rz[:H], hh_n, n)
        add(n, pre_n, n)
        tanh(n, n)                         # n_t = tanh(W_in x + b_in + r (W_hn h))
        sub(h, n, diff)
        mul(z, diff, diff)
        add(n, diff, h_t)                  # h_t = n + z (h_{t-1} - n) = (1-z) n + z h_{t-1}
        h = h_t
    return {"acts": acts, "hh": hh, "hs": hs}


def backward(params, fwd, state, dh_out):
    """The backward recurrence. Returns dh, dhraw, dh_pre, dhnext (T, ...), dhprev (H,)."""
    (hprev,) = state
    Whh = params["Whh"]
    acts, hs = fwd["acts"], fwd["hs"]
    T, H = hs.shape
    r, z, n = (acts.reshape(T, 3, H)[:, j] for j in range(3))
    whn_h = fwd["hh"][:, 2 * H:]
    h_before = np.empty((T, H))
    h_before[0] = hprev
    h_before[1:] = hs[:-1]
    Kx = np.empty((T, 3, H))        # dhraw_t = Kx_t * dh_t, block by block
    np.multiply(1.0 - z, 1.0 - n * n, out=Kx[:, 2])
    np.multiply(Kx[:, 2], whn_h * r * (1.0 - r), out=Kx[:, 0])
    np.multiply(h_before - n, z * (1.0 - z), out=Kx[:, 1])
    Kh = Kx.copy()                  # dh_pre_t = Kh_t * dh_t
    Kh[:, 2] *= r
    dh, dh_pre = np.empty((T, H)), np.empty((T, 3 * H))
    dh_pre3 = dh_pre.reshape(T, 3, H)
    dhnext_ext, carry = np.empty((T + 1, H)), np.empty(H)   # row 0: dhprev
    dhnext_ext[T] = 0.0
    add, mul = np.add, np.multiply
    steps = zip(dh_out[::-1], dhnext_ext[:0:-1], dh[::-1], Kh[::-1], dh_pre[::-1],
                dh_pre3[::-1], z[::-1], dhnext_ext[-2::-1], strict=False)
    for dh_out_t, dhnext_t, dh_t, Kh_t, dh_pre_t, dh_pre3_t, z_t, dhnext_before in steps:
        add(dh_out_t, dhnext_t, dh_t)              # dh_t = Why^T dy_t + dhnext_t
        mul(Kh_t, dh_t, dh_pre3_t)
        dh_pre_t.dot(Whh, dhnext_before)
        mul(z_t, dh_t, carry)
        add(dhnext_before, carry, dhnext_before)   # dhnext_{t-1} = Whh^T dh_pre_t + z dh_t
    dhraw = (Kx * dh[:, None, :]).reshape(T, 3 * H)
    return {"dh": dh, "dhraw": dhraw, "dh_pre": dh_pre, "dhnext": dhnext_ext[1:],
            "dhprev": dhnext_ext[0]}


def record(fwd, back, state):
    """The Trace fields of this cell beyond the shared ones."""
    T, H = fwd["hs"].shape
    acts = fwd["acts"].reshape(T, 3, H)
    return {"gates": {name: acts[:, j] for j, name in enumerate(GATES)},
            "whn_h": fwd["hh"][:, 2 * H:]}


def back_factors(trace, t=slice(None)):
    """back_step's factors at step t, or at every step of a slice at once (a walk back
    computes them once per window instead of once per step):
        n_factor = (1 - z) (1 - n^2)           da_n = dh_t times this
        r_factor = (W_hn h_{t-1}) r (1 - r)    da_r = da_n times this
        z_factor = (h_{t-1} - n) z (1 - z)     da_z = dh_t times this
        r, z                                   dh_pre's n block is r da_n; z dh_t is
                                               what h_t hands straight back to h_{t-1}"""
    r, z, n = (trace.gates[name][t] for name in GATES)
    h_before = shift.before(trace.hs, trace.hprev, t)
    return {"n_factor": (1.0 - z) * (1.0 - n * n), "r_factor": trace.whn_h[t] * r * (1.0 - r),
            "z_factor": (h_before - n) * z * (1.0 - z), "r": r, "z": z}


def back_step(trace, params, t, dstate, factors=None):
    """One step back through step t for a batch of B gradients; see cells.back_step."""
    (dh,) = dstate
    F = back_factors(trace, t) if factors is None else {k: v[t] for k, v in factors.items()}
    H = trace.hs.shape[1]
    da_n = dh * F["n_factor"]
    dx = np.empty(dh.shape[:-1] + (3 * H,))
    np.multiply(da_n, F["r_factor"], out=dx[..., :H])
    np.multiply(dh, F["z_factor"], out=dx[..., H: 2 * H])
    dx[..., 2 * H:] = da_n
    dhp = dx.copy()
    dhp[..., 2 * H:] *= F["r"]
    return (dhp @ params["Whh"] + dh * F["z"],), dx, dhp


def step(params, ix, state):
    """One forward step on character ``ix`` (for sampling): the state (h_t,)."""
    (h,) = state
    H = h.shape[0]
    x = params["Wxh"][:, ix] + params["bh"][:, 0]
    hh = params["Whh"] @ h
    rz = 1.0 / (1.0 + np.exp(-(x[:2 * H] + hh[:2 * H])))
    r, z = rz[:H], rz[H:]
    n = np.tanh(x[2 * H:] + r * hh[2 * H:])
    return ((1.0 - z) * n + z * h,)
