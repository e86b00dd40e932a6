"""Readable from the back of a room, and honest colour: every chart's labels at least
14 px (16 in presentation mode), one number notation, log axes labelled only at powers
of ten, whole-number ticks on unit and index axes, the dh split on one y scale, and
magnitude heatmaps on one fixed log colour scale when asked."""
import json
import math
import re

import numpy as np
import plotly.io
import pytest

import engine
from dashboard import charts
from dashboard.charts import attribution, gates, style


@pytest.fixture(scope="module")
def trainer():
    tr = engine.Trainer(engine.read_sample("prose.txt"), hidden_size=12, seq_length=10)
    tr.run(12)
    return tr


@pytest.fixture(scope="module")
def lstm():
    tr = engine.Trainer(engine.read_sample("periodic.txt"), hidden_size=8, seq_length=8,
                        cell="lstm")
    tr.run(3)
    return tr


def dh_split(trace, t=4):
    return charts.stacked_vectors_chart(
        [("Why^T dy", trace.dh_from_output[t], "orange"), ("dhnext", trace.dhnext[t], "red"),
         ("dh", trace.dh[t], "darkred"), ("tanh'", trace.tanh_grad[t], "grey", (0.0, 1.0)),
         ("dhraw", trace.dhraw[t], "brown")], "dh split")


@pytest.fixture(scope="module")
def figures(trainer, lstm):
    """One of every chart the views draw, name -> Figure."""
    tr, h = trainer.trace, trainer.history
    chars = trainer.vocab.decode(tr.inputs)
    G = engine.loss_to_state(tr, trainer.params)
    J = engine.jacobian_norms(tr, trainer.params)
    spectrum = engine.whh_spectrum(trainer.params)
    norms = engine.timestep_norms(tr)
    lt = lstm.trace
    Gl = engine.loss_to_state(lt, lstm.params)
    return {
        "loss": charts.loss_chart(h),
        "grad_norms": charts.grad_norm_chart(h, 5.0, "value"),
        "clip_fraction": charts.clip_fraction_chart(h),
        "spectrum_history": charts.spectrum_history_chart(h),
        "reach": charts.reach_chart(h),
        "saturation": charts.saturation_chart(h),
        "adagrad": charts.adagrad_step_chart(engine.effective_learning_rate(
            trainer.mem, trainer.config.learning_rate)),
        "norms": charts.timestep_norms_chart(
            {"dh": norms["dh"], "dhnext": norms["dhnext"]}, 3, chars,
            {"dh": style.DH, "dhnext": style.DHNEXT}),
        "top": charts.top_predictions_chart(tr.ps[3], trainer.vocab.chars, int(tr.targets[3])),
        "h": charts.vector_chart(tr.hs[3], "hs[t]", "h", style.FORWARD),
        "dy": charts.vector_chart(tr.dy[3], "dy[t]", "dy", style.DY,
                                  labels=trainer.vocab.chars),
        "dh_split": dh_split(tr),
        "heatmaps": charts.window_heatmaps([("hs", "h", tr.hs, False),
                                            ("dh", "dh", tr.dh, True)], 3, chars),
        "loss_to_state": charts.loss_to_state_heatmap(G),
        "jacobian": charts.jacobian_heatmap(J),
        "lag": charts.reach_by_lag_chart(engine.reach_by_lag(G)),
        "eigenvalues": charts.eigenvalue_chart(spectrum["eigenvalues"]),
        "singular_values": charts.singular_value_chart(spectrum["singular_values"]),
        "runs_loss": charts.runs_history_chart({"a": h, "b": h}, "loss"),
        "runs_reach": charts.runs_history_chart({"a": h, "b": h}, "reach"),
        "runs_grid": charts.loss_to_state_grid({"a": G, "b": G}),
        "runs_lines": charts.runs_lines_chart({"a": norms["dh"].to_numpy()}, "t", "x", "y",
                                              "u"),
        "horizon": attribution.horizon_bars_chart(engine.whh_piece_norms(tr, tr.params),
                                                  chars, 2.0),
        "loss_paths": gates.loss_paths_chart(Gl, 4, lstm.vocab.decode(lt.inputs)),
    }


