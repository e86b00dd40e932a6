"""The value a step starts from, for the cells' one-step backward passes."""
import numpy as np


def before(rows, first, t):
    """Row t-1 of ``rows`` (T, H), or ``first`` for t = 0: what step t starts from (the
    previous h or c). For a slice of steps, the same for each step of it."""
    if isinstance(t, slice):
        return np.concatenate((np.reshape(first, (1, -1)), rows[:-1]))[t]
    return rows[t - 1] if t > 0 else first
