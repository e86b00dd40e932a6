"""Checkpoints: one .npz of plain arrays, read back with allow_pickle=False."""
import io
import math

import numpy as np

from .history import COLUMNS, History
from .params import NAMES

FORMAT = "bpttscope-checkpoint"
VERSION = 1
_HYPER = ("hidden_size", "seq_length", "learning_rate", "clip", "threshold", "optimizer",
          "seed", "whh_init", "gain", "scale", "diagnostics_every")
_STR_HYPER = ("clip", "optimizer", "whh_init")
_INT_HYPER = ("hidden_size", "seq_length", "seed", "diagnostics_every")


def save(trainer, path):
    arrays = {"format": np.array(FORMAT), "version": np.array(VERSION),
              "text_utf8": np.frombuffer(trainer.text.encode("utf-8"), dtype=np.uint8),
              "vocab": np.array(trainer.vocab.chars),
              "iteration": np.array(trainer.iteration), "position": np.array(trainer.position),
              "smooth_loss": np.array(trainer.smooth_loss), "hprev": trainer.hprev}
    if trainer.cprev is not None:               # the LSTM's cell state (cell in hyper_cell)
        arrays["cprev"] = trainer.cprev
    for key, value in trainer.settings().items():
        arrays[f"hyper_{key}"] = np.array(value)
    for name in NAMES:
        arrays[f"param_{name}"] = trainer.params[name]
        arrays[f"mem_{name}"] = trainer.mem[name]
    for col, values in trainer.history_store.to_arrays().items():
        arrays[f"history_{col}"] = values
    np.savez_compressed(path, **arrays)


def load(cls, source):
    """A Trainer resumed from ``source`` (path or file-like). Raises ValueError with a
    message for a person on anything that is not our own, intact checkpoint."""
    try:
        with np.load(source, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as err:     # object arrays or raw pickles need pickle: refused
        raise ValueError(f"This file is not a BPTT Scope checkpoint, or it holds Python "
                         f"objects, which are never loaded ({err}).") from None
    except Exception as err:      # truncated zip, bad CRC, not a zip at all, unreadable
        raise ValueError(f"This is not a readable BPTT Scope checkpoint (.npz): "
                         f"{type(err).__name__}: {err}") from None
    if not isinstance(arrays, dict) or str(arrays.get("format", "")) != FORMAT:
        raise ValueError("This file is not a BPTT Scope checkpoint (no format marker). "
                         "Save one with Trainer.save or the Export tab.")
    missing = [k for k in _required() if k not in arrays]
    if missing:
        raise ValueError(f"The checkpoint is incomplete: missing {', '.join(missing)}.")
    version = _scalar(arrays, "version", int)
    if version != VERSION:
        raise ValueError(f"Unknown checkpoint format version {version}; this BPTT Scope "
                         f"reads version {VERSION}.")
    for key, arr in arrays.items():
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all() and not key.startswith("history_"):
            raise ValueError(f"The checkpoint holds non-finite values in {key}.")
    try:
        text = arrays["text_utf8"].astype(np.uint8).tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("The checkpoint's text is not valid UTF-8.") from None
    hyper = {}
    for key in _HYPER:
        kind = str if key in _STR_HYPER else int if key in _INT_HYPER else float
        hyper[key] = _scalar(arrays, f"hyper_{key}", kind)
    # gated cells: optional keys, so that checkpoints from before them still load
    hyper["cell"] = _scalar(arrays, "hyper_cell", str) if "hyper_cell" in arrays else "rnn"
    params = {n: arrays[f"param_{n}"] for n in NAMES}
    trainer = cls(text, params=params, **hyper)   # validates text, hyperparameters, shapes
    if str(arrays["vocab"]) != trainer.vocab.chars:
        raise ValueError("The checkpoint's vocabulary does not match its own text.")
    for n in NAMES:
        mem = arrays[f"mem_{n}"]
        if mem.shape != trainer.mem[n].shape or (mem < 0).any():
            raise ValueError(f"The checkpoint's Adagrad memory for {n} is malformed.")
        trainer.mem[n][...] = mem
    hprev = arrays["hprev"]
    if hprev.shape != trainer.hprev.shape:
        raise ValueError(f"The checkpoint's hidden state has shape {hprev.shape}; "
                         f"expected {trainer.hprev.shape}.")
    trainer.hprev = hprev.astype(np.float64).copy()
    if trainer.cprev is not None:
        cprev = arrays.get("cprev")
        if cprev is None or cprev.shape != trainer.cprev.shape:
            raise ValueError(f"The checkpoint is an LSTM's but its cell state cprev is "
                             f"{'missing' if cprev is None else f'of shape {cprev.shape}'}"
                             f"; expected {trainer.cprev.shape}.")
        trainer.cprev = cprev.astype(np.float64).copy()
    trainer.iteration = _scalar(arrays, "iteration", int)
    trainer.position = _scalar(arrays, "position", int)
    trainer.smooth_loss = _scalar(arrays, "smooth_loss", float)
    if trainer.iteration < 0 or not 0 <= trainer.position <= len(text):
        raise ValueError("The checkpoint's iteration or position is out of range.")
    history = {c: arrays[f"history_{c}"] for c in COLUMNS if f"history_{c}" in arrays}
    lengths = {len(v) for v in history.values()}
    if len(lengths) > 1 or any(v.ndim != 1 for v in history.values()):
        raise ValueError("The checkpoint's history columns are malformed.")
    trainer._history = History.from_arrays(history)
    return trainer


def _required():
    return (["version", "text_utf8", "vocab", "iteration", "position", "smooth_loss", "hprev"]
            + [f"hyper_{k}" for k in _HYPER] + [f"param_{n}" for n in NAMES]
            + [f"mem_{n}" for n in NAMES])


def _scalar(arrays, key, kind):
    arr = arrays[key]
    if arr.shape != () or (kind is str) != (arr.dtype.kind == "U"):
        raise ValueError(f"The checkpoint's {key} is malformed.")
    value = arr.item()
    if kind is not str and isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"The checkpoint's {key} is not finite.")
    return kind(value)


def to_bytes(trainer):
    """The checkpoint as bytes, for a download button."""
    buf = io.BytesIO()
    save(trainer, buf)
    return buf.getvalue()
