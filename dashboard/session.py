"""The dashboard's session: one typed object, changed only here.

``st.session_state["session"]`` holds a :class:`Session`: the runs (1 to 4 Trainers that
train in lockstep), which one the detailed views show, the lesson, messages, live
training. Widget values live under their widget keys, all listed in ``WIDGETS``; only the
functions below (called from widget callbacks, before the script reruns) write them, so
no view writes a widget key while it renders. Nothing here imports streamlit: ``ss`` is
``st.session_state`` in the app and a plain dict in tests. A failed operation never
touches the runs the user already has.
"""
import re
import time
from collections import deque
from contextlib import nullcontext
from dataclasses import dataclass, field

import engine
from dashboard import links, models, pool
from dashboard.background import BackgroundTraining
from dashboard.names import (  # noqa: F401  (read as session.X by the sidebar and actions)
    ARCHITECTURE,
    CUSTOM,
    DEFAULT_PRESET,
    HP_KEY,
    HYPER,
    NO_COMPARISON,
    OWN_TEXT,
    TRAINING,
)
from dashboard.views import registry

MAX_RUNS = 4
LATEST_SAMPLES = 3              # samples kept per run besides the log-spaced ones
SAMPLE_MARKS = (1, 10, 100, 1000, 10000, 100000)   # the first sample at or after each is kept:
                                # the noise-to-words story survives a long run
SAMPLE_LENGTH = 200

# Live training: the choices of "iterations per refresh (at most)". The largest (the
# default) is more than a default-sized model trains between two refreshes.
ITERS_PER_REFRESH = (1, 2, 3, 4, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)

# Every widget key the app uses, with the value it starts at. Widgets whose value is
# the model's (hp_*, focus, timestep) are set by ``install`` / ``set_timestep``.
WIDGETS = {
    "step": None, "run": None, "pause": None, "fork": None, "remove_run": None,
    "apply": None, "reset": None, "paste_apply": None,
    "preset": DEFAULT_PRESET, "comparison": NO_COMPARISON, "focus": None,
    "timestep": 0, "direction_choice": "backward", "sample_char": None,
    "sample_text": None, "corpus_upload": None, "checkpoint_upload": None,
    "paste_text": "", "iters_per_refresh": ITERS_PER_REFRESH[-1], "temperature": 1.0, "play": None,
    "play_speed": 2, "tour_next": None, "tour_back": None, "tour_leave": None,
    "tour_start": None, "replay_stop": None, "exercise_answer": "", "exercise_check": None,
    "exercise_hint": None, "exercise_reveal": None,
    "present": False, "fixed_colour": True, "present_step": None, "present_run": None,
    "present_exit": None, "present_keys": None,
    **{key: None for key in HP_KEY.values()},
}


@dataclass
class Session:
    runs: dict                          # run name -> Trainer, in display order (1 to 4)
    focus: str                          # the run the detailed views show
    lesson: str = CUSTOM                # active preset or comparison name, or CUSTOM
    corpus_label: str = ""              # where the text came from, for the status line
    running: bool = False               # live training on
    walk_direction: str = "backward"    # the explorer's Previous/Next direction
    generation: int = 0                 # bumps when the runs are replaced: resets zoom
    messages: list = field(default_factory=list)         # (level, text) until next action
    diverged: dict = field(default_factory=dict)         # run name -> why it stopped
    samples: dict = field(default_factory=dict)          # run name -> [(iteration, temp, text)]
    rate_marks: deque = field(default_factory=lambda: deque(maxlen=12))
    gradcheck: dict | None = None       # last gradient check of the focused run
    window_cache: dict = field(default_factory=dict)     # see dashboard.window
    sidebar_stale: bool = False         # changed inside the live fragment: rerun the app
    edited: bool = False                # runs changed by hand (fork, retune, ...): a link
                                        # replays the lesson, not those changes
    tour_step: int | None = None        # the guided tour's step, None when not touring
    lapses: dict = field(default_factory=dict)   # claim text -> (iteration, measured) when
                                        # it stopped holding before its promised end
    playing: bool = False               # the explorer's walk plays by itself
    render_seconds: float = 0.0         # drawing time of the last live refresh
    page_cycle: float = 0.0             # the page's last refresh cycle, request to painted
    deferred: float = 0.0               # the last refresh's wait for other pages' clicks
    live_request: bool = False          # this run is a live refresh the page asked for
    refreshes: int = 0                  # views drawn so far (numbers the live refreshes)
    worker: BackgroundTraining | None = None   # trains the runs while running
    queued: bool = False                # running, but waiting for a place to train
    charts_sent: dict = field(default_factory=dict)  # chart key -> digests of the figures
                                        # this page was sent last (dashboard.plotly_element)
    exercise: str | None = None         # the open exercise (engine.EXERCISES), if any
    exercise_status: dict = field(default_factory=dict)  # its verdict, hint, reveal, ...
    exercise_problem: str | None = None  # an ?exercise= name that does not exist (raw)

    @property
    def homework(self):
        """The open exercise, or None."""
        return engine.EXERCISES.get(self.exercise) if self.exercise else None
    replay: links.Replay | None = None   # a link's lesson being replayed, chunk by chunk

    @property
    def trainer(self):
        """The focused run's Trainer."""
        return self.runs[self.focus]

    @property
    def comparison(self):
        return engine.COMPARISONS.get(self.lesson)

    @property
    def preset(self):
        return engine.PRESETS.get(self.lesson)


