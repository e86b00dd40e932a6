"""Per-timestep sizes of the backward signal in one window, and where it comes from."""
import numpy as np
import pandas as pd

QUANTITIES = ("dh", "dhnext", "dhraw", "dh_from_output")


def timestep_norms(trace):
    """One row per timestep t: the L2 norms of dh_t, dhnext_t, dhraw_t and
    Why^T dy_t (``dh_from_output``), and ``future_share``: the part of the gradient at
    h_t that arrives from later steps, ||dhnext_t|| / (||Why^T dy_t|| + ||dhnext_t||)
    (0 when both are zero; 0 at t = T-1, where dhnext is zero)."""
    norms = {name: np.linalg.norm(getattr(trace, name), axis=1) for name in QUANTITIES}
    both = norms["dh_from_output"] + norms["dhnext"]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(both > 0, norms["dhnext"] / both, 0.0)
    return pd.DataFrame({"t": np.arange(trace.T), **norms, "future_share": share})
