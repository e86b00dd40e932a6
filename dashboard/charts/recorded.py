"""Charts of a recorded run (a user's PyTorch model under bpttscope.torch.watch).

Pure builders: numbers in, figure out. For a layer below the top, "L_t" is not the loss
at t: what enters the layer at step t is the gradient from the layer above at t, and the
titles say so (``source_words``)."""
import numpy as np

from . import go, style
from .flow import _matrix_heatmap


def source_words(lower):
    """How a chart names what enters a layer at step t."""
    return ("the gradient arriving from the layer above at step t (not the loss at t)"
            if lower else "the gradient arriving through the output at step t")


def over_training_chart(steps, series, title, yaxis_title, uirevision, log=True,
                        selected=None):
    """Lines over recorded optimizer steps: ``series`` name -> (values, colour, dash)."""
    steps = np.asarray(steps)
    traces, every = [], []
    for name, (values, colour, dash) in series.items():
        values = np.asarray(values, dtype=float)
        every.append(values)
        traces.append(go.Scatter(x=steps, y=style.positive(values) if log else values,
                                 mode=style.line_mode(len(steps)), name=name,
                                 line=dict(color=colour, width=2.2, dash=dash),
                                 hovertemplate=f"step %{{x}}<br>{name} = %{{y:.3g}}"
                                               "<extra></extra>"))
    shapes = []
    if selected is not None:
        shapes.append(dict(type="line", xref="x", x0=selected, x1=selected, yref="paper",
                           y0=0, y1=1, line=dict(color=style.CURRENT, width=2.5)))
    yaxis = style.log_axis(*every) if log else {}
    return go.Figure(traces, layout=style.layout(
        title, "optimizer step", yaxis_title, uirevision, height=300, yaxis=yaxis,
        shapes=shapes))


def clip_norms_chart(steps, before, after, name, uirevision="rec_clip", selected=None):
    """||grad|| of ``name`` before and after the user's clipping, per recorded step."""
    return over_training_chart(
        steps, {"before clipping": (before, style.DH, "solid"),
                "after clipping": (after, style.DH_FROM_OUTPUT, "dash")},
        f"norms_before / norms_after — ‖∂L/∂θ‖ of {name}, before and after your clipping",
        "L2 norm (log scale)", uirevision, selected=selected)


def tape_norms_chart(dh, dh_out, dhnext, dc=None, lower=False, uirevision="rec_tape"):
    """Per timestep: ||dh_t|| and its two parts, ||dh_out_t|| (through the output at t)
    and ||dhnext_t|| (from step t+1); ||dc_t|| for an LSTM. Inputs (T, H)."""
    T = len(dh)
    t = np.arange(T)
    norm = lambda a: np.linalg.norm(np.asarray(a, dtype=float), axis=1)
    lines = [("dh — ‖∂L/∂h_t‖ (total)", norm(dh), style.DH, "solid"),
             ("output part — ‖dh_t − dhnext_t‖", norm(dh_out), style.DH_FROM_OUTPUT, "dot"),
             ("dhnext — ‖from step t+1‖", norm(dhnext), style.DHNEXT, "dash")]
    if dc is not None:
        lines.append(("dc — ‖∂L/∂c_t‖", norm(dc), style.DC, "dashdot"))
    traces = [go.Scatter(x=t, y=style.positive(v), mode=style.line_mode(T), name=name,
                         line=dict(color=colour, width=2.2, dash=dash),
                         hovertemplate=f"t=%{{x}}<br>{name} = %{{y:.3g}}<extra></extra>")
              for name, v, colour, dash in lines]
    return go.Figure(traces, layout=style.layout(
        "dh split — dh<sub>t</sub> = output part + dhnext<sub>t</sub>, per timestep",
        "t: timestep", "L2 norm (log scale)", uirevision, height=400,
        yaxis=style.log_axis(*[v for _, v, _, _ in lines]),
        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0.0),
        margin=dict(l=60, r=20, t=40, b=110)))


def signed_heatmap(matrix, title, uirevision, colourbar="value"):
    """(T, H) backward quantity as units x timesteps, white at 0."""
    z = np.asarray(matrix, dtype=float).T
    lim = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    trace = go.Heatmap(z=z, x=np.arange(z.shape[1]), y=np.arange(z.shape[0]),
                       colorscale=style.BACKWARD_DIVERGING, zmin=-lim or -1, zmax=lim or 1,
                       colorbar=dict(title=dict(text=colourbar), thickness=12),
                       hovertemplate="t=%{x}, unit %{y}<br>%{z:.3g}<extra></extra>")
    return go.Figure([trace], layout=style.layout(title, "t: timestep", "hidden unit",
                                                  uirevision, height=300))


