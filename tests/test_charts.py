"""Unit tests of the chart builders: pure functions, data in, plotly Figure out."""
import ast
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import engine
from dashboard import charts
from dashboard.charts import style

CHARTS = Path(charts.__file__).resolve().parent


@pytest.fixture(scope="module")
def trainer():
    tr = engine.Trainer(engine.read_sample("periodic.txt"), hidden_size=16, seq_length=10)
    tr.run(30)
    return tr


@pytest.fixture(scope="module")
def history(trainer):
    return trainer.history


def title(fig):
    return fig.layout.title.text + " " + (fig.layout.title.subtitle.text or "")


def assert_log_y(fig):
    assert fig.layout.yaxis.type == "log"


def test_chart_modules_never_import_streamlit():
    for path in CHARTS.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "streamlit" for n in names), path.name


def test_loss_chart(history):
    fig = charts.loss_chart(history)
    assert isinstance(fig, go.Figure)
    assert [type(t) for t in fig.data] == [go.Scatter, go.Scatter]
    np.testing.assert_array_equal(fig.data[0].x, history["iteration"] + 1)  # counted from 1
    np.testing.assert_allclose(fig.data[0].y, history["loss"])
    np.testing.assert_allclose(fig.data[1].y, history["smooth_loss"])
    assert "loss" in title(fig) and fig.layout.xaxis.title.text == "iteration"
    assert "nats" in fig.layout.yaxis.title.text
    assert fig.layout.uirevision == "loss"


def test_grad_norm_chart_value_clip(history):
    fig = charts.grad_norm_chart(history, threshold=5.0, clip="value")
    assert len(fig.data) == 12 and all(isinstance(t, go.Scatter) for t in fig.data)
    assert_log_y(fig)
    # before (solid) and after (dotted) for each parameter, in order
    np.testing.assert_allclose(fig.data[2].y, history["grad_norm_Whh"])
    np.testing.assert_allclose(fig.data[3].y, history["clipped_norm_Whh"])
    assert fig.data[3].line.dash == "dot" and fig.data[2].line.dash is None
    assert [s.y0 for s in fig.layout.shapes] == [5.0]
    assert "each entry" in fig.layout.annotations[0].text
    assert "clipping" in title(fig) and "‖∂L/∂W‖" in title(fig)


def test_grad_norm_chart_no_threshold_line_without_clipping(history):
    fig = charts.grad_norm_chart(history, threshold=5.0, clip="none")
    assert len(fig.layout.shapes) == 0
    fig = charts.grad_norm_chart(history, threshold=2.5, clip="norm")
    assert fig.layout.shapes[0].y0 == 2.5 and "global norm" in fig.layout.annotations[0].text


def test_log_axis_gaps_at_zero():
    frame = pd.DataFrame({"iteration": [0, 1], "reach": [0.0, 1e-3], "dh_ratio": [1.0, np.nan]})
    fig = charts.reach_chart(frame)
    assert np.isnan(fig.data[0].y[0]) and fig.data[0].y[1] == 1e-3
    assert np.isnan(fig.data[1].y[1])
    assert_log_y(fig)


def test_saturation_chart(history):
    fig = charts.saturation_chart(history)
    np.testing.assert_allclose(fig.data[0].y, history["saturation"])
    assert "saturation" in title(fig) and list(fig.layout.yaxis.range) == [0, 1.02]


def test_adagrad_step_chart(trainer):
    table = engine.effective_learning_rate(trainer.mem, trainer.config.learning_rate)
    fig = charts.adagrad_step_chart(table)
    bar = fig.data[0]
    assert isinstance(bar, go.Bar) and list(bar.x) == ["dWxh", "dWhh", "dWhy", "dbh", "dby"]
    np.testing.assert_allclose(bar.y, table["median"])
    np.testing.assert_allclose(np.asarray(bar.y) + np.asarray(bar.error_y.array), table["max"])
    np.testing.assert_allclose(np.asarray(bar.y) - np.asarray(bar.error_y.arrayminus),
                               table["min"])
    assert_log_y(fig)


def test_clip_fraction_chart(history):
    fig = charts.clip_fraction_chart(history)
    assert isinstance(fig.data[0], go.Scatter)
    np.testing.assert_allclose(fig.data[0].y, history["clip_fraction"])
    assert "clip_fraction" in title(fig)


