"""Bit-identical trajectories across a change: today's engine against an earlier commit.

For every cell (rnn, lstm, gru) and clip mode (value, norm, none), and for both
optimizers, trains the same model for N steps with the engine at COMMIT (bench/before.py)
and with today's engine, alternating step() and run(); after every step compares every
field of the Trace (arrays and dicts of arrays by their bytes, floats by their bits),
and at the end the parameters, the Adagrad memory, hprev, position, smooth loss, the
whole history and samples. Prints one line per run and exits 1 on any difference.

    .venv/bin/python bench/same_trajectories.py [--commit m25] [--steps 150]
"""
import argparse
import dataclasses
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import before  # noqa: E402

import engine  # noqa: E402


def same(a, b):
    """Equal bit for bit (NaN and the sign of zero included), recursively."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and \
            np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() \
            and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is type(b) and struct.pack("<d", a) == struct.pack("<d", b)
    return type(a) is type(b) and a == b


def differences(old, new):
    """The names of the Trace fields that differ."""
    return [f.name for f in dataclasses.fields(new)
            if not same(getattr(old, f.name), getattr(new, f.name))]


def compare(old_engine, cell, clip, optimizer, steps, text):
    settings = dict(hidden_size=24, seq_length=25, cell=cell, clip=clip, optimizer=optimizer,
                    threshold=5.0 if clip != "norm" else 3.0, learning_rate=0.1, seed=3)
    old, new = old_engine.Trainer(text, **settings), engine.Trainer(text, **settings)
    for i in range(steps):
        a, b = (old.step(), new.step()) if i % 2 else (old.run(1), new.run(1))
        diff = differences(a, b)
        if diff:
            return f"step {i}: Trace fields differ: {', '.join(diff)}"
    checks = {"params": (old.params, new.params), "mem": (old.mem, new.mem),
              "hprev": (old.hprev, new.hprev), "cprev": (old.cprev, new.cprev),
              "position": (old.position, new.position),
              "iteration": (old.iteration, new.iteration),
              "smooth_loss": (old.smooth_loss, new.smooth_loss)}
    for name, (x, y) in checks.items():
        if not same(x, y):
            return f"{name} differs"
    ho, hn = old.history, new.history
    if list(ho.columns) != list(hn.columns) or not all(
            same(ho[c].to_numpy(), hn[c].to_numpy()) for c in ho.columns):
        return "history differs"
    for seed in (0, 1):
        if old.sample(300, rng_seed=seed) != new.sample(300, rng_seed=seed):
            return "samples differ"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commit", default="m25", help="the code before the change")
    ap.add_argument("--steps", type=int, default=150)
    args = ap.parse_args()
    old_engine = before.load(args.commit)
    text = (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")
    failed = 0
    ok = "bit-identical (every Trace field, params, memory, state, history, samples)"
    for cell in ("rnn", "lstm", "gru"):
        for clip in ("value", "norm", "none"):
            for optimizer in ("adagrad", "sgd"):
                problem = compare(old_engine, cell, clip, optimizer, args.steps, text)
                failed += problem is not None
                print(f"{cell:>4} clip={clip:<5} {optimizer:<7} {args.steps} steps: "
                      f"{problem or ok}", flush=True)
    print(f"RESULT: {'all bit-identical' if not failed else f'{failed} runs differ'} "
          f"against {args.commit}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
