"""Why gradients vanish or explode: quantities computed from a Trace and the weights.

dL_t/dh_s = (dh_t/dh_s)^T Why^T dy_t, and dh_t/dh_s is the product over k = s+1..t of
diag(1 - h_k^2) Whh. Both matrices below are that product, seen two ways.
"""
import numpy as np
import pandas as pd

from .adagrad import ADAGRAD_EPS
from .threads import single_threaded

SATURATED = 0.99    # |h| above this: tanh' = 1 - h^2 < 0.02, the unit passes almost nothing


@single_threaded
def loss_to_state(trace, params):
    """(T, T) ``G[t, s] = ||dL_t / dh_s||`` for s <= t, NaN above the diagonal."""
    Whh, Why = params["Whh"], params["Why"]
    T = trace.T
    tanh_grad = trace.tanh_grad
    G = np.full((T, T), np.nan)
    # Row t of A holds dL_t/dh_{t-k}; every step back multiplies by diag(1-h^2) then Whh^T.
    A = trace.dy @ Why
    G[np.arange(T), np.arange(T)] = np.linalg.norm(A, axis=1)
    for k in range(1, T):
        # rows t = k..T-1 move from h_{t-k+1} to h_{t-k}
        A = (A[1:] * tanh_grad[1: T - k + 1]) @ Whh
        G[np.arange(k, T), np.arange(0, T - k)] = np.linalg.norm(A, axis=1)
    return G


@single_threaded
def jacobian_norms(trace, params):
    """(T, T) ``J[t, s] = ||dh_t / dh_s||_2`` (spectral norm), 1 on the diagonal."""
    Whh = params["Whh"]
    T = trace.T
    J = np.full((T, T), np.nan)
    J[np.arange(T), np.arange(T)] = 1.0
    if T == 1:
        return J
    M = trace.tanh_grad[:, :, None] * Whh[None, :, :]     # M_t = diag(1 - h_t^2) Whh
    P = M[1:]                                               # lag 1: dh_t/dh_{t-1} = M_t
    for k in range(1, T):
        if k > 1:
            P = M[k:] @ P[:-1]                  # dh_t/dh_{t-k} = M_t dh_{t-1}/dh_{t-k}
        # one lag at a time: memory stays O(T H^2), not O(T^2 H^2)
        J[np.arange(k, T), np.arange(0, T - k)] = np.linalg.svd(P, compute_uv=False)[:, 0]
    return J


@single_threaded
def reach(trace, params):
    """``||dL_{T-1}/dh_0|| / ||dL_{T-1}/dh_{T-1}||``: how much of the last loss's
    gradient survives the trip back to the start of the window. T-1 matvecs."""
    Whh, Why = params["Whh"], params["Why"]
    g = trace.dy[-1] @ Why
    first = np.linalg.norm(g)
    tanh_grad = trace.tanh_grad
    for s in range(trace.T - 1, 0, -1):
        g = (g * tanh_grad[s]) @ Whh
    return float(np.linalg.norm(g) / first) if first > 0 else float("nan")


def reach_by_lag(G):
    """Median over t of ``G[t, t-k] / G[t, t]`` for k = 0..T-1: gradient k steps back,
    relative to where it entered."""
    T = G.shape[0]
    diag = np.diag(G)
    out = np.empty(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(T):
            out[k] = np.nanmedian(np.diag(G, -k) / diag[k:]) if T - k else np.nan
    return out


@single_threaded
def whh_spectrum(params):
    """Eigenvalues and singular values of Whh. sigma_max < 1 is sufficient for
    long-term gradients to vanish, sigma_max > 1 necessary for them to explode
    (Pascanu, Mikolov & Bengio 2013, for tanh)."""
    Whh = params["Whh"]
    eig = np.linalg.eigvals(Whh)
    sv = np.linalg.svd(Whh, compute_uv=False)
    return {"eigenvalues": eig, "singular_values": sv,
            "spectral_radius": float(np.max(np.abs(eig))), "sigma_max": float(sv[0])}


def saturation(trace, level=SATURATED):
    """(T,) fraction of hidden units with |h_t| > level (where tanh' ~ 0)."""
    return np.count_nonzero(np.abs(trace.hs) > level, axis=1) / trace.hs.shape[1]


def effective_learning_rate(mem, learning_rate):
    """Adagrad's per-entry step size ``lr / sqrt(mem + eps)``, summarised per parameter."""
    rows = []
    for name, m in mem.items():
        lr_eff = learning_rate / np.sqrt(m.ravel() + ADAGRAD_EPS)
        rows.append({"param": name, "min": lr_eff.min(), "median": np.median(lr_eff),
                     "mean": lr_eff.mean(), "max": lr_eff.max()})
    return pd.DataFrame(rows)
