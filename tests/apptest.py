"""What the dashboard's AppTest files share: starting the app, reading its session and
messages, opening a view."""
import json
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py"
VIEWS = ["Training", "Timestep explorer", "Gradient flow", "BPTT code", "Gradient check",
         "Export"]


def app(timeout=120):
    """A new AppTest of the dashboard (not run yet) that keeps every figure it is sent:
    the page receives an unchanged figure's JSON only once, then its digest (see
    dashboard.plotly_element), and ``charts`` reads figures the way the page does."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.figures = {}
    run = at._run

    def run_and_keep(*args, **kwargs):
        result = run(*args, **kwargs)
        for data in _plotly_data(result):
            if data["spec"] is not None:
                result.figures[data["digest"]] = data["spec"]
        return result
    at._run = run_and_keep
    return at


def _plotly_data(at):
    return [json.loads(e.proto.json) for e in at.get("bidi_component")
            if e.proto.component_name.endswith("bptt_plotly")]


def start(query=None, timeout=120):
    """The app after its first run, opened with ``query`` as its URL's parameters."""
    at = app(timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def sess(at):
    return at.session_state["session"]


def errors(at):
    return [e.value for e in at.error]


def show(at, view, no_errors=False):
    """Open ``view``; fail on an exception (and on an error box if ``no_errors``)."""
    at.session_state["view"] = view
    at.run()
    assert not at.exception, at.exception
    if no_errors:
        assert not errors(at), (view, errors(at))


def charts(at):
    """The JSON of every chart on the page, in order, however it was drawn (the in-place
    element of dashboard.plotly_element, or st.plotly_chart where that is not served)."""
    found = [data["spec"] or at.figures[data["digest"]] for data in _plotly_data(at)]
    return found + [chart.proto.spec for chart in at.get("plotly_chart")]


def wait_until(condition, timeout=30.0):
    """Poll ``condition`` until it holds (live training runs on a worker thread); fail
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the background training"
        time.sleep(0.01)
