"""Per-window computations the views share, each done once per training window.

The engine computes; this module only decides when, and remembers the result until the
run trains on a new window (a new Trace object) or is replaced.
"""
import engine
from dashboard.session import window_known, window_memo
from engine.cells import tape as cell_tape
from engine.cost import analysis_cost

JACOBIAN_LIMIT = 2.0    # seconds per window above which jacobian_norms is not drawn


def jacobian_seconds(T, H):
    """Time jacobian_norms takes for a window by the engine's cost model: T(T-1)/2
    products and spectral norms of H x H matrices (engine.cost.analysis_cost)."""
    return analysis_cost("jacobian_norms", T, H, 1).seconds


def cached(session, run, name, build):
    """``build(trainer, trace)`` for run ``run``'s current window, computed once (the
    memo is the session's: dashboard.session.window_memo)."""
    return window_memo(session, run, name, build)


def flow(session, run, jacobian_limit=JACOBIAN_LIMIT, jacobian=True):
    """loss_to_state, reach_by_lag, jacobian_norms and Whh's spectrum for run ``run``'s
    current window, with the weights that produced it (``trace.params``). jacobian_norms
    is None while training runs live, if it would take over ``jacobian_limit`` s, or for
    a gated cell (then ``J_why`` says why); with ``jacobian=False`` it is only returned
    if computed already (a view draws the rest first, while it is computed)."""
    result = cached(session, run, "flow", _flow_basics)
    if session.running or not jacobian:   # live: every refresh is a new window
        known, full = window_known(session, run, "flow_with_J")
        return {**result, "J": full["J"] if known else result.get("J")}
    if "J" in result:                     # a gated cell: not drawn, J_why says why
        return result

    def build(trainer, trace):
        seconds = jacobian_seconds(trace.T, trainer.config.hidden_size)
        return {**result, "J": None if seconds > jacobian_limit
                else engine.jacobian_norms(trace, trace.params)}
    return cached(session, run, "flow_with_J", build)


# -- attribution (engine/attribution.py), per window, with the weights that made it ----
GHOST_WINDOWS = 4           # windows before the current one that beyond_window recomputes
ATTRIBUTION_LIMIT = 2.0     # seconds per window above which a piece is not drawn
LIVE_ATTRIBUTION_LIMIT = 0.1  # ... while training runs live: every refresh is a new window
HORIZON_MEMORY_LIMIT = 256 * 2 ** 20   # bytes the horizon may hold at once (T^3 Gram)


ANALYSIS = {"saliency": "input_saliency", "horizon": "gradient_horizon",
            "beyond": "beyond_window"}


def attribution_seconds(what, T, H, windows=GHOST_WINDOWS, V=100, cell="rnn"):
    """Seconds for one window by the engine's cost model (engine.cost.analysis_cost):
    the single-loss backward for the saliency, plus the T x T x T Gram for the horizon;
    beyond_window is a plain BPTT over (windows + 1) T steps."""
    return analysis_cost(ANALYSIS[what], T, H, V, cell, steps=(windows + 1) * T).seconds


def attribution_bytes(what, trace, H):
    """Bytes a piece holds at once, where that can be large: the horizon's (T, T, T) Gram
    and (T, T, kH) single-loss gradients (engine.cost.analysis_cost)."""
    if what != "horizon":
        return 0
    return analysis_cost("gradient_horizon", trace.T, H, trace.ps.shape[1],
                         trace.cell).peak_bytes


def _affordable(session, run, name, what, build):
    """``cached(session, run, name, build)`` if it is computed already or fits the time
    limit (the live one while training runs) and the memory limit; otherwise None."""
    trainer = session.runs[run]
    known, value = window_known(session, run, name)
    if known:
        return value
    H = trainer.config.hidden_size
    seconds = _seconds(what, trainer)
    if seconds > (LIVE_ATTRIBUTION_LIMIT if session.running else ATTRIBUTION_LIMIT) \
            or attribution_bytes(what, trainer.trace, H) > HORIZON_MEMORY_LIMIT:
        return None
    try:
        return cached(session, run, name, build)
    except ValueError:          # the engine's own guard refused it: skipped, as above
        return None


def _seconds(what, trainer):
    trace = trainer.trace
    return attribution_seconds(what, trace.T, trainer.config.hidden_size,
                               V=trace.ps.shape[1], cell=trace.cell)


def skipped_note(session, run, what):
    """Why a piece is not drawn (see _affordable), for a person."""
    trainer = session.runs[run]
    T, H = trainer.trace.T, trainer.config.hidden_size
    seconds, size = _seconds(what, trainer), attribution_bytes(what, trainer.trace, H)
    if size > HORIZON_MEMORY_LIMIT:
        return (f"is skipped at seq_length {T} and hidden_size {H}: it would hold about "
                f"{size / 1e9:.1f} GB at once. Use a shorter window to see it.")
    if session.running and seconds <= ATTRIBUTION_LIMIT:
        return f"(about {seconds:.1f} s per window at this size) is drawn when training pauses."
    return (f"is skipped at seq_length {T} and hidden_size {H}: it would take about "
            f"{seconds:.0f} s per window. Use a shorter window or fewer hidden units to see it.")


def saliency(session, run):
    """(T, T) engine.input_saliency of run ``run``'s current window, or None (too slow)."""
    return _affordable(session, run, "saliency", "saliency",
                       lambda trainer, trace: engine.input_saliency(trace, trace.params))


def horizon(session, run):
    """Whh's gradient by distance for run ``run``'s window, or None (too slow):
    ``pieces`` (T, T) as whh_piece_norms, ``profile`` (T,) the Frobenius norm of each
    distance's slice, and the window's ``horizon``."""
    def build(trainer, trace):
        profile, pieces = engine.whh_horizon_parts(trace, trace.params)
        return {"pieces": pieces, "profile": profile,
                "horizon": engine.horizon_from_norms(profile)}
    return _affordable(session, run, "horizon", "horizon", build)


def beyond(session, run):
    """engine.beyond_window for run ``run``'s window with the weights that produced it
    (``trace.params``, like every other chart of the window; the trainer's current
    weights are one update further on), or None (too slow)."""
    return _affordable(session, run, "beyond", "beyond",
                       lambda trainer, trace: engine.beyond_window(
                           trainer, windows=GHOST_WINDOWS, params=trace.params))


# jacobian_norms is the vanilla cell's (engine.jacobian_norms refuses gated traces)
GATED_JACOBIAN = (
    "jacobian_norms is shown for the vanilla cell only: a gated cell's gradient also "
    "flows through its gates and (LSTM) its cell state, so ‖∂h_t/∂h_s‖ alone would "
    "mislead; loss_to_state (left) follows every path.")


def _flow_basics(trainer, trace):
    G = engine.loss_to_state(trace, trace.params)
    out = {"G": G, "lag": engine.reach_by_lag(G),
           "spectrum": engine.whh_spectrum(trace.params)}
    if trace.cell != "rnn":
        out.update(J=None, J_why=GATED_JACOBIAN)
    return out


def tape(session, run):
    """The explorer's tapes of run ``run``'s window: tape_norms and paths
    (engine.cells.tape), loss_to_cell for an LSTM (else None) and loss_to_state (shared
    with ``flow``)."""
    def build(trainer, trace):
        p = trace.params
        return {"norms": cell_tape.tape_norms(trace, p), "paths": cell_tape.paths(trace, p),
                "C": cell_tape.loss_to_cell(trace, p) if trace.cell == "lstm" else None}
    return {**cached(session, run, "tape", build),
            "G": cached(session, run, "flow", _flow_basics)["G"]}
