"""The numbers lessons make claims about, each measured on a Trainer as the dashboard
shows it: its current window (``trainer.trace``, with the weights that produced it,
``trace.params``), its current weights, or its history.

Every function takes a Trainer and returns one float; QUANTITIES names them and says in
words what each one is (the label is shown next to the measured value).
"""
import math

import numpy as np

from .diagnostics import loss_to_state, reach, reach_by_lag, saturation, whh_spectrum

RECENT = 10      # windows averaged where a single window is too noisy to decide


def _window_G(trainer):
    """loss_to_state of the current window, computed once per window."""
    trace = trainer.trace
    cached = getattr(trace, "_claims_G", None)
    if cached is None:
        cached = loss_to_state(trace, trace.params)
        trace._claims_G = cached
    return cached


def uniform_loss(trainer):
    """ln(V)·T: the loss of guessing every character with probability 1/V."""
    return math.log(len(trainer.vocab)) * trainer.config.seq_length


def _first(trainer, column):
    h = trainer.history_store.recorded(column)
    return float(h[0]) if len(h) else math.nan


def _recent(trainer, column, n=RECENT):
    col = trainer.history_store.recorded(column)[-n:]
    return float(np.mean(col)) if len(col) else math.nan


def sigma_max(trainer):
    return whh_spectrum(trainer.trace.params)["sigma_max"]


def sigma_max_now(trainer):
    return whh_spectrum(trainer.params)["sigma_max"]


def window_reach(trainer):
    return reach(trainer.trace, trainer.trace.params)


def first_reach(trainer):
    return _first(trainer, "reach")


def lag5(trainer):
    """Median over t of ||dL_t/dh_{t-5}|| / ||dL_t/dh_t||: the heatmap 5 steps left of
    its diagonal, relative to the diagonal."""
    return float(reach_by_lag(_window_G(trainer))[5])


def lag22(trainer):
    return float(reach_by_lag(_window_G(trainer))[22])


def gap22(trainer):
    """||dL_22/dh_0|| / ||dL_22/dh_22||: the loss on the repeated letter, followed back
    to the state that saw the first one."""
    G = _window_G(trainer)
    return float(G[22, 0] / G[22, 22])


def grad_norm(trainer):
    return float(trainer.trace.norms_before["global"])


def clipped_norm(trainer):
    return float(trainer.trace.norms_after["global"])


def clip_scale(trainer):
    """norm after clipping / norm before: the factor the clip line applied."""
    trace = trainer.trace
    before = trace.norms_before["global"]
    return float(trace.norms_after["global"] / before) if before > 0 else math.nan


def first_grad_norm(trainer):
    return _first(trainer, "grad_norm_global")


def first_clipped_norm(trainer):
    return _first(trainer, "clipped_norm_global")


def recent_grad_norm(trainer):
    return _recent(trainer, "grad_norm_global")


def recent_clip_fraction(trainer):
    return _recent(trainer, "clip_fraction")


def first_loss_vs_uniform(trainer):
    return _first(trainer, "loss") / uniform_loss(trainer)


def recent_loss_vs_uniform(trainer):
    return _recent(trainer, "loss") / uniform_loss(trainer)


def peak_loss_vs_uniform(trainer):
    h = trainer.history_store.recorded("loss")
    return float(h.max()) / uniform_loss(trainer) if len(h) else math.nan


def smooth_vs_uniform(trainer):
    return trainer.smooth_loss / uniform_loss(trainer)


def window_saturation(trainer):
    return float(np.mean(saturation(trainer.trace)))


def dhnext_last(trainer):
    return float(np.linalg.norm(trainer.trace.dhnext[-1]))


def dhnext_before_last(trainer):
    trace = trainer.trace
    return float(np.linalg.norm(trace.dhnext[max(trace.T - 2, 0)]))


def dh_split_error(trainer):
    """max |dh_t - (Why^T dy_t + dhnext_t)| over the window: the two rows add up."""
    trace = trainer.trace
    return float(np.max(np.abs(trace.dh - (trace.dy @ trace.params["Why"] + trace.dhnext))))


def tanh_prime_outside(trainer):
    """Entries of tanh' = 1 - h^2 outside [0, 1] in the window (0: it is a gate)."""
    g = 1.0 - trainer.trace.hs ** 2
    return float(np.count_nonzero((g < 0) | (g > 1)))


def min_tanh_prime(trainer):
    """The smallest tanh' = 1 - h_t^2 in the window: near 0, a unit masks its dh_t."""
    return float(np.min(1.0 - trainer.trace.hs ** 2))