def get(ss):
    return ss["session"]


# -- starting and replacing runs ------------------------------------------------------
def init(ss):
    """First run of a browser session: the default preset, one step taken."""
    if "session" in ss:
        return
    for key, value in WIDGETS.items():
        if value is not None:
            ss.setdefault(key, value)
    trainer, notes = models.from_preset(DEFAULT_PRESET)
    ss["sample_text"] = engine.PRESETS[DEFAULT_PRESET].corpus
    ss["session"] = Session(runs={}, focus="")
    install(ss, {DEFAULT_PRESET: trainer}, f"sample {ss['sample_text']}", DEFAULT_PRESET,
            notes)


def install(ss, runs, label, lesson=CUSTOM, notes=()):
    """Make ``runs`` (name -> Trainer) the session's runs and reset what derives from them."""
    halt(ss)
    s = get(ss)
    s.runs = dict(runs)
    s.focus = next(iter(s.runs))
    s.lesson, s.corpus_label = lesson, label
    s.running = False
    s.generation += 1
    s.diverged, s.samples, s.gradcheck, s.lapses = {}, {}, None, {}
    s.edited = s.playing = False
    s.exercise, s.exercise_status = None, {}        # new runs: an open exercise closes
    s.exercise_problem = None
    s.tour_step = None              # the tour describes one lesson: new runs close it
    s.rate_marks.clear()
    s.window_cache.clear()
    ss["preset"] = lesson if lesson in engine.PRESETS else CUSTOM
    ss["comparison"] = lesson if lesson in engine.COMPARISONS else NO_COMPARISON
    taught = engine.PRESETS.get(lesson) or engine.COMPARISONS.get(lesson)
    if taught is not None:              # a pace the class can follow
        ss["iters_per_refresh"] = pace_choice(taught.pace)
    if lesson != CUSTOM:
        ss["fixed_colour"] = True       # lessons compare colours across views and runs
    _show_focus(ss)
    for level, text in notes:
        flash(ss, level, text)
    T = s.trainer.config.seq_length
    set_timestep(ss, 0 if s.walk_direction == "forward" else T - 1)


def pace_choice(pace):
    """The largest choice of iterations per refresh not above ``pace``."""
    return max([n for n in ITERS_PER_REFRESH if n <= pace] or [ITERS_PER_REFRESH[0]])


def lesson_claims(ss):
    """The active lesson's claims on the runs now (engine.lesson_claims), [] without a
    lesson. A claim that stopped holding before the end it promised is remembered (the
    first iteration it was seen false) until the lesson is rebuilt."""
    s = get(ss)
    if s.lesson not in engine.PRESETS and s.lesson not in engine.COMPARISONS:
        return []
    results = engine.lesson_claims(s.lesson, s.runs)
    iteration = max(tr.iteration for tr in s.runs.values())
    for r in results:
        if not r.holds and not r.ended and not r.pending and r.text not in s.lapses:
            s.lapses[r.text] = (iteration, r.measured)
    return results


