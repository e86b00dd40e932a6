"""Shareable links: the lesson, its settings, the iteration reached, the open view and
the selected timestep as query parameters, and back.

Training is deterministic, so a link does not carry weights: opening it replays the same
iterations from the same fresh weights and arrives at the same numbers, bit for bit.
Pure (no streamlit): ``encode`` turns a session into a dict of strings, ``decode`` turns
any dict of strings (hostile ones included) into a ``Link`` or a list of problems.
"""
import math
from dataclasses import dataclass, field

import engine
from dashboard import models
from dashboard.literal import literal
from dashboard.names import CUSTOM, DEFAULT_PRESET, HYPER
from dashboard.views import registry

VIEWS = registry.TITLES         # a link's ?view= is a view's title (views/registry.py)
# Replay budget, in seconds of training as the engine's cost model estimates them
# (engine.cost: every run, its cell and size, Whh's spectrum at diagnostic iterations):
# about 20,000 iterations of min-char-rnn's default model. A link asking for more is
# refused with a sentence; a replay within it trains in chunks that a Stop can end.
REPLAY_SECONDS = 15.0
MAX_VALUE_LENGTH = 200
INT_SETTINGS = ("hidden_size", "seq_length", "seed")
FLOAT_SETTINGS = ("learning_rate", "threshold", "gain")
CHOICES = {"optimizer": engine.trainer.OPTIMIZERS, "clip": engine.clip.CLIP_MODES,
           "whh_init": engine.params.WHH_INITS, "cell": engine.CELLS}
KEYS = ("lesson", "text", *HYPER, "it", "view", "t", "focus")


@dataclass
class Link:
    lesson: str = DEFAULT_PRESET    # preset or comparison name, or CUSTOM
    text: str | None = None                 # shipped sample text (custom lessons)
    settings: dict = field(default_factory=dict)
    iteration: int | None = None
    view: str | None = None
    timestep: int | None = None
    focus: str | None = None


def replay_seconds(runs, iterations):
    """Estimated seconds to train every Trainer of ``runs`` (name -> Trainer) ``iterations``
    more steps (engine.cost: each run's own cost per step and diagnostics)."""
    return sum(engine.cost.training_seconds(tr.cost, tr.iteration, iterations,
                                            tr.config.diagnostics_every)
               for tr in runs.values())


def encode(s, view, timestep):
    """Query parameters for session ``s``: what a link needs to rebuild it."""
    trainer = s.trainer
    params = {"lesson": s.lesson if s.lesson in engine.PRESETS or
              s.lesson in engine.COMPARISONS else CUSTOM}
    if params["lesson"] == CUSTOM:
        name = s.corpus_label.removeprefix("sample ")
        if name in engine.sample_text_names():
            params["text"] = name
    if s.comparison is None:
        for key, value in trainer.settings().items():
            if key in HYPER:
                params[key] = _exact(value) if isinstance(value, float) else str(value)
    else:
        params["focus"] = s.focus
    params["it"] = str(trainer.iteration)
    if view in VIEWS:
        params["view"] = view
    params["t"] = str(timestep)
    return params


