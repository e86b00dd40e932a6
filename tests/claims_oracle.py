"""Independent measurements of every quantity a lesson claim is decided by.

Imports nothing from ``engine``: each number is recomputed from the trainer's raw state
(the window's characters, the weights that produced it, the history's recorded
columns) with tests/reference.py and tests/reference_gated.py, column vector by column
vector. The gradient of one loss is carried back explicitly (vanilla RNN: the product of
diag(1 - h^2) Whh^T, the only way to reach 1e-100 without cancellation) or, for gated
cells, as the difference of two reference backward passes: the window cut after L_t
minus the window cut before it leaves exactly dL_t/dh_s.
"""
import math

import numpy as np
import reference as ref
import reference_gated as refg

NAMES = ref.NAMES
RECENT = 10
SATURATED = 0.99


def _params(p):
    return {n: np.array(p[n], dtype=np.float64, copy=True) for n in NAMES}


def _window(tr):
    """The reference's forward and backward of the trainer's current window."""
    trace, c = tr.trace, tr.config
    P = _params(trace.params)
    inputs, targets = [int(i) for i in trace.inputs], [int(i) for i in trace.targets]
    hprev = np.array(trace.hprev, dtype=np.float64).reshape(-1, 1)
    if c.cell == "rnn":
        out = ref.reference_window(inputs, targets, hprev, P, c.clip, c.threshold)
    else:
        cprev = None if trace.cprev is None else np.array(trace.cprev).reshape(-1, 1)
        out = refg.window(c.cell, inputs, targets, hprev, cprev, P, c.clip, c.threshold)
    return out, P, inputs, targets, hprev


def _norm(v):
    return math.sqrt(float(np.sum(v * v)))


def _loss_row(tr, t):
    """{s: ||dL_t/dh_s||} for s = 0..t."""
    out, P, inputs, targets, hprev = _window(tr)
    if tr.config.cell == "rnn":
        g = np.dot(P["Why"].T, out["dy"][t])
        row = {t: _norm(g)}
        for s in range(t, 0, -1):
            g = np.dot(P["Whh"].T, (1 - out["hs"][s] ** 2) * g)
            row[s - 1] = _norm(g)
        return row
    cell, trace = tr.config.cell, tr.trace
    cprev = None if trace.cprev is None else np.array(trace.cprev).reshape(-1, 1)
    upto = refg.lossfun(cell, inputs[: t + 1], targets[: t + 1], hprev, cprev, P)
    before = refg.lossfun(cell, inputs[:t], targets[:t], hprev, cprev, P) if t else None
    row = {}
    for s in range(t + 1):
        d = upto["dh"][s] - (before["dh"][s] if before is not None and s < t else 0.0)
        row[s] = _norm(d)
    return row


def _lag(tr, k):
    ratios = []
    for t in range(k, tr.trace.T):
        row = _loss_row(tr, t)
        ratios.append(row[t - k] / row[t])
    return float(np.median(ratios))


def first_values(tr, initial_params):
    """(loss, norm before, norm after, reach) of iteration 0, recomputed from the
    weights the run started from (rnn)."""
    c, T = tr.config, tr.config.seq_length
    data = [int(i) for i in tr.data]
    P = _params(initial_params)
    out = ref.reference_window(data[:T], data[1:T + 1], np.zeros((c.hidden_size, 1)), P,
                               c.clip, c.threshold)
    return (out["loss"], out["norms_before"]["global"], out["norms_after"]["global"],
            ref.reference_reach(out, P))


def _history(tr, column):
    return np.asarray(tr.history[column], dtype=np.float64)


def _recent(tr, column):
    return float(np.mean(_history(tr, column)[-RECENT:]))


def _uniform(tr):
    return math.log(len(set(tr.text))) * tr.config.seq_length


def _sigma(P):
    Whh = P["Whh"]
    H = Whh.shape[1]
    block = Whh if Whh.shape[0] == H else Whh[2 * H: 3 * H]
    return float(np.linalg.svd(block, compute_uv=False)[0])


