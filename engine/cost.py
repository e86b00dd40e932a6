"""What a configuration costs before it is built: seconds per training step and peak
memory, so that the Trainer can refuse or warn before allocating anything large.

The model counts the work of one step (see bptt.py and Trainer._update) in five parts
and weighs each by a constant measured with ``bench/cost_calibration.py``:

* the recurrence, forward and backward: 2T matrix-vector products with Whh (T H^2);
* the window's matrix products: hs Why^T, dy^T hs, dy Why, dhraw^T onehot, dhraw^T hs
  (T H (4V + H));
* softmax, loss and dy over the window (T V);
* clipping, norms and the Adagrad update: a dozen passes over all P parameters;
* Python's fixed cost per timestep and per step.

Peak memory is the trainer's buffers (parameters, Adagrad memory, spares: about 11 P
floats while a step runs, because the previous step's trace still holds its gradients),
the window's (T, V) arrays and the encoded text. A gated cell multiplies the H-sized
work by its number of gate blocks (``GATES``); that scaling is counted, not measured.
"""
from dataclasses import dataclass

from .cells import BLOCKS, MODULES, check_cell
from .errors import CostError
from .limits import Limit

# Measured with bench/cost_calibration.py on the project's 2-core VM (OpenBLAS on one
# thread, numpy 2.4): a relative-error least-squares fit of step time and tracemalloc's
# peak over 18 configurations (V 50..3000, H 32..1024, T 25..200), checked on 3 more
# (V 5000 H 512 T 400, V 100 H 2048 T 25, V 1000 H 64 T 1000). Memory: within 6% on
# all 21 (median 1%). Time: median error 20% on a quiet machine, within about 2x when
# other jobs share it (the fits of three runs differ by up to 2x per constant; these
# are from the quietest). The largest allowed settings together (V 10,000, H 2048,
# T 1000) come out at ~13 s per step plus ~15 s of spectrum on the first step, and
# 4.7 GB; an outside tester measured 21 s for the first step and 4.4 GB.
#
# A recurrence step reads all of Whh for only 2 flops per entry: once Whh no longer
# fits in the core's L2 cache it runs at memory speed (a bench of np.dot alone: about
# 3e-10 s per multiply-add up to H 512, 5-8e-10 from H 724 on).
CACHE_BYTES = 2 * 2**20
SECONDS_PER_RECURRENT_FLOP = 3.0e-10    # per H^2 multiply-add, Whh in cache
SECONDS_PER_UNCACHED_FLOP = 6.0e-10     # the same once Whh is larger than CACHE_BYTES
SECONDS_PER_MATMUL_FLOP = 8.0e-11       # per multiply-add in the window's BLAS products
SECONDS_PER_OUTPUT = 1.5e-9             # per (t, v): softmax, loss, dy
SECONDS_PER_PARAM = 1.7e-8              # per parameter: clip, norms, Adagrad, copies
SECONDS_PER_TIMESTEP = 3.7e-6           # Python's cost per t (forward and backward loops)
SECONDS_PER_STEP = 1.0e-4               # fixed cost of a step: the fit gave 5e-5, but a
                                        # link replay of H 1, T 1 measured 103 µs a step
                                        # (busy machine); a replay budget must not be
                                        # beaten 2x by the smallest model
SECONDS_PER_EIG_FLOP = 1.5e-9           # Whh's eigenvalues and singular values, per H^3
PARAM_COPIES = 11                       # float64 copies of all parameters at the peak
OUTPUT_COPIES = 6                       # float64 (T, V) arrays alive at the peak
STATE_COPIES = 12                       # float64 (T, H) arrays alive at the peak
FIXED_BYTES = 250_000
SAMPLE_SECONDS_PER_FLOP = 2.7e-10       # sampling, per multiply-add (H^2 + V H per char)
SAMPLE_SECONDS_PER_OUTPUT = 2.0e-8      # sampling, per character of the vocabulary
SAMPLE_SECONDS_PER_CHAR = 6.0e-6        # sampling, Python's cost per character

GATES = BLOCKS      # gate blocks per cell: the H-sized work scales with them
MAX_SIZE = 10**12   # the largest vocabulary, hidden size or window estimate_cost takes

REFUSE_BYTES = 2e9          # the trainer refuses a configuration above these ...
REFUSE_SECONDS = 5.0
WARN_SECONDS = 0.5          # ... and warns above these
WARN_DIAGNOSTIC_SECONDS = 1.0
SAMPLE_SECONDS = 10.0       # Trainer.sample refuses work estimated above this
ANALYSIS_SECONDS = 10.0     # a diagnostic or attribution refuses work above these ...
ANALYSIS_BYTES = 1e9        # ... estimated by analysis_cost


