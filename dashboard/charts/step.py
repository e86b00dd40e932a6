"""The explorer's charts of one timestep and of the whole window, built from a Trace
alone: the Timestep explorer and the offline handout (dashboard/handout.py) draw the
same figures. Pure: no streamlit."""
import numpy as np

from . import style
from .window import (
    stacked_vectors_chart,
    timestep_norms_chart,
    top_predictions_chart,
    vector_chart,
    window_heatmaps,
)

NORM_COLOURS = {"dh": style.DH, "dhnext": style.DHNEXT, "dhraw": style.DHRAW,
                "Why^T dy": style.DH_FROM_OUTPUT}
NORM_COLUMNS = {"dh": "dh", "dhnext": "dhnext", "dhraw": "dhraw", "Why^T dy": "dh_from_output"}
TOP_CAPTION = "What the model predicts from h_t; the dark bar is the true next character."
DY_CAPTION = ("Negative only at the target (push its score up), positive at every other "
              "character in proportion to its probability (push down).")
DH_CAPTION = ("Read top to bottom: the two sources add up to dh_t; tanh' (grey) lets "
              "through only unsaturated units; the last row is handed to the step before. "
              "At the last step dhnext is zero.")


def top_figure(trace, chars, t, uirevision):
    return top_predictions_chart(trace.ps[t], chars, int(trace.targets[t]),
                                 uirevision=uirevision)


def dy_figure(trace, chars, t, uirevision):
    return vector_chart(trace.dy[t], "dy[t]",
                        "∂L<sub>t</sub>/∂y<sub>t</sub> = p<sub>t</sub> − onehot(target)",
                        style.DY, labels=chars, uirevision=uirevision)


def dh_parts_figure(trace, t, uirevision):
    """The vanilla cell's dh_t split into its two sources, then tanh', dhraw_t and what
    is handed to the step before."""
    n = np.linalg.norm
    from_output, dhnext_t = trace.dh_from_output[t], trace.dhnext[t]
    if t > 0:
        handed_back, where = trace.dhnext[t - 1], f"dhnext<sub>{t - 1}</sub> → step {t - 1}"
    else:
        handed_back, where = trace.dhprev, "dhprev → discarded by truncation"
    tanh_grad, dhraw = trace.tanh_grad[t], trace.dhraw[t]
    rows = [
        (f"Why<sup>T</sup>dy<sub>t</sub>: from this step's loss  ‖·‖={style.num(n(from_output))}",
         from_output, style.DH_FROM_OUTPUT),
        (f"+ dhnext<sub>t</sub>: from steps t+1…T−1  ‖·‖={style.num(n(dhnext_t))}",
         dhnext_t, style.DHNEXT),
        (f"= dh<sub>t</sub>  ‖·‖={style.num(n(trace.dh[t]))}", trace.dh[t], style.DH),
        ("× tanh' = 1 − h<sub>t</sub><sup>2</sup> (the gate, 0 to 1)", tanh_grad,
         style.TANH_GRAD, (0.0, 1.0)),
        (f"= dhraw<sub>t</sub>  ‖·‖={style.num(n(dhraw))}", dhraw, style.DHRAW),
        (f"Whh<sup>T</sup>dhraw<sub>t</sub> = {where}  ‖·‖={style.num(n(handed_back))}",
         handed_back, style.DHNEXT),
    ]
    return stacked_vectors_chart(
        rows, f"dh at t={t} — its two sources, then tanh' and Whh<sup>T</sup>"
              "<br><sup>one y scale for every row but tanh' (0 to 1)</sup>",
        uirevision=uirevision)


def rnn_window_panels(trace):
    """The vanilla cell's (T, H) heatmap panels: h, dh, dhraw, dhnext."""
    return [
        ("hs", "h<sub>t</sub>, the hidden state (forward)", trace.hs, False),
        ("dh", "∂L/∂h<sub>t</sub> = Why<sup>T</sup>dy<sub>t</sub> + dhnext<sub>t</sub>",
         trace.dh, True),
        ("dhraw", "(1 − h<sub>t</sub><sup>2</sup>) ⊙ dh<sub>t</sub>, at the pre-activation",
         trace.dhraw, True),
        ("dhnext", "∂L<sub>t+1:</sub>/∂h<sub>t</sub>, from the future", trace.dhnext, True)]


def norms_figure(table, inputs, uirevision, ghost=None, height=340):
    """The per-timestep norms chart from engine.timestep_norms' ``table``."""
    norms = {label: table[column].to_numpy() for label, column in NORM_COLUMNS.items()}
    return timestep_norms_chart(norms, 0, inputs, NORM_COLOURS, uirevision=uirevision,
                                ghost=ghost, height=height)


def heatmaps_figure(panels, inputs, uirevision):
    return window_heatmaps(panels, 0, inputs, uirevision=uirevision)
