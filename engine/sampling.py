"""Sampling text from the model, without touching the trainer's state, and attributing a
sampled character to the characters the model read before it."""
from dataclasses import dataclass

import numpy as np

from .params import check_float, check_int
from .threads import single_threaded


def sample_start(trainer, seed_text=None):
    """``(hprev, seed_ids)``: where :func:`sample` starts. The state is a copy of
    ``trainer.hprev``; the seed is ``seed_text`` encoded or, like min-char-rnn, the next
    input character of the text (the first one at the end of the text). The sampler reads
    the seed, then each character it draws: ``seed_ids + sample`` is what the model read."""
    if seed_text:
        seed = trainer.vocab.encode(seed_text)
    else:
        seed = trainer.data[trainer.position: trainer.position + 1]
        if len(seed) == 0:
            seed = trainer.data[:1]
    return trainer.hprev.copy(), np.asarray(seed, dtype=np.intp)


@single_threaded
def sample(trainer, n=200, temperature=1.0, seed_text=None, rng_seed=None):
    check_int("n", n, 0, 100_000)
    temperature = check_float("temperature", temperature, 0.0, 100.0)
    p = trainer.params
    Wxh, Whh, Why = p["Wxh"], p["Whh"], p["Why"]
    bh, by = p["bh"][:, 0], p["by"][:, 0]
    rng = np.random.default_rng(rng_seed)
    h, seed = sample_start(trainer, seed_text)
    with np.errstate(all="ignore"):
        for ix in seed[:-1]:
            h = np.tanh(Wxh[:, ix] + Whh @ h + bh)
        ix = int(seed[-1])
        out = np.empty(n, dtype=np.intp)
        for i in range(n):
            h = np.tanh(Wxh[:, ix] + Whh @ h + bh)
            y = (Why @ h + by) / temperature
            e = np.exp(y - y.max())
            cdf = np.cumsum(e)
            if not np.isfinite(cdf[-1]):
                raise ValueError("The model's outputs are not finite; it cannot sample. "
                                 "Reset the model.")
            ix = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")),
                     len(cdf) - 1)
            out[i] = ix
    return trainer.vocab.decode(out)


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
    Wxh, Whh, Why = params["Wxh"], params["Whh"], params["Why"]
    H = Whh.shape[1]
    if Whh.shape != (H, H) or Wxh.shape[0] != H:
        raise NotImplementedError(
            f"sample_saliency supports the vanilla rnn (square Whh); got Whh of shape "
            f"{Whh.shape}, a gated cell's. Use cell='rnn' for sample attribution.")
    ids = np.asarray(text_ids, dtype=np.intp).ravel()
    check_int("target_index", target_index, 1, len(ids) - 1)
    temperature = check_float("temperature", temperature, 0.0, 100.0)
    bh, by = params["bh"][:, 0], params["by"][:, 0]
    n = target_index                      # steps read before the chosen character
    hs = np.empty((n, H))
    h = np.asarray(hprev, dtype=float).reshape(H)
    with np.errstate(all="ignore"):
        for s in range(n):
            h = hs[s] = np.tanh(Wxh[:, ids[s]] + Whh @ h + bh)
        y = (Why @ h + by) / temperature
        e = np.exp(y - y.max())
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
