"""Building Trainers for the dashboard: from a preset, a comparison, a text or a
checkpoint. Pure (no streamlit); every builder returns (result, notes for the user) and
raises CorpusError / ValueError with a message for a person."""
import io
from dataclasses import dataclass, field

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


@dataclass
class Replay:
    """A link's lesson rebuilt from fresh weights, on its way to the iteration the link
    asks for: trained a chunk at a time (``replay_some``), so that the page can show
    progress and a Stop between chunks. How far it got is read from the runs
    themselves, so an interrupted chunk can never be counted wrong."""

    runs: dict                  # run name -> Trainer
    label: str
    lesson: str
    notes: list                 # (level, text) to show once the lesson is open
    total: int                  # iterations the replay trains every run
    seconds: float              # the engine's estimate for all of them (engine.cost)
    view: str | None = None
    timestep: int | None = None
    focus: str | None = None
    stopped: bool = False
    diverged: set = field(default_factory=set)
    start: int = 0              # the first run's iteration before the replay

    def __post_init__(self):
        self.start = max(tr.iteration for tr in self.runs.values())

    @property
    def _first(self):
        return next(iter(self.runs.values()))

    @property
    def target(self):
        """The iteration the link asks for (every run trains up to it)."""
        return self.start + self.total

    @property
    def done(self):
        return max(tr.iteration for tr in self.runs.values()) - self.start

    @property
    def finished(self):
        return self.stopped or self.done >= self.total or len(self.diverged) == len(self.runs)

    def stop(self):
        """End the replay where it is (the lesson opens at the iteration reached)."""
        if not self.finished:
            self.stopped = True
            self.notes.append(("info", f"Replay stopped at iteration "
                                       f"{self._first.iteration:,} of {self.target:,}, as "
                                       "asked. Press Run to train on from here."))


def link_replay(link):
    """The :class:`Replay` a ``links.Link`` asks for: the lesson's runs, fresh, and the
    iterations to train them. A replay the engine's cost model puts over
    ``links.REPLAY_SECONDS`` is refused with a note (the lesson opens at its start).
    Raises ValueError / CorpusError for settings the engine refuses."""
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
            if preset is not None:      # the lesson's sentences would not hold: say so
                notes.append(("info", f"The link changes the lesson '{link.lesson}' (its "
                                      f"{'text' if corpus != preset.corpus else 'settings'}"
                                      "), so it opens as your own settings, without the "
                                      "lesson's notes."))
        runs = {name: trainer}
    replay = Replay(runs, f"sample {corpus}", lesson, notes, 0, 0.0, link.view,
                    link.timestep, link.focus)
    shown = runs.get(link.focus) or next(iter(runs.values()))
    T = shown.config.seq_length
    if link.timestep is not None and link.timestep >= T:
        notes.append(("info", f"The link asks for t = {link.timestep:,}, past the last step "
                              f"of the window (t = {T - 1}): showing t = {T - 1}."))
    if link.lesson in engine.COMPARISONS:      # diverged in the warm-up: stopped there
        steps = engine.COMPARISONS[link.lesson].steps
        replay.diverged = {n for n, tr in runs.items() if tr.iteration < steps}
    if link.iteration is None:
        return replay
    first = next(iter(runs.values()))
    todo = link.iteration - replay.start
    if todo < 0:
        notes.append(("info", f"This lesson starts at iteration {replay.start} (its "
                              f"warm-up), after the {link.iteration} the link asks for."))
        return replay
    seconds = links.replay_seconds(runs, todo)
    if seconds > links.REPLAY_SECONDS:
        c = first.config
        what = (f"{len(runs)} runs" if len(runs) > 1 else
                f"a {c.cell} model with hidden_size {c.hidden_size}, seq_length "
                f"{c.seq_length}")
        notes.append(("warning", f"The link asks for iteration {link.iteration:,}. "
                                 f"Replaying it ({todo:,} iterations of {what}) would take "
                                 f"about {_duration(seconds)} of training by the engine's "
                                 "cost model, more than the replay budget of "
                                 f"{links.REPLAY_SECONDS:.0f} s, so the lesson starts from "
                                 "its beginning. To get there, press Run until that "
                                 "iteration, or ask for a checkpoint (Export tab) and "
                                 "resume from it."))
        return replay
    replay.total, replay.seconds = todo, seconds
    return replay


def replay_some(replay, seconds):
    """Train every run of ``replay`` that has not diverged about ``seconds`` more (by
    the estimate), at least one iteration, never past the target. A run that diverges
    stops there, as it would have in the shared session."""
    if replay.finished:
        return
    per_iteration = replay.seconds / max(replay.total, 1)
    k = max(1, int(seconds / max(per_iteration, 1e-9)))
    goal = min(replay.target, replay.start + replay.done + k)
    for name, trainer in replay.runs.items():
        if name in replay.diverged or trainer.iteration >= goal:
            continue
        err = advance(trainer, goal - trainer.iteration)
        if err is not None:
            replay.diverged.add(name)
            replay.notes.append(("warning", f"Run '{name}' diverged while replaying: {err}"))


def from_link(link, progress=None):
    """(runs, label, lesson, notes) rebuilt from a ``links.Link`` in one go: the lesson's
    fresh weights, then the same iterations again (training is deterministic, so the
    weights match the shared session's bit for bit). ``progress(fraction, text)`` is
    called between chunks."""
    replay = link_replay(link)
    while not replay.finished:
        replay_some(replay, max(replay.seconds / 50, 0.05))
        if progress is not None:
            progress(replay.done / replay.total, f"Replaying the shared lesson: iteration "
                                                 f"{replay.done:,} of {replay.total:,}")
    return replay.runs, replay.label, replay.lesson, replay.notes


def _duration(seconds):
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:,.0f} days"


def _same_settings(preset_settings, settings):
    """Whether ``settings`` are the preset's own (Config defaults where it sets none)."""
    defaults = engine.Config()
    return all(preset_settings.get(k, getattr(defaults, k)) == v for k, v in settings.items())
