"""Where the gradient comes from: Whh's gradient split by the distance between a loss and
the step it reaches (the gradient's horizon), and what truncation throws away."""
import numpy as np

from . import go, style
from .window import _char_ticks


def distance_colours(T):
    """(T,) colours for distances d = 0..T-1: d = 0 dark red, then fading, on a square
    root scale so that the first few distances (where most gradient is) differ most."""
    span = max(T - 1, 1)
    return [style.ramp(style.DISTANCE, np.sqrt(d / span)) for d in range(T)]


def horizon_bars_chart(pieces, chars, horizon, uirevision="horizon_bars"):
    """dWhh by step and distance: one stacked bar per step s, its segments the sizes
    ``pieces[t, s]`` (engine.whh_piece_norms, NaN above the diagonal) of the part each
    later loss L_t applies at step s, coloured by the distance d = t - s (d = 0 at the
    bottom). One bar trace with an explicit base per segment: T traces of T bars cost
    ~20 ms of plotly validation per render, one trace ~1 ms."""
    C = np.asarray(pieces, dtype=float)
    T = C.shape[0]
    colours = distance_colours(T)
    t, s = np.tril_indices(T)                         # every loss t and step s <= t
    d = t - s
    order = np.lexsort((d, s))                        # by step, then distance
    t, s, d = t[order], s[order], d[order]
    y = np.nan_to_num(C[t, s], nan=0.0, posinf=0.0)
    # each segment sits on the ones below it in its bar: a running sum restarted per step
    total = np.cumsum(y)
    first = np.searchsorted(s, s)                     # index of each bar's first segment
    base = total - y - (total[first] - y[first])
    scale = [[k / max(T - 1, 1), colours[k]] for k in range(T)]
    # Each segment gets its colour as a string, and the colour bar comes from an empty
    # trace: numbers with a colour scale on the bars themselves made plotly.js warn
    # "Invalid color specifier" in the console for every bar on every render.
    traces = [go.Bar(
        x=s, y=y, base=base, customdata=np.stack([t, d], axis=1), showlegend=False,
        marker=dict(color=[colours[k] for k in d], line=dict(width=0)),
        hovertemplate="step s=%{x}, from the loss at t=%{customdata[0]} "
                      "(d = %{customdata[1]})<br>‖piece‖<sub>F</sub> = %{y:"
                      + style.HOVER + "}<extra></extra>"),
        go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                   marker=dict(color=[0, max(T - 1, 1)], colorscale=scale, cmin=0,
                               cmax=max(T - 1, 1), showscale=True,
                               colorbar=dict(title=dict(text="distance d<br>= t − s"),
                                             thickness=12)))]
    shown = "n/a" if horizon is None or not np.isfinite(horizon) else style.num(horizon)
    return go.Figure(traces, layout=style.layout(
        "dWhh by step and distance — which loss sent the Whh gradient at step s"
        "<br><sup>segment: ‖(∂L<sub>t</sub>/∂hraw<sub>s</sub>) h<sub>s−1</sub><sup>T</sup>‖"
        f", the piece loss t applies at step s, coloured by d = t − s · this window's "
        f"horizon: {shown} steps</sup>",
        "s: step where the Whh gradient is applied (input character)",
        "‖piece‖_F (stacked)", uirevision, height=380, barmode="overlay", bargap=0.1,
        xaxis=_char_ticks(chars), margin=dict(t=70)))


def distance_profile_chart(profiles, horizons, uirevision="distance_profile"):
    """``||slice_d||_F`` of engine.whh_gradient_by_distance against d, log y, one line
    per run (``profiles``: run name -> (T,)), each run's horizon as a dotted line. One
    run is drawn in the backward colour, several in their run colours."""
    names = list(profiles)
    several = len(names) > 1
    colours = style.run_colours(names) if several else {names[0]: style.DHRAW}
    dashes = style.run_dashes(names)
    floor = style.float64_floor(*profiles.values())
    traces, shapes, notes, values = [], [], [], []
    for name, y in profiles.items():
        y = style.positive(y)
        y = np.where(y >= floor, y, np.nan)
        values.append(y)
        h = horizons.get(name)
        known = h is not None and np.isfinite(h)
        traces.append(go.Scatter(
            x=np.arange(len(y)), y=y, mode="lines+markers",
            name=f"{name} (horizon {style.num(h, 2)})" if known else name,
            line=dict(color=colours[name], width=2.5, dash=dashes[name] if several else None),
            marker=dict(size=5), showlegend=several,
            hovertemplate=f"{name}: d=%{{x}}, ‖slice‖ = %{{y:{style.HOVER}}}<extra></extra>"))
        if known:
            shapes.append(dict(type="line", xref="x", x0=h, x1=h, yref="paper", y0=0, y1=1,
                               line=dict(color=colours[name], width=1.5, dash="dot")))
            if not several:           # several runs: the legend carries the numbers
                notes.append(dict(xref="x", x=h, yref="paper", y=1.0, xanchor="left",
                                  showarrow=False, text=f" horizon {style.num(h, 2)}",
                                  font=dict(color=colours[name])))
    return go.Figure(traces, layout=style.layout(
        "whh_gradient_by_distance — ‖slice<sub>d</sub>‖<sub>F</sub>"
        "<br><sup>the part of dWhh that comes from losses d steps after the step it "
        "reaches</sup>", "d: steps between the loss and the step it reaches",
        "Frobenius norm (log scale)", uirevision, height=430 if several else 380,
        margin=dict(t=70, b=110 if several else 50),
        # below the plot: above it the runs' names would run into the two-line title
        legend=dict(orientation="h", y=-0.22, yanchor="top", x=0.0, xanchor="left"),
        yaxis=style.log_axis(*values), shapes=shapes, annotations=notes))


