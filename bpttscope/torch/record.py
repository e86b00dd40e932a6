"""One recorded step: the tapes of the unrolled forward and the gradients read twice,
turned into the numpy arrays of a step file (engine/logformat.py)."""
import math

import numpy as np
import torch

from engine.logformat import layer_key


class Recording:
    """The step being recorded: the modules' tapes, and each parameter's gradient as
    backward left it (before any clipping)."""

    def __init__(self, step):
        self.step = step
        self.tapes = {}         # module name -> Tape
        self.before = {}        # parameter name -> gradient copy after backward
        self.handles = []

    def keep_grad(self, name, param):
        self.before[name] = param.grad.detach().clone()


def collect(rec, model, loss):
    """name -> array of one step file."""
    dtype = np.float64 if next(model.parameters()).dtype == torch.float64 else np.float32
    arrays = {"step": np.int64(rec.step),
              "loss": np.float64(math.nan if loss is None else loss)}
    arrays.update(_clip_norms(rec.before, dict(model.named_parameters())))
    modules = dict(model.named_modules())
    for name, tape in rec.tapes.items():
        module = modules[name] if name in modules else modules[""]
        for k, layer in enumerate(tape.layers):
            for field, value in _layer_arrays(module, k, tape, layer).items():
                arrays[layer_key(f"{name}.l{k}", field)] = (
                    value.astype(dtype, copy=False) if value.dtype.kind == "f" else value)
    return arrays


def _clip_norms(before, params):
    """norm_before, norm_after and clip_fraction per parameter and "global": the
    gradients as backward left them against the ones the optimizer is about to use."""
    out, sq_before, sq_after, changed, total = {}, 0.0, 0.0, 0, 0
    for name, g0 in before.items():
        g1 = params[name].grad
        if g1 is None:
            continue
        n0, n1 = float(g0.double().norm()), float(g1.double().norm())
        diff = int(torch.count_nonzero(g0 != g1))
        out[f"norm_before:{name}"], out[f"norm_after:{name}"] = n0, n1
        out[f"clip_fraction:{name}"] = diff / max(g0.numel(), 1)
        sq_before, sq_after = sq_before + n0 * n0, sq_after + n1 * n1
        changed, total = changed + diff, total + g0.numel()
    out["norm_before:global"] = math.sqrt(sq_before)
    out["norm_after:global"] = math.sqrt(sq_after)
    out["clip_fraction:global"] = changed / max(total, 1)
    return {key: np.float64(value) for key, value in out.items()}


def _numpy(tensor):
    """``tensor`` as numpy; bfloat16, which numpy has no type for, as float32 (exact)."""
    tensor = tensor.detach().cpu()
    return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()


def _rows(tensor, rows):
    """(E, T, ...) numpy of the rows ``rows`` of a (T, B, ...) tensor."""
    return _numpy(tensor[:, rows].transpose(0, 1))


def _layer_arrays(module, k, tape, layer):
    from .unroll import CELLS
    cell = CELLS[module.mode]
    rows, T = tape.rows, tape.T
    dh_full = layer.dh if layer.dh is not None else torch.zeros_like(layer.h)  # (T, B, H)
    dh_out = layer.dh_out if layer.dh_out is not None else torch.zeros_like(dh_full)
    norms = torch.linalg.vector_norm(dh_full.double(), dim=2).T       # (B, T)
    if tape.order is not None:
        norms = norms[tape.order]                                     # original order
    out = {"cell": np.array(cell), "lengths": tape.lengths.numpy().astype(np.int64),
           "h": _rows(layer.h, rows), "dh": _rows(dh_full, rows),
           "dh_norms": _numpy(norms),
           "Whh": _numpy(getattr(module, f"weight_hh_l{k}")),
           "h0": _numpy(layer.h0[rows])}
    if cell == "rnn":
        out["nonlinearity"] = np.array("relu" if module.mode == "RNN_RELU" else "tanh")
    out["dhnext"] = out["dh"] - _rows(dh_out, rows)
    if cell == "lstm":
        out["c"] = _rows(layer.c, rows)
        out["dc"] = _rows(layer.dc if layer.dc is not None else torch.zeros_like(layer.c),
                          rows)
        out["c0"] = _numpy(layer.c0[rows])
    if cell in ("lstm", "gru"):
        out["gates"] = _rows(torch.stack([g[:, rows] for g in layer.gates], 2), slice(None))
    if cell == "gru":
        out["whn_h"] = _rows(layer.whn_h, rows)
    lengths = tape.lengths.numpy()
    if (lengths < T).any():                 # after its end a sequence has no values
        ended = np.arange(T)[None, :] >= lengths[:, None]
        for field in ("h", "dh", "dhnext", "c", "dc", "gates", "whn_h"):
            if field in out:
                out[field] = out[field].astype(float)
                out[field][ended] = np.nan
    return out
