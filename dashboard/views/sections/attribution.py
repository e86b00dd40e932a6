"""Where the gradient comes from, drawn inside the views that own the context: the
gradient's horizon and what truncation throws away (Gradient flow), and why the model
drew a character of its sample (Training). Every number comes from the engine, once per
window (dashboard.window)."""
import numpy as np
import streamlit as st

import engine
from dashboard import charts, session, window
from dashboard.charts import style
from dashboard.charts.style import num
from dashboard.session import get
from dashboard.views.sections import cell_text
from dashboard.views.sections.common import fragment, plot, rev


# -- Gradient flow ---------------------------------------------------------------------
def horizon_section(ss):
    """Whh's gradient split by the distance between loss and step: the focused run's
    window as stacked bars, every run's distance profile, the horizon over training."""
    s = get(ss)
    st.markdown("#### Where Whh's gradient comes from: the gradient's horizon")
    names = [n for n, tr in s.runs.items() if tr.trace is not None]
    trace = s.trainer.trace
    focused = window.horizon(s, s.focus)
    if focused is None:
        st.info("The gradient's horizon " + window.skipped_note(s, s.focus, "horizon"))
        return
    chars = s.trainer.vocab.decode(trace.inputs)
    plot(charts.horizon_bars_chart(focused["pieces"], chars, focused["horizon"],
                                   uirevision=rev(ss, "horizon_bars")),
         "Each bar is the Whh gradient applied at step s, split by which loss sent it: "
         "dark red from the loss at the same step (d = 0), paler from losses further "
         "ahead. Bars of mostly dark red mean the weights learn only from the next "
         "character; pale segments are longer-range lessons. (Segments are norms of the "
         "pieces, which can cancel, so a bar can be taller than ‖dWhh at s‖.)")
    left, right = st.columns(2, gap="large")
    with left:
        profiles = {n: window.horizon(s, n) for n in names}
        profiles = {n: p for n, p in profiles.items() if p is not None}
        plot(charts.distance_profile_chart({n: p["profile"] for n, p in profiles.items()},
                                           {n: p["horizon"] for n, p in profiles.items()},
                                           uirevision=rev(ss, "distance_profile")),
             "The same split summed over steps, on a log axis: how much of dWhh comes "
             "from losses d steps later. The dotted line is the horizon, the "
             "norm-weighted mean d. A steep fall means long-range dependencies get almost "
             "no weight update.")
    with right:
        plot(charts.runs_history_chart({n: tr.history for n, tr in s.runs.items()},
                                       "horizon", uirevision=rev(ss, "horizon_history")),
             "The horizon over training "
             f"({cell_text.schedule(s.trainer.config.diagnostics_every)}): does the "
             "model learn to use longer "
             "context as it trains? Near 0: every update comes from the next character "
             "alone.")


def ghost_section(ss):
    """The focused run's window with the windows before it under full BPTT."""
    s = get(ss)
    trainer = s.trainer
    st.markdown("#### What truncation throws away")
    trace = trainer.trace
    b = window.beyond(s, s.focus)
    if b is None:
        st.info("The truncation ghost " + window.skipped_note(s, s.focus, "beyond"))
        return
    if b.windows_used == 0:
        st.info("This window starts the text, where training starts from a zero state "
                "anyway: truncation discards nothing here. Step once more to see what it "
                "throws away at the next window boundary.")
        return
    plot(charts.ghost_chart(np.linalg.norm(trace.dh, axis=1), b.norms, b.window_norms,
                            b.share, b.windows_used, uirevision=rev(ss, "ghost")),
         _ghost_caption(b, trace))


def _ghost_caption(b, trace):
    windows = f"{b.windows_used} window{'s' if b.windows_used != 1 else ''}"
    short = "" if b.complete else f" (the text has only {windows} before this one)"
    return (f"Faint: the gradient of this window's loss if BPTT had not been cut, "
            f"recomputed over the {windows} before it{short} from a zero state "
            "(engine.beyond_window, with the weights that produced this window, "
            "trace.params). min-char-rnn drops it at the cut as dhprev "
            f"(‖dhprev‖ = {num(np.linalg.norm(trace.dhprev))}); with it goes "
            f"{style.share_text(b.share)} of the Whh gradient full BPTT would have "
            "computed. Values below 1e-16 of the largest are left out: float64 cannot add "
            "them to anything on the chart.")


