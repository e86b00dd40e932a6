"""An independent, plain LSTM and GRU for character models, written from the equations.

Like tests/reference.py (whose clipping and statistics it reuses) this imports nothing
from ``engine``: per-timestep column vectors of shape (H, 1) in dicts keyed by t, one-hot
inputs multiplied with np.dot, one gate at a time, per-timestep outer products for the
weight gradients. It is the reference for the engine's gated cells and the "plain"
baseline that bench/cells_speed.py times them against.

Equations: PyTorch's nn.LSTM / nn.GRU with the hidden-side biases at zero.
    LSTM, blocks i, f, g, o of Wxh (4H, V), Whh (4H, H), bh (4H, 1):
        i = sigmoid(W_ii x + b_i + W_hi h), f = sigmoid(...), g = tanh(...), o = sigmoid(...)
        c_t = f c_{t-1} + i g,   h_t = o tanh(c_t)
    GRU, blocks r, z, n of Wxh (3H, V), Whh (3H, H), bh (3H, 1):
        r = sigmoid(W_ir x + b_r + W_hr h), z = sigmoid(W_iz x + b_z + W_hz h)
        n = tanh(W_in x + b_n + r (W_hn h)),   h_t = (1 - z) n + z h_{t-1}
"""
import numpy as np
import reference as ref

NAMES = ref.NAMES
GATES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
BLOCKS = {"lstm": 4, "gru": 3}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def random_params(cell, vocab_size, hidden_size, seed=0, scale=0.3, bias_scale=0.2):
    """Gaussian weights and biases from numpy's legacy RandomState (not the engine's)."""
    rng = np.random.RandomState(seed)
    k, H, V = BLOCKS[cell], hidden_size, vocab_size
    return {"Wxh": rng.randn(k * H, V) * scale, "Whh": rng.randn(k * H, H) * scale,
            "Why": rng.randn(V, H) * scale, "bh": rng.randn(k * H, 1) * bias_scale,
            "by": rng.randn(V, 1) * bias_scale}


def block(a, j, H):
    return a[j * H:(j + 1) * H]


# -- one step -------------------------------------------------------------------------
def lstm_cell(x, h, c, params, x_offset=None, h_offset=None):
    """One LSTM step on the one-hot column x. ``x_offset`` (4H,1) is added to
    Wxh x + bh and ``h_offset`` to Whh h: finite differences through them give the
    gradients at those two pre-activations. Returns (h, c, gates dict)."""
    H = h.shape[0]
    ax = np.dot(params["Wxh"], x) + params["bh"]
    ah = np.dot(params["Whh"], h)
    if x_offset is not None:
        ax = ax + x_offset
    if h_offset is not None:
        ah = ah + h_offset
    a = ax + ah
    i = sigmoid(block(a, 0, H))
    f = sigmoid(block(a, 1, H))
    g = np.tanh(block(a, 2, H))
    o = sigmoid(block(a, 3, H))
    c_new = f * c + i * g
    h_new = o * np.tanh(c_new)
    return h_new, c_new, {"i": i, "f": f, "g": g, "o": o}


def gru_cell(x, h, params, x_offset=None, h_offset=None):
    """One GRU step; offsets as in lstm_cell. Returns (h, gates dict, W_hn h)."""
    H = h.shape[0]
    ax = np.dot(params["Wxh"], x) + params["bh"]
    ah = np.dot(params["Whh"], h)
    if x_offset is not None:
        ax = ax + x_offset
    if h_offset is not None:
        ah = ah + h_offset
    r = sigmoid(block(ax, 0, H) + block(ah, 0, H))
    z = sigmoid(block(ax, 1, H) + block(ah, 1, H))
    n = np.tanh(block(ax, 2, H) + r * block(ah, 2, H))
    h_new = (1 - z) * n + z * h
    return h_new, {"r": r, "z": z, "n": n}, block(ah, 2, H)


