"""Every lesson's sentences, measured: ``lesson_claims(name, runs)``.

The lessons are the presets (engine/presets.py), the comparisons (comparisons.py) and,
for min-char-rnn, the guided tour (tour.py); each writes its sentences as claims
(engine/claims.py). This module sits above all of them, so that the claims module
imports none of the lessons built from it.
"""
from .claims import Claim, ClaimResult
from .comparisons import COMPARISONS
from .presets import PRESETS
from .tour import LESSON as TOUR_LESSON
from .tour import STOPS


def lesson_claims(name, runs):
    """Every claim of preset or comparison ``name`` evaluated on ``runs`` (ordered
    mapping run name -> Trainer; a preset: {name: trainer}), in the order shown: the
    look-for sentences, then (min-char-rnn) the guided tour's stops."""
    lesson = (PRESETS.get(name) or COMPARISONS.get(name)) if isinstance(name, str) else None
    if lesson is None:
        known = ", ".join([*PRESETS, *COMPARISONS])
        raise ValueError(f"There is no lesson {name!r}; the presets and comparisons are "
                         f"{known}.")
    if not hasattr(runs, "items") or not runs:
        raise ValueError("lesson_claims needs its runs as a mapping run name -> Trainer, "
                         "at least one.")
    strangers = [n for n, tr in runs.items() if not hasattr(tr, "history_store")]
    if strangers:
        raise ValueError(f"lesson_claims measures Trainers; the runs {strangers!r} are not.")
    out = [_evaluate(item, runs, "look for") for item in lesson.look_for]
    if name == TOUR_LESSON:
        out += [stop.claim.evaluate(runs, f"tour stop {k + 1}") for k, stop in enumerate(STOPS)]
    return out


def _evaluate(item, runs, source):
    if isinstance(item, Claim):
        return item.evaluate(runs, source)
    view, text = item      # a sentence written without a check: say so, never "holds"
    return ClaimResult(text, view, False, "not measured: this sentence has no check yet",
                       source=source)
