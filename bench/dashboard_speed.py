"""Dashboard responsiveness, server side, through Streamlit's AppTest at default settings.

Prints: Step click re-render (bar < 300 ms), timestep slider move (bar < 150 ms), and
live training speed as a ratio of the engine's own iterations per second (bar >= 0.5).
"""
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

import engine  # noqa: E402

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
    T = at.session_state["trainer"].config.seq_length
    for _ in range(3):                                    # warm caches and imports
        at.button(key="step").click().run()

    rows = []
    for view in ("Timestep explorer", "Training", "Gradient flow"):
        at.session_state["view"] = view
        at.run()
        med, best = timed(lambda i: at.button(key="step").click().run(), 12)
        rows.append((f"Step click ({view})", med, best, 300))
    at.session_state["view"] = "Timestep explorer"
    at.run()
    med, best = timed(lambda i: at.slider(key="timestep").set_value((i * 7) % T).run(), 20)
    rows.append(("slider move (Timestep explorer)", med, best, 150))
    assert not at.exception, at.exception

    print(f"{'interaction':<36} {'median ms':>10} {'best ms':>8} {'bar ms':>7}  verdict")
    for name, med, best, bar in rows:
        print(f"{name:<36} {med:>10.0f} {best:>8.0f} {bar:>7}  {'ok' if med < bar else 'SLOW'}")

    # Live training: the fragment trains iters_per_refresh iterations per refresh.
    chunk = int(at.session_state["iters_per_refresh"])
    trainer = at.session_state["trainer"]
    reference = engine.Trainer(trainer.text, **trainer.settings())
    reference.run(20)
    at.button(key="run").click().run()
    live, bare = [], []
    for _ in range(4):                                    # interleaved, to cancel drift
        it0, t0 = trainer.iteration, time.perf_counter()
        at.run()
        live.append((trainer.iteration - it0) / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        reference.run(chunk)
        bare.append(chunk / (time.perf_counter() - t0))
    at.button(key="pause").click().run()
    live_rate, bare_rate = statistics.median(live), statistics.median(bare)
    ratio = live_rate / bare_rate
    print(f"live training: {live_rate:,.0f} it/s in the dashboard vs {bare_rate:,.0f} it/s "
          f"engine alone (chunks of {chunk}): ratio {ratio:.2f} "
          f"(bar >= 0.50: {'ok' if ratio >= 0.5 else 'SLOW'})")


if __name__ == "__main__":
    main()
