"""The log folder that ``bpttscope.torch.watch`` writes and ``engine.open_logdir`` reads.

    LOGDIR/meta.json            the model: modules, layers, cells, sizes; versions
    LOGDIR/step_000000200.npz   one recorded optimizer step (plain .npz, no pickles)
    LOGDIR/step_000000200.json  its scalars alone (step, loss, the norms): the charts over
                                training read these, not 1,000 zip files

Members of a step file (E examples, T steps, H hidden units, B the batch, k gate blocks):
    step, loss                              () int, () float (NaN when not given)
    norm_before:P, norm_after:P,            () per parameter P (its name in the model)
    clip_fraction:P                         and "global"
    layer:M.lK:cell                         "rnn", "lstm" or "gru"; rnn also :nonlinearity
    layer:M.lK:h, dh, dhnext                (E, T, H); NaN after a sequence's length
    layer:M.lK:c, dc                        (E, T, H) LSTM
    layer:M.lK:gates                        (E, T, k, H) LSTM i f g o; GRU r z n
    layer:M.lK:whn_h                        (E, T, H) GRU: W_hn h_{t-1} + b_hn
    layer:M.lK:h0, c0                       (E, H) the state before step 0
    layer:M.lK:lengths                      (E,) valid steps of each example
    layer:M.lK:dh_norms                     (B, T) ||dh_t|| for every sequence of the batch
    layer:M.lK:Whh                          (kH, H) weight_hh_lK at the recorded step
Files are written to a temporary name in the folder, then renamed (os.replace): a reader
never sees half a file under a step's name.
"""
import json
import os
import tempfile

import numpy as np

FORMAT = 1
META = "meta.json"
STEP_PREFIX, STEP_SUFFIX, SUMMARY_SUFFIX = "step_", ".npz", ".json"


def step_file(step):
    return f"{STEP_PREFIX}{int(step):09d}{STEP_SUFFIX}"


def layer_key(layer, field):
    return f"layer:{layer}:{field}"


def write_meta(logdir, meta):
    """meta.json, atomically; ``meta`` is plain JSON data."""
    os.makedirs(logdir, exist_ok=True)
    _atomic(logdir, META, lambda f: f.write(json.dumps({"format": FORMAT, **meta},
                                                       indent=1).encode()))


def summary_file(step):
    return f"{STEP_PREFIX}{int(step):09d}{SUMMARY_SUFFIX}"


SCALARS = ("norm_before", "norm_after", "clip_fraction")


def write_step(logdir, step, arrays):
    """One step file from a mapping member name -> numpy array (or scalar), then its
    summary (the scalars) beside it."""
    arrays = {name: np.asarray(value) for name, value in arrays.items()}
    _atomic(logdir, step_file(step), lambda f: np.savez(f, **arrays))
    summary = {"step": int(step), "loss": _number(arrays.get("loss", np.nan))}
    for prefix in SCALARS:
        summary[prefix] = {name.split(":", 1)[1]: _number(value)
                           for name, value in arrays.items()
                           if name.startswith(prefix + ":")}
    _atomic(logdir, summary_file(step), lambda f: f.write(json.dumps(summary).encode()))


def _number(value):
    value = float(value)
    return value if np.isfinite(value) else None     # JSON has no NaN


def _atomic(folder, name, write):
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, os.path.join(folder, name))
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