def open_link(ss, runs, label, lesson, notes, view=None, timestep=None, focus=None):
    """Install runs rebuilt from a shared link, then its view, focus and timestep."""
    install(ss, runs, label, lesson, notes)
    if label.removeprefix("sample ") in engine.sample_text_names():
        ss["sample_text"] = label.removeprefix("sample ")     # the sidebar shows the text
    if focus in get(ss).runs:
        set_focus(ss, focus)
    if view is not None:
        ss["view"] = view
    if timestep is not None:
        set_timestep(ss, timestep)


def open_exercise(ss, name, runs, label, notes):
    """Install an exercise's lesson (``runs``, built by models.from_exercise) and show
    the exercise: its view, its timestep, walking backward, an empty answer box."""
    ex = engine.EXERCISES[name]
    get(ss).walk_direction = ss["direction_choice"] = "backward"
    install(ss, runs, label, ex.lesson, notes)
    s = get(ss)
    s.exercise, s.exercise_status, s.exercise_problem = name, {}, None
    ss["exercise_answer"] = ""
    if label.removeprefix("sample ") in engine.sample_text_names():
        ss["sample_text"] = label.removeprefix("sample ")     # the sidebar shows the text
    ss["view"] = registry.by_title(ex.view).title
    if ex.t is not None:
        set_timestep(ss, ex.t)


def exercise_missing(ss, raw):
    """Remember an ?exercise= value that names no exercise (shown as plain text)."""
    get(ss).exercise_problem = raw


def exercise_note(ss, **changes):
    """Record what happened to the open exercise (verdict, hint, reveal, prediction)."""
    get(ss).exercise_status.update(changes)


def close_exercise(ss):
    s = get(ss)
    s.exercise, s.exercise_status, s.exercise_problem = None, {}, None
def begin_replay(ss, replay):
    """Replay a link's lesson (links.Replay) chunk by chunk over the next script runs;
    the runs on screen stay until it is finished or stopped."""
    get(ss).replay = replay


def stop_replay(ss):
    """The Stop button: the replay ends at the iteration it reached."""
    replay = get(ss).replay
    if replay is not None:
        replay.stop()


def finish_replay(ss):
    """Open the replayed lesson (finished or stopped) with its notes."""
    s = get(ss)
    r, s.replay = s.replay, None
    if r is not None:
        open_link(ss, r.runs, r.label, r.lesson, r.notes, r.view, r.timestep, r.focus)


def replace_focused(ss, trainer, notes=()):
    """A new model in place of the focused run (same position in the list)."""
    halt(ss)
    s = get(ss)
    if len(s.runs) == 1:
        install(ss, {s.focus: trainer}, s.corpus_label, CUSTOM, notes)
        return
    s.runs[s.focus] = trainer
    s.edited = True
    s.diverged.pop(s.focus, None)
    s.samples.pop(s.focus, None)
    s.lesson = CUSTOM
    s.tour_step = None
    s.generation += 1
    ss["preset"], ss["comparison"] = CUSTOM, NO_COMPARISON
    _show_focus(ss)
    for level, text in notes:
        flash(ss, level, text)
    clamp_timestep(ss)


def fork(ss, changes):
    """Add a copy of the focused run with ``changes`` to its live settings. Returns the
    new run's name. Raises ValueError (message for a person) on a fifth run or a bad
    change; nothing changes then."""
    halt(ss)
    s = get(ss)
    if len(s.runs) >= MAX_RUNS:
        raise ValueError(f"A session holds at most {MAX_RUNS} runs side by side. Remove a "
                         "run first (select it under 'Focus', then 'Remove').")
    twin = s.trainer.fork(**changes)
    name = unique_name(s.runs, run_name(changes) if changes else f"{s.focus} copy")
    s.runs[name] = twin
    s.edited = True
    set_focus(ss, name)
    return name


def remove(ss, name):
    """Remove run ``name``; the last run cannot be removed."""
    halt(ss)
    s = get(ss)
    if len(s.runs) <= 1:
        raise ValueError("This is the only run: there must always be one. Load a preset "
                         "or a text to replace it instead.")
    del s.runs[name]
    s.edited = True
    s.diverged.pop(name, None)
    s.samples.pop(name, None)
    if s.focus == name:
        set_focus(ss, next(iter(s.runs)))


