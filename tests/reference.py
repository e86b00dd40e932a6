"""An independent, plain min-char-rnn, written from its equations (below, and the
training iteration restated in docs/architecture.md, "Training semantics").

This file deliberately imports nothing from ``engine``. It computes everything the
way Karpathy's original script does: per-timestep column vectors of shape (H, 1)
kept in dicts keyed by t, one-hot input vectors multiplied by Wxh with np.dot,
per-timestep outer products for the weight gradients, explicit Python loops.
It is slow on purpose: it is both the reference the engine's numbers are tested
against and the baseline that bench/engine_speed.py times the engine against.
"""
import math

import numpy as np

NAMES = ("Wxh", "Whh", "Why", "bh", "by")
ADAGRAD_EPS = 1e-8


# -- vocabulary -----------------------------------------------------------------------
def build_vocab(text):
    """min-char-rnn: the sorted set of characters and the two lookup tables."""
    chars = sorted(list(set(text)))
    char_to_ix = {ch: i for i, ch in enumerate(chars)}
    ix_to_char = {i: ch for i, ch in enumerate(chars)}
    return chars, char_to_ix, ix_to_char


def random_params(vocab_size, hidden_size, seed=0, scale=0.01, bias_scale=0.0):
    """Gaussian weights times ``scale`` (min-char-rnn uses 0.01) and, optionally,
    nonzero Gaussian biases, from numpy's legacy RandomState (not the engine's rng)."""
    rng = np.random.RandomState(seed)
    H, V = hidden_size, vocab_size
    return {
        "Wxh": rng.randn(H, V) * scale,
        "Whh": rng.randn(H, H) * scale,
        "Why": rng.randn(V, H) * scale,
        "bh": rng.randn(H, 1) * bias_scale,
        "by": rng.randn(V, 1) * bias_scale,
    }


def copy_params(params):
    return {n: np.array(params[n], dtype=np.float64, copy=True) for n in NAMES}


# -- forward --------------------------------------------------------------------------
def reference_forward(inputs, targets, hprev, params, h_offset=None, raw_offset=None):
    """Forward pass only; returns (loss, losses dict, xs, hs, ys, ps).

    ``h_offset`` / ``raw_offset`` = (t, (H,1) array) add a perturbation to h_t after
    the tanh, or to the pre-activation before it: finite differences through these
    give dL/dh_t and dL/dhraw_t without using any backward formula.
    """
    Wxh, Whh, Why, bh, by = (params[n] for n in NAMES)
    V, H = Why.shape[0], Whh.shape[0]
    xs, hs, ys, ps, losses = {}, {}, {}, {}, {}
    hs[-1] = np.array(hprev, dtype=np.float64).reshape(H, 1)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((V, 1))                       # encode in 1-of-k
        xs[t][inputs[t]] = 1
        hraw = np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh
        if raw_offset is not None and raw_offset[0] == t:
            hraw = hraw + raw_offset[1]
        hs[t] = np.tanh(hraw)                          # hidden state
        if h_offset is not None and h_offset[0] == t:
            hs[t] = hs[t] + h_offset[1]
        ys[t] = np.dot(Why, hs[t]) + by                # unnormalised log probabilities
        e = np.exp(ys[t] - np.max(ys[t]))              # subtract the max for stability
        ps[t] = e / np.sum(e)                          # probabilities for next chars
        losses[t] = -np.log(ps[t][targets[t], 0])      # softmax (cross-entropy loss)
        loss += losses[t]
    return loss, losses, xs, hs, ys, ps


# -- forward and backward -------------------------------------------------------------
def reference_lossfun(inputs, targets, hprev, params):
    """min-char-rnn's lossFun, recording every per-timestep quantity.

    Returns a dict: loss, losses, hs, ps, dy, dh, dhraw, dhnext (dicts keyed by t, each
    an (H,1) or (V,1) column), dhprev (H,1), grads (name -> array, before clipping),
    hlast (H,1) = h_{T-1}.
    """
    Wxh, Whh, Why, bh, by = (params[n] for n in NAMES)
    loss, losses, xs, hs, ys, ps = reference_forward(inputs, targets, hprev, params)
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dys, dhs, dhraws, dhnexts = {}, {}, {}, {}
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dhnexts[t] = dhnext                            # gradient arriving from the future
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1                            # backprop into y
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext                # backprop into h
        dhraw = (1 - hs[t] * hs[t]) * dh               # backprop through tanh nonlinearity
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
        dys[t], dhs[t], dhraws[t] = dy, dh, dhraw
    grads = {"Wxh": dWxh, "Whh": dWhh, "Why": dWhy, "bh": dbh, "by": dby}
    return {"loss": loss, "losses": losses, "hs": hs, "ps": ps, "dy": dys, "dh": dhs,
            "dhraw": dhraws, "dhnext": dhnexts, "dhprev": dhnext, "grads": grads,
            "hlast": hs[len(inputs) - 1]}


