"""What every test shares: figures are checked frozen once drawn, and the slow tests
are marked ``slow`` so that ``pytest -m "not slow"`` is a quick subset (under a minute)
while ``make test`` (plain ``pytest``) still runs everything.

Slow: a test that boots the app (AppTest: the ``at`` fixture, or anything from
tests/apptest.py or streamlit.testing it calls, directly or through a helper of its own
module); a browser or packaging test; every test of a file that runs processes or
trains for long (SLOW_FILES); and single long trainings marked ``@pytest.mark.slow``
where they are written.
"""
import inspect
import os

import pytest

# dashboard.plotly_element: every reuse of a figure's JSON checks that the figure was
# not changed after it was drawn (off in the app: that check is the cost the reuse saves)
os.environ.setdefault("BPTTSCOPE_CHECK_FIGURES", "1")

# Files whose every test is slow, and why (seconds for the file, measured on the shared
# 2-core machine with `--durations=0`).
SLOW_FILES = {
    "test_cells_phenomenon.py": "trains an RNN, an LSTM and a GRU for long (21 s)",
    "test_training_process.py": "training processes, CPU shares, memory (11 s)",
    "test_cli.py": "runs the command line in subprocesses (10 s)",
    "test_cli_hardening.py": "runs the command line in subprocesses",
    "test_background.py": "background training processes (4 s)",
    "test_interrupts.py": "Ctrl-C and SIGTERM sent to processes (4 s)",
    "test_serve.py": "servers and a proxy in processes",
    "test_server.py": "the Streamlit server's threads",
}
SLOW_MARKS = ("browser", "packaging")       # slow wherever they are


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_FILES or boots_the_app(item) or \
                any(item.get_closest_marker(m) for m in SLOW_MARKS):
            item.add_marker(pytest.mark.slow)


def boots_the_app(item):
    """Whether the test runs the dashboard through AppTest."""
    if "at" in getattr(item, "fixturenames", ()):
        return True
    function = getattr(item, "function", None)
    return function is not None and _calls_apptest(function, set())


def _calls_apptest(function, seen):
    seen.add(function)
    module = function.__module__
    for name in function.__code__.co_names:
        found = function.__globals__.get(name)
        where = getattr(found, "__module__", None) or ""
        if where == "apptest" or where.startswith("streamlit.testing"):
            return True
        if inspect.isfunction(found) and where == module and found not in seen \
                and _calls_apptest(found, seen):
            return True
    return False
