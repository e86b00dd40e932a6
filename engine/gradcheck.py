"""Central finite differences against the analytic gradients of bptt()."""
import numpy as np
import pandas as pd

from .bptt import bptt, forward
from .params import NAMES, cell_of
from .threads import single_threaded

DEFAULT_EPS = 1e-5      # finite-difference step: float64 truncation vs round-off balance


def window_loss(params, inputs, targets, hprev, cell="rnn", cprev=None):
    """The summed loss of one window, by the forward pass alone."""
    if cell != "rnn":
        from .cells.window import forward_loss
        H = params["Whh"].shape[1]
        cprev = np.zeros(H) if cprev is None else np.asarray(cprev, float).reshape(-1)
        return forward_loss(params, np.asarray(inputs), np.asarray(targets),
                            np.asarray(hprev, float).reshape(-1),
                            cprev if cell == "lstm" else None, cell)
    _, _, ys, total = forward(params, np.asarray(inputs), np.asarray(hprev).reshape(-1))
    return float(np.sum(np.log(total) - ys[np.arange(len(targets)), targets]))


@single_threaded
def gradient_check(params, inputs, targets, hprev, checks_per_param=10, eps=DEFAULT_EPS,
                   seed=0, cell=None, cprev=None):
    """Compare analytic gradients (before clipping) with (L(w+eps) - L(w-eps)) / 2eps
    on ``checks_per_param`` random entries of each parameter.

    ``cell``: None reads it from Whh's shape; ``cprev``: the LSTM's c_{-1} (zeros if
    None)."""
    params = {n: np.array(params[n], dtype=np.float64) for n in NAMES}
    inputs, targets = np.asarray(inputs, dtype=np.intp), np.asarray(targets, dtype=np.intp)
    cell = cell_of(params) if cell is None else cell
    trace = bptt(params, inputs, targets, hprev, clip="none", cell=cell, cprev=cprev)
    rng = np.random.default_rng(seed)
    rows = []
    for name in NAMES:
        p = params[name]
        flat = p.reshape(-1)     # a view: perturbing it perturbs the parameter
        for i in rng.integers(0, flat.size, size=checks_per_param):
            old = flat[i]
            flat[i] = old + eps
            plus = window_loss(params, inputs, targets, hprev, cell, cprev)
            flat[i] = old - eps
            minus = window_loss(params, inputs, targets, hprev, cell, cprev)
            flat[i] = old
            numeric = (plus - minus) / (2 * eps)
            analytic = float(trace.grads[name].reshape(-1)[i])
            scale = max(abs(analytic), abs(numeric))
            rel = abs(analytic - numeric) / scale if scale > 0 else 0.0
            rows.append({"param": name, "index": np.unravel_index(i, p.shape),
                         "analytic": analytic, "numeric": numeric, "rel_error": rel})
    return pd.DataFrame(rows)
