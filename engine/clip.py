"""Gradient clipping and the norms that show what it did."""
import math

import numpy as np

from .limits import CLIP_MODES, LIMITS

__all__ = ["CLIP_MODES", "check_clip", "l2", "norms", "clip_gradients", "clip_checked"]


def check_clip(clip, threshold):
    """The threshold as a float, once ``clip`` and ``threshold`` are known to be valid."""
    LIMITS["clip"].check("clip", clip)
    return LIMITS["threshold"].check("threshold", threshold)


def l2(x):
    """L2 norm of a contiguous vector that does not overflow for huge finite entries.
    NaN if any entry is NaN, inf if any is infinite: a finiteness check for free."""
    n = math.sqrt(np.dot(x, x))
    if math.isinf(n):
        m = float(np.max(np.abs(x)))
        if math.isfinite(m) and m > 0:
            n = m * math.sqrt(np.dot(x / m, x / m))
    return n


def norms(flat, layout):
    """L2 norm of each named slice and of all of them ("global")."""
    dot, sqrt = np.dot, math.sqrt
    out = {name: sqrt(dot(flat[s], flat[s])) for name, s in layout.slices.items()}
    total = math.fsum(v * v for v in out.values())
    if not math.isfinite(total):        # overflow of finite entries, or NaN / inf
        out = {name: l2(flat[s]) for name, s in layout.slices.items()}
        out["global"] = math.hypot(*out.values())
        return out
    out["global"] = sqrt(total)
    return out


def clip_gradients(flat, layout, clip="value", threshold=5.0, before=None):
    """(clipped copy of the gradients, fraction of entries changed per name, norms after
    clipping)."""
    threshold = check_clip(clip, threshold)
    before = norms(flat, layout) if before is None else before
    return clip_checked(flat, layout, clip, threshold, before)


def clip_checked(flat, layout, clip, threshold, before):
    """clip_gradients() once ``clip`` and the float ``threshold`` are known to be valid
    and ``before`` holds the norms of ``flat`` (engine/bptt.py's window checked them)."""
    # min-char-rnn: np.clip(dparam, -5, 5) on every entry. Nothing to clip unless the
    # global L2 norm exceeds the threshold and then, as after the first few hundred
    # iterations at the default sizes (80-95% of steps at hidden 100), unless the
    # largest entry does: two fast reductions decide, instead of a clip and a comparison.
    if clip == "value" and before["global"] > threshold and \
            (flat.max() > threshold or flat.min() < -threshold):
        # A slice whose L2 norm is within the threshold has no entry beyond it, so only
        # the others are counted.
        clipped = np.clip(flat, -threshold, threshold)
        changed = flat != clipped           # one pass over the buffer, not one per slice
        counts = {n: before[n] > threshold and np.count_nonzero(changed[s])
                  for n, s in layout.slices.items()}
        fractions = _fractions(counts, layout)
        return clipped, fractions, _norms_after(clipped, layout, before, counts)
    if clip == "norm" and before["global"] > threshold:
        scale = threshold / before["global"]
        after = {n: v * scale for n, v in before.items()}
        counts = {n: np.count_nonzero(flat[s]) for n, s in layout.slices.items()}
        return flat * scale, _fractions(counts, layout), after
    return flat.copy(), dict.fromkeys((*layout.slices, "global"), 0.0), dict(before)


def _norms_after(clipped, layout, before, counts):
    """norms(clipped), computing only the slices the clip changed: an unchanged slice
    holds the same numbers as before, so its norm is ``before``'s, bit for bit (the
    same dot over the same values), and the global norm sums the same five squares."""
    if not any(counts.values()):
        return dict(before)
    dot, sqrt = np.dot, math.sqrt
    out = {n: sqrt(dot(clipped[s], clipped[s])) if counts[n] else before[n]
           for n, s in layout.slices.items()}
    total = math.fsum(v * v for v in out.values())
    if not math.isfinite(total):        # as norms(): overflow, NaN or inf
        return norms(clipped, layout)
    out["global"] = sqrt(total)
    return out


def _fractions(counts, layout):
    """Entries changed per named slice, as fractions, plus "global"."""
    out = {n: int(counts[n]) / (s.stop - s.start) for n, s in layout.slices.items()}
    out["global"] = sum(int(c) for c in counts.values()) / layout.size
    return out
