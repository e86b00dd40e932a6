"""Building Trainers for the dashboard: from a preset, a comparison, a text or a
checkpoint. Pure (no streamlit); every builder returns (result, notes for the user) and
raises CorpusError / ValueError with a message for a person."""
import io

import engine

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
    """A fresh model on an uploaded or pasted text, one step taken."""
    try:
        return build(data, settings, max_bytes=max_bytes)
    except engine.CorpusError as err:
        raise engine.CorpusError(f"{name}: {err}") from None


def from_checkpoint(name, data):
    """A Trainer resumed from checkpoint bytes, one step taken; ValueError if it is not
    a readable BPTT Scope checkpoint."""
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
    if ex.lesson in engine.COMPARISONS:
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


def from_link(link, progress=None):
    """(runs, label, lesson, notes) rebuilt from a ``links.Link``: the lesson's fresh
    weights, then the same iterations again (training is deterministic, so the weights
    match the shared session's bit for bit). ``progress(fraction, text)`` is called
    during the replay. Raises ValueError / CorpusError for settings the engine refuses."""
    from dashboard import links, session
    if link.lesson in engine.COMPARISONS:
        runs, notes = from_comparison(link.lesson)
        lesson, corpus = link.lesson, engine.COMPARISONS[link.lesson].corpus
    else:
        preset = engine.PRESETS.get(link.lesson)
        corpus = link.text or preset.corpus
        settings = {**(preset.settings if preset else {}), **link.settings}
        if preset is not None and corpus == preset.corpus \
                and _same_settings(preset.settings, settings):
            trainer, notes = from_preset(link.lesson)
            lesson, name = link.lesson, link.lesson
        else:
            trainer, notes = build(engine.read_sample(corpus), settings)
            lesson, name = session.CUSTOM, "run"
        runs = {name: trainer}
    if link.iteration is not None:
        first = next(iter(runs.values()))
        todo = link.iteration - first.iteration
        c = first.config
        cost = links.replay_cost(max(todo, 0), c.hidden_size, c.seq_length, len(runs))
        if todo < 0:
            notes.append(("info", f"This lesson starts at iteration {first.iteration} (its "
                                  f"warm-up), after the {link.iteration} the link asks for."))
        elif cost > links.REPLAY_BUDGET:
            notes.append(("warning", f"The link asks for iteration {link.iteration:,}. "
                                     f"Replaying it would take {cost / links.REPLAY_BUDGET:.1f}"
                                     f" times the replay budget ({links.REPLAY_BUDGET:,} "
                                     "iterations at hidden size 100), so the lesson starts "
                                     "from its beginning. To get there, press Run until "
                                     "that iteration, or ask for a checkpoint (Export tab) "
                                     "and resume from it."))
        else:
            _replay(runs, todo, progress, notes)
    return runs, f"sample {corpus}", lesson, notes


def _replay(runs, n, progress, notes):
    """Train every run ``n`` more iterations in chunks, reporting progress; a run that
    diverges stops there, as it would have in the shared session."""
    live = dict(runs)
    chunk = max(1, n // 50)
    done = 0
    while done < n:
        k = min(chunk, n - done)
        for name, trainer in list(live.items()):
            err = advance(trainer, k)
            if err is not None:
                notes.append(("warning", f"Run '{name}' diverged while replaying: {err}"))
                del live[name]
        done += k
        if progress is not None:
            progress(done / n, f"Replaying the shared lesson: iteration {done:,} of {n:,}")


def _same_settings(preset_settings, settings):
    """Whether ``settings`` are the preset's own (Config defaults where it sets none)."""
    defaults = engine.Config()
    return all(preset_settings.get(k, getattr(defaults, k)) == v for k, v in settings.items())
