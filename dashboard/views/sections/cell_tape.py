"""The timestep explorer's parts for gated cells: the split of the gradient at step t
into its paths back, the cell-state tape (LSTM) or copy tape (GRU) over the window, single
losses followed across it, and the gate heatmaps. The explorer calls these where the
vanilla cell's tanh rule would not apply."""
import numpy as np
import streamlit as st

import engine
from dashboard import charts, window
from dashboard.charts import gates, style
from dashboard.charts.style import num
from dashboard.session import get
from dashboard.views.sections import cell_text
from dashboard.views.sections.common import plot, rev
from engine.cells import ARTICLE, CARRIER, GATES, LABEL, tape

TAPE = {"lstm": "The cell-state tape: how the gradient rides c back",
        "gru": "The copy tape: how z carries the gradient back along h"}


def _tape(ss, run=None):
    s = get(ss)
    return window.tape(s, s.focus if run is None else run)


# -- backward at t ------------------------------------------------------------------------
def backward_parts(ss, trace, t):
    """dh_t's two sources, then what step t hands back to step t-1 on each path: says
    how much the tape keeps, and returns the chart (figure, caption)."""
    paths = _tape(ss)["paths"]
    n = np.linalg.norm
    dh, from_output, dhnext_t = trace.dh[t], trace.dh_from_output[t], trace.dhnext[t]
    to, lost = (f"→ step {t - 1}", "") if t > 0 else ("→ discarded by truncation", " (dropped)")
    rows = [
        (f"Why<sup>T</sup>dy<sub>t</sub>: from this step's loss  ‖·‖={num(n(from_output))}",
         from_output, style.DH_FROM_OUTPUT),
        (f"+ dhnext<sub>t</sub>: from steps t+1…T−1  ‖·‖={num(n(dhnext_t))}", dhnext_t,
         style.DHNEXT),
        (f"= dh<sub>t</sub>  ‖·‖={num(n(dh))}", dh, style.DH)]
    if trace.cell == "lstm":
        into_c, dc, f = paths["dc_from_h"][t], trace.dc[t], trace.gates["f"][t]
        rows += [
            ("dh<sub>t</sub> ⊙ o<sub>t</sub>(1 − tanh²c<sub>t</sub>): dh's share into c<sub>t"
             f"</sub>  ‖·‖={num(n(into_c))}", into_c, style.DC_FROM_H),
            (f"+ dcnext<sub>t</sub>: from c<sub>t+1</sub>  ‖·‖={num(n(trace.dcnext[t]))}",
             trace.dcnext[t], style.DCNEXT),
            (f"= dc<sub>t</sub>  ‖·‖={num(n(dc))}", dc, style.DC),
            ("× f<sub>t</sub>, the forget gate (0 to 1)", f, style.GATE, (0.0, 1.0)),
            (f"= f<sub>t</sub> ⊙ dc<sub>t</sub> = dc{'next<sub>t−1</sub>' if t else 'prev'}"
             f" {to}  ‖·‖={num(n(paths['carry'][t]))}", paths["carry"][t], style.DCNEXT),
            (f"Whh<sup>T</sup>da<sub>t</sub> = dh{'next<sub>t−1</sub>' if t else 'prev'} {to}"
             f"  ‖·‖={num(n(paths['through_whh'][t]))}", paths["through_whh"][t],
             style.DHNEXT)]
        title = f"dh and dc at t={t} — sources, then the two paths back"
        keep = n(paths["carry"][t]) / n(dc) if n(dc) > 0 else float("nan")
        st.markdown(
            f"Going back, the cell state keeps **{keep:.0%}** of ‖dc<sub>t</sub>‖: "
            f"dc{'next<sub>t−1</sub>' if t else 'prev'} = f<sub>t</sub> ⊙ dc<sub>t</sub> is "
            "one elementwise product, with no matrix and no tanh' in the way"
            + (lost and ", and truncation drops it here") + ".", unsafe_allow_html=True)
        caption = ("Read top to bottom: dh_t enters c_t through o_t and tanh', joins what "
                   "c_{t+1} sent back, and the sum dc_t goes to c_{t−1} multiplied by f_t "
                   "(green, 0 to 1): units with f near 1 pass their dc back unchanged. The "
                   "last row is the path through h: all four gates, then Whh^T.")
    else:
        z = trace.gates["z"][t]
        rows += [
            ("× z<sub>t</sub>, the update gate (0 to 1)", z, style.GATE, (0.0, 1.0)),
            (f"= z<sub>t</sub> ⊙ dh<sub>t</sub>: copied straight back  "
             f"‖·‖={num(n(paths['carry'][t]))}", paths["carry"][t], style.DHNEXT),
            (f"+ Whh<sup>T</sup>dh_pre<sub>t</sub>: through r, z and n  "
             f"‖·‖={num(n(paths['through_whh'][t]))}", paths["through_whh"][t], style.DHRAW),
            (f"= dh{'next<sub>t−1</sub>' if t else 'prev'} {to}  ‖·‖="
             f"{num(n(paths['carry'][t] + paths['through_whh'][t]))}",
             paths["carry"][t] + paths["through_whh"][t], style.DHNEXT)]
        title = f"dh at t={t} — sources, then the two paths back"
        keep = n(paths["carry"][t]) / n(dh) if n(dh) > 0 else float("nan")
        st.markdown(
            f"Going back, the copy path keeps **{keep:.0%}** of ‖dh<sub>t</sub>‖: "
            "z<sub>t</sub> ⊙ dh<sub>t</sub> is one elementwise product, with no matrix and "
            "no tanh' in the way" + (lost and ", and truncation drops it here") + ".",
            unsafe_allow_html=True)
        caption = ("Read top to bottom: h_t = (1 − z_t) n_t + z_t h_(t−1), so dh_t goes "
                   "back to h_(t−1) twice: multiplied by z_t (green, 0 to 1) and nothing "
                   "else, and through the gates and Whh^T. Units with z near 1 pass their "
                   "gradient back unchanged.")
    return charts.stacked_vectors_chart(rows, title, uirevision=rev(ss, "dh_parts")), caption


