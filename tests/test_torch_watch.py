"""bpttscope.torch.watch against torch autograd on the module itself.

The oracle below unrolls each layer with its own per-step tensors and reads their
gradients with ``retain_grad``; it shares no code with bpttscope. Its forward and weight
gradients are first checked against the fused module (so the oracle is the module's
maths), then every recorded h, dh, dhnext, c, dc and gate is compared with it. Skipped,
and reported as skipped, when torch is not installed."""
import copy
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

import bpttscope.torch as scope_torch  # noqa: E402
from engine import open_logdir, whh_gradient_by_distance  # noqa: E402

F_IN, H, V = 3, 5, 4


class Model(torch.nn.Module):
    def __init__(self, kind, layers=2, batch_first=True, bias=True, dtype=torch.float64,
                 dropout=0.0, **extra):
        super().__init__()
        cls = {"rnn": torch.nn.RNN, "relu": torch.nn.RNN, "lstm": torch.nn.LSTM,
               "gru": torch.nn.GRU}[kind]
        if kind == "relu":
            extra["nonlinearity"] = "relu"
        self.rnn = cls(F_IN, H, num_layers=layers, batch_first=batch_first, bias=bias,
                       dropout=dropout, **extra).to(dtype)
        self.head = torch.nn.Linear(H, V).to(dtype)
        self.batch_first = batch_first

    def forward(self, x, lengths=None):
        if lengths is not None:
            x = pack_padded_sequence(x, lengths, batch_first=self.batch_first,
                                     enforce_sorted=False)
        out, _ = self.rnn(x)
        if lengths is not None:
            out, _ = pad_packed_sequence(out, batch_first=self.batch_first)
        return self.head(out)


def oracle(model, x, y, lengths, kind):
    """Per layer: h, dh, dhnext (B, T, H) and for lstm c, dc, gates, by autograd on a
    plain unroll of the module's equations with its own weights."""
    m = model.rnn
    xs = x if m.batch_first else x.transpose(0, 1)          # (B, T, F)
    B, T = xs.shape[:2]
    valid = torch.ones(B, T, dtype=torch.bool) if lengths is None else \
        torch.arange(T)[None, :] < torch.as_tensor(lengths)[:, None]
    layer_in, layers = xs, []
    for k in range(m.num_layers):
        W_ih, W_hh = getattr(m, f"weight_ih_l{k}"), getattr(m, f"weight_hh_l{k}")
        b_ih = getattr(m, f"bias_ih_l{k}") if m.bias else torch.zeros(W_ih.shape[0],
                                                                     dtype=xs.dtype)
        b_hh = getattr(m, f"bias_hh_l{k}") if m.bias else torch.zeros(W_ih.shape[0],
                                                                     dtype=xs.dtype)
        h = torch.zeros(B, H, dtype=xs.dtype)
        c = torch.zeros(B, H, dtype=xs.dtype)
        hs, outs, cs, gates = [], [], [], []
        for t in range(T):
            gi = layer_in[:, t] @ W_ih.T + b_ih
            gh = h @ W_hh.T + b_hh
            if kind in ("rnn", "relu"):
                new = torch.tanh(gi + gh) if kind == "rnn" else torch.relu(gi + gh)
                gate = None
            elif kind == "lstm":
                a = gi + gh
                i, f = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:2 * H])
                g, o = torch.tanh(a[:, 2 * H:3 * H]), torch.sigmoid(a[:, 3 * H:])
                c_new = f * c + i * g
                c_new = torch.where(valid[:, t, None], c_new, c)
                c_new.retain_grad()
                cs.append(c_new)
                new, gate, c = o * torch.tanh(c_new), (i, f, g, o), c_new
            else:
                r = torch.sigmoid(gi[:, :H] + gh[:, :H])
                z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
                n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
                new, gate = (1 - z) * n + z * h, (r, z, n)
            new = torch.where(valid[:, t, None], new, h)
            new.retain_grad()
            out = new * 1.0             # the output's own node: its grad is the output part
            out.retain_grad()
            hs.append(new)
            outs.append(out)
            gates.append(gate)
            h = new
        seq = torch.stack(outs, 1)
        layers.append((hs, outs, cs, gates))
        layer_in = seq
    out = layer_in * valid[..., None]
    logits = model.head(out if m.batch_first else out.transpose(0, 1))
    loss = loss_of(logits, y, model.batch_first)
    loss.backward()
    result = []
    for hs, outs, cs, gates in layers:
        rec = {"h": torch.stack(hs, 1), "dh": torch.stack([v.grad for v in hs], 1)}
        rec["dhnext"] = rec["dh"] - torch.stack([v.grad for v in outs], 1)
        if kind == "lstm":
            rec["c"] = torch.stack(cs, 1)
            rec["dc"] = torch.stack([v.grad for v in cs], 1)
        if gates[0] is not None:
            rec["gates"] = torch.stack([torch.stack(g, 1) for g in gates], 1)
        result.append({key: v.detach().numpy() for key, v in rec.items()})
    return result, out.detach()


