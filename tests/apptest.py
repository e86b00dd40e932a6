"""What the dashboard's AppTest files share: starting the app, reading its session and
messages, opening a view."""
import json
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py"
VIEWS = ["Training", "Timestep explorer", "Gradient flow", "BPTT code", "Gradient check",
         "Export"]


def start(query=None, timeout=120):
    """The app after its first run, opened with ``query`` as its URL's parameters."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
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
    found = [json.loads(e.proto.json)["spec"] for e in at.get("bidi_component")
             if e.proto.component_name.endswith("bptt_plotly")]
    return found + [chart.proto.spec for chart in at.get("plotly_chart")]


def wait_until(condition, timeout=30.0):
    """Poll ``condition`` until it holds (live training runs on a worker thread); fail
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the background training"
        time.sleep(0.01)
