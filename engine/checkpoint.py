"""Checkpoints: ``Trainer.state_dict()`` as one .npz of plain arrays, and back.

This module only converts between the state dict (engine/state.py, which checks every
value) and arrays: ``hyper_<setting>``, ``param_<name>``, ``mem_<name>`` and
``history_<column>`` for the dicts, ``text_utf8`` for the text, and the state's other
entries (``hprev``, ``iteration``, ...) under their own names.

Reading is defensive (engine/npz.py): the zip's declared sizes are checked against caps
derived from the largest model the Trainer agrees to build before anything is inflated,
then each array's header against the size this checkpoint's own settings imply.
"""
import io
import os

import numpy as np

from . import cost
from .atomic import write_atomic
from .corpus import DEFAULT_MAX_BYTES, load_corpus
from .corpus import _check_size as check_size
from .errors import CorpusError
from .history import COLUMNS
from .limits import LIMITS, Limit
from .npz import Npz
from .params import NAMES
from .state import MAX_ITERATION
from .vocab import Vocab

FORMAT = "bpttscope-checkpoint"
VERSION = 1
GROUPS = {"settings": "hyper_", "params": "param_", "mem": "mem_", "history": "history_"}

# The largest model the Trainer builds: cost.py refuses peaks above REFUSE_BYTES, and a
# step holds PARAM_COPIES copies of the parameters, so no model has more floats than:
MAX_MODEL_FLOATS = int(cost.REFUSE_BYTES // (8 * cost.PARAM_COPIES))
MAX_HISTORY_ROWS = 1_000_000    # the most recent rows are saved (8 MB per column)
MAX_TEXT_BYTES = 16 * DEFAULT_MAX_BYTES
MAX_MEMBERS = 256
_HEADER = 4096                  # room for a .npy header
MAX_MEMBER_BYTES = 8 * MAX_MODEL_FLOATS + _HEADER
MAX_TOTAL_BYTES = (2 * 8 * MAX_MODEL_FLOATS + MAX_TEXT_BYTES
                   + 8 * (len(COLUMNS) + 16) * MAX_HISTORY_ROWS + MAX_MEMBERS * _HEADER)
_SCALAR_BYTES = 4 * 256         # a setting or a counter: one number or a short word


def save(trainer, path):
    """Write the checkpoint to ``path`` (a binary file object, or a file name: ".npz" is
    added if missing, as numpy does). A file name is written whole or not at all
    (engine/atomic.py): an interrupted save leaves the previous checkpoint intact."""
    if isinstance(path, (str, bytes, os.PathLike)):
        path = os.fsdecode(path)
        if not os.path.basename(path):
            raise ValueError(f"Trainer.save needs a file name; got {path!r}.")
        if not path.endswith(".npz"):
            path += ".npz"
        if os.path.isdir(path):
            raise ValueError(f"{path} is a folder: give the checkpoint a file name.")
    elif not hasattr(path, "write"):
        raise ValueError(f"Trainer.save writes to a file name or a binary file object; "
                         f"got {type(path).__name__}.")
    arrays = to_arrays(trainer.state_dict())
    if not isinstance(path, str):
        np.savez_compressed(path, **arrays)
        return
    write_atomic(path, lambda f: np.savez_compressed(f, **arrays))


def to_bytes(trainer):
    """The checkpoint as bytes, for a download button."""
    buf = io.BytesIO()
    save(trainer, buf)
    return buf.getvalue()


def to_arrays(state):
    """The arrays of a checkpoint for ``state`` (a Trainer.state_dict()). Refuses what
    ``load`` would refuse, so that everything saved loads."""
    text = state["text"].encode("utf-8")
    if len(text) > MAX_TEXT_BYTES:
        raise ValueError(f"The text is {len(text):,} bytes; a checkpoint holds at most "
                         f"{MAX_TEXT_BYTES:,}.")
    if not 0 <= state["iteration"] <= MAX_ITERATION:
        raise ValueError(f"The iteration count {state['iteration']:,} is beyond what a "
                         f"checkpoint records ({MAX_ITERATION:,}).")
    arrays = {"format": np.array(FORMAT), "version": np.array(VERSION),
              "text_utf8": np.frombuffer(text, dtype=np.uint8),
              "vocab": np.array(Vocab.from_text(state["text"]).chars)}
    history = state["history"]
    rows = len(next(iter(history.values()))) if history else 0
    if rows > MAX_HISTORY_ROWS:
        history = {c: v[rows - MAX_HISTORY_ROWS:] for c, v in history.items()}
    for group, prefix in GROUPS.items():
        values = history if group == "history" else state[group]
        for key, value in values.items():
            arrays[prefix + key] = np.asarray(value)
    for key, value in state.items():
        if key not in GROUPS and key != "text":
            arrays[key] = np.asarray(value)
    bad = [k for k, a in arrays.items() if a.dtype.hasobject]
    if bad:
        raise ValueError(f"Cannot save {', '.join(bad)}: they hold Python objects.")
    return arrays


def load(cls, source, max_bytes=None, max_text_bytes=DEFAULT_MAX_BYTES):
    """A Trainer resumed from ``source`` (path or binary file object). ValueError with
    a message for a person on anything that is not our own, intact checkpoint.

    A path must name a regular file (a device, FIFO or folder is refused before it is
    opened). The checkpoint's text obeys the text rules of an upload
    (``engine.load_corpus``, ``max_text_bytes``: 5 MB unless raised), checked from the
    zip's declared size before it is inflated."""
    total = MAX_TOTAL_BYTES if max_bytes is None else min(MAX_TOTAL_BYTES, int(max_bytes))
    try:
        npz = Npz(source, MAX_MEMBERS, MAX_MEMBER_BYTES, total)
    except ValueError as err:
        raise ValueError(f"This is not a readable BPTT Scope checkpoint: {err}.") from None
    with npz:
        try:
            state = _read_state(npz, max_text_bytes)
        except CorpusError as err:
            raise ValueError(f"This checkpoint's text is refused, as an upload of it would "
                             f"be: {err}") from None
        except ValueError as err:
            raise ValueError(f"This checkpoint cannot be loaded: {_lower(err)}") from None
    try:
        return cls.from_state(state, max_bytes=max_text_bytes)
    except ValueError as err:
        raise ValueError(f"This checkpoint cannot be resumed: {_lower(err)}") from None


def _read_state(npz, max_text_bytes=DEFAULT_MAX_BYTES):
    files = set(npz.files)
    if "format" not in files or _word(npz, "format") != FORMAT:
        raise ValueError("this file is not a BPTT Scope checkpoint (no format marker). "
                         "Save one with Trainer.save or the Export tab.")
    missing = [k for k in ("version", "text_utf8", "hyper_hidden_size") if k not in files]
    if missing:
        raise ValueError(f"it is incomplete: missing {', '.join(missing)}.")
    version = _scalar(npz, "version")
    if version != VERSION:
        raise ValueError(f"unknown checkpoint format version {version!r}; this BPTT Scope "
                         f"reads version {VERSION}.")
    state = {"settings": {k[len("hyper_"):]: _scalar(npz, k)
                          for k in sorted(files) if k.startswith("hyper_")}}
    text = _text(npz, max_text_bytes)
    state["text"] = text
    if "vocab" in files:
        vocab = npz.read("vocab", max_bytes=4 * 2 * len(text) + 64, max_ndim=0)
        if vocab.dtype.kind != "U" or str(vocab[()]) != Vocab.from_text(text).chars:
            raise ValueError("its vocabulary does not match its own text.")
    for key in ("iteration", "position", "smooth_loss"):
        if key in files:
            state[key] = _scalar(npz, key)
    # Sizes this checkpoint's own settings allow, checked from each header before reading.
    V = len(set(text))
    H = LIMITS["hidden_size"].check("hidden_size", state["settings"]["hidden_size"])
    model_bytes = 8 * cost.parameter_count(V, H, "lstm") + 64    # any cell fits in this
    vector_bytes = 8 * 4 * H + 64
    rows = 0
    if "iteration" in state:    # checked now: it bounds the history's length
        state["iteration"] = Limit(int, 0, MAX_ITERATION).check("the saved iteration",
                                                                state["iteration"])
        rows = min(state["iteration"], MAX_HISTORY_ROWS)
    for group, prefix in GROUPS.items():
        if group == "settings":
            continue
        state[group] = {}
        for key in sorted(files):
            if key.startswith(prefix):
                limit, ndim = (8 * rows + 64, 1) if group == "history" else (model_bytes, 2)
                state[group][key[len(prefix):]] = npz.read(key, limit, ndim)
    done = {"format", "version", "text_utf8", "vocab", "iteration", "position",
            "smooth_loss"}
    for key in sorted(files - done):
        if not key.startswith(tuple(GROUPS.values())):
            array = npz.read(key, vector_bytes, 2)     # recurrent state such as hprev
            state[key] = array[()] if array.ndim == 0 else array
    return state


def _text(npz, max_text_bytes):
    """The checkpoint's text, checked by the one function every text goes through
    (engine.load_corpus); its declared size is checked before it is inflated."""
    limit = min(MAX_TEXT_BYTES, int(max_text_bytes))
    check_size(npz.data_bytes("text_utf8"), limit)   # from its header: nothing inflated
    raw = npz.read("text_utf8", limit + 1, 1)
    if raw.dtype != np.uint8:
        raise ValueError(f"its text is stored as {raw.dtype}, not as UTF-8 bytes.")
    return load_corpus(raw.tobytes(), max_bytes=limit)


def _scalar(npz, key):
    """A 0-d number or word as a Python value (its type is checked by the Trainer)."""
    arr = npz.read(key, _SCALAR_BYTES, 0)
    if arr.shape != () or arr.dtype.kind not in "biufcU":
        raise ValueError(f"its {key} is malformed (expected one number or word).")
    return arr.item()


def _word(npz, key):
    value = _scalar(npz, key)
    return value if isinstance(value, str) else None


def _lower(err):
    """The message, its first letter lowered to follow a colon, unless its first word is
    a name: a parameter's (Wxh, Whh, Why) or an acronym's."""
    text = str(err)
    first = text.split(" ", 1)[0].strip(":,.'\"")
    if first in NAMES or (len(first) > 1 and first[:2].isupper()):
        return text
    return text[:1].lower() + text[1:]