def loss_of(logits, y, batch_first):
    if not batch_first:
        logits = logits.transpose(0, 1)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1),
                                             ignore_index=-1)


def data(dtype, batch_first, lengths, B=3, T=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, F_IN, generator=g, dtype=dtype)
    y = torch.randint(0, V, (B, T), generator=g)
    if lengths is not None:
        for b, n in enumerate(lengths):
            y[b, n:] = -1
            x[b, n:] = 0.0
    return (x if batch_first else x.transpose(0, 1)), y


def train_one_step(model, x, y, lengths, logdir, clip=0.05, examples=2):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scope = scope_torch.watch(model, opt, logdir=logdir, every=1, examples=examples)
    loss = loss_of(model(x, lengths), y, model.batch_first)
    loss.backward()
    scope.note_loss(loss)
    whh = [getattr(model.rnn, f"weight_hh_l{k}").grad.clone()
           for k in range(model.rnn.num_layers)]
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    scope.close()
    return float(total), float(loss.detach()), whh


CONFIGS = [(kind, layers, bf, bias, lengths)
           for kind in ("rnn", "relu", "lstm", "gru")
           for layers, bf, bias, lengths in ((1, True, True, None), (2, False, True, None),
                                             (3, True, False, None),
                                             (2, True, True, (6, 3, 5)),
                                             (2, False, False, (4, 6, 2)))]


