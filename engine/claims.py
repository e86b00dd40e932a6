"""Lesson claims: every sentence a lesson shows about its charts, measured live.

A :class:`Claim` is a sentence, the view it points at, one quantity the engine measures
on the runs (engine/quantities.py) and the checks that number must pass, run by run.
The lessons (engine/presets.py, comparisons.py, tour.py) write their sentences as
claims; ``engine.lesson_claims(name, runs)`` (engine/lessons.py) evaluates every claim
of one lesson and returns one :class:`ClaimResult` per sentence: does it hold now, and
the measured number that decides it. A sentence true only for a while says so
(``until``: the last iteration it promises); after that it is shown as ended, not
hidden. A sentence about what training brings later says when (``since``: the first
iteration it promises); before that it is shown as not yet due, with its number.
"""
import math
from dataclasses import dataclass, field

from .errors import CostError
from .quantities import QUANTITIES, measure

OPS = ("<", ">", "=", "≈", "<run", ">run")
CLOSE = 0.01       # "≈": within 1% of the bound


@dataclass(frozen=True)
class Check:
    """``run``'s value ``op`` ``bound``; for "<run" / ">run" the bound is another run's
    name and its value. ``run`` None means the lesson's only (or every) run."""
    op: str
    bound: object
    run: str | None = None


@dataclass(frozen=True)
class Claim:
    view: str                       # one of the dashboard's views
    text: str                       # the sentence shown to the student
    quantity: str                   # a name in engine.quantities.QUANTITIES
    checks: tuple                   # Check(...) each must pass
    until: int | None = None        # last iteration the sentence promises; None: always
    since: int | None = None        # first iteration it promises; None: from the start

    def __post_init__(self):
        if self.quantity not in QUANTITIES:
            raise ValueError(f"Unknown quantity {self.quantity!r}; known: "
                             f"{', '.join(QUANTITIES)}.")
        for c in self.checks:
            if c.op not in OPS:
                raise ValueError(f"Unknown check {c.op!r}; known: {', '.join(OPS)}.")

    def evaluate(self, runs, source="look for"):
        """The claim on ``runs`` (run name -> Trainer) now, as a ClaimResult."""
        label = QUANTITIES[self.quantity][0]
        names = [c.run for c in self.checks] + [c.bound for c in self.checks
                                                  if c.op.endswith("run")]
        named = {n for n in names if n is not None}
        missing = sorted(named - set(runs))
        wanted = [n for n in runs if n in named] or list(runs)    # the session's order
        iteration = max((tr.iteration for tr in runs.values()), default=0)
        if missing:
            return self._result(False, f"run {', '.join(map(repr, missing))} is not "
                                       "in this session", {}, iteration, source)
        values = {}
        for n in wanted:
            tr = runs[n]
            try:
                values[n] = measure(self.quantity, tr) if tr.trace is not None else math.nan
            except CostError as err:        # too large to measure: said, never guessed
                return self._result(False, f"{label} not measured: {err}", {}, iteration,
                                    source)
        holds = all(self._passes(c, values) for c in self.checks)
        shown = _values_text(values, several=len(runs) > 1)
        wanted_text = "; ".join(_check_text(c, several=len(runs) > 1) for c in self.checks)
        return self._result(holds, f"{label} {shown}; claim {wanted_text}", values,
                            iteration, source)

    def _passes(self, c, values):
        targets = [c.run] if c.run is not None else list(values)
        for n in targets:
            v = values[n]
            other = values[c.bound] if c.op.endswith("run") else c.bound
            if not (math.isfinite(v) and math.isfinite(other)):
                return False
            if c.op in ("<", "<run") and not v < other:
                return False
            if c.op in (">", ">run") and not v > other:
                return False
            if c.op == "=" and not v == other:
                return False
            if c.op == "≈" and not abs(v - other) <= CLOSE * abs(other):
                return False
        return True

    def _result(self, holds, measured, values, iteration, source):
        ended = self.until is not None and iteration > self.until
        due = self.since is None or iteration >= self.since
        return ClaimResult(self.text, self.view, bool(holds) and due, measured, self.until,
                           ended, source, values, self.since, not due)


@dataclass(frozen=True)
class ClaimResult:
    text: str                   # the sentence shown to the student
    view: str                   # where to look
    holds: bool                 # does it hold now
    measured: str               # the number that decides it, and the claim's bound
    until: int | None = None    # last iteration the sentence promises (None: always)
    ended: bool = False         # past ``until``: the sentence said it would not last
    source: str = "look for"    # "look for" or "tour stop k"
    values: dict = field(default_factory=dict)   # run name -> measured value
    since: int | None = None    # first iteration the sentence promises (None: the start)
    pending: bool = False       # before ``since``: not yet due, neither held nor broken


def fmt(value):
    """One number notation everywhere: 3 significant digits, 1.2e-8 style when small
    or large, thousands separated otherwise."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        text = f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
        return text
    mantissa, exponent = f"{value:.2e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def _values_text(values, several):
    if not several and len(values) == 1:
        return fmt(next(iter(values.values())))
    return ", ".join(f"{n}: {fmt(v)}" for n, v in values.items())


def _check_text(c, several):
    who = f"{c.run} " if c.run is not None and several else ""
    if c.op.endswith("run"):
        return f"{who}{c.op[0]} {c.bound}"
    if c.op == "≈":
        return f"{who}within {CLOSE:.0%} of {fmt(c.bound)}"
    return f"{who}{c.op} {fmt(c.bound)}"
