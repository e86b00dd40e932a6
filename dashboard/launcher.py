"""The launcher ``bpttscope`` runs (dashboard/cli.py) and every server of ``bpttscope
serve`` runs (dashboard/serve.py): a three-line script kept in the user's cache folder,
beside the static folder whose plotly.js the charts load, that executes the installed
app's code. Why not the installed ``streamlit_app.py`` itself: see dashboard/cli.py.
"""
import functools
import os
import sys
import tempfile
from pathlib import Path

APP = Path(__file__).resolve().parent / "streamlit_app.py"
LAUNCHER = """\
# Made by `bpttscope`: Streamlit runs this file and serves the static folder beside it
# (the charts' plotly.js), so nothing is written into the installed package.
from dashboard.launcher import run_app

run_app(globals())
"""


def cache_root():
    """Where ``bpttscope`` keeps its files: $BPTTSCOPE_CACHE, else the XDG cache folder."""
    if os.environ.get("BPTTSCOPE_CACHE"):
        return Path(os.environ["BPTTSCOPE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bpttscope"


def prepare(root, offline=False, say=None):
    """The launcher script to run, in ``root`` (else a fresh temporary folder), with a
    static folder beside it holding the plotly.js the charts load. One folder per
    plotly version: two environments with different plotly share the cache safely."""
    from dashboard import plotly_bundle
    say = say or (lambda line: print(line, file=sys.stderr))
    name = f"app-plotly-{plotly_bundle.version(plotly_bundle.full_bundle()) or 'unknown'}"
    try:
        folder = _launcher_folder(Path(root) / name)
    except OSError as err:
        folder = _launcher_folder(Path(tempfile.mkdtemp(prefix="bpttscope-")))
        say(f"note: {root} cannot be written ({err.strerror or err}); using {folder} "
            "for this run")
    static = folder / "static"
    if not offline and not plotly_bundle._cartesian_ready(static):
        try:
            say(f"plotly.js: {plotly_bundle.fetch(static, timeout=15)}")
        except Exception as err:        # offline, registry down: the full bundle serves
            say(f"note: plotly's smaller chart bundle could not be fetched ({err}); the "
                "charts use the full plotly.js (a slower first screen). Run bpttscope "
                "again when online to fetch it.")
    if plotly_bundle.chosen(static) is None:
        say("note: plotly.js could not be put in place; the charts are redrawn whole on "
            "every change (slower).")
    return folder / "streamlit_app.py"


def _launcher_folder(folder):
    (folder / "static").mkdir(parents=True, exist_ok=True)
    launcher = folder / "streamlit_app.py"
    if not launcher.is_file() or launcher.read_text(encoding="utf-8") != LAUNCHER:
        part = folder / f".streamlit_app.py.{os.getpid()}.partial"
        part.write_text(LAUNCHER, encoding="utf-8")
        part.replace(launcher)
    return folder


@functools.cache
def _app_code():
    return compile(APP.read_text(encoding="utf-8"), str(APP), "exec", dont_inherit=True)


def run_app(namespace):
    """Run the installed dashboard's script in ``namespace`` (the launcher's globals,
    fresh on every Streamlit rerun, as for any main script)."""
    exec(_app_code(), namespace)