@dataclass(frozen=True)
class Cost:
    seconds_per_step: float         # one training step, without diagnostics
    peak_bytes: int                 # memory of the trainer while a step runs
    diagnostic_seconds: float       # Whh's spectrum and reach, at iterations 0, 1, 2, 4,
                                    # 8, ... and every diagnostics_every

    def __str__(self):
        return (f"about {_seconds(self.seconds_per_step)} per step and "
                f"{_bytes(self.peak_bytes)} of memory")


def parameter_count(vocab_size, hidden_size, cell="rnn"):
    """P: entries of Wxh, Whh, Why, bh, by (gate blocks stacked in Wxh, Whh, bh)."""
    V, H, k = vocab_size, hidden_size, GATES[cell]
    return k * H * V + k * H * H + V * H + k * H + V


def estimate_cost(vocab_size, hidden_size, seq_length, cell="rnn", text_length=0):
    """The estimated :class:`Cost` of training this configuration; ValueError for sizes
    that are not whole numbers >= 1 (-5 was costed, NaN raised numpy's error) or an
    unknown cell (a KeyError)."""
    V, H, T = (_size("vocab_size", vocab_size), _size("hidden_size", hidden_size),
               _size("seq_length", seq_length))
    k = GATES[check_cell(cell)]
    P = parameter_count(V, H, cell)
    seconds = (_recurrent_rate(k * H * H) * 2 * T * k * H * H
               + SECONDS_PER_MATMUL_FLOP * T * H * (k * 2 * V + 2 * V + k * H)
               + SECONDS_PER_OUTPUT * T * V
               + SECONDS_PER_PARAM * P
               + SECONDS_PER_TIMESTEP * T * k
               + SECONDS_PER_STEP)
    diagnostics = SECONDS_PER_EIG_FLOP * H ** 3 + _recurrent_rate(k * H * H) * T * k * H * H
    horizon = horizon_elements(T, H, k) if horizon_affordable(T, H, k) else 0
    peak = 8 * (PARAM_COPIES * P + OUTPUT_COPIES * T * V + STATE_COPIES * k * T * H
                + text_length + horizon) + FIXED_BYTES
    return Cost(seconds, int(peak), diagnostics)


# The history's horizon column (Trainer._row, at its diagnostics rows) has a budget of
# its own, far under an analysis's 10 s: it is computed while training. Where it would
# be costly the column is NaN: gradient_horizon holds T^2 kH + T^3 floats and costs
# about T^2 kH H / 2 multiply-adds (the single-loss backward), which at T 1000, H 2048
# would be 16 GB and hours.
HORIZON_MAX_ELEMENTS = 4_000_000        # 32 MB
HORIZON_MAX_FLOPS = 300_000_000         # about 0.1-0.3 s


def horizon_elements(T, H, k=1):
    """Floats ``gradient_horizon`` holds at once for a window of T steps."""
    return T * T * k * H + T ** 3


def horizon_affordable(T, H, k=1):
    """Whether the history computes the horizon for this window size."""
    return (horizon_elements(T, H, k) <= HORIZON_MAX_ELEMENTS
            and T * T * k * H * H / 2 <= HORIZON_MAX_FLOPS)


def sample_seconds(n, vocab_size, hidden_size, cell="rnn"):
    """Estimated time of ``Trainer.sample(n)``: per character one step of the cell and
    the output layer (matrix-vector products), a softmax over V and Python's overhead."""
    V, H, k = vocab_size, hidden_size, GATES[cell]
    per_char = (_recurrent_rate(k * H * H) / SECONDS_PER_RECURRENT_FLOP
                * SAMPLE_SECONDS_PER_FLOP * (k * H * H + k * H + V * H)
                + SAMPLE_SECONDS_PER_OUTPUT * V + SAMPLE_SECONDS_PER_CHAR)
    return n * per_char


def training_seconds(cost, start, iterations, diagnostics_every=250):
    """Estimated seconds of ``iterations`` steps from iteration ``start`` of a model of
    this :class:`Cost`: every step, plus Whh's spectrum at the diagnostic iterations
    (0, 1, 2, 4, 8, ... and the multiples of ``diagnostics_every``)."""
    start, stop, every = int(start), int(start) + int(iterations), int(diagnostics_every)
    if stop <= start:
        return 0.0
    powers = (start == 0) + sum(1 for b in range(64) if start <= 2 ** b < stop)
    multiples = (stop - 1) // every - (start - 1) // every if start > 0 else \
        (stop - 1) // every
    return iterations * cost.seconds_per_step + (powers + multiples) * cost.diagnostic_seconds


