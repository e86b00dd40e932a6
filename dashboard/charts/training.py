"""Charts over training iterations, built from Trainer.history (a DataFrame)."""
import numpy as np

from . import go, style

PARAMS = tuple(style.PARAM_COLOURS)      # Wxh, Whh, Why, bh, by, global


def _rows(history, columns):
    """Downsampled iteration axis and the given columns, as numpy arrays. Iterations
    are counted from 1, as on the rest of the page: the row of the first iteration is
    iteration 1 (the history numbers it 0)."""
    idx = style.downsample(len(history))
    x = history["iteration"].to_numpy()[idx] + 1
    return x, {c: history[c].to_numpy(dtype=float)[idx] for c in columns}


def loss_chart(history, uirevision="loss"):
    """Per-window loss and min-char-rnn's smooth loss against iteration."""
    x, cols = _rows(history, ["loss", "smooth_loss"])
    traces = [
        go.Scatter(x=x, y=cols["loss"], name="loss (this window)", mode=style.line_mode(len(x)),
                   line=dict(color=style.FORWARD_LIGHT, width=1)),
        go.Scatter(x=x, y=cols["smooth_loss"], name="smooth_loss", mode=style.line_mode(len(x)),
                   line=dict(color=style.FORWARD, width=2.5)),
    ]
    return go.Figure(traces, layout=style.layout(
        "loss — L = Σ<sub>t</sub> −log p<sub>t</sub>[target<sub>t</sub>] per window",
        "iteration", "loss (nats, summed over the window)", uirevision,
        xaxis=style.iteration_axis(x)))


def grad_norm_chart(history, threshold, clip, uirevision="grad_norms"):
    """||dW|| per parameter before (solid) and after (dotted) clipping, log y, with the
    clipping threshold drawn."""
    before = [f"grad_norm_{p}" for p in PARAMS]
    after = [f"clipped_norm_{p}" for p in PARAMS]
    x, cols = _rows(history, before + after)
    traces, mode = [], style.line_mode(len(x))
    for p in PARAMS:
        width = 3 if p == "global" else 1.5
        colour = style.PARAM_COLOURS[p]
        name = "global" if p == "global" else f"d{p}"
        # one legend entry per parameter; clicking it hides both of its lines
        traces.append(go.Scatter(x=x, y=style.positive(cols[f"grad_norm_{p}"]),
                                 name=name, mode=mode, legendgroup=p,
                                 line=dict(color=colour, width=width),
                                 hovertemplate=f"{name} before: %{{y:{style.HOVER}}}"
                                               "<extra></extra>"))
        traces.append(go.Scatter(x=x, y=style.positive(cols[f"clipped_norm_{p}"]),
                                 name=name, mode=mode, legendgroup=p, showlegend=False,
                                 line=dict(color=colour, width=width, dash="dot"),
                                 hovertemplate=f"{name} after: %{{y:{style.HOVER}}}"
                                               "<extra></extra>"))
    shapes, notes = [], []
    if clip != "none":
        what = "each entry" if clip == "value" else "global norm"
        shape, note = style.hline(threshold, f"threshold {threshold:g} ({what})", log=True)
        shapes, notes = [shape], [note]
    return go.Figure(traces, layout=style.layout(
        "grad norms — ‖∂L/∂W‖<sub>2</sub> per parameter<br><sup>solid: before "
        "clipping, dotted: after</sup>", "iteration", "L2 norm (log scale)", uirevision,
        height=360, yaxis=style.log_axis(*cols.values()), shapes=shapes, annotations=notes,
        xaxis=style.iteration_axis(x),
        legend=dict(orientation="v", yanchor="top", y=1.0, xanchor="left", x=1.02),
        margin=dict(t=65)))


def _share_chart(history, column, colour, title, yaxis_title, uirevision, ymax):
    """A share (0..1) per iteration, filled to zero, on a percent axis."""
    x, cols = _rows(history, [column])
    trace = go.Scatter(x=x, y=cols[column], mode=style.line_mode(len(x)), name=column,
                       line=dict(color=colour, width=2), fill="tozeroy",
                       hovertemplate="%{y:.3%}<extra></extra>")
    return go.Figure([trace], layout=style.layout(
        title, "iteration", yaxis_title, uirevision, height=260, showlegend=False,
        yaxis=dict(range=[0, ymax(cols[column])], tickformat=".1~%"),
        xaxis=style.iteration_axis(x)))


def clip_fraction_chart(history, uirevision="clip_fraction"):
    """Fraction of gradient entries the clip changed, per iteration."""
    return _share_chart(
        history, "clip_fraction", style.DY,
        "clip_fraction — share of gradient entries changed by clipping",
        "share of entries", uirevision,
        lambda v: max(0.01, 1.1 * np.nanmax(v, initial=0)))


