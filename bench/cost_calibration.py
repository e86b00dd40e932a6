"""Calibrate and check engine/cost.py: measured step time, peak memory, spectrum time
and sampling time over a grid of configurations, a non-negative least-squares fit of the
cost model's constants (relative error weighted), and the accuracy of the constants
engine/cost.py currently holds (estimate / measured, per configuration).

    .venv/bin/python bench/cost_calibration.py [--quick]

Step time: median over steps that record no diagnostics (iterations that are not powers
of two, diagnostics_every huge). Memory: tracemalloc's peak from building the Trainer
through three steps (numpy reports its allocations to tracemalloc), in its own pass so
tracing does not slow the timed one. Copy the fitted constants into engine/cost.py.
"""
import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import engine  # noqa: E402
from engine import cost  # noqa: E402

GRID = [(V, H, T) for V in (50, 500, 3000) for H in (32, 256, 1024) for T in (25, 200)]
EXTRA = [(5000, 512, 400), (100, 2048, 25), (1000, 64, 1000)]   # held out of the fit
QUICK = [(50, 32, 25), (500, 256, 25), (3000, 256, 200), (50, 1024, 25)]


def corpus(V, T):
    chars = [chr(0x4E00 + i) for i in range(V)]
    rng = np.random.default_rng(0)
    n = max(6 * T + 10, 2 * V)
    ids = np.concatenate([np.arange(V), rng.integers(0, V, n)])     # every char present
    return "".join(chars[i] for i in ids)


def measure(V, H, T, steps):
    text = corpus(V, T)
    tracemalloc.start()
    tr = engine.Trainer(text, hidden_size=H, seq_length=T, diagnostics_every=10**9)
    tr.run(3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del tr
    tr = engine.Trainer(text, hidden_size=H, seq_length=T, diagnostics_every=10**9)
    times = []
    while len(times) < steps:
        t0 = time.perf_counter()
        tr.step()
        dt = time.perf_counter() - t0
        if (tr.iteration - 1) & (tr.iteration - 2) and tr.iteration > 3:   # no diagnostics
            times.append(dt)
    t0 = time.perf_counter()
    engine.whh_spectrum(tr.params)
    spectrum = time.perf_counter() - t0
    n = max(20, min(2000, int(0.3 / max(cost.sample_seconds(1, V, H), 1e-7))))
    t0 = time.perf_counter()
    tr.sample(n, rng_seed=0)
    per_char = (time.perf_counter() - t0) / n
    return {"step": statistics.median(times), "peak": peak, "spectrum": spectrum,
            "per_char": per_char}


def time_features(V, H, T):
    P = cost.parameter_count(V, H)
    cached = 8 * H * H <= cost.CACHE_BYTES
    return [2 * T * H * H * cached, 2 * T * H * H * (not cached), T * H * (4 * V + H), T * V,
            P, T, 1.0]


def nnls(A, b):
    """Least squares with coefficients >= 0 (drop the negative ones and refit)."""
    active = list(range(A.shape[1]))
    while True:
        x, *_ = np.linalg.lstsq(A[:, active], b, rcond=None)
        if (x >= 0).all():
            out = np.zeros(A.shape[1])
            out[active] = x
            return out
        active = [a for a, xi in zip(active, x, strict=True) if xi > 0]


def fit(rows, features, key):
    A = np.array([features(*cfg) for cfg, _ in rows], dtype=float)
    b = np.array([m[key] for _, m in rows], dtype=float)
    w = 1.0 / b                                 # relative errors
    return nnls(A * w[:, None], b * w)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    cost.REFUSE_BYTES, cost.REFUSE_SECONDS = float("inf"), float("inf")   # measure anything
    grid = QUICK if args.quick else GRID
    rows = []
    for cfg in grid + ([] if args.quick else EXTRA):
        m = measure(*cfg, steps=5 if cfg[2] * cfg[1] ** 2 > 1e8 else 15)
        rows.append((cfg, m))
        est = cost.estimate_cost(*cfg, text_length=len(corpus(cfg[0], cfg[2])))
        print(f"V={cfg[0]:5d} H={cfg[1]:5d} T={cfg[2]:5d}  step {m['step'] * 1e3:9.2f} ms "
              f"(est/meas {est.seconds_per_step / m['step']:5.2f})  peak "
              f"{m['peak'] / 1e6:8.1f} MB (est/meas {est.peak_bytes / m['peak']:5.2f})  "
              f"spectrum {m['spectrum'] * 1e3:8.1f} ms  sample {m['per_char'] * 1e6:7.1f} "
              f"us/char (est/meas {cost.sample_seconds(1, cfg[0], cfg[1]) / m['per_char']:5.2f})",
              flush=True)
    fitted = [r for r in rows if r[0] in grid]
    names = ["RECURRENT (2 T H^2)", "UNCACHED (2 T H^2)", "MATMUL (T H (4V+H))",
             "OUTPUT (T V)", "PARAM (P)",
             "TIMESTEP (T)", "STEP (1)"]
    print("\nfitted seconds per unit of work:")
    for name, c in zip(names, fit(fitted, time_features, "step"), strict=True):
        print(f"  {name:22s} {c:.3g}")
    mem = fit(fitted, lambda V, H, T: [cost.parameter_count(V, H), T * V, T * H, 1.0], "peak")
    print(f"fitted bytes:  per parameter {mem[0]:.3g} ({mem[0] / 8:.1f} float64 copies), "
          f"per (t, v) {mem[1]:.3g}, per (t, h) {mem[2]:.3g}, fixed {mem[3]:.3g}")
    big = [r for r in fitted if r[0][1] >= 256]
    eig = statistics.median(m["spectrum"] / r[1] ** 3 for r, m in big)
    print(f"spectrum: {eig:.3g} s per H^3 (median over H >= 256)")
    samp = fit(fitted, lambda V, H, T: [H * H + V * H, V, 1.0], "per_char")
    print("sampling per character: {:.3g} s per (H^2 + V H), {:.3g} per V, {:.3g} fixed"
          .format(*samp))
    ratios_t = [cost.estimate_cost(*c).seconds_per_step / m["step"] for c, m in rows]
    ratios_m = [cost.estimate_cost(*c, text_length=len(corpus(c[0], c[2]))).peak_bytes
                / m["peak"] for c, m in rows]
    for what, r in (("time", ratios_t), ("memory", ratios_m)):
        dev = [abs(x - 1) for x in r]
        print(f"current constants, {what}: estimate/measured median {statistics.median(r):.2f}, "
              f"median |error| {statistics.median(dev):.0%}, worst {max(dev):.0%} "
              f"(range {min(r):.2f}..{max(r):.2f})")
    big = cost.estimate_cost(10_000, 2048, 1000)
    print(f"largest allowed settings (V 10,000, H 2048, T 1000): estimated "
          f"{big.seconds_per_step:.1f} s per step, {big.peak_bytes / 1e9:.1f} GB "
          "(the outside tester measured 21 s for the first step, 4.4 GB)")


if __name__ == "__main__":
    main()
