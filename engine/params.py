"""Parameters: min-char-rnn's names and shapes, stored in one flat float64 buffer."""
import functools

import numpy as np

from .limits import LIMITS, MAX_VOCAB, WHH_INITS, Limit

NAMES = ("Wxh", "Whh", "Why", "bh", "by")
__all__ = ["NAMES", "WHH_INITS", "Layout", "layout", "init_params", "check_init",
           "check_int", "check_float", "shapes"]


def shapes(vocab_size, hidden_size):
    V, H = vocab_size, hidden_size
    return {"Wxh": (H, V), "Whh": (H, H), "Why": (V, H), "bh": (H, 1), "by": (V, 1)}


class Layout:
    """Where each named parameter lives inside a flat buffer.

    One flat buffer lets clipping, norms and Adagrad be a handful of array calls;
    the named views keep min-char-rnn's shapes for everything else.
    """

    def __init__(self, vocab_size, hidden_size):
        self.vocab_size, self.hidden_size = vocab_size, hidden_size
        self.shapes = shapes(vocab_size, hidden_size)
        self.slices, start = {}, 0
        for name in NAMES:
            size = int(np.prod(self.shapes[name]))
            self.slices[name] = slice(start, start + size)
            start += size
        self.size = start

    def empty(self):
        return np.empty(self.size)

    def views(self, flat):
        """Named views into ``flat``; writing to a view writes to the buffer."""
        return {n: flat[s].reshape(self.shapes[n]) for n, s in self.slices.items()}

    def pack(self, params, out=None):
        """Copy a mapping of the five arrays into a flat buffer (checking shapes)."""
        out = self.empty() if out is None else out
        for name in NAMES:
            if name not in params:
                raise ValueError(f"params is missing {name!r}; expected {', '.join(NAMES)}.")
            arr = _real(name, params[name])
            want = self.shapes[name]
            if arr.shape != want and arr.size == np.prod(want) and arr.ndim == 1 \
                    and name in ("bh", "by"):
                arr = arr.reshape(want)
            if arr.shape != want:
                raise ValueError(f"{name} has shape {arr.shape}; expected {want} "
                                 f"(vocab {self.vocab_size}, hidden {self.hidden_size}).")
            out[self.slices[name]] = arr.ravel()
        return out


def _real(name, value):
    """``value`` as float64, refusing what a cast would silently mangle (complex numbers
    lose their imaginary part, objects and strings are not weights)."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} is not an array of numbers ({err}).") from None
    if arr.dtype.kind == "c":
        raise ValueError(f"{name} holds complex numbers; weights must be real.")
    if arr.dtype.kind not in "iuf" or arr.dtype.names is not None:
        raise ValueError(f"{name} holds values of type {arr.dtype}; weights must be real "
                         "numbers.")
    return arr.astype(np.float64, copy=False)


@functools.lru_cache(maxsize=64)
def layout(vocab_size, hidden_size):
    """The (shared, immutable) Layout for these sizes."""
    return Layout(vocab_size, hidden_size)


def init_params(vocab_size, hidden_size, seed=0, scale=0.01, whh_init="gaussian", gain=1.0):
    """min-char-rnn's initialisation: Gaussian weights times ``scale``, zero biases.

    ``whh_init`` replaces Whh with an orthogonal matrix or the identity, each times
    ``gain``: gain below 1 makes gradients vanish through time, above 1 explode.
    """
    vocab_size, hidden_size, scale, whh_init, gain = check_init(
        vocab_size, hidden_size, scale, whh_init, gain)
    if seed is not None:
        seed = LIMITS["seed"].check("seed", seed)
    rng = np.random.default_rng(seed)
    H, V = hidden_size, vocab_size
    params = {
        "Wxh": rng.standard_normal((H, V)) * scale,
        "Whh": rng.standard_normal((H, H)) * scale,
        "Why": rng.standard_normal((V, H)) * scale,
        "bh": np.zeros((H, 1)),
        "by": np.zeros((V, 1)),
    }
    if whh_init == "orthogonal":
        q, r = np.linalg.qr(rng.standard_normal((H, H)))
        params["Whh"] = gain * q * np.sign(np.diag(r))   # sign fix: uniform over O(H)
    elif whh_init == "identity":
        params["Whh"] = gain * np.eye(H)
    return params


def check_init(vocab_size, hidden_size, scale, whh_init, gain):
    """The initialisation settings, checked and converted (see limits.py)."""
    vocab_size = Limit(int, 2, MAX_VOCAB).check("vocab_size", vocab_size)
    return (vocab_size, LIMITS["hidden_size"].check("hidden_size", hidden_size),
            LIMITS["scale"].check("scale", scale), LIMITS["whh_init"].check("whh_init", whh_init),
            LIMITS["gain"].check("gain", gain))


def check_int(name, value, low, high):
    """``value`` as a Python int in [low, high]; ValueError naming ``name`` otherwise."""
    return Limit(int, low, high).check(name, value)


def check_float(name, value, low, high):
    """``value`` as a finite Python float with ``low < value <= high``."""
    return Limit(float, low, high, open_low=True).check(name, value)
