"""Per-iteration scalars, stored as growing float64 columns (not a dict per row)."""
import numpy as np
import pandas as pd

from .params import NAMES

COLUMNS = (
    ["iteration", "position", "loss", "smooth_loss"]
    + [f"grad_norm_{n}" for n in (*NAMES, "global")]       # before clipping
    + [f"clipped_norm_{n}" for n in (*NAMES, "global")]    # after clipping
    + ["clip_fraction",      # fraction of all gradient entries the clip changed
       "dhprev_norm",        # ||dhprev||: the gradient truncation drops
       "dh_ratio",           # ||dh_0|| / ||dh_{T-1}||
       "reach",              # ||dL_{T-1}/dh_0|| / ||dL_{T-1}/dh_{T-1}||
       "horizon",            # norm-weighted mean loss-to-step distance of dWhh (with reach)
       "saturation",         # fraction of units with |h| > 0.99 over the window
       "sigma_max",          # largest singular value of Whh (every k iterations)
       "spectral_radius"]    # largest |eigenvalue| of Whh (every k iterations)
)


# Columns that may hold NaN (not measured at this iteration, or 0/0) or inf; every other
# column is finite in any row a successful step wrote.
MAY_BE_NAN = ("dh_ratio", "reach", "horizon", "sigma_max", "spectral_radius")


class History:
    """Columns of float64 that double in capacity: 8 bytes per column per row."""

    def __init__(self, capacity=1024):
        self._cols = {c: np.full(capacity, np.nan) for c in COLUMNS}
        self._n = 0
        self._frame = None

    def __len__(self):
        return self._n

    def append(self, row):
        if self._n == len(self._cols["loss"]):
            for c, col in self._cols.items():
                grown = np.full(2 * len(col), np.nan)
                grown[: self._n] = col
                self._cols[c] = grown
        for c, value in row.items():
            self._cols[c][self._n] = value
        self._n += 1
        self._frame = None

    @property
    def nbytes(self):
        return sum(col.nbytes for col in self._cols.values())

    def frame(self):
        if self._frame is None:
            # copy=True: the frame must not share the growing buffers
            frame = pd.DataFrame({c: col[: self._n] for c, col in self._cols.items()},
                                 copy=True)
            frame["iteration"] = frame["iteration"].astype(np.int64)
            frame["position"] = frame["position"].astype(np.int64)
            self._frame = frame
        return self._frame

    def copy(self):
        twin = History(capacity=len(self._cols["loss"]))
        twin._cols = {c: col.copy() for c, col in self._cols.items()}
        twin._n = self._n
        return twin

    def recorded(self, name):
        """One column's recorded values (a read-only view, no copy)."""
        view = self._cols[name][: self._n]
        view.flags.writeable = False
        return view

    def __getstate__(self):
        return {"_cols": {c: col[: self._n] for c, col in self._cols.items()}, "_n": self._n,
                "_frame": None}        # the filled rows only; a frame is rebuilt on demand

    def __setstate__(self, state):
        vars(self).update(state)
        self._cols = {c: np.concatenate([col, np.full(max(1024, len(col)), np.nan)])
                      for c, col in self._cols.items()}

    def rows_since(self, k):
        """Columns of the rows from row ``k`` on (copies)."""
        return {c: col[k: self._n].copy() for c, col in self._cols.items()}

    def extend(self, arrays):
        """Append the rows of ``arrays`` (column -> (n,) float64, as rows_since gives)."""
        n = len(arrays["loss"])
        capacity = len(self._cols["loss"])
        if self._n + n > capacity:
            capacity = max(2 * capacity, self._n + n)
            for c, col in self._cols.items():
                grown = np.full(capacity, np.nan)
                grown[: self._n] = col[: self._n]
                self._cols[c] = grown
        for c, col in arrays.items():
            self._cols[c][self._n: self._n + n] = col
        self._n += n
        self._frame = None

    def to_arrays(self):
        return {c: col[: self._n].copy() for c, col in self._cols.items()}

    @classmethod
    def from_arrays(cls, arrays):
        n = len(arrays["loss"]) if arrays else 0
        hist = cls(capacity=max(1024, n))
        for c in COLUMNS:
            if c in arrays:
                hist._cols[c][:n] = arrays[c]
        hist._n = n
        return hist
