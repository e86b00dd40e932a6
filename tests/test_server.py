"""The server-process settings the app's speed depends on (dashboard/server.py)."""
import gc
import sys
import tomllib
from pathlib import Path

from dashboard import cli, server

ROOT = Path(__file__).resolve().parents[1]


def test_freeze_imports_hides_the_live_objects_from_the_collector_once():
    gc.unfreeze()
    server._frozen = False
    try:
        server.freeze_imports()
        frozen = gc.get_freeze_count()
        assert frozen > 10_000            # at least the imported modules' objects
        _ = [[i] for i in range(1000)]    # new objects: a second call freezes nothing
        server.freeze_imports()
        # at most the same: frozen objects still die by reference counting (another
        # thread freed 3 between the two counts once); freezing the 2,000 new would add
        assert gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()
        server._frozen = False


def test_make_run_and_bpttscope_settings(monkeypatch):
    """No full collection after every run, static serving for plotly.js, and the light
    theme the charts are drawn for, both in `make run` and in `bpttscope`."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False            # make run, AppTest
    assert config["theme"]["base"] == "light"
    seen = {}
    from streamlit.web import cli as stcli
    monkeypatch.setattr(stcli, "main", lambda: seen.setdefault("argv", list(sys.argv)))
    monkeypatch.setattr(sys, "argv", ["bpttscope"])
    cli.main([])
    argv = seen["argv"]
    assert argv[argv.index("--runner.postScriptGC") + 1] == "false"
    assert argv[argv.index("--server.enableStaticServing") + 1] == "true"
    assert argv[argv.index("--theme.base") + 1] == "light"


def test_nested_fragments_read_the_runs_inside_session_drawing(monkeypatch):
    """A fragment rerunning on its own (its slider, its timer) must pause live
    training like every other script run (views.sections.common.fragment)."""
    import contextlib

    from dashboard import session
    from dashboard.views.sections import common
    seen = []

    @contextlib.contextmanager
    def drawing(ss):
        seen.append("pause")
        yield
        seen.append("resume")

    monkeypatch.setattr(session, "drawing", drawing)
    monkeypatch.setattr(common.st, "fragment", lambda f, run_every=None: f)  # run it here
    common.fragment(lambda ss: seen.append(f"draw {ss}"))("ss")
    assert seen == ["pause", "draw ss", "resume"]


def test_figures_built_without_plotly_template_reach_the_page_unchanged():
    """figures_without_plotly_template: the app's figures no longer carry plotly's
    default template (copied into every figure and again on serialising, then thrown
    away), and the JSON the page gets, in both looks, is the same as with it."""
    import plotly.io as pio

    import engine
    from dashboard import charts, plotly_element
    trainer = engine.Trainer("the cat sat on the mat. " * 20, hidden_size=8, seq_length=6)
    trainer.run(5)
    trace, history = trainer.trace, trainer.history

    def figures():
        G = engine.loss_to_state(trace, trace.params)
        chars = list(trainer.vocab.decode(trace.inputs))
        panels = [("hs", "h_t", trace.hs, False), ("dh", "dh_t", trace.dh, True)]
        return [charts.loss_chart(history), charts.grad_norm_chart(history, 5.0, "value"),
                charts.loss_to_state_heatmap(G), charts.jacobian_heatmap(
                    engine.jacobian_norms(trace, trace.params)),
                charts.eigenvalue_chart(engine.whh_spectrum(trace.params)["eigenvalues"]),
                charts.window_heatmaps(panels, 2, chars),
                charts.loss_to_state_grid({"run 1": G, "run 2": G / 2})]

    def pages(figs):
        return [plotly_element._serialise(fig, present) for fig in figs
                for present in (False, True)]

    before = pio.templates.default
    try:
        pio.templates.default = "plotly"
        with_template = figures()
        server.figures_without_plotly_template()
        without = figures()
    finally:
        pio.templates.default = before
    none = pio.templates["none"].to_plotly_json()
    assert all(fig.layout.template.to_plotly_json() != none for fig in with_template)
    assert all(fig.layout.template.to_plotly_json() == none for fig in without)
    assert pages(without) == pages(with_template)
