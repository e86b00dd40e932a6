"""Per-window computations the views share, each done once per training window.

The engine computes; this module only decides when, and remembers the result until the
run trains on a new window (a new Trace object) or is replaced.
"""
import numpy as np

import engine

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
    is None while training runs live, or if it would take over ``jacobian_limit`` s."""
    def cheap(trainer, trace):
        G = engine.loss_to_state(trace, trace.params)
        return {"G": G, "lag": engine.reach_by_lag(G),
                "spectrum": engine.whh_spectrum(trace.params)}

    result = cached(session, run, "flow", cheap)
    if session.running:             # every refresh is a new window: skip the slow part
        return {**result, "J": result.get("J")}
    if "J" not in result:
        trainer = session.runs[run]
        seconds = jacobian_seconds(trainer.trace.T, trainer.config.hidden_size)
        result["J"] = (None if seconds > jacobian_limit
                       else engine.jacobian_norms(trainer.trace, trainer.trace.params))
    return result


# -- attribution (engine/attribution.py), per window, with the weights that made it ----
GHOST_WINDOWS = 4       # windows before the current one that beyond_window recomputes


def attribution_supported(trainer):
    """The attribution functions have a backward step for the vanilla rnn only so far."""
    return getattr(trainer.config, "cell", "rnn") == "rnn"


def saliency(session, run):
    """(T, T) engine.input_saliency of run ``run``'s current window."""
    return cached(session, run, "saliency",
                  lambda trainer, trace: engine.input_saliency(trace, trace.params))


def horizon(session, run):
    """Whh's gradient by distance for run ``run``'s window: ``pieces`` (T, T) from
    whh_piece_norms, ``profile`` (T,) the Frobenius norm of each distance's slice, and
    the window's ``horizon``."""
    def build(trainer, trace):
        slices = engine.whh_gradient_by_distance(trace, trace.params)
        return {"pieces": engine.whh_piece_norms(trace, trace.params),
                "profile": np.linalg.norm(slices, axis=(1, 2)),
                "horizon": engine.gradient_horizon(trace, trace.params)}
    return cached(session, run, "horizon", build)


def beyond(session, run, windows=GHOST_WINDOWS):
    """engine.beyond_window for run ``run``'s window with the weights that produced it
    (``trace.params``, like every other chart of the window; the trainer's current
    weights are one update further on)."""
    return cached(session, run, f"beyond{windows}",
                  lambda trainer, trace: engine.beyond_window(trainer, windows=windows,
                                                              params=trace.params))
