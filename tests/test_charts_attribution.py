"""The attribution chart builders (dashboard/charts/attribution.py, strip.py, the ghost in
timestep_norms_chart): pure functions, data in, Figure or HTML out, checked against the
engine's numbers they are given."""
import re

import numpy as np
import pandas as pd
import pytest

import engine
from dashboard import charts
from dashboard.charts import style


@pytest.fixture(scope="module")
def trainer():
    tr = engine.Trainer(engine.read_sample("periodic.txt"), hidden_size=16, seq_length=10)
    tr.run(30)
    return tr


def shades(html):
    """Background colours of the input halves of a window strip, in box order ('' for
    none)."""
    return re.findall(r"<span class='bptt-in' style='(?:background:([^;]*);)?", html)


# -- helpers in style ----------------------------------------------------------------
def test_relative_decades():
    v = np.array([1.0, 0.1, 1e-3, 2e-6, 1e-7, 0.0, np.nan, 2.0])
    levels = style.relative_decades(v, decades=6)
    np.testing.assert_allclose(levels[:4], 1 + np.log10(v[:4] / 2.0) / 6)
    assert np.isnan(levels[4:7]).all()          # weaker than 1e-6 of the largest, 0, NaN
    assert levels[7] == 1.0
    assert np.isnan(style.relative_decades(np.zeros(3))).all()


def test_ramp_ends_and_middle():
    assert style.ramp(("#000000", "#ffffff"), 0.0) == "rgb(0,0,0)"
    assert style.ramp(("#000000", "#ffffff"), 1.0) == "rgb(255,255,255)"
    assert style.ramp(("#000000", "#ffffff"), 0.5) == "rgb(128,128,128)"
    assert style.ramp(("#000000", "#ffffff"), 7.0) == "rgb(255,255,255)"   # clamped


@pytest.mark.parametrize("share, text", [(0.0, "none"), (0.5, "50%"), (0.0123, "1.23%"),
                                         (3e-10, "3e-8 %"), (np.nan, "n/a")])
def test_share_text(share, text):
    assert style.share_text(share) == text


# -- the window strip ----------------------------------------------------------------
def test_window_strip_without_saliency_is_unchanged(trainer):
    tr = trainer.trace
    html = charts.window_strip_html("abcd", "bcde", 2, tr.losses[:4])
    assert "<div class='bptt-legend'" not in html and "bptt-cell later" not in html
    assert html.count("bptt-cell now") == 1 and all(s == "" for s in shades(html))


def test_window_strip_shades_inputs_by_saliency(trainer):
    tr = trainer.trace
    S = engine.input_saliency(tr, tr.params)
    t = 7
    row = S[t].copy()
    row[2] = row[: t + 1].max() * 1e-9                # far below the shaded range
    inputs, targets = trainer.vocab.decode(tr.inputs), trainer.vocab.decode(tr.targets)
    html = charts.window_strip_html(inputs, targets, t, tr.losses, row)
    colours = shades(html)
    assert len(colours) == tr.T
    levels = style.relative_decades(row[: t + 1])
    for s in range(t + 1):
        want = "" if np.isnan(levels[s]) else style.ramp(style.SALIENCY, levels[s])
        assert colours[s] == want, s
    assert colours[2] == ""                           # blank: below 1e-6 of the largest
    assert colours[int(np.nanargmax(row))] == style.ramp(style.SALIENCY, 1.0)
    assert all(c == "" for c in colours[t + 1:])      # the future is not shaded ...
    assert html.count("bptt-cell later") == tr.T - t - 1   # ... but faded
    assert "<div class='bptt-legend'" in html and "largest" in html
    assert f"∂L<sub>{t}</sub>/∂x<sub>s</sub>" in html


def test_sample_strip(trainer):
    text = "x" + "ab\ncab"                            # seed 'x', then the sample
    saliency = np.array([1e-9, 0.5, 1.0, 0.01])       # for the 4 characters before index 4
    html = charts.sample_strip_html(text, saliency, 4, seed_length=1)
    spans = re.findall(r"<span class='(bptt-ch[^']*)' style='([^']*)'", html)
    assert len(spans) == len(text)
    assert spans[0][0] == "bptt-ch seed" and spans[0][1] == ""     # seed, below range
    assert spans[2][1].startswith(f"background:{style.ramp(style.SALIENCY, 1.0)}")
    assert spans[4][0] == "bptt-ch chosen" and spans[4][1] == ""
    assert [c for c, _ in spans[5:]] == ["bptt-ch later"] * 2
    assert html.count("bptt-break") == 2              # one CSS rule, one line break


# -- the horizon charts ----------------------------------------------------------------
def test_horizon_bars_stack_the_pieces_by_distance(trainer):
    tr = trainer.trace
    C = engine.whh_piece_norms(tr, tr.params)
    h = engine.gradient_horizon(tr, tr.params)
    fig = charts.horizon_bars_chart(C, trainer.vocab.decode(tr.inputs), h)
    bar, key = fig.data                    # one bar trace, a segment per (s, d); the key
    x, y, base = (np.asarray(v, dtype=float) for v in (bar.x, bar.y, bar.base))
    t, d = np.asarray(bar.customdata).T
    assert len(x) == tr.T * (tr.T + 1) // 2
    np.testing.assert_array_equal(t - x, d)
    colours = charts.attribution.distance_colours(tr.T)
    assert list(bar.marker.color) == [colours[int(k)] for k in d]     # colour = distance
    # as plain strings: numbers on a bar's colour scale made plotly.js warn on every bar
    assert all(isinstance(c, str) for c in bar.marker.color)
    np.testing.assert_allclose(y, C[t.astype(int), x.astype(int)])
    for s in range(tr.T):                             # stacked from d = 0 upwards
        rows = np.flatnonzero(x == s)
        np.testing.assert_array_equal(d[rows], np.arange(tr.T - s))
        np.testing.assert_allclose(base[rows], np.r_[0.0, np.cumsum(y[rows])[:-1]])
        assert base[rows][-1] + y[rows][-1] == pytest.approx(np.nansum(C[:, s]))
    # near distances darker than far ones (sum of the RGB channels) on the colour scale
    rgb = lambda c: sum(map(int, re.findall(r"\d+", c)))
    scale = [c for _, c in key.marker.colorscale]
    assert scale == colours and key.marker.showscale and list(key.x) == [None]
    assert rgb(scale[0]) < rgb(scale[3]) < rgb(scale[-1])
    assert style.num(h) in full_title(fig)


