"""Soak: train 50k iterations and report memory growth (history and process RSS).

Usage: python bench/soak.py [iterations]
"""
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import engine  # noqa: E402


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(n=50_000):
    text = engine.read_sample("prose.txt")
    tr = engine.Trainer(text)
    tr.run(100)
    base_rss = rss_mb()
    start = time.perf_counter()
    marks = []
    for _ in range(10):
        tr.run(n // 10)
        marks.append((tr.iteration, tr.history_store.nbytes / 1e6, rss_mb() - base_rss))
    elapsed = time.perf_counter() - start
    hist = tr.history_store
    print(f"soak: {n:,} iterations in {elapsed:.0f} s ({n / elapsed:,.0f} it/s), "
          f"smooth loss {tr.smooth_loss:.2f}")
    print(f"{'iteration':>10} {'history MB':>11} {'RSS growth MB':>14}")
    for it, traced, rss in marks:
        print(f"{it:>10,} {traced:>11.2f} {rss:>14.2f}")
    per_iter = (marks[-1][2] * 1e6) / n
    print(f"history: {len(hist):,} rows, {hist.nbytes / 1e6:.2f} MB allocated "
          f"({hist.nbytes / max(len(hist), 1):.0f} bytes per row incl. spare capacity)")
    print(f"RSS growth per iteration: {per_iter:.0f} bytes (bar: well under 1 KB); "
          f"history stores {len(engine.history.COLUMNS) * 8} bytes per row")
    frame_mb = tr.history.memory_usage(deep=True).sum() / 1e6
    print(f"history as a DataFrame: {frame_mb:.2f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
