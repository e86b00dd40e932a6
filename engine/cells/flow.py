"""Gradient flow for any cell, one batched back_step at a time.

For a gated cell dL_t/dh_s has no single matrix product to multiply out: between s and t
the gradient travels through h and (for the LSTM) through c, and the gates of each step
mix the two. Walking back with ``back_step`` follows every path at once.
"""
import numpy as np

from . import back_factors, back_step, walk_losses, zero_state


def loss_to_state(trace, params):
    """(T, T) ``G[t, s] = ||dL_t / dh_s||`` for s <= t, NaN above the diagonal.

    Row t follows the loss L_t alone, through every path. h_s is perturbed with the rest
    of the state after step s (the LSTM's c_s) held fixed: walk_losses, one back_step
    per timestep, batched over the losses."""
    G = np.full((trace.T, trace.T), np.nan)
    for s, dstate, _, _ in walk_losses(trace, params):
        G[s:, s] = np.linalg.norm(dstate[0], axis=1)
    return G


def reach(trace, params):
    """``||dL_{T-1}/dh_0|| / ||dL_{T-1}/dh_{T-1}||``, for any cell."""
    dstate = zero_state(trace)
    dstate[0][...] = trace.dy[-1] @ params["Why"]
    first = np.linalg.norm(dstate[0])
    factors = back_factors(trace)
    for s in range(trace.T - 1, 0, -1):
        dstate = back_step(trace, params, s, dstate, factors)[0]
    return float(np.linalg.norm(dstate[0]) / first) if first > 0 else float("nan")
