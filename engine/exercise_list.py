"""The exercises, one per idea of the seed documents (engine/exercises.py has the rules).

The tiny ones use PRESETS["tiny"] after one iteration: the window 'hell' -> 'ello', whose
every number the Timestep explorer prints. Every answer is computed from the runs.
"""
import numpy as np

from .attribution import beyond_window
from .exercises import (
    BLOWUP,
    FLOOR,
    NO_RUN,
    Exercise,
    clipped_entries,
    diverged_at,
    first_run,
    first_to_diverge,
    steps_above,
    target_of,
    window_trace,
)

DH_T, DH_INDEX = 1, 0           # dh-by-hand: entry 0 of dh_1 (both of its parts nonzero)
ADAGRAD_AT, ADAGRAD_ENTRY = 10, (1, 1)
DIVERGE_AT = 30


def _blowups(runs):
    """When each run blew up, in words (the evidence for diverge-first's answer)."""
    last = max(tr.iteration for tr in runs.values())
    said = []
    for name, trainer in runs.items():
        at = diverged_at(trainer, last)
        said.append(f"{name}: " + ("never, up to iteration " + str(last - 1) if at is None
                                   else f"iteration {at}"))
    return "Loss above " + f"{BLOWUP:g}" + " times its first window's — " + "; ".join(said)


def _dh(runs):
    return float(window_trace(runs).dh[DH_T, DH_INDEX])


def _dh_work(runs):
    trainer = first_run(runs)
    trace, Why = window_trace(runs), trainer.trace.params["Why"]
    t, i = DH_T, DH_INDEX
    terms = " + ".join(f"({Why[k, i]:#.4g})({trace.dy[t, k]:#.4g})"
                       for k in range(Why.shape[0]))
    return (f"dh_{t}[{i}] = Σ_k Why[k, {i}] · dy_{t}[k] + dhnext_{t}[{i}] = {terms} + "
            f"({trace.dhnext[t, i]:#.4g}) = {trace.dh_from_output[t, i]:#.4g} + "
            f"({trace.dhnext[t, i]:#.4g}) = {trace.dh[t, i]:#.4g}")


def _dy_target(runs, t=1):
    target, _ = target_of(runs, t)
    return float(window_trace(runs).dy[t, target])


def _target_char(runs, t=0):
    target, chars = target_of(runs, t)
    return chars[target]


def _weakest_unit(runs, t=3):
    return float(np.argmin(window_trace(runs).tanh_grad[t]))


def _mem(runs):
    return float(first_run(runs).mem["Whh"][ADAGRAD_ENTRY])


def _adagrad(runs):
    return float(first_run(runs).config.learning_rate / np.sqrt(_mem(runs) + 1e-8))


def _adagrad_given(runs):
    i, j = ADAGRAD_ENTRY
    lr = first_run(runs).config.learning_rate
    return (f"After {first_run(runs).iteration} iterations Adagrad's memory of Whh[{i}, {j}] "
            f"is mem = {_mem(runs):.6g} (the sum of its squared clipped gradients so far); "
            f"lr = {lr:g}.")


def _share(runs):
    trainer, trace = first_run(runs), window_trace(runs)
    b = beyond_window(trainer, windows=4, params=trace.params)
    return float(b.share)