def entry_to_state_heatmap(G, lower, uirevision="rec_entry"):
    """G[t, s] = ||d(what enters at t)/dh_s|| (engine.loss_to_state on a recorded layer)."""
    what = "the layer above's gradient at t" if lower else "the output's gradient at t"
    return _matrix_heatmap(
        G, f"loss_to_state — ‖∂L<sub>t</sub>/∂h<sub>s</sub>‖ with L<sub>t</sub> = {what}",
        "‖∂L_t/∂h_s‖", "entering at t=%{y}, state s=%{x}<br>‖∂L_t/∂h_s‖ = %{customdata:.3g}",
        uirevision, "s: timestep of the hidden state h_s",
        "t: step where it entered")


def depth_time_heatmap(norms, names, uirevision="rec_depth"):
    """||dh_t|| per layer (rows, top layer first) and timestep, log10 colour."""
    norms = np.asarray(norms, dtype=float)
    z = np.full(norms.shape, np.nan)
    ok = np.isfinite(norms) & (norms > 0)
    z[ok] = np.log10(norms[ok])
    finite = z[np.isfinite(z)]
    lo, hi = (int(np.floor(finite.min())), int(np.ceil(finite.max()))) if finite.size \
        else (0, 1)
    ticks = list(range(lo, hi + 1, max(1, (hi - lo) // 8)))
    trace = go.Heatmap(z=z, x=np.arange(z.shape[1]), y=list(names), customdata=norms,
                       colorscale=style.MAGNITUDE,
                       colorbar=dict(title=dict(text="‖dh_t‖"), thickness=12,
                                     tickvals=ticks, ticktext=[f"1e{k}" for k in ticks]),
                       hovertemplate="%{y}, t=%{x}<br>‖dh_t‖ = %{customdata:.3g}"
                                     "<extra></extra>", hoverongaps=False)
    return go.Figure([trace], layout=style.layout(
        "depth × time — ‖dh<sub>t</sub>‖ per layer: where the gradient dies, through time "
        "(along a row) or through depth (down a column)", "t: timestep", "layer",
        uirevision, height=max(220, 90 + 45 * len(names)),
        yaxis=dict(autorange="reversed", type="category")))


def distance_chart(norms, horizon, lower, uirevision="rec_distance"):
    """||slice_d||_F of weight_hh's gradient by distance d (engine.whh_distance_norms)."""
    norms = np.asarray(norms, dtype=float)
    d = np.arange(len(norms))
    bar = go.Bar(x=d, y=style.positive(norms), marker=dict(color=style.DH),
                 hovertemplate="d=%{x}<br>‖slice_d‖ = %{y:.3g}<extra></extra>", name="")
    entering = "the layer above's gradient" if lower else "the output's gradient"
    title = (f"whh_gradient_by_distance — ‖part of ∂L/∂W_hh from {entering} d steps "
             f"later‖; horizon {horizon:.2f} steps")
    return go.Figure([bar], layout=style.layout(
        title, "d: steps between where the gradient entered and where W_hh is used",
        "Frobenius norm (log scale)", uirevision, height=320,
        yaxis=style.log_axis(norms), showlegend=False))


def saturation_chart(saturation, uirevision="rec_saturation"):
    """name -> (T,) fraction of saturated units per step (engine.gate_saturation)."""
    traces = []
    for name, values in saturation.items():
        values = np.asarray(values, dtype=float)
        traces.append(go.Scatter(
            x=np.arange(len(values)), y=values, mode=style.line_mode(len(values)),
            name=name, line=dict(color=style.GATE_COLOURS.get(name, style.GUIDE), width=2),
            hovertemplate=f"t=%{{x}}<br>{name}: %{{y:.0%}} saturated<extra></extra>"))
    return go.Figure(traces, layout=style.layout(
        "gate_saturation — share of units whose gate passes back < 2% of its largest slope",
        "t: timestep", "fraction of units", uirevision, height=300,
        yaxis=dict(range=[0, 1.02], tickformat=".0%")))


def batch_band_chart(quantiles, lower, uirevision="rec_batch"):
    """(3, T) 10%, 50%, 90% quantiles of ||dh_t|| over the batch, log y."""
    q = np.asarray(quantiles, dtype=float)
    t = np.arange(q.shape[1])
    band = dict(color=style.DH_FROM_OUTPUT, width=0.5)
    traces = [go.Scatter(x=t, y=style.positive(q[2]), mode="lines", line=band,
                         name="90th percentile", hoverinfo="skip"),
              go.Scatter(x=t, y=style.positive(q[0]), mode="lines", line=band, fill="tonexty",
                         fillcolor="rgba(245, 160, 90, 0.25)", name="10th percentile",
                         hoverinfo="skip"),
              go.Scatter(x=t, y=style.positive(q[1]), mode=style.line_mode(len(t)),
                         line=dict(color=style.DH, width=2.2), name="median",
                         hovertemplate="t=%{x}<br>median ‖dh_t‖ = %{y:.3g}<extra></extra>")]
    return go.Figure(traces, layout=style.layout(
        "dh_norms — ‖dh<sub>t</sub>‖ over the whole batch: median and 10–90% band",
        "t: timestep", "L2 norm (log scale)", uirevision, height=300,
        yaxis=style.log_axis(q)))
