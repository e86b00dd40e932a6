"""Sampling text from the model, without touching the trainer's state."""
import numpy as np

from .cost import SAMPLE_SECONDS, sample_seconds
from .limits import SAMPLE_LIMITS
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
    V, H = len(trainer.vocab), trainer.config.hidden_size
    seconds = sample_seconds(n + (0 if seed is None else len(seed)), V, H,
                             trainer.config.cell)
    if seconds > SAMPLE_SECONDS:
        most = int(n * SAMPLE_SECONDS / seconds)
        raise ValueError(f"Sampling n={n:,} characters from this model (hidden_size {H}, "
                         f"{V:,} characters) would take about {seconds:.0f} s; the limit is "
                         f"{SAMPLE_SECONDS:.0f} s of work, about {most:,} characters here. "
                         "Ask for fewer characters.")
    return n, temperature, seed, rng_seed


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
    p, cell = trainer.params, trainer.config.cell
    if cell == "lstm":
        from .cells import lstm
        return lambda ix, state: lstm.step(p, ix, *state)
    if cell == "gru":
        from .cells import gru
        return lambda ix, state: (gru.step(p, ix, state[0]),)
    Wxh, Whh, bh = p["Wxh"], p["Whh"], p["bh"][:, 0]
    return lambda ix, state: (np.tanh(Wxh[:, ix] + Whh @ state[0] + bh),)
