"""Session state: one Trainer per browser session and the operations that replace or
advance it.

Every function takes the session mapping ``ss`` (``st.session_state`` in the app, a
plain dict in tests) so nothing here imports streamlit and nothing lives in module
globals. A failed operation never touches the model the user already has.
"""
import io
import time
from collections import deque

import engine

DEFAULT_PRESET = "min-char-rnn"
CUSTOM = "custom (your own settings)"
OWN_TEXT = "(your own text)"
MAX_BYTES = engine.DEFAULT_MAX_BYTES
MAX_SAMPLES = 6                 # live samples kept: the latest plus a short history
SAMPLE_LENGTH = 200
# Settings a new model needs (new weights); the others retune the current model.
ARCHITECTURE = ("hidden_size", "seq_length", "seed", "whh_init", "gain")
TRAINING = ("learning_rate", "optimizer", "clip", "threshold")
HYPER = ARCHITECTURE + TRAINING
WIDGET = {name: f"hp_{name}" for name in HYPER}
# Widget bounds inside the engine's valid ranges, so no widget can produce a bad value.
BOUNDS = {"hidden_size": (1, 512), "seq_length": (1, 200), "seed": (0, 2**32 - 1),
          "learning_rate": (1e-8, 1e4), "threshold": (1e-6, 1e6), "gain": (0.001, 10.0)}


# -- building models ------------------------------------------------------------------
def build_trainer(text, settings, steps=1, max_bytes=MAX_BYTES):
    """A fresh Trainer on ``text`` (str or bytes) that has taken ``steps`` iterations,
    plus notes for the user. Raises CorpusError / ValueError if the text or settings are
    unusable; a divergence during the warm-up stops it and is reported in the notes."""
    trainer = engine.Trainer(text, max_bytes=max_bytes, **settings)
    notes = [("warning", w) for w in trainer.warnings]
    err = advance(trainer, steps)
    if err is not None:
        notes.append(("warning", f"Warm-up stopped after {trainer.iteration} "
                                 f"iterations: {err}"))
    return trainer, notes


def trainer_from_preset(name):
    """(trainer, notes) for a lesson preset, warmed up by its ``steps``."""
    preset = engine.PRESETS[name]
    return build_trainer(preset.text, preset.settings, preset.steps)


def advance(trainer, n):
    """Train ``n`` iterations. Returns the DivergenceError that stopped training, or None."""
    try:
        trainer.run(n)
    except engine.DivergenceError as err:
        return err
    return None


def trainer_from_upload(name, data, settings, max_bytes=MAX_BYTES):
    """(trainer, notes) for an uploaded corpus: a fresh model that has taken one step.
    Raises CorpusError or ValueError (message for a person, naming the file)."""
    try:
        return build_trainer(data, settings, max_bytes=max_bytes)
    except engine.CorpusError as err:
        raise engine.CorpusError(f"{name}: {err}") from None


def trainer_from_checkpoint(name, data):
    """(trainer, notes) resumed from checkpoint bytes; ValueError if it is not ours."""
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


# -- the session ------------------------------------------------------------------------
def init(ss):
    """First run of a session: the default preset's model, one step taken."""
    if "trainer" in ss:
        return
    trainer, notes = trainer_from_preset(DEFAULT_PRESET)
    ss["sample_text"] = engine.PRESETS[DEFAULT_PRESET].corpus
    ss["messages"] = []
    ss["running"] = False
    ss["walk_direction"] = "backward"
    ss["iters_per_refresh"] = 300
    ss["temperature"] = 1.0
    install(ss, trainer, f"sample {ss['sample_text']}", DEFAULT_PRESET, notes)


def install(ss, trainer, label, preset=CUSTOM, notes=()):
    """Make ``trainer`` the session's model and reset everything derived from it."""
    ss["trainer"] = trainer
    ss["model_id"] = ss.get("model_id", 0) + 1
    ss["corpus_label"] = label
    ss["active_preset"] = preset
    ss["preset"] = preset
    ss["samples"] = deque(maxlen=MAX_SAMPLES)
    ss["gradcheck"] = None
    ss["divergence"] = None
    ss["rate_marks"] = deque(maxlen=12)
    sync_widgets(ss, trainer.settings())
    for level, text in notes:
        flash(ss, level, text)
    # a new model: the walk starts again where its direction starts
    T = trainer.config.seq_length
    ss["t_selected"] = 0 if ss.get("walk_direction") == "forward" else T - 1


