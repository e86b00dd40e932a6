"""The oldest Streamlit that pyproject.toml accepts runs the dashboard.

A scratch virtual environment gets exactly that Streamlit (and the other dependencies
within their declared ranges); the dashboard from this checkout then opens its first
screen and every view under AppTest, and in Chromium draws its first chart with no
error in the server's log. Measured when the floor was set: 1.51's components v2 has no
``isolate_styles``, 1.55's cannot take our JavaScript, 1.58 has no ``persist_state``;
1.59 to 1.61 run every view but their server fails on some of its own files with
today's Starlette (1.10: "Expected ASGI message 'http.response.start'"); 1.62 is clean.

Needs the package index (pip's cache makes it quick after the first time).
"""
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.packaging

APPTEST = """
import sys
import streamlit
from streamlit.testing.v1 import AppTest
print("streamlit", streamlit.__version__)
at = AppTest.from_file(sys.argv[1], default_timeout=180)
at.run()
assert not at.exception, at.exception
assert len(list(at.main)) > 10, "the first screen is nearly empty"
for view in sys.argv[2:]:
    at.session_state["view"] = view
    at.run()
    assert not at.exception, (view, at.exception)
    assert not at.error, (view, [e.value for e in at.error])
print("every view ran")
"""


def requirements():
    """The project's dependencies with Streamlit pinned to its floor."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    floor = [re.fullmatch(r"streamlit>=([\d.]+)", d.replace(" ", "")) for d in deps]
    version = next(m.group(1) for m in floor if m)
    return version, [f"streamlit=={version}" if m else d for d, m in zip(deps, floor,
                                                                          strict=True)]


@pytest.fixture(scope="module")
def floor_python(tmp_path_factory):
    version, reqs = requirements()
    venv = tmp_path_factory.mktemp("floor") / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    python = venv / "bin" / "python"
    res = subprocess.run([python, "-m", "pip", "install", "--quiet",
                          "--disable-pip-version-check", *reqs],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, f"could not install {reqs}:\n{res.stderr[-3000:]}"
    return version, python


def test_the_floor_version_runs_every_view(floor_python, tmp_path):
    from apptest import APP, VIEWS
    version, python = floor_python
    script = tmp_path / "apptest_floor.py"
    script.write_text(APPTEST)
    res = subprocess.run([python, script, APP, *VIEWS], cwd=ROOT, capture_output=True,
                         text=True, timeout=900,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    assert f"streamlit {version}" in res.stdout and "every view ran" in res.stdout


@pytest.mark.browser
def test_the_floor_version_draws_the_first_screen_in_a_browser(floor_python, tmp_path):
    from serving import HEADLESS, first_chart, serving
    from test_browser import CHROMIUM
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    version, python = floor_python
    command = [python, "-m", "streamlit", "run", ROOT / "dashboard", "--server.port",
               "{port}", *HEADLESS]
    with serving(command, ROOT, env={"PYTHONPATH": str(ROOT)}) as (url, printed):
        seconds = first_chart(url)
        log = printed()
    print(f"Streamlit {version}: first chart after {seconds:.2f} s")
    assert "Traceback" not in log, log
