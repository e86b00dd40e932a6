"""What bpttscope.torch.watch costs a user's training, and what its log costs to open.

A training step = forward of a 2-layer nn.RNN / nn.LSTM / nn.GRU (hidden 256, T 100,
batch 32, float32) + nn.Linear head, cross-entropy, backward, clip_grad_norm_(1.0),
Adam step. Three kinds of step, timed in interleaved rounds (the order rotates each
round; each figure is the median of per-round ratios, so drift in machine speed cancels):
  plain      the model, not watched
  recorded   watched, on a recording step: each layer one autograd node with BPTT
             written out (bpttscope/torch/recurrence.py), the .npz written
  between    watched, between recording steps: only the optimizer's step counter
Averaged over training at every=100: (99 (plain + the hooks' own time) + 1 recorded) /
(100 plain); the "between" ratio is printed too, but on a busy machine it varies by far
more than the hooks cost (they are timed alone: two Python calls per optimizer step).
Also: bytes per recorded step (examples=4), and the time to open a folder of 1,000
recorded steps (engine.open_logdir + the run's history over all steps + reading the
newest step: what the dashboard does on opening it), and the dashboard's first run on
it (AppTest).

Targets (issue 25): recorded <= 1.35x LSTM, <= 1.15x GRU / RNN; averaged <= 1.01x;
opening 1,000 steps <= 3 s.

    .venv/bin/python bench/torch_watch.py [--rounds 7] [--threads 1] [--cells lstm,gru,rnn]
"""
import argparse
import copy
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import bpttscope.torch as scope_torch  # noqa: E402
import engine  # noqa: E402

H, T, B, LAYERS, V, FEATURES = 256, 100, 32, 2, 64, 64


class Model(torch.nn.Module):
    def __init__(self, cell, hidden=H, layers=LAYERS):
        super().__init__()
        self.rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU,
                    "rnn": torch.nn.RNN}[cell](FEATURES, hidden, num_layers=layers,
                                               batch_first=True)
        self.head = torch.nn.Linear(hidden, V)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


def step(model, opt, x, y):
    loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, V), y.reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def overhead(cell, rounds, logdir):
    torch.manual_seed(0)
    x, y = torch.randn(B, T, FEATURES), torch.randint(0, V, (B, T))
    plain = Model(cell)
    watched, between = copy.deepcopy(plain), copy.deepcopy(plain)
    opts = {name: torch.optim.Adam(m.parameters(), lr=1e-4)
            for name, m in (("plain", plain), ("watched", watched), ("between", between))}
    rec_scope = scope_torch.watch(watched, opts["watched"], logdir=f"{logdir}/{cell}",
                                  every=1)
    mid_scope = scope_torch.watch(between, opts["between"], logdir=f"{logdir}/{cell}-b",
                                  every=10**9)
    opts["between"].step()             # step 0 is a recording step: pass it
    runs = {"plain": lambda: step(plain, opts["plain"], x, y),
            "recorded": lambda: step(watched, opts["watched"], x, y),
            "between": lambda: step(between, opts["between"], x, y)}
    for fn in runs.values():
        fn()                            # warm up
    ratios = {"recorded": [], "between": []}
    times = {name: [] for name in runs}
    order = list(runs)
    for r in range(rounds):
        got = {}
        for name in order[r % 3:] + order[: r % 3]:
            got[name] = timed(runs[name])
            times[name].append(got[name])
        for name in ratios:
            ratios[name].append(got[name] / got["plain"])
    # between recording steps watch adds two optimizer hooks and nothing else: their
    # cost, timed alone (a whole step's time varies by more than they cost)
    calls = 20000
    start = time.perf_counter()
    for _ in range(calls):
        mid_scope._before_update(None, (), {})
        mid_scope._after_update(None, (), {})
    hooks = (time.perf_counter() - start) / calls
    rec_scope.close()
    mid_scope.close()
    files = sorted(Path(f"{logdir}/{cell}").glob("step_*.npz"))
    return ({k: statistics.median(v) for k, v in ratios.items()},
            {**{k: statistics.median(v) for k, v in times.items()}, "hooks": hooks},
            files[-1].stat().st_size)


def open_folder(n_steps, logdir):
    """A folder of n recorded steps of a small 2-layer LSTM (H 32, T 50, examples 4),
    written by watch itself; then the time to open it as the dashboard does."""
    torch.manual_seed(0)
    model = Model("lstm", hidden=32)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    x, y = torch.randn(8, 50, FEATURES), torch.randint(0, V, (8, 50))
    folder = f"{logdir}/thousand/run"
    scope = scope_torch.watch(model, opt, logdir=folder, every=1)
    for _ in range(n_steps):
        step(model, opt, x, y)
    scope.close()
    start = time.perf_counter()
    runs = engine.open_logdir(f"{logdir}/thousand")
    run = runs["run"]
    history = run.history()
    rec = run.read(run.steps[-1])
    rec.layers["rnn.l0"].trace(0)
    seconds = time.perf_counter() - start
    assert len(history) == n_steps, len(history)
    return seconds, folder


def dashboard_first_run(folder):
    from streamlit.testing.v1 import AppTest
    os.environ["BPTTSCOPE_LOGDIR"] = os.path.dirname(folder)
    at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"),
                           default_timeout=300)
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    assert not at.exception, at.exception
    return seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cells", default="lstm,gru,rnn")
    ap.add_argument("--steps", type=int, default=1000, help="steps in the folder opened")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    targets = {"lstm": 1.35, "gru": 1.15, "rnn": 1.15}
    with tempfile.TemporaryDirectory() as logdir:
        print(f"2 layers x {H}, T {T}, batch {B}, float32, torch {torch.__version__}, "
              f"{args.threads} thread(s), {args.rounds} rounds")
        for cell in [c for c in args.cells.split(",") if c]:
            ratios, times, nbytes = overhead(cell, args.rounds, logdir)
            averaged = (99 * (1 + times["hooks"] / times["plain"]) + ratios["recorded"]) / 100
            print(f"{cell:4s}  plain step {times['plain'] * 1e3:7.1f} ms  "
                  f"recorded {ratios['recorded']:.2f}x (target <= {targets[cell]:.2f}x)  "
                  f"between {ratios['between']:.3f}x (hooks alone "
                  f"{times['hooks'] * 1e6:.1f} us)  averaged at every=100 "
                  f"{averaged:.3f}x (target <= 1.01x)  {nbytes / 1e6:.1f} MB per "
                  f"recorded step")
        seconds, folder = open_folder(args.steps, logdir)
        print(f"open a folder of {args.steps} recorded steps (open_logdir + history of "
              f"every step + the newest step read): {seconds:.2f} s (target <= 3 s)")
        print(f"dashboard's first run on it (AppTest, every view drawn): "
              f"{dashboard_first_run(folder):.2f} s")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
