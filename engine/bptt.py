"""One truncated-BPTT window for any cell: the cell's forward recurrence, the shared
output layer and loss, the cell's backward recurrence, the weight gradients and
clipping, all recorded in a Trace (engine/trace.py).

    h_t      = cell(x_t, h_{t-1})                  engine/cells/{rnn,lstm,gru}.py
    p_t      = softmax(Why h_t + by)               output(), here, for every cell
    L        = sum_t -log p_t[target_t]
    dy_t     = p_t - onehot(target_t)
    dh_t     = Why^T dy_t + dhnext_t               the cell's backward
    dWhh     = sum_t dh_pre_t^T h_{t-1}   dWxh = sum_t dhraw_t^T onehot(x_t)

Row layout: ``hs[t]`` is h_t as a row, so every product that does not depend on the
previous step (the output layer, dy, dh_out, the weight gradients) is one matmul over
the window and only the cells' recurrences loop over t (bench/engine_speed.py compares
this with min-char-rnn's per-timestep loop).
"""
import numpy as np

from . import cells
from .clip import check_clip, clip_checked, norms
from .cost import check_cost, estimate_cost
from .params import NAMES, check_real, shapes
from .params import layout as layout_for
from .threads import single_threaded
from .trace import Trace
from .vocab import check_ids

__all__ = ["Trace", "bptt", "loss_of_window", "output", "trace_params", "window",
           "window_loss"]


def output(hs, params):
    """ps (T, V), the max-shifted logits ys and the softmax denominators."""
    ys = hs @ params["Why"].T
    ys += params["by"].reshape(-1)
    ys -= ys.max(axis=1, keepdims=True)     # exp never overflows
    ps = np.exp(ys)
    total = ps.sum(axis=1)
    ps /= total[:, None]
    return ps, ys, total


def _losses(ys, total, targets):
    """-log p_t[target_t] in log-softmax form: finite even when p underflows to 0."""
    losses = np.log(total)
    losses -= ys[np.arange(len(targets)), targets]
    return losses


@single_threaded
def bptt(params, inputs, targets, hprev, clip="value", threshold=5.0, cell=None,
         cprev=None):
    """Forward and backward over one window; returns the full Trace.

    ``cell``: "rnn", "lstm" or "gru" (engine/cells); None reads it from Whh's shape.
    ``cprev``: the LSTM's c_{-1}, (H,) or (H, 1); None means zeros."""
    threshold = check_clip(clip, threshold)     # before any work: a bad value costs nothing
    params = checked_params(params)
    cell = _check_cell(params, cell)
    inputs, targets, state = _window(params, inputs, targets, hprev, cprev, cell)
    _afford(params, inputs, cell)
    return window(params, inputs, targets, state, clip, threshold, cell)


