"""Parameters: min-char-rnn's names and shapes, stored in one flat float64 buffer.

A gated cell stacks k blocks of H rows in Wxh, Whh and bh (k = 1 for the vanilla rnn,
4 for the LSTM, 3 for the GRU; engine/cells); Why and by do not depend on the cell.
"""
import functools

import numpy as np

from .cells import ARTICLE, BLOCKS, check_cell
from .limits import LIMITS, MAX_VOCAB, WHH_INITS, Limit

NAMES = ("Wxh", "Whh", "Why", "bh", "by")
__all__ = ["NAMES", "WHH_INITS", "Layout", "layout", "init_params", "check_init", "check_real",
           "check_int", "check_float", "shapes"]


def shapes(vocab_size, hidden_size, cell="rnn"):
    V, H, kH = vocab_size, hidden_size, BLOCKS[check_cell(cell)] * hidden_size
    return {"Wxh": (kH, V), "Whh": (kH, H), "Why": (V, H), "bh": (kH, 1), "by": (V, 1)}


class Layout:
    """Where each named parameter lives inside a flat buffer.

    One flat buffer lets clipping, norms and Adagrad be a handful of array calls;
    the named views keep min-char-rnn's shapes for everything else.
    """

    def __init__(self, vocab_size, hidden_size, cell="rnn"):
        self.vocab_size, self.hidden_size, self.cell = vocab_size, hidden_size, cell
        self.shapes = shapes(vocab_size, hidden_size, cell)
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

    def check(self, params):
        """The five arrays of ``params`` as float64, shaped as this layout says (a flat
        bias may stand for its column), without copying what already is; ValueError
        saying which array is missing, not real or misshapen."""
        arrays = {}
        for name in NAMES:
            if name not in params:
                raise ValueError(f"params is missing {name!r}; expected {', '.join(NAMES)}.")
            arr = check_real(name, params[name])
            want = self.shapes[name]
            if arr.shape != want and arr.size == np.prod(want) and arr.ndim == 1 \
                    and name in ("bh", "by"):
                arr = arr.reshape(want)
            if arr.shape != want:
                raise ValueError(f"{name} has shape {arr.shape}; expected {want} "
                                 f"(vocab {self.vocab_size}, hidden {self.hidden_size}, "
                                 f"cell {self.cell}).{self._hint(name, arr.shape)}")
            arrays[name] = arr
        return arrays

    def pack(self, params, out=None):
        """Copy a mapping of the five arrays into a flat buffer (checking shapes)."""
        out = self.empty() if out is None else out
        for name, arr in self.check(params).items():
            out[self.slices[name]] = arr.ravel()
        return out

    def _hint(self, name, shape):
        """A suggestion when the shape is another cell's."""
        for cell in BLOCKS:
            if cell != self.cell and shapes(self.vocab_size, self.hidden_size, cell)[name] \
                    == shape:
                return f" These look like {ARTICLE[cell]}'s parameters: pass cell={cell!r}."
        return ""


def check_real(name, value, what="weights"):
    """``value`` as float64, refusing what a cast would silently mangle (complex numbers
    lose their imaginary part, objects and strings are not numbers). ``what`` names the
    kind of array in the messages."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} is not an array of numbers ({err}).") from None
    if arr.dtype.kind == "c":
        raise ValueError(f"{name} holds complex numbers; {what} must be real.")
    if arr.dtype.kind not in "iuf" or arr.dtype.names is not None:
        raise ValueError(f"{name} holds values of type {arr.dtype}; {what} must be real "
                         "numbers.")
    return arr.astype(np.float64, copy=False)


@functools.lru_cache(maxsize=64)
def layout(vocab_size, hidden_size, cell="rnn"):
    """The (shared, immutable) Layout for these sizes and this cell."""
    return Layout(vocab_size, hidden_size, cell)


def init_params(vocab_size, hidden_size, seed=0, scale=0.01, whh_init="gaussian", gain=1.0,
                cell="rnn"):
    """min-char-rnn's initialisation: Gaussian weights times ``scale``, zero biases.

    ``whh_init`` replaces Whh with an orthogonal matrix or the identity, each times
    ``gain``: gain below 1 makes gradients vanish through time, above 1 explode.

    ``cell`` "lstm" or "gru": PyTorch's default initialisation instead (uniform in
    +-1/sqrt(H); see _gated_init for why, measured);
    ``scale`` does not apply to them; ``whh_init`` acts on each H x H block of Whh.
    """
    vocab_size, hidden_size, scale, whh_init, gain = check_init(
        vocab_size, hidden_size, scale, whh_init, gain)
    if seed is not None:
        seed = LIMITS["seed"].check("seed", seed)
    if check_cell(cell) != "rnn":
        return _gated_init(vocab_size, hidden_size, seed, whh_init, gain, cell)
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


FORGET_BIAS = 0.0   # added to the LSTM's b_f at initialisation; 0: measured best, below


def _gated_init(V, H, seed, whh_init, gain, cell):
    """PyTorch's default initialisation for nn.LSTM / nn.GRU and the nn.Linear output
    layer: every weight and bias uniform in [-1/sqrt(H), 1/sqrt(H)].

    Chosen by measurement on the long-gap lesson (long_gap.txt, H 100, T 25, Adagrad
    0.1, clip 5): the iteration at which the mean loss at t = 22 over 400 windows fell
    below 0.5 nats, seeds 0-4, limit 30,000:
      LSTM, this init                       5.1k  6.8k 10.4k  7.8k  8.6k
      LSTM, forget-gate bias +1             4.5k 26.2k 14.2k  none  5.4k
      LSTM, forget-gate bias +2             6.1k 13.1k 10.2k  6.2k  6.8k
      LSTM, forget-gate bias +3             9.7k  5.6k  9.3k 19.2k 11.7k
      GRU, this init                        2.5k  7.2k  9.0k  3.2k 18.3k
    and with min-char-rnn's Gaussian 0.01 and zero biases (seed 0) the GRU had not
    learned it after 30,000 iterations (0.96 nats), the LSTM took 15k. The common
    forget bias of 1 (Jozefowicz, Zaremba & Sutskever 2015) opens the cell-state path from the first
    window (||dL_22/dh_0|| ~1e-3 instead of ~2e-6) but made learning slower and less
    reliable here; with PyTorch's init the student watches f rise towards 1 where the
    letter is kept. FORGET_BIAS keeps the knob; a z bias for the GRU failed on 1 seed
    of 3.
    """
    k = BLOCKS[cell]
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(H)
    params = {
        "Wxh": rng.uniform(-bound, bound, (k * H, V)),
        "Whh": rng.uniform(-bound, bound, (k * H, H)),
        "Why": rng.uniform(-bound, bound, (V, H)),
        "bh": rng.uniform(-bound, bound, (k * H, 1)),
        "by": rng.uniform(-bound, bound, (V, 1)),
    }
    if cell == "lstm" and FORGET_BIAS:
        params["bh"][H: 2 * H] += FORGET_BIAS
    if whh_init == "orthogonal":        # each H x H gate block, independently
        for j in range(k):
            q, r = np.linalg.qr(rng.standard_normal((H, H)))
            params["Whh"][j * H:(j + 1) * H] = gain * q * np.sign(np.diag(r))
    elif whh_init == "identity":
        params["Whh"] = gain * np.tile(np.eye(H), (k, 1))
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
