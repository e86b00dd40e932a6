"""One recorded layer of a user's model (bpttscope.torch.watch), as arrays and as Traces.

A layer "<module>.l<k>" of E recorded examples: h, dh, dhnext (E, T, H) and so on
(engine/logformat.py). ``layer.trace(e)`` gives example e as an engine Trace, so every
window diagnostic (loss_to_state, whh_gradient_by_distance, back_step...) runs on it:

    the layer's output is h_t itself, so Why is the identity and the part of dh_t that
    arrived through the output at t, dh_t - dhnext_t, plays Why^T dy_t ("dy").

For the top layer that part is the loss's gradient at step t (when the loss at t reads
only the output at t). For a lower layer it is the gradient arriving from the layer
above at step t: "L_t" in the engine's names means "what entered this layer at t".
PyTorch's b_hh is folded in: the recorded h, c and gates already include it, and the
GRU's W_hn h + b_hn is kept as ``whn_h`` (b_hn stays inside r *). ReLU RNN layers take
1[h > 0] as their ``tanh_grad``.
"""
import warnings

import numpy as np

from . import cells
from .trace import Trace

LAYER_FIELDS = ("cell", "nonlinearity", "h", "dh", "dhnext", "c", "dc", "gates", "whn_h",
                "h0", "c0", "lengths", "dh_norms", "Whh")


class RecordedLayer:
    """Arrays of one recorded layer, checked for shape on reading (see from_arrays)."""

    def __init__(self, name, cell, nonlinearity, arrays):
        self.name, self.cell, self.nonlinearity = name, cell, nonlinearity
        self.h, self.dh, self.dhnext = arrays["h"], arrays["dh"], arrays["dhnext"]
        self.c, self.dc = arrays.get("c"), arrays.get("dc")
        self.whn_h, self.h0, self.c0 = arrays.get("whn_h"), arrays["h0"], arrays.get("c0")
        self.lengths, self.dh_norms, self.Whh = (arrays["lengths"], arrays["dh_norms"],
                                                 arrays["Whh"])
        g = arrays.get("gates")
        self.gates = {} if g is None else {n: g[:, :, j] for j, n in
                                           enumerate(cells.GATES[cell])}

    @property
    def examples(self):
        return self.h.shape[0]

    @property
    def T(self):
        return self.h.shape[1]

    @property
    def dh_out(self):
        """(E, T, H) the gradient that arrived through the layer's output at t."""
        return self.dh - self.dhnext

    @classmethod
    def from_arrays(cls, name, fields):
        """A RecordedLayer from the arrays of a step file; ValueError naming the first
        field whose kind or shape does not fit."""
        cell = _text(fields, "cell", name)
        if cell not in cells.MODULES:
            raise ValueError(f"layer {name}: unknown cell {cell!r}")
        nonlin = _text(fields, "nonlinearity", name) if "nonlinearity" in fields else "tanh"
        if nonlin not in ("tanh", "relu"):
            raise ValueError(f"layer {name}: unknown nonlinearity {nonlin!r}")
        need = ["h", "dh", "dhnext", "h0", "lengths", "dh_norms", "Whh"]
        need += cells.MODULES[cell].RECORDED_FIELDS
        missing = [f for f in need if f not in fields]
        if missing:
            raise ValueError(f"layer {name} has no {', '.join(missing)}")
        h = fields["h"]
        if h.ndim != 3 or h.dtype.kind != "f" or 0 in h.shape:
            raise ValueError(f"layer {name}: h must be (examples, T, H) floats; got "
                             f"{h.shape} {h.dtype}")
        E, T, H = h.shape
        k = cells.BLOCKS[cell]
        shapes = {"dh": (E, T, H), "dhnext": (E, T, H), "c": (E, T, H), "dc": (E, T, H),
                  "whn_h": (E, T, H), "gates": (E, T, k, H), "h0": (E, H), "c0": (E, H),
                  "lengths": (E,), "Whh": (k * H, H)}
        for f, shape in shapes.items():
            if f in fields and fields[f].shape != shape:
                raise ValueError(f"layer {name}: {f} has shape {fields[f].shape}; "
                                 f"expected {shape}")
        norms = fields["dh_norms"]
        if norms.ndim != 2 or norms.shape[1] != T or norms.shape[0] < 1:
            raise ValueError(f"layer {name}: dh_norms has shape {norms.shape}; expected "
                             f"(batch, {T})")
        lengths = fields["lengths"]
        if lengths.dtype.kind not in "iu" or (lengths < 1).any() or (lengths > T).any():
            raise ValueError(f"layer {name}: lengths must be whole numbers in 1..{T}")
        arrays = {f: v for f, v in fields.items() if f not in ("cell", "nonlinearity")}
        for f, v in arrays.items():
            if f != "lengths" and v.dtype.kind != "f":
                raise ValueError(f"layer {name}: {f} holds {v.dtype}, not floats")
        return cls(name, cell, nonlin, arrays)

    def trace(self, example=0):
        """Example ``example`` as an engine Trace over its valid steps, float64."""
        e = int(example)
        if not 0 <= e < self.examples:
            raise ValueError(f"layer {self.name} recorded {self.examples} examples; "
                             f"example {example} is not one of them")
        T = int(self.lengths[e])
        f64 = lambda a: np.array(a[e, :T], dtype=np.float64)
        hs, dh, dhnext = f64(self.h), f64(self.dh), f64(self.dhnext)
        H = hs.shape[1]
        params = self.params()
        extra = {}
        if self.cell == "rnn":
            extra["tanh_grad"] = (hs > 0).astype(float) if self.nonlinearity == "relu" \
                else 1.0 - hs * hs
        else:
            g = np.array(self.gates_array()[e, :T], dtype=np.float64)
            extra["gates"] = {n: g[:, j] for j, n in enumerate(cells.GATES[self.cell])}
        if self.cell == "lstm":
            cs, dc = f64(self.c), f64(self.dc)
            cprev = np.array(self.c0[e], dtype=np.float64)
            extra.update(cs=cs, cprev=cprev, tanh_c=np.tanh(cs), dc=dc)
        if self.cell == "gru":
            extra["whn_h"] = f64(self.whn_h)
        trace = Trace(
            inputs=np.zeros(T, dtype=np.intp), targets=np.zeros(T, dtype=np.intp),
            hprev=np.array(self.h0[e], dtype=np.float64), hs=hs, ps=np.zeros((T, 0)),
            losses=np.full(T, np.nan), loss=float("nan"), dy=dh - dhnext, dh=dh,
            dhraw=None, dhnext=dhnext, dhprev=None, grads={}, clipped={},
            norms_before={}, norms_after={}, clip_fraction={}, clip="none",
            params=params, dh_from_output=dh - dhnext, cell=self.cell, **extra)
        _backward_fields(trace, params, H)
        return trace

    def batch_dh_quantiles(self, quantiles=(0.1, 0.5, 0.9)):
        """(len(quantiles), T): quantiles over the whole batch of ||dh_t|| at each t
        (sequences that have ended by t left out)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)     # a step no sequence has
            return np.nanquantile(np.asarray(self.dh_norms, dtype=float), quantiles, axis=0)

    def gates_array(self):
        return np.stack([self.gates[n] for n in cells.GATES[self.cell]], axis=2)

    def params(self):
        """The engine's parameter names for this layer: Whh, and Why = I (H, H)."""
        H = self.h.shape[2]
        return {"Whh": np.array(self.Whh, dtype=np.float64), "Why": np.eye(H)}


