"""Exercises: questions about the numbers of a lesson, answered by the engine from the runs.

Each exercise names a lesson (a preset or a comparison), the iteration it is trained to
and the timestep to look at. ``answer(runs)`` computes the right answer from the runs
(run name -> Trainer) as they are, so it follows the lesson's settings wherever they go;
nothing here is a stored number. ``judge(text, runs)`` reads what a student typed and
says whether it is right. Nothing here changes a Trainer.
"""
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .diagnostics import loss_to_state

FLOOR = 1e-6          # "still there": ||dL_t/dh_s|| above this (the reach chart's line)
BLOWUP = 2.0          # a run diverges when a window's loss exceeds this times its first
NO_RUN = "none"       # the answer "no run diverged"


@dataclass(frozen=True)
class Exercise:
    name: str
    question: str               # one sentence, with the numbers it needs
    lesson: str                 # engine.PRESETS or engine.COMPARISONS name
    iteration: int              # the lesson is trained to this iteration
    t: int | None               # the timestep shown, or None
    answer: Callable            # answer(runs) -> float, or str (a run's name or a character)
    tolerance: float | None     # absolute, for numbers; None for names
    hint: str                   # a nudge, not the answer
    explanation: str            # shown after a right answer or on reveal
    view: str = "Timestep explorer"     # where the numbers are on screen
    index: int | None = None    # the entry asked for (dh-by-hand: unit i of dh_t)
    predict: bool = False       # asked before the runs train to ``iteration``
    given: Callable | None = None       # given(runs) -> str: numbers no chart prints
    work: Callable | None = None        # work(runs) -> str: the arithmetic, on reveal
    choices: Callable | None = None     # choices(runs) -> the names a name-answer may be

    @property
    def kind(self):
        return "number" if self.tolerance is not None else "name"

    def judge(self, text, runs):
        """Verdict on ``text`` (what the student typed) against ``answer(runs)``."""
        expected = self.answer(runs)
        if self.kind == "number":
            given = parse_number(text)
            if given is None:
                return Verdict(None, expected, None, NOT_A_NUMBER)
            return Verdict(abs(given - expected) <= self.tolerance, expected, given)
        given = normalise(text)
        if not given:
            return Verdict(None, expected, None, "Type a name first.")
        names = None if self.choices is None else list(self.choices(runs))
        if names is not None and given not in map(normalise, names):
            return Verdict(None, expected, None, "Answer with one of: "
                           + ", ".join(f"'{n}'" for n in names) + ".")
        return Verdict(given == normalise(expected), expected, given)


@dataclass(frozen=True)
class Verdict:
    correct: bool | None        # None: the text could not be read as an answer
    expected: object
    given: object
    problem: str = ""           # why it could not be read, for a person


NOT_A_NUMBER = ("That is not a number this page can read. Write it like 0.5, -0.0123, "
                "5e-1 or 12% (digits, one decimal point, an optional exponent).")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$")


def parse_number(text):
    """A number from what a person types: '0.5', '5e-1', '-0.0123', '−0.0123' (a typeset
    minus), '0,5' (a decimal comma), '12%' (a share), ' 3 '; None if it is not one."""
    s = str(text).strip().lower().replace("−", "-").replace("–", "-").replace(" ", "")
    scale = 1.0
    if s.endswith("%"):
        s, scale = s[:-1], 0.01
    if "," in s and "." not in s and s.count(",") == 1:
        s = s.replace(",", ".")
    if not NUMBER.match(s):
        return None
    value = float(s) * scale
    return value if math.isfinite(value) else None


def normalise(name):
    """A run's or a character's name compared without case, quotes or extra spaces."""
    s = " ".join(str(name).split()).casefold()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"`":
        s = s[1:-1].strip()
    return s


# -- helpers over the runs --------------------------------------------------------------
def first_run(runs):
    """The lesson's first run; ValueError when there is none (``{}`` raised a bare
    StopIteration out of judge)."""
    if not runs:
        raise ValueError("This exercise needs the runs of its lesson: open the lesson "
                         "first.")
    return next(iter(runs.values()))


def window_trace(runs):
    trace = first_run(runs).trace
    if trace is None:
        raise ValueError("This exercise needs a trained window: press Step first.")
    return trace


def diverged_at(trainer, last_iteration):
    """The first iteration at which ``trainer`` diverged: a window's loss above BLOWUP
    times its first window's, or the step that stopped it (it is behind
    ``last_iteration``, where the other runs are); None if it did not."""
    losses = trainer.history["loss"].to_numpy() if trainer.iteration else np.empty(0)
    above = np.flatnonzero(~(losses <= BLOWUP * losses[0])) if losses.size else []
    if len(above):
        return int(above[0])
    return trainer.iteration if trainer.iteration < last_iteration else None


def first_to_diverge(runs):
    """The name of the run that diverges first (the earliest by ``diverged_at``, the first
    listed on a tie), or NO_RUN."""
    first_run(runs)                     # there are runs to compare
    last = max(tr.iteration for tr in runs.values())
    when = {name: diverged_at(tr, last) for name, tr in runs.items()}
    when = {name: it for name, it in when.items() if it is not None}
    return min(when, key=when.get) if when else NO_RUN


def steps_above(runs, floor=FLOOR):
    """How many steps back from the window's last loss ||dL_{T-1}/dh_s|| stays above
    ``floor`` without a break (engine.loss_to_state, with the weights of the window)."""
    trace = window_trace(runs)
    row = loss_to_state(trace, trace.params)[-1]
    k = 0
    while k + 1 < trace.T and row[trace.T - 2 - k] > floor:
        k += 1
    return k


def clipped_entries(runs):
    """Gradient entries, over all five parameters, that clipping changed in the window."""
    trace = window_trace(runs)
    return int(sum(np.count_nonzero(trace.grads[n] != trace.clipped[n]) for n in trace.grads))


def target_of(runs, t):
    trainer = first_run(runs)
    return int(window_trace(runs).targets[t]), trainer.vocab.chars
