"""Which log folder the dashboard shows, chosen on the server's side only.

``bpttscope --logdir PATH``, ``streamlit run dashboard -- --logdir PATH`` or the
environment variable BPTTSCOPE_LOGDIR. Nothing a browser sends (query, widget) names a
path: the pickers choose among the runs the server found under this folder."""
import os
import sys

ENV = "BPTTSCOPE_LOGDIR"


def parse(argv):
    """(argv without ``--logdir PATH`` / ``--logdir=PATH``, PATH or None). ValueError for
    a --logdir without a path."""
    rest, logdir, i = [], None, 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--logdir":
            if i + 1 >= len(argv) or argv[i + 1].startswith("--"):
                raise ValueError("--logdir needs a folder: bpttscope --logdir runs/bptt")
            logdir, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--logdir="):
            logdir = arg.split("=", 1)[1]
            if not logdir:
                raise ValueError("--logdir needs a folder: bpttscope --logdir runs/bptt")
        else:
            rest.append(arg)
        i += 1
    return rest, logdir


def check(path):
    """The folder as an absolute path, or ValueError saying what to do."""
    full = os.path.abspath(os.path.expanduser(path)) if path.strip() else ""
    if not full or not os.path.isdir(full):
        raise ValueError(f"--logdir {path}: there is no folder there. Give the folder "
                         "your training passes to bpttscope.torch.watch(..., logdir=...) "
                         "or its parent (e.g. runs/bptt), after starting the training.")
    return full


def from_command_line(argv):
    """For ``bpttscope``: the arguments left for streamlit; a --logdir found is checked
    and handed to the app through the environment (same process)."""
    rest, logdir = parse(argv)
    if logdir is not None:
        os.environ[ENV] = check(logdir)
    return rest


def logdir(argv=None, environ=None):
    """The folder this server shows, or None for the dashboard's own models."""
    argv = sys.argv[1:] if argv is None else argv
    environ = os.environ if environ is None else environ
    try:
        _, path = parse(argv)
    except ValueError:
        path = None
    path = path or environ.get(ENV) or None
    return os.path.abspath(os.path.expanduser(path)) if path else None
