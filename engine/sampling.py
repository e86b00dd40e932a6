"""Sampling text from the model, without touching the trainer's state."""
import numpy as np

from .params import check_float, check_int
from .threads import single_threaded


@single_threaded
def sample(trainer, n=200, temperature=1.0, seed_text=None, rng_seed=None):
    check_int("n", n, 0, 100_000)
    temperature = check_float("temperature", temperature, 0.0, 100.0)
    p = trainer.params
    Why, by = p["Why"], p["by"][:, 0]
    advance = _stepper(trainer)
    rng = np.random.default_rng(rng_seed)
    state = (trainer.hprev.copy(),) if trainer.cprev is None else \
        (trainer.hprev.copy(), trainer.cprev.copy())
    if seed_text:
        seed = trainer.vocab.encode(seed_text)
    else:
        # min-char-rnn seeds with the next input character
        seed = trainer.data[trainer.position: trainer.position + 1]
        if len(seed) == 0:
            seed = trainer.data[:1]
    with np.errstate(all="ignore"):
        for ix in seed[:-1]:
            state = advance(ix, state)
        ix = int(seed[-1])
        out = np.empty(n, dtype=np.intp)
        for i in range(n):
            state = advance(ix, state)
            y = (Why @ state[0] + by) / temperature
            e = np.exp(y - y.max())
            cdf = np.cumsum(e)
            if not np.isfinite(cdf[-1]):
                raise ValueError("The model's outputs are not finite; it cannot sample. "
                                 "Reset the model.")
            ix = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")),
                     len(cdf) - 1)
            out[i] = ix
    return trainer.vocab.decode(out)


def _stepper(trainer):
    """advance(ix, state) -> state after reading character ix; state = (h,) or (h, c)."""
    p, cell = trainer.params, trainer.config.cell
    if cell == "lstm":
        from .cells import lstm
        return lambda ix, state: lstm.step(p, ix, *state)
    if cell == "gru":
        from .cells import gru
        return lambda ix, state: (gru.step(p, ix, state[0]),)
    Wxh, Whh, bh = p["Wxh"], p["Whh"], p["bh"][:, 0]
    return lambda ix, state: (np.tanh(Wxh[:, ix] + Whh @ state[0] + bh),)
