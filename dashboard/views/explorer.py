"""Timestep explorer: walk through one window, forwards or backwards, and watch dh
split into the part from this step's output and the part carried back from the future."""
import numpy as np
import streamlit as st

import engine
from dashboard import actions, charts, live, scroll, session, share, window
from dashboard.charts import step, style, tables
from dashboard.session import get
from dashboard.views.sections import attribution, cell_tape, cell_text
from dashboard.views.sections.common import fragment, plot, plots, rev, window_at

VIEW = "Timestep explorer"
HAND_CAPTION = (
    "A model small enough to check by hand: every number to 4 significant digits, with "
    "the weights that produced this window. Redo a line: entry i of Why^T dy_t is column "
    "i of Why times dy_t (sum over the characters); dh_t = Why^T dy_t + dhnext_t; "
    "dhraw_t = (1 − h_t²) · dh_t; Whh^T dhraw_t is column i of Whh times dhraw_t, and "
    "becomes dhnext one step back. Results agree with the rounded inputs to within "
    "rounding.")


def render(ss):
    if window_at(ss, VIEW) is None:
        return
    _player(ss)
    s = get(ss)
    every = 1.0 / ss["play_speed"] if s.playing else None
    fragment(_walk, run_every=every)(ss)


def _player(ss):
    """Play / Pause and the speed: outside the walking fragment, so a click reruns the
    view and restarts the fragment with its new timer."""
    playing = get(ss).playing
    c = st.columns([3, 3, 8], vertical_alignment="center")   # room for "Pause the walk"
    c[0].button("Pause the walk" if playing else "Play the walk", key="play",
                icon=":material/pause:" if playing else ":material/play_arrow:",
                on_click=actions.on_play, type="secondary",
                help="Walks the window one timestep at a time in the chosen direction "
                     "and stops at the end. The rest of the page stays usable.")
    c[1].select_slider("Steps per second", options=[1, 2, 3, 4, 5, 6, 7, 8],
                       key="play_speed", label_visibility="collapsed",
                       format_func=lambda v: f"{v} step{'s' if v > 1 else ''}/s")


def _walk(ss):
    """Everything that follows the selected timestep. While the walk plays, this
    fragment reruns on its own timer and takes one step each time."""
    if get(ss).playing and not live.walk_tick(ss):
        st.rerun()                  # the end of the walk: drop the timer
    trainer, trace, t = window_at(ss, None)
    backward = get(ss).walk_direction == "backward"
    vocab = trainer.vocab
    inputs, targets = vocab.decode(trace.inputs), vocab.decode(trace.targets)
    _controls(ss, trace.T, t, backward)
    S = window.saliency(get(ss), get(ss).focus)
    saliency = None if S is None else S[t]
    st.html(charts.window_strip_html(inputs, targets, t, trace.losses, saliency))
    st.caption(f"Window of iteration {trace.iteration + 1} (characters {trace.position}–"
               f"{trace.position + trace.T} of the text). Top: input x_t (blue); bottom: "
               "target, the character to predict (red); small number: loss_t. "
               + _saliency_caption(ss, saliency, inputs, targets, t))
    hand = tables.hand_sized(trace, len(vocab))
    if hand:
        per_char, per_unit = tables.step_tables(trace, vocab.chars, t)
        Why, Whh = tables.weight_tables(trace, vocab.chars)
    presenting = session.presenting(ss)
    if presenting:          # the one chart a room watches, enlarged, under the strip
        _window_charts(ss, trace, t, inputs, heatmaps=False)
    left, right = st.columns(2, gap="large")
    with left:
        forward = _forward(ss, trace, t, vocab, inputs, targets)
        if hand:
            st.html(tables.tables_html([per_char, Why]))
    with right:
        backward = _backward(ss, trace, t, vocab)
        if hand:
            st.html(tables.tables_html([per_unit, Whh]))
    if hand:
        st.caption(HAND_CAPTION)
    plots(ss, "walk", [forward, backward])          # one element for the four charts
    if hand:
        with st.expander("The window's gradients, before clipping (✂: changed by the clip)"):
            st.html(tables.tables_html(tables.gradient_tables(trace, vocab.chars)))
            st.caption(f"Summed over the window's {trace.T} steps (dWhh = Σ_t dhraw_t "
                       f"h_(t−1)^T, ...). Clip '{trace.clip}', θ = {trace.threshold:g}.")
    st.markdown(scroll.anchor("bptt-dh-end"), unsafe_allow_html=True)  # the tour's mark
    _window_charts(ss, trace, t, inputs, norms=not presenting)
    cell_tape.render(ss, trace, t, inputs)
    if len(get(ss).runs) > 1:
        _runs_norms(ss, t, inputs)
    share.mirror(ss)     # this fragment may rerun alone: the address bar follows t


