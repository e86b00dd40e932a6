"""The BPTT code view shows loops that run: executed as printed on a real window, they
produce the engine's gradients (before clipping, then after the clip block)."""
import numpy as np
import pytest

import engine
from dashboard.views import code
from dashboard.views.sections import code_cells


def namespace(trace, params):
    """The names the printed loops read, from one window, and zeroed gradients."""
    T, H = trace.hs.shape
    ns = {"np": np, "T": T, "H": H, "ps": trace.ps, "targets": trace.targets,
          "inputs": trace.inputs, "hs": trace.hs, "hprev": trace.hprev,
          "threshold": trace.threshold, "gates": trace.gates, "cs": trace.cs,
          "cprev": trace.cprev, "tanh_c": trace.tanh_c, "whn_h": trace.whn_h,
          **{name: params[name] for name in ("Wxh", "Whh", "Why")}}
    for name in ("Wxh", "Whh", "Why"):
        ns[f"d{name}"] = np.zeros_like(params[name])
    ns["dbh"], ns["dby"] = np.zeros(len(params["bh"])), np.zeros(len(params["by"]))
    return ns


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_printed_backward_loop_computes_the_engines_gradients(cell):
    tr = engine.Trainer(engine.read_sample("periodic.txt"), hidden_size=12, seq_length=9,
                        cell=cell)
    tr.run(3)                        # a nonzero incoming state (and cell state)
    trace = tr.trace
    blocks = code_cells.blocks(cell, code.BLOCKS)
    *loop, clip = [c for c, _, _ in blocks]
    assert clip.startswith("for ") and "np.clip" in clip
    ns = namespace(trace, trace.params)
    exec(compile("\n".join(loop), f"<{cell} code view>", "exec"), ns)
    for name in ("Wxh", "Whh", "Why", "bh", "by"):
        np.testing.assert_allclose(ns[f"d{name}"].reshape(-1), trace.grads[name].reshape(-1),
                                   rtol=1e-10, atol=1e-13, err_msg=name)
    np.testing.assert_allclose(ns["dhnext"], trace.dhprev, rtol=1e-10, atol=1e-13)
    if cell == "lstm":
        np.testing.assert_allclose(ns["dcnext"], trace.dcprev, rtol=1e-10, atol=1e-13)
    assert trace.clip == "value"
    exec(compile(clip, f"<{cell} clip>", "exec"), ns)
    for name in ("Wxh", "Whh", "Why", "bh", "by"):
        np.testing.assert_allclose(ns[f"d{name}"].reshape(-1),
                                   trace.clipped[name].reshape(-1), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_every_gated_block_has_math_and_a_live_value_it_knows(cell):
    blocks = code_cells.blocks(cell, code.BLOCKS)
    assert blocks[1:4] == code.BLOCKS[1:4]        # dy, dWhy and dh hold for every cell
    for _source, latex, what in blocks:
        assert latex
        assert what in (None, "dy", "out_grads", "dh", "dc", "da", "in_grads", "lstm_next",
                        "gru_da", "gru_next", "clip")