# -- a window -------------------------------------------------------------------------
def forward(cell, inputs, targets, hprev, cprev, params, h_offset=None):
    """Forward pass only. ``h_offset`` = (s, (H,1) array) is added to h_s after it is
    computed (c_s untouched): finite differences through it give dL_t/dh_s.
    Returns a dict: loss, losses, xs, hs, cs, gates (name -> dict t), whn_h, ps."""
    V, H = params["Why"].shape
    xs, hs, cs, ps, losses, whn_h = {}, {}, {}, {}, {}, {}
    gates = {name: {} for name in GATES[cell]}
    hs[-1] = np.array(hprev, dtype=np.float64).reshape(H, 1)
    cs[-1] = np.zeros((H, 1)) if cprev is None else \
        np.array(cprev, dtype=np.float64).reshape(H, 1)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((V, 1))
        xs[t][inputs[t]] = 1
        if cell == "lstm":
            hs[t], cs[t], gs = lstm_cell(xs[t], hs[t - 1], cs[t - 1], params)
        else:
            hs[t], gs, whn_h[t] = gru_cell(xs[t], hs[t - 1], params)
        for name, value in gs.items():
            gates[name][t] = value
        if h_offset is not None and h_offset[0] == t:
            hs[t] = hs[t] + h_offset[1]
        y = np.dot(params["Why"], hs[t]) + params["by"]
        e = np.exp(y - np.max(y))
        ps[t] = e / np.sum(e)
        losses[t] = -np.log(ps[t][targets[t], 0])
        loss += losses[t]
    return {"loss": loss, "losses": losses, "xs": xs, "hs": hs, "cs": cs, "gates": gates,
            "whn_h": whn_h, "ps": ps}


def lossfun(cell, inputs, targets, hprev, cprev, params):
    """Forward and backward, one timestep and one gate at a time.

    Adds to forward()'s dict: dy, dh, dhraw (the gradient at the stacked pre-activations,
    (kH,1)), dh_pre (the gradient at Whh h_{t-1}), dhnext; for lstm dc, dcnext; dhprev,
    dcprev (lstm); grads (before clipping); hlast, clast."""
    out = forward(cell, inputs, targets, hprev, cprev, params)
    xs, hs, cs, ps, gates = out["xs"], out["hs"], out["cs"], out["ps"], out["gates"]
    Wxh, Whh, Why, bh, by = (params[n] for n in NAMES)
    grads = {"Wxh": np.zeros_like(Wxh), "Whh": np.zeros_like(Whh),
             "Why": np.zeros_like(Why), "bh": np.zeros_like(bh), "by": np.zeros_like(by)}
    rec = {k: {} for k in ("dy", "dh", "dhraw", "dh_pre", "dhnext", "dc", "dcnext")}
    H = hs[-1].shape[0]
    dhnext = np.zeros((H, 1))
    dcnext = np.zeros((H, 1))
    for t in reversed(range(len(inputs))):
        rec["dhnext"][t] = dhnext
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        grads["Why"] += np.dot(dy, hs[t].T)
        grads["by"] += dy
        dh = np.dot(Why.T, dy) + dhnext
        if cell == "lstm":
            i, f, g, o = (gates[n][t] for n in GATES["lstm"])
            tanh_c = np.tanh(cs[t])
            rec["dcnext"][t] = dcnext
            do = dh * tanh_c                                 # h = o tanh(c)
            dc = dcnext + dh * o * (1 - tanh_c ** 2)
            di, df, dg = dc * g, dc * cs[t - 1], dc * i      # c = f c_prev + i g
            da = np.vstack([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2),
                            do * o * (1 - o)])
            dhp = da
            dhnext = np.dot(Whh.T, dhp)
            dcnext = f * dc
            rec["dc"][t] = dc
        else:
            r, z, n = (gates[n][t] for n in GATES["gru"])
            dn = dh * (1 - z)                                # h = (1-z) n + z h_prev
            dz = dh * (hs[t - 1] - n)
            dan = dn * (1 - n ** 2)                          # n = tanh(a_n)
            dr = dan * out["whn_h"][t]                       # a_n = ... + r (W_hn h)
            dar, daz = dr * r * (1 - r), dz * z * (1 - z)
            da = np.vstack([dar, daz, dan])
            dhp = np.vstack([dar, daz, dan * r])
            dhnext = np.dot(Whh.T, dhp) + dh * z
        grads["Wxh"] += np.dot(da, xs[t].T)
        grads["Whh"] += np.dot(dhp, hs[t - 1].T)
        grads["bh"] += da
        rec["dy"][t], rec["dh"][t], rec["dhraw"][t], rec["dh_pre"][t] = dy, dh, da, dhp
    T = len(inputs)
    out.update(rec)
    out.update({"dhprev": dhnext, "dcprev": dcnext if cell == "lstm" else None,
                "grads": grads, "hlast": hs[T - 1], "clast": cs.get(T - 1)})
    return out