def _saliency_caption(ss, saliency, inputs, targets, t):
    """What to notice in the strip's shading at the selected t."""
    s = get(ss)
    if saliency is None:
        return "Input shading by saliency " + window.skipped_note(s, s.focus, "saliency")
    levels = style.relative_decades(saliency[: t + 1])
    shaded = np.flatnonzero(np.isfinite(levels))
    oldest = int(shaded.min()) if shaded.size else t
    text = (f"Shading (engine.input_saliency): how strongly the loss at t = {t} depends on "
            "each input x_s; boxes after t are faded, the future cannot affect it. ")
    if oldest == t:
        text += (f"Only x_{t} itself is shaded: every earlier input is below 1e-6 of it, so "
                 "the gradient through the recurrence has vanished.")
    else:
        text += (f"Shaded back to s = {oldest}, {t - oldest} step"
                 f"{'s' if t - oldest != 1 else ''} before t; further back the gradient is "
                 "below 1e-6 of the strongest input.")
    return text + _long_gap_note(s.trainer.config.cell, saliency, levels, inputs, targets, t)


def _long_gap_note(cell, saliency, levels, inputs, targets, t):
    """For a window that opens with a letter the target repeats after a gap of
    non-letters (long_gap.txt, any lesson or cell): whether that letter's box is shaded."""
    letter = inputs[0]
    gap = next((i for i in range(1, len(targets)) if targets[i] == letter), None)
    if not letter.isalpha() or gap is None or gap < 2 \
            or any(c.isalpha() for c in inputs[1: gap + 1]):
        return ""
    if t != gap:
        return (f" Select t = {gap}, where the target repeats the letter at s = 0, and "
                "look at box 0.")
    ratio = saliency[0] / np.nanmax(saliency[: t + 1])
    model = "vanilla RNN" if cell == "rnn" else cell.upper()
    said = f" **The target here repeats the letter '{style.show_char(letter)}' at s = 0"
    if np.isnan(levels[0]):
        return (f"{said}, and its box stays blank ({style.num(ratio, 1)} of the strongest): no "
                f"gradient reaches it, so the {model} cannot learn to remember it.**")
    return (f"{said}, and its box is shaded ({style.num(ratio, 1)} of the strongest): the "
            f"{model}'s gates carry the gradient back {gap} steps, so it can learn to remember the "
            "letter (a vanilla RNN's box stays blank).**")


def _controls(ss, T, t, backward):
    c = st.columns([3, 2, 7, 2], vertical_alignment="bottom")
    c[0].segmented_control(
        "Walk the window", ["forward", "backward"], key="direction_choice",
        on_change=actions.on_direction, required=True, persist_state="session",
        format_func=lambda d: "Forward →" if d == "forward" else "← Backward",
        help="Backward follows the backward pass: it starts at the last step, where "
             "dhnext is zero, and Next goes to t−1.")
    prev_t, next_t = (t + 1, t - 1) if backward else (t - 1, t + 1)
    c[1].button(f"◀ Previous (t={prev_t})" if 0 <= prev_t < T else "◀ Previous",
                key="t_prev", on_click=actions.on_walk, args=(-1,),
                disabled=not 0 <= prev_t < T)
    if T > 1:
        c[2].slider("Timestep t", 0, T - 1, key="timestep", persist_state="session")
    else:
        c[2].caption("The window has a single timestep.")
    c[3].button(f"Next (t={next_t}) ▶" if 0 <= next_t < T else "Next ▶", key="t_next",
                on_click=actions.on_walk, args=(1,), disabled=not 0 <= next_t < T)


def _forward(ss, trace, t, vocab, inputs, targets):
    """The forward pass at t in words; returns its charts (figure, caption)."""
    p_target = float(trace.ps[t, trace.targets[t]])
    st.markdown(f"#### :blue[Forward at t = {t}]\n\n"           # one element, not two
                f"Input x<sub>t</sub> = `{style.show_char(inputs[t])}`, target (the next "
                f"character) = `{style.show_char(targets[t])}` with p<sub>t</sub>[target] "
                f"= **{p_target:.3f}**, so loss<sub>t</sub> = −log p<sub>t</sub>[target] = "
                f"**{trace.losses[t]:.3f}**: the less likely the true next character, the "
                "larger the loss.", unsafe_allow_html=True)
    return [
        (charts.vector_chart(trace.hs[t], "hs[t]", cell_text.H_MATH[trace.cell],
                             style.FORWARD, uirevision=rev(ss, "h_t")),
         cell_text.H_CAPTION[trace.cell]),
        (step.top_figure(trace, vocab.chars, t, rev(ss, "top")), step.TOP_CAPTION)]


