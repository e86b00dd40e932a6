"""Gradient clipping and the norms that show what it did."""
import math

import numpy as np

from .params import check_float

CLIP_MODES = ("value", "norm", "none")


def check_clip(clip, threshold):
    if clip not in CLIP_MODES:
        raise ValueError(f"clip must be one of {', '.join(CLIP_MODES)}; got {clip!r}.")
    return check_float("threshold", threshold, 0.0, 1e6)


def l2(x):
    """L2 norm of a contiguous vector that does not overflow for huge finite entries."""
    n = math.sqrt(np.dot(x, x))
    if math.isinf(n):
        m = float(np.max(np.abs(x)))
        if math.isfinite(m):
            n = m * math.sqrt(np.dot(x / m, x / m))
    return n


def norms(flat, layout):
    out = {name: l2(flat[s]) for name, s in layout.slices.items()}
    out["global"] = math.hypot(*out.values()) if len(out) else 0.0
    return out


def clip_gradients(flat, layout, clip="value", threshold=5.0):
    """Return (clipped copy of ``flat``, fraction of entries changed per name)."""
    threshold = check_clip(clip, threshold)
    if clip == "value":
        # min-char-rnn: np.clip(dparam, -5, 5) on every entry.
        clipped = np.clip(flat, -threshold, threshold)
        changed = np.abs(flat) > threshold
        fractions = {n: float(np.count_nonzero(changed[s])) / (s.stop - s.start)
                     for n, s in layout.slices.items()}
        fractions["global"] = float(np.count_nonzero(changed)) / flat.size
        return clipped, fractions
    total = l2(flat)
    if clip == "norm" and total > threshold:
        clipped = flat * (threshold / total)
        fractions = {n: float(np.count_nonzero(flat[s])) / (s.stop - s.start)
                     for n, s in layout.slices.items()}
        fractions["global"] = float(np.count_nonzero(flat)) / flat.size
        return clipped, fractions
    fractions = {n: 0.0 for n in layout.slices}
    fractions["global"] = 0.0
    return flat.copy(), fractions