def window(cell, inputs, targets, hprev, cprev, params, clip="value", threshold=5.0):
    """lossfun plus clipping plus statistics: everything a Trace holds."""
    out = lossfun(cell, inputs, targets, hprev, cprev, params)
    out["clipped"] = ref.reference_clip(out["grads"], clip, threshold)
    out["norms_before"], out["norms_after"], out["clip_fraction"] = ref.grad_stats(
        out["grads"], out["clipped"])
    return out


# -- training loop --------------------------------------------------------------------
class GatedTrainer:
    """Steps 1-8 of the iteration (docs/architecture.md, "Training semantics") with a
    gated cell, on copies of ``params``: the LSTM's c is carried and reset with h. Does
    per iteration what a plain numpy script would."""

    def __init__(self, cell, text, params, seq_length=25, learning_rate=0.1, clip="value",
                 threshold=5.0):
        self.cell, self.data = cell, text
        self.chars, self.char_to_ix, _ = ref.build_vocab(text)
        self.params = ref.copy_params(params)
        self.hidden_size = self.params["Whh"].shape[1]
        self.mem = {n: np.zeros_like(self.params[n]) for n in NAMES}
        self.seq_length, self.learning_rate = seq_length, learning_rate
        self.clip, self.threshold = clip, threshold
        self.n, self.p = 0, 0
        self.hprev = np.zeros((self.hidden_size, 1))
        self.cprev = np.zeros((self.hidden_size, 1)) if cell == "lstm" else None
        self.smooth_loss = -np.log(1.0 / len(self.chars)) * seq_length
        self.last = None

    def step(self):
        T = self.seq_length
        if self.p + T + 1 >= len(self.data) or self.n == 0:
            self.hprev = np.zeros((self.hidden_size, 1))
            if self.cell == "lstm":
                self.cprev = np.zeros((self.hidden_size, 1))
            self.p = 0
        inputs = [self.char_to_ix[ch] for ch in self.data[self.p:self.p + T]]
        targets = [self.char_to_ix[ch] for ch in self.data[self.p + 1:self.p + T + 1]]
        out = lossfun(self.cell, inputs, targets, self.hprev, self.cprev, self.params)
        clipped = ref.reference_clip(out["grads"], self.clip, self.threshold, inplace=True)
        self.smooth_loss = self.smooth_loss * 0.999 + out["loss"] * 0.001
        for name in NAMES:
            param, dparam, mem = self.params[name], clipped[name], self.mem[name]
            mem += dparam * dparam
            param += -self.learning_rate * dparam / np.sqrt(mem + ref.ADAGRAD_EPS)
        self.hprev = out["hlast"]
        if self.cell == "lstm":
            self.cprev = out["clast"]
        self.p += T
        self.n += 1
        self.last = out
        return out

    def run(self, n):
        for _ in range(n):
            self.step()
        return self