def sample_cost_message(n, seed_length, vocab_size, hidden_size, cell="rnn"):
    """None if sampling ``n`` characters after reading a seed of ``seed_length`` fits
    SAMPLE_SECONDS; otherwise the sentence that refuses it, blaming what costs: the
    seed text when reading it alone is over the limit, else ``n``."""
    V, H = vocab_size, hidden_size
    per_char = sample_seconds(1, V, H, cell)
    seconds = per_char * (n + seed_length)
    if seconds <= SAMPLE_SECONDS:
        return None
    model = f"this model (hidden_size {H}, {V:,} characters)"
    most = int(SAMPLE_SECONDS / per_char)
    if per_char * seed_length > SAMPLE_SECONDS:
        return (f"Reading seed_text of {seed_length:,} characters into {model} would take "
                f"about {_seconds(per_char * seed_length)}; the limit is "
                f"{SAMPLE_SECONDS:.0f} s of work, about {most:,} characters of seed and "
                "sample together. Use a shorter seed_text.")
    seed = f" after a seed_text of {seed_length:,} characters" if seed_length else ""
    return (f"Sampling n={n:,} characters{seed} from {model} would take about "
            f"{_seconds(seconds)}; the limit is {SAMPLE_SECONDS:.0f} s of work, about "
            f"{max(most - seed_length, 0):,} characters here. Ask for fewer characters"
            + (" or use a shorter seed_text." if seed_length else "."))


def check_cost(cost, vocab_size, hidden_size, seq_length, cell="rnn"):
    """Warnings (a list of strings) for a configuration that will be slow; ValueError,
    saying the estimate and what to lower, for one that is too large to build."""
    V, H, T = vocab_size, hidden_size, seq_length
    what = f"vocabulary of {V:,} characters, hidden_size {H}, seq_length {T}"
    too_big = cost.peak_bytes > REFUSE_BYTES
    too_slow = cost.seconds_per_step > REFUSE_SECONDS
    if too_big or too_slow:
        limits = []
        if too_big:
            limits.append(f"{_bytes(cost.peak_bytes)} of memory (the limit is "
                          f"{_bytes(REFUSE_BYTES)})")
        if too_slow:
            limits.append(f"{_seconds(cost.seconds_per_step)} per training step (the limit "
                          f"is {_seconds(REFUSE_SECONDS)})")
        fits_h = _largest(lambda h: _fits(estimate_cost(V, h, T, cell)), 1, H)
        fits_t = _largest(lambda t: _fits(estimate_cost(V, H, t, cell)), 1, T)
        lower = [f"hidden_size to {fits_h} or less" if fits_h else None,
                 f"seq_length to {fits_t} or less" if fits_t else None]
        lower = [x for x in lower if x] or ["hidden_size"]
        raise ValueError(f"This model is too large to train here: {what} would need about "
                         f"{' and '.join(limits)}. Lower {' or '.join(lower)} (with the "
                         "other settings unchanged), or use a text with fewer "
                         "distinct characters.")
    notes = []
    if cost.seconds_per_step > WARN_SECONDS:
        notes.append(f"This model is slow: {what} takes {cost}. Lower hidden_size or "
                     "seq_length for a livelier dashboard.")
    if cost.diagnostic_seconds > WARN_DIAGNOSTIC_SECONDS:
        notes.append(f"Whh's spectrum takes about {_seconds(cost.diagnostic_seconds)} at "
                     f"hidden_size {H}; it is recorded at iterations 0, 1, 2, 4, 8, ... and "
                     "every diagnostics_every iterations, so those steps are slower.")
    return notes


