"""Charts that draw several runs together: one colour and dash per run (style.RUN_*),
the same in every chart, and one shared scale wherever runs are compared."""
import numpy as np
from plotly.subplots import make_subplots

from . import go, style
from .flow import _decade_colorbar, _log10

# history column -> (title, y axis title, log y)
HISTORY = {
    "loss": ("loss — L = Σ<sub>t</sub> −log p<sub>t</sub>[target<sub>t</sub>] per window "
             "<sup>(thin: each window, bold: smooth_loss)</sup>",
             "loss (nats, summed over the window)", False),
    "grad_norm_global": ("global grad norm — ‖∂L/∂W‖<sub>2</sub> of all parameters "
                         "<sup>(solid: before clipping, dotted: after)</sup>",
                         "L2 norm (log scale)", True),
    "clip_fraction": ("clip_fraction — share of gradient entries changed by clipping",
                      "share of entries", False),
    "sigma_max": ("σ<sub>max</sub>(Whh) — largest singular value of Whh",
                  "σ_max (1 = neither shrinks nor grows)", True),
    "reach": ("reach — ‖∂L<sub>T−1</sub>/∂h<sub>0</sub>‖ / ‖∂L<sub>T−1</sub>/∂h"
              "<sub>T−1</sub>‖ <sup>(what survives the window)</sup>",
              "ratio (log scale)", True),
    "saturation": ("saturation — share of units with |h<sub>t</sub>| > 0.99 "
                   "(tanh' < 0.02)", "share of h entries", False),
    "horizon": ("horizon — how far back dWhh reaches (mean d = t − s)",
                "steps between loss and step (mean d)", False),
}
SPARSE = ("sigma_max", "reach", "horizon")         # measured on the diagnostics schedule only


def _series(history, column):
    rows = history[["iteration", column]].dropna() if column in SPARSE else history
    idx = style.downsample(len(rows))
    return (rows["iteration"].to_numpy()[idx] + 1,        # counted from 1, as on the page
            rows[column].to_numpy(dtype=float)[idx])


def runs_history_chart(histories, column, threshold=None, uirevision=None):
    """One history column of every run against iteration. ``histories`` maps run name
    -> Trainer.history, in run order. Loss adds smooth_loss (bold), the global norm adds
    the norm after clipping (dotted); ``threshold`` draws a clipping line."""
    title, ytitle, log = HISTORY[column]
    names = list(histories)
    colours, dashes = style.run_colours(names), style.run_dashes(names)
    traces, values, xs = [], [], [[]]
    for name, history in histories.items():
        if history.empty:
            continue
        x, y = _series(history, column)
        xs.append(x)
        mode = "lines+markers" if column in SPARSE else style.line_mode(len(x))
        extra = {"loss": "smooth_loss", "grad_norm_global": "clipped_norm_global"}.get(column)
        thin = column == "loss"
        line = dict(color=colours[name], width=1 if thin else 2.5,
                    dash="solid" if column in ("loss", "grad_norm_global") else dashes[name])
        traces.append(go.Scatter(x=x, y=style.positive(y) if log else y, name=name,
                                 legendgroup=name, mode=mode, line=line,
                                 opacity=0.45 if thin else 1.0,
                                 hovertemplate=f"{name}: %{{y:{style.HOVER}}}<extra></extra>"))
        values.append(y)
        if extra:
            x2, y2 = _series(history, extra)
            dash = "solid" if column == "loss" else "dot"
            traces.append(go.Scatter(
                x=x2, y=style.positive(y2) if log else y2, name=f"{name} ({extra})",
                legendgroup=name, showlegend=False, mode=style.line_mode(len(x2)),
                line=dict(color=colours[name], width=3, dash=dash),
                hovertemplate=f"{name} {extra}: %{{y:{style.HOVER}}}<extra></extra>"))
            values.append(y2)
    shapes, notes = [], []
    if threshold is not None:
        shape, note = style.hline(threshold, f"clip threshold {threshold:g}", log=log)
        shapes, notes = [shape], [note]
    extra_layout = {}
    if log:
        extra_layout["yaxis"] = style.log_axis(*values) if values else dict(type="log")
    elif column in ("clip_fraction", "saturation"):
        extra_layout["yaxis"] = dict(range=[0, 1.02], tickformat=".0%")
    return go.Figure(traces, layout=style.layout(
        title, "iteration", ytitle, uirevision or f"runs_{column}", height=330,
        shapes=shapes, annotations=notes, xaxis=style.iteration_axis(np.concatenate(xs)),
        **extra_layout))


