"""The sidebar: train, lesson (preset or comparison), runs, text, hyperparameters."""
import streamlit as st

import engine
from dashboard import actions, models, present, session
from dashboard.charts import style
from dashboard.session import get

HELP = {
    "hidden_size": "Units in h. min-char-rnn uses 100. Large sizes are slow.",
    "seq_length": "T: characters per truncated-BPTT window (min-char-rnn: 25). The "
                  "gradient never travels further back than this.",
    "learning_rate": "Step size (min-char-rnn: 0.1 with Adagrad).",
    "optimizer": "adagrad divides each step by √(sum of past g²); sgd steps lr·g.",
    "clip": "value: clip every gradient entry to ±threshold (min-char-rnn). norm: scale "
            "all gradients together when their global L2 norm exceeds the threshold.",
    "threshold": "Clipping bound: per entry for 'value', global L2 norm for 'norm'.",
    "whh_init": "gaussian: min-char-rnn's N(0, 0.01²) (gated cells: PyTorch's uniform "
                "init). orthogonal / identity: times the gain, so every direction is "
                "scaled by exactly the gain at the start (each gate block of a gated "
                "cell's Whh on its own).",
    "gain": "Scales orthogonal or identity Whh. Below 1 gradients vanish through time, "
            "above 1 they explode. (Ignored by gaussian.)",
    "seed": "Random seed of the initial weights.",
    "cell": "rnn: min-char-rnn's tanh cell. lstm: adds a cell state c with forget, input "
            "and output gates (PyTorch's nn.LSTM); its gradient can travel back through c "
            "without a matrix in the way. gru: update and reset gates (nn.GRU). Gated "
            "cells start from PyTorch's uniform init. Apply builds new weights.",
}


def render(ss):
    session.sidebar_drawn(ss)           # this run draws the sidebar from the session
    s = get(ss)
    sb = st.sidebar
    sb.title("BPTT Scope")
    sb.caption("Backpropagation through time in min-char-rnn, live.")
    present.toggle(sb)
    _train(sb, s)
    sb.divider()
    _lesson(sb)
    _exercises(sb)
    _runs(sb, s)
    sb.divider()
    _text(sb)
    sb.divider()
    _hyperparameters(sb, ss)


def _train(sb, s):
    running = s.running
    cols = sb.columns(3)
    cols[0].button("Step", key="step", on_click=actions.on_step, type="primary",
                   help="Train exactly one iteration (one window) of every run and show it.")
    cols[1].button("Run", key="run", on_click=actions.on_run, disabled=running,
                   help="Train live: the model trains in the background and the charts "
                        "update in place.")
    cols[2].button("Pause", key="pause", on_click=actions.on_pause, disabled=not running)
    sb.select_slider("Iterations per refresh (at most)", session.ITERS_PER_REFRESH,
                     key="iters_per_refresh", format_func=lambda n: f"{n:,}",
                     help="While running, the model trains in the background and the "
                          "charts redraw about once a second: at most this many "
                          "iterations between two redraws. Lower it to watch training in "
                          "slow motion.")
    sb.slider("Sampling temperature", 0.1, 2.0, step=0.05, key="temperature",
              help="Below 1: safer, repetitive samples. Above 1: wilder ones.")


def _lesson(sb):
    sb.selectbox("Lesson preset", [*engine.PRESETS, session.CUSTOM], key="preset",
                 on_change=actions.on_preset, format_func=_lesson_label,
                 help="Loads a corpus and settings that make one phenomenon appear, "
                      "and runs a few warm-up iterations.")
    sb.selectbox("Compare runs", [session.NO_COMPARISON, *engine.COMPARISONS],
                 key="comparison", on_change=actions.on_comparison,
                 help="Loads several runs of one model with one setting changed; they "
                      "train side by side and every chart draws them together.")


def _lesson_label(name):
    return "custom (your own settings)" if name == session.CUSTOM else name


def _exercises(sb):
    """The exercises: each opens its lesson at the right iteration, view and t; its
    link (copy it from the box) opens the same for a student."""
    from dashboard.views.sections import homework
    with sb.expander(f"Exercises ({len(engine.EXERCISES)}): homework with checked answers"):
        st.caption("A button opens the exercise here; the link under it (copy button at "
                   "its right) opens it for a student.")
        for name, ex in engine.EXERCISES.items():
            st.button(name, key=f"exercise_open_{name}", on_click=actions.on_exercise_open,
                      args=(name,), help=ex.question, width="stretch")
            st.code(homework.link(name), language=None, wrap_lines=True)