EXERCISES = {e.name: e for e in [
    Exercise(
        "dhnext-last", "At the last step of the window, t = 3, what is the largest entry "
        "(in absolute value) of dhnext_3, the gradient reaching h_3 from later steps?",
        "tiny", 1, 3, lambda runs: float(np.abs(window_trace(runs).dhnext[-1]).max()), 1e-9,
        "Which losses of this window come after t = 3? The backward pass starts with "
        "dhnext = np.zeros_like(hs[0]).",
        "Zero. Truncated BPTT backpropagates the window's losses only, and none comes after "
        "the last step, so min-char-rnn starts the backward pass with dhnext = 0 and "
        "dh_3 = Why^T dy_3 alone. Walking back, dhnext_t then collects the losses of "
        "t+1 … 3."),
    Exercise(
        "dh-by-hand", f"From the tables at t = {DH_T}, compute entry {DH_INDEX} of "
        f"dh_{DH_T} = Why^T dy_{DH_T} + dhnext_{DH_T}.",
        "tiny", 1, DH_T, _dh, 2e-3,
        f"Entry {DH_INDEX} of Why^T dy is column {DH_INDEX} of Why dotted with dy_{DH_T} "
        f"(four products), then add entry {DH_INDEX} of dhnext_{DH_T}.",
        "dh_t has two sources: this step's own loss, reaching h_t through Why (Why^T dy_t), "
        "and every later loss, carried back through the recurrence (dhnext_t). "
        "min-char-rnn adds them in dh = np.dot(Why.T, dy) + dhnext.",
        index=DH_INDEX, work=_dh_work),
    Exercise(
        "dy-target", "At t = 1, what is dy_1 at the target character (dy = p - onehot)?",
        "tiny", 1, 1, _dy_target, 2e-3,
        "Read p_1 at the target's row; onehot(target) is 1 there and 0 elsewhere.",
        "dy_t = p_t - onehot(target_t): at the target it is p_t[target] - 1, always "
        "negative (raise that score), and p_t[k] at every other character (lower those). "
        "It is the gradient of -log softmax(y_t)[target] with respect to the scores y_t."),
    Exercise(
        "dy-negative", "At t = 0, dy_0 has exactly one negative entry: at which character?",
        "tiny", 1, 0, _target_char, None,
        "dy = p - onehot(target): which term can make an entry negative?",
        "Probabilities are positive, so p_t - onehot(target) is negative only where the "
        "onehot is 1: at the target, the character that actually comes next. The gradient "
        "step raises that character's score and lowers all the others."),
    Exercise(
        "tanh-mask", "At t = 3, which hidden unit (0, 1 or 2) passes the smallest part of "
        "dh_3 on to dhraw_3?",
        "tiny", 1, 3, _weakest_unit, 0.0,
        "dhraw_t = tanh'_t * dh_t entry by entry, with tanh' = 1 - h_t². Look at h_3.",
        "The unit whose |h| is nearest 1: tanh' = 1 - h² is nearly 0 there, so that unit "
        "masks the gradient: almost nothing reaches its pre-activation, its weights or the "
        "earlier steps. Saturated units are one way gradients vanish."),
    Exercise(
        "clipped-entries", "How many gradient entries, over dWxh, dWhh, dWhy, dbh and dby "
        "together, does clipping to [-1, 1] change in this window?",
        "tiny", 1, None, clipped_entries, 0.0,
        "The gradient tables under the explorer mark each entry outside [-1, 1]; count "
        "those (there are 40 entries in all).",
        "np.clip(dparam, -1, 1) changes exactly the entries outside the interval and "
        "leaves the others as they are: value clipping changes the gradient's direction, "
        "not just its length (norm clipping would scale every entry)."),
    Exercise(
        "vanishing-steps", "In this window, for how many steps back from the last loss "
        f"does ||dL_(T-1)/dh_s|| stay above {FLOOR:g}?",
        "vanishing", 50, None, steps_above, 0.0,
        "Gradient flow: the loss-to-state heatmap's bottom row; hover the cells from the "
        "diagonal leftwards and count until one falls below 1e-6.",
        "Each step back multiplies the gradient by diag(1 - h²) Whh^T. With saturated "
        "units and small singular values it shrinks by about a decade or two per step, so "
        "within a few steps it is below 1e-6: the loss at the end of the window cannot "
        "teach the weights anything about the characters at its start.",
        view="Gradient flow"),
    Exercise(
        "diverge-first", "Predict before the runs train: which run's loss will blow up "
        f"first (a window's loss above {BLOWUP:g} times its first), or '{NO_RUN}'?",
        "clipping", DIVERGE_AT, None, first_to_diverge, None,
        "Plain SGD moves each weight by lr times its gradient. Which run lets a gradient "
        "in the thousands through unchanged?",
        "Without clipping nothing bounds the update: one exploding gradient throws the "
        "weights far away and the loss jumps. Clipping each entry to ±5 caps each weight's "
        "step at lr·5, and clipping the global norm keeps the direction and caps the "
        "whole step's length.",
        view="Training", predict=True, choices=lambda runs: [*runs, NO_RUN], work=_blowups),
    Exercise(
        "adagrad-rate", f"What effective learning rate lr / sqrt(mem + 1e-8) does Adagrad "
        f"give Whh[{ADAGRAD_ENTRY[0]}, {ADAGRAD_ENTRY[1]}] now?",
        "tiny", ADAGRAD_AT, None, _adagrad, 5e-4,
        "Divide the learning rate by the square root of the memory given above.",
        "min-char-rnn's Adagrad keeps mem += dparam * dparam for every entry and steps "
        "param += -lr * dparam / np.sqrt(mem + 1e-8): entries that had large gradients get "
        "small steps. The mem arrays are updated in place (+= on the arrays the loop "
        "holds), so yes, that Adagrad is right.",
        view="Training", given=_adagrad_given),
    Exercise(
        "truncation-share", "What share of the Whh gradient that full BPTT over the 4 "
        "windows before this one would compute does truncation throw away?",
        "min-char-rnn", 100, None, _share, 5e-3,
        "Gradient flow, 'What truncation throws away': the caption gives the share.",
        "Truncated BPTT stops at the window's first step and discards dhprev, so the "
        "gradient of this window's loss with respect to Whh through the earlier steps is "
        "lost. engine.beyond_window recomputes it under full BPTT; the share is usually "
        "small because the gradient fades on its way back, which is why truncation works.",
        view="Gradient flow"),
]}
