"""Widget callbacks. Each runs before the script reruns, changes the session through
dashboard.session, and leaves a message saying what happened. A failure keeps the runs
the user had."""
import streamlit as st

import engine
from dashboard import models, session
from dashboard.literal import literal
from dashboard.session import get


def _ss():
    return st.session_state


def _refresh_sidebar():
    """Called from a widget inside the live fragment: its callback reruns only the
    fragment, so ask for a whole-app rerun to bring the sidebar up to date."""
    session.sidebar_outdated(_ss())


def on_step():
    ss = _ss()
    session.begin_action(ss)
    session.stop_running(ss)
    session.step(ss)


def on_run():
    session.start_running(_ss())


def on_pause():
    session.stop_running(_ss())


def _replace(builder, label, lesson=session.CUSTOM):
    """Build new runs with ``builder()`` -> (runs, notes); on a readable error keep the
    old ones. Returns True on success."""
    ss = _ss()
    session.begin_action(ss)
    try:
        runs, notes = builder()
    except (engine.CorpusError, ValueError) as err:
        session.flash(ss, "error", f"{err} The runs you had are unchanged.")
        return False
    session.install(ss, runs, label, lesson, notes)
    return True


def _one_run(builder, name):
    def build():
        trainer, notes = builder()
        return {name: trainer}, notes
    return build


def on_preset():
    ss = _ss()
    name = ss["preset"]
    if name not in engine.PRESETS:
        return
    corpus = engine.PRESETS[name].corpus
    if _replace(_one_run(lambda: models.from_preset(name), name), f"sample {corpus}", name):
        session.show_text(ss, corpus)


def on_comparison():
    ss = _ss()
    name = ss["comparison"]
    if name not in engine.COMPARISONS:
        return
    corpus = engine.COMPARISONS[name].corpus
    if _replace(lambda: models.from_comparison(name), f"sample {corpus}", name):
        session.show_text(ss, corpus)


def on_sample_text():
    ss = _ss()
    name = ss["sample_text"]
    if name == session.OWN_TEXT:
        return
    settings = session.widget_settings(ss)
    _replace(_one_run(lambda: models.build(engine.read_sample(name), settings), "run"),
             f"sample {name}")


def on_upload():
    ss = _ss()
    upload = ss.get("corpus_upload")
    if upload is None:
        return
    settings = session.widget_settings(ss)
    data = upload.getvalue()
    if _replace(_one_run(lambda: models.from_upload(upload.name, data, settings), "run"),
                f"upload {literal(upload.name)}"):
        session.show_text(ss, session.OWN_TEXT)


def on_paste():
    ss = _ss()
    text = ss.get("paste_text", "")
    settings = session.widget_settings(ss)
    if _replace(_one_run(lambda: models.from_upload("Pasted text", text, settings), "run"),
                "pasted text"):
        session.show_text(ss, session.OWN_TEXT)


def on_checkpoint():
    ss = _ss()
    upload = ss.get("checkpoint_upload")
    if upload is None:
        return
    data = upload.getvalue()
    if _replace(_one_run(lambda: models.from_checkpoint(upload.name, data), "resumed"),
                f"checkpoint {literal(upload.name)}"):
        session.show_text(ss, session.OWN_TEXT)
    _refresh_sidebar()


def on_apply():
    """New weights for the focused run if its architecture changed; otherwise retune it."""
    ss = _ss()
    s = get(ss)
    settings = session.widget_settings(ss)
    changed = session.pending_changes(ss)
    session.begin_action(ss)
    if any(name in session.ARCHITECTURE for name in changed):
        try:
            trainer, notes = models.build(s.trainer.text, settings)
        except (engine.CorpusError, ValueError) as err:
            session.flash(ss, "error", f"{err} The run is unchanged.")
            return
        session.replace_focused(ss, trainer, notes)
        session.flash(ss, "success", f"New weights for run '{s.focus}': "
                      + ", ".join(changed) + " changed.")
        return
    if not changed:
        session.flash(ss, "info", "Nothing to apply: the sidebar matches the focused run.")
        return
    _retune({n: settings[n] for n in changed})


def _retune(changes):
    ss = _ss()
    try:
        session.retune(ss, changes)
    except ValueError as err:
        session.flash(ss, "error", f"{err} The run is unchanged.")
        return
    shown = ", ".join(f"{n} = {v:g}" if isinstance(v, float) else f"{n} = {v}"
                      for n, v in changes.items())
    session.flash(ss, "success", f"Applied {shown} to run '{get(ss).focus}' (weights, "
                                 "Adagrad memory and history kept).")


def on_reset():
    """Fresh weights: the active preset or comparison again, or the focused run's text
    and settings."""
    ss = _ss()
    s = get(ss)
    name = s.lesson
    if name in engine.PRESETS:
        _replace(_one_run(lambda: models.from_preset(name), name), s.corpus_label, name)
    elif name in engine.COMPARISONS:
        _replace(lambda: models.from_comparison(name), s.corpus_label, name)
    else:
        trainer = s.trainer
        _replace(_one_run(lambda: models.build(trainer.text, trainer.settings()), s.focus),
                 s.corpus_label)
    _refresh_sidebar()


def on_fork():
    """Fork the focused run with the sidebar's pending training settings."""
    ss = _ss()
    session.begin_action(ss)
    settings = session.widget_settings(ss)
    current = get(ss).trainer.settings()
    changes = {n: settings[n] for n in session.TRAINING if settings[n] != current[n]}
    try:
        name = session.fork(ss, changes)
    except ValueError as err:
        session.flash(ss, "error", f"{err} The runs are unchanged.")
        return
    what = "an unchanged copy" if not changes else session.run_name(changes)
    session.flash(ss, "success", f"Forked run '{name}' ({what}) at iteration "
                                 f"{get(ss).trainer.iteration}: it trains beside the "
                                 "others from here.")