def test_spectrum_history_chart_skips_unmeasured_rows(history):
    fig = charts.spectrum_history_chart(history)
    measured = history.dropna(subset=["sigma_max"])
    np.testing.assert_array_equal(fig.data[0].x, measured["iteration"] + 1)
    np.testing.assert_allclose(fig.data[0].y, measured["sigma_max"])
    np.testing.assert_allclose(fig.data[1].y, measured["spectral_radius"])
    assert fig.layout.shapes[0].y0 == 1.0           # the line at 1
    assert "σ" in title(fig)


def test_reach_chart(history):
    fig = charts.reach_chart(history)
    assert_log_y(fig)
    measured = history.dropna(subset=["reach"])
    np.testing.assert_array_equal(fig.data[0].x, measured["iteration"] + 1)
    np.testing.assert_allclose(fig.data[0].y, style.positive(measured["reach"]))
    assert fig.layout.shapes[0].y0 == 1.0


def test_long_histories_are_downsampled():
    n = 50_000
    frame = pd.DataFrame({"iteration": np.arange(n), "loss": np.linspace(100, 10, n),
                          "smooth_loss": np.linspace(100, 20, n)})
    fig = charts.loss_chart(frame)
    assert len(fig.data[0].x) <= style.MAX_POINTS
    assert fig.data[0].x[0] == 1 and fig.data[0].x[-1] == n    # newest kept
    assert fig.data[0].mode == "lines"