# -- diagnostics and attribution (engine/attribution.py, diagnostics.py, sampling.py) --
# Each costs what its loops multiply, weighed by constants from timings of the functions
# themselves (single-threaded, H 64..512, T 25..300, rnn, lstm and gru, on the project's
# 2-core VM while other jobs shared it: on the slow side, which suits a guard; estimate
# over measured ran from 0.3 to 4.6, median 0.9, the extremes at a few milliseconds).
# The single-loss backward's batched products: about 1.7e-10 s per multiply-add and
# 2.5e-5 s of Python per step (a gated step 1e-4 s, plus 3e-8 per entry of its (B, kH)
# arrays: a dozen elementwise passes over the gates); the saliency's per-step
# (B, kH) x (kH, V) products 1e-9; the horizon's T batched T x kH Gram products 1e-9;
# the Whh slices by distance, a strided batched product writing T kH H floats, 1.5e-9;
# the Jacobian 8e-10 per H^3 and 6e-8 per H^2 of each (t, s) pair (the spectral norm's
# fixed cost dominates at small H).
SECONDS_PER_BATCHED_FLOP = 1.7e-10
SECONDS_PER_SALIENCY_FLOP = 1.0e-9
SECONDS_PER_GRAM_FLOP = 1.0e-9
SECONDS_PER_SLICE_FLOP = 1.5e-9
SECONDS_PER_JACOBIAN_FLOP = 8.0e-10     # per H^3 of one (t, s) pair
SECONDS_PER_JACOBIAN_ENTRY = 6.0e-8     # per H^2 of one (t, s) pair
SECONDS_PER_BACK_STEP = {cell: m.BACK_STEP_SECONDS for cell, m in MODULES.items()}
SECONDS_PER_GATED_ENTRY = 3e-8          # a gated back_step's elementwise work, per (B, kH)
SECONDS_PER_GHOST_STEP = 1e-4           # beyond_window's Python loop, per step
GRADCHECK_STEPS_PER_ENTRY = 1.5         # two forward passes and their Python, in steps

# name -> what its work is, in words, for the sentence that refuses it
ANALYSES = {
    "input_saliency": "the input saliency (a backward pass per loss)",
    "whh_gradient_by_distance": "the Whh gradient by distance (T slices of Whh's size)",
    "gradient_horizon": "the gradient's horizon (a backward pass per loss and a T x T x T "
                        "Gram)",
    "loss_to_state": "loss_to_state (a backward pass per loss)",
    "jacobian_norms": "jacobian_norms (T(T-1)/2 products and spectral norms of H x H "
                      "matrices)",
    "beyond_window": "beyond_window (full BPTT over the windows before this one)",
    "sample_saliency": "the sample attribution (a forward and a backward pass over the "
                       "characters read)",
    "gradient_check": "the gradient check (two forward passes per entry checked)",
}


@dataclass(frozen=True)
class Work:
    seconds: float          # estimated time, one thread
    peak_bytes: int         # the most it holds at once


def analysis_cost(what, seq_length, hidden_size, vocab_size, cell="rnn", steps=None,
                  checks=10):
    """The estimated :class:`Work` of analysis ``what`` (a key of ANALYSES) on a window
    of ``seq_length`` steps of a model of this size. ``steps``: beyond_window's steps
    recomputed (the windows before the current one and itself), sample_saliency's
    characters read; ``checks``: gradient_check's entries per parameter."""
    T, H, V, k = int(seq_length), int(hidden_size), int(vocab_size), GATES[cell]
    P = parameter_count(V, H, cell)
    rows = T * (T + 1) / 2                  # the single-loss backward: T - s rows at s
    backward = (SECONDS_PER_BATCHED_FLOP * rows * k * H * H
                + (SECONDS_PER_GATED_ENTRY * rows * k * H if k > 1 else 0.0)
                + SECONDS_PER_BACK_STEP[cell] * T)
    small = 8 * (T * T + 2 * T * V + 6 * k * T * H)
    if what == "input_saliency":
        return Work(backward + SECONDS_PER_SALIENCY_FLOP * rows * k * H * V, small)
    if what == "whh_gradient_by_distance":
        return Work(backward + SECONDS_PER_SLICE_FLOP * T * T * k * H * H,
                    small + 8 * (T * T * k * H + T * k * H * H))
    if what == "gradient_horizon":
        return Work(backward + SECONDS_PER_GRAM_FLOP * T ** 3 * k * H,
                    small + 8 * (T * T * k * H + T ** 3))
    if what == "loss_to_state":
        return Work(backward, small)
    if what == "jacobian_norms":
        pairs = T * (T - 1) / 2
        return Work(pairs * (SECONDS_PER_JACOBIAN_FLOP * H ** 3
                             + SECONDS_PER_JACOBIAN_ENTRY * H * H)
                    + SECONDS_PER_TIMESTEP * T, 8 * (5 * T * H * H + T * T))
    if what == "beyond_window":
        N = T if steps is None else int(steps)
        window = estimate_cost(V, H, N, cell)
        return Work(window.seconds_per_step + N * (SECONDS_PER_GHOST_STEP
                                                   + _recurrent_rate(k * H * H) * k * H * H),
                    8 * (2 * P + OUTPUT_COPIES * N * V + (STATE_COPIES + 2) * k * N * H))
    if what == "sample_saliency":
        n = T if steps is None else int(steps)
        return Work(2 * sample_seconds(n, V, H, cell) + n * SECONDS_PER_BACK_STEP[cell],
                    8 * (n * H * 2 + 4 * V))
    if what == "gradient_check":
        step = estimate_cost(V, H, T, cell).seconds_per_step
        entries = int(checks) * NAMES_PER_MODEL
        return Work(step * (1 + GRADCHECK_STEPS_PER_ENTRY * entries),
                    8 * (2 * P + OUTPUT_COPIES * T * V + STATE_COPIES * k * T * H))
    raise ValueError(f"Unknown analysis {what!r}; known: {', '.join(ANALYSES)}.")