# -- clipping -------------------------------------------------------------------------
def reference_clip(grads, clip="value", threshold=5.0, inplace=False):
    """Step 5 of the iteration: "value" clips every entry to [-thr, thr]; "norm" scales all
    gradients together when their global L2 norm exceeds thr; "none" leaves them.
    Works on copies unless ``inplace`` (as min-char-rnn does, with ``out=dparam``)."""
    clipped = grads if inplace else {n: np.copy(grads[n]) for n in NAMES}
    if clip == "value":
        for dparam in clipped.values():
            np.clip(dparam, -threshold, threshold, out=dparam)   # as min-char-rnn
    elif clip == "norm":
        total = math.sqrt(sum(float(np.sum(g * g)) for g in clipped.values()))
        if total > threshold:
            for dparam in clipped.values():
                dparam *= threshold / total
    elif clip != "none":
        raise ValueError(clip)
    return clipped


def grad_stats(grads, clipped):
    """Per-parameter and global L2 norms before/after clipping, and the fraction of
    entries that the clip changed (literally: clipped != original)."""
    def norms(gs):
        out = {n: math.sqrt(float(np.sum(gs[n] * gs[n]))) for n in NAMES}
        out["global"] = math.sqrt(sum(float(np.sum(gs[n] * gs[n])) for n in NAMES))
        return out

    changed = {n: int(np.sum(clipped[n] != grads[n])) for n in NAMES}
    sizes = {n: grads[n].size for n in NAMES}
    fraction = {n: changed[n] / sizes[n] for n in NAMES}
    fraction["global"] = sum(changed.values()) / sum(sizes.values())
    return norms(grads), norms(clipped), fraction


def reference_window(inputs, targets, hprev, params, clip="value", threshold=5.0):
    """lossFun plus clipping plus statistics: everything a Trace holds."""
    out = reference_lossfun(inputs, targets, hprev, params)
    out["clipped"] = reference_clip(out["grads"], clip, threshold)
    out["norms_before"], out["norms_after"], out["clip_fraction"] = grad_stats(
        out["grads"], out["clipped"])
    return out


def reference_reach(out, params):
    """||dL_{T-1}/dh_0|| / ||dL_{T-1}/dh_{T-1}||: the last loss's gradient carried back
    alone through the window, one column vector at a time."""
    hs, T = out["hs"], len(out["dy"])
    dh = np.dot(params["Why"].T, out["dy"][T - 1])
    first = np.sqrt(np.sum(dh * dh))
    for s in range(T - 1, 0, -1):
        dh = np.dot(params["Whh"].T, (1 - hs[s] * hs[s]) * dh)
    return float(np.sqrt(np.sum(dh * dh)) / first)