def _runs(sb, s):
    names = list(s.runs)
    colours = style.run_colours(names)
    sb.markdown("**Runs** " + " ".join(
        f"<span style='color:{colours[n]}'>■</span>&nbsp;{n}" for n in names)
        + "".join(f" · ⛔ {n} diverged" for n in s.diverged), unsafe_allow_html=True)
    if len(names) > 1:
        sb.radio("Focus: the run the detailed views show", names, key="focus",
                 on_change=actions.on_focus, horizontal=True)
    c1, c2 = sb.columns(2)
    c1.button("Fork", key="fork", on_click=actions.on_fork,
              disabled=len(names) >= session.MAX_RUNS,
              help=f"Copy the focused run with the training settings below (learning "
                   f"rate, optimizer, clip, threshold) and train both side by side. "
                   f"Up to {session.MAX_RUNS} runs.")
    c2.button("Remove", key="remove_run", on_click=actions.on_remove,
              disabled=len(names) <= 1, help="Remove the focused run.")
    sb.toggle("One colour scale for magnitudes", key="fixed_colour",
              help="On: the log-colour heatmaps (loss_to_state, jacobian_norms, every "
                   f"run's) share one fixed scale, 1e{style.FIXED_DECADES[0]} (black) to "
                   f"{style.num(10.0 ** style.FIXED_DECADES[1])}, so the same colour is the "
                   "same number in every view, run and iteration. Off: each heatmap "
                   "spans its own smallest to largest value (more detail, but colours "
                   "cannot be compared). On in every lesson.")


def _text(sb):
    sb.subheader("Text")
    sb.selectbox("Sample text", [*engine.sample_text_names(), session.OWN_TEXT],
                 key="sample_text", on_change=actions.on_sample_text,
                 help="Texts shipped with BPTT Scope (see sample_texts/README.md).")
    limit = f"{models.MAX_BYTES / 1e6:.0f} MB"
    sb.file_uploader(f"Upload a text (UTF-8, up to {limit})", key="corpus_upload",
                     on_change=actions.on_upload,
                     max_upload_size=-(-models.MAX_BYTES // 10**6),
                     help="A plain-text file. A fresh model starts training on it at once, "
                          "with the settings below.")
    with sb.expander("Paste a text"):
        st.text_area("Text to train on", key="paste_text", height=120,
                     help=f"At least seq_length + 2 characters, up to {limit}.")
        st.button("Train on pasted text", key="paste_apply", on_click=actions.on_paste)


def _hyperparameters(sb, ss):
    s = get(ss)
    sb.subheader("Model and training" + (f" of run '{s.focus}'" if len(s.runs) > 1 else ""))
    w, b = session.HP_KEY, BOUNDS
    sb.selectbox("cell", list(engine.CELLS), key=w["cell"], help=HELP["cell"],
                 format_func=CELL_NAMES.get)
    c1, c2 = sb.columns(2)
    c1.number_input("hidden_size", *b["hidden_size"], step=10, key=w["hidden_size"],
                    help=HELP["hidden_size"])
    c2.number_input("seq_length", *b["seq_length"], step=1, key=w["seq_length"],
                    help=HELP["seq_length"])
    c1.number_input("learning_rate", *b["learning_rate"], step=0.01, format="%g",
                    key=w["learning_rate"], help=HELP["learning_rate"])
    c2.selectbox("optimizer", list(engine.trainer.OPTIMIZERS), key=w["optimizer"],
                 help=HELP["optimizer"])
    c1.selectbox("clip", list(engine.clip.CLIP_MODES), key=w["clip"], help=HELP["clip"])
    c2.number_input("threshold", *b["threshold"], step=0.5, format="%g",
                    key=w["threshold"], help=HELP["threshold"])
    c1, c2 = sb.columns([3, 2])          # room for "orthogonal"
    c1.selectbox("Whh init", list(engine.params.WHH_INITS), key=w["whh_init"],
                 help=HELP["whh_init"])
    c2.number_input("gain", *b["gain"], step=0.1, format="%g", key=w["gain"],
                    help=HELP["gain"])
    sb.number_input("seed", *b["seed"], step=1, key=w["seed"], help=HELP["seed"])
    pending = session.pending_changes(ss)
    if pending:
        new_model = any(n in session.ARCHITECTURE for n in pending)
        sb.caption(f"Not applied yet: {', '.join(pending)}. Apply "
                   + ("builds new weights for the focused run." if new_model else
                      "changes the focused run and keeps its weights; Fork trains a "
                      "copy with them beside it."))
    c1, c2 = sb.columns(2)
    c1.button("Apply", key="apply", on_click=actions.on_apply,
              help="Learning rate, optimizer and clipping apply to the focused run; "
                   "cell, size, window, init, gain and seed give it new weights.")
    c2.button("Reset", key="reset", on_click=actions.on_reset,
              help="Start again from fresh weights (the preset or comparison again, if "
                   "one is active).")


CELL_NAMES = engine.cells.CHOICE

# The widgets cover every value the engine accepts (the engine checks the open ends
# and says what is wrong), so a resumed checkpoint is always shown as it is.
BOUNDS = {"hidden_size": (1, 2048), "seq_length": (1, 1000), "seed": (0, 2**32 - 1),
          "learning_rate": (0.0, 1e4), "threshold": (0.0, 1e6), "gain": (0.0, 10.0)}