def set_focus(ss, name):
    s = get(ss)
    if name not in s.runs:
        return
    s.focus = name
    s.gradcheck = None
    _show_focus(ss)
    clamp_timestep(ss)


def retune(ss, changes):
    """Apply live-setting ``changes`` to the focused run (weights kept)."""
    halt(ss)
    s = get(ss)
    s.trainer.retune(**changes)
    s.edited = True
    s.diverged.pop(s.focus, None)
    if s.preset is not None:            # a comparison's lesson still holds for its runs
        s.lesson = ss["preset"] = CUSTOM
        s.tour_step = None
    _show_focus(ss)


def run_name(changes):
    """A run's name that says what changed: 'clip none', 'lr 0.01, sgd'."""
    short = {"learning_rate": "lr", "threshold": "threshold", "hidden_size": "H",
             "seq_length": "T", "whh_init": "Whh"}
    parts = []
    for key, value in changes.items():
        if key in ("clip", "optimizer"):
            parts.append(f"{key} {value}" if key == "clip" else str(value))
        else:
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            parts.append(f"{short.get(key, key)} {shown}")
    return ", ".join(parts)


def unique_name(runs, name):
    name = re.sub(r"\s+", " ", name).strip() or "run"
    if name not in runs:
        return name
    k = 2
    while f"{name} ({k})" in runs:
        k += 1
    return f"{name} ({k})"


# -- the sidebar's widgets ----------------------------------------------------------
def _show_focus(ss):
    """Point the focus selector and the settings widgets at the focused run."""
    s = get(ss)
    ss["focus"] = s.focus
    settings = s.trainer.settings()
    for name, key in HP_KEY.items():
        ss[key] = settings[name]


def widget_settings(ss):
    """The settings shown in the sidebar, with the focused model's other settings."""
    settings = dict(get(ss).trainer.settings())
    for name, key in HP_KEY.items():
        if ss.get(key) is not None:
            settings[name] = ss[key]
    return settings


def pending_changes(ss):
    """Names of sidebar settings that differ from the focused model's."""
    current, shown = get(ss).trainer.settings(), widget_settings(ss)
    return [n for n in HYPER if shown[n] != current[n]]


def set_timestep(ss, t):
    T = get(ss).trainer.config.seq_length
    ss["timestep"] = min(max(int(t), 0), T - 1)


def clamp_timestep(ss):
    set_timestep(ss, ss.get("timestep", 0))
    return ss["timestep"]


def set_direction(ss, direction):
    s = get(ss)
    s.walk_direction = direction
    ss["direction_choice"] = direction
    T = s.trainer.config.seq_length
    set_timestep(ss, T - 1 if direction == "backward" else 0)


def tour_go(ss, k):
    """Show stop ``k`` of the guided tour (None leaves it): its view, its timestep,
    walking backward."""
    from dashboard import tour
    s = get(ss)
    if k is None or not 0 <= k < len(tour.STOPS):
        s.tour_step = None
        return
    stop = tour.STOPS[k]
    s.tour_step = k
    s.playing = False
    s.walk_direction = ss["direction_choice"] = "backward"
    ss["view"] = tour.view(stop).title
    set_timestep(ss, tour.timestep(stop, s.trainer.config.seq_length))


def set_playing(ss, playing):
    """Start or stop the explorer's walk; starting at the end of the walk starts over."""
    s = get(ss)
    if playing and _walk_next(ss) is None:
        set_direction(ss, s.walk_direction)
    s.playing = playing


def walk_step(ss):
    """One step of the playing walk. Returns False (and stops) at the end."""
    t = _walk_next(ss)
    if t is None:
        get(ss).playing = False
        return False
    ss["timestep"] = t
    return True


def _walk_next(ss):
    """The next timestep along the walk's direction, None past the end."""
    s = get(ss)
    t = ss["timestep"] + (-1 if s.walk_direction == "backward" else 1)
    return t if 0 <= t < s.trainer.config.seq_length else None


# -- presentation mode and colour -------------------------------------------------------
def presenting(ss):
    """Presentation mode: no sidebar, no long texts, larger fonts, one chart enlarged,
    keys for Step, t and Run/Pause (the toggle in the sidebar, or ?present=1)."""
    return bool(ss.get("present", False))


