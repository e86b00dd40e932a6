"""Engine vs the original script's per-timestep loop: time per training iteration.

Runs, in one process and interleaved (A B, then B A, round after round, so that drift in
machine speed cancels), engine.Trainer.run with its full recording against
tests/reference.py's ReferenceTrainer, which does what min-char-rnn does per iteration
(one-hot matmuls, dicts of (H,1) column vectors, per-timestep outer products), on the
same corpus and the same initial parameters.

Bar (issue 2): the engine at least 2.5x faster at hidden 100 / seq_length 25 and at
hidden 256 / seq_length 100. Also reports how time per iteration grows with seq_length
and hidden size.

    .venv/bin/python bench/engine_speed.py [--quick] [--seconds S] [--blas-threads N]
                                           [--before COMMIT]

--before COMMIT also times the engine as it was at COMMIT (bench/before.py) in the same
rounds, so that a change is measured side by side with the code before it.

Both sides run with BLAS on one thread by default (the engine limits itself to one
thread anyway, engine/threads.py; giving the reference the same keeps the comparison
fair and steady on a busy machine). --blas-threads 0 leaves the environment alone.
"""
import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="required sizes only")
    ap.add_argument("--seconds", type=float, default=None,
                    help="time budget per size (default 12 s required, 6 s sweep)")
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="OPENBLAS/OMP/MKL_NUM_THREADS to set before numpy is imported "
                         "(default 1; 0 = leave the environment alone)")
    ap.add_argument("--step-loop", action="store_true",
                    help="time the engine by calling Trainer.step() once per iteration "
                         "instead of Trainer.run(n) (what a check written as a loop of "
                         "step() calls times)")
    ap.add_argument("--before", default=None, metavar="COMMIT",
                    help="also time the engine at this commit, in the same rounds")
    return ap.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None and ARGS.blas_threads:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.blas_threads)

import numpy as np  # noqa: E402
import reference as ref  # noqa: E402

import engine  # noqa: E402

OLD = None      # the engine at --before COMMIT, imported beside today's

BAR = 2.5
REQUIRED = [(100, 25), (256, 100)]
SEQ_SWEEP = [(100, 10), (100, 25), (100, 50), (100, 100)]
HIDDEN_SWEEP = [(32, 25), (64, 25), (128, 25), (256, 25), (512, 25)]