def ghost_chart(dh_norms, beyond_norms, window_norms, share, windows, uirevision="ghost"):
    """What truncation throws away, over the window and the ``windows`` windows before
    it: ||dh_t|| as training computed it (solid, t = 0..T-1) and, faint, ||dL/dh_s||
    under full BPTT (engine.beyond_window: ``beyond_norms`` at s = -len..-1, then
    ``window_norms``). Values below 1e-16 of the largest are left out (float64 cannot
    add them to anything visible); the x axis starts just before the oldest value
    drawn."""
    dh = np.asarray(dh_norms, dtype=float)
    before = np.asarray(beyond_norms, dtype=float)
    T, n = len(dh), len(before)
    floor = style.float64_floor(dh, before, window_norms)
    keep = lambda v: np.where(style.positive(v) >= floor, style.positive(v), np.nan)
    full = keep(np.concatenate([before, np.asarray(window_norms, dtype=float)]))
    traces = [
        go.Scatter(x=np.arange(-n, T), y=full, mode="lines+markers",
                   name="full BPTT, no cut (counterfactual)",
                   line=dict(color=style.GHOST, width=2, dash="dash"),
                   marker=dict(size=4, color=style.GHOST),
                   hovertemplate="s=%{x}: ‖∂L/∂h_s‖ = %{y:" + style.HOVER
                   + "} (full BPTT)<extra></extra>"),
        go.Scatter(x=np.arange(T), y=keep(dh), mode="lines+markers",
                   name="‖dh<sub>t</sub>‖ as trained (truncated)",
                   line=dict(color=style.DH, width=2.5), marker=dict(size=5),
                   hovertemplate="t=%{x}: ‖dh_t‖ = %{y:" + style.HOVER + "}<extra></extra>"),
    ]
    shapes = [dict(type="rect", xref="x", x0=-n - 0.5, x1=-0.5, yref="paper", y0=0, y1=1,
                   fillcolor="rgba(0,0,0,0.05)", line=dict(width=0), layer="below")]
    notes = []
    for k in range(windows + 1):
        x = -k * T - 0.5
        shapes.append(dict(type="line", xref="x", x0=x, x1=x, yref="paper", y0=0, y1=1,
                           line=dict(color=style.GUIDE, width=1.5 if k == 0 else 1,
                                     dash="dash" if k == 0 else "dot")))
        notes.append(dict(xref="x", x=x, yref="paper", y=1.0, yanchor="bottom",
                          showarrow=False, font=dict(color=style.GUIDE),
                          text="cut: dhprev dropped" if k == 0
                          else f"{k} window{'s' if k > 1 else ''} back"))
    # start a little before the oldest value worth drawing: older ones are off the chart
    seen = np.flatnonzero(np.isfinite(full[:n]))
    first = -n + (int(seen[0]) if seen.size else n)
    x0 = max(-n, min(first - 2, -5)) - 0.5
    title = ("What truncation throws away — ‖∂L/∂h<sub>s</sub>‖ of this window's loss, "
             f"{windows} window{'s' if windows != 1 else ''} back under full BPTT"
             f"<br><sup>share of the Whh gradient truncation discarded: "
             f"{style.share_text(share)}</sup>")
    return go.Figure(traces, layout=style.layout(
        title, "s: step relative to the window's first step (negative: before the cut)",
        "L2 norm (log scale)", uirevision, height=380, shapes=shapes, annotations=notes,
        yaxis=style.log_axis(full, keep(dh)), xaxis=dict(range=[x0, T - 0.5]),
        margin=dict(t=90),
        legend=dict(y=1.12)))