def sync_widgets(ss, settings):
    """Show ``settings`` in the sidebar widgets (clamped to the widgets' bounds)."""
    for name, key in WIDGET.items():
        value = settings[name]
        if name in BOUNDS:
            low, high = BOUNDS[name]
            value = type(low)(min(max(value, low), high))
        ss[key] = value


def widget_settings(ss):
    """The settings shown in the sidebar, plus the current model's hidden extras."""
    settings = dict(ss["trainer"].settings())
    for name, key in WIDGET.items():
        if key in ss:
            settings[name] = ss[key]
    settings["hidden_size"] = int(settings["hidden_size"])
    settings["seq_length"] = int(settings["seq_length"])
    settings["seed"] = int(settings["seed"])
    return settings


def pending_changes(ss):
    """Names of sidebar settings that differ from the model's."""
    current, shown = ss["trainer"].settings(), widget_settings(ss)
    return [n for n in HYPER if shown[n] != current[n]]


def clamp_timestep(ss):
    T = ss["trainer"].config.seq_length
    t = ss.get("t_selected", T - 1)
    ss["t_selected"] = min(max(int(t), 0), T - 1)
    return ss["t_selected"]


# -- messages -----------------------------------------------------------------------------
def flash(ss, level, text):
    """Queue a message ("error", "warning", "info", "success") shown until the next
    user action."""
    ss.setdefault("messages", []).append((level, text))


def begin_action(ss):
    ss["messages"] = []


# -- training -------------------------------------------------------------------------------
def step(ss, n=1):
    """Train ``n`` iterations. On divergence, stop live training and keep the model as
    it was before the failing step. Returns True if all iterations ran."""
    err = advance(ss["trainer"], n)
    if err is not None:
        ss["running"] = False
        ss["divergence"] = str(err)
        return False
    ss["divergence"] = None
    return True


def mark_rate(ss, now=None):
    ss["rate_marks"].append((time.perf_counter() if now is None else now,
                             ss["trainer"].iteration))


def iterations_per_second(ss):
    marks = ss.get("rate_marks") or ()
    if len(marks) < 2:
        return None
    (t0, i0), (t1, i1) = marks[0], marks[-1]
    return (i1 - i0) / (t1 - t0) if t1 > t0 else None


def latest_samples(ss, temperature):
    """The sample at the current iteration and temperature (generated once), newest
    first, with a few earlier ones."""
    trainer, samples = ss["trainer"], ss["samples"]
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
    return list(reversed(samples))


def jacobian_seconds(T, H):
    """Rough time jacobian_norms takes for a window: T(T-1)/2 products and SVDs of
    H x H matrices, about 0.25 s at T = 25, H = 100 (bench/diagnostics_speed.py)."""
    return T * (T - 1) / 2 * H ** 3 * 8.5e-10


def per_window(ss, name, build):
    """``build(trainer, trace)``, computed once per training window and kept until the
    window changes (a new step or a new model)."""
    cache = ss.setdefault("window_cache", {})
    trace = ss["trainer"].trace
    if cache.get("trace") is not trace:
        cache.clear()
        cache["trace"] = trace
    if name not in cache:
        cache[name] = build(ss["trainer"], trace)
    return cache[name]


JACOBIAN_LIMIT = 2.0    # seconds per window above which jacobian_norms is not drawn


def flow_diagnostics(ss, jacobian_limit=JACOBIAN_LIMIT):
    """loss_to_state, reach_by_lag, jacobian_norms and Whh's spectrum for the current
    window, with the weights that produced it (``trace.params``). jacobian_norms is
    left out (None) while training runs live, or if it would take over
    ``jacobian_limit`` seconds."""
    def cheap(trainer, trace):
        G = engine.loss_to_state(trace, trace.params)
        return {"G": G, "lag": engine.reach_by_lag(G),
                "spectrum": engine.whh_spectrum(trace.params)}

    def jacobian(trainer, trace):
        if jacobian_seconds(trace.T, trainer.config.hidden_size) > jacobian_limit:
            return None
        return engine.jacobian_norms(trace, trace.params)

    flow = per_window(ss, "flow", cheap)
    if ss.get("running"):           # every refresh is a new window: skip the slow part
        return {**flow, "J": flow.get("J")}
    if "J" not in flow:
        flow["J"] = jacobian(ss["trainer"], ss["trainer"].trace)
    return flow