def test_single_window_heatmap(trainer):
    trace = trainer.trace
    chars = trainer.vocab.decode(trace.inputs)
    fig = charts.window_heatmaps([("dhnext", "∂L/∂h from t+1", trace.dhnext, True)], 4, chars,
                                 columns=1)
    (heat,) = fig.data
    assert isinstance(heat, go.Heatmap)
    np.testing.assert_allclose(heat.z, trace.dhnext.T)      # x = timestep, y = hidden unit
    assert heat.zmid == 0 and heat.zmin == -heat.zmax       # diverging, centred on 0
    assert heat.colorscale[0][1] != heat.colorscale[-1][1]
    assert heat.colorscale[len(heat.colorscale) // 2][1] in ("#f7f7f7", "rgb(247, 247, 247)")
    band = fig.layout.shapes[0]
    assert band.x0 == 3.5 and band.x1 == 4.5                 # current t marked
    assert "dhnext" in title(fig) and "∂L/∂h" in title(fig)
    assert fig.layout.yaxis.title.text == "hidden unit"
    assert list(fig.layout.xaxis.tickvals) == list(range(trace.T))


def test_window_heatmaps_four_panels_in_one_figure(trainer):
    trace = trainer.trace
    chars = trainer.vocab.decode(trace.inputs)
    panels = [("hs", "h_t", trace.hs, False), ("dh", "dL/dh", trace.dh, True),
              ("dhraw", "(1-h^2) dh", trace.dhraw, True),
              ("dhnext", "from t+1", trace.dhnext, True)]
    fig = charts.window_heatmaps(panels, 6, chars)
    assert [type(h) for h in fig.data] == [go.Heatmap] * 4
    assert [h.xaxis for h in fig.data] == ["x", "x2", "x3", "x4"]
    for heat, (name, _, values, _) in zip(fig.data, panels, strict=True):
        np.testing.assert_allclose(heat.z, values.T)
        assert heat.zmid == 0 and heat.colorbar.title.text == name
    assert fig.data[0].colorscale != fig.data[1].colorscale        # forward vs backward
    assert [s.x0 for s in fig.layout.shapes] == [5.5] * 4           # t marked in each panel
    assert [a.text.split("</b>")[0] for a in fig.layout.annotations] == \
        ["<b>hs", "<b>dh", "<b>dhraw", "<b>dhnext"]
    assert fig.layout.xaxis3.title.text.startswith("timestep")
    assert fig.layout.yaxis2.title.text == "hidden unit"
    # each column shares one timestep axis, labelled with the characters at the bottom
    assert (fig.layout.xaxis.matches, fig.layout.xaxis2.matches) == ("x3", "x4")
    assert fig.layout.xaxis.showticklabels is False and not fig.layout.xaxis.title.text
    for axis in (fig.layout.xaxis3, fig.layout.xaxis4):
        assert axis.matches is None and axis.showticklabels is not False
        assert [text.split("<br>")[1] for text in axis.ticktext] == \
            [style.show_char(c) for c in chars]


def test_mark_timestep_moves_only_the_marker(trainer):
    trace = trainer.trace
    fig = charts.timestep_norms_chart({"dh": np.ones(trace.T)}, 0, "x" * trace.T,
                                      {"dh": "red"})
    before = fig.data[0].y.copy()
    assert charts.mark_timestep(fig, 7) is fig
    assert (fig.layout.shapes[0].x0, fig.layout.shapes[0].x1) == (6.5, 7.5)
    np.testing.assert_array_equal(fig.data[0].y, before)


def test_no_colour_collides_with_streamlit_theme_placeholders():
    # Streamlit's plotly theme swaps the colours #000001..#000030 for theme colours.
    placeholders = {f"#0000{i:02d}" for i in range(1, 31)}
    scales = [style.FORWARD_DIVERGING, style.BACKWARD_DIVERGING, style.MAGNITUDE]
    used = {c.lower() for scale in scales for _, c in scale}
    used |= {v.lower() for k, v in vars(style).items()
             if isinstance(v, str) and v.startswith("#")}
    used |= {c.lower() for c in style.PARAM_COLOURS.values()}
    assert not used & placeholders


def test_forward_and_backward_heatmaps_use_different_colours(trainer):
    trace, chars = trainer.trace, "x" * trainer.trace.T
    fwd = charts.window_heatmaps([("hs", "h_t", trace.hs, False)], 0, chars, columns=1)
    bwd = charts.window_heatmaps([("dh", "dL/dh", trace.dh, True)], 0, chars, columns=1)
    assert fwd.data[0].colorscale != bwd.data[0].colorscale


def test_timestep_norms_chart(trainer):
    trace = trainer.trace
    norms = {"dh": np.linalg.norm(trace.dh, axis=1),
             "dhnext": np.linalg.norm(trace.dhnext, axis=1)}
    fig = charts.timestep_norms_chart(norms, 2, "abcdefghij", {"dh": "red", "dhnext": "orange"})
    assert [t.name for t in fig.data] == ["dh", "dhnext"]
    assert_log_y(fig)
    np.testing.assert_allclose(fig.data[0].y, norms["dh"])
    assert np.isnan(fig.data[1].y[-1])                       # dhnext_{T-1} = 0: a gap
    assert fig.layout.shapes[0].x0 == 1.5
    assert fig.layout.xaxis.ticktext[2] == "2<br>c"


def test_top_predictions_chart_includes_target():
    probs = np.array([0.5, 0.3, 0.1, 0.05, 0.05])
    fig = charts.top_predictions_chart(probs, "abcde", target=4, k=2)
    (bar,) = fig.data
    assert isinstance(bar, go.Bar) and bar.orientation == "h"
    assert list(bar.x) == [0.05, 0.3, 0.5]                  # target added, most likely on top
    assert bar.y[0].startswith("'e'") and "target" in bar.y[0]
    assert "softmax" in title(fig)


def test_vector_chart_labels_characters():
    fig = charts.vector_chart([0.1, -0.2, 0.3], "dy[t]", "p − onehot", "orange",
                              labels="a \n")
    assert list(fig.data[0].x) == ["a", "␣", "↵"]
    np.testing.assert_allclose(fig.data[0].y, [0.1, -0.2, 0.3])
    assert fig.layout.xaxis.title.text == "character"
    assert charts.vector_chart(np.ones(4), "h", "", "blue").layout.title.text == "<b>h</b>"


def test_stacked_vectors_chart(trainer):
    trace, t = trainer.trace, 3
    rows = [("Why^T dy", trace.dh_from_output[t], "orange"),
            ("dhnext", trace.dhnext[t], "red"),
            ("dh", trace.dh[t], "darkred"),
            ("tanh'", trace.tanh_grad[t], "grey", (0.0, 1.0))]
    fig = charts.stacked_vectors_chart(rows, "dh = Why^T dy + dhnext")
    assert len(fig.data) == 4 and all(isinstance(b, go.Bar) for b in fig.data)
    assert [b.yaxis for b in fig.data] == ["y", "y2", "y3", "y4"]
    np.testing.assert_allclose(fig.data[0].y + fig.data[1].y, fig.data[2].y)
    assert tuple(fig.layout.yaxis4.range) == (0.0, 1.0)
    assert fig.layout.xaxis.anchor == "y4"                   # x axis under the last row
    tops = [fig.layout[f"yaxis{i}" if i > 1 else "yaxis"].domain[1] for i in range(1, 5)]
    assert tops == sorted(tops, reverse=True)


def test_loss_to_state_heatmap_log_colour(trainer):
    G = engine.loss_to_state(trainer.trace, trainer.params)
    fig = charts.loss_to_state_heatmap(G)
    (heat,) = fig.data
    np.testing.assert_allclose(heat.z, np.log10(G))         # NaN above the diagonal stays NaN
    np.testing.assert_allclose(heat.customdata, G)          # hover shows the real value
    assert heat.colorbar.ticktext[0].startswith("1e")
    assert fig.layout.yaxis.autorange == "reversed"
    assert "loss_to_state" in title(fig) and "‖∂L" in title(fig)


def test_jacobian_heatmap(trainer):
    J = engine.jacobian_norms(trainer.trace, trainer.params)
    fig = charts.jacobian_heatmap(J)
    np.testing.assert_allclose(np.diag(fig.data[0].z), 0.0)   # log10(1) on the diagonal
    assert "jacobian_norms" in title(fig)


def test_reach_by_lag_chart():
    ratios = np.array([1.0, 0.1, 0.01, 0.0])
    fig = charts.reach_by_lag_chart(ratios)
    assert_log_y(fig)
    np.testing.assert_allclose(fig.data[0].y[:3], ratios[:3])
    assert np.isnan(fig.data[0].y[3])
    assert fig.layout.xaxis.title.text.startswith("k")


def test_eigenvalue_chart():
    eig = np.array([0.5 + 0.5j, 0.5 - 0.5j, 1.2])
    fig = charts.eigenvalue_chart(eig)
    circle, points = fig.data
    np.testing.assert_allclose(np.hypot(circle.x, circle.y), 1.0)      # the unit circle
    np.testing.assert_allclose(points.x, eig.real)
    np.testing.assert_allclose(points.y, eig.imag)
    assert fig.layout.yaxis.scaleanchor == "x"                         # drawn round
    assert fig.layout.xaxis.range[1] >= 1.2


def test_singular_value_chart():
    sv = np.array([2.0, 1.0, 0.1])
    fig = charts.singular_value_chart(sv)
    assert isinstance(fig.data[0], go.Bar)
    np.testing.assert_allclose(fig.data[0].y, sv)
    assert_log_y(fig)
    assert fig.layout.shapes[0].y0 == 1.0


def test_window_strip_html_escapes_and_highlights():
    html = charts.window_strip_html("<a ", "a \n", 1, losses=np.array([1.0, 2.0, 3.0]))
    assert "&lt;" in html and "<a " not in html.split("</style>")[1]
    assert html.count("bptt-cell now") == 1
    cells = html.split("</style>")[1].split("<div class='bptt-cell")[1:]
    assert cells[1].startswith(" now") and "↵" in cells[2] and "2.00" in cells[1]


def test_every_chart_has_a_title_and_axis_labels(trainer, history):
    trace = trainer.trace
    G = engine.loss_to_state(trace, trainer.params)
    spec = engine.whh_spectrum(trainer.params)
    chars = "x" * trace.T
    figs = [
        charts.loss_chart(history), charts.grad_norm_chart(history, 5.0, "value"),
        charts.clip_fraction_chart(history), charts.spectrum_history_chart(history),
        charts.reach_chart(history),
        charts.window_heatmaps([("hs", "h", trace.hs, False)], 0, chars, columns=1),
        charts.timestep_norms_chart({"dh": np.ones(trace.T)}, 0, chars, {"dh": "red"}),
        charts.top_predictions_chart(trace.ps[0], trainer.vocab.chars, 0),
        charts.vector_chart(trace.hs[0], "h", "h_t", "blue"),
        charts.loss_to_state_heatmap(G), charts.jacobian_heatmap(G),
        charts.reach_by_lag_chart(engine.reach_by_lag(G)),
        charts.eigenvalue_chart(spec["eigenvalues"]),
        charts.singular_value_chart(spec["singular_values"]),
    ]
    for fig in figs:
        assert isinstance(fig, go.Figure)
        assert title(fig) and fig.layout.xaxis.title.text, title(fig)
        assert fig.layout.yaxis.title.text, title(fig)
        assert fig.layout.uirevision, title(fig)
        fig.to_json()                     # serialisable as sent to the browser
