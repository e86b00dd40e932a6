"""Charts of a gated cell's window: the cell-state tape (LSTM) or the copy tape (GRU)
with the gate that carries the gradient back, single losses followed across the window,
gate heatmaps and gate saturation. Pure: data in, plotly Figure out."""
import numpy as np

from engine.cells import CARRIER

from . import go, style
from .window import TICKS_HALF_WIDTH, _char_ticks, window_heatmaps

# The tape's lines: (column of engine.cells.tape.tape_norms, label, colour, dash)
TAPE_LINES = {
    "lstm": [("dh", "‖dh<sub>t</sub>‖ at h", style.DH, "solid"),
             ("dc", "‖dc<sub>t</sub>‖ at the cell state c", style.DC, "solid"),
             ("dcnext", "‖dcnext<sub>t</sub>‖ from c<sub>t+1</sub>", style.DCNEXT, "dot")],
    "gru": [("dh", "‖dh<sub>t</sub>‖", style.DH, "solid"),
            ("carry", "‖z<sub>t</sub> ⊙ dh<sub>t</sub>‖: copied to h<sub>t−1</sub>",
             style.DHNEXT, "dot"),
            ("through_whh", "‖Whh<sup>T</sup>dh_pre<sub>t</sub>‖: through the gates",
             style.DHRAW, "dash")],
}
# The gate panel: (column, label, dash, width)
GATE_LINES = {
    "lstm": [("keep", "‖f<sub>t</sub>⊙dc<sub>t</sub>‖ / ‖dc<sub>t</sub>‖: what f keeps of "
                      "dc", "solid", 3),
             ("mean_f", "mean f<sub>t</sub> over all units", "dot", 2)],
    "gru": [("keep", "‖z<sub>t</sub>⊙dh<sub>t</sub>‖ / ‖dh<sub>t</sub>‖: what z keeps of "
                     "dh", "solid", 3),
            ("mean_z", "mean z<sub>t</sub> over all units", "dot", 2)],
}
# the gate that carries the gradient back past Whh (engine.cells.CARRIER)
GATE_OF = {cell: c[1] for cell, c in CARRIER.items() if c is not None}


def cell_tape_chart(table, t, chars, cell, uirevision="cell_tape"):
    """Top: the tape's norms per timestep (log y). Bottom: the carrying gate, 0..1.
    ``table`` is engine.cells.tape.tape_norms of a gated cell's window."""
    x = np.asarray(table["t"])
    traces, values = [], []
    for column, label, colour, dash in TAPE_LINES[cell]:
        y = np.asarray(table[column], dtype=float)
        values.append(y)
        traces.append(go.Scatter(x=x, y=style.positive(y), name=label, mode="lines+markers",
                                 line=dict(color=colour, width=2.5, dash=dash),
                                 marker=dict(size=5), legendgroup="tape",
                                 hovertemplate="t=%{x}: %{y:" + style.HOVER + "}<extra>"
                                 + column + "</extra>"))
    gate_colour = style.GATE_COLOURS[GATE_OF[cell]]
    for column, label, dash, width in GATE_LINES[cell]:
        traces.append(go.Scatter(x=x, y=np.asarray(table[column], dtype=float), name=label,
                                 yaxis="y2", mode="lines+markers",
                                 line=dict(color=gate_colour, width=width, dash=dash),
                                 marker=dict(size=4), legendgroup="gate",
                                 hovertemplate="t=%{x}: %{y:.3f}<extra>" + column + "</extra>"))
    shape, _ = style.hline(1.0, None, yref="y2", dash="dot")
    gate = GATE_OF[cell]
    title = ("cell-state tape — dc<sub>t</sub> = ∂L/∂c<sub>t</sub> rides back on "
             "dcnext<sub>t−1</sub> = f<sub>t</sub> ⊙ dc<sub>t</sub>" if cell == "lstm" else
             "copy tape — dhnext<sub>t−1</sub> = z<sub>t</sub> ⊙ dh<sub>t</sub> + "
             "Whh<sup>T</sup>dh_pre<sub>t</sub>")
    lay = style.layout(
        title, "timestep t (input character)", "", uirevision, height=520,
        xaxis=dict(anchor="y2", **_char_ticks(chars)),
        yaxis=dict(domain=[0.42, 1.0], title=dict(text="L2 norm (log scale)"),
                   **style.log_axis(*values)),
        shapes=[style.vband(t, yref="paper"), shape],
        legend=dict(orientation="v", yanchor="top", y=-0.18, xanchor="left", x=0.0),
        margin=dict(l=60, r=20, t=50, b=150))
    lay["yaxis2"] = dict(domain=[0.0, 0.32], range=[0, 1.05], anchor="x",
                         title=dict(text=f"gate {gate} (0..1)"))
    return go.Figure(traces, layout=lay)


