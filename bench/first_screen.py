"""First screen as a person meets it: from opening the address in Chromium to the first
chart drawn, for `make run` (`streamlit run dashboard` in this checkout) and, if given,
for an installed `bpttscope` started from an unrelated folder. Servers are started once
and measured in turns (a new browser each time, so nothing is cached in the page).

    .venv/bin/python bench/first_screen.py [--trials 5] [--bpttscope PATH/bin/bpttscope]
"""
import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from serving import HEADLESS, first_chart, serving  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--bpttscope", type=Path, default=None,
                   help="an installed bpttscope script (its own venv)")
    args = p.parse_args()
    runs = {"make run": ([sys.executable, "-m", "streamlit", "run", "dashboard",
                          "--server.port", "{port}", *HEADLESS], ROOT, {})}
    elsewhere = Path(tempfile.mkdtemp(prefix="bpttscope-elsewhere-"))
    if args.bpttscope:
        runs["bpttscope (pip install)"] = (
            [args.bpttscope, "--port", "{port}", *HEADLESS], elsewhere,
            {"BPTTSCOPE_CACHE": str(elsewhere / "cache")})
    times = {name: [] for name in runs}
    with _all(runs) as urls:
        for url in urls.values():               # the server's own first run, not timed
            first_chart(url)
        for _ in range(args.trials):
            for name, url in urls.items():
                times[name].append(first_chart(url))
    for name, seconds in times.items():
        print(f"{name}: first chart after {statistics.median(seconds):.2f} s (median of "
              f"{len(seconds)}; {min(seconds):.2f}-{max(seconds):.2f})")


class _all:
    """Every server in ``runs`` started, their URLs by name."""

    def __init__(self, runs):
        self.contexts = {name: serving(cmd, cwd, env) for name, (cmd, cwd, env) in runs.items()}

    def __enter__(self):
        return {name: ctx.__enter__()[0] for name, ctx in self.contexts.items()}

    def __exit__(self, *exc):
        for ctx in self.contexts.values():
            ctx.__exit__(*exc)


if __name__ == "__main__":
    main()
