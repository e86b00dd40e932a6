"""The ``bpttscope`` command (dashboard/cli.py) without starting a server: what it hands
to ``streamlit run``, and the folder it prepares in the user's cache (the installed
command end to end is in tests/test_packaging.py)."""
import sys

import pytest

from dashboard import cli
from dashboard import plotly_bundle as pb


@pytest.fixture
def started(monkeypatch, tmp_path):
    """Run ``bpttscope ARGS`` with the cache in tmp_path and Streamlit replaced by a
    recorder; returns the command line Streamlit would have been given."""
    from streamlit.web import cli as stcli
    seen = {}
    monkeypatch.setenv("BPTTSCOPE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(stcli, "main", lambda: seen.setdefault("argv", list(sys.argv)) and 0)
    monkeypatch.setattr(sys, "argv", list(sys.argv))

    def start(*args):
        assert cli.main(["--offline", *args]) == 0
        return seen.pop("argv")
    return start


def test_streamlit_runs_the_launcher_with_our_settings_then_the_users(started, tmp_path):
    argv = started("--port", "8599", "--server.headless", "true", "--theme.base", "dark")
    assert argv[:2] == ["streamlit", "run"]
    launcher = tmp_path.joinpath(argv[2])
    assert launcher.parent.parent == tmp_path / "cache"
    assert launcher.read_text() == cli.LAUNCHER
    options = dict(zip(argv[3::2], argv[4::2], strict=True))
    assert options["--browser.gatherUsageStats"] == "false"
    assert options["--server.enableStaticServing"] == "true"
    assert options["--server.port"] == "8599" and options["--server.headless"] == "true"
    assert argv.count("--theme.base") == 2                   # ours (light), then the user's,
    assert argv[-2:] == ["--theme.base", "dark"]             # last: in Streamlit, last wins


def test_the_static_folder_is_in_the_cache_and_serves_plotly(started, tmp_path):
    launcher = tmp_path.joinpath(started()[2])
    static = launcher.parent / "static"
    assert (static / pb.FULL).read_bytes() == pb.full_bundle().read_bytes()   # --offline
    assert launcher.parent.name == f"app-plotly-{pb.version(pb.full_bundle())}"


def test_the_cartesian_bundle_is_fetched_once_and_said_in_one_line(tmp_path, monkeypatch):
    fetched, said = [], []

    def fake_fetch(static, timeout=30):
        fetched.append(static)
        body = (f"/**\n* plotly.js (cartesian - minified) v{pb.version(pb.full_bundle())}"
                "\n*/\n").encode()
        (static / pb.CARTESIAN).write_bytes(body)
        return "fetched it"
    monkeypatch.setattr(pb, "fetch", fake_fetch)
    launcher = cli.prepare(tmp_path, say=said.append)
    assert said == ["plotly.js: fetched it"]
    assert pb.chosen(launcher.parent / "static", create=False) == pb.CARTESIAN
    assert not (launcher.parent / "static" / pb.FULL).exists()      # not needed: not copied
    cli.prepare(tmp_path, say=said.append)
    assert len(fetched) == 1 and len(said) == 1                      # once is enough


def test_offline_it_says_so_in_one_line_and_serves_the_full_bundle(tmp_path, monkeypatch):
    said = []

    def no_network(static, timeout=30):
        raise OSError("Network is unreachable")
    monkeypatch.setattr(pb, "fetch", no_network)
    launcher = cli.prepare(tmp_path, say=said.append)
    assert len(said) == 1 and "Network is unreachable" in said[0]
    assert "slower first screen" in said[0]
    assert pb.chosen(launcher.parent / "static", create=False) == pb.FULL


def test_an_unwritable_cache_falls_back_to_a_temporary_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    said = []
    launcher = cli.prepare(blocker, offline=True, say=said.append)
    assert launcher.is_file() and not launcher.is_relative_to(blocker)
    assert "cannot be written" in said[0] and str(launcher.parent) in said[0]


def test_the_app_never_creates_a_static_folder(tmp_path):
    """Run from an installed copy without bpttscope, there is no static folder: the app
    does not make one (it would be inside site-packages); charts fall back instead."""
    assert pb.chosen(tmp_path / "static", create=False) is None
    assert not (tmp_path / "static").exists()


def test_version_and_stray_arguments(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("bpttscope ")
    with pytest.raises(SystemExit) as stop:
        cli.main(["dashboard/streamlit_app.py"])
    assert stop.value.code == 2
    assert "takes no file" in capsys.readouterr().err
    assert cli._stray(["--server.port", "8502", "--server.headless=true"]) is None
