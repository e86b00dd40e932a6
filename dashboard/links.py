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
from dashboard import session

VIEWS = ("Training", "Timestep explorer", "Gradient flow", "BPTT code", "Gradient check",
         "Export")
CUSTOM = "custom"
# Replay budget: 20,000 iterations of min-char-rnn's size (H 100, T 25, one run). The
# cost of an iteration grows with H^2 * T (the recurrence) and with the number of runs.
REPLAY_BUDGET = 20_000
MAX_VALUE_LENGTH = 200
INT_SETTINGS = ("hidden_size", "seq_length", "seed")
FLOAT_SETTINGS = ("learning_rate", "threshold", "gain")
CHOICES = {"optimizer": engine.trainer.OPTIMIZERS, "clip": engine.clip.CLIP_MODES,
           "whh_init": engine.params.WHH_INITS, "cell": engine.CELLS}
KEYS = ("lesson", "text", *session.HYPER, "it", "view", "t", "focus")


@dataclass
class Link:
    lesson: str = session.DEFAULT_PRESET    # preset or comparison name, or CUSTOM
    text: str | None = None                 # shipped sample text (custom lessons)
    settings: dict = field(default_factory=dict)
    iteration: int | None = None
    view: str | None = None
    timestep: int | None = None
    focus: str | None = None


def replay_cost(iterations, hidden_size, seq_length, runs=1):
    """Iterations of min-char-rnn's size (H 100, T 25) the replay is worth."""
    return iterations * runs * (hidden_size / 100) ** 2 * seq_length / 25


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
            if key in session.HYPER:
                params[key] = f"{value:g}" if isinstance(value, float) else str(value)
    else:
        params["focus"] = s.focus
    params["it"] = str(trainer.iteration)
    if view in VIEWS:
        params["view"] = view
    params["t"] = str(timestep)
    return params


def decode(query):
    """(Link, problems): a Link built from whatever in ``query`` (key -> str or list of
    str) makes sense, and a message per thing that did not. Never raises."""
    problems, link = [], Link()
    values = {}
    for key, value in query.items():
        if isinstance(value, (list, tuple)):
            value = value[-1] if value else ""
        value = str(value)
        if key not in KEYS:
            problems.append(f"unknown parameter '{_short(key)}' (ignored)")
        elif len(value) > MAX_VALUE_LENGTH:
            problems.append(f"'{key}' is too long (ignored)")
        else:
            values[key] = value.strip()
    lesson = values.get("lesson", session.DEFAULT_PRESET)
    if lesson in engine.PRESETS or lesson in engine.COMPARISONS or lesson == CUSTOM:
        link.lesson = lesson
    else:
        problems.append(f"there is no lesson or comparison called '{_short(lesson)}'")
        return Link(), problems
    if "text" in values:
        if values["text"] in engine.sample_text_names():
            link.text = values["text"]
        else:
            problems.append(f"there is no sample text called '{_short(values['text'])}'")
    if link.lesson == CUSTOM and link.text is None:
        problems.append("a custom lesson needs a shipped sample text ('text')")
        return Link(), problems
    for key in session.HYPER:
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
            problems.append(f"there is no view called '{_short(values['view'])}'")
    if "focus" in values:
        link.focus = values["focus"]
    return link, problems


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


def _short(text, n=40):
    text = str(text)
    return text if len(text) <= n else text[:n] + "…"
