"""Sampling text from the model, without touching the trainer's state, and attributing a
sampled character to the characters the model read before it."""
from dataclasses import dataclass

import numpy as np

from . import cells
from .bptt import checked_params
from .cost import check_analysis, sample_cost_message
from .limits import SAMPLE_LIMITS
from .params import check_int
from .threads import single_threaded


def check_sample_args(trainer, n, temperature, seed_text, rng_seed):
    """(n, temperature, seed ids or None, rng_seed), checked and converted; ValueError
    naming the argument otherwise, including a request that would take too long."""
    n = SAMPLE_LIMITS["n"].check("n", n)
    temperature = SAMPLE_LIMITS["temperature"].check("temperature", temperature)
    rng_seed = SAMPLE_LIMITS["rng_seed"].check("rng_seed", rng_seed)
    if seed_text is not None and not isinstance(seed_text, str):
        raise ValueError(f"seed_text must be a string (or None); got "
                         f"{type(seed_text).__name__}.")
    seed = None
    if seed_text:
        missing = sorted(set(seed_text) - set(trainer.vocab.chars))
        if missing:
            shown = ", ".join(repr(c) for c in missing[:5])
            raise ValueError(f"seed_text contains {shown}, not in the vocabulary of this "
                             "model. Use characters of its training text.")
        seed = trainer.vocab.encode(seed_text)
    refused = sample_cost_message(n, 0 if seed is None else len(seed), len(trainer.vocab),
                                  trainer.config.hidden_size, trainer.config.cell)
    if refused:
        raise ValueError(refused)
    return n, temperature, seed, rng_seed


def sample_start(trainer, seed_text=None):
    """``(hprev, seed_ids)``: where :func:`sample` starts. The state is a copy of
    ``trainer.hprev``; the seed is ``seed_text`` encoded or, like min-char-rnn, the next
    input character of the text (the first one at the end of the text). The sampler reads
    the seed, then each character it draws: ``seed_ids + sample`` is what the model read.
    (The LSTM also starts from a copy of ``trainer.cprev``.)"""
    if seed_text:
        seed = check_sample_args(trainer, 0, 1.0, seed_text, None)[2]
    else:
        seed = trainer.data[trainer.position: trainer.position + 1]
        if len(seed) == 0:
            seed = trainer.data[:1]
    return trainer.hprev.copy(), np.asarray(seed, dtype=np.intp)


@single_threaded
def sample(trainer, n=200, temperature=1.0, seed_text=None, rng_seed=None):
    n, temperature, seed, rng_seed = check_sample_args(trainer, n, temperature, seed_text,
                                                       rng_seed)
    p = trainer.params
    Why, by = p["Why"], p["by"][:, 0]
    advance = _stepper(trainer)
    rng = np.random.default_rng(rng_seed)
    state = (trainer.hprev.copy(),) if trainer.cprev is None else \
        (trainer.hprev.copy(), trainer.cprev.copy())
    if seed is None:
        seed = sample_start(trainer)[1]    # min-char-rnn: the next input character
    with np.errstate(all="ignore"):
        for ix in seed[:-1]:
            state = advance(ix, state)
        ix = int(seed[-1])
        out = np.empty(n, dtype=np.intp)
        for i in range(n):
            state = advance(ix, state)
            y = Why @ state[0] + by
            top = y.max()
            if not np.isfinite(top):
                raise ValueError("The model's outputs are not finite; it cannot sample. "
                                 "Reset the model.")
            # Scale in log space after subtracting the maximum: (y - max) / temperature
            # is <= 0, so exp never overflows and the most likely character keeps
            # weight 1, even at temperature 1e-308 (the argmax limit).
            e = np.exp((y - top) / temperature)
            cdf = np.cumsum(e)
            ix = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")),
                     len(cdf) - 1)
            out[i] = ix
    return trainer.vocab.decode(out)


def _stepper(trainer):
    """advance(ix, state) -> state after reading character ix; state = (h,) or (h, c)."""
    p, step = trainer.params, cells.MODULES[trainer.config.cell].step
    return lambda ix, state: step(p, ix, state)


@dataclass
class SampleSaliency:
    """Why the model drew one character of a sample (see sample_saliency)."""

    saliency: np.ndarray    # (target_index,) ||d log p(chosen)/dx_s||_2, s = 0..target_index-1
    prob: float             # p(chosen) under the sampling distribution softmax(y / temperature)
    hprev_saliency: float   # ||d log p(chosen)/d hprev||_2: what came from before the sample


