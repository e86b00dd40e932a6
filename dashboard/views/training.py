"""Training: loss, gradient norms and clipping, Whh's spectrum, reach, live samples."""
import streamlit as st

import engine
from dashboard import charts, state
from dashboard.views.common import look_for, no_window, plot, rev

VIEW = "Training"


def render(ss):
    trainer = ss["trainer"]
    history = trainer.history
    if history.empty:
        return no_window()
    look_for(ss, VIEW)
    c = trainer.config
    left, right = st.columns(2, gap="large")
    with left:
        plot(charts.loss_chart(history, uirevision=rev(ss, "loss")),
             f"Starts near ln(V)·T = {history['smooth_loss'].iloc[0]:.1f} (uniform guessing "
             "over the vocabulary) and falls as the model learns; smooth_loss is "
             "min-char-rnn's running average 0.999·old + 0.001·new.")
        plot(charts.grad_norm_chart(history, c.threshold, c.clip,
                                    uirevision=rev(ss, "grad_norms")),
             _clip_caption(c.clip, c.threshold))
        plot(charts.clip_fraction_chart(history, uirevision=rev(ss, "clip_fraction")),
             "How much of each update the clip changed. Near 0: clipping is idle. "
             "Near 1 with 'norm' clipping: every update was scaled down.")
        _adagrad(ss, trainer)
    with right:
        plot(charts.spectrum_history_chart(history, uirevision=rev(ss, "spectrum")),
             f"Measured at iterations 0, 1, 2, 4, 8, … and every {c.diagnostics_every}. "
             "σ_max(Whh) < 1 means "
             "gradients must shrink as they travel back; > 1 is needed for them to "
             "explode (tanh' ≤ 1 can only shrink them further).")
        plot(charts.reach_chart(history, uirevision=rev(ss, "reach")),
             "How much of the last character's gradient arrives at the first step of "
             "the window (measured with the Whh spectrum). 1e-6 or less: the model "
             "cannot learn dependencies that long.")
        plot(charts.saturation_chart(history, uirevision=rev(ss, "saturation")),
             "A saturated unit (|h| near 1) has tanh' near 0: it passes almost no "
             "gradient back, whatever Whh is. Many saturated units mean vanishing "
             "gradients even when σ_max(Whh) > 1.")
        _samples(ss)


def _adagrad(ss, trainer):
    c = trainer.config
    if c.optimizer != "adagrad":
        st.caption(f"Optimizer: plain SGD, every entry steps by lr · g = {c.learning_rate:g} · g "
                   "(no Adagrad memory).")
        return
    table = engine.effective_learning_rate(trainer.mem, c.learning_rate)
    plot(charts.adagrad_step_chart(table, uirevision=rev(ss, "adagrad_step")),
         "Adagrad keeps mem += g·g for every entry (updated in place, like the param "
         "itself) and steps by lr·g/√mem: an entry whose gradients were large takes "
         "small steps now. The first step of every entry has size lr, whatever g is: "
         "that is why clipping matters less with Adagrad than with SGD.")


def _clip_caption(clip, threshold):
    if clip == "value":
        return (f"Solid: norms the backward pass produced; dotted: after clipping every "
                f"entry to ±{threshold:g}. The line is the per-entry bound, drawn for "
                "scale: a norm above it is only clipped where single entries exceed it.")
    if clip == "norm":
        return (f"Solid: norms before clipping; dotted: after. When the global norm "
                f"crosses the line at {threshold:g}, all gradients are scaled down "
                "together, so the dotted global line never rises above it.")
    return "Clipping is off: the norms before and after are the same, however large."


def _samples(ss):
    st.markdown("#### Samples from the model")
    temperature = ss["temperature"]
    samples = state.latest_samples(ss, temperature)
    for i, (iteration, temp, text) in enumerate(samples):
        label = "latest" if i == 0 else "earlier"
        st.caption(f"{label} · iteration {iteration} · temperature {temp:g}")
        st.code(text, language=None, wrap_lines=True)
    st.caption("200 characters sampled from the current hidden state, one new sample "
               "per refresh (the last few are kept). Early samples are random "
               "characters; watch spaces, then words appear.")