def test_distance_profile_one_run_and_several(trainer):
    tr = trainer.trace
    profile = engine.whh_distance_norms(tr, tr.params)
    h = engine.horizon_from_norms(profile)
    fig = charts.distance_profile_chart({"run": profile}, {"run": h})
    assert len(fig.data) == 1 and fig.layout.yaxis.type == "log"
    np.testing.assert_allclose(fig.data[0].y, style.positive(profile))
    assert fig.data[0].line.color == style.DHRAW and not fig.data[0].showlegend
    assert [s.x0 for s in fig.layout.shapes] == [pytest.approx(h)]
    tiny = profile.copy()
    tiny[-1] = profile.max() * 1e-20                  # below what float64 can add
    fig = charts.distance_profile_chart({"a": profile, "b": tiny}, {"a": h, "b": np.nan})
    colours = style.run_colours(["a", "b"])
    assert [d.line.color for d in fig.data] == [colours["a"], colours["b"]]
    assert np.isnan(fig.data[1].y[-1]) and len(fig.layout.shapes) == 1   # NaN horizon


def test_horizon_over_training_uses_the_sparse_column(trainer):
    h = trainer.history
    fig = charts.runs_history_chart({"one": h, "two": h}, "horizon")
    measured = h[["iteration", "horizon"]].dropna()
    assert len(fig.data) == 2 and len(measured) < len(h)
    np.testing.assert_array_equal(fig.data[0].x, measured["iteration"] + 1)
    np.testing.assert_allclose(fig.data[0].y, measured["horizon"])
    assert fig.data[0].line.dash != fig.data[1].line.dash
    assert "horizon" in full_title(fig)


# -- the truncation ghost ----------------------------------------------------------------
def test_ghost_chart(trainer):
    tr = trainer.trace
    b = engine.beyond_window(trainer, windows=2, params=tr.params)
    assert b.windows_used == 2
    dh = np.linalg.norm(tr.dh, axis=1)
    fig = charts.ghost_chart(dh, b.norms, b.window_norms, b.share, b.windows_used)
    full, trained = fig.data
    np.testing.assert_array_equal(full.x, np.arange(-2 * tr.T, tr.T))
    floor = style.float64_floor(dh, b.norms, b.window_norms)
    want = np.concatenate([b.norms, b.window_norms])
    shown = np.isfinite(np.asarray(full.y, dtype=float))
    np.testing.assert_allclose(np.asarray(full.y, dtype=float)[shown], want[shown])
    assert (want[~shown] < floor).all()
    np.testing.assert_allclose(trained.y, dh)
    assert style.share_text(b.share) in full_title(fig)
    cuts = [s.x0 for s in fig.layout.shapes if s.type == "line"]
    assert cuts == [-0.5, -tr.T - 0.5, -2 * tr.T - 0.5]
    assert fig.layout.xaxis.range[1] == tr.T - 0.5


def test_ghost_axis_starts_at_the_oldest_value_drawn():
    dh = np.ones(10)
    before = np.r_[np.full(15, 1e-30), np.logspace(-8, -1, 5)]    # 20 steps, 15 invisible
    fig = charts.ghost_chart(dh, before, np.ones(10), 1e-3, 2)
    assert fig.layout.xaxis.range[0] == -5 - 2 - 0.5


def test_timestep_norms_chart_with_a_ghost(trainer):
    tr = trainer.trace
    norms = {"dh": np.linalg.norm(tr.dh, axis=1)}
    plain = charts.timestep_norms_chart(norms, 3, "abcdefghij", {"dh": style.DH})
    assert len(plain.data) == 1 and len(plain.layout.shapes) == 1
    ghost = np.r_[1e-40, 1e-3, 1e-2, 1e-1]
    fig = charts.timestep_norms_chart(norms, 3, "abcdefghij", {"dh": style.DH},
                                      ghost=(ghost, 0.25))
    faint = fig.data[1]
    np.testing.assert_array_equal(faint.x, [-3, -2, -1])     # 1e-40 is below float64's reach
    np.testing.assert_allclose(faint.y, ghost[1:])
    assert "25%" in faint.name and faint.line.color == style.GHOST
    assert any(s.type == "line" and s.x0 == -0.5 for s in fig.layout.shapes)
    moved = charts.mark_timestep(fig, 6)                      # the current-t outline moves,
    assert [s.x0 for s in moved.layout.shapes if s.name == style.CURRENT_T] == [5.5]
    assert any(s.x0 == -0.5 for s in moved.layout.shapes)     # the cut stays


def test_builders_accept_a_history_without_horizon_values():
    frame = pd.DataFrame({"iteration": [0, 1], "horizon": [np.nan, np.nan]})
    fig = charts.runs_history_chart({"run": frame}, "horizon")
    assert len(fig.data[0].x) == 0


def full_title(fig):
    """The title and its subtitle (style.layout puts a chart's note there)."""
    return fig.layout.title.text + " " + (fig.layout.title.subtitle.text or "")
