"""The sidebar: train, lesson preset, text, hyperparameters."""
import streamlit as st

import engine
from dashboard import actions, state

HELP = {
    "hidden_size": "Units in h. min-char-rnn uses 100. Large sizes are slow.",
    "seq_length": "T: characters per truncated-BPTT window (min-char-rnn: 25). The "
                  "gradient never travels further back than this.",
    "learning_rate": "Step size (min-char-rnn: 0.1 with Adagrad).",
    "optimizer": "adagrad divides each step by √(sum of past g²); sgd steps lr·g.",
    "clip": "value: clip every gradient entry to ±threshold (min-char-rnn). norm: scale "
            "all gradients together when their global L2 norm exceeds the threshold.",
    "threshold": "Clipping bound: per entry for 'value', global L2 norm for 'norm'.",
    "whh_init": "gaussian: min-char-rnn's N(0, 0.01²). orthogonal / identity: times the "
                "gain, so every direction is scaled by exactly the gain at the start.",
    "gain": "Scales orthogonal or identity Whh. Below 1 gradients vanish through time, "
            "above 1 they explode. (Ignored by gaussian.)",
    "seed": "Random seed of the initial weights.",
}


def render(ss):
    sb = st.sidebar
    sb.title("BPTT Scope")
    sb.caption("Backpropagation through time in min-char-rnn, live.")
    _train(sb, ss)
    sb.divider()
    _lesson(sb, ss)
    sb.divider()
    _text(sb)
    sb.divider()
    _hyperparameters(sb, ss)


def _train(sb, ss):
    running = ss["running"]
    cols = sb.columns(3)
    cols[0].button("Step", key="step", on_click=actions.on_step, type="primary",
                   help="Train exactly one iteration (one window) and show it.")
    cols[1].button("Run", key="run", on_click=actions.on_run, disabled=running,
                   help="Train live, refreshing the charts after each chunk.")
    cols[2].button("Pause", key="pause", on_click=actions.on_pause, disabled=not running)
    sb.slider("Iterations per refresh", 1, 500, key="iters_per_refresh",
              help="While running: iterations trained between two redraws.")
    sb.slider("Sampling temperature", 0.1, 2.0, step=0.05, key="temperature",
              help="Below 1: safer, repetitive samples. Above 1: wilder ones.")


def _lesson(sb, ss):
    options = [*engine.PRESETS, state.CUSTOM]
    sb.selectbox("Lesson preset", options, key="preset", on_change=actions.on_preset,
                 help="Loads a corpus and settings that make one phenomenon appear, "
                      "and runs a few warm-up iterations.")


def _text(sb):
    sb.subheader("Text")
    sb.selectbox("Sample text", [*engine.sample_text_names(), state.OWN_TEXT],
                 key="sample_text", on_change=actions.on_sample_text,
                 help="Texts shipped with BPTT Scope (see sample_texts/README.md).")
    limit = f"{state.MAX_BYTES / 1e6:.0f} MB"
    sb.file_uploader(f"Upload a text (UTF-8, up to {limit})", key="corpus_upload",
                     on_change=actions.on_upload, max_upload_size=-(-state.MAX_BYTES // 10**6),
                     help="A plain-text file. A fresh model starts training on it at once, "
                          "with the settings below.")
    with sb.expander("Paste a text"):
        st.text_area("Text to train on", key="paste_text", height=120,
                     help=f"At least seq_length + 2 characters, up to {limit}.")
        st.button("Train on pasted text", key="paste_apply", on_click=actions.on_paste)


def _hyperparameters(sb, ss):
    sb.subheader("Model and training")
    w, b = state.WIDGET, state.BOUNDS
    c1, c2 = sb.columns(2)
    c1.number_input("hidden_size", *b["hidden_size"], step=10, key=w["hidden_size"],
                    help=HELP["hidden_size"])
    c2.number_input("seq_length", *b["seq_length"], step=1, key=w["seq_length"],
                    help=HELP["seq_length"])
    c1.number_input("learning_rate", *b["learning_rate"], step=0.01, format="%g",
                    key=w["learning_rate"], help=HELP["learning_rate"])
    c2.selectbox("optimizer", ["adagrad", "sgd"], key=w["optimizer"],
                 help=HELP["optimizer"])
    c1.selectbox("clip", ["value", "norm", "none"], key=w["clip"], help=HELP["clip"])
    c2.number_input("threshold", *b["threshold"], step=0.5, format="%g",
                    key=w["threshold"], help=HELP["threshold"])
    c1, c2 = sb.columns([3, 2])          # room for "orthogonal"
    c1.selectbox("Whh init", ["gaussian", "orthogonal", "identity"], key=w["whh_init"],
                 help=HELP["whh_init"])
    c2.number_input("gain", *b["gain"], step=0.1, format="%g", key=w["gain"],
                    help=HELP["gain"])
    sb.number_input("seed", *b["seed"], step=1, key=w["seed"], help=HELP["seed"])
    pending = state.pending_changes(ss)
    if pending:
        new_model = any(n in state.ARCHITECTURE for n in pending)
        sb.caption(f"Not applied yet: {', '.join(pending)}. Apply "
                   + ("builds a new model (fresh weights)." if new_model else
                      "changes the current model and keeps its weights."))
    c1, c2 = sb.columns(2)
    c1.button("Apply", key="apply", on_click=actions.on_apply,
              help="Learning rate, optimizer and clipping apply to the current model; "
                   "size, window, init, gain and seed build a new one.")
    c2.button("Reset", key="reset", on_click=actions.on_reset,
              help="Start again from fresh weights (the preset again, if one is active).")
