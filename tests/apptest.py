"""What the dashboard's AppTest files share: starting the app, reading its session and
messages, opening a view."""
import json
import time
from pathlib import Path

import plotly.graph_objects as go
from streamlit.testing.v1 import AppTest

from dashboard.views import registry

APP = Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py"
VIEWS = list(registry.TITLES)     # every tab, from the app's one list of views


def app(timeout=120):
    """A new AppTest of the dashboard (not run yet) that keeps every figure it is sent:
    the page receives an unchanged figure's JSON only once, then its digest (see
    dashboard.plotly_element), and ``charts`` reads figures the way the page does."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.figures = {}
    run = at._run

    def run_and_keep(*args, **kwargs):
        result = run(*args, **kwargs)
        for _, chart in plotly_items(result):
            if chart["spec"] is not None:
                result.figures[chart["digest"]] = chart["spec"]
        return result
    at._run = run_and_keep
    return at


def plotly_items(at):
    """(element key, chart data) of every chart the in-place element draws, in page
    order (an element draws a grid of charts: its columns in order, top to bottom)."""
    return [(e.key, chart) for e in at.get("bidi_component")
            if e.proto.component_name.endswith("bptt_plotly")
            for column in json.loads(e.proto.json)["columns"] for chart in column]


def chart_captions(at):
    """The captions the in-place element draws under its charts, in page order."""
    return [chart["caption"] for _, chart in plotly_items(at) if chart["caption"]]


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
    element of dashboard.plotly_element, or st.plotly_chart where that is not served),
    each checked by plotly's validation."""
    found = [chart["spec"] or at.figures[chart["digest"]] for _, chart in plotly_items(at)]
    found += [chart.proto.spec for chart in at.get("plotly_chart")]
    for spec in found:          # the app builds them unchecked (dashboard/charts/go.py)
        go.Figure(json.loads(spec))         # plotly's validation: a bad property raises
    return found


def wait_until(condition, timeout=30.0):
    """Poll ``condition`` until it holds (live training runs on a worker thread); fail
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the background training"
        time.sleep(0.01)
