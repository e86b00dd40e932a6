"""Widget callbacks. Each runs before the script reruns, changes the session's model
through dashboard.state, and leaves a message saying what happened. A failure keeps
the model the user had."""
import streamlit as st

import engine
from dashboard import state


def _ss():
    return st.session_state


def on_step():
    state.begin_action(_ss())
    _ss()["running"] = False
    state.step(_ss())


def on_run():
    ss = _ss()
    state.begin_action(ss)
    ss["running"] = True
    ss["divergence"] = None
    ss["rate_marks"].clear()


def on_pause():
    _ss()["running"] = False


def _replace(builder, label, preset=state.CUSTOM):
    """Build a new model with ``builder()``; on a readable error keep the old one."""
    ss = _ss()
    state.begin_action(ss)
    try:
        trainer, notes = builder()
    except (engine.CorpusError, ValueError) as err:
        state.flash(ss, "error", f"{err} The model you had is unchanged.")
        return False
    ss["running"] = False
    state.install(ss, trainer, label, preset, notes)
    return True


def on_preset():
    ss = _ss()
    name = ss["preset"]
    if name not in engine.PRESETS:
        return
    corpus = engine.PRESETS[name].corpus
    if _replace(lambda: state.trainer_from_preset(name), f"sample {corpus}", name):
        ss["sample_text"] = corpus


def on_sample_text():
    ss = _ss()
    name = ss["sample_text"]
    if name == state.OWN_TEXT:
        return
    settings = state.widget_settings(ss)
    _replace(lambda: state.build_trainer(engine.read_sample(name), settings),
             f"sample {name}")


def on_upload():
    ss = _ss()
    upload = ss.get("corpus_upload")
    if upload is None:
        return
    settings = state.widget_settings(ss)
    data = upload.getvalue()
    if _replace(lambda: state.trainer_from_upload(upload.name, data, settings),
                f"upload {upload.name}"):
        ss["sample_text"] = state.OWN_TEXT


def on_paste():
    ss = _ss()
    text = ss.get("paste_text", "")
    settings = state.widget_settings(ss)
    if _replace(lambda: state.trainer_from_upload("Pasted text", text, settings),
                "pasted text"):
        ss["sample_text"] = state.OWN_TEXT


def on_checkpoint():
    ss = _ss()
    upload = ss.get("checkpoint_upload")
    if upload is None:
        return
    data = upload.getvalue()
    if _replace(lambda: state.trainer_from_checkpoint(upload.name, data),
                f"checkpoint {upload.name}"):
        ss["sample_text"] = state.OWN_TEXT


def on_apply():
    """New weights if the architecture changed; otherwise retune the current model."""
    ss = _ss()
    trainer = ss["trainer"]
    settings = state.widget_settings(ss)
    changed = state.pending_changes(ss)
    if any(name in state.ARCHITECTURE for name in changed):
        _replace(lambda: state.build_trainer(trainer.text, settings), ss["corpus_label"])
        return
    state.begin_action(ss)
    if not changed:
        state.flash(ss, "info", "Nothing to apply: the sidebar matches the model.")
        return
    _retune({n: settings[n] for n in changed})


def _retune(changes):
    ss = _ss()
    try:
        ss["trainer"].retune(**changes)
    except ValueError as err:
        state.flash(ss, "error", f"{err} The model is unchanged.")
        return
    state.sync_widgets(ss, ss["trainer"].settings())
    ss["active_preset"] = ss["preset"] = state.CUSTOM
    ss["divergence"] = None
    state.flash(ss, "success", "Applied " + ", ".join(f"{n} = {v:g}" if isinstance(v, float)
                                                       else f"{n} = {v}"
                                                       for n, v in changes.items())
                + " to the current model (weights, Adagrad memory and history kept).")


def on_reset():
    """A fresh model: the active preset again, or the current text and settings."""
    ss = _ss()
    name = ss.get("active_preset")
    if name in engine.PRESETS:
        _replace(lambda: state.trainer_from_preset(name), ss["corpus_label"], name)
        return
    trainer = ss["trainer"]
    _replace(lambda: state.build_trainer(trainer.text, trainer.settings()),
             ss["corpus_label"])


def on_lower_lr():
    """Way out of a divergence: a tenth of the learning rate, same model."""
    state.begin_action(_ss())
    lr = _ss()["trainer"].config.learning_rate / 10
    _retune({"learning_rate": max(lr, state.BOUNDS["learning_rate"][0])})


def on_clip_norm():
    """Way out of a divergence: clip the global gradient norm to 5, same model."""
    state.begin_action(_ss())
    _retune({"clip": "norm", "threshold": 5.0})


def on_gradcheck():
    ss = _ss()
    trainer = ss["trainer"]
    trace = trainer.trace
    table = engine.gradient_check(trainer.params, trace.inputs, trace.targets, trace.hprev)
    ss["gradcheck"] = {"iteration": trainer.iteration, "table": table}


def set_timestep(t):
    ss = _ss()
    ss["t_selected"] = t
    state.clamp_timestep(ss)


def on_timestep_slider(key):
    set_timestep(_ss()[key])


def on_walk(delta):
    """Previous / next along the chosen direction (backward: next is t-1)."""
    ss = _ss()
    sign = -1 if ss["walk_direction"] == "backward" else 1
    set_timestep(ss["t_selected"] + sign * delta)


def on_direction():
    """Switching direction starts the walk where that pass starts."""
    ss = _ss()
    choice = ss.get("direction_choice")
    if choice is None:
        return
    ss["walk_direction"] = choice
    T = ss["trainer"].config.seq_length
    set_timestep(T - 1 if choice == "backward" else 0)
