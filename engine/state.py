"""A Trainer's state as a plain dict, and back, checking everything on the way in.

``state_dict(trainer)`` is everything needed to resume a run exactly:

    text          str, the corpus
    settings      dict: every field of Config (derived from Config, so a new field such
                  as a cell type is carried without touching this module)
    params        dict name -> float64 array (min-char-rnn's names and shapes)
    mem           dict name -> float64 array, Adagrad's sums of squared gradients
    hprev         (H,) float64, the hidden state carried into the next window
    position      int, the data pointer p
    iteration     int, steps taken
    smooth_loss   float
    history       dict column -> (n,) float64, one entry per recorded iteration

Extra recurrent state (a cell state ``cprev``) is listed in ``STATE_VECTORS`` and
handled like ``hprev``. ``from_state`` raises ValueError, with a message for a person,
for anything malformed: never KeyError, TypeError or a numpy casting error.
"""
import numbers

import numpy as np

from .corpus import DEFAULT_MAX_BYTES
from .history import COLUMNS, MAY_BE_NAN, History
from .limits import Limit

MAX_ITERATION = 10**12      # a thousand years at 30 steps per second: beyond it, corrupt
STATE_VECTORS = ("hprev", "cprev")  # (H,) recurrent state carried between windows; a
                                    # trainer whose cell has no such state holds None
REQUIRED = ("text", "settings", "params", "mem", "hprev", "position", "iteration",
            "smooth_loss", "history")
KNOWN = (*REQUIRED, *STATE_VECTORS)
LABELS = {"params": "weights", "mem": "Adagrad memory", "hprev": "hidden state hprev",
          "cprev": "LSTM cell state cprev", "history": "history"}


def state_dict(trainer):
    return {
        "text": trainer.text,
        "settings": trainer.settings(),
        "params": {n: a.copy() for n, a in trainer.params.items()},
        "mem": {n: a.copy() for n, a in trainer.mem.items()},
        **{k: getattr(trainer, k).copy() for k in STATE_VECTORS
           if getattr(trainer, k, None) is not None},
        "position": int(trainer.position),
        "iteration": int(trainer.iteration),
        "smooth_loss": float(trainer.smooth_loss),
        "history": trainer.history_store.to_arrays(),
    }


def from_state(cls, state, max_bytes=None):
    if not isinstance(state, dict):
        raise ValueError(f"A saved state is a dict (from Trainer.state_dict()); got "
                         f"{type(state).__name__}.")
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise ValueError(f"The saved state is incomplete: missing {', '.join(missing)}.")
    unknown = sorted(set(state) - set(KNOWN))
    if unknown:
        raise ValueError(f"The saved state holds {', '.join(unknown)}, which this version "
                         "of BPTT Scope does not know; it was saved by a newer version.")
    text = state["text"]
    if not isinstance(text, str):
        raise ValueError(f"The saved text must be a string; got {type(text).__name__}.")
    settings = _mapping(state, "settings")
    for key, value in settings.items():
        if not isinstance(key, str) or not _is_scalar(value):
            raise ValueError(f"The saved setting {key!r} is malformed: a setting is one "
                             f"number or word, got {type(value).__name__}.")
    params = {n: real_array(f"the weights {n}", a)
              for n, a in _mapping(state, "params").items()}
    if max_bytes is None:       # the rules of every other text (engine.load_corpus)
        max_bytes = DEFAULT_MAX_BYTES
    trainer = cls(text, params=params, max_bytes=max_bytes, **settings)
    mem = _mapping(state, "mem")
    for name, live in trainer.mem.items():
        if name not in mem:
            raise ValueError(f"The saved state has no Adagrad memory for {name}.")
        live[...] = real_array(f"the Adagrad memory for {name}", mem[name], live.shape,
                               nonnegative=True)
    trainer._mem_peak = None    # the memory was written here: its bound is measured again
    extra = sorted(set(mem) - set(trainer.mem))
    if extra:
        raise ValueError(f"The saved Adagrad memory has entries for {', '.join(extra)}, "
                         "which this model does not have.")
    for key in STATE_VECTORS:
        live = getattr(trainer, key, None)
        label = f"the saved {LABELS.get(key, key)}"
        if live is None:
            if key in state:
                raise ValueError(f"{_cap(label)} belongs to another cell: this model "
                                 f"(cell {trainer.config.cell}) has none.")
            continue
        if key not in state:
            raise ValueError(f"{_cap(label)} is missing: a {trainer.config.cell} model "
                             "carries it from one window to the next.")
        setattr(trainer, key, real_array(label, state[key], live.shape).copy())
    iteration = Limit(int, 0, MAX_ITERATION).check("the saved iteration", state["iteration"])
    position = Limit(int, 0, len(trainer.data)).check("the saved position (the data "
                                                      "pointer p)", state["position"])
    smooth_loss = Limit(float, 0.0, 1e300).check("the saved smooth_loss",
                                                 state["smooth_loss"])
    history = _history(_mapping(state, "history"), iteration, len(trainer.data))
    trainer.iteration, trainer.position, trainer.smooth_loss = iteration, position, smooth_loss
    trainer._history = history
    return trainer


