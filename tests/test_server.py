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