def set_presenting(ss, on):
    """Turn presentation mode on or off (call before its toggle is drawn: from a
    callback, or the first script run of a link with ?present=1)."""
    ss["present"] = bool(on)


def fixed_colour(ss):
    """Magnitude heatmaps on one fixed log colour scale (style.FIXED_DECADES), the
    same in every view and run, instead of each from its own smallest to largest."""
    return bool(ss.get("fixed_colour", True))


def move_timestep(ss, delta):
    """Move the selected timestep ``delta`` steps right (negative: left), within the
    window."""
    set_timestep(ss, ss.get("timestep", 0) + delta)


# -- messages -------------------------------------------------------------------------
def flash(ss, level, text):
    """Queue a message ("error", "warning", "info", "success") until the next action."""
    get(ss).messages.append((level, text))


def begin_action(ss):
    get(ss).messages = []


# -- training -------------------------------------------------------------------------
def active_runs(ss):
    s = get(ss)
    return [name for name in s.runs if name not in s.diverged]


def step(ss, n=1):
    """Advance every run that has not diverged by the same ``n`` iterations (Step; live
    training is dashboard.background's). A run that diverges stops and says why; the
    others go on. Returns the number of iterations trained."""
    halt(ss)
    s = get(ss)
    names = active_runs(ss)
    done = 0
    while done < n and names:
        for name in list(names):
            err = models.advance(s.runs[name], 1)
            if err is not None:
                s.diverged[name] = str(err)
                names.remove(name)
        done += 1
    if not names:
        s.running = False
    return done


def start_running(ss):
    s = get(ss)
    begin_action(ss)
    if not active_runs(ss):
        flash(ss, "warning", "Every run has diverged, so there is nothing to train. Lower "
                             "the learning rate, clip, or reset.")
        return
    s.running = True
    s.rate_marks.clear()


def stop_running(ss):
    halt(ss)
    get(ss).running = False


def halt(ss):
    """Stop the background training (if any) before the runs are changed or read
    outside a drawing; its divergences are kept. ``running`` is unchanged: the next
    refresh starts a new worker if still running."""
    s = get(ss)
    if s.worker is None:
        return
    s.worker.stop()
    s.diverged.update(s.worker.diverged)
    s.worker = None


def keep_training(ss, cap, page_open=None, pace_seconds=None):
    """While running: the runs train in the background, at most ``cap`` iterations
    between two refreshes, and are brought up to date. Picks up runs that diverged
    meanwhile; when none is left, training stops. When the server trains as many
    sessions as it takes, the session waits (``queued``) and tries again at the next
    refresh. ``page_open()`` says whether the page is still there; ``pace_seconds``:
    see background.BackgroundTraining. Call inside :func:`drawing`."""
    s = get(ss)
    if s.worker is not None:
        s.worker.refreshed(cap)
        s.diverged.update(s.worker.diverged)
        if s.worker.failed:
            flash(ss, "error", f"Live training stopped on an unexpected error "
                               f"({s.worker.failed}). Reset if the charts look wrong.")
            s.running = False
        if not s.running or not s.worker.alive:
            halt(ss)
    names = active_runs(ss)
    if not names:
        s.running = False
    s.queued = False
    if s.running and s.worker is None:
        try:
            s.worker = BackgroundTraining(s.runs, names, cap, page_open, pace_seconds)
        except pool.Full:
            s.queued = True


def drawing(ss):
    """Context for reading the runs while they may train: the worker waits meanwhile."""
    worker = ss["session"].worker if "session" in ss else None
    return worker.drawing() if worker is not None else nullcontext()


def note_refresh(ss, seconds=None):
    """Count a refresh of the views and, while live, remember how long the server took
    to draw it. Returns the count."""
    s = get(ss)
    s.refreshes += 1
    if seconds is not None:
        s.render_seconds = seconds
    return s.refreshes


def note_live_refresh(ss):
    """The page asks for a live refresh (the pacer's trigger, dashboard/live.py)."""
    get(ss).live_request = True


def note_page_cycle(ss, seconds):
    """The page's last live refresh took ``seconds`` from its request to its painting."""
    get(ss).page_cycle = seconds


def take_live_refresh(ss):
    """Whether this run is a live refresh the page asked for (once per request)."""
    if "session" not in ss:
        return False
    s = get(ss)
    asked, s.live_request = s.live_request, False
    return asked