def corpus():
    return (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")


def make_pair(text, H, T, seed=0):
    V = len(ref.build_vocab(text)[0])
    params = ref.random_params(V, H, seed=seed)           # min-char-rnn's init
    eng = engine.Trainer(text, hidden_size=H, seq_length=T, params=params)
    base = ref.ReferenceTrainer(text, params, seq_length=T)
    if OLD is not None:
        return eng, base, OLD.Trainer(text, hidden_size=H, seq_length=T, params=params)
    return eng, base


def print_exponent(size, rows):
    """The k in time ~ size^k for both sides, from a log-log fit over ``rows``."""
    xs = [r[size] for r in rows]
    print(f"    exponent k in time ~ {size}^k: engine "
          f"{slope(xs, [r['engine'] for r in rows]):.2f}, reference "
          f"{slope(xs, [r['reference'] for r in rows]):.2f}")


class StepLoop:
    """A Trainer timed through one step() call per iteration."""

    def __init__(self, trainer):
        self.trainer = trainer

    def run(self, n):
        for _ in range(n):
            self.trainer.step()


def timed(fn, n):
    t0 = time.perf_counter()
    fn(n)
    return (time.perf_counter() - t0) / n * 1e3      # ms per iteration


def measure(text, H, T, seconds):
    """Median ms/iter of each side over interleaved rounds lasting ~``seconds`` total."""
    sides = dict(zip(("engine", "reference", "before"), make_pair(text, H, T), strict=False))
    if ARGS is not None and ARGS.step_loop:
        sides = {name: StepLoop(side) if name != "reference" else side
                 for name, side in sides.items()}
    for side in sides.values():
        side.run(25)                                   # warm up (and first-step costs)
    # iterations per round: a multiple of 25 (the engine's history diagnostics come
    # every 250 iterations after the dense start, see Config.diagnostics_every)
    probe = sum(timed(side.run, 25) for side in sides.values()) * 2 / len(sides)
    per_round = max(25, int(round(0.35 / (probe * 1e-3) / 25)) * 25)
    rounds = max(4, int(seconds / (probe * 1e-3 * per_round)))
    rounds += rounds % 2
    ms = {name: [] for name in sides}
    names = list(sides)
    for i in range(rounds):                            # the order rotates every round
        for name in names[i % len(names):] + names[:i % len(names)]:
            ms[name].append(timed(sides[name].run, per_round))
    e_ms, r_ms = ms["engine"], ms["reference"]
    ratios = [r / e for r, e in zip(r_ms, e_ms, strict=True)]
    out = {"H": H, "T": T, "engine": statistics.median(e_ms),
           "reference": statistics.median(r_ms), "ratio": statistics.median(ratios),
           "ratio_lo": min(ratios), "ratio_hi": max(ratios), "rounds": rounds,
           "iters": per_round}
    if "before" in ms:
        old = [r / b for r, b in zip(r_ms, ms["before"], strict=True)]
        gain = [b / e for b, e in zip(ms["before"], e_ms, strict=True)]
        out.update(before=statistics.median(ms["before"]), before_ratio=statistics.median(old),
                   before_lo=min(old), before_hi=max(old), gain=statistics.median(gain),
                   gain_lo=min(gain), gain_hi=max(gain))
    return out


def fresh(text, H, T, n=1000, rounds=3):
    """Median ms/iter of a Trainer's first ``n`` iterations and the reference's, in
    interleaved rounds, each on a new pair: what a check that times a fresh Trainer
    sees. It includes the history's dense early diagnostics (Whh's spectrum, reach and
    horizon at iterations 0, 1, 2, 4, ..., 512 and every 250), which the rounds of
    measure() mostly miss once the run is past them."""
    ms = {"engine": [], "reference": []}
    for i in range(rounds):
        eng, base = make_pair(text, H, T)[:2]
        order = [("engine", eng), ("reference", base)]
        for name, side in order[i % 2:] + order[:i % 2]:
            ms[name].append(timed(side.run, n))
    e, r = statistics.median(ms["engine"]), statistics.median(ms["reference"])
    return e, r, r / e


def slope(xs, ys):
    """Least-squares exponent k in y ~ x^k."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    covariance = sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True))
    return covariance / sum((a - mx) ** 2 for a in lx)


def main(args):
    global OLD
    if args.before:
        import before
        OLD = before.load(args.before)
    text = corpus()
    threads = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                          "MKL_NUM_THREADS") if k in os.environ}
    print(f"engine_speed: corpus prose.txt ({len(text):,} chars, vocab "
          f"{len(set(text))}), Adagrad lr 0.1, value clip 5; numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, BLAS threads env: {threads or 'default'}")
    print(f"engine = engine.Trainer.{'step() in a loop' if args.step_loop else 'run'} (full "
          f"recording); reference = tests/reference.py per-timestep loop (min-char-rnn style)")
    print("medians over interleaved rounds (A/B, B/A, ...)\n")

    sizes = list(REQUIRED)
    if not args.quick:
        for s in SEQ_SWEEP + HIDDEN_SWEEP:
            if s not in sizes:
                sizes.append(s)
    results = {}
    header = (f"{'hidden':>6} {'seq':>4} {'engine ms/it':>13} {'reference ms/it':>16} "
              f"{'speedup':>8} {'(min..max)':>14} {'rounds':>7}")
    print(header)
    print("-" * len(header))
    t_start = time.perf_counter()
    for H, T in sizes:
        budget = args.seconds or (12.0 if (H, T) in REQUIRED else 6.0)
        r = measure(text, H, T, budget)
        results[(H, T)] = r
        mark = "  <- required" if (H, T) in REQUIRED else ""
        print(f"{H:>6} {T:>4} {r['engine']:>13.3f} {r['reference']:>16.3f} "
              f"{r['ratio']:>7.2f}x {r['ratio_lo']:>6.2f}..{r['ratio_hi']:<6.2f} "
              f"{r['rounds']:>4}x{r['iters']}{mark}", flush=True)
        if "before" in r:
            print(f"{'':>6} {'':>4} {r['before']:>13.3f} {'(before: ' + args.before + ')':>16} "
                  f"{r['before_ratio']:>7.2f}x {r['before_lo']:>6.2f}..{r['before_hi']:<6.2f}"
                  f"  now {r['gain']:.2f}x faster than before "
                  f"({r['gain_lo']:.2f}..{r['gain_hi']:.2f})", flush=True)

    e, r, ratio = fresh(text, *REQUIRED[0])
    print(f"{REQUIRED[0][0]:>6} {REQUIRED[0][1]:>4} {e:>13.3f} {r:>16.3f} {ratio:>7.2f}x"
          f"   a fresh Trainer's first 1,000 iterations (early diagnostics included)",
          flush=True)

    if not args.quick:
        print("\nGrowth of time per iteration")
        seq = [results[s] for s in SEQ_SWEEP]
        hid = [results[s] for s in HIDDEN_SWEEP]
        print("  with seq_length at hidden 100 (ms/iter per character of window):")
        for r in seq:
            print(f"    T={r['T']:>3}: engine {r['engine'] / r['T'] * 1e3:7.1f} us/char, "
                  f"reference {r['reference'] / r['T'] * 1e3:7.1f} us/char")
        print_exponent("T", seq)
        print("  with hidden size at seq_length 25:")
        for r in hid:
            print(f"    H={r['H']:>3}: engine {r['engine']:7.3f} ms, reference "
                  f"{r['reference']:7.3f} ms, speedup {r['ratio']:.2f}x")
        print_exponent("H", hid)

    print(f"\ntotal bench time {time.perf_counter() - t_start:.0f} s")
    noisy = [s for s, r in results.items() if r["ratio_hi"] > 1.5 * r["ratio_lo"]]
    if noisy:
        print(f"note: rounds disagree by more than 1.5x at {noisy}: the machine was busy "
              f"(medians are still reported); rerun for a quieter figure.")
    ok = True
    for H, T in REQUIRED:
        r = results[(H, T)]
        met = r["ratio"] >= BAR
        ok &= met
        print(f"BAR hidden {H} / seq_length {T}: {r['ratio']:.2f}x "
              f"{'>=' if met else '<'} {BAR}x -> {'MET' if met else 'NOT MET'}")
    print(f"RESULT: speed bar (>= {BAR}x at both required sizes) "
          f"{'MET' if ok else 'NOT MET'}")


if __name__ == "__main__":
    main(ARGS)
