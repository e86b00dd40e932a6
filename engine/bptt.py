"""One truncated-BPTT window: forward, backward, clipping, all recorded in a Trace.

Row layout: ``hs[t]`` is h_t as a row, so the per-window products are single matmuls
and only the recurrence itself loops over t.
"""
from dataclasses import dataclass, field

import numpy as np

from .clip import clip_gradients, norms
from .params import Layout
from .threads import single_threaded


@dataclass
class Trace:
    """Everything computed for one BPTT window of T characters."""

    inputs: np.ndarray      # (T,) character ids x_t
    targets: np.ndarray     # (T,) character ids to predict at t
    hprev: np.ndarray       # (H,) h_{-1}, carried over from the previous window
    hs: np.ndarray          # (T, H) h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
    ps: np.ndarray          # (T, V) softmax(Why h_t + by)
    losses: np.ndarray      # (T,) -log ps[t, targets[t]]
    loss: float             # sum of losses
    dy: np.ndarray          # (T, V) ps - onehot(targets): dL_t/dy_t
    dh: np.ndarray          # (T, H) Why^T dy_t + dhnext_t: dL/dh_t
    dhraw: np.ndarray       # (T, H) (1 - h_t^2) * dh_t: dL/d(pre-activation)
    dhnext: np.ndarray      # (T, H) Whh^T dhraw_{t+1}: gradient from the future, 0 at T-1
    dhprev: np.ndarray      # (H,) Whh^T dhraw_0: what truncation throws away
    grads: dict             # name -> gradient before clipping
    clipped: dict           # name -> gradient after clipping
    norms_before: dict      # name and "global" -> L2 norm before clipping
    norms_after: dict       # name and "global" -> L2 norm after clipping
    clip_fraction: dict     # name and "global" -> fraction of entries the clip changed
    clip: str = "value"
    threshold: float = 5.0
    iteration: int | None = None    # set by Trainer: the iteration that trained on it
    position: int | None = None     # set by Trainer: data pointer p of the window
    params: dict = field(default=None, repr=False)   # the weights that produced it
    flat_grads: np.ndarray = field(default=None, repr=False)
    flat_clipped: np.ndarray = field(default=None, repr=False)

    @property
    def T(self):
        return len(self.inputs)

    @property
    def dh_from_output(self):
        """(T, H) Why^T dy_t: the part of dh_t that comes from this step's own loss."""
        return self.dh - self.dhnext

    @property
    def tanh_grad(self):
        """(T, H) tanh'(pre-activation) = 1 - h_t^2."""
        return 1.0 - self.hs * self.hs


def forward(params, inputs, hprev):
    """hs (T, H) and ps (T, V), and the shifted logits for a stable loss."""
    Wxh, Whh, Why = params["Wxh"], params["Whh"], params["Why"]
    bh, by = params["bh"].reshape(-1), params["by"].reshape(-1)
    T, H = len(inputs), Whh.shape[0]
    # Indexing Wxh's columns is Wxh @ onehot(x_t), without the multiply.
    pre = np.take(Wxh.T, inputs, axis=0)
    pre += bh
    hs = np.empty((T, H))
    h = hprev
    for t in range(T):
        np.dot(Whh, h, out=hs[t])
        hs[t] += pre[t]
        np.tanh(hs[t], out=hs[t])
        h = hs[t]
    ys = hs @ Why.T
    ys += by
    ys -= ys.max(axis=1, keepdims=True)
    ps = np.exp(ys)
    total = ps.sum(axis=1, keepdims=True)
    ps /= total
    return hs, ps, ys, total[:, 0]


@single_threaded
def bptt(params, inputs, targets, hprev, clip="value", threshold=5.0):
    """Forward and backward over one window; returns the full Trace."""
    inputs = np.asarray(inputs, dtype=np.intp)
    targets = np.asarray(targets, dtype=np.intp)
    Whh, Why = params["Whh"], params["Why"]
    H, V = Whh.shape[0], Why.shape[0]
    T = len(inputs)
    if T == 0 or len(targets) != T:
        raise ValueError(f"inputs and targets must be non-empty and equally long; "
                         f"got {T} and {len(targets)}.")
    hprev = np.asarray(hprev, dtype=np.float64).reshape(-1)
    if hprev.shape != (H,):
        raise ValueError(f"hprev must have {H} entries; got {hprev.size}.")

    hs, ps, ys, total = forward(params, inputs, hprev)
    rows = np.arange(T)
    # log-softmax form of -log p[target]: finite even when p underflows to 0.
    losses = np.log(total) - ys[rows, targets]

    layout = Layout(V, H)
    flat = layout.empty()
    g = layout.views(flat)
    dy = ps.copy()
    dy[rows, targets] -= 1.0
    np.dot(dy.T, hs, out=g["Why"])
    np.sum(dy, axis=0, out=g["by"][:, 0])
    dh_out = dy @ Why                       # row t: Why^T dy_t
    tanh_grad = 1.0 - hs * hs
    dh, dhraw, dhnext = np.empty((T, H)), np.empty((T, H)), np.empty((T, H))
    dhnext[T - 1] = 0.0
    for t in range(T - 1, -1, -1):
        np.add(dh_out[t], dhnext[t], out=dh[t])
        np.multiply(tanh_grad[t], dh[t], out=dhraw[t])
        if t:
            np.dot(dhraw[t], Whh, out=dhnext[t - 1])   # Whh^T dhraw_t
    dhprev = dhraw[0] @ Whh
    hs_prev = np.empty((T, H))
    hs_prev[0] = hprev
    hs_prev[1:] = hs[:-1]
    np.dot(dhraw.T, hs_prev, out=g["Whh"])
    g["Wxh"][...] = 0.0
    np.add.at(g["Wxh"].T, inputs, dhraw)
    np.sum(dhraw, axis=0, out=g["bh"][:, 0])

    flat_clipped, fractions = clip_gradients(flat, layout, clip, threshold)
    return Trace(
        inputs=inputs, targets=targets, hprev=hprev, hs=hs, ps=ps, losses=losses,
        loss=float(losses.sum()), dy=dy, dh=dh, dhraw=dhraw, dhnext=dhnext, dhprev=dhprev,
        grads=g, clipped=layout.views(flat_clipped),
        norms_before=norms(flat, layout), norms_after=norms(flat_clipped, layout),
        clip_fraction=fractions, clip=clip, threshold=float(threshold), params=params,
        flat_grads=flat, flat_clipped=flat_clipped)