NAMES_PER_MODEL = 5     # Wxh, Whh, Why, bh, by: gradient_check perturbs entries of each


def check_analysis(what, seq_length, hidden_size, vocab_size, cell="rnn", steps=None,
                   checks=10):
    """The :class:`Work` of ``analysis_cost``, or CostError (a ValueError), saying the estimate and
    what to lower, when it is over ANALYSIS_SECONDS or ANALYSIS_BYTES: refused before
    anything the size of the work is allocated, as the Trainer refuses a model."""
    T, H, V = int(seq_length), int(hidden_size), int(vocab_size)
    work = analysis_cost(what, T, H, V, cell, steps, checks)
    if _affordable(work):
        return work
    over = []
    if work.seconds > ANALYSIS_SECONDS:
        over.append(f"about {_seconds(work.seconds)} (the limit is "
                    f"{_seconds(ANALYSIS_SECONDS)})")
    if work.peak_bytes > ANALYSIS_BYTES:
        over.append(f"{_bytes(work.peak_bytes)} of memory at once (the limit is "
                    f"{_bytes(ANALYSIS_BYTES)})")
    fits = lambda **kw: _affordable(analysis_cost(what, **{
        "seq_length": T, "hidden_size": H, "vocab_size": V, "cell": cell, "steps": steps,
        "checks": checks, **kw}))
    if what in ("beyond_window", "sample_saliency"):
        most = _largest(lambda n: fits(steps=n), 1, int(steps or T))
        if not most or (what == "beyond_window" and most < 2 * T):
            lower = "a smaller model"
        elif what == "beyond_window":
            lower = f"fewer windows (at most {most // T - 1:,} here)"
        else:
            lower = f"an earlier character (at most {most - 1:,} read before it)"
    elif what == "gradient_check":
        most = _largest(lambda c: fits(checks=c), 1, int(checks))
        lower = f"checks_per_param to {most:,} or less" if most else "a smaller model"
    else:
        fits_t = _largest(lambda t: fits(seq_length=t), 1, T)
        fits_h = _largest(lambda h: fits(hidden_size=h), 1, H)
        lower = " or ".join(x for x in (
            f"seq_length {fits_t} or less" if fits_t else None,
            f"hidden_size {fits_h} or less" if fits_h else None) if x) or "a smaller model"
    raise CostError(f"Computing {ANALYSES[what]} would take "
                     f"{' and '.join(over)} for a window of seq_length {T} at hidden_size "
                     f"{H} with {V:,} characters ({cell}). It is refused rather than left "
                     f"to run; use {lower}.")


_SIZE = Limit(int, 1, MAX_SIZE)


def _size(name, value):
    """``value`` checked by _SIZE; a plain int in range (every caller in the engine)
    without the general check's cost, since bptt asks on every call."""
    if type(value) is int and 1 <= value <= MAX_SIZE:
        return value
    return _SIZE.check(name, value)


def _affordable(work):
    return work.seconds <= ANALYSIS_SECONDS and work.peak_bytes <= ANALYSIS_BYTES


def _recurrent_rate(whh_entries):
    uncached = 8 * whh_entries > CACHE_BYTES
    return SECONDS_PER_UNCACHED_FLOP if uncached else SECONDS_PER_RECURRENT_FLOP


def _fits(cost):
    return cost.peak_bytes <= REFUSE_BYTES and cost.seconds_per_step <= REFUSE_SECONDS


def _largest(fits, low, high):
    """The largest x in [low, high] with fits(x) (fits is monotone), or None."""
    if not fits(low):
        return None
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    return low


def _bytes(n):
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def _seconds(s):
    return f"{s:.2g} s" if s >= 0.1 else f"{s * 1e3:.2g} ms" if s >= 1e-4 else f"{s * 1e6:.2g} µs"
