"""Bytes for the Export tab's downloads (no streamlit here)."""
import io
import re

import numpy as np
import pandas as pd

TRACE_ARRAYS = ("inputs", "targets", "hprev", "hs", "ps", "losses", "dy", "dh", "dhraw",
                "dhnext", "dhprev")
GATED_ARRAYS = ("dh_pre", "cs", "cprev", "tanh_c", "dc", "dcnext", "dcprev", "whn_h")


def history_csv(history):
    """Trainer.history as CSV bytes, one row per iteration."""
    return history.to_csv(index=False).encode("utf-8")


def runs_csv(histories):
    """Several runs' histories as one CSV: a ``run`` column first, then the history."""
    frames = [h.assign(run=name)[["run", *h.columns]] for name, h in histories.items()]
    return pd.concat(frames, ignore_index=True).to_csv(index=False).encode("utf-8")


def slug(name):
    """A run name as a file-name part."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", name).strip("-") or "run"


def trace_npz(trace, vocab_chars):
    """One window's trace as .npz: every recorded array, the gradients before and after
    clipping, their norms, and the vocabulary to decode inputs and targets."""
    arrays = {name: getattr(trace, name) for name in TRACE_ARRAYS}
    arrays["dh_from_output"] = trace.dh_from_output
    arrays["cell"] = np.array(trace.cell)
    for name in GATED_ARRAYS + ("tanh_grad",):       # each cell has its own
        if getattr(trace, name) is not None:
            arrays[name] = getattr(trace, name)
    for name, values in (trace.gates or {}).items():
        arrays[f"gate_{name}"] = values
    for name, grad in trace.grads.items():
        arrays[f"grad_{name}"] = grad
        arrays[f"clipped_{name}"] = trace.clipped[name]
    for which in ("norms_before", "norms_after", "clip_fraction"):
        for name, value in getattr(trace, which).items():
            arrays[f"{which}_{name}"] = np.array(value)
    arrays["loss"] = np.array(trace.loss)
    arrays["vocab"] = np.array(vocab_chars)
    arrays["clip"], arrays["threshold"] = np.array(trace.clip), np.array(trace.threshold)
    arrays["iteration"] = np.array(-1 if trace.iteration is None else trace.iteration)
    arrays["position"] = np.array(-1 if trace.position is None else trace.position)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()