def _backward(ss, trace, t, vocab):
    """The backward pass at t in words; returns its charts (figure, caption)."""
    from_output, dhnext_t = trace.dh_from_output[t], trace.dhnext[t]
    n = np.linalg.norm
    share = _norms(ss, trace)["future_share"].iloc[t]
    st.markdown(
        f"#### :red[Backward at t = {t}]\n\n{scroll.anchor('bptt-dh')}"
        f"dh<sub>t</sub> = Why<sup>T</sup>dy<sub>t</sub> + dhnext<sub>t</sub>, with "
        f"‖Why<sup>T</sup>dy<sub>t</sub>‖ = {style.num(n(from_output))} and "
        f"‖dhnext<sub>t</sub>‖ = {style.num(n(dhnext_t))}: **{share:.0%}** of the gradient at "
        "h<sub>t</sub> comes from the future.", unsafe_allow_html=True)
    dy = (step.dy_figure(trace, vocab.chars, t, rev(ss, "dy_t")), step.DY_CAPTION)
    if trace.cell != "rnn":
        return [dy, cell_tape.backward_parts(ss, trace, t)]
    return [dy, (step.dh_parts_figure(trace, t, rev(ss, "dh_parts")), step.DH_CAPTION)]


def _window_charts(ss, trace, t, inputs, norms=True, heatmaps=True):
    if not heatmaps:
        figs = _window_figures(ss, trace, inputs)
        plot(figs["norms"], None, mark=t)
        return
    st.markdown(f"#### The whole window {scroll.anchor('bptt-norms')}",
                unsafe_allow_html=True)
    figs = _window_figures(ss, trace, inputs)
    norms_caption, heatmaps_caption = cell_tape.WINDOW_CAPTIONS.get(trace.cell, (
        "Follow dhnext from right to left: zero at the last step, then fed by each "
        "step's loss; whether it shrinks or grows as it travels back depends on Whh "
        f"and tanh'. {_dhnext_travel(get(ss).trainer, trace)} Gaps are exact zeros.",
        "Each column is a timestep, each row a hidden unit; white is 0. hs (blue/purple, "
        "forward): what each unit holds, dark = ±1 (saturated). dh, dhraw, dhnext "
        "(red/brown, backward): dhraw is dh with saturated units wiped out by the tanh "
        "gate; dhnext is what arrives from later steps, a zero column at T−1."))
    if norms:
        plot(figs["norms"], norms_caption + " " + attribution.ghost_note(get(ss),
                                                                           figs["ghost"]),
             mark=t)
    plot(figs["heatmaps"], heatmaps_caption, mark=t)


def _dhnext_travel(trainer, trace):
    """What dhnext did on this window, measured (the student's own text has no lesson
    sentences to say it): ||dhnext_0|| / ||dhnext_{T-2}||, engine.quantities."""
    if trace.T < 3 or trainer.trace is not trace:
        return ""
    kept = engine.quantities.measure("dhnext_kept", trainer)
    if not np.isfinite(kept):
        return ""
    where = "larger" if kept > 1 else "smaller"
    return (f"On this window ‖dhnext_0‖ / ‖dhnext_T−2‖ = {style.num(kept, 3)}: dhnext is "
            f"{where} at the start of the window than next to its end.")


def _window_figures(ss, trace, inputs):
    """The figures of the whole window, built once per window: moving the slider only
    moves their current-t outline."""
    s = get(ss)
    ghost = attribution.ghost_for_explorer(s, trace)      # None while too slow to compute
    tall = session.presenting(ss)
    return window.cached(s, s.focus, f"explorer_figures/{ghost is not None}/{tall}",
                         lambda trainer, trace: _build_window_figures(ss, trace, inputs,
                                                                      ghost, tall))


def _norms(ss, trace):
    """The engine's per-timestep norms of this window (computed once per window)."""
    s = get(ss)
    return window.cached(s, s.focus, "explorer_norms",
                         lambda trainer, trace: engine.timestep_norms(trace))


def _build_window_figures(ss, trace, inputs, ghost, tall=False):
    panels = cell_tape.window_panels(trace) if trace.cell != "rnn" else \
        step.rnn_window_panels(trace)
    return {"ghost": ghost,
            "norms": step.norms_figure(_norms(ss, trace), inputs, rev(ss, "norms"), ghost,
                                       height=520 if tall else 340),
            "heatmaps": step.heatmaps_figure(panels, inputs, rev(ss, "heatmaps"))}


def _runs_norms(ss, t, inputs):
    s = get(ss)
    by_run = {n: window.cached(s, n, "explorer_norms",
                               lambda trainer, trace: engine.timestep_norms(trace))
              for n, tr in s.runs.items() if tr.trace is not None}
    plot(charts.runs_lines_chart(
        {name: table["dh"].to_numpy() for name, table in by_run.items()},
        "‖dh<sub>t</sub>‖ of every run (solid) and ‖dhnext<sub>t</sub>‖ (dotted)",
        "timestep t", "L2 norm (log scale)", rev(ss, "runs_norms"), t=t,
        second={name: table["dhnext"].to_numpy() for name, table in by_run.items()}),
         "The same walk for every run, each on its own current window: where one run's "
         "dotted dhnext line falls away to the left and another's holds, the second "
         "carries gradient further back.")