def _backward_fields(trace, params, H):
    """dhraw, dh_pre, dhprev (and the LSTM's dcnext, dcprev) from back_step on the
    recorded dh and dc, and grads["Whh"] = sum_t dh_pre_t^T h_{t-1}."""
    T = trace.T
    dhraw, dh_pre = None, None
    if trace.cell == "lstm":
        o, tc = trace.gates["o"], trace.tanh_c
        trace.dcnext = trace.dc - trace.dh * o * (1.0 - tc * tc)
    factors = cells.back_factors(trace)
    for t in range(T - 1, -1, -1):
        dstate = (trace.dh[t],) if trace.cell != "lstm" else (trace.dh[t], trace.dcnext[t])
        before, dx, dhp = cells.back_step(trace, params, t, dstate, factors)
        if dhraw is None:
            dhraw, dh_pre = np.empty((T, dx.shape[-1])), np.empty((T, dhp.shape[-1]))
        dhraw[t], dh_pre[t] = dx, dhp
        if t == 0:
            trace.dhprev = before[0]
            if trace.cell == "lstm":
                trace.dcprev = before[1]
    trace.dhraw, trace.dh_pre = dhraw, dh_pre
    h_before = np.vstack([trace.hprev[None, :], trace.hs[:-1]])
    trace.grads = {"Whh": dh_pre.T @ h_before}


def _text(fields, key, name):
    value = fields[key]
    if value.dtype.kind != "U" or value.ndim != 0:
        raise ValueError(f"layer {name}: {key} is not a text")
    return str(value[()])


def depth_time_norms(record, example=0):
    """(names top layer first, (L, T) ||dh_t|| of ``example`` per layer of the record
    whose T is the longest layer's; NaN where a layer has no step t)."""
    names = list(record.layers)[::-1]
    T = max(layer.T for layer in record.layers.values())
    out = np.full((len(names), T), np.nan)
    for row, name in enumerate(names):
        layer = record.layers[name]
        if example < layer.examples:
            norms = np.linalg.norm(np.asarray(layer.dh[example], dtype=float), axis=1)
            out[row, : layer.T] = norms
    return names, out
