"""Charts of one BPTT window: timestep x hidden unit heatmaps, per-timestep norms, and
the vectors at the selected timestep."""
import numpy as np

from . import go, style

# At most this many labelled timesteps on an axis as wide as the page; a panel half as
# wide takes half as many. Each label is two lines (index, character) about 30 px wide:
# more of them, plotly turned them sideways on top of each other.
TICKS_FULL_WIDTH = 40
TICKS_HALF_WIDTH = 12


def _char_ticks(chars, most=TICKS_FULL_WIDTH):
    """Tick at each timestep, labelled with its index and input character (thinned
    out for long windows or narrow panels; never turned sideways)."""
    every = max(1, -(-len(chars) // most))
    ticks = range(0, len(chars), every)
    return dict(tickmode="array", tickvals=list(ticks), tickangle=0,
                ticktext=[f"{t}<br>{style.show_char(chars[t])}" for t in ticks])


def window_heatmaps(panels, t, chars, uirevision="window_heatmaps", columns=2):
    """Several (T, H) quantities of one window as heatmap panels in one figure (one
    figure draws faster than four). ``panels`` is a list of (name, math, values,
    backward); each panel has x = timestep, y = hidden unit, its own diverging colour
    scale centred on 0 (cool for forward, warm for backward) and the current t outlined.
    A column of panels shares its timestep axis (zoom one, zoom all), labelled once under
    the bottom panel: plotly measures every tick label it draws, and the labels of the
    upper panels were a third of the figure's drawing time.
    """
    rows = -(-len(panels) // columns)
    most = TICKS_FULL_WIDTH if columns == 1 else TICKS_HALF_WIDTH * 2 // columns
    gap_x, gap_y = 0.12, 0.13       # no tick labels between the rows: see below
    width = (1.0 - gap_x * (columns - 1)) / columns
    height = (1.0 - gap_y * (rows - 1)) / rows
    traces, lay, notes, shapes = [], {}, [], []
    for i, (name, math, values, backward) in enumerate(panels):
        values = np.asarray(values, dtype=float)
        T, H = values.shape
        r, c = divmod(i, columns)
        x0 = c * (width + gap_x)
        y1 = 1.0 - r * (height + gap_y)
        suffix = "" if i == 0 else str(i + 1)
        zmin, zmax = style.symmetric_range(values)
        traces.append(go.Heatmap(
            z=values.T, x=np.arange(T), y=np.arange(H), zmin=zmin, zmax=zmax, zmid=0.0,
            xaxis=f"x{suffix}", yaxis=f"y{suffix}", name=name,
            colorscale=style.BACKWARD_DIVERGING if backward else style.FORWARD_DIVERGING,
            colorbar=dict(title=dict(text=name), thickness=10, x=x0 + width + 0.005,
                          xanchor="left", y=y1, yanchor="top", len=height),
            hovertemplate="t=%{x}<br>unit %{y}<br>" + name + "=%{z:" + style.HOVER
                          + "}<extra></extra>"))
        below = i + columns        # the panel under this one labels the shared column
        xaxis = dict(domain=[x0, min(x0 + width - 0.01, 1.0)], anchor=f"y{suffix}",
                     **_char_ticks(chars, most))
        if below < len(panels):
            xaxis.update(matches=f"x{below + 1}", showticklabels=False)
        else:
            xaxis.update(title=dict(text="timestep t (input character)"))
        lay[f"xaxis{suffix}"] = xaxis
        lay[f"yaxis{suffix}"] = dict(domain=[max(y1 - height, 0.0), y1], anchor=f"x{suffix}",
                                     title=dict(text="hidden unit"), **style.count_axis(H, 5))
        notes.append(dict(xref="paper", x=x0, xanchor="left", yref="paper", y=y1,
                          yanchor="bottom", yshift=4, showarrow=False, align="left",
                          text=f"<b>{name}</b> — {math}"))
        shapes.append(style.vband(t, xref=f"x{suffix}", yref=f"y{suffix} domain"))
    title = ("window — " + ", ".join(p[0] for p in panels) +
             " at every timestep (columns) and hidden unit (rows)") if len(panels) > 1 \
        else f"<b>{panels[0][0]}</b> — {panels[0][1]}"
    layout = style.layout(title, "", "", uirevision, height=330 * rows + 40,
                          annotations=notes if len(panels) > 1 else [], shapes=shapes,
                          margin=dict(l=60, r=60, t=60 if len(panels) == 1 else 70, b=60))
    layout.update(lay)
    return go.Figure(traces, layout=layout)


def timestep_norms_chart(norms, t, chars, colours, uirevision="timestep_norms", ghost=None,
                         height=340):
    """L2 norm of each backward quantity at every timestep, log y, current t marked.

    ``norms`` maps a label to a (T,) array; ``colours`` maps the same labels to colours.
    ``ghost`` (optional): ``(values, share)``, ||dL/dh_s|| at s = -len(values)..-1 under
    full BPTT (engine.beyond_window's norms, oldest first) and the share of the Whh
    gradient truncation discarded; drawn faint left of t = 0, leaving out values below
    1e-16 of the largest norm (float64 cannot add them to anything visible)."""
    traces, shapes, notes = [], [style.vband(t)], []
    for label, values in norms.items():
        traces.append(go.Scatter(
            x=np.arange(len(values)), y=style.positive(values), name=label,
            mode="lines+markers", line=dict(color=colours[label], width=2),
            marker=dict(size=5)))
    ticks = _char_ticks(chars)
    series = list(norms.values())
    if ghost is not None:
        values, share = np.asarray(ghost[0], dtype=float), ghost[1]
        floor = style.float64_floor(*series, values)
        y = style.positive(values)
        y = np.where(y >= floor, y, np.nan)
        seen = np.flatnonzero(np.isfinite(y))
        first = seen[0] if seen.size else len(y)       # oldest value worth drawing
        y = y[first:]
        x = np.arange(-len(y), 0)
        traces.append(go.Scatter(
            x=x, y=y, mode="lines+markers", line=dict(color=style.GHOST, width=2, dash="dash"),
            marker=dict(size=4, color=style.GHOST),
            name=f"beyond the cut (full BPTT; {style.share_text(share)} of dWhh)",
            hovertemplate="s=%{x}: ‖∂L/∂h_s‖ = %{y:" + style.HOVER + "} if not "
                          "truncated<extra></extra>"))
        series.append(y)
        shapes.append(dict(type="line", xref="x", x0=-0.5, x1=-0.5, yref="paper", y0=0,
                           y1=1, line=dict(color=style.GUIDE, width=1.5, dash="dash")))
        notes.append(dict(xref="x", x=-0.5, yref="paper", y=0.0, xanchor="right",
                          yanchor="bottom", showarrow=False, text="cut ",
                          font=dict(color=style.GUIDE)))
        back = list(range(-5, -len(y) - 1, -5))
        ticks["tickvals"] = back[::-1] + list(ticks["tickvals"])
        ticks["ticktext"] = [str(v) for v in back[::-1]] + list(ticks["ticktext"])
    return go.Figure(traces, layout=style.layout(
        "‖·‖ per timestep — how big the backward signal is at each t",
        "timestep t (input character)", "L2 norm (log scale)", uirevision, height=height,
        yaxis=style.log_axis(*series), xaxis=ticks, shapes=shapes, annotations=notes))


def top_predictions_chart(probs, vocab_chars, target, k=8, uirevision="top_predictions"):
    """The ``k`` most likely next characters (horizontal bars), with the target marked
    (and added if it is not among them)."""
    probs = np.asarray(probs, dtype=float)
    order = list(np.argsort(probs)[::-1][:k])
    if target not in order:
        order.append(target)
    order = order[::-1]                      # most likely at the top
    labels = [f"'{style.show_char(vocab_chars[i])}'" + ("  ← target" if i == target else "")
              for i in order]
    colours = [style.FORWARD if i == target else style.FORWARD_LIGHT for i in order]
    trace = go.Bar(x=probs[order], y=labels, orientation="h", marker=dict(color=colours),
                   text=[f"{probs[i]:.3f}" for i in order], textposition="auto",
                   hovertemplate="%{y}: p=%{x:.4f}<extra></extra>")
    return go.Figure([trace], layout=style.layout(
        "ps[t] — p<sub>t</sub> = softmax(Why h<sub>t</sub> + by), top characters",
        "probability", "next character", uirevision, height=300, showlegend=False,
        xaxis=dict(range=[0, 1]), margin=dict(l=110, r=20, t=50, b=50)))


MOST_CHARACTER_TICKS = 40      # a bar chart over the vocabulary labels every bar up to this
LARGEST_CHARACTER_TICKS = 12   # ... and above it only this many, the largest


def vector_chart(values, name, math, colour, labels=None, uirevision=None, height=220):
    """One vector as bars (e.g. h_t over hidden units, dy_t over the vocabulary). Over
    characters every bar is labelled (plotly labelled every other one), up to
    MOST_CHARACTER_TICKS; over a larger vocabulary only the largest bars are (dy_t's
    target among them: one column of labels would run into one smear), the rest by
    hovering. Over hidden units the ticks are whole unit numbers."""
    values = np.asarray(values, dtype=float).ravel()
    x = np.arange(len(values)) if labels is None else [style.show_char(c) for c in labels]
    trace = go.Bar(x=x, y=values, marker=dict(color=colour, line=dict(width=0)), name=name,
                   hovertemplate="%{x}: %{y:" + style.HOVER + "}<extra></extra>")
    title = f"<b>{name}</b> — {math}" if math else f"<b>{name}</b>"
    if labels is None:
        xaxis = style.count_axis(len(values))
    else:
        shown = range(len(x))
        if len(x) > MOST_CHARACTER_TICKS:
            shown = _largest_apart(values, LARGEST_CHARACTER_TICKS)
        ticks = [x[i] for i in shown]
        xaxis = dict(type="category", tickmode="array", tickvals=ticks, ticktext=ticks,
                     tickangle=0)
    return go.Figure([trace], layout=style.layout(
        title, "hidden unit" if labels is None else "character",
        "value", uirevision or f"vec_{name}", height=height, showlegend=False,
        bargap=0.05, margin=dict(l=60, r=30, t=45, b=45), xaxis=xaxis))


def _largest_apart(values, k):
    """Indices of the ``k`` largest |values|, largest first chosen, skipping any closer
    than a few bars to one already chosen (adjacent labels ran together: "?A", "jkm");
    returned in order."""
    gap = max(1, -(-len(values) // (2 * k)))
    chosen = []
    for i in np.argsort(-np.abs(np.nan_to_num(values)), kind="stable"):
        if all(abs(int(i) - j) >= gap for j in chosen):
            chosen.append(int(i))
            if len(chosen) == k:
                break
    return sorted(chosen)


def stacked_vectors_chart(rows, title, uirevision="stacked_vectors", row_height=95):
    """Several (H,) vectors as rows of bars over the same hidden units, one under the
    other, e.g. dh_t = Why^T dy_t + dhnext_t, then tanh', dhraw_t, dhnext_{t-1}.

    ``rows`` is a list of (label, values, colour) or (label, values, colour, (lo, hi)).
    All share the x axis (hidden unit). Rows without a range of their own share ONE
    symmetric y scale, so that a row that is ten times smaller looks ten times smaller
    (each on its own scale, a vanished dhnext looked as big as dh); a row with a range
    (tanh', 0 to 1) keeps it. Each label sits in the gap above its row, clear of the
    bars."""
    n = len(rows)
    label_px = 24                       # room above each row for its label
    plot_px = row_height * n
    gap = label_px / (plot_px + label_px * n)
    height = (1.0 - gap * n) / n
    shared = style.symmetric_range(np.concatenate(
        [np.ravel(np.asarray(r[1], dtype=float)) for r in rows if len(r) == 3] or [[0.0]]))
    traces, axes, notes = [], {}, []
    for i, (label, values, colour, *yrange) in enumerate(rows):
        values = np.asarray(values, dtype=float).ravel()
        top = 1.0 - gap - i * (height + gap)
        axis = "y" if i == 0 else f"y{i + 1}"
        traces.append(go.Bar(x=np.arange(len(values)), y=values, yaxis=axis, name=label,
                             marker=dict(color=colour, line=dict(width=0)),
                             hovertemplate="unit %{x}: %{y:" + style.HOVER + "}<extra>"
                             + label + "</extra>"))
        key = "yaxis" if i == 0 else f"yaxis{i + 1}"
        lo, hi = yrange[0] if yrange else shared
        ticks = [0, hi] if lo < 0 else [lo, hi]    # none at the bottom: the next row's top
        axes[key] = dict(domain=[max(top - height, 0.0), top], zeroline=True,
                         zerolinecolor="#999", range=[lo, hi], tickvals=ticks,
                         ticktext=[style.num(v, 2) for v in ticks])
        notes.append(dict(xref="paper", x=0.0, xanchor="left", yref="paper", y=top,
                          yanchor="bottom", yshift=1, showarrow=False, text=label,
                          align="left", font=dict(color=colour)))
    lay = style.layout(title, "hidden unit", "", uirevision,
                       height=plot_px + label_px * n + 95, showlegend=False, bargap=0.05,
                       annotations=notes, margin=dict(l=60, r=30, t=55, b=45),
                       xaxis=dict(anchor="y" if n == 1 else f"y{n}",
                                  **style.count_axis(len(np.ravel(rows[0][1])))))
    lay.pop("yaxis")
    lay.update(axes)
    return go.Figure(traces, layout=lay)