@single_threaded
def sample_saliency(params, text_ids, hprev, target_index, temperature=1.0):
    """How much each character the model read before ``text_ids[target_index]`` moved the
    log probability with which it was drawn.

    ``text_ids`` is what the sampler read, in order: ``seed_ids`` then the sampled ids
    (see :func:`sample_start`), starting from the state ``hprev``. Character
    ``text_ids[i]`` for i >= 1 was drawn from ``softmax((Why h_{i-1} + by) / temperature)``
    where ``h_s = tanh(Wxh x_s + Whh h_{s-1} + bh)`` reads ``x_s = onehot(text_ids[s])``.
    Backpropagates ``log p(text_ids[target_index])`` to every one-hot input x_s (the
    whole V-vector: ``Wxh^T dhraw_s``) and to hprev. Pass the temperature the sample was
    drawn at; 1.0 gives the model's own distribution. Vanilla rnn weights only."""
    params = checked_params(params)     # all five, real, of one model's shapes
    Wxh, Whh, Why = params["Wxh"], params["Whh"], params["Why"]
    H = Whh.shape[1]
    if Whh.shape != (H, H) or Wxh.shape[0] != H:
        raise NotImplementedError(
            f"sample_saliency supports the vanilla rnn (square Whh); got Whh of shape "
            f"{Whh.shape}, a gated cell's. Use cell='rnn' for sample attribution.")
    V = Why.shape[0]
    ids = _checked_ids(text_ids)
    target_index = check_int("target_index", target_index, 1, len(ids) - 1)
    temperature = SAMPLE_LIMITS["temperature"].check("temperature", temperature)
    check_analysis("sample_saliency", 1, H, V, steps=target_index)
    ids, h = _checked_reading(ids, hprev, V, H)
    bh, by = params["bh"][:, 0], params["by"][:, 0]
    n = target_index                      # steps read before the chosen character
    hs = np.empty((n, H))
    with np.errstate(all="ignore"):
        for s in range(n):
            h = hs[s] = np.tanh(Wxh[:, ids[s]] + Whh @ h + bh)
        y = Why @ h + by
        e = np.exp((y - y.max()) / temperature)       # as the sampler scales: in log space
        p = e / e.sum()
        chosen = ids[target_index]
        dy = -p / temperature             # d log p[chosen] / dy = (onehot - p) / temperature
        dy[chosen] += 1.0 / temperature
        dh = Why.T @ dy
        saliency = np.empty(n)
        for s in range(n - 1, -1, -1):
            dhraw = (1.0 - hs[s] * hs[s]) * dh
            saliency[s] = np.linalg.norm(Wxh.T @ dhraw)
            dh = Whh.T @ dhraw           # on to h_{s-1}; hprev's gradient after s = 0
    return SampleSaliency(saliency=saliency, prob=float(p[chosen]),
                          hprev_saliency=float(np.linalg.norm(dh)))


def _checked_ids(text_ids):
    """text_ids as a 1-D integer array of at least two ids (one read, one drawn)."""
    try:
        ids = np.asarray(text_ids)
    except (TypeError, ValueError) as err:
        raise ValueError(f"text_ids must be a sequence of character ids; {err}.") from None
    if ids.ndim != 1:
        raise ValueError(f"text_ids must be one sequence of character ids (1-D); got "
                         f"shape {ids.shape}.")
    if ids.size and ids.dtype.kind not in "iu":
        raise ValueError(f"text_ids must hold whole-number character ids; got values of "
                         f"type {ids.dtype}.")
    if len(ids) < 2:
        raise ValueError(f"text_ids must hold at least 2 ids (the characters read, then "
                         f"the one drawn); got {len(ids)}.")
    return ids


def _checked_reading(ids, hprev, V, H):
    """(ids, hprev) for sample_saliency, or ValueError saying what is wrong: ids are
    character ids from 0 to V-1 (-1 is not "the last one" here); hprev has H finite
    entries, as (H,) or (H, 1)."""
    bad = np.flatnonzero((ids < 0) | (ids >= V))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"text_ids[{i}] is {int(ids[i])}, not a character id of this "
                         f"model: ids run from 0 to {V - 1} (V = {V}).")
    try:
        h = np.asarray(hprev, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"hprev must be an array of {H} numbers; {err}.") from None
    if h.size != H or h.ndim > 2 or (h.ndim == 2 and 1 not in h.shape):
        raise ValueError(f"hprev must hold the model's {H} hidden units, as (H,) or "
                         f"(H, 1); got shape {h.shape}.")
    if not np.isfinite(h).all():
        raise ValueError("hprev holds NaN or infinite values.")
    return ids.astype(np.intp), h.reshape(H)