# -- the whole window ---------------------------------------------------------------------
def window_panels(trace):
    """The explorer's four heatmaps for a gated cell (dhraw is the gradient at the
    stacked gate pre-activations: k blocks of H rows)."""
    blocks = ", ".join(GATES[trace.cell])
    return [
        ("hs", "h<sub>t</sub>, the hidden state (forward)", trace.hs, False),
        ("dh", "∂L/∂h<sub>t</sub> = Why<sup>T</sup>dy<sub>t</sub> + dhnext<sub>t</sub>",
         trace.dh, True),
        ("dhraw", f"∂L/∂a<sub>t</sub> at the gates' pre-activations (rows: {blocks} "
                  "blocks of H units)", trace.dhraw, True),
        ("dhnext", "∂L<sub>t+1:</sub>/∂h<sub>t</sub>, from the future", trace.dhnext, True)]


WINDOW_CAPTIONS = {
    "lstm": ("Follow dhnext from right to left: zero at the last step, fed by each step's "
             "loss. In an LSTM it is only half the story: the cell state has its own "
             "tape (below). Gaps are exact zeros.",
             "Each column is a timestep, each row a hidden unit; white is 0. hs "
             "(forward): what h shows. dh, dhnext (backward): the gradient at h. dhraw: "
             "the gradient at the four gates' pre-activations, one block of rows per gate "
             "(i, f, g, o)."),
    "gru": ("Follow dhnext from right to left: zero at the last step, fed by each step's "
            "loss, then carried back partly by the copy through z (below). Gaps are exact "
            "zeros.",
            "Each column is a timestep, each row a hidden unit; white is 0. hs (forward): "
            "what each unit holds. dh, dhnext (backward): the gradient at h. dhraw: the "
            "gradient at the three gates' pre-activations, one block of rows per gate "
            "(r, z, n)."),
}


def render(ss, trace, t, inputs):
    """The tape section under the explorer's window charts (gated cells), and, with
    several runs of which one is gated, one loss followed back in every run."""
    if trace.cell != "rnn":
        _tape_section(ss, trace, t, inputs)
    s = get(ss)
    if len(s.runs) > 1 and any(tr.config.cell != "rnn" for tr in s.runs.values()):
        _runs_follow(ss, t)


def _tape_section(ss, trace, t, inputs):
    tp = _tape(ss)
    cell = trace.cell
    st.markdown(f"#### {TAPE[cell]}")
    figs = _figures(ss, trace, inputs)
    if cell == "lstm":
        caption = ("Walk back from a loss: dc (brown) is the gradient at the cell state. "
                   "Each step back multiplies it by f_t, elementwise; the green line says "
                   "how much of its length survives that step, and it is near 1 when the "
                   "units that hold the gradient keep their forget gate open, even if the "
                   "average f (dotted) is not.")
    else:
        caption = ("Walk back from a loss: each step hands dh_t back twice, the copy "
                   "z_t ⊙ dh_t (dotted) and the path through Whh^T (dashed). The green "
                   "line says how much of dh's length the copy keeps: near 1, the gradient "
                   "crosses the step almost untouched.")
    plot(figs["tape"], caption, mark=t)
    plot(gates.loss_paths_chart(tp["G"], t, inputs, C=tp["C"],
                                uirevision=rev(ss, "loss_paths")),
         "One loss at a time, through every path (loss_to_state"
         + (", loss_to_cell" if cell == "lstm" else "") + f"). Left: the gradient of the "
         f"loss at t = {t} alone, arriving at each earlier step: a flat line crossed the "
         "distance without fading, where a vanilla RNN's falls by decades (on the "
         "long-gap text, ‖∂L_22/∂h_0‖ is below 1e-6 of ‖∂L_22/∂h_22‖ for the rnn: see "
         f"the 'cells' comparison). Right: which later losses the gradient at step {t} "
         "comes from" + (": at the window's last step only its own loss, a single point; "
                         "move t left to see more." if t == trace.T - 1 else "."))
    if t > 0:
        follow = window.cached(get(ss), get(ss).focus, f"follow_loss_{t}",
                               lambda tr, trace: tape.follow_loss(trace, trace.params, t))
        state, gate = CARRIER[cell]
        plot(gates.carrier_units_chart(follow["d" + state], trace.gates[gate], t,
                                       inputs, cell, uirevision=rev(ss, "carriers")),
             CARRIER_CAPTION[cell].format(t=t))
    plot(figs["heatmaps"],
         "Same units in every panel. " + (
             "c (blue, forward) holds what the LSTM remembers; f (green): dark = forget "
             "gate open, c and dc pass through; dc (brown/red, backward): the gradient "
             "on the cell state; i (green): where new content is written."
             if cell == "lstm" else
             "h (blue, forward); z (green): dark = update gate open, h and dh are copied "
             "through; dh (backward); r (green): the reset gate, how much of h_(t−1) "
             "the candidate n sees."), mark=t)