def _exact(value):
    """A float as short as it reads back exactly: "5", "0.001", "0.1234567" (``:g`` keeps
    six digits, and a link must rebuild the very run it was taken from)."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def decode(query):
    """(Link, problems): a Link built from whatever in ``query`` (key -> str or list of
    str) makes sense, and a message per thing that did not, or that the link carries
    but cannot be used (each says it is ignored). Never raises. The messages are
    markdown in which every value quoted from the query is escaped (``_short``)."""
    problems, link = [], Link()
    values = {}
    for key, value in query.items():
        if isinstance(value, (list, tuple)):
            if len(value) > 1 and key in KEYS:
                problems.append(f"'{key}' is given {len(value)} times; only the last one "
                                "is used")
            value = value[-1] if value else ""
        value = str(value)
        if key not in KEYS:
            problems.append(f"unknown parameter '{_short(key)}' (ignored)")
        elif len(value) > MAX_VALUE_LENGTH:
            problems.append(f"'{key}' is too long (ignored)")
        else:
            values[key] = value.strip()
    lesson = values.get("lesson", DEFAULT_PRESET)
    if lesson in engine.PRESETS or lesson in engine.COMPARISONS or lesson == CUSTOM:
        link.lesson = lesson
    else:
        problems.append(_none_called("lesson or comparison", lesson,
                                     [*engine.PRESETS, *engine.COMPARISONS, CUSTOM]))
        return Link(), problems + _rest_ignored(values, "lesson")
    comparison = engine.COMPARISONS.get(link.lesson)
    if comparison is not None:
        _comparison_ignores(comparison, values, problems)
    if "text" in values:
        if values["text"] in engine.sample_text_names():
            link.text = values["text"]
        else:
            problems.append(_none_called("sample text", values["text"],
                                         engine.sample_text_names()))
    if link.lesson == CUSTOM and link.text is None:
        problems.append("a custom lesson needs a shipped sample text ('text')")
        return Link(), problems + _rest_ignored(values, "lesson", "text")
    for key in HYPER:
        if key in values:
            value, problem = _setting(key, values[key])
            if problem:
                problems.append(problem)
            else:
                link.settings[key] = value
    link.iteration = _whole(values, "it", 0, 10**9, problems)
    link.timestep = _whole(values, "t", 0, 10**6, problems)
    if "view" in values:
        if values["view"] in VIEWS:
            link.view = values["view"]
        else:
            problems.append(_none_called("view", values["view"], VIEWS))
    if "focus" in values:
        if comparison is None:
            problems.append(f"'focus' ('{_short(values['focus'])}') is ignored: only a "
                            "comparison has several runs to choose from")
        elif values["focus"] in comparison.runs:
            link.focus = values["focus"]
        else:
            problems.append(f"'focus' is ignored: the comparison '{comparison.name}' has no "
                            f"run called '{_short(values['focus'])}' (its runs: "
                            f"{', '.join(comparison.runs)})")
    return link, problems


def _rest_ignored(values, *used):
    """The sentence for a link that cannot be followed at all: what else it carried."""
    rest = [key for key in KEYS if key in values and key not in used]
    return [f"so {', '.join(rest)} in the link {'is' if len(rest) == 1 else 'are'} "
            "ignored"] if rest else []


def _comparison_ignores(comparison, values, problems):
    """A comparison's runs have their own settings and text: a link's are dropped, and
    said to be (before they are read, so none of them is used)."""
    settings = [key for key in HYPER if key in values]
    if settings:
        problems.append(f"the comparison '{comparison.name}' sets its runs' settings itself, "
                        f"so {', '.join(settings)} in the link "
                        f"{'is' if len(settings) == 1 else 'are'} ignored")
    if "text" in values and values["text"] != comparison.corpus:
        problems.append(f"the comparison '{comparison.name}' trains on "
                        f"{comparison.corpus}, so 'text' ('{_short(values['text'])}') is "
                        "ignored")
    for key in settings + ["text"]:
        values.pop(key, None)


def _setting(key, text):
    """(value, None) or (None, problem) for one model setting."""
    if key in CHOICES:
        if text in CHOICES[key]:
            return text, None
        return None, f"'{key}' must be one of {', '.join(CHOICES[key])}"
    try:
        value = int(text) if key in INT_SETTINGS else float(text)
    except (ValueError, OverflowError):
        kind = "a whole number" if key in INT_SETTINGS else "a number"
        return None, f"'{key}' must be {kind}, not '{_short(text)}'"
    if isinstance(value, float) and not math.isfinite(value):
        return None, f"'{key}' must be finite"
    return value, None


def _whole(values, key, low, high, problems):
    if key not in values:
        return None
    try:
        value = int(values[key])
    except (ValueError, OverflowError):
        problems.append(f"'{key}' must be a whole number, not '{_short(values[key])}'")
        return None
    if not low <= value <= high:
        problems.append(f"'{key}' must be from {low} to {high:,}")
        return None
    return value


def _none_called(kind, value, choices):
    """The sentence for a name the link gives that does not exist, with the ones that do:
    'prose' for 'prose.txt' is then a typo the reader can mend."""
    return (f"there is no {kind} called '{_short(value)}' (there are "
            f"{', '.join(literal(str(c)) for c in choices)})")


def _short(text, n=40):
    """A value from the query string, shortened and escaped (dashboard.literal): quoted
    in a message, it shows as written and never becomes a link, an image or HTML."""
    text = str(text)
    return literal(text) if len(text) <= n else literal(text[:n]) + "…"


# -- replaying a link: its lesson's fresh runs, trained to its iteration ----------------
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
    """The :class:`Replay` a :class:`Link` asks for: the lesson's runs, fresh, and the
    iterations to train them. A replay the engine's cost model puts over
    ``REPLAY_SECONDS`` is refused with a note (the lesson opens at its start).
    Raises ValueError / CorpusError for settings the engine refuses."""
    if link.lesson in engine.COMPARISONS:
        runs, notes = models.from_comparison(link.lesson)
        lesson, corpus = link.lesson, engine.COMPARISONS[link.lesson].corpus
    else:
        preset = engine.PRESETS.get(link.lesson)
        corpus = link.text or preset.corpus
        settings = {**(preset.settings if preset else {}), **link.settings}
        if preset is not None and corpus == preset.corpus \
                and _same_settings(preset.settings, settings):
            trainer, notes = models.from_preset(link.lesson)
            lesson, name = link.lesson, link.lesson
        else:
            trainer, notes = models.build(engine.read_sample(corpus), settings)
            lesson, name = CUSTOM, "run"
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
    seconds = replay_seconds(runs, todo)
    if seconds > REPLAY_SECONDS:
        c = first.config
        what = (f"{len(runs)} runs" if len(runs) > 1 else
                f"a {c.cell} model with hidden_size {c.hidden_size}, seq_length "
                f"{c.seq_length}")
        notes.append(("warning", f"The link asks for iteration {link.iteration:,}. "
                                 f"Replaying it ({todo:,} iterations of {what}) would take "
                                 f"about {_duration(seconds)} of training by the engine's "
                                 "cost model, more than the replay budget of "
                                 f"{REPLAY_SECONDS:.0f} s, so the lesson starts from "
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
        err = models.advance(trainer, goal - trainer.iteration)
        if err is not None:
            replay.diverged.add(name)
            replay.notes.append(("warning", f"Run '{name}' diverged while replaying: {err}"))


def from_link(link, progress=None):
    """(runs, label, lesson, notes) rebuilt from a :class:`Link` in one go: the lesson's
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
