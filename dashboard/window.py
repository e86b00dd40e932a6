"""Per-window computations the views share, each done once per training window.

The engine computes; this module only decides when, and remembers the result until the
run trains on a new window (a new Trace object) or is replaced.
"""
import engine
from engine.cells import tape as cell_tape

JACOBIAN_LIMIT = 2.0    # seconds per window above which jacobian_norms is not drawn


def jacobian_seconds(T, H):
    """Rough time jacobian_norms takes for a window: T(T-1)/2 products and SVDs of
    H x H matrices, about 0.25 s at T = 25, H = 100 (bench/diagnostics_speed.py)."""
    return T * (T - 1) / 2 * H ** 3 * 8.5e-10


def cached(session, run, name, build):
    """``build(trainer, trace)`` for run ``run``'s current window, computed once."""
    trainer = session.runs[run]
    entry = session.window_cache.get(run)
    if entry is None or entry["trace"] is not trainer.trace:
        entry = session.window_cache[run] = {"trace": trainer.trace}
    if name not in entry:
        entry[name] = build(trainer, trainer.trace)
    return entry[name]


def flow(session, run, jacobian_limit=JACOBIAN_LIMIT):
    """loss_to_state, reach_by_lag, jacobian_norms and Whh's spectrum for run ``run``'s
    current window, with the weights that produced it (``trace.params``). jacobian_norms
    is None while training runs live, if it would take over ``jacobian_limit`` s, or for
    a gated cell (then ``J_why`` says why)."""
    result = cached(session, run, "flow", _flow_basics)
    if session.running:             # every refresh is a new window: skip the slow part
        return {**result, "J": result.get("J")}
    if "J" not in result:
        trainer = session.runs[run]
        seconds = jacobian_seconds(trainer.trace.T, trainer.config.hidden_size)
        result["J"] = (None if seconds > jacobian_limit
                       else engine.jacobian_norms(trainer.trace, trainer.trace.params))
    return result


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