def clip_fraction(trainer):
    """The share of this window's gradient entries that clipping changed."""
    return float(trainer.trace.clip_fraction["global"])


def dhprev_norm(trainer):
    return float(np.linalg.norm(trainer.trace.dhprev))


def dhnext_kept(trainer):
    """||dhnext_0|| / ||dhnext_{T-2}||: dhnext at the start of the window against one
    step before the end (above about 0.1: it does not fade from right to left)."""
    trace = trainer.trace
    last = np.linalg.norm(trace.dhnext[max(trace.T - 2, 0)])
    return float(np.linalg.norm(trace.dhnext[0]) / last) if last > 0 else math.nan


def dhnext_vs_output(trainer):
    """Median over t < T-1 of ||dhnext_t|| / ||Why^T dy_t||: what arrives from the
    future against what the step's own loss adds."""
    trace = trainer.trace
    out = np.linalg.norm(trace.dy[:-1] @ trace.params["Why"], axis=1)
    nxt = np.linalg.norm(trace.dhnext[:-1], axis=1)
    return float(np.median(nxt / out))


def loss22(trainer):
    return float(trainer.trace.losses[22])


def dots_loss(trainer):
    """Median loss over the steps whose target is a dot (long_gap.txt)."""
    trace = trainer.trace
    dot = trainer.vocab.chars.index(".") if "." in trainer.vocab.chars else -1
    picked = trace.losses[trace.targets == dot]
    return float(np.median(picked)) if len(picked) else math.nan


def measure(quantity, trainer):
    """QUANTITIES[quantity] on ``trainer``, computed once per window: every quantity
    depends only on state that changes when a step makes a new Trace."""
    trace = trainer.trace
    memo = getattr(trace, "_claims_memo", None)
    if memo is None:
        memo = trace._claims_memo = {}
    if quantity not in memo:
        memo[quantity] = QUANTITIES[quantity][1](trainer)
    return memo[quantity]


# name -> (label shown with the value, function)
QUANTITIES = {
    "sigma_max": ("σ_max(Whh)", sigma_max),
    "sigma_max_now": ("σ_max(Whh) now", sigma_max_now),
    "reach": ("reach", window_reach),
    "first_reach": ("reach on the first window", first_reach),
    "lag5": ("5 steps back / diagonal", lag5),
    "lag22": ("22 steps back / diagonal", lag22),
    "gap22": ("||dL_22/dh_0|| / ||dL_22/dh_22||", gap22),
    "grad_norm": ("norm before clipping", grad_norm),
    "clipped_norm": ("norm after clipping", clipped_norm),
    "clip_scale": ("norm after / norm before clipping", clip_scale),
    "first_grad_norm": ("norm before clipping on the first window", first_grad_norm),
    "first_clipped_norm": ("update's gradient norm on the first window",
                           first_clipped_norm),
    "recent_grad_norm": (f"norm before clipping, mean of the last {RECENT} windows",
                         recent_grad_norm),
    "recent_clip_fraction": (f"clip fraction, mean of the last {RECENT} windows",
                             recent_clip_fraction),
    "first_loss_vs_uniform": ("first loss / (ln V · T)", first_loss_vs_uniform),
    "recent_loss_vs_uniform": (f"loss of the last {RECENT} windows / (ln V · T)",
                               recent_loss_vs_uniform),
    "peak_loss_vs_uniform": ("highest loss / (ln V · T)", peak_loss_vs_uniform),
    "smooth_vs_uniform": ("smooth loss / (ln V · T)", smooth_vs_uniform),
    "saturation": ("saturated units", window_saturation),
    "dhnext_last": ("||dhnext at t = T−1||", dhnext_last),
    "dhnext_before_last": ("||dhnext at t = T−2||", dhnext_before_last),
    "dh_split_error": ("max |dh − (Why^T dy + dhnext)|", dh_split_error),
    "tanh_prime_outside": ("tanh' entries outside [0, 1]", tanh_prime_outside),
    "min_tanh_prime": ("smallest tanh' in the window", min_tanh_prime),
    "clip_fraction": ("share of gradient entries clipped", clip_fraction),
    "dhprev_norm": ("||dhprev||", dhprev_norm),
    "dhnext_kept": ("||dhnext_0|| / ||dhnext_T−2||", dhnext_kept),
    "dhnext_vs_output": ("median ||dhnext_t|| / ||Why^T dy_t||", dhnext_vs_output),
    "loss22": ("loss at t = 22", loss22),
    "dots_loss": ("median loss on the dots", dots_loss),
}