@pytest.mark.parametrize("kind,layers,batch_first,bias,lengths", CONFIGS)
def test_float64_records_equal_autograd(tmp_path, kind, layers, batch_first, bias, lengths):
    torch.manual_seed(1)
    model = Model(kind, layers, batch_first, bias)
    x, y = data(torch.float64, batch_first, lengths)
    twin = copy.deepcopy(model)
    want, out = oracle(twin, x, y, lengths, kind)
    # the oracle is the module's own maths: forward and weight gradients
    fused = copy.deepcopy(model)
    loss_of(fused(x, lengths), y, batch_first).backward()
    for (name, p), q in zip(fused.named_parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(q.grad, p.grad, rtol=1e-10, atol=1e-13, err_msg=name)
    total, loss, whh = train_one_step(model, x, y, lengths, tmp_path)
    run = open_logdir(tmp_path)[tmp_path.name]
    assert run.steps == [0] and not run.problems
    rec = run.read(0)
    assert rec.loss == pytest.approx(loss, rel=1e-12)
    assert rec.norms_before["global"] == pytest.approx(total, rel=1e-12)
    for k in range(layers):
        layer = rec.layers[f"rnn.l{k}"]
        for field, value in want[k].items():
            got = {"h": layer.h, "dh": layer.dh, "dhnext": layer.dhnext, "c": layer.c,
                   "dc": layer.dc, "gates": layer.gates_array() if layer.gates else None}
            expect = value[:2]
            if lengths is not None:     # after its end a sequence has no values
                ended = np.arange(expect.shape[1])[None, :] >= np.array(lengths[:2])[:, None]
                expect = expect.copy()
                expect[ended] = np.nan
            np.testing.assert_allclose(got[field], expect, rtol=1e-10, atol=1e-14,
                                       err_msg=f"{kind} layer {k} {field}")
        # the engine's own back_step and Whh-by-distance reproduce weight_hh's gradient
        sum_whh = sum(whh_gradient_by_distance(layer.trace(e), layer.params()).sum(0)
                      for e in range(layer.examples))
        if layer.examples == x.shape[0 if batch_first else 1]:
            np.testing.assert_allclose(sum_whh, whh[k].numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_engine_reproduces_weight_hh_grad_from_the_whole_batch(tmp_path, kind):
    torch.manual_seed(2)
    model = Model(kind, layers=2)
    x, y = data(torch.float64, True, None, B=3)
    _, _, whh = train_one_step(model, x, y, None, tmp_path, examples=3)
    rec = open_logdir(tmp_path)[tmp_path.name].read(0)
    for k in range(2):
        layer = rec.layers[f"rnn.l{k}"]
        pieces = [whh_gradient_by_distance(layer.trace(e), layer.params())
                  for e in range(3)]
        got = sum(p.sum(0) for p in pieces)
        np.testing.assert_allclose(got, whh[k].numpy(), rtol=1e-10, atol=1e-14)
        assert np.abs(whh[k].numpy()).max() > 1e-6        # a real gradient, not zeros


# (dtype, fields compared with the float64 twin, their tolerance relative to its scale)
LOW_PRECISION = {torch.float32: (("h", "dh", "dhnext"), 1e-5),
                 # numpy has no bfloat16: the first opt.step() of a watched bfloat16
                 # model raised TypeError in the user's loop; it is recorded as float32
                 torch.bfloat16: (("h",), 0.05)}


@pytest.mark.parametrize("dtype", list(LOW_PRECISION), ids=["float32", "bfloat16"])
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_low_precision_records_within_their_precision(tmp_path, kind, dtype):
    fields, rtol = LOW_PRECISION[dtype]
    torch.manual_seed(3)
    model = Model(kind, layers=2, dtype=dtype)
    x, y = data(dtype, True, None)
    twin = copy.deepcopy(model).double()
    want, _ = oracle(twin, x.double(), y, None, kind)
    train_one_step(model, x, y, None, tmp_path)
    rec = open_logdir(tmp_path)[tmp_path.name].read(0)
    for k in range(2):
        layer = rec.layers[f"rnn.l{k}"]
        assert layer.h.dtype == np.float32 and layer.Whh.dtype == np.float32
        for field in fields:
            got, ref = getattr(layer, field), want[k][field][:2]
            scale = np.abs(ref).max()
            assert np.abs(got - ref).max() <= rtol * scale, (kind, k, field)


@pytest.mark.slow       # trains a torch model
def test_unrolled_forward_equals_the_module_and_other_steps_are_untouched(tmp_path):
    torch.manual_seed(4)
    model = Model("lstm", layers=2)
    x, y = data(torch.float64, True, None)
    plain = model(x)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    scope = scope_torch.watch(model, opt, logdir=tmp_path, every=3)
    for step in range(7):
        recorded = "forward" in model.rnn.__dict__
        assert recorded == (step % 3 == 0)
        out = model(x)
        np.testing.assert_allclose(out.detach(), plain.detach(), rtol=1e-12, atol=1e-14)
        loss_of(out, y, True).backward()
        opt.step()
        opt.zero_grad()
    scope.close()
    assert "forward" not in model.rnn.__dict__
    assert open_logdir(tmp_path)[tmp_path.name].steps == [0, 3, 6]


def test_clip_norms_equal_what_clip_grad_norm_returned(tmp_path):
    torch.manual_seed(5)
    model = Model("gru", layers=2)
    x, y = data(torch.float64, True, None)
    total, _, _ = train_one_step(model, x, y, None, tmp_path, clip=0.01)
    rec = open_logdir(tmp_path)[tmp_path.name].read(0)
    assert rec.norms_before["global"] == pytest.approx(total, rel=1e-12)
    # clip_grad_norm_ scales by max_norm / (total + 1e-6)
    assert rec.norms_after["global"] == pytest.approx(0.01 * total / (total + 1e-6),
                                                      rel=1e-12)
    assert rec.clip_fraction["global"] > 0.9
    for name, _ in model.named_parameters():
        assert name in rec.norms_before
    parts = math.sqrt(sum(v * v for n, v in rec.norms_before.items() if n != "global"))
    assert parts == pytest.approx(total, rel=1e-12)


def test_record_context_without_an_optimizer(tmp_path):
    torch.manual_seed(6)
    model = Model("rnn", layers=1)
    x, y = data(torch.float64, True, None)
    scope = scope_torch.watch(model, logdir=tmp_path)
    with scope.record(17, loss=None):
        loss = loss_of(model(x), y, True)
        loss.backward()
        scope.note_loss(loss)
    assert "forward" not in model.rnn.__dict__
    rec = open_logdir(tmp_path)[tmp_path.name].read(17)
    assert rec.loss == pytest.approx(float(loss.detach()))
    assert rec.norms_before["global"] == pytest.approx(rec.norms_after["global"])
    scope.close()


def test_a_second_backward_on_a_recording_step_raises_instead_of_a_wrong_answer(tmp_path):
    """The layer's backward is written out (recurrence.py), once differentiable: a
    gradient penalty through it must fail loudly, never return a silently wrong value."""
    model = Model("lstm", layers=1)
    x, y = data(torch.float64, True, None)
    scope = scope_torch.watch(model, logdir=tmp_path)
    with scope.record(0):
        loss = loss_of(model(x), y, True)
        (g,) = torch.autograd.grad(loss, model.rnn.weight_hh_l0, create_graph=True)
        with pytest.raises(RuntimeError, match="differentiate twice|once_differentiable"):
            g.square().sum().backward()
    scope.close()


def test_eval_and_no_grad_forwards_are_not_recorded(tmp_path):
    model = Model("gru", layers=1)
    x, _ = data(torch.float64, True, None)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scope = scope_torch.watch(model, opt, logdir=tmp_path, every=1)
    with torch.no_grad():
        model(x)
    opt.step()      # no backward happened: nothing to write
    scope.close()
    assert open_logdir(tmp_path)[tmp_path.name].steps == []


def test_dropout_between_layers_uses_the_masks_it_drew(tmp_path):
    """With dropout the recorded step draws its own masks (the fused kernel's cannot be
    read); the oracle draws the same ones from the same generator state."""
    model = Model("lstm", layers=2, dropout=0.5)
    x, y = data(torch.float64, True, None)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scope = scope_torch.watch(model, opt, logdir=tmp_path, every=1, examples=3)
    twin = copy.deepcopy(model)     # the weights of the recorded step
    torch.manual_seed(7)
    loss_of(model(x), y, True).backward()
    opt.step()
    scope.close()
    rec = open_logdir(tmp_path)[tmp_path.name].read(0)
    m = twin.rnn
    # the oracle: the module with the same masks, layer 0's output through the same draw
    first, second = _single(m, 0), _single(m, 1)       # built before the draw
    torch.manual_seed(7)
    out0, _ = first(x)
    out0 = out0.detach().requires_grad_(True)
    # drawn time-major, (T, B, H), as the unrolled pass holds its outputs
    dropped = torch.nn.functional.dropout(out0.transpose(0, 1), 0.5,
                                          training=True).transpose(0, 1)
    out1, _ = second(dropped)
    loss_of(twin.head(out1), y, True).backward()
    layer0 = rec.layers["rnn.l0"]
    np.testing.assert_allclose(layer0.dh - layer0.dhnext, out0.grad.numpy(), rtol=1e-10,
                               atol=1e-14)


def _single(m, k):
    one = torch.nn.LSTM(m.input_size if k == 0 else H, H, batch_first=True).double()
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(one, f"{name}_l0").data.copy_(getattr(m, f"{name}_l{k}").data)
    return one


@pytest.mark.parametrize("build,words", [
    (lambda: torch.nn.LSTM(3, 4, bidirectional=True), "bidirectional"),
    (lambda: torch.nn.LSTM(3, 4, proj_size=2), "proj_size"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(3, 4)), "no nn.RNN"),
    (lambda: torch.nn.LSTMCell(3, 4), "no nn.RNN"),
])
def test_refusals_say_why_and_what_to_do(tmp_path, build, words):
    with pytest.raises(ValueError, match=words) as err:
        scope_torch.watch(build(), logdir=tmp_path)
    text = str(err.value)
    assert "Use" in text or "Build" in text or "Watch" in text


def test_bad_every_and_examples(tmp_path):
    for kwargs in ({"every": 0}, {"examples": -1}, {"every": 2.5}):
        with pytest.raises(ValueError, match="whole number"):
            scope_torch.watch(Model("rnn"), logdir=tmp_path, **kwargs)


@pytest.mark.parametrize("logdir", [None, "", 3])
def test_a_logdir_that_is_not_a_path_is_refused(logdir, tmp_path, monkeypatch):
    """logdir=None made a folder named 'None' in the working directory."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="must be a folder's path"):
        scope_torch.watch(Model("rnn"), logdir=logdir)
    assert not any(tmp_path.iterdir())


def test_an_empty_sequence_fails_as_torch_says_it(tmp_path):
    """A recording step on a sequence of length 0 raised IndexError inside the unrolled
    backward; torch itself refuses it in the forward."""
    model = torch.nn.RNN(3, 4).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scope = scope_torch.watch(model, opt, logdir=tmp_path, every=1)
    with pytest.raises(RuntimeError, match="sequence length to be larger than 0"):
        model(torch.zeros(0, 2, 3, dtype=torch.float64))
    scope.close()


def test_unbatched_input_and_a_model_that_is_the_module(tmp_path):
    rnn = torch.nn.GRU(3, 4).double()
    x = torch.randn(5, 3, dtype=torch.float64)
    want, _ = rnn(x)
    scope = scope_torch.watch(rnn, logdir=tmp_path)
    with scope.record(0):
        out, h_n = rnn(x)
        out.sum().backward()
    np.testing.assert_allclose(out.detach(), want.detach(), rtol=1e-12)
    assert h_n.shape == (1, 4)
    rec = open_logdir(tmp_path)[tmp_path.name].read(0)
    assert rec.layers["rnn.l0"].h.shape == (1, 5, 4)


# -- the layer's autograd Function (bpttscope/torch/recurrence.py) ----------------------

def _recurrence_inputs(cell, masked, bias, T=4, B=3, Hs=2, seed=8, lengths=(4, 2, 1)):
    g = torch.Generator().manual_seed(seed)
    k = {"rnn": 1, "relu": 1, "lstm": 4, "gru": 3}[cell]

    def rand(*shape):
        return (0.7 * torch.randn(*shape, generator=g, dtype=torch.float64)).requires_grad_()
    xp, h0, W_hh = rand(T, B, k * Hs), rand(B, Hs), rand(k * Hs, Hs)
    c0 = rand(B, Hs) if cell == "lstm" else None
    b_hn = rand(Hs) if cell == "gru" and bias else None
    active = None
    if masked:      # rows end after lengths[b] steps: their state is kept after that
        active = (torch.arange(T)[:, None] < torch.tensor(lengths)[None, :])[..., None]
    return xp, h0, c0, W_hh, b_hn, active


@pytest.mark.parametrize("cell", ["rnn", "relu", "lstm", "gru"])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_recurrence_backward_passes_gradcheck(cell, masked, bias):
    """Every input's gradient, from every output (out, h_n, c_n), against finite
    differences (torch.autograd.gradcheck, float64)."""
    from bpttscope.torch.recurrence import Recurrence
    xp, h0, c0, W_hh, b_hn, active = _recurrence_inputs(cell, masked, bias)
    name = "rnn" if cell == "relu" else cell

    def run(xp, h0, c0, W_hh, b_hn):
        return Recurrence.apply(name, cell == "relu", xp, h0, c0, W_hh, b_hn, active, None)
    inputs = (xp, h0, c0, W_hh, b_hn)
    assert torch.autograd.gradcheck(run, inputs, eps=1e-6, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "relu", "lstm", "gru"])
def test_recurrence_gradcheck_across_blocks(cell):
    """T = 8 + 3: the backward builds its factors 8 steps at a time (recurrence._blocks),
    so steps 10..3, then 2..0; sequences that end at the blocks' edge, inside the first
    block, and not at all."""
    from bpttscope.torch.recurrence import _BLOCK, Recurrence
    T = _BLOCK + 3
    xp, h0, c0, W_hh, b_hn, active = _recurrence_inputs(cell, True, True, T=T,
                                                        lengths=(T, 3, 6))
    name = "rnn" if cell == "relu" else cell

    def run(xp, h0, c0, W_hh, b_hn):
        return Recurrence.apply(name, cell == "relu", xp, h0, c0, W_hh, b_hn, active, None)
    assert torch.autograd.gradcheck(run, (xp, h0, c0, W_hh, b_hn), eps=1e-6, atol=1e-8,
                                    rtol=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_recurrence_tape_holds_dh_and_dc(cell):
    """The tape's dh_t (dc_t) is dL/dh_t (dL/dc_t): L = sum_t w_t . h_t, plus a weight on
    h_n (c_n), through a second copy of the layer whose h_t get retain_grad."""
    from bpttscope.torch.recurrence import Recurrence
    from bpttscope.torch.unroll import LayerTape
    xp, h0, c0, W_hh, b_hn, active = _recurrence_inputs(cell, True, True)
    rec = LayerTape()
    outs = Recurrence.apply(cell, False, xp, h0, c0, W_hh, b_hn, active, rec)
    g = torch.Generator().manual_seed(9)
    weights = [torch.randn(o.shape, generator=g, dtype=torch.float64) for o in outs]
    sum((o * w).sum() for o, w in zip(outs, weights, strict=True)).backward()
    # the reference: the same maths, one tensor per step
    H = h0.shape[1]
    h, c, hs, cs = h0, c0, [], []
    for t in range(xp.shape[0]):
        a = xp[t] + h @ W_hh.T
        if cell == "rnn":
            new = torch.tanh(a)
        elif cell == "lstm":
            i, f = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:2 * H])
            gg, o = torch.tanh(a[:, 2 * H:3 * H]), torch.sigmoid(a[:, 3 * H:])
            c = torch.where(active[t], f * c + i * gg, c)
            c.retain_grad()
            cs.append(c)
            new = o * torch.tanh(c)
        else:
            hh = h @ W_hh.T
            r = torch.sigmoid(xp[t, :, :H] + hh[:, :H])
            z = torch.sigmoid(xp[t, :, H:2 * H] + hh[:, H:2 * H])
            n = torch.tanh(xp[t, :, 2 * H:] + r * (hh[:, 2 * H:] + b_hn))
            new = (1 - z) * n + z * h
        h = torch.where(active[t], new, h)
        h.retain_grad()
        hs.append(h)
    loss = (torch.stack(hs) * weights[0]).sum() + (h * weights[1]).sum()
    if cell == "lstm":
        loss = loss + (c * weights[2]).sum()
    loss.backward()
    np.testing.assert_allclose(rec.dh, torch.stack([v.grad for v in hs]), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(rec.dh_out, weights[0], rtol=0, atol=0)
    np.testing.assert_allclose(rec.h, torch.stack(hs).detach(), rtol=1e-13, atol=1e-15)
    if cell == "lstm":
        np.testing.assert_allclose(rec.dc, torch.stack([v.grad for v in cs]), rtol=1e-12,
                                   atol=1e-14)


FUSED = [(kind, layers, bf, bias, lengths, hx, dtype)
         for kind in ("rnn", "relu", "lstm", "gru")
         for layers, bf, bias, lengths, hx, dtype in (
             (1, True, True, None, False, torch.float64),
             (2, False, True, None, True, torch.float64),
             (3, True, False, None, True, torch.float64),
             (2, True, True, (6, 3, 5), True, torch.float64),
             (2, False, False, (4, 6, 2), False, torch.float64),
             (2, True, True, None, True, torch.float32),
             (2, True, True, (6, 3, 5), True, torch.float32))]


@pytest.mark.parametrize("kind,layers,batch_first,bias,lengths,hx,dtype", FUSED)
def test_every_gradient_equals_the_fused_module(tmp_path, kind, layers, batch_first, bias,
                                                 lengths, hx, dtype):
    """Recorded against the module's own forward and backward: the output, h_n (c_n),
    and the gradient of every parameter, of the input and of hx, with a loss that reads
    the output (changed in place first, as Dropout(inplace=True) would), h_n and c_n."""
    torch.manual_seed(10)
    module = Model(kind, layers, batch_first, bias, dtype).rnn
    x, _ = data(dtype, batch_first, lengths)
    B = 3
    g = torch.Generator().manual_seed(11)
    state = (torch.randn(layers, B, H, generator=g, dtype=dtype) if hx else None)
    cell_state = torch.randn(layers, B, H, generator=g, dtype=dtype) if hx else None
    weights = [torch.randn(n, 3, H, generator=g, dtype=dtype) for n in (6, layers, layers)]

    def step(m):
        xs = x.clone().requires_grad_()
        h0 = state.clone().requires_grad_() if hx else None
        c0 = cell_state.clone().requires_grad_() if hx else None
        given = (h0, c0) if kind == "lstm" and hx else h0
        inp = xs if lengths is None else pack_padded_sequence(
            xs, lengths, batch_first=batch_first, enforce_sorted=False)
        out, last = m(inp, given)
        if lengths is not None:
            out, _ = pad_packed_sequence(out, batch_first=batch_first)
        if dtype == torch.float64:  # the fused float32 LSTM (oneDNN) refuses this itself
            out.mul_(1.5)
        h_n, c_n = last if kind == "lstm" else (last, None)
        loss = (out * (weights[0].transpose(0, 1) if batch_first else weights[0])).sum()
        loss = loss + (h_n * weights[1]).sum()
        if c_n is not None:
            loss = loss + (c_n * weights[2]).sum()
        loss.backward()
        grads = {n: p.grad for n, p in m.named_parameters()}
        grads["input"] = xs.grad
        if hx:
            grads["h0"] = h0.grad
            if kind == "lstm":
                grads["c0"] = c0.grad
        return out.detach(), h_n.detach(), grads

    fused = copy.deepcopy(module)
    want_out, want_hn, want = step(fused)
    scope = scope_torch.watch(module, logdir=tmp_path)
    with scope.record(0):
        got_out, got_hn, got = step(module)
    scope.close()
    assert open_logdir(tmp_path)[tmp_path.name].steps == [0]     # the unrolled path ran
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == torch.float64 else \
        {"rtol": 1e-4, "atol": 2e-5}
    np.testing.assert_allclose(got_out, want_out, **tol)
    np.testing.assert_allclose(got_hn, want_hn, **tol)
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], **tol, err_msg=name)
