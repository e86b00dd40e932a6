"""Dashboard responsiveness, server side, through Streamlit's AppTest at default settings
(what the page feels, click to drawn charts, is bench/browser_latency.py).

Prints: Step click re-render (bar < 300 ms), timestep slider move (bar < 150 ms), and
live training speed as a ratio of the engine's own iterations per second, for one run
(bar >= 0.7) and for four runs summed (bar >= 0.6), hidden 100 / seq_length 25.
"""
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

import engine  # noqa: E402
from dashboard.session import ITERS_PER_REFRESH  # noqa: E402
from dashboard.views.registry import VIEWS  # noqa: E402

TITLE = {view.key: view.title for view in VIEWS}

APP = str(ROOT / "dashboard" / "streamlit_app.py")


def timed(action, repeats):
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        action(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3, min(times) * 1e3


def main():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    T = at.session_state["session"].trainer.config.seq_length
    for _ in range(3):                                    # warm caches and imports
        at.button(key="step").click().run()

    rows = []
    for view in (TITLE["explorer"], TITLE["training"], TITLE["flow"]):
        at.session_state["view"] = view
        at.run()
        med, best = timed(lambda i: at.button(key="step").click().run(), 12)
        rows.append((f"Step click ({view})", med, best, 300))
    at.session_state["view"] = TITLE["explorer"]
    at.run()
    med, best = timed(lambda i: at.slider(key="timestep").set_value((i * 7) % T).run(), 20)
    rows.append(("slider move (Timestep explorer)", med, best, 150))
    assert not at.exception, at.exception

    print(f"{'interaction':<36} {'median ms':>10} {'best ms':>8} {'bar ms':>7}  verdict")
    for name, med, best, bar in rows:
        print(f"{name:<36} {med:>10.0f} {best:>8.0f} {bar:>7}  {'ok' if med < bar else 'SLOW'}")

    for runs, bar in ((1, 0.7), (4, 0.6)):
        live_training(at, runs, bar)


def live_training(at, runs, bar, seconds=6.0, refresh=0.5):
    """Live training's iterations per second summed over ``runs`` runs (forks of the
    min-char-rnn model), against the bare engine's measured just before and after. The
    runs train in the session's training process (dashboard/training_process.py); this
    plays the page, asking for a refresh (a script run that draws the Timestep
    explorer) every ``refresh`` seconds.

    "Iterations per refresh (at most)" is set to its largest choice first: a lesson
    paces live training for a class to follow (min-char-rnn: 200 a refresh), which is
    the lesson's choice; this measures what the live loop can carry."""
    while len(at.session_state["session"].runs) < runs:
        at.button(key="fork").click().run()
    at.select_slider(key="iters_per_refresh").set_value(ITERS_PER_REFRESH[-1]).run()
    trainers = list(at.session_state["session"].runs.values())
    first = trainers[0]
    reference = engine.Trainer(first.text, **first.settings())
    reference.run(20)

    def bare():
        t0 = time.perf_counter()
        reference.run(300)
        return 300 / (time.perf_counter() - t0)

    before = bare()
    at.button(key="run").click().run()
    it0, t0 = sum(t.iteration for t in trainers), time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        time.sleep(refresh)
        at.run()
    done = sum(t.iteration for t in trainers) - it0
    live_rate = done / (time.perf_counter() - t0)
    at.button(key="pause").click().run()
    after = bare()
    bare_rate = (before + after) / 2
    ratio = live_rate / bare_rate
    print(f"live training, {runs} run(s): {live_rate:,.0f} it/s summed in the dashboard vs "
          f"{bare_rate:,.0f} it/s engine alone: ratio {ratio:.2f} "
          f"(bar >= {bar:.2f}: {'ok' if ratio >= bar else 'SLOW'})")


if __name__ == "__main__":
    main()