def font_sizes(node, path=""):
    """(path, size) of every font size set anywhere in a figure's JSON."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "font" and isinstance(value, dict) and "size" in value:
                yield path + ".font", value["size"]
            yield from font_sizes(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from font_sizes(value, f"{path}[{i}]")


def axes(fig):
    layout = fig.to_plotly_json()["layout"]
    return {k: v for k, v in layout.items() if re.fullmatch(r"[xy]axis\d*", k)}


def test_every_label_is_at_least_14_px_and_16_when_presenting(figures):
    for look, least in ((style.TEMPLATE, 14), (style.PRESENT_TEMPLATE, 16)):
        sizes = dict(font_sizes(look))
        assert sizes and min(sizes.values()) >= least, sizes
        lay = look["layout"]
        assert lay["font"]["size"] >= least and lay["xaxis"]["tickfont"]["size"] >= least
        for key in ("legend", "hoverlabel", "annotationdefaults"):
            assert lay[key]["font"]["size"] >= least
        assert lay["title"]["subtitle"]["font"]["size"] >= least
    for name, fig in figures.items():           # builders never set a smaller size
        small = [(p, s) for p, s in font_sizes(fig.to_plotly_json()) if s < style.FONT]
        assert not small, (name, small)
        # nor shrink a note to <sup> size: it goes to the subtitle (template size)
        assert "<br><sup>" not in (fig.layout.title.text or ""), name


def test_one_number_notation(figures):
    assert [style.num(x) for x in (1e-6, 1.234e-5, 0.0107, 101.07, 11928, 2.5e6, -3e-8, 0)] \
        == ["1e-6", "1.23e-5", "0.0107", "101", "11928", "2.5e6", "-3e-8", "0"]
    assert style.num(float("nan")) == "n/a" and style.share_text(3e-10) == "3e-8 %"
    for axis in (style.TEMPLATE["layout"]["xaxis"], style.TEMPLATE["layout"]["yaxis"]):
        assert axis["exponentformat"] == "e"          # never 20µ (SI) or 10⁻⁶ (power)
    for name, fig in figures.items():
        text = json.dumps(fig.to_plotly_json(), ensure_ascii=False)
        assert '"power"' not in text and '"SI"' not in text, name
        assert "⁻" not in text and "µ" not in text, name
        # hover numbers in d3's ~g (1e-6 style), never a fixed 3 significant "g"
        for template in re.findall(r'"hovertemplate": "([^"]*)"', text):
            assert ":.3g}" not in template and ":.4g}" not in template, (name, template)


def is_power_of_ten(v):
    k = math.log10(v)
    return abs(k - round(k)) < 1e-9


def test_log_axes_are_labelled_only_at_powers_of_ten(figures):
    seen = 0
    for name, fig in figures.items():
        for key, axis in axes(fig).items():
            if axis.get("type") != "log":
                continue
            seen += 1
            assert axis["tickmode"] == "array", (name, key)
            vals = list(axis["tickvals"])
            assert vals and all(is_power_of_ten(v) for v in vals), (name, key, vals)
            assert list(axis["ticktext"]) == [style.num(v) for v in vals], (name, key)
            lo, hi = axis["range"]
            assert hi - lo >= 1 and all(lo <= math.log10(v) <= hi for v in vals)
    assert seen >= 10
    # a flat line near 1e-2 still has labelled decades around it (no "5, 10, 2")
    flat = style.log_axis([0.0094, 0.0107])
    assert flat["ticktext"] == ["0.001", "0.01", "0.1"]
    wide = style.log_axis([1e-140, 1.0])
    assert wide["ticktext"][0] == "1e-140" and len(wide["tickvals"]) <= 9


def test_unit_and_index_axes_have_whole_number_ticks(figures, trainer):
    H = trainer.config.hidden_size
    for name, key in (("h", "xaxis"), ("dh_split", "xaxis"), ("heatmaps", "yaxis"),
                      ("loss_to_state", "xaxis"), ("loss_to_state", "yaxis"),
                      ("lag", "xaxis"), ("singular_values", "xaxis")):
        axis = axes(figures[name])[key]
        assert axis["tickformat"] == "d" and axis["tick0"] == 0, (name, key)
        assert isinstance(axis["dtick"], int) and axis["dtick"] >= 1, (name, key)
    assert style.count_axis(3)["dtick"] == 1 and style.count_axis(H)["dtick"] >= 1
    # iterations: whole numbers, counted from 1 like the page; a few of them step by 1
    assert axes(figures["loss"])["xaxis"]["tickformat"] == ",d"
    few = charts.loss_chart(trainer.history.iloc[:3])
    assert axes(few)["xaxis"]["dtick"] == 1 and list(few.data[0].x) == [1, 2, 3]


def test_dy_labels_every_character_of_a_small_vocabulary(trainer):
    chars = trainer.vocab.chars[:30]
    fig = charts.vector_chart(np.linspace(-1, 1, 30), "dy", "", "red", labels=chars)
    shown = [style.show_char(c) for c in chars]
    axis = axes(fig)["xaxis"]
    assert list(axis["tickvals"]) == shown and list(axis["ticktext"]) == shown
    assert axis["tickangle"] == 0


def test_dy_over_a_large_vocabulary_labels_its_largest_bars_target_first(figures, trainer):
    """57 labels under a half-page chart ran into one smear: which bar was the target's
    -1 could not be read."""
    V = len(trainer.vocab.chars)
    assert V > charts.window.MOST_CHARACTER_TICKS         # prose: the case in question
    axis = axes(figures["dy"])["xaxis"]
    dy = trainer.trace.dy[3]
    names = [style.show_char(c) for c in trainer.vocab.chars]
    shown = [names.index(v) for v in axis["tickvals"]]
    k = charts.window.LARGEST_CHARACTER_TICKS
    gap = -(-V // (2 * k))
    assert len(shown) == k and shown == sorted(shown) and min(np.diff(shown)) >= gap > 1
    target = int(trainer.trace.targets[3])
    assert target in shown and dy[target] == dy.min() < 0   # the target's p - 1
    # every label left out is no larger than the smallest shown, or next to a larger one
    for i in set(range(V)) - set(shown):
        assert abs(dy[i]) <= min(abs(dy[shown])) or \
            any(abs(i - j) < gap and abs(dy[j]) >= abs(dy[i]) for j in shown)


def test_dh_split_draws_its_rows_on_one_scale_with_labels_above_the_bars(trainer):
    fig = dh_split(trainer.trace)
    lay = fig.to_plotly_json()["layout"]
    ys = [lay["yaxis" if i == 0 else f"yaxis{i + 1}"] for i in range(5)]
    free = [ys[i]["range"] for i in (0, 1, 2, 4)]
    assert all(r == free[0] for r in free)               # one scale for the four rows
    m = max(np.abs(v).max() for v in (trainer.trace.dh_from_output[4], trainer.trace.dh[4],
                                      trainer.trace.dhraw[4], trainer.trace.dhnext[4]))
    assert free[0] == pytest.approx([-m, m])
    assert ys[3]["range"] == [0.0, 1.0]                 # tanh' keeps its own 0..1
    for axis, note in zip(ys, lay["annotations"], strict=True):
        top = axis["domain"][1]
        assert note["y"] == pytest.approx(top) and note["yanchor"] == "bottom"
    for upper, lower in zip(ys, ys[1:], strict=False):    # a gap for the label between
        assert upper["domain"][0] > lower["domain"][1]
    for axis in ys:          # no tick at a row's bottom, where the next row's top tick is
        assert axis["tickvals"][0] >= 0


def test_fixed_log_colour_scale_is_the_same_for_every_heatmap(trainer):
    G = engine.loss_to_state(trainer.trace, trainer.params)
    lo, hi = style.FIXED_DECADES
    for fig in (charts.loss_to_state_heatmap(G, decades=style.FIXED_DECADES),
                charts.jacobian_heatmap(engine.jacobian_norms(trainer.trace, trainer.params),
                                        decades=style.FIXED_DECADES),
                charts.loss_to_state_grid({"a": G, "b": G * 1e-5},
                                          decades=style.FIXED_DECADES)):
        for heat in fig.data:
            assert (heat.zmin, heat.zmax) == (lo, hi)
        ticks = fig.data[0].colorbar.tickvals
        assert ticks[0] >= lo and ticks[-1] <= hi
    own = charts.loss_to_state_heatmap(G)            # off: the data's own span
    assert own.data[0].zmin is None


def test_typed_arrays_never_carry_colours(figures):
    """plotly.py sends numpy arrays as typed arrays; as a bar's colours they made
    plotly.js warn 'Invalid color specifier' for every bar (see test_browser)."""
    for name, fig in figures.items():
        for trace in json.loads(plotly.io.to_json(fig))["data"]:
            colour = (trace.get("marker") or {}).get("color")
            assert not (isinstance(colour, dict) and "bdata" in colour), name


def test_guide_notes_sit_on_their_line_on_log_axes(figures):
    """A note on a log axis is placed at log10 of its value (plotly's rule for
    annotations, not for shapes): the note of the line at 1 used to sit at 10."""
    for name in ("lag", "singular_values", "reach", "grad_norms"):
        fig = figures[name]
        shape, note = fig.layout.shapes[0], fig.layout.annotations[0]
        assert fig.layout.yaxis.type == "log"
        assert note.y == pytest.approx(math.log10(shape.y0)), name
