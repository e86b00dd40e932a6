"""Gradient-flow charts: how far the loss's gradient travels back, and Whh's spectrum
that decides it."""
import numpy as np

from . import go, style


def _log10(matrix):
    """log10 of a matrix with NaN where the entry is missing, zero or negative."""
    m = np.asarray(matrix, dtype=float)
    out = np.full(m.shape, np.nan)
    ok = np.isfinite(m) & (m > 0)
    out[ok] = np.log10(m[ok])
    return out


def _decade_colorbar(z, title):
    finite = z[np.isfinite(z)]
    lo, hi = (int(np.floor(finite.min())), int(np.ceil(finite.max()))) if finite.size else (0, 1)
    step = style._nice_step(max(hi - lo, 1) / 8)
    ticks = [k for k in range(lo, hi + 1) if k % step == 0]
    return dict(title=dict(text=title), thickness=12, tickvals=ticks,
                ticktext=[style.decade(k) for k in ticks])


def _matrix_heatmap(matrix, title, value_name, hover, uirevision, xaxis_title, yaxis_title,
                    decades=None):
    z = _log10(matrix)
    T = z.shape[0]
    scale = {} if decades is None else dict(zmin=decades[0], zmax=decades[1])
    trace = go.Heatmap(
        z=z, x=np.arange(T), y=np.arange(T), colorscale=style.MAGNITUDE, **scale,
        customdata=np.asarray(matrix, dtype=float),
        colorbar=_decade_colorbar(z if decades is None else np.array(decades), value_name),
        hovertemplate=hover + "<extra></extra>", hoverongaps=False)
    return go.Figure([trace], layout=style.layout(
        title, xaxis_title, yaxis_title, uirevision, height=420,
        yaxis=dict(autorange="reversed", scaleanchor="x", constrain="domain",
                   **style.count_axis(T)),
        xaxis=dict(constrain="domain", **style.count_axis(T)), plot_bgcolor="#f0f0f0"))


def loss_to_state_heatmap(G, uirevision="loss_to_state", decades=None):
    """G[t, s] = ||dL_t/dh_s|| for s <= t on log10 colour (rows t, columns s): from the
    data's own smallest to largest, or over ``decades`` (lo, hi) of log10, e.g.
    style.FIXED_DECADES, the same for every view and run."""
    return _matrix_heatmap(
        G, "loss_to_state — ‖∂L<sub>t</sub>/∂h<sub>s</sub>‖: how much of step t's loss "
        "reaches h<sub>s</sub>", "‖∂L_t/∂h_s‖",
        "loss at t=%{y}, state s=%{x}<br>‖∂L_t/∂h_s‖ = %{customdata:" + style.HOVER + "}",
        uirevision,
        "s: timestep of the hidden state h_s", "t: timestep of the loss L_t", decades)


def jacobian_heatmap(J, uirevision="jacobian_norms", decades=None):
    """J[t, s] = ||dh_t/dh_s||_2 for s <= t on log10 colour (``decades`` as in
    loss_to_state_heatmap)."""
    return _matrix_heatmap(
        J, "jacobian_norms — ‖∂h<sub>t</sub>/∂h<sub>s</sub>‖<sub>2</sub> = "
        "‖Π<sub>k=s+1..t</sub> diag(1−h<sub>k</sub>²) Whh‖", "‖∂h_t/∂h_s‖",
        "t=%{y}, s=%{x}<br>‖∂h_t/∂h_s‖ = %{customdata:" + style.HOVER + "}",
        uirevision,
        "s: earlier timestep", "t: later timestep", decades)


def reach_by_lag_chart(ratios, uirevision="reach_by_lag"):
    """Median over t of ||dL_t/dh_{t-k}|| / ||dL_t/dh_t|| against k, log y."""
    ratios = np.asarray(ratios, dtype=float)
    trace = go.Scatter(x=np.arange(len(ratios)), y=style.positive(ratios),
                       mode="lines+markers", name="median ratio",
                       line=dict(color=style.DH, width=2.5))
    shape, note = style.hline(1.0, "1: nothing lost", log=True)
    return go.Figure([trace], layout=style.layout(
        "reach_by_lag — gradient reaching back k steps: median<sub>t</sub> "
        "‖∂L<sub>t</sub>/∂h<sub>t−k</sub>‖ / ‖∂L<sub>t</sub>/∂h<sub>t</sub>‖",
        "k: steps back in time", "ratio (log scale)", uirevision, height=360,
        yaxis=style.log_axis(ratios, 1.0), shapes=[shape], annotations=[note],
        xaxis=style.count_axis(len(ratios)), showlegend=False))


def eigenvalue_chart(eigenvalues, uirevision="eigenvalues", name="Whh"):
    """Whh's eigenvalues in the complex plane against the unit circle (``name``: the
    matrix measured, e.g. a gated cell's candidate block W_hg)."""
    eig = np.asarray(eigenvalues)
    angle = np.linspace(0, 2 * np.pi, 181)
    circle = go.Scatter(x=np.cos(angle), y=np.sin(angle), mode="lines", name="|λ| = 1",
                        line=dict(color=style.GUIDE, dash="dash", width=1.5),
                        hoverinfo="skip")
    points = go.Scatter(x=eig.real, y=eig.imag, mode="markers", name="eigenvalues λ",
                        marker=dict(color=style.SPECTRAL_RADIUS, size=7, opacity=0.8),
                        hovertemplate="λ = %{x:.3f} %{y:+.3f}i<extra></extra>")
    r = max(1.1, float(np.max(np.abs(eig))) * 1.1) if eig.size else 1.1
    return go.Figure([circle, points], layout=style.layout(
        f"{name} eigenvalues — λ in the complex plane against the unit circle",
        "real part Re λ", "imaginary part Im λ", uirevision, height=420,
        xaxis=dict(range=[-r, r], zeroline=True),
        yaxis=dict(range=[-r, r], scaleanchor="x", scaleratio=1, zeroline=True)))


def singular_value_chart(singular_values, uirevision="singular_values", name="Whh"):
    """Whh's (or the matrix ``name``'s) singular values, largest first, log y, with the
    line at 1."""
    sv = np.asarray(singular_values, dtype=float)
    trace = go.Bar(x=np.arange(1, len(sv) + 1), y=style.positive(sv), name="σ_i",
                   marker=dict(color=style.SIGMA_MAX, line=dict(width=0)),
                   hovertemplate="σ_%{x} = %{y:" + style.HOVER + "}<extra></extra>")
    shape, note = style.hline(1.0, "1", log=True)
    return go.Figure([trace], layout=style.layout(
        f"{name} singular values — σ<sub>1</sub> = σ<sub>max</sub> ≥ σ<sub>2</sub> ≥ …",
        "index i (largest first)", "σ_i (log scale)", uirevision, height=360,
        yaxis=style.log_axis(sv, 1.0), shapes=[shape],
        annotations=[note], showlegend=False, bargap=0.1,
        xaxis=style.count_axis(len(sv) + 1)))