def note_deferred(ss, seconds):
    """This live refresh waited ``seconds`` for other pages' clicks to be answered."""
    get(ss).deferred = seconds


def charts_sent(ss):
    """Chart element key -> digests of the figures last sent to this session's page
    under it (in order), or None before the session exists (then every figure is sent
    whole)."""
    return get(ss).charts_sent if "session" in ss else None


def note_charts_sent(ss, key, digests):
    """Chart element ``key`` has just been sent figures with ``digests`` (in order)."""
    sent = charts_sent(ss)
    if sent is not None:
        sent[key] = tuple(digests)


def forget_chart(ss, key):
    """The page lost a figure of chart element ``key`` (its copy was dropped): send
    its figures whole next time."""
    sent = charts_sent(ss)
    if sent is not None:
        sent.pop(key, None)


def mark_rate(ss, now=None):
    s = get(ss)
    iterations = sum(tr.iteration for tr in s.runs.values())
    s.rate_marks.append((time.perf_counter() if now is None else now, iterations))


def iterations_per_second(ss):
    """Iterations per second summed over the runs, over the last few refreshes."""
    marks = get(ss).rate_marks
    if len(marks) < 2:
        return None
    (t0, i0), (t1, i1) = marks[0], marks[-1]
    return (i1 - i0) / (t1 - t0) if t1 > t0 else None


def latest_samples(ss, name, temperature):
    """Samples of run ``name`` at its current iteration and ``temperature`` (generated
    once), newest first: the latest few and the first at or after each of
    SAMPLE_MARKS (10, 100, 1,000, 10,000 iterations), so a long run keeps its start."""
    s = get(ss)
    trainer = s.runs[name]
    samples = s.samples.setdefault(name, [])
    key = (trainer.iteration, round(float(temperature), 4))
    if not samples or samples[-1][:2] != key:
        try:
            text = trainer.sample(SAMPLE_LENGTH, temperature=temperature,
                                  rng_seed=trainer.iteration)
        except ValueError as err:
            text = f"(cannot sample: {err})"
        if samples and samples[-1][0] == key[0]:
            samples.pop()                 # same iteration, new temperature: replace
        samples.append((*key, text))
        samples[:] = kept_samples(samples)
    return list(reversed(samples))


def kept_samples(samples):
    """Of ``samples`` (iteration, temperature, text) in order: the first at or after each
    of SAMPLE_MARKS, and the last LATEST_SAMPLES."""
    keep = set(range(max(0, len(samples) - LATEST_SAMPLES), len(samples)))
    for mark in SAMPLE_MARKS:
        first = next((i for i, x in enumerate(samples) if x[0] >= mark), None)
        if first is not None:
            keep.add(first)
    return [x for i, x in enumerate(samples) if i in keep]


def set_gradcheck(ss, result):
    get(ss).gradcheck = result


def show_text(ss, name):
    """Point the sidebar's text selector at ``name`` (a shipped text, or OWN_TEXT)."""
    ss["sample_text"] = name


def sidebar_outdated(ss):
    """The sidebar shows what the runs were (changed inside the live fragment): the
    whole app reruns at the next refresh (dashboard.live)."""
    get(ss).sidebar_stale = True


def sidebar_drawn(ss):
    """This script run draws the sidebar from the session."""
    get(ss).sidebar_stale = False


# -- what is computed once per training window (dashboard.window decides what) ---------
def window_memo(s, run, name, build):
    """``build(trainer, trace)`` for run ``run`` of Session ``s``, computed once for its
    current window and remembered until it trains on another (a new Trace object) or
    the runs are replaced."""
    entry = _window_entry(s, run)
    if name not in entry:
        entry[name] = build(s.runs[run], entry["trace"])
    return entry[name]


def window_known(s, run, name):
    """(True, value) if ``window_memo`` holds ``name`` for run ``run``'s current window,
    else (False, None)."""
    entry = _window_entry(s, run)
    return (True, entry[name]) if name in entry else (False, None)


def _window_entry(s, run):
    trace = s.runs[run].trace
    entry = s.window_cache.get(run)
    if entry is None or entry["trace"] is not trace:
        entry = s.window_cache[run] = {"trace": trace}
    return entry
