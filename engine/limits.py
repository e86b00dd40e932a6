"""Every setting's type and range, in one place, and the one check that applies them.

``LIMITS`` covers the fields of :class:`engine.Config` (plus any that a cell adds);
``SAMPLE_LIMITS`` the arguments of ``Trainer.sample``. The dashboard derives its widget
bounds from these mappings, so a widget can never offer a value the engine refuses, nor
refuse one it accepts.

``Limit.check`` converts as well as checks, and callers keep what it returns: a numpy
integer becomes a Python int (numpy's small ints overflow in ``seq_length + 2``), a
numpy float a Python float. Strings are never numbers here, and neither are bools
(``learning_rate="0.1"`` and ``learning_rate=True`` are refused, naming the setting).
"""
import math
import numbers
from dataclasses import dataclass

from .cells import CELLS  # the vanilla RNN and PyTorch's gated cells

CLIP_MODES = ("value", "norm", "none")
OPTIMIZERS = ("adagrad", "sgd")
WHH_INITS = ("gaussian", "orthogonal", "identity")
MAX_VOCAB = 10_000      # distinct characters: the output layer and Adagrad grow with V * H


@dataclass(frozen=True)
class Limit:
    """What a setting accepts. ``kind`` is int, float or str (a choice).

    int: ``low <= value <= high``. float: finite, ``low < value <= high`` when
    ``open_low`` (a rate or a scale, where 0 means nothing happens), else
    ``low <= value <= high``. str: one of ``choices``."""

    kind: type
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    choices: tuple = ()
    optional: bool = False      # None is allowed (and kept as None)

    def check(self, name, value):
        """``value`` converted to ``kind``; ValueError naming ``name`` if it does not fit."""
        if value is None and self.optional:
            return None
        if self.kind is str:
            if not isinstance(value, str) or value not in self.choices:
                raise ValueError(f"{name} must be one of {', '.join(self.choices)}; "
                                 f"got {value!r}.")
            return str(value)
        if self.kind is int:
            return self._check_int(name, value)
        return self._check_float(name, value)

    def describe(self):
        """The range in words, for messages and help texts."""
        if self.kind is str:
            return "one of " + ", ".join(self.choices)
        if self.kind is int:
            return f"a whole number from {self.low:,} to {self.high:,}"
        above = "above" if self.open_low else "from"
        return f"a finite number {above} {self.low:g} and at most {self.high:g}"

    def _refuse(self, name, value, why=""):
        got = _shown(value)
        raise ValueError(f"{name} must be {self.describe()}{why}; got {got}.")

    def _check_int(self, name, value):
        if _is_bool(value) or not isinstance(value, numbers.Integral):
            if isinstance(value, str):
                self._refuse(name, value, " (a number, not a string)")
            self._refuse(name, value)
        value = int(value)
        if not self.low <= value <= self.high:
            self._refuse(name, value)
        return value

    def _check_float(self, name, value):
        if _is_bool(value) or not isinstance(value, numbers.Real):
            if isinstance(value, str):
                self._refuse(name, value, " (a number, not a string)")
            self._refuse(name, value)
        try:
            v = float(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{name} could not be converted to a number "
                             f"({_shown(value)}); it must be {self.describe()}.") from None
        ok_low = v > self.low if self.open_low else v >= self.low
        if not (math.isfinite(v) and ok_low and v <= self.high):
            self._refuse(name, value)
        return v


def _is_bool(value):
    # numpy's bool_ is not a Python bool, and not an Integral either, but be explicit
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def _shown(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


LIMITS = {
    "hidden_size": Limit(int, 1, 2048),
    "seq_length": Limit(int, 1, 1000),
    "learning_rate": Limit(float, 0.0, 1e4, open_low=True),
    "clip": Limit(str, choices=CLIP_MODES),
    "threshold": Limit(float, 0.0, 1e6, open_low=True),
    "optimizer": Limit(str, choices=OPTIMIZERS),
    "seed": Limit(int, 0, 2**32 - 1),
    "whh_init": Limit(str, choices=WHH_INITS),
    "gain": Limit(float, 0.0, 10.0, open_low=True),
    "scale": Limit(float, 0.0, 10.0, open_low=True),
    "diagnostics_every": Limit(int, 1, 10**9),
    "cell": Limit(str, choices=CELLS),
}

SAMPLE_LIMITS = {
    "n": Limit(int, 0, 100_000),                    # also capped by cost: see sampling.py
    "temperature": Limit(float, 0.0, 100.0, open_low=True),
    "rng_seed": Limit(int, 0, 2**64 - 1, optional=True),
}


def check(name, value, limits=None):
    """``value`` checked and converted by the limit registered for ``name``."""
    table = LIMITS if limits is None else limits
    return table[name].check(name, value)
