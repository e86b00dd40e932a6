"""Why gradients vanish or explode: quantities computed from a Trace and the weights.

dL_t/dh_s = (dh_t/dh_s)^T Why^T dy_t, and dh_t/dh_s is the product over k = s+1..t of
diag(1 - h_k^2) Whh. Both matrices below are that product, seen two ways.

For gated cells (trace.cell "lstm" or "gru") loss_to_state and reach walk back with
engine.cells.back_step instead (engine/cells/flow.py); jacobian_norms is vanilla-only.
"""
import numpy as np
import pandas as pd

from .adagrad import ADAGRAD_EPS
from .bptt import trace_params
from .cells import ARTICLE as A_CELL
from .cells import GATES, SIGMOID_GATES, cell_of, flow
from .cost import check_analysis
from .params import check_real
from .threads import single_threaded

SATURATED = 0.99    # |h| above this: tanh' = 1 - h^2 < 0.02, the unit passes almost nothing


@single_threaded
def loss_to_state(trace, params):
    """(T, T) ``G[t, s] = ||dL_t / dh_s||`` for s <= t, NaN above the diagonal.

    For an LSTM, h_s is varied with c_s held fixed; every path from h_s to L_t counts."""
    params = _guard("loss_to_state", trace, params)
    if trace.cell != "rnn":
        return flow.loss_to_state(trace, params)
    Whh, Why = params["Whh"], params["Why"]
    T = trace.T
    tanh_grad = trace.tanh_grad
    G = np.full((T, T), np.nan)
    # The vanilla cell's walk by lag: the same products as cells.walk_losses (which the
    # gated cells take), without its per-step tuples and concatenations: 1.5 against
    # 2.1 ms at T 25, H 100 (measured; equal to 5e-16 relative).
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
    """(T, T) ``J[t, s] = ||dh_t / dh_s||_2`` (spectral norm), 1 on the diagonal.

    Vanilla cell only: a gated cell's state is not h alone (the LSTM's c), and its
    dh_t/dh_s would hide the path through c that makes it remember."""
    if trace.cell != "rnn":
        path = "gates and the cell state c" if trace.cell == "lstm" else "gates"
        raise ValueError(f"jacobian_norms is defined for the vanilla cell (cell='rnn'); "
                         f"this trace is from {A_CELL[trace.cell]}, whose gradient also "
                         f"travels through {path}. Use loss_to_state, which follows every "
                         f"path.")
    params = _guard("jacobian_norms", trace, params)
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
        J[np.arange(k, T), np.arange(0, T - k)] = spectral_norms(P)
    return J


def _guard(what, trace, params):
    """``params`` checked as the trace's weights (bptt.trace_params); refuse work that
    would take too long or hold too much (engine.cost)."""
    params = trace_params(trace, params)
    check_analysis(what, trace.T, trace.hs.shape[1], params["Why"].shape[0], trace.cell)
    return params


def spectral_norms(P):
    """Largest singular value of each matrix in the stack ``P`` (n, H, H), as
    ``np.linalg.norm(P[i], 2)`` gives it, in about half the time: the square root of the
    largest eigenvalue of the symmetric Q^T Q (eigvalsh gets the largest eigenvalue to
    rounding, relative error ~1e-15), where Q is P divided by its largest entry, so that
    squaring neither underflows on a vanishing product nor overflows on an exploding one.
    A zero matrix gives 0; one holding inf or nan gives inf or nan."""
    scale = np.max(np.abs(P), axis=(1, 2))
    out = scale.copy()
    ok = np.isfinite(scale) & (scale > 0)
    if ok.any():
        Q = P[ok] / scale[ok, None, None]
        top = np.linalg.eigvalsh(np.swapaxes(Q, 1, 2) @ Q)[:, -1]
        out[ok] = scale[ok] * np.sqrt(np.clip(top, 0.0, None))
    return out


