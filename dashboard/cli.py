"""``bpttscope``: open the dashboard (``streamlit run`` on a small launcher script).

Streamlit serves the ``static`` folder beside the script it runs, and the charts load
plotly.js from there (dashboard/plotly_element.py). Run on the installed
``dashboard/streamlit_app.py``, that folder would be inside site-packages: written by
the app, left behind by ``pip uninstall``, impossible where site-packages is read-only.
So the command runs a three-line launcher kept in the user's cache folder, with the
static folder beside it, and the launcher executes the installed app's code.
"""
import argparse
import functools
import os
import sys
import tempfile
from pathlib import Path

from dashboard import logdir_mode

APP = Path(__file__).resolve().parent / "streamlit_app.py"
LAUNCHER = """\
# Made by `bpttscope`: Streamlit runs this file and serves the static folder beside it
# (the charts' plotly.js), so nothing is written into the installed package.
from dashboard.cli import run_app

run_app(globals())
"""

DESCRIPTION = """\
BPTT Scope: a visual debugger for backpropagation through time. Opens its dashboard
(min-char-rnn training live, every gradient of every timestep) in your browser, served by
a local Streamlit server. Stop it with Ctrl-C in this terminal."""

EPILOG = """\
Any other option is passed to `streamlit run` (see `streamlit run --help`), e.g.
  bpttscope --server.address 0.0.0.0 --server.headless true
Streamlit's usage statistics are off.

Files: plotly.js for the charts is kept in {cache}
(set BPTTSCOPE_CACHE to use another folder). The engine alone: python -m engine --help"""


def cache_root():
    """Where ``bpttscope`` keeps its files: $BPTTSCOPE_CACHE, else the XDG cache folder."""
    if os.environ.get("BPTTSCOPE_CACHE"):
        return Path(os.environ["BPTTSCOPE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bpttscope"


def parser():
    p = argparse.ArgumentParser(
        prog="bpttscope", description=DESCRIPTION, allow_abbrev=False,
        epilog=EPILOG.format(cache=cache_root()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="store_true",
                   help="print the versions of BPTT Scope and Streamlit, and exit")
    p.add_argument("--port", type=int, default=None,
                   help="the port to serve on (default: Streamlit's, 8501)")
    p.add_argument("--offline", action="store_true",
                   help="do not fetch plotly's smaller chart bundle (1.4 MB, once, from the "
                        "npm registry); the charts then load the full plotly.js, and the "
                        "first screen takes about a second longer")
    p.add_argument("--logdir", default=None, metavar="FOLDER",
                   help="show the runs that bpttscope.torch.watch recorded from your own "
                        "PyTorch model under FOLDER (e.g. runs/bptt), instead of the "
                        "dashboard's own models")
    return p


def main(argv=None):
    """``bpttscope serve ...`` serves a class on several processes (dashboard/serve.py);
    otherwise options not its own are passed to ``streamlit run``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:
        from dashboard import serve
        return serve.main(argv[1:])
    args, rest = parser().parse_known_args(argv)
    if args.version:
        print(version_line())
        return 0
    stray = _stray(rest)
    if stray:
        parser().error(f"unexpected argument {stray!r}: bpttscope takes no file (the app "
                       "is built in); Streamlit options look like --server.port 8502")
    if args.logdir is not None:     # recorded runs only (bpttscope.torch.watch)
        try:
            os.environ[logdir_mode.ENV] = logdir_mode.check(args.logdir)
        except ValueError as err:
            print(f"bpttscope: {err}", file=sys.stderr)
            return 2
    launcher = prepare(cache_root(), offline=args.offline)
    from streamlit.web import cli as stcli
    port = ["--server.port", str(args.port)] if args.port is not None else []
    from dashboard.serve import STREAMLIT_SETTINGS  # options given after these win
    sys.argv = ["streamlit", "run", str(launcher), *STREAMLIT_SETTINGS, *port, *rest]
    return stcli.main()


def _stray(rest):
    """The first argument that is neither a Streamlit option (--section.name, with its
    value given as the next argument or after '=') nor such an option's value."""
    expect_value = False
    for arg in rest:
        if arg.startswith("--") and "." in arg:
            expect_value = "=" not in arg
        elif expect_value:
            expect_value = False
        else:
            return arg
    return None


def version_line():
    from importlib.metadata import PackageNotFoundError, version
    try:
        ours = version("bpttscope")
    except PackageNotFoundError:
        ours = "(not installed)"
    try:
        streamlit = version("streamlit")
    except PackageNotFoundError:
        streamlit = "missing"
    return f"bpttscope {ours} (Streamlit {streamlit}, Python {sys.version.split()[0]})"


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


if __name__ == "__main__":
    sys.exit(main())