def ghost_for_explorer(s, trace):
    """``(values, share)`` for the explorer's norms chart: the first T/2 steps beyond
    the cut, so that the window keeps most of the chart (Gradient flow shows all of
    them); None where there is nothing to show."""
    b = window.beyond(s, s.focus)
    if b is None or b.windows_used == 0:
        return None
    return b.norms[-max(trace.T // 2, 1):], b.share


def ghost_note(s, ghost):
    """The explorer's sentence about its ghost (``ghost_for_explorer``'s result)."""
    if ghost is not None:
        return ("Faint, left of the cut: what full BPTT would carry past t = 0, its first "
                f"{len(ghost[0])} steps (engine.beyond_window with the weights that "
                "produced this window). Truncation drops it, and with it "
                f"{style.share_text(ghost[1])} of the Whh gradient full BPTT would compute "
                f"over {window.GHOST_WINDOWS} windows back (all of them in Gradient flow).")
    b = window.beyond(s, s.focus)
    if b is None:
        return "The truncation ghost " + window.skipped_note(s, s.focus, "beyond")
    return ("This window starts the text, where training starts from a zero state anyway: "
            "truncation drops nothing here.")


# -- Training: the samples panel ---------------------------------------------------------
def sample_section(ss):
    """Pick a character of the focused run's latest sample and shade the characters
    before it by how much its probability depends on them. A fragment: moving its
    slider redraws this panel only, not the whole Training view."""
    fragment(_sample_section)(ss)


def _sample_section(ss):
    s = get(ss)
    trainer = s.trainer
    st.markdown(f"##### Why did the model write that? (run '{s.focus}')" if len(s.runs) > 1
                else "##### Why did the model write that?")
    if trainer.config.cell != "rnn":
        st.info(f"Sample attribution is not available for the {trainer.config.cell} cell "
                "yet: it replays the sample with the vanilla rnn's step only.")
        return
    _, temperature, text = session.latest_samples(ss, s.focus, ss["temperature"])[0]
    if len(text) < 2 or text.startswith("(cannot sample") or any(
            c not in trainer.vocab.chars for c in text):
        st.info("There is no sample to explain (the model could not sample).")
        return
    # The latest sample was drawn at this iteration from the trainer's state now: its
    # hidden state, the next input character as seed, its weights (engine.sample).
    hprev, seed = engine.sample_start(trainer)
    ids = np.concatenate([seed, trainer.vocab.encode(text)])
    k = st.slider("Character of the sample to explain (position in the sample)", 0,
                  len(text) - 1, value=min(40, len(text) - 1), key="sample_char",
                  help="The chosen character is outlined; the characters before it are "
                       "shaded by ‖∂ log p(chosen)/∂x_s‖.")
    k = min(k, len(text) - 1)
    index = len(seed) + k
    try:
        result = window.cached(
            s, s.focus, f"sample_saliency/{temperature}/{k}",
            lambda tr, trace: engine.sample_saliency(tr.params, ids, hprev, index,
                                                     temperature))
    except engine.CostError as err:
        st.info(f"Sample attribution is skipped for this model: {err}")
        return
    chars = trainer.vocab.decode(ids)
    st.html(charts.sample_strip_html(chars, result.saliency, index, len(seed)))
    st.caption(_sample_caption(chars, result, index, len(seed), temperature))


def _sample_caption(chars, result, index, seed_length, temperature):
    sal = result.saliency
    show = lambda i: f"'{style.show_char(chars[i])}'"
    order = [int(i) for i in np.argsort(sal)[::-1][:3] if sal[i] > 0]
    strongest = ", ".join(f"{show(i)} {index - i} back" for i in order)
    levels = style.relative_decades(sal)
    shaded = np.flatnonzero(np.isfinite(levels))
    reach = index - int(shaded.min()) if shaded.size else 0
    temp = "" if temperature == 1.0 else f" at temperature {temperature:g}"
    return (f"The model drew {show(index)} with probability {num(result.prob)}{temp}. "
            f"Its log probability depends most on {strongest or 'nothing'}; shading "
            f"reaches {reach} character{'s' if reach != 1 else ''} back before it fades "
            "below 1e-6 of the strongest. Dashed box: the seed, the next character of the "
            "training text, read first; the sample also starts from the model's hidden "
            f"state (‖∂ log p/∂hprev‖ = {num(result.hprev_saliency, 2)}). Computed with the "
            "weights and state the sample was drawn from (engine.sample_saliency).")
