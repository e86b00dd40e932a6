"""Time the attribution functions (engine/attribution.py) for one window, and what the
horizon column costs the training loop.

Targets (issue 10), at hidden 100 / seq_length 25: input_saliency and
whh_gradient_by_distance a few ms each, beyond_window(k=4) within 20 ms. The functions
are timed round-robin (each round calls every function once, in a rotating order), so
that drift in machine speed hits all of them alike; medians over the rounds.

The horizon joins Trainer.history on reach's sparse schedule (iterations 0, 1, 2, 4, ...
and every diagnostics_every); its cost per training iteration is measured as an A/B of
Trainer.run with and without it, interleaved.

    .venv/bin/python bench/attribution_speed.py [--rounds N]
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import engine  # noqa: E402
import engine.trainer  # noqa: E402

TARGET_MS = {"input_saliency": 5.0, "whh_gradient_by_distance": 5.0,
             "beyond_window(k=4)": 20.0}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=60, help="timing rounds (default 60)")
    return ap.parse_args()


def round_robin(funcs, rounds):
    """name -> list of ms, each function called once per round in a rotating order."""
    times = {name: [] for name in funcs}
    names = list(funcs)
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            t0 = time.perf_counter()
            funcs[name]()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return times


def history_overhead(text, rounds, iters=250):
    """Median ms per iteration of Trainer.run(iters) with and without the horizon
    column, interleaved A/B, B/A; two trainers so that each keeps its own trajectory."""
    with_h = engine.Trainer(text, hidden_size=100, seq_length=25)
    without = engine.Trainer(text, hidden_size=100, seq_length=25)
    real = engine.trainer.gradient_horizon

    def run(tr, on):
        engine.trainer.gradient_horizon = real if on else (lambda trace, params: np.nan)
        try:
            t0 = time.perf_counter()
            tr.run(iters)
            return (time.perf_counter() - t0) / iters * 1e3
        finally:
            engine.trainer.gradient_horizon = real

    run(with_h, True)
    run(without, False)
    a, b = [], []
    for r in range(rounds):
        if r % 2 == 0:
            a.append(run(with_h, True))
            b.append(run(without, False))
        else:
            b.append(run(without, False))
            a.append(run(with_h, True))
    ratios = [x / y for x, y in zip(a, b, strict=False)]
    return statistics.median(a), statistics.median(b), ratios


def main(args):
    text = (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")
    print(f"attribution_speed: one window of prose.txt after 100 training steps, hidden "
          f"100 / seq_length 25; numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"OPENBLAS_NUM_THREADS {os.environ.get('OPENBLAS_NUM_THREADS', 'default')} "
          f"(the engine runs BLAS on one thread)\n")
    tr = engine.Trainer(text, hidden_size=100, seq_length=25)
    tr.run(100)
    trace, params = tr.trace, tr.trace.params
    funcs = {
        "input_saliency": lambda: engine.input_saliency(trace, params),
        "whh_gradient_by_distance": lambda: engine.whh_gradient_by_distance(trace, params),
        "gradient_horizon": lambda: engine.gradient_horizon(trace, params),
        "whh_piece_norms": lambda: engine.whh_piece_norms(trace, params),
        "distance + piece norms, apart": lambda: (engine.whh_distance_norms(trace, params),
                                                  engine.whh_piece_norms(trace, params)),
        "whh_horizon_parts (both)": lambda: engine.whh_horizon_parts(trace, params),
        "beyond_window(k=4)": lambda: engine.beyond_window(tr, windows=4),
        "loss_to_state (for scale)": lambda: engine.loss_to_state(trace, params),
        "bptt, one window (for scale)": lambda: engine.bptt(params, trace.inputs,
                                                            trace.targets, trace.hprev),
    }
    for fn in funcs.values():      # warm up
        fn()
    times = round_robin(funcs, args.rounds)
    print(f"{'function':<30} {'median ms':>10} {'min':>8} {'max':>8}   target")
    ok = True
    for name, ts in times.items():
        med = statistics.median(ts)
        target = TARGET_MS.get(name)
        verdict = ""
        if target is not None:
            met = med <= target
            ok &= met
            verdict = f"<= {target:g} ms {'MET' if met else 'NOT MET'}"
        print(f"{name:<30} {med:>10.3f} {min(ts):>8.3f} {max(ts):>8.3f}   {verdict}")
    print(f"({args.rounds} round-robin rounds)\n")

    horizon = statistics.median(times["gradient_horizon"])
    step = statistics.median(round_robin({"step": tr.step}, 4 * args.rounds)["step"])
    every = tr.config.diagnostics_every
    print(f"The horizon column: {horizon:.3f} ms once every {every} iterations = "
          f"{horizon / every * 1e3:.2f} us per iteration, {horizon / every / step:.2%} of "
          f"a training step ({step:.3f} ms median)")
    a, b, ratios = history_overhead(text, rounds=max(6, args.rounds // 3))
    print(f"  measured, Trainer.run over {every}-iteration runs, interleaved A/B: with "
          f"{a:.4f} ms/iteration, without {b:.4f}; ratio with/without: median "
          f"{statistics.median(ratios):.3f}, rounds {min(ratios):.3f}..{max(ratios):.3f}")
    print(f"RESULT: attribution targets {'MET' if ok else 'NOT MET'}")


if __name__ == "__main__":
    main(parse_args())