@single_threaded
def reach(trace, params):
    """``||dL_{T-1}/dh_0|| / ||dL_{T-1}/dh_{T-1}||``: how much of the last loss's
    gradient survives the trip back to the start of the window. T-1 matvecs."""
    params = trace_params(trace, params)
    if trace.cell != "rnn":
        return flow.reach(trace, params)
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
def whh_spectrum(params, gate_blocks=True):
    """Eigenvalues and singular values of Whh. sigma_max < 1 is sufficient for
    long-term gradients to vanish, sigma_max > 1 necessary for them to explode
    (Pascanu, Mikolov & Bengio 2013, for tanh).

    A gated Whh (kH, H) is not square. Its candidate block (LSTM g, GRU n: rows 2H to
    3H) plays the vanilla Whh's part, h_{t-1} -> tanh(...) -> new content, so the
    spectrum is that block's; ``block_sigma_max`` gives sigma_max of every gate block.
    For gated cells sigma_max does not bound the long-range gradient: the LSTM's cell
    state and the GRU's z-gated copy of h carry it past every matrix. ``measures`` says
    which matrix was measured. ``gate_blocks=False`` skips ``block_sigma_max`` (k more
    SVDs, half of a gated cell's diagnostics row in the history, which never reads it)."""
    if not hasattr(params, "keys") or "Whh" not in params:
        raise ValueError("whh_spectrum reads params['Whh']: pass the model's parameters "
                         "(trainer.params or trace.params).")
    Whh = check_real("Whh", params["Whh"])      # float64: float32 weights ran in float32
    if Whh.ndim != 2 or Whh.shape[1] == 0:
        raise ValueError(f"Whh must be a non-empty matrix; got shape {Whh.shape}.")
    cell = cell_of({"Whh": Whh})
    H = Whh.shape[1]
    if cell == "rnn":
        block, measures, blocks = Whh, "Whh (H x H)", {}
    else:
        block = Whh[2 * H: 3 * H]
        name = GATES[cell][2]
        measures = (f"W_h{name}, the {cell} candidate block of Whh (rows 2H:3H, gate "
                    f"{name!r}): the part that plays the vanilla Whh's role")
        blocks = {g: float(np.linalg.svd(Whh[j * H:(j + 1) * H], compute_uv=False)[0])
                  for j, g in enumerate(GATES[cell]) if gate_blocks}
    eig = np.linalg.eigvals(block)
    sv = np.linalg.svd(block, compute_uv=False)
    out = {"eigenvalues": eig, "singular_values": sv,
           "spectral_radius": float(np.max(np.abs(eig))), "sigma_max": float(sv[0]),
           "measures": measures}
    if blocks:
        out["block_sigma_max"] = blocks
    return out


def saturation(trace, level=SATURATED):
    """(T,) fraction of hidden units with |h_t| > level (where tanh' ~ 0). For gated
    cells this is still about h_t; see gate_saturation for the gates."""
    return np.count_nonzero(np.abs(trace.hs) > level, axis=1) / trace.hs.shape[1]


def gate_saturation(trace, level=SATURATED):
    """name -> (T,) fraction of units whose nonlinearity is saturated: it passes back
    less than 1 - level^2 (2% at 0.99) of its largest slope.

    tanh values a (rnn "h"; lstm "g" and "tanh_c"; gru "n"): |a| > level.
    sigmoid gates s (lstm i, f, o; gru r, z): |2s - 1| > level, i.e. s < 0.005 or
    s > 0.995, the same slope criterion since sigmoid(x) = (1 + tanh(x/2)) / 2.
    A saturated gate learns slowly, but it still passes what it multiplies: the LSTM's
    dc_{t-1} = f_t * dc_t goes through f itself, not through f's slope, so f saturated
    near 1 is the memory working, not a blocked gradient."""
    if trace.cell == "rnn":
        return {"h": saturation(trace, level)}
    H = trace.hs.shape[1]
    sigmoid = SIGMOID_GATES[trace.cell]
    out = {}
    for name, a in trace.gates.items():
        a = 2.0 * a - 1.0 if name in sigmoid else a
        out[name] = np.count_nonzero(np.abs(a) > level, axis=1) / H
    if trace.cell == "lstm":
        out["tanh_c"] = np.count_nonzero(np.abs(trace.tanh_c) > level, axis=1) / H
    return out


def effective_learning_rate(mem, learning_rate):
    """Adagrad's per-entry step size ``lr / sqrt(mem + eps)``, summarised per parameter."""
    rows = []
    for name, m in mem.items():
        lr_eff = learning_rate / np.sqrt(m.ravel() + ADAGRAD_EPS)
        rows.append({"param": name, "min": lr_eff.min(), "median": np.median(lr_eff),
                     "mean": lr_eff.mean(), "max": lr_eff.max()})
    return pd.DataFrame(rows)
