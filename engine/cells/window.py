"""One truncated-BPTT window for a gated cell: the cell's recurrence (lstm.py, gru.py),
then the output layer, loss, weight gradients and clipping, recorded in a Trace.

The vanilla cell's window is engine/bptt.py's own code path, untouched.
"""
import numpy as np

from ..bptt import Trace
from ..clip import clip_gradients, norms
from ..params import layout as layout_for
from . import gru, lstm


def gated_bptt(params, inputs, targets, hprev, cprev, cell, clip, threshold):
    """bptt() for cell "lstm" or "gru"; arguments already validated."""
    Why = params["Why"]
    T, (V, H) = len(inputs), Why.shape
    if cell == "lstm":
        fwd = lstm.forward(params, inputs, hprev, cprev)
    else:
        fwd = gru.forward(params, inputs, hprev)
    hs = fwd["hs"]
    ps, ys, total = _softmax(hs, params)
    rows = np.arange(T)
    losses = np.log(total)      # log-softmax form of -log p[target]: finite if p underflows
    losses -= ys[rows, targets]

    layout = layout_for(V, H, cell)
    flat = np.empty(layout.size)
    g = layout.views(flat)
    dy = ps.copy()
    dy[rows, targets] -= 1.0
    np.dot(dy.T, hs, out=g["Why"])
    ones = np.ones(T)
    np.dot(ones, dy, out=g["by"][:, 0])
    dh_out = dy @ Why                       # row t: Why^T dy_t
    if cell == "lstm":
        back = lstm.backward(params, fwd, hprev, cprev, dh_out)
    else:
        back = gru.backward(params, fwd, hprev, dh_out)
    hs_before = np.empty((T, H))
    hs_before[0] = hprev
    hs_before[1:] = hs[:-1]
    np.dot(back["dh_pre"].T, hs_before, out=g["Whh"])
    onehot = np.zeros((T, V))
    onehot[rows, inputs] = 1.0
    np.dot(back["dhraw"].T, onehot, out=g["Wxh"])
    np.dot(ones, back["dhraw"], out=g["bh"][:, 0])

    before = norms(flat, layout)
    flat_clipped, fractions, after = clip_gradients(flat, layout, clip, threshold, before)
    acts = fwd["acts"].reshape(T, -1, H)
    names = lstm.GATES if cell == "lstm" else gru.GATES
    if cell == "lstm":
        extra = {"cs": fwd["cs"], "cprev": cprev, "tanh_c": fwd["tanh_c"], "dc": back["dc"],
                 "dcnext": back["dcnext"], "dcprev": back["dcprev"]}
    else:
        extra = {"whn_h": fwd["hh"][:, 2 * H:]}
    return Trace(
        inputs=inputs, targets=targets, hprev=hprev, hs=hs, ps=ps, losses=losses,
        loss=float(losses.sum()), dy=dy, dh=back["dh"], dhraw=back["dhraw"],
        dhnext=back["dhnext"], dhprev=back["dhprev"], grads=g,
        clipped=layout.views(flat_clipped), norms_before=before, norms_after=after,
        clip_fraction=fractions, clip=clip, threshold=float(threshold), params=params,
        dh_from_output=dh_out, flat_grads=flat, flat_clipped=flat_clipped, cell=cell,
        gates={name: acts[:, j] for j, name in enumerate(names)}, dh_pre=back["dh_pre"],
        **extra)


def _softmax(hs, params):
    """ps (T, V), the max-shifted logits and the softmax denominators (as bptt.forward)."""
    ys = hs @ params["Why"].T
    ys += params["by"].reshape(-1)
    ys -= ys.max(axis=1, keepdims=True)
    ps = np.exp(ys)
    total = ps.sum(axis=1)
    ps /= total[:, None]
    return ps, ys, total


def forward_loss(params, inputs, targets, hprev, cprev, cell):
    """The summed loss of one window by the forward pass alone (gradient checks)."""
    if cell == "lstm":
        hs = lstm.forward(params, inputs, hprev, cprev)["hs"]
    else:
        hs = gru.forward(params, inputs, hprev)["hs"]
    _, ys, total = _softmax(hs, params)
    return float(np.sum(np.log(total) - ys[np.arange(len(targets)), targets]))
