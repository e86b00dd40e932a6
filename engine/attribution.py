"""Where the gradient comes from: one window's gradient split by the loss that sends it.

Backpropagation is linear in the losses: the gradient of L = sum_t L_t is the sum of T
backward passes, each from one loss L_t alone. Run together, one row per loss, they are
a batched backward in which, at step s, the rows are the losses t = s..T-1 (row d is
L_{s+d}, a distance d = t - s ahead). From those rows:

- input saliency ``||dL_t/dx_s||``: ``Wxh^T`` times the row of L_t at the input side;
- the Whh gradient by distance: the rows' outer products with h_{s-1}, summed by d;
- what truncation drops: the same backward, batch of one, over windows the trainer
  cut off, recomputed with the current weights.

Every backward here goes through one per-step function with the contract that the cells
share (so gated cells slot in without touching this file's maths):

    back_step(trace, params, t, dstate, factors=None) -> (dstate_prev, dx_pre, dh_pre)

``dstate``: tuple of (B, H) arrays, the gradient w.r.t. the state after step t (``(dh,)``
for the rnn; the output layer reads the first component). Returns the same for the
state after step t-1, ``dx_pre`` (B, kH), the gradient at the input-side pre-activation
of step t (dL/dx_t = dx_pre @ Wxh), and ``dh_pre`` (B, kH), the gradient at Whh h_{t-1}
(dWhh += dh_pre^T h_{t-1}). For the rnn both are dhraw.
"""
import math
from dataclasses import dataclass

import numpy as np

from . import cells
from .bptt import bptt, trace_params
from .cells import shift
from .cost import check_analysis
from .params import check_int
from .threads import single_threaded


def _cell_of(obj, params):
    """The cell a trace or trainer config was made with: its ``cell`` if it has one,
    else read from Whh's (kH, H) shape, so that a gated trace is never taken for rnn."""
    cell = getattr(obj, "cell", None)
    return cells.cell_of(params) if cell is None else cell


def _guard(what, trace, params, names=("Whh", "Why")):
    """``params`` checked as the trace's weights (bptt.trace_params, the arrays
    ``names``); refuse (ValueError, engine.cost.check_analysis) work on this window that
    would take too long or hold too much, before any of it is allocated."""
    params = trace_params(trace, params, names)
    check_analysis(what, trace.T, trace.hs.shape[1], params["Why"].shape[0],
                   _cell_of(trace, params))
    return params


def _single_loss_backward(trace, params):
    """Yield ``(s, dx_pre, dh_pre)`` for s = T-1 down to 0; each array is (T-s, kH) and
    its row d is the gradient from the loss L_{s+d} alone (cells.walk_losses)."""
    for s, _, dx_pre, dh_pre in cells.walk_losses(trace, params):
        yield s, dx_pre, dh_pre


def _states_before(trace):
    """(T, H): row s is h_{s-1} (hprev for s = 0), the state Whh multiplies at step s."""
    return shift.before(trace.hs, trace.hprev, slice(None))


def _dh_pre_by_distance(trace, params):
    """(T, T, kH): ``D[d, s]`` = dh_pre at step s from the loss L_{s+d}; 0 for s+d >= T."""
    T, D = trace.T, None
    for s, _, dh_pre in _single_loss_backward(trace, params):
        if D is None:
            D = np.zeros((T, T, dh_pre.shape[1]))
        D[: T - s, s] = dh_pre
    return D


@single_threaded
def input_saliency(trace, params):
    """(T, T) ``S[t, s] = ||dL_t/dx_s||_2`` for s <= t, NaN above the diagonal.

    x_s is the whole one-hot input vector: dL_t/dx_s = Wxh^T (the gradient at the
    pre-activation of step s that comes from L_t), a V-vector."""
    params = _guard("input_saliency", trace, params, ("Whh", "Why", "Wxh"))
    T, Wxh = trace.T, params["Wxh"]
    S = np.full((T, T), np.nan)
    for s, dx_pre, _ in _single_loss_backward(trace, params):
        S[s:, s] = np.linalg.norm(dx_pre @ Wxh, axis=1)
    return S


