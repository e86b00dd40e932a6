"""The min-char-rnn training loop, instrumented: every step returns its Trace."""
import copy
import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from . import checkpoint, sampling
from . import progress as run_progress
from . import state as run_state
from .adagrad import ADAGRAD_EPS
from .atomic import uninterrupted
from .attribution import gradient_horizon
from .bptt import window
from .cells import ARTICLE as A_CELL
from .cells import STATE
from .clip import l2
from .cost import check_cost, estimate_cost, horizon_affordable
from .diagnostics import reach, saturation, whh_spectrum
from .errors import CorpusError, CostError, DivergenceError
from .history import History
from .limits import LIMITS, OPTIMIZERS
from .params import NAMES, check_int, init_params
from .params import layout as layout_for
from .threads import one_blas_thread
from .vocab import DEFAULT_MAX_BYTES, Vocab, corpus_warnings, load_corpus

__all__ = ["Config", "Trainer", "LIMITS", "OPTIMIZERS", "ADAGRAD_EPS"]


@dataclass(frozen=True)
class Config:
    """The settings of a run. Each field's type and range is ``LIMITS[field]``
    (engine/limits.py); building a Config checks every field and keeps the converted
    value (a numpy integer becomes an int, a numpy float a float)."""

    hidden_size: int = 100          # units in h
    seq_length: int = 25            # T: characters per truncated-BPTT window
    learning_rate: float = 0.1      # min-char-rnn's 1e-1
    clip: str = "value"             # "value" (min-char-rnn), "norm" or "none"
    threshold: float = 5.0          # clip bound: per entry ("value") or global L2 ("norm")
    optimizer: str = "adagrad"      # "adagrad" (min-char-rnn) or "sgd": param -= lr * g
    seed: int = 0                   # initial weights
    whh_init: str = "gaussian"      # "gaussian" (min-char-rnn), "orthogonal", "identity"
    gain: float = 1.0               # multiplies orthogonal / identity Whh
    scale: float = 0.01             # std of the Gaussian weights (rnn; gated cells start
                                    # from PyTorch's uniform init, engine/params.py)
    diagnostics_every: int = 250    # reach, horizon, Whh spectrum into history every k its
                                    # (and at 0, 1, 2, 4, 8, ...: dense early, cheap later)
    cell: str = "rnn"               # "rnn" (min-char-rnn's tanh), "lstm" or "gru" (engine/cells)

    def __post_init__(self):
        for f in fields(self):
            if f.name in LIMITS:
                value = LIMITS[f.name].check(f.name, getattr(self, f.name))
                object.__setattr__(self, f.name, value)
        if self.cell != "rnn" and self.scale != Config.scale:
            raise ValueError(f"scale is the std of the vanilla rnn's Gaussian weights; "
                             f"{A_CELL[self.cell]} starts from PyTorch's uniform init, which "
                             f"scale does not change. Leave scale at {Config.scale} for "
                             f"cell={self.cell!r}.")

    @classmethod
    def names(cls):
        return tuple(f.name for f in fields(cls))


