"""Server-side cost of the dashboard's attribution pieces per render, in process.

For the min-char-rnn preset (hidden 100, seq_length 25) after a few hundred iterations:
- once per window (the first render that shows them; cached after that):
  the engine calls through dashboard.window (saliency, horizon, beyond) and
  sample_saliency for one chosen character;
- every render of a view that shows them: the chart builders (strip HTML, horizon bars,
  distance profile, horizon history, ghost, the explorer's norms chart with its ghost,
  the sample strip).
Each is timed round-robin (every round calls each once, in a rotating order); medians.
Then whole renders through AppTest: a Step click (new window) and a timestep slider move
(same window) in the explorer, and a Step click in Gradient flow and Training.

    .venv/bin/python bench/attribution_dashboard.py [--rounds N]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import attribution_speed  # noqa: E402  (bench/, beside this file)
import numpy as np  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import engine  # noqa: E402
from dashboard import charts, session, window  # noqa: E402
from dashboard.session import Session  # noqa: E402
from dashboard.views.registry import VIEWS  # noqa: E402
from dashboard.views.sections import attribution  # noqa: E402

TITLE = {view.key: view.title for view in VIEWS}


def round_robin(funcs, rounds):
    """name -> median ms (attribution_speed.round_robin's rotating rounds)."""
    times = attribution_speed.round_robin(funcs, rounds)
    return {name: statistics.median(ts) for name, ts in times.items()}


def fresh(s):
    """Forget the per-window cache so that the next call computes again."""
    s.window_cache.clear()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=40)
    args = ap.parse_args()

    preset = engine.PRESETS["min-char-rnn"]
    trainer = engine.Trainer(preset.text, **preset.settings)
    trainer.run(300)
    s = Session(runs={"run": trainer}, focus="run")
    trace = trainer.trace
    text = trainer.sample(session.SAMPLE_LENGTH, rng_seed=1)
    hprev, seed = engine.sample_start(trainer)
    ids = np.concatenate([seed, trainer.vocab.encode(text)])

    def cold(get):
        def run():
            fresh(s)
            get(s, "run")
        return run

    per_window = round_robin({
        "window.saliency (input_saliency)": cold(window.saliency),
        "window.horizon (piece + distance norms)": cold(window.horizon),
        "window.beyond (beyond_window k=4)": cold(window.beyond),
        "sample_saliency, character 40": lambda: engine.sample_saliency(
            trainer.params, ids, hprev, 41),
        "sample_saliency, character 199": lambda: engine.sample_saliency(
            trainer.params, ids, hprev, 200),
    }, args.rounds)

    S, h, b = window.saliency(s, "run"), window.horizon(s, "run"), window.beyond(s, "run")
    inputs, targets = trainer.vocab.decode(trace.inputs), trainer.vocab.decode(trace.targets)
    dh = np.linalg.norm(trace.dh, axis=1)
    norms = {"dh": dh, "dhnext": np.linalg.norm(trace.dhnext, axis=1)}
    colours = {"dh": "#d62728", "dhnext": "#e15759"}
    result = engine.sample_saliency(trainer.params, ids, hprev, 41)
    chars = trainer.vocab.decode(ids)
    ghost = attribution.ghost_for_explorer(s, trace)
    per_render = round_robin({
        "window_strip_html with saliency": lambda: charts.window_strip_html(
            inputs, targets, 20, trace.losses, S[20]),
        "window_strip_html without (before)": lambda: charts.window_strip_html(
            inputs, targets, 20, trace.losses),
        "horizon_bars_chart": lambda: charts.horizon_bars_chart(
            h["pieces"], inputs, h["horizon"]),
        "distance_profile_chart": lambda: charts.distance_profile_chart(
            {"run": h["profile"]}, {"run": h["horizon"]}),
        "runs_history_chart(horizon)": lambda: charts.runs_history_chart(
            {"run": trainer.history}, "horizon"),
        "ghost_chart": lambda: charts.ghost_chart(dh, b.norms, b.window_norms, b.share,
                                                  b.windows_used),
        "timestep_norms_chart with ghost": lambda: charts.timestep_norms_chart(
            norms, 0, inputs, colours, ghost=ghost),
        "timestep_norms_chart without (before)": lambda: charts.timestep_norms_chart(
            norms, 0, inputs, colours),
        "sample_strip_html": lambda: charts.sample_strip_html(chars, result.saliency, 41),
    }, args.rounds)

    print(f"min-char-rnn preset, H={trainer.config.hidden_size}, T={trace.T}, iteration "
          f"{trainer.iteration}; medians of {args.rounds} round-robin rounds")
    print("\nonce per window (first render that shows it), ms:")
    for name, ms in per_window.items():
        print(f"  {name:<44} {ms:8.2f}")
    print("\nevery render of a view that shows it, ms:")
    for name, ms in per_render.items():
        print(f"  {name:<44} {ms:8.2f}")

    at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=120)
    at.run()
    for _ in range(3):
        at.button(key="step").click().run()
    T = at.session_state["session"].trainer.config.seq_length
    rows = []

    def timed(action, n):
        ts = []
        for i in range(n):
            t0 = time.perf_counter()
            action(i)
            ts.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(ts)

    for view in (TITLE["explorer"], TITLE["flow"], TITLE["training"]):
        at.session_state["view"] = view
        at.run()
        rows.append((f"Step click ({view})", timed(
            lambda i: at.button(key="step").click().run(), 10)))
    at.session_state["view"] = TITLE["explorer"]
    at.run()
    rows.append(("slider move (Timestep explorer)", timed(
        lambda i: at.slider(key="timestep").set_value((i * 7) % T).run(), 15)))
    assert not at.exception, at.exception
    print("\nwhole renders through AppTest (script run, all views' work), median ms:")
    for name, ms in rows:
        print(f"  {name:<44} {ms:8.0f}")


if __name__ == "__main__":
    main()