# -- training loop --------------------------------------------------------------------
class ReferenceTrainer:
    """min-char-rnn's main loop, steps 1-8 of the iteration, on copies of ``params``.

    ``stats=True`` also records the norms / clip fraction / dhprev norm of every
    iteration (for comparing with the engine's history); with ``stats=False`` it does
    exactly and only what the original script does per iteration (minus sampling).
    """

    def __init__(self, text, params, seq_length=25, learning_rate=0.1, clip="value",
                 threshold=5.0, optimizer="adagrad", stats=False):
        self.data = text
        self.chars, self.char_to_ix, self.ix_to_char = build_vocab(text)
        self.vocab_size = len(self.chars)
        self.params = copy_params(params)
        self.hidden_size = self.params["Whh"].shape[0]
        self.mem = {n: np.zeros_like(self.params[n]) for n in NAMES}
        self.seq_length, self.learning_rate = seq_length, learning_rate
        self.clip, self.threshold, self.optimizer = clip, threshold, optimizer
        self.stats = stats
        self.n, self.p = 0, 0
        self.hprev = np.zeros((self.hidden_size, 1))
        self.smooth_loss = -np.log(1.0 / self.vocab_size) * seq_length  # loss at iteration 0
        self.records = []

    def step(self):
        data, seq_length = self.data, self.seq_length
        # 1. reset the data pointer and the memory at the start and on wrap-around
        if self.p + seq_length + 1 >= len(data) or self.n == 0:
            self.hprev = np.zeros((self.hidden_size, 1))
            self.p = 0
        p = self.p
        # 2. the window
        inputs = [self.char_to_ix[ch] for ch in data[p:p + seq_length]]
        targets = [self.char_to_ix[ch] for ch in data[p + 1:p + seq_length + 1]]
        # 3-4. forward and backward
        out = reference_lossfun(inputs, targets, self.hprev, self.params)
        loss, grads = out["loss"], out["grads"]
        # 5. clip (in place, like min-char-rnn, unless the statistics need the originals)
        clipped = reference_clip(grads, self.clip, self.threshold, inplace=not self.stats)
        # 6. smooth loss
        self.smooth_loss = self.smooth_loss * 0.999 + loss * 0.001
        record = {"iteration": self.n, "position": p, "loss": loss,
                  "smooth_loss": self.smooth_loss}
        if self.stats:
            nb, na, frac = grad_stats(grads, clipped)
            record.update({f"grad_norm_{k}": v for k, v in nb.items()})
            record.update({f"clipped_norm_{k}": v for k, v in na.items()})
            record["clip_fraction"] = frac["global"]
            record["dhprev_norm"] = float(np.sqrt(np.sum(out["dhprev"] ** 2)))
            dh0, dhl = out["dh"][0], out["dh"][seq_length - 1]
            record["dh_ratio"] = float(np.sqrt(np.sum(dh0 ** 2)) / np.sqrt(np.sum(dhl ** 2)))
            record["hprev"] = self.hprev.copy()
            hs = [out["hs"][t] for t in range(seq_length)]
            record["saturation"] = sum(int(np.sum(np.abs(h) > 0.99)) for h in hs) / (
                seq_length * self.hidden_size)
            n = self.n   # Whh that made this window, at iterations 0, 1, 2, 4, ... and every 250
            if n & (n - 1) == 0 or n % 250 == 0:
                record["reach"] = reference_reach(out, self.params)
                Whh = self.params["Whh"]
                record["sigma_max"] = float(np.linalg.svd(Whh, compute_uv=False)[0])
                record["spectral_radius"] = float(np.max(np.abs(np.linalg.eigvals(Whh))))
        self.records.append(record)
        # 7. parameter update
        for name in NAMES:
            param, dparam, mem = self.params[name], clipped[name], self.mem[name]
            if self.optimizer == "adagrad":
                mem += dparam * dparam
                param += -self.learning_rate * dparam / np.sqrt(mem + ADAGRAD_EPS)
            elif self.optimizer == "sgd":
                param += -self.learning_rate * dparam
            else:
                raise ValueError(self.optimizer)
        # 8. move the data pointer, carry the hidden state
        self.hprev = out["hlast"]
        self.p += seq_length
        self.n += 1
        return record

    def run(self, n):
        for _ in range(n):
            self.step()
        return self


def reference_run(text, params, n, seq_length=25, lr=0.1, clip="value", threshold=5.0,
                  optimizer="adagrad", stats=False):
    """Train ``n`` iterations; returns dict with per-iteration arrays ``losses``,
    ``smooth_losses``, ``positions``, the ``records`` and the final ``params``,
    ``mem``, ``hprev``."""
    tr = ReferenceTrainer(text, params, seq_length, lr, clip, threshold, optimizer,
                          stats=stats).run(n)
    return {"losses": np.array([r["loss"] for r in tr.records]),
            "smooth_losses": np.array([r["smooth_loss"] for r in tr.records]),
            "positions": np.array([r["position"] for r in tr.records]),
            "records": tr.records, "params": tr.params, "mem": tr.mem, "hprev": tr.hprev,
            "trainer": tr}
