"""The errors the engine raises for a person to read."""


class CorpusError(ValueError):
    """The text cannot be trained on; the message says why and what to do."""


class CostError(ValueError):
    """Work refused before it starts because the cost model (engine/cost.py) puts it
    over its time or memory limit; the message gives the estimate and what to lower."""


class DivergenceError(FloatingPointError):
    """A training step produced a non-finite loss, gradient or update.

    The trainer is left exactly as it was before the step. ``quantity`` and
    ``timestep`` say where the first non-finite value appeared.
    """

    def __init__(self, message, quantity=None, timestep=None, iteration=None):
        super().__init__(message)
        self.quantity = quantity
        self.timestep = timestep
        self.iteration = iteration
