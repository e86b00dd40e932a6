"""``bpttscope``: open the dashboard (``streamlit run`` on a small launcher script).

Streamlit serves the ``static`` folder beside the script it runs, and the charts load
plotly.js from there (dashboard/plotly_element.py). Run on the installed
``dashboard/streamlit_app.py``, that folder would be inside site-packages: written by
the app, left behind by ``pip uninstall``, impossible where site-packages is read-only.
So the command runs a three-line launcher kept in the user's cache folder, with the
static folder beside it, and the launcher executes the installed app's code.
"""
import argparse
import os
import sys

from dashboard import logdir_mode
from dashboard.launcher import (  # noqa: F401  (old launchers import run_app from here)
    LAUNCHER,
    cache_root,
    prepare,
    run_app,
)

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


if __name__ == "__main__":
    sys.exit(main())