CARRIER_CAPTION = {
    "lstm": "Unit by unit, the units where the loss at t = {t} reaches the cell state at "
            "step 0 most. Going back one step multiplies a unit's dc by its f_s (green): "
            "where f_s stays near 1 the brown line stays level, the gradient riding the "
            "cell state; where f drops, the unit's dc shrinks, unless h feeds it again.",
    "gru": "Unit by unit, the units where the loss at t = {t} reaches h at step 0 most. "
           "Going back one step copies z_s ⊙ dh_s (green: z_s) straight to h_(s−1): where "
           "z stays near 1 the red line stays level.",
}


def _figures(ss, trace, inputs):
    """The tape's window-wide figures, built once per window (the slider only moves
    their current-t outline)."""
    s = get(ss)

    def build(trainer, trace):
        g = trace.gates
        if trace.cell == "lstm":
            panels = [("cs", "c<sub>t</sub>, the cell state (forward)", trace.cs, "forward"),
                      ("f", "f<sub>t</sub>, the forget gate", g["f"], "gate"),
                      ("dc", "∂L/∂c<sub>t</sub>, the gradient at c", trace.dc, "backward"),
                      ("i", "i<sub>t</sub>, the input gate", g["i"], "gate")]
        else:
            panels = [("hs", "h<sub>t</sub> (forward)", trace.hs, "forward"),
                      ("z", "z<sub>t</sub>, the update gate", g["z"], "gate"),
                      ("dh", "∂L/∂h<sub>t</sub>", trace.dh, "backward"),
                      ("r", "r<sub>t</sub>, the reset gate", g["r"], "gate")]
        return {"tape": gates.cell_tape_chart(_tape(ss)["norms"], 0, inputs, trace.cell,
                                              uirevision=rev(ss, "cell_tape")),
                "heatmaps": gates.gate_heatmaps(panels, 0, inputs,
                                                uirevision=rev(ss, "gate_heatmaps"))}
    return window.cached(s, s.focus, "tape_figures", build)


def _runs_follow(ss, t):
    """The loss at t followed back in every run, on one log axis."""
    s = get(ss)
    rows = {}
    for name, tr in s.runs.items():
        if tr.trace is not None:
            G = _tape(ss, name)["G"]
            rows[name] = G[min(t, G.shape[0] - 1)]
    plot(charts.runs_lines_chart(
        rows, f"‖∂L<sub>t</sub>/∂h<sub>s</sub>‖ of every run for the loss at t = {t} — "
        "one loss followed back", "s: earlier step", "L2 norm (log scale)",
        rev(ss, "runs_follow"), t=t),
         "Each run on its own current window. Where a line falls by decades to the left, "
         "that run's gradient vanishes on the way back; where it stays flat, the run can "
         "learn from that far back.")


# -- training view ------------------------------------------------------------------------
def training(ss, trainer):
    """Gate saturation of the focused run's last window (gated cells)."""
    trace = trainer.trace
    if trace is None or trace.cell == "rnn":
        return
    shares = window.cached(get(ss), get(ss).focus, "gate_saturation",
                           lambda tr, trace: engine.gate_saturation(trace))
    inputs = trainer.vocab.decode(trace.inputs)
    name = LABEL[trace.cell]
    several = len(get(ss).runs) > 1
    st.markdown(f"#### Gates of {'run ' + repr(get(ss).focus) if several else 'the ' + name}")
    st.caption(f"For {ARTICLE[trace.cell]}, σ_max(Whh) above is "
               f"that of {cell_text.BLOCK[trace.cell]}, the block of Whh that plays the "
               "vanilla Whh's part, and it does not bound how far the gradient reaches: "
               "the gated path carries it past every matrix. 'saturation' counts units "
               "with |h_t| > 0.99, which for this cell says little about the gradient; "
               "the gates below do.")
    plot(gates.gate_saturation_chart(shares, None, inputs,
                                     uirevision=rev(ss, "gate_saturation")),
         f"{name} gates on the last window "
         f"(iteration {trace.iteration + 1}): the share of units at each step whose gate is "
         "pinned near 0 or 1 (sigmoid gates) or ±1 (tanh). A pinned gate learns slowly, "
         "but it still passes what it multiplies: "
         + ("f pinned near 1 is the cell state remembering, not a blocked gradient."
            if trace.cell == "lstm" else
            "z pinned near 1 is h being copied, gradient included."))
