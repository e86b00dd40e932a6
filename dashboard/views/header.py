"""Above the views: what model this is, what just happened, and the lesson."""
import streamlit as st

import engine
from dashboard import actions, state

ALERTS = {"error": st.error, "warning": st.warning, "info": st.info, "success": st.success}


def status(ss):
    trainer = ss["trainer"]
    c = trainer.config
    trace = trainer.trace
    loss = f"{trace.loss:.2f}" if trace is not None else "—"
    line = (f"**{ss['corpus_label']}** ({len(trainer.text):,} characters, vocabulary "
            f"V = {len(trainer.vocab)}) · H = {c.hidden_size}, T = {c.seq_length}, "
            f"{c.optimizer} lr {c.learning_rate:g}, clip {c.clip}"
            + (f" {c.threshold:g}" if c.clip != "none" else "")
            + f" · iteration **{trainer.iteration}** · loss {loss} · smooth loss "
            f"{trainer.smooth_loss:.2f}")
    if ss["running"]:
        rate = state.iterations_per_second(ss)
        line += " · ▶ training live" + (f": **{rate:,.0f} iterations/s**" if rate else "")
    st.markdown(line)


def messages(ss):
    for level, text in ss.get("messages", []):
        ALERTS[level](text)
    if ss.get("divergence"):
        _divergence(ss)


def _divergence(ss):
    st.error(
        f"**Training diverged.** {ss['divergence']}\n\nLive training has stopped and the "
        "model is exactly as it was before that step, so every chart still shows the last "
        "good window. Pick a way out:", icon="💥")
    c = st.columns(3)
    c[0].button("Lower the learning rate ×0.1", key="fix_lower_lr",
                on_click=actions.on_lower_lr)
    c[1].button("Clip the gradient norm to 5", key="fix_clip", on_click=actions.on_clip_norm)
    c[2].button("Reset the model", key="fix_reset", on_click=actions.on_reset)


def lesson(ss):
    preset = engine.PRESETS.get(ss.get("active_preset"))
    if preset is None:
        return
    with st.expander(f"Lesson: **{preset.name}** — what you will see", expanded=True):
        st.markdown(preset.description)
        st.markdown("\n".join(f"- **{view}**: {what}" for view, what in preset.look_for))
