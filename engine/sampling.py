"""Sampling text from the model, without touching the trainer's state."""
import numpy as np

from .params import check_float, check_int
from .threads import single_threaded


@single_threaded
def sample(trainer, n=200, temperature=1.0, seed_text=None, rng_seed=None):
    check_int("n", n, 0, 100_000)
    temperature = check_float("temperature", temperature, 0.0, 100.0)
    p = trainer.params
    Wxh, Whh, Why = p["Wxh"], p["Whh"], p["Why"]
    bh, by = p["bh"][:, 0], p["by"][:, 0]
    rng = np.random.default_rng(rng_seed)
    h = trainer.hprev.copy()
    if seed_text:
        seed = trainer.vocab.encode(seed_text)
    else:
        # min-char-rnn seeds with the next input character
        seed = trainer.data[trainer.position: trainer.position + 1]
        if len(seed) == 0:
            seed = trainer.data[:1]
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