def on_remove():
    ss = _ss()
    session.begin_action(ss)
    name = get(ss).focus
    try:
        session.remove(ss, name)
    except ValueError as err:
        session.flash(ss, "error", str(err))
        return
    session.flash(ss, "info", f"Removed run '{name}'.")


def on_focus():
    ss = _ss()
    session.set_focus(ss, ss["focus"])


def on_lower_lr():
    """Way out of a divergence: a tenth of the learning rate, same model."""
    session.begin_action(_ss())
    _retune({"learning_rate": get(_ss()).trainer.config.learning_rate / 10})
    _refresh_sidebar()


def on_clip_norm():
    """Way out of a divergence: clip the global gradient norm to 5, same model."""
    session.begin_action(_ss())
    _retune({"clip": "norm", "threshold": 5.0})
    _refresh_sidebar()


def on_gradcheck():
    ss = _ss()
    session.halt(ss)                  # the weights must not move while they are checked
    trainer = get(ss).trainer
    trace = trainer.trace
    try:
        table = engine.gradient_check(trainer.params, trace.inputs, trace.targets,
                                      trace.hprev, cell=trace.cell, cprev=trace.cprev)
    except ValueError as err:         # refused by the engine's cost model: say why
        session.begin_action(ss)
        session.flash(ss, "warning", str(err))
        return
    session.set_gradcheck(ss, {"iteration": trainer.iteration, "run": get(ss).focus,
                               "table": table})


def on_tour(k):
    """Go to stop ``k`` of the guided tour; None leaves it."""
    session.tour_go(_ss(), k)


def on_stop_replay():
    session.stop_replay(_ss())


def on_play():
    ss = _ss()
    session.set_playing(ss, not get(ss).playing)


def on_walk(delta):
    """Previous / next along the chosen direction (backward: next is t-1)."""
    ss = _ss()
    sign = -1 if get(ss).walk_direction == "backward" else 1
    session.set_timestep(ss, ss["timestep"] + sign * delta)


def on_direction():
    """Switching direction starts the walk where that pass starts."""
    ss = _ss()
    choice = ss.get("direction_choice")
    if choice is not None:
        session.set_direction(ss, choice)


# -- exercises (engine.EXERCISES) -----------------------------------------------------
def on_exercise_open(name):
    """Open exercise ``name``: its lesson trained to its iteration, its view and t."""
    ss = _ss()
    session.begin_action(ss)
    session.halt(ss)
    try:
        runs, label, notes = models.from_exercise(name)
    except (engine.CorpusError, ValueError) as err:
        session.flash(ss, "error", f"{err} The runs you had are unchanged.")
        return
    session.open_exercise(ss, name, runs, label, notes)
    _refresh_sidebar()


def on_exercise_check():
    """Judge the typed answer against the runs on screen. A predict-then-run exercise
    first takes the prediction, then trains the runs to its iteration; any other check
    changes no model."""
    ss = _ss()
    s = get(ss)
    ex = s.homework
    if ex is None:
        return
    session.begin_action(ss)
    text = ss.get("exercise_answer", "")
    if ex.predict and not s.exercise_status.get("trained"):
        with session.drawing(ss):
            verdict = ex.judge(text, s.runs)
        if verdict.correct is None:                 # not a run's name: nothing trains
            session.exercise_note(ss, verdict=verdict, iteration=s.trainer.iteration)
            return
        _train_exercise(ss, ex)
        session.exercise_note(ss, prediction=True)
    with session.drawing(ss):
        verdict = ex.judge(text, s.runs)
    session.exercise_note(ss, verdict=verdict, iteration=s.trainer.iteration)


def _train_exercise(ss, ex):
    session.stop_running(ss)
    session.step(ss, max(ex.iteration - get(ss).trainer.iteration, 0))
    session.exercise_note(ss, trained=True)


def on_exercise_hint():
    session.exercise_note(_ss(), hint=True)


def on_exercise_reveal():
    """Show the answer and the explanation (a predict-then-run exercise trains first)."""
    ss = _ss()
    ex = get(ss).homework
    if ex is None:
        return
    if ex.predict and not get(ss).exercise_status.get("trained"):
        _train_exercise(ss, ex)
    session.exercise_note(ss, revealed=True, iteration=get(ss).trainer.iteration)


def on_exercise_close():
    session.close_exercise(_ss())


def on_run_pause():
    """Run if paused, Pause if running (presentation mode's one button and key)."""
    ss = _ss()
    if get(ss).running:
        session.stop_running(ss)
    else:
        session.start_running(ss)
    _refresh_sidebar()


def on_present_exit():
    session.set_presenting(_ss(), False)
    _refresh_sidebar()                  # from the views' fragment: bring the sidebar back


# presentation mode's keys (dashboard/keys.js) -> what they do
KEYS = {"step": on_step, "run": on_run_pause,
        "left": lambda: session.move_timestep(_ss(), -1),
        "right": lambda: session.move_timestep(_ss(), 1),
        "exit": on_present_exit}


def on_key():
    """A key pressed in presentation mode: space Steps, left and right move t, r runs
    or pauses, Escape leaves presentation mode."""
    pressed = (_ss().get("present_keys") or {}).get("key")
    action = KEYS.get(str(pressed).split(":")[0]) if pressed else None
    if action is not None:
        action()