def loss_paths_chart(G, t, chars, C=None, uirevision="loss_paths"):
    """Left: where the loss at ``t`` goes, ||dL_t/dh_s|| (and ||dL_t/dc_s||) for
    s = t, t-1, ..., 0. Right: where the gradient at step t comes from, ||dL_u/dh_t||
    (and ||dL_u/dc_t||) for u = t..T-1. One log scale for both panels. ``G`` is
    loss_to_state, ``C`` loss_to_cell (LSTM) or None."""
    T = G.shape[0]
    panels = [("x", "y", np.arange(0, t + 1), lambda M: M[t, : t + 1]),
              ("x2", "y2", np.arange(t, T), lambda M: M[t:, t])]
    quantities = [(G, "h", style.DH)] + ([(C, "c", style.DC)] if C is not None else [])
    traces, values = [], []
    for i, (xa, ya, x, pick) in enumerate(panels):
        for M, name, colour in quantities:
            y = np.asarray(pick(M), dtype=float)
            values.append(y)
            label = (f"‖∂L<sub>{t}</sub>/∂{name}<sub>s</sub>‖" if i == 0 else
                     f"‖∂L<sub>u</sub>/∂{name}<sub>{t}</sub>‖")
            traces.append(go.Scatter(
                x=x, y=style.positive(y), xaxis=xa, yaxis=ya, name=label,
                mode="lines+markers", marker=dict(size=6),
                line=dict(color=colour, width=2.5, dash="solid" if name == "h" else "dash"),
                hovertemplate=("s" if i == 0 else "u") + "=%{x}: %{y:" + style.HOVER
                + "}<extra></extra>"))
    finite = np.concatenate([style.positive(v) for v in values])
    finite = finite[np.isfinite(finite)]
    notes = []
    if finite.size:
        # at least MIN_DECADES tall: a flat line reads as flat, with room for the fall
        # a vanishing gradient would take
        values.append(finite.max() * 10.0 ** -MIN_DECADES)
        notes = _loss_path_notes(G, t)
    axis = style.log_axis(*values)
    ticks = _char_ticks(chars, TICKS_HALF_WIDTH)         # two panels side by side
    lay = style.layout(
        f"one loss at a time — left: where the loss at t = {t} goes; right: which losses "
        f"feed step {t}", "", "", uirevision, height=380,
        xaxis=dict(domain=[0.0, 0.46], range=[-0.5, T - 0.5],
                   title=dict(text=f"s: earlier step (the loss sits at t = {t})"), **ticks),
        yaxis=dict(title=dict(text="L2 norm (log scale)"), **axis),
        shapes=[style.vband(t, xref="x"), style.vband(t, xref="x2")],
        legend=dict(orientation="h", yanchor="top", y=-0.28, xanchor="left", x=0.0),
        margin=dict(l=60, r=20, t=50, b=110), annotations=notes)
    lay["xaxis2"] = dict(domain=[0.54, 1.0], range=[-0.5, T - 0.5], anchor="y2",
                         title=dict(text=f"u: the step whose loss it is (state at t = {t})"),
                         **ticks)
    lay["yaxis2"] = dict(anchor="x2", matches="y", showticklabels=False, **axis)
    return go.Figure(traces, layout=lay)


MIN_DECADES = 8


def _loss_path_notes(G, t):
    """One line in each panel: how much of the loss at t reaches h_0, and which loss
    sends the most to step t."""
    T = G.shape[0]
    notes = []
    if t > 0 and G[t, t] > 0:
        notes.append(dict(xref="x domain", yref="y domain", x=0.02, y=0.04, xanchor="left",
                          showarrow=False, font=dict(color=style.DH),
                          text=f"‖∂L<sub>{t}</sub>/∂h<sub>0</sub>‖ = "
                               f"{style.num(G[t, 0] / G[t, t], 2)} × "
                               f"‖∂L<sub>{t}</sub>/∂h<sub>{t}</sub>‖"))
    column = G[t:, t]
    if T - t > 1 and np.isfinite(column).any():
        u = t + int(np.nanargmax(column))
        notes.append(dict(xref="x2 domain", yref="y2 domain", x=0.02, y=0.04,
                          xanchor="left", showarrow=False,
                          font=dict(color=style.DH),
                          text=f"the most from the loss at u = {u}"))
    return notes