def real_array(label, value, shape=None, nonnegative=False, finite=True):
    """``value`` as a float64 array of ``shape``, or ValueError naming ``label``."""
    if not isinstance(value, np.ndarray):
        try:
            value = np.asarray(value)
        except (ValueError, TypeError) as err:     # ragged lists and the like
            raise ValueError(f"{_cap(label)} is not an array of numbers ({err}).") from None
    kind = value.dtype.kind
    if kind == "c":
        raise ValueError(f"{_cap(label)} holds complex numbers; it must be real. This is "
                         "not a state BPTT Scope saved.")
    if kind not in "iuf" or value.dtype.names is not None:
        raise ValueError(f"{_cap(label)} holds values of type {value.dtype}; it must hold "
                         "real numbers.")
    if shape is not None and value.shape != tuple(shape):
        raise ValueError(f"{_cap(label)} has shape {value.shape}; expected {tuple(shape)}.")
    with np.errstate(all="ignore"):
        value = value.astype(np.float64, copy=False)
    if finite and not np.isfinite(value).all():
        raise ValueError(f"{_cap(label)} holds NaN or infinite values.")
    if nonnegative and (value < 0).any():
        raise ValueError(f"{_cap(label)} holds negative values; it is a sum of squares.")
    return value


def _history(columns, iteration, data_length):
    arrays = {}
    for name, value in columns.items():
        if name not in COLUMNS:
            continue        # a column this version does not record: ignored
        arr = real_array(f"the history column {name!r}", value,
                         finite=name not in MAY_BE_NAN)
        if arr.ndim != 1:
            raise ValueError(f"The history column {name!r} has shape {arr.shape}; every "
                             "column is one value per iteration.")
        arrays[name] = arr
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) > 1:
        raise ValueError(f"The history columns have different lengths ({sorted(lengths)}); "
                         "each must have one value per iteration.")
    n = lengths.pop() if lengths else 0
    if n and ("loss" not in arrays or "iteration" not in arrays):
        raise ValueError("The history has rows but no 'loss' or 'iteration' column.")
    if n > iteration:
        raise ValueError(f"The history has {n:,} rows but the run has taken only "
                         f"{iteration:,} iterations.")
    if n:
        steps = arrays["iteration"]
        if not (np.isfinite(steps).all() and (steps >= 0).all() and (steps < iteration).all()
                and (steps == np.floor(steps)).all() and (np.diff(steps) > 0).all()):
            # one row per iteration, in order: [2, 0, 1] or [2, 2, 2] loaded silently
            raise ValueError(f"The history column 'iteration' holds values that are not "
                             f"iteration numbers of this run (0 to {iteration - 1:,}, "
                             "increasing).")
        p = arrays.get("position")
        if p is not None and not (np.isfinite(p).all() and (p >= 0).all()
                                  and (p < data_length).all()):
            raise ValueError("The history column 'position' holds values that are not "
                             f"positions in the text (0 to {data_length - 1:,}).")
    return History.from_arrays(arrays if n else {})


def _mapping(state, key):
    value = state[key]
    if not isinstance(value, dict):
        raise ValueError(f"The saved {LABELS.get(key, key)} must be a dict of arrays; got "
                         f"{type(value).__name__}.")
    return value


def _is_scalar(value):
    return isinstance(value, (str, numbers.Number, np.generic)) and not isinstance(
        value, (bytes, np.void))


def _cap(label):
    return label[:1].upper() + label[1:]