def window(params, inputs, targets, state, clip, threshold, cell):
    """bptt() on arguments already checked: intp ``inputs`` and ``targets`` of one
    length, ``state`` the cell's tuple of (H,) float64 arrays, a valid clip and a float
    threshold. The Trainer calls it directly: its Config and data were checked once,
    and checking them again on every step cost about 10% of it."""
    module = cells.MODULES[cell]
    Why = params["Why"]
    T, (V, H) = len(inputs), Why.shape

    fwd = module.forward(params, inputs, state)
    hs = fwd["hs"]
    ps, ys, total = output(hs, params)
    losses = _losses(ys, total, targets)

    layout = layout_for(V, H, cell)
    flat = np.empty(layout.size)
    g = layout.views(flat)
    rows = np.arange(T)
    dy = ps.copy()
    dy[rows, targets] -= 1.0                # dy_t = p_t - onehot(target_t)
    np.dot(dy.T, hs, out=g["Why"])
    ones = np.ones(T)
    np.dot(ones, dy, out=g["by"][:, 0])     # sums over t, as one small matvec
    dh_out = dy @ Why                       # row t: Why^T dy_t
    back = module.backward(params, fwd, state, dh_out)
    hs_before = np.empty((T, H))
    hs_before[0] = state[0]
    hs_before[1:] = hs[:-1]
    np.dot(back["dh_pre"].T, hs_before, out=g["Whh"])
    onehot = np.zeros((T, V))
    onehot[rows, inputs] = 1.0              # one small matmul beats a scatter-add
    np.dot(back["dhraw"].T, onehot, out=g["Wxh"])
    np.dot(ones, back["dhraw"], out=g["bh"][:, 0])

    before = norms(flat, layout)
    flat_clipped, fractions, after = clip_checked(flat, layout, clip, threshold, before)
    return Trace(
        inputs=inputs, targets=targets, hprev=state[0], hs=hs, ps=ps, losses=losses,
        loss=float(losses.sum()), dy=dy, dh=back["dh"], dhraw=back["dhraw"],
        dhnext=back["dhnext"], dhprev=back["dhprev"], grads=g,
        clipped=layout.views(flat_clipped), norms_before=before, norms_after=after,
        clip_fraction=fractions, clip=clip, threshold=float(threshold), params=params,
        dh_from_output=dh_out, flat_grads=flat, flat_clipped=flat_clipped, cell=cell,
        dh_pre=back["dh_pre"], **module.record(fwd, back, state))


def window_loss(params, inputs, targets, hprev, cell=None, cprev=None):
    """The summed loss of one window by the forward pass alone (gradient checks)."""
    params = checked_params(params)
    cell = _check_cell(params, cell)
    inputs, targets, state = _window(params, inputs, targets, hprev, cprev, cell)
    _afford(params, inputs, cell)
    return loss_of_window(params, inputs, targets, state, cell)


def loss_of_window(params, inputs, targets, state, cell):
    """window_loss() on arguments already checked, as window() is bptt() (a gradient
    check evaluates it twice per entry, on a window checked once)."""
    hs = cells.MODULES[cell].forward(params, inputs, state)["hs"]
    _, ys, total = output(hs, params)
    return float(np.sum(_losses(ys, total, targets)))


def _afford(params, inputs, cell):
    """ValueError, as the Trainer refuses a model, before a window it could not train on
    is allocated (a window of 200,000 characters at H 512 took 14 s, then ran out of
    memory)."""
    V, H, T = params["Why"].shape[0], params["Whh"].shape[1], len(inputs)
    check_cost(estimate_cost(V, H, T, cell), V, H, T, cell)


def checked_params(params):
    """``params`` once its five arrays are there, real, and shaped for one cell, one
    hidden size and one vocabulary (ValueError saying which is not). Itself when the
    five are float64 arrays of their shapes (nothing copied), else a copy of the dict
    with them made so (lists, other real dtypes, a flat bias)."""
    missing = [name for name in NAMES if name not in params]
    if missing:
        raise ValueError(f"params is missing {', '.join(map(repr, missing))}; a model has "
                         f"{', '.join(NAMES)}.")
    try:
        Whh, Why = np.asarray(params["Whh"]), np.asarray(params["Why"])
    except (ValueError, TypeError) as err:      # ragged nested lists, say
        raise ValueError(f"Whh and Why must be matrices of numbers ({err}).") from None
    if Whh.ndim != 2 or Why.ndim != 2:
        raise ValueError(f"Whh and Why must be matrices; got shapes {Whh.shape} and "
                         f"{Why.shape}.")
    cell = cells.cell_of({"Whh": Whh})
    # every shape, or why not; float64 throughout: float32 or integer weights mixed
    # into float64 products gave a window that was neither one precision nor the other
    arrays = layout_for(Why.shape[0], Whh.shape[1], cell).check(params)
    if all(arrays[name] is params[name] for name in NAMES):
        return params
    return {**params, **arrays}


