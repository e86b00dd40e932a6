"""Building Trainers for the dashboard: from a preset, a comparison, a text or a
checkpoint. Pure (no streamlit); every builder returns (result, notes for the user) and
raises CorpusError / ValueError with a message for a person."""
import io

import engine
from dashboard.literal import literal

MAX_BYTES = engine.DEFAULT_MAX_BYTES


def build(text, settings, steps=1, max_bytes=MAX_BYTES):
    """A fresh Trainer on ``text`` (str or bytes) that has taken ``steps`` iterations.
    A divergence during the warm-up stops it and is reported in the notes."""
    trainer = engine.Trainer(text, max_bytes=max_bytes, **settings)
    notes = [("warning", w) for w in trainer.warnings]
    err = advance(trainer, steps)
    if err is not None:
        notes.append(("warning", f"Warm-up stopped after {trainer.iteration} "
                                 f"iterations: {err}"))
    return trainer, notes


def advance(trainer, n):
    """Train ``n`` iterations. Returns the DivergenceError that stopped training, or None."""
    try:
        trainer.run(n)
    except engine.DivergenceError as err:
        return err
    return None


def from_preset(name):
    preset = engine.PRESETS[name]
    return build(preset.text, preset.settings, preset.steps)


def from_comparison(name):
    """(run name -> Trainer, notes): the comparison's runs, warmed up."""
    comparison = engine.COMPARISONS[name]
    runs = comparison.trainers()
    notes = [("warning", f"Run '{run}' diverged during the warm-up and stopped at "
                         f"iteration {tr.iteration}.")
             for run, tr in runs.items() if tr.iteration < comparison.steps]
    return runs, notes


def from_upload(name, data, settings, max_bytes=MAX_BYTES):
    """A fresh model on an uploaded or pasted text, one step taken. ``name`` (a file's
    name: anything) is quoted in messages escaped (dashboard.literal)."""
    name = literal(name)
    try:
        return build(data, settings, max_bytes=max_bytes)
    except engine.CorpusError as err:
        raise engine.CorpusError(f"{name}: {err}") from None


def from_checkpoint(name, data):
    """A Trainer resumed from checkpoint bytes, one step taken; ValueError if it is not
    a readable BPTT Scope checkpoint. ``name`` is quoted escaped, as in from_upload."""
    name = literal(name)
    try:
        trainer = engine.Trainer.load(io.BytesIO(data))
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None
    except Exception as err:      # a hostile file must never reach the screen as a traceback
        raise ValueError(f"{name}: this is not a readable BPTT Scope checkpoint "
                         f"({type(err).__name__}).") from None
    resumed_at = trainer.iteration
    err = advance(trainer, 1)
    if err is None:
        notes = [("success", f"Resumed {name} at iteration {resumed_at} and took one "
                             "step so that every chart has a window to show.")]
    else:
        notes = [("warning", f"Resumed {name} at iteration {resumed_at}, but its next "
                             f"step diverged: {err}")]
    return trainer, notes


def from_exercise(name):
    """(runs, label, notes) for exercise ``name`` (engine.EXERCISES): its lesson built as
    the sidebar builds it, trained to the exercise's iteration (a predict-then-run
    exercise stays at the warm-up: it trains once the prediction is in)."""
    ex = engine.EXERCISES[name]
    if ex.lesson in engine.COMPARISONS and ex.predict:
        # the prediction comes before anything happens: one step, not the warm-up
        # (in which a run may already blow up)
        runs, notes = engine.COMPARISONS[ex.lesson].trainers(steps=1), []
        corpus = engine.COMPARISONS[ex.lesson].corpus
    elif ex.lesson in engine.COMPARISONS:
        runs, notes = from_comparison(ex.lesson)
        corpus = engine.COMPARISONS[ex.lesson].corpus
    else:
        trainer, notes = from_preset(ex.lesson)
        runs, corpus = {ex.lesson: trainer}, engine.PRESETS[ex.lesson].corpus
    if not ex.predict:
        train_to(runs, ex.iteration, notes)
    return runs, f"sample {corpus}", notes


def train_to(runs, iteration, notes):
    """Train every run up to ``iteration``; a run that diverges stops there, noted."""
    for name, trainer in runs.items():
        err = advance(trainer, max(iteration - trainer.iteration, 0))
        if err is not None:
            notes.append(("warning", f"Run '{name}' diverged at iteration "
                                     f"{trainer.iteration}: {err}"))
