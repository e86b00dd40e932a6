"""Chart builders for gated cells (dashboard/charts/gates.py): pure functions, data in,
plotly Figure out, checked against the engine's numbers they draw."""
import numpy as np
import pytest

import engine
from dashboard import charts
from dashboard.charts import gates, style
from engine.cells import tape


@pytest.fixture(scope="module", params=["lstm", "gru"])
def run(request):
    tr = engine.Trainer(engine.read_sample("long_gap.txt"), hidden_size=12, seq_length=25,
                        cell=request.param)
    tr.run(5)
    trace = tr.trace
    return tr, trace, tr.vocab.decode(trace.inputs)


def test_cell_tape_chart(run):
    tr, trace, chars = run
    table = tape.tape_norms(trace, trace.params)
    fig = gates.cell_tape_chart(table, 7, chars, trace.cell)
    lines = {t.hovertemplate.split("<extra>")[1].removesuffix("</extra>"): t for t in fig.data}
    expected = (["dh", "dc", "dcnext"] if trace.cell == "lstm" else
                ["dh", "carry", "through_whh"]) + ["keep", f"mean_{gates.GATE_OF[trace.cell]}"]
    assert list(lines) == expected
    for name, trace_ in lines.items():
        on_gate_axis = name in ("keep", "mean_f", "mean_z")
        drawn = table[name] if on_gate_axis else style.positive(table[name])   # 0: a gap
        np.testing.assert_allclose(trace_.y, drawn, equal_nan=True)
        assert (trace_.yaxis == "y2") == on_gate_axis
        if on_gate_axis:
            assert trace_.line.color == style.GATE_COLOURS[gates.GATE_OF[trace.cell]]
    assert fig.layout.yaxis.type == "log" and list(fig.layout.yaxis2.range) == [0, 1.05]
    (band,) = [s for s in fig.layout.shapes if s.name == style.CURRENT_T]
    assert (band.x0, band.x1) == (6.5, 7.5)
    charts.mark_timestep(fig, 3)
    assert (band.x0, band.x1) == (2.5, 3.5)


def test_loss_paths_chart(run):
    tr, trace, chars = run
    G = engine.loss_to_state(trace, trace.params)
    C = tape.loss_to_cell(trace, trace.params) if trace.cell == "lstm" else None
    t = 22
    fig = gates.loss_paths_chart(G, t, chars, C=C)
    left = [d for d in fig.data if d.xaxis == "x"]
    right = [d for d in fig.data if d.xaxis == "x2"]
    assert len(left) == len(right) == (2 if C is not None else 1)
    np.testing.assert_array_equal(left[0].x, np.arange(t + 1))
    np.testing.assert_allclose(left[0].y, G[t, : t + 1])
    np.testing.assert_array_equal(right[0].x, np.arange(t, 25))
    np.testing.assert_allclose(right[0].y, G[t:, t])
    if C is not None:
        np.testing.assert_allclose(left[1].y, C[t, : t + 1])
        np.testing.assert_allclose(right[1].y, C[t:, t])
    lo, hi = fig.layout.yaxis.range
    assert hi - lo >= gates.MIN_DECADES and fig.layout.yaxis2.matches == "y"
    texts = [a.text for a in fig.layout.annotations]
    assert f"{style.num(G[t, 0] / G[t, t], 2)} ×" in texts[0]
    assert texts[1] == f"the most from the loss at u = {t + int(np.nanargmax(G[t:, t]))}"


def test_loss_paths_chart_at_the_ends():
    G = np.full((4, 4), np.nan)
    G[np.tril_indices(4)] = [1, .5, 1, .1, .2, 1, 5, 1e-2, .3, 1]
    first = gates.loss_paths_chart(G, 0, "abcd")
    assert [a.text for a in first.layout.annotations] == ["the most from the loss at u = 3"]
    last = gates.loss_paths_chart(G, 3, "abcd")
    assert [a.text.split(" = ")[1] for a in last.layout.annotations] == [
        "5 × ‖∂L<sub>3</sub>/∂h<sub>3</sub>‖"]


def test_carrier_units_chart(run):
    tr, trace, chars = run
    t = 20
    follow = tape.follow_loss(trace, trace.params, t)
    grad = follow["dc"] if trace.cell == "lstm" else follow["dh"]
    gate = trace.gates[gates.GATE_OF[trace.cell]]
    fig = gates.carrier_units_chart(grad, gate, t, chars, trace.cell, k=2)
    units = list(np.argsort(-np.abs(grad[0]))[:2])
    assert len(fig.data) == 4
    for k, j in enumerate(units):
        size, g = fig.data[2 * k], fig.data[2 * k + 1]
        assert size.name.startswith(f"unit {j}:") and g.name.startswith(f"unit {j}:")
        np.testing.assert_allclose(size.y, np.abs(grad[:, j]))
        np.testing.assert_allclose(g.y, gate[: t + 1, j])
        assert g.yaxis == "y2" and size.line.dash == g.line.dash
    assert fig.layout.yaxis.type == "log"


def test_gate_heatmaps_put_gates_on_a_fixed_scale(run):
    tr, trace, chars = run
    name = gates.GATE_OF[trace.cell]
    panels = [("hs", "h", trace.hs, "forward"), (name, "gate", trace.gates[name], "gate"),
              ("dh", "dh", trace.dh, "backward")]
    fig = gates.gate_heatmaps(panels, 4, chars)
    h, g, dh = fig.data
    assert g.colorscale == tuple(tuple(c) for c in style.GATE_SCALE)
    assert (g.zmin, g.zmax, g.zmid) == (0.0, 1.0, None)
    np.testing.assert_allclose(g.z, trace.gates[name].T)
    assert h.zmid == 0.0 and dh.zmid == 0.0
    assert h.colorscale[0][1] == style.FORWARD_DIVERGING[0][1]
    assert dh.colorscale[0][1] == style.BACKWARD_DIVERGING[0][1]


def test_gate_saturation_chart(run):
    tr, trace, chars = run
    shares = engine.gate_saturation(trace)
    fig = gates.gate_saturation_chart(shares, None, chars)
    assert [d.name for d in fig.data] == list(shares)
    for d, values in zip(fig.data, shares.values(), strict=True):
        np.testing.assert_allclose(d.y, values)
    assert list(fig.layout.yaxis.range) == [0, 1.02] and not fig.layout.shapes


def test_spectrum_charts_name_the_matrix_they_measure(run):
    tr, trace, chars = run
    spectrum = engine.whh_spectrum(trace.params)
    block = "W_hg" if trace.cell == "lstm" else "W_hn"
    assert charts.eigenvalue_chart(spectrum["eigenvalues"],
                                   name=block).layout.title.text.startswith(block)
    assert charts.singular_value_chart(spectrum["singular_values"],
                                       name=block).layout.title.text.startswith(block)
    fig = charts.spectrum_history_chart(tr.history, name=block)
    assert fig.data[0].name == f"σ_max({block})"
    assert fig.layout.annotations[0].text == "1"      # no vanilla claim for a gated block
    assert "vanish" in charts.spectrum_history_chart(tr.history).layout.annotations[0].text