def spectrum_history_chart(history, uirevision="spectrum_history", name="Whh"):
    """sigma_max(Whh) and its spectral radius over training, with the line at 1.
    ``name``: the matrix measured (a gated cell's candidate block, e.g. W_hg, for
    which sigma_max < 1 does not imply vanishing)."""
    cols = ["sigma_max", "spectral_radius"]
    rows = history[["iteration", *cols]].dropna()
    idx = style.downsample(len(rows))
    x = rows["iteration"].to_numpy()[idx] + 1
    traces = [
        go.Scatter(x=x, y=rows["sigma_max"].to_numpy()[idx], name=f"σ_max({name})",
                   mode="lines+markers", line=dict(color=style.SIGMA_MAX, width=2)),
        go.Scatter(x=x, y=rows["spectral_radius"].to_numpy()[idx],
                   name=f"spectral radius ρ({name})", mode="lines+markers",
                   line=dict(color=style.SPECTRAL_RADIUS, width=2)),
    ]
    shape, note = style.hline(1.0, "1: σ_max < 1 ⇒ long-range gradients vanish"
                              if name == "Whh" else "1")
    return go.Figure(traces, layout=style.layout(
        f"{name} spectrum — σ<sub>max</sub>({name}) and ρ({name}) = max |λ|", "iteration",
        "value (1 = neither shrinks nor grows)", uirevision, height=300,
        shapes=[shape], annotations=[note], xaxis=style.iteration_axis(x)))


def reach_chart(history, uirevision="reach"):
    """How much of the last loss's gradient reaches the start of the window (log y).
    reach is measured on the diagnostics schedule (NaN between), ||dh_0||/||dh_T-1||
    every iteration."""
    x, cols = _rows(history, ["dh_ratio"])
    measured = history[["iteration", "reach"]].dropna()
    idx = style.downsample(len(measured))
    reach = measured["reach"].to_numpy(dtype=float)[idx]
    traces = [
        go.Scatter(x=measured["iteration"].to_numpy()[idx] + 1, y=style.positive(reach),
                   mode="lines+markers", name="reach ‖∂L<sub>T−1</sub>/∂h<sub>0</sub>‖ / "
                   "‖∂L<sub>T−1</sub>/∂h<sub>T−1</sub>‖", line=dict(color=style.DH, width=2)),
        go.Scatter(x=x, y=style.positive(cols["dh_ratio"]), mode=style.line_mode(len(x)),
                   name="‖dh<sub>0</sub>‖ / ‖dh<sub>T−1</sub>‖",
                   line=dict(color=style.DY, width=1.5, dash="dot")),
    ]
    shape, note = style.hline(1.0, "1: arrives undiminished", log=True)
    return go.Figure(traces, layout=style.layout(
        "reach — share of ∂L<sub>T−1</sub>/∂h that survives T−1 steps back",
        "iteration", "ratio (log scale)", uirevision, height=300,
        yaxis=style.log_axis(reach, cols["dh_ratio"], 1.0), shapes=[shape],
        annotations=[note], xaxis=style.iteration_axis(x)))


def saturation_chart(history, uirevision="saturation"):
    """Share of hidden units with |h| > 0.99 (tanh' < 0.02) per window."""
    return _share_chart(
        history, "saturation", style.FORWARD,
        "saturation — share of units with |h<sub>t</sub>| > 0.99, where "
        "tanh' = 1 − h<sub>t</sub>² < 0.02", "share of h entries in the window", uirevision,
        lambda v: 1.02)


def adagrad_step_chart(table, uirevision="adagrad_step"):
    """Adagrad's per-entry step size lr / sqrt(mem + 1e-8), summarised per parameter
    (``engine.effective_learning_rate``): median as a bar, min..max as the error bar."""
    names = list(table["param"])
    median = table["median"].to_numpy(dtype=float)
    trace = go.Bar(
        x=[f"d{n}" for n in names], y=median, name="median",
        marker_color=[style.PARAM_COLOURS[n] for n in names],
        error_y=dict(type="data", symmetric=False,
                     array=table["max"].to_numpy(dtype=float) - median,
                     arrayminus=median - table["min"].to_numpy(dtype=float)),
        hovertemplate="%{x}: median %{y:" + style.HOVER + "}<extra></extra>")
    return go.Figure([trace], layout=style.layout(
        "Adagrad step size — lr / √(mem + 1e−8) per entry, mem = Σ past g²",
        "parameter (bar: median entry, whisker: smallest to largest)",
        "step size per unit gradient (log)", uirevision, height=300,
        yaxis=style.log_axis(table["min"].to_numpy(dtype=float),
                             table["max"].to_numpy(dtype=float)), showlegend=False))