class Trainer:
    """Trains a character RNN on ``text`` exactly as min-char-rnn does, recording each
    window. Extra keyword arguments are the fields of :class:`Config`.

    Before allocating anything the size of the model, the cost of the configuration is
    estimated (``self.cost``): too large a model raises ValueError saying what to lower;
    a slow one adds a note to ``self.warnings``."""

    def __init__(self, text, hidden_size=100, seq_length=25, learning_rate=0.1, clip="value",
                 threshold=5.0, optimizer="adagrad", seed=0, params=None, *,
                 max_bytes=DEFAULT_MAX_BYTES, **extra):
        unknown = sorted(set(extra) - set(Config.names()))
        if unknown:
            raise ValueError(f"Unknown setting {', '.join(map(_shown, unknown))}; the settings "
                             f"are {', '.join(Config.names())}.")
        self.config = c = Config(hidden_size, seq_length, learning_rate, clip, threshold,
                                 optimizer, seed, **extra)
        self.text = load_corpus(text, max_bytes=max_bytes)
        T = c.seq_length
        if len(self.text) < T + 2:
            raise CorpusError(f"The text has {len(self.text)} characters but one training "
                              f"window needs seq_length + 2 = {T + 2}. Use a longer "
                              f"text or a shorter seq_length.")
        self.vocab = Vocab.from_text(self.text)
        V, H = len(self.vocab), c.hidden_size
        self.cost = estimate_cost(V, H, T, cell=c.cell, text_length=len(self.text))
        self.warnings = corpus_warnings(self.text) + check_cost(self.cost, V, H, T, c.cell)
        self.data = self.vocab.encode(self.text)
        self.data.flags.writeable = False   # read-only, so forks share it (8 bytes a char)
        self.layout = layout_for(V, H, c.cell)
        if params is None:
            params = init_params(V, H, seed=c.seed, scale=c.scale, whh_init=c.whh_init,
                                 gain=c.gain, cell=c.cell)
        self._flat = self.layout.pack(params)
        if not np.isfinite(self._flat).all():
            raise ValueError("params contain NaN or infinite values.")
        self.params = self.layout.views(self._flat)
        self._mem_flat = np.zeros(self.layout.size)
        self.mem = self.layout.views(self._mem_flat)
        self._mem_peak = 0.0        # an upper bound on max(mem); None: not known (_update)
        self._spare_mem, self._step = self.layout.empty(), self.layout.empty()
        self._spare_views = self.layout.views(self._spare_mem)
        self.iteration = 0
        self.position = 0
        self.hprev = np.zeros(H)
        # the LSTM's c, carried from window to window like h
        self.cprev = np.zeros(H) if "c" in STATE[c.cell] else None
        self.smooth_loss = -math.log(1.0 / V) * T
        self.trace = None
        self._history = History()

    # -- training ---------------------------------------------------------------------
    def step(self):
        """One iteration; returns the Trace of the window it trained on.

        Raises DivergenceError, leaving every piece of state as it was, when the loss,
        a gradient or the update is not finite. A Ctrl-C during the step lands after
        it (engine/atomic.py): a trainer is never left half-way through a step."""
        # signals held back first: one_blas_thread's own bookkeeping then runs nested
        # inside this block, without swapping signal handlers a second time
        with uninterrupted(), one_blas_thread():
            return self._take_step()

    def _take_step(self):
        c, p, hprev, cprev = self.config, self.position, self.hprev, self.cprev
        T = c.seq_length
        if self.iteration == 0 or p + T + 1 >= len(self.data):
            p, hprev = 0, np.zeros(c.hidden_size)
            if cprev is not None:
                cprev = np.zeros(c.hidden_size)
        inputs, targets = self.data[p: p + T], self.data[p + 1: p + T + 1]
        with np.errstate(all="ignore"):     # non-finite values are detected, not warned
            # Config and data were checked once: bptt's checks of its arguments skipped
            state = (hprev,) if cprev is None else (hprev, cprev)
            trace = window(self.params, inputs, targets, state, c.clip, c.threshold, c.cell)
            # the global norm is NaN or inf exactly when some gradient entry is
            if not (math.isfinite(trace.loss) and math.isfinite(trace.norms_before["global"])):
                raise self._divergence(trace)
            row = self._row(trace, p)   # diagnostics use the weights that made the trace
            # The trace keeps the weights that produced it: the update changes them.
            before = self._flat.copy()
            trace.params = self.layout.views(before)
            if not self._update(trace.flat_clipped, trace.norms_after["global"], before):
                raise DivergenceError(
                    f"Training diverged at iteration {self.iteration}: the {c.optimizer} "
                    "update overflowed to infinity. Lower the learning rate, turn clipping "
                    "on, or reset the model. The model is unchanged: it is as it was "
                    "before this step.", quantity="update", iteration=self.iteration)
        trace.iteration, trace.position = self.iteration, p
        self.smooth_loss = self.smooth_loss * 0.999 + trace.loss * 0.001
        row["smooth_loss"] = self.smooth_loss
        self._history.append(row)
        self.position = p + T
        self.hprev = trace.hs[-1].copy()
        if cprev is not None:
            self.cprev = trace.cs[-1].copy()
        self.iteration += 1
        self.trace = trace
        return trace

    def run(self, n, callback=None):
        """``n`` iterations; ``callback(trace)`` after each. Returns the last Trace."""
        n = check_int("n", n, 0, 10**9)
        trace = None
        with one_blas_thread():
            for _ in range(n):
                trace = self.step()
                if callback is not None:
                    callback(trace)
        return trace

    LIVE_SETTINGS = ("learning_rate", "optimizer", "clip", "threshold")
    # What a fork shares instead of copying: the text and its encoding never change (the
    # encoding is read-only), and at the 5 MB limit the encoding alone is 40 MB.
    SHARED = ("text", "data", "vocab")

    def retune(self, **changes):
        """Change learning_rate, optimizer, clip or threshold mid-training, keeping the
        weights, Adagrad memory and history (min-char-rnn has no such knob; a lesson
        on clipping needs one)."""
        self.config = self._changed_config(changes)

    def fork(self, **changes):
        """An independent copy of the whole training state (weights, Adagrad memory,
        position, hidden state, iteration, smooth loss, history, last trace) with
        ``changes`` to the live settings. No array is shared, so the two runs can train
        on side by side; a fork without changes continues bit for bit like the original."""
        config = self._changed_config(changes)
        twin = copy.copy(self)
        for name, value in vars(self).items():
            if name in self.SHARED:
                continue
            if isinstance(value, np.ndarray):
                setattr(twin, name, value.copy())
            elif isinstance(value, list):
                setattr(twin, name, list(value))
        # the named views must point into the twin's own buffers
        twin.params = self.layout.views(twin._flat)
        twin.mem = self.layout.views(twin._mem_flat)
        twin._spare_views = self.layout.views(twin._spare_mem)
        twin._history = self._history.copy()
        twin.trace = copy.deepcopy(self.trace)
        twin.config = config
        return twin

    def _changed_config(self, changes):
        allowed = self.LIVE_SETTINGS
        unknown = sorted(set(changes) - set(Config.names()), key=str)
        if unknown:     # a typo is not an architecture setting: say which it is
            raise ValueError(f"Unknown setting {', '.join(_shown(k) for k in unknown)}; "
                             f"the settings a live model can change are "
                             f"{', '.join(allowed)}.")
        fixed = sorted(set(changes) - set(allowed))
        if fixed:
            raise ValueError(f"{', '.join(fixed)} cannot change on a live model (the "
                             f"weights were built for it); build a new Trainer. "
                             f"Changeable: {', '.join(allowed)}.")
        return replace(self.config, **changes)     # checked and converted

    def _update(self, g, g_norm, before):
        """Apply the optimizer step; False, with nothing changed, if it is not finite.
        ``g_norm`` is the L2 norm of ``g`` (finite).

        SGD updates the weights in place and restores them from ``before`` (the trace's
        copy of them) if the result is not finite. Adagrad builds its new memory in a
        spare buffer and swaps it in. Its two finiteness checks, a pass over every
        parameter each, are skipped where they provably pass:
        - the memory: each entry grows by g_i^2 <= ||g||^2 a step, so it stays below
          ``_mem_peak``, a running bound on its largest entry, and cannot overflow
          while that bound is below 1e300; above it, the check runs and the bound is
          measured again;
        - the weights: with mem_i + g_i^2 finite, a step moves a weight by
          |lr g_i| / sqrt(mem_i + g_i^2 + eps) <= lr (1 + 5 ulp), and lr <= 1e4
          (engine/limits.py; tests/test_robustness.py holds it): a finite weight
          cannot reach infinity that way (that takes a step of 2^970), nor become NaN
          (there is no inf and no 0 / 0 on the way). Once the memory has passed, the
          step cannot fail, so the old memory's buffer holds lr * g: one buffer of the
          model's size fewer to stream through the cache every step."""
        lr, flat, step = self.config.learning_rate, self._flat, self._step
        if self.config.optimizer != "adagrad":
            np.multiply(g, lr, out=step)
            flat -= step
            if not _finite_sum_of_squares(flat):
                flat[...] = before
                return False
            return True
        mem, new_mem = self._mem_flat, self._spare_mem
        np.multiply(g, g, out=new_mem)
        new_mem += mem
        # None: the memory was written elsewhere (engine/state.py, progress.py)
        peak = float(mem.max()) if self._mem_peak is None else self._mem_peak
        peak += g_norm * g_norm * _ROUNDING
        if not peak < _SAFE_PEAK:
            if not _finite_sum_of_squares(new_mem):
                return False
            peak = float(new_mem.max())
        np.add(new_mem, ADAGRAD_EPS, out=step)
        np.sqrt(step, out=step)
        lr_g = mem                              # the old memory, no longer needed
        np.multiply(g, lr, out=lr_g)            # min-char-rnn's order: (lr * g) / sqrt
        np.divide(lr_g, step, out=step)
        flat -= step
        # swap buffers (and their prebuilt named views)
        self._spare_mem, self._mem_flat = mem, new_mem
        self._spare_views, self.mem = self.mem, self._spare_views
        self._mem_peak = peak
        return True

    def _row(self, trace, p):
        nb, na = trace.norms_before, trace.norms_after
        dh_first, dh_last = l2(trace.dh[0]), l2(trace.dh[-1])
        row = {"iteration": self.iteration, "position": p, "loss": trace.loss,
               "clip_fraction": trace.clip_fraction["global"],
               "dhprev_norm": l2(trace.dhprev),
               "dh_ratio": dh_first / dh_last if dh_last > 0 else np.nan,
               "saturation": _mean(saturation(trace))}
        for n, before, after in _NORM_COLUMNS:
            row[before] = nb[n]
            row[after] = na[n]
        i = self.iteration
        if i & (i - 1) == 0 or i % self.config.diagnostics_every == 0:   # 0, 1, 2, 4, 8, ...
            spec = whh_spectrum(self.params, gate_blocks=False)   # the two numbers below
            row["sigma_max"], row["spectral_radius"] = spec["sigma_max"], spec["spectral_radius"]
            row["reach"] = reach(trace, self.params)
            H = trace.hs.shape[1]
            if horizon_affordable(trace.T, H, trace.dhraw.shape[1] // H):   # else NaN
                try:
                    row["horizon"] = gradient_horizon(trace, self.params)
                except CostError:       # the one cost model's limits: NaN, as above
                    pass
        return row

    def _divergence(self, trace):
        where = _first_nonfinite(trace)
        quantity, t = where if where else ("gradients", None)
        at = f" at timestep t={t}" if t is not None else ""
        return DivergenceError(
            f"Training diverged at iteration {self.iteration}: the first non-finite value "
            f"appeared in {quantity}{at}. The weights have grown too large. Lower the "
            f"learning rate, turn clipping on (clip='value' or 'norm'), or reset the model. "
            f"The model is unchanged: it is as it was before this step.",
            quantity=quantity, timestep=t, iteration=self.iteration)

    # -- moving a run between processes ------------------------------------------------
    def __getstate__(self):
        """Pickle without the named views: pickling a view copies it, so after loading
        ``params`` would no longer write into ``_flat`` (they are rebuilt instead)."""
        state = dict(vars(self))
        for name in ("params", "mem", "_spare_views"):
            state.pop(name)
        return state

    def __setstate__(self, state):
        vars(self).update(state)
        vars(self).setdefault("_mem_peak", None)    # pickled before the bound existed
        self.params = self.layout.views(self._flat)
        self.mem = self.layout.views(self._mem_flat)
        self._spare_views = self.layout.views(self._spare_mem)

    def progress(self, rows=0):
        """What training changed, for a copy of this run that has ``rows`` rows of
        history: see engine/progress.py. Picklable; copies, shares nothing."""
        return run_progress.progress(self, rows)

    def catch_up(self, progress):
        """Make this run bit for bit the run ``progress`` was taken from."""
        run_progress.catch_up(self, progress)

    # -- views ------------------------------------------------------------------------
    @property
    def history(self):
        """One row per iteration (a fresh pandas DataFrame, cached until the next step)."""
        return self._history.frame()

    @property
    def history_store(self):
        return self._history

    def settings(self):
        return asdict(self.config)

    def state_dict(self):
        """Everything needed to resume this run, as a plain dict of numpy arrays and
        Python scalars (copies: changing it changes nothing here). See engine/state.py."""
        return run_state.state_dict(self)

    @classmethod
    def from_state(cls, state, max_bytes=None):
        """A Trainer resumed from ``state_dict()``'s output; ValueError, with a message
        for a person, on anything malformed. The text obeys the rules of any other text
        (``load_corpus``): at most ``max_bytes`` (default 5 MB)."""
        return run_state.from_state(cls, state, max_bytes=max_bytes)

    def sample(self, n=200, temperature=1.0, seed_text=None, rng_seed=None):
        """Generate ``n`` characters from the current hidden state. Training state
        (hidden state, parameters, position) is untouched."""
        return sampling.sample(self, n, temperature, seed_text, rng_seed)

    def save(self, path):
        checkpoint.save(self, path)

    @classmethod
    def load(cls, path, max_bytes=None, max_text_bytes=DEFAULT_MAX_BYTES):
        """Resume from a checkpoint file (path or binary file object). ``max_bytes``
        lowers the cap on the checkpoint's declared uncompressed size; its text obeys
        the rules of any other text, at most ``max_text_bytes`` (5 MB unless raised, as
        ``Trainer(text, max_bytes=...)`` raises it)."""
        return checkpoint.load(cls, path, max_bytes=max_bytes, max_text_bytes=max_text_bytes)


# Trainer._update's bound: the memory's largest entry may grow to 1e300 unchecked, each
# increase rounded up (a relative 1e-6 covers the rounding of g_i^2 and of ||g||).
_SAFE_PEAK, _ROUNDING = 1e300, 1.0 + 1e-6

# (name, history column before clipping, after): built once, not 12 f-strings a step
_NORM_COLUMNS = tuple((n, f"grad_norm_{n}", f"clipped_norm_{n}") for n in (*NAMES, "global"))


def _shown(key):
    """A setting's name as given, quoted and shortened: it may be anything."""
    text = repr(key)
    return text if len(text) <= 40 else text[:37] + "..."


def _mean(x):
    return float(x.sum()) / len(x)      # np.mean's dispatch costs more than the sum here


def _finite(x):
    # min/max propagate NaN and expose inf without allocating a boolean array
    return math.isfinite(x.min()) and math.isfinite(x.max())


def _finite_sum_of_squares(x):
    # one pass; an overflow of huge-but-finite entries falls back to the exact check
    return math.isfinite(np.dot(x, x)) or _finite(x)


def _first_nonfinite(trace):
    """(quantity, timestep) of the first non-finite value, in the order computed."""
    for name in ("hs", "cs", "ps", "losses", "dy", "dh", "dc", "dhraw", "dhnext"):
        arr = getattr(trace, name)
        if arr is None:         # cs, dc: LSTM only
            continue
        bad = ~np.isfinite(arr.reshape(len(arr), -1)).all(axis=1)
        if bad.any():
            rows = np.flatnonzero(bad)
            backward = name in ("dh", "dc", "dhraw", "dhnext")
            return name, int(rows[-1] if backward else rows[0])
    for name, g in trace.grads.items():
        if not np.isfinite(g).all():
            return f"the gradient d{name}", None
    return None