def measure(quantity, tr, initial_params=None):
    """The independent value of ``quantity`` on trainer ``tr``."""
    T = tr.trace.T
    if quantity == "sigma_max":
        return _sigma(tr.trace.params)
    if quantity == "sigma_max_now":
        return _sigma(tr.params)
    if quantity in ("first_loss_vs_uniform", "first_grad_norm", "first_clipped_norm",
                    "first_reach"):
        loss, before, after, reach = first_values(tr, initial_params)
        return {"first_loss_vs_uniform": loss / _uniform(tr), "first_grad_norm": before,
                "first_clipped_norm": after, "first_reach": reach}[quantity]
    if quantity == "recent_grad_norm":
        return _recent(tr, "grad_norm_global")
    if quantity == "recent_clip_fraction":
        return _recent(tr, "clip_fraction")
    if quantity == "recent_loss_vs_uniform":
        return _recent(tr, "loss") / _uniform(tr)
    if quantity == "peak_loss_vs_uniform":
        return float(_history(tr, "loss").max()) / _uniform(tr)
    if quantity == "smooth_vs_uniform":
        return tr.smooth_loss / _uniform(tr)
    if quantity == "reach":
        row = _loss_row(tr, T - 1)
        return row[0] / row[T - 1]
    if quantity == "gap22":
        row = _loss_row(tr, 22)
        return row[0] / row[22]
    if quantity == "lag5":
        return _lag(tr, 5)
    if quantity == "lag22":
        return _lag(tr, 22)
    out, P, inputs, targets, _ = _window(tr)
    if quantity == "grad_norm":
        return out["norms_before"]["global"]
    if quantity == "clipped_norm":
        return out["norms_after"]["global"]
    if quantity == "clip_scale":
        return out["norms_after"]["global"] / out["norms_before"]["global"]
    if quantity == "saturation":
        return float(np.mean([np.mean(np.abs(out["hs"][t]) > SATURATED) for t in range(T)]))
    if quantity == "dhnext_last":
        return _norm(out["dhnext"][T - 1])
    if quantity == "dhnext_before_last":
        return _norm(out["dhnext"][max(T - 2, 0)])
    if quantity == "dhnext_kept":
        return _norm(out["dhnext"][0]) / _norm(out["dhnext"][max(T - 2, 0)])
    if quantity == "dhnext_vs_output":
        return float(np.median([_norm(out["dhnext"][t]) / _norm(np.dot(P["Why"].T,
                                                                        out["dy"][t]))
                                for t in range(T - 1)]))
    if quantity == "dh_split_error":
        return max(float(np.max(np.abs(out["dh"][t] - (np.dot(P["Why"].T, out["dy"][t])
                                                         + out["dhnext"][t]))))
                   for t in range(T))
    if quantity == "tanh_prime_outside":
        g = [1 - out["hs"][t] ** 2 for t in range(T)]
        return float(sum(int(np.sum((x < 0) | (x > 1))) for x in g))
    if quantity == "min_tanh_prime":
        return float(min(np.min(1 - out["hs"][t] ** 2) for t in range(T)))
    if quantity == "clip_fraction":
        changed = sum(int(np.sum(out["grads"][n] != out["clipped"][n])) for n in NAMES)
        return changed / sum(out["grads"][n].size for n in NAMES)
    if quantity == "dhprev_norm":
        return _norm(out["dhprev"])
    if quantity == "loss22":
        return float(out["losses"][22])
    if quantity == "dots_loss":
        chars = sorted(set(tr.text))
        dot = chars.index(".")
        return float(np.median([out["losses"][t] for t in range(T) if targets[t] == dot]))
    raise KeyError(f"no oracle for {quantity!r}")


def passes(op, value, bound):
    """The check, written again: ``value op bound`` (bound already a number)."""
    if not (math.isfinite(value) and math.isfinite(bound)):
        return False
    return {"<": value < bound, ">": value > bound, "=": value == bound,
            "≈": abs(value - bound) <= 0.01 * abs(bound)}[op]