@single_threaded
def whh_gradient_by_distance(trace, params):
    """(T, kH, H): slice d is the part of the unclipped Whh gradient that comes from
    losses d steps after the step where it is applied,
    ``sum_s dh_pre_s^(from L_{s+d}) h_{s-1}^T``. The slices sum to trace.grads["Whh"]."""
    params = _guard("whh_gradient_by_distance", trace, params)
    D = _dh_pre_by_distance(trace, params)
    return np.matmul(D.transpose(0, 2, 1), _states_before(trace))


def _grams(trace, params):
    """``(D_d D_d^T for every distance d (T, T, T), P P^T (T, T))`` with D the dh_pre by
    distance and P the states Whh multiplies: all the distance and piece norms need."""
    D, P = _dh_pre_by_distance(trace, params), _states_before(trace)
    return np.matmul(D, D.transpose(0, 2, 1)), P @ P.T


def _distance_norms(trace, params):
    return _distance_norms_of(*_grams(trace, params))


def _distance_norms_of(gram_D, gram_P):
    """(T,) ``||slice_d||_F`` of whh_gradient_by_distance without forming the slices:
    ``||D_d^T P||_F^2 = sum_{s,s'} (D_d D_d^T)[s,s'] (P P^T)[s,s']``, T x T Gram
    matrices instead of T slices of kH x H (4x fewer flops, no 2 MB array at H 100)."""
    squares = np.einsum("dst,st->d", gram_D, gram_P)
    return np.sqrt(np.maximum(squares, 0.0))          # round-off can dip below 0


def _piece_norms_of(gram_D, gram_P):
    """(T, T) ``C[t, s] = ||dh_pre_s^(from L_t)|| ||h_{s-1}||`` for s <= t (NaN above):
    the two norms are the Grams' diagonals, ``(D_d D_d^T)[s, s]`` with d = t - s and
    ``(P P^T)[s, s]``."""
    T = len(gram_P)
    t, s = np.tril_indices(T)
    C = np.full((T, T), np.nan)
    C[t, s] = np.sqrt(gram_D[t - s, s, s] * np.diagonal(gram_P)[s])
    return C


@single_threaded
def whh_distance_norms(trace, params):
    """(T,) ``||slice_d||_F`` of whh_gradient_by_distance, d = 0..T-1, without forming
    the (T, kH, H) slices (T x T Gram matrices instead)."""
    params = _guard("gradient_horizon", trace, params)
    return _distance_norms(trace, params)


def horizon_from_norms(norms):
    """The horizon of distance norms ``norms[d]`` (whh_distance_norms): the mean d
    weighted by them; NaN when they are all zero."""
    norms = np.asarray(norms, dtype=float)
    total = norms.sum()
    if not total > 0:
        return math.nan
    return float(np.arange(len(norms)) @ norms / total)


@single_threaded
def gradient_horizon(trace, params):
    """The gradient's horizon: the mean distance d between a loss and the step where its
    Whh gradient is applied, weighted by the Frobenius norm of each distance's slice,
    ``sum_d d ||slice_d||_F / sum_d ||slice_d||_F``. 0 when all of dWhh comes from the
    loss at the same step; near (T-1)/2 when every distance counts alike; NaN when the
    Whh gradient is zero. Norms, not the signed sum, so slices that cancel still count."""
    params = _guard("gradient_horizon", trace, params)
    return horizon_from_norms(_distance_norms(trace, params))


@single_threaded
def whh_piece_norms(trace, params):
    """(T, T) ``C[t, s] = ||dh_pre_s^(from L_t) h_{s-1}^T||_F`` for s <= t, NaN above the
    diagonal: the size of the rank-one piece of dWhh that loss t applies at step s (a
    bar per step s, stacked by distance t - s)."""
    params = _guard("gradient_horizon", trace, params)
    return _piece_norms_of(*_grams(trace, params))


@single_threaded
def whh_horizon_parts(trace, params):
    """``(whh_distance_norms, whh_piece_norms)`` from one single-loss backward pass
    instead of two (the Gradient flow view draws both)."""
    params = _guard("gradient_horizon", trace, params)
    grams = _grams(trace, params)
    return _distance_norms_of(*grams), _piece_norms_of(*grams)