def carrier_units_chart(grad, gate, t, chars, cell, k=3, uirevision="carrier_units"):
    """The ``k`` units where the gradient of the loss at ``t`` arrives strongest at
    step 0, followed back unit by unit: top, |gradient| at c_s (LSTM) or h_s (GRU) for
    s = 0..t, log y; bottom, the gate that carries it (f or z) on those units, 0..1.
    ``grad`` is (t+1, H) (engine.cells.tape.follow_loss's "dc" or "dh"), ``gate``
    (T, H)."""
    grad = np.asarray(grad, dtype=float)
    units = [int(j) for j in np.argsort(-np.abs(grad[0]))[:k]]
    x = np.arange(len(grad))
    dashes = ("solid", "dash", "dot")
    where, name = CARRIER[cell]         # the state and the gate that carries it
    colour = style.DC if where == "c" else style.DH
    traces = []
    for d, j in zip(dashes, units, strict=False):
        traces.append(go.Scatter(
            x=x, y=style.positive(np.abs(grad[:, j])), name=f"unit {j}: |∂L<sub>{t}</sub>/∂"
            f"{where}<sub>s</sub>|", legendgroup=str(j), mode="lines+markers",
            line=dict(color=colour, width=2.5, dash=d), marker=dict(size=5),
            hovertemplate=f"unit {j}, s=%{{x}}: %{{y:{style.HOVER}}}<extra></extra>"))
        traces.append(go.Scatter(
            x=x, y=np.asarray(gate)[: len(grad), j], yaxis="y2", legendgroup=str(j),
            name=f"unit {j}: {name}<sub>s</sub>", mode="lines+markers",
            line=dict(color=style.GATE_COLOURS[name], width=2.5, dash=d),
            marker=dict(size=4), hovertemplate=f"unit {j}, {name}=%{{y:.3f}}<extra></extra>"))
    shape, _ = style.hline(1.0, None, yref="y2", dash="dot")
    lay = style.layout(
        f"the units that carry the loss at t = {t} back to step 0 — its gradient at "
        f"{where}<sub>s</sub> on each, and the gate {name}<sub>s</sub> it passes",
        "s: earlier step", "", uirevision, height=440,
        xaxis=dict(anchor="y2", range=[-0.5, len(chars) - 0.5], **_char_ticks(chars)),
        yaxis=dict(domain=[0.42, 1.0], title=dict(text="|gradient| (log scale)"),
                   **style.log_axis(*[np.abs(grad[:, j]) for j in units])),
        shapes=[shape], legend=dict(orientation="v", yanchor="top", y=1.0, xanchor="left",
                                    x=1.01),
        margin=dict(l=60, r=20, t=50, b=50))
    lay["yaxis2"] = dict(domain=[0.0, 0.32], range=[0, 1.05], anchor="x",
                         title=dict(text=f"{name} (0..1)"))
    return go.Figure(traces, layout=lay)


def gate_heatmaps(panels, t, chars, uirevision="gate_heatmaps", columns=2):
    """Heatmap panels like charts.window_heatmaps, where each panel is (name, math,
    values, kind) and kind is "forward", "backward" or "gate": gates get the fixed
    0..1 scale style.GATE_SCALE (white closed, dark green open)."""
    fig = window_heatmaps([(name, math, values, kind == "backward")
                           for name, math, values, kind in panels], t, chars,
                          uirevision=uirevision, columns=columns)
    for trace, (*_, kind) in zip(fig.data, panels, strict=True):
        if kind == "gate":
            trace.update(colorscale=style.GATE_SCALE, zmin=0.0, zmax=1.0, zmid=None)
    return fig


def gate_saturation_chart(shares, t, chars, uirevision="gate_saturation"):
    """Share of units whose nonlinearity is saturated, per gate and timestep (0..1).
    ``shares`` maps gate name -> (T,) (engine.gate_saturation of one window)."""
    dashes = ("solid", "dash", "dot", "dashdot", "longdash")
    traces = []
    for k, (name, share) in enumerate(shares.items()):
        share = np.asarray(share, dtype=float)
        traces.append(go.Scatter(
            x=np.arange(len(share)), y=share, name=name, mode="lines+markers",
            line=dict(color=style.GATE_COLOURS.get(name, style.GUIDE), width=2.5,
                      dash=dashes[k % len(dashes)]), marker=dict(size=4),
            hovertemplate=name + " t=%{x}: %{y:.0%}<extra></extra>"))
    return go.Figure(traces, layout=style.layout(
        "gate_saturation — share of units whose gate passes < 2% of its largest slope",
        "timestep t (input character)", "share of units", uirevision, height=330,
        # drawn in the Training view's right-hand column: half the page
        yaxis=dict(range=[0, 1.02], tickformat=".0%"),
        xaxis=_char_ticks(chars, TICKS_HALF_WIDTH),
        shapes=[style.vband(t)] if t is not None else []))