def trace_params(trace, params, names=("Whh", "Why")):
    """``params`` as the weights of ``trace``'s model, for an analysis that reads the
    arrays ``names``: each present, real and shaped for the trace's cell, hidden size and
    (when the trace has outputs) vocabulary; ValueError saying which is not. Returns
    ``params``, or a copy of the dict with those arrays made float64.

    The analyses of a trace take its weights separately (``trace.params``, or the
    current ones); other weights made numpy's broadcasting errors, or silently a result
    of another model."""
    if not hasattr(params, "keys"):
        raise ValueError(f"params must be a dict of the model's arrays ({', '.join(NAMES)}); "
                         f"got {type(params).__name__}.")
    missing = [name for name in names if name not in params]
    if missing:
        raise ValueError(f"params is missing {', '.join(map(repr, missing))}, which this "
                         "analysis reads. Pass trace.params, the weights that produced "
                         "the trace.")
    H, V = trace.hs.shape[1], trace.ps.shape[1]     # V is 0 for a recorded layer
    want = shapes(V, H, trace.cell)
    arrays = {name: check_real(name, params[name]) for name in names}
    for name, arr in arrays.items():
        shape = want[name]
        if arr.shape != shape and not (V == 0 and name == "Why" and arr.ndim == 2
                                        and arr.shape[1] == H):
            raise ValueError(
                f"{name} has shape {arr.shape}, but this trace is from "
                f"{cells.ARTICLE[trace.cell]} with hidden size {H}"
                + (f" and {V} characters" if V else "") + f", whose {name} is "
                f"{shape if V or name != 'Why' else ('V', H)}. Pass trace.params, the "
                "weights that produced the trace.")
    if all(arrays[name] is params[name] for name in names):
        return params
    return {**params, **arrays}


def _check_cell(params, cell):
    """The cell to run: ``cell``, which must match the parameters' shapes, or theirs."""
    found = cells.cell_of(params)
    if cell is not None and cells.check_cell(cell) != found:
        raise ValueError(f"cell={cell!r} but the parameters are those of "
                         f"{cells.ARTICLE[found]} (Whh has shape {params['Whh'].shape}). "
                         f"Pass cell={found!r} or parameters made with "
                         f"init_params(..., cell={cell!r}).")
    return found


def _window(params, inputs, targets, hprev, cprev, cell):
    """(inputs, targets, state) of one window as arrays, checked: equally long,
    non-empty, an hprev of H entries ((H,) or (H, 1)), and a cprev only for the LSTM."""
    H, V = params["Whh"].shape[1], params["Why"].shape[0]
    inputs, targets = check_ids("inputs", inputs, V), check_ids("targets", targets, V)
    T = len(inputs)
    if T == 0 or len(targets) != T:
        raise ValueError(f"inputs and targets must be non-empty and equally long; "
                         f"got {T} and {len(targets)}.")
    hprev = _vector("hprev", hprev, H)
    if "c" not in cells.STATE[cell]:
        if cprev is not None:
            raise ValueError(f"cprev is the LSTM's cell state; {cells.ARTICLE[cell]} has "
                             f"none. Leave cprev=None.")
        return inputs, targets, (hprev,)
    cprev = np.zeros(H) if cprev is None else _vector("cprev", cprev, H)
    return inputs, targets, (hprev, cprev)


def _vector(name, value, H):
    """A state vector (H,) or (H, 1) as a float64 (H,): real, finite. A cast alone
    dropped an imaginary part, flattened a (2, 2) for H = 4 and carried NaN into every
    quantity of the window."""
    value = check_real(name, value, what="states")
    if value.shape not in ((H,), (H, 1)):
        raise ValueError(f"{name} must have {H} entries, as (H,) or (H, 1); got shape "
                         f"{value.shape}.")
    value = value.reshape(-1)
    if not np.isfinite(value).all():
        raise ValueError(f"{name} holds NaN or infinite entries; a state is finite "
                         "(tanh keeps h in [-1, 1]).")
    return value