def loss_to_state_grid(Gs, uirevision="runs_loss_to_state", decades=None):
    """``G[t, s] = ||dL_t/dh_s||`` of every run side by side, on ONE log10 colour scale
    (the same colour is the same number in every panel): the runs' smallest to largest,
    or ``decades`` (lo, hi) of log10, fixed across iterations and views."""
    names = list(Gs)
    colours = style.run_colours(names)
    zs = {n: _log10(G) for n, G in Gs.items()}
    finite = np.concatenate([z[np.isfinite(z)] for z in zs.values()])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if decades is not None:
        lo, hi = decades
    fig = make_subplots(rows=1, cols=len(names), horizontal_spacing=0.04,
                        subplot_titles=[f"<span style='color:{colours[n]}'>■</span> <b>{n}</b>"
                                        for n in names])
    for i, (name, z) in enumerate(zs.items()):
        T = z.shape[0]
        fig.add_trace(go.Heatmap(
            z=z, x=np.arange(T), y=np.arange(T), zmin=lo, zmax=hi,
            colorscale=style.MAGNITUDE, showscale=i == 0, name=name,
            colorbar=_decade_colorbar(np.array([lo, hi]), "‖∂L_t/∂h_s‖"),
            customdata=np.asarray(Gs[name], dtype=float), hoverongaps=False,
            hovertemplate=f"{name}<br>loss at t=%{{y}}, state s=%{{x}}<br>"
                          "‖∂L_t/∂h_s‖ = %{customdata:" + style.HOVER
                          + "}<extra></extra>"), 1, i + 1)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{i + 1 if i else ''}",
                         constrain="domain", row=1, col=i + 1,
                         title_text="t: loss L_t" if i == 0 else None)
        fig.update_xaxes(constrain="domain", title_text="s: state h_s", row=1, col=i + 1)
    fig.update_layout(
        title=dict(text="loss_to_state of every run — ‖∂L<sub>t</sub>/∂h<sub>s</sub>‖, "
                        "one colour scale for all", x=0.0),
        height=400, uirevision=uirevision, plot_bgcolor="#f0f0f0",
        margin=dict(l=60, r=20, t=80, b=50))
    return fig


def runs_lines_chart(series, title, xaxis_title, yaxis_title, uirevision, chars=None,
                     t=None, second=None):
    """Per-run curves over k or t on a log axis. ``series`` maps run name -> (n,) array
    (solid); ``second`` optionally maps run name -> (n,) array drawn dotted, e.g. dhnext
    beside dh. ``t`` marks the current timestep."""
    names = list(series)
    colours = style.run_colours(names)
    traces, values = [], []
    for name, y in series.items():
        y = np.asarray(y, dtype=float)
        traces.append(go.Scatter(x=np.arange(len(y)), y=style.positive(y), name=name,
                                 legendgroup=name, mode="lines+markers",
                                 line=dict(color=colours[name], width=2.5),
                                 marker=dict(size=5)))
        values.append(y)
        if second is not None:
            y2 = np.asarray(second[name], dtype=float)
            traces.append(go.Scatter(x=np.arange(len(y2)), y=style.positive(y2),
                                     name=f"{name} (dotted: dhnext)", legendgroup=name,
                                     showlegend=False, mode="lines",
                                     line=dict(color=colours[name], width=2, dash="dot")))
            values.append(y2)
    extra = {}
    if t is not None:
        extra["shapes"] = [style.vband(t)]
    return go.Figure(traces, layout=style.layout(
        title, xaxis_title, yaxis_title, uirevision, height=340,
        yaxis=style.log_axis(*values), **extra))
