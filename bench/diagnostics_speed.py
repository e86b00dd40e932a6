"""Time the per-window diagnostics the dashboard draws: loss_to_state, jacobian_norms,
whh_spectrum and reach, for one window, next to the cost of the training step itself.

    .venv/bin/python bench/diagnostics_speed.py
"""
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import engine  # noqa: E402

SIZES = [(25, 100), (50, 100), (25, 256)]      # (seq_length, hidden)


def median_ms(fn, min_runs=3, max_runs=15, budget=2.0):
    """Median wall time of ``fn()`` in ms: at least min_runs, at most max_runs, and no
    more runs once ``budget`` seconds are spent. A first call that takes over a second
    counts as a run (no separate warm-up for the slow ones)."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    times = [first * 1e3] if first > 1.0 else []
    spent = sum(times) / 1e3
    while len(times) < max_runs and (len(times) < min_runs or spent < budget):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        times.append(dt * 1e3)
        spent += dt
    return statistics.median(times), len(times)


def main():
    text = (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"diagnostics_speed: one window of prose.txt after 50 training steps; median ms "
          f"(runs); numpy {np.__version__}, {os.cpu_count()} CPUs, OPENBLAS_NUM_THREADS "
          f"{threads} (the engine itself runs BLAS on one thread)\n")
    funcs = [
        ("loss_to_state", lambda tr, p: engine.loss_to_state(tr, p)),
        ("jacobian_norms", lambda tr, p: engine.jacobian_norms(tr, p)),
        ("whh_spectrum", lambda tr, p: engine.whh_spectrum(p)),
        ("reach", lambda tr, p: engine.reach(tr, p)),
        ("train step", None),      # last: it moves the trainer on
    ]
    header = f"{'T':>4} {'H':>4}  " + "  ".join(f"{name:>16}" for name, _ in funcs)
    print(header)
    print("-" * len(header))
    t_start = time.perf_counter()
    for T, H in SIZES:
        trainer = engine.Trainer(text, hidden_size=H, seq_length=T, seed=0)
        trainer.run(50)
        trace, params = trainer.trace, trainer.params
        cells = []
        for _name, fn in funcs:
            if fn is None:   # mean over 50 steps: includes the every-25-steps spectrum
                ms, runs = median_ms(lambda tr=trainer: tr.run(50), min_runs=3, max_runs=5)
                ms /= 50
            else:
                ms, runs = median_ms(lambda f=fn, tc=trace, p=params: f(tc, p))
            cells.append(f"{ms:10.3f} ({runs:>2})")
        print(f"{T:>4} {H:>4}  " + "  ".join(f"{c:>16}" for c in cells), flush=True)
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s. 'train step' is the mean time "
          f"of one Trainer.step() (full recording) over 50 steps, for comparison.")


if __name__ == "__main__":
    main()