@dataclass
class BeyondWindow:
    """What truncation drops from the current window's gradient (see beyond_window)."""

    norms: np.ndarray         # (windows_used*T,) ||dL/dh_s|| before the window, oldest first
    window_norms: np.ndarray  # (T,) ||dL/dh_s|| inside the window, same full backward
    share: float              # whh_before / (whh_before + whh_window); NaN if both are 0
    whh_before: float         # ||dWhh applied at steps before the window||_F
    whh_window: float         # ||dWhh applied at steps inside the window||_F
    windows: int              # windows asked for (k)
    windows_used: int         # windows there were: fewer near the start of the text
    start: int                # data position of the first recomputed character
    position: int             # data position of the current window (trainer.trace.position)

    @property
    def offsets(self):
        """(windows_used*T,) each entry of ``norms`` as a step relative to the window's
        first step: -windows_used*T .. -1."""
        return np.arange(-len(self.norms), 0)

    @property
    def complete(self):
        """False when the text had fewer than ``windows`` windows before this one."""
        return self.windows_used == self.windows


@single_threaded
def beyond_window(trainer, windows=4, params=None):
    """The counterfactual of full BPTT for the trainer's current window.

    The current window is the last one trained, ``trainer.trace`` at
    ``trainer.trace.position``. Recompute the forward pass over the ``windows`` windows
    before it and the window itself, from a zero state, with ``params`` (default: the
    trainer's current weights, ``trainer.params``; pass ``trainer.trace.params`` for the
    weights that produced the trace); backpropagate the window's loss alone through all
    of it. Near the start of the text there are fewer windows (none at position 0,
    where training also starts from a zero state): ``windows_used`` says how many.
    Changes no state of the trainer."""
    if not all(hasattr(trainer, name) for name in ("trace", "data", "config")):
        raise ValueError(f"beyond_window takes a Trainer, whose text holds the windows "
                         f"before its trace's; got {type(trainer).__name__}.")
    trace = trainer.trace
    if trace is None:
        raise ValueError("beyond_window needs a trained window and trainer.trace is None: "
                         "call trainer.step() first.")
    check_int("windows", windows, 0, 10**4)
    # the trainer's model: its five arrays, real and shaped for its cell and sizes
    params = trainer.layout.check(trainer.params if params is None else params)
    cell = _cell_of(trainer.config, params)
    back_step, n_state = cells.back_step, len(cells.STATE[cell])
    T, p = trace.T, trace.position
    used = min(windows, p // T)
    H = params["Whh"].shape[1]
    check_analysis("beyond_window", T, H, params["Why"].shape[0], cell, steps=(used + 1) * T)
    start, first = p - used * T, used * T      # first: index of the window's first step
    inputs = trainer.data[start: p + T]
    targets = trainer.data[start + 1: p + T + 1]
    long = bptt(params, inputs, targets, np.zeros(H), clip="none", cell=cell)
    N = len(inputs)
    dh_out = long.dy[first:] @ params["Why"]          # only the window's losses
    dstate = tuple(np.zeros((1, H)) for _ in range(n_state))
    dh_norms, dh_pre_rows = np.empty(N), None
    factors = cells.back_factors(long)
    for s in range(N - 1, -1, -1):
        if s >= first:
            dstate = (dstate[0] + dh_out[s - first],) + dstate[1:]
        dh_norms[s] = np.linalg.norm(dstate[0])
        dstate, _, dh_pre = back_step(long, params, s, dstate, factors)
        if dh_pre_rows is None:
            dh_pre_rows = np.empty((N, dh_pre.shape[1]))
        dh_pre_rows[s] = dh_pre[0]
    P = _states_before(long)
    whh_before = float(np.linalg.norm(dh_pre_rows[:first].T @ P[:first]))
    whh_window = float(np.linalg.norm(dh_pre_rows[first:].T @ P[first:]))
    total = whh_before + whh_window
    return BeyondWindow(
        norms=dh_norms[:first], window_norms=dh_norms[first:],
        share=whh_before / total if total > 0 else math.nan,
        whh_before=whh_before, whh_window=whh_window, windows=windows,
        windows_used=used, start=start, position=p)
