"""Training: loss, gradient norms and clipping, Whh's spectrum, reach, live samples."""
import pandas as pd
import streamlit as st

import engine
from dashboard import charts, session
from dashboard.charts import style
from dashboard.charts.style import num
from dashboard.session import get
from dashboard.views.sections import attribution, cell_tape, cell_text
from dashboard.views.sections.common import look_for, no_window, plot, rev

VIEW = "Training"


def render(ss):
    if len(get(ss).runs) > 1:
        return _render_runs(ss)
    trainer = get(ss).trainer
    history = trainer.history
    if history.empty:
        return no_window()
    look_for(ss, VIEW)
    c = trainer.config
    left, right = st.columns(2, gap="large")
    with left:
        plot(charts.loss_chart(history, uirevision=rev(ss, "loss")),
             f"Starts near ln(V)·T = {history['smooth_loss'].iloc[0]:.1f}, the loss of "
             "guessing uniformly over the vocabulary: below it the model predicts better "
             "than guessing, above it worse. smooth_loss is min-char-rnn's running "
             "average 0.999·old + 0.001·new.")
        plot(charts.grad_norm_chart(history, c.threshold, c.clip,
                                    uirevision=rev(ss, "grad_norms")),
             _clip_caption(c.clip, c.threshold))
        plot(charts.clip_fraction_chart(history, uirevision=rev(ss, "clip_fraction")),
             "How much of each update the clip changed. Near 0: clipping is idle. "
             "Near 1 with 'norm' clipping: every update was scaled down.")
        _adagrad(ss, trainer)
    with right:
        plot(charts.spectrum_history_chart(history, uirevision=rev(ss, "spectrum"),
                                           name=cell_text.BLOCK.get(c.cell, "Whh")),
             cell_text.spectrum_caption(c.cell, c.diagnostics_every))
        plot(charts.reach_chart(history, uirevision=rev(ss, "reach")),
             "reach: how much of the last character's loss gradient arrives at the first "
             f"step of the window ({cell_text.schedule(c.diagnostics_every)}). 1e-6 or "
             "less: the model cannot learn dependencies that long. The dotted line, "
             "‖dh_0‖ / ‖dh_T−1‖, is the whole gradient at each end, every step's own loss "
             "included: it can stay near 1 while one loss's gradient, reach, fades.")
        plot(charts.saturation_chart(history, uirevision=rev(ss, "saturation")),
             "A saturated unit (|h| near 1) has tanh' near 0: it passes almost no "
             "gradient back, whatever Whh is. Many saturated units mean vanishing "
             "gradients even when σ_max(Whh) > 1.")
        cell_tape.training(ss, trainer)
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
    samples = session.latest_samples(ss, get(ss).focus, temperature)
    for i, (iteration, temp, text) in enumerate(samples):
        label = "latest" if i == 0 else "earlier"
        st.caption(f"{label} · iteration {iteration} · temperature {temp:g}")
        st.code(text, language=None, wrap_lines=True)
        if i == 0:
            attribution.sample_section(ss)
    st.caption("200 characters sampled from the current hidden state, one new sample "
               "per refresh. Kept: the latest three and the first sample at or after "
               "iterations 1, 10, 100, 1,000 and 10,000, so the start stays on screen "
               "however long the run.")


# -- several runs -----------------------------------------------------------------------
RUN_CHARTS = [
    ("loss", "All runs from the same start: where the curves part, the changed setting "
             "starts to matter. Thin: each window's loss; bold: smooth_loss."),
    ("grad_norm_global", "Solid: the norm the backward pass produced; dotted: after "
                         "clipping. A dotted line flat at the threshold is clipping at "
                         "work; with clip 'value' the line is a per-entry bound."),
    ("clip_fraction", "How much of each update the clip changed, per run."),
    ("sigma_max", "Measured on windows 1, 2, 3, 5, 9, … and every few hundred. For a "
                  "vanilla RNN, above 1 gradients can grow as they travel back; below 1 "
                  "they must shrink."),
    ("reach", "How much of the last character's gradient arrives at the first step of "
              "its window. Decades apart means one run can learn long dependencies and "
              "the other cannot."),
    ("saturation", "Saturated units (|h| near 1) pass almost no gradient back."),
]


def _render_runs(ss):
    s = get(ss)
    histories = {name: tr.history for name, tr in s.runs.items()}
    if all(h.empty for h in histories.values()):
        return no_window()
    look_for(ss, VIEW)
    number = st.column_config.NumberColumn
    st.dataframe(runs_table(ss), hide_index=True, width="stretch", column_config={
        "loss": number(format="%.2f"), "smooth loss": number(format="%.2f"),
        "σ_max(Whh)": number(format="%.3f")})
    st.caption("Every run now, on its last window. Colours and dashes are the runs' own, "
               "the same in every chart; ⛔ marks a run that diverged and stopped.")
    thresholds = {tr.config.threshold for tr in s.runs.values() if tr.config.clip == "norm"}
    left, right = st.columns(2, gap="large")
    for i, (column, caption) in enumerate(RUN_CHARTS):
        threshold = (next(iter(thresholds)) if column == "grad_norm_global"
                     and len(thresholds) == 1 else None)
        with (left if i % 2 == 0 else right):
            plot(charts.runs_history_chart(histories, column, threshold,
                                           uirevision=rev(ss, f"runs_{column}")), caption)
    cell_tape.training(ss, s.trainer)
    st.markdown("#### Samples, one per run")
    colours = style.run_colours(list(s.runs))
    for name in s.runs:
        latest = session.latest_samples(ss, name, ss["temperature"])[0]
        st.markdown(f"<span style='color:{colours[name]}'>■</span> **{name}** · iteration "
                    f"{latest[0]}", unsafe_allow_html=True)
        st.code(latest[2], language=None, wrap_lines=True)
    attribution.sample_section(ss)


def _rate_text(s, name, rate, active):
    """A run's share of the live rate, or why there is none (text: a paused run's rate
    used to read "None")."""
    if name in s.diverged:
        return "stopped (diverged)"
    if not s.running:
        return "paused"
    return "measuring…" if rate is None else f"{rate / max(1, active):,.0f}"


def runs_table(ss):
    """One row per run: its settings and its numbers now (all from the engine's
    history)."""
    s = get(ss)
    rate = session.iterations_per_second(ss)
    rows = []
    for name, tr in s.runs.items():
        h, c = tr.history, tr.config
        last = h.iloc[-1] if len(h) else None
        measured = h[["sigma_max", "reach"]].dropna() if len(h) else h
        rows.append({
            "run": ("⛔ " if name in s.diverged else "") + name,
            "settings": f"T {c.seq_length} · {c.optimizer} lr {c.learning_rate:g} · clip "
                        + (c.clip if c.clip == "none" else f"{c.clip} {c.threshold:g}"),
            "iteration": tr.iteration,
            "loss": None if last is None else last["loss"],
            "smooth loss": tr.smooth_loss,
            # as text in the page's one notation ("214", "3e-8"), not "2.141e+2"
            "norm before clip": num(None if last is None else last["grad_norm_global"]),
            "norm after clip": num(None if last is None else last["clipped_norm_global"]),
            "σ_max(Whh)": measured["sigma_max"].iloc[-1] if len(measured) else None,
            "reach": num(measured["reach"].iloc[-1] if len(measured) else None),
            "iterations/s": _rate_text(s, name, rate, len(session.active_runs(ss))),
        })
    return pd.DataFrame(rows)
