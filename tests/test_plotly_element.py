"""The chart element's server side: a figure is frozen once drawn, and what the page
already holds is handed in (a Memo), never read from the session here."""
import json

import plotly.graph_objects as go
import pytest

from dashboard import plotly_element
from dashboard.plotly_element import FigureChanged, Memo


def figure(y=(1, 2)):
    return go.Figure(go.Scatter(y=list(y)), layout=dict(uirevision="probe", height=200))


def test_the_tests_check_figures(monkeypatch):
    assert plotly_element.checking()           # tests/conftest.py turns the check on
    monkeypatch.setenv("BPTTSCOPE_CHECK_FIGURES", "0")
    assert not plotly_element.checking()


def test_a_figure_changed_after_it_was_drawn_is_refused():
    fig = figure()
    text = plotly_element.spec(fig)
    assert plotly_element.spec(fig) is text                 # unchanged: reused as it is
    fig.update_layout(title="changed afterwards")
    with pytest.raises(FigureChanged, match="changed after it was drawn"):
        plotly_element.spec(fig)
    fresh = go.Figure(fig)                                  # the way to change one
    assert json.loads(plotly_element.spec(fresh))["layout"]["title"]["text"] == \
        "changed afterwards"


def test_without_the_check_a_changed_figure_would_be_drawn_stale(monkeypatch):
    """Why the rule matters: the JSON is made once per figure object."""
    monkeypatch.setenv("BPTTSCOPE_CHECK_FIGURES", "0")
    fig = figure()
    text = plotly_element.spec(fig)
    fig.update_traces(y=[5, 6])
    assert plotly_element.spec(fig) is text


@pytest.fixture
def sent_to_page(monkeypatch):
    """The element's data and trigger callback for each draw, instead of Streamlit."""
    calls = []
    monkeypatch.setattr(plotly_element, "plotly_js_url", lambda: "/app/static/plotly.js")
    monkeypatch.setattr(plotly_element, "_element",
                        lambda key, data, on_missing_change: calls.append(
                            (key, data, on_missing_change)))
    return calls


def test_the_memo_is_handed_in_and_only_new_figures_go_whole(sent_to_page):
    a, b = figure((1, 2)), figure((3, 4))
    record, lost = [], []
    memo = Memo((), record.append, lambda: lost.append(True))
    plotly_element.plotly_charts([[(a, "a", None)], [(b, None, 3)]], {}, "k", memo)
    key, data, on_missing = sent_to_page[-1]
    first = [chart for column in data["columns"] for chart in column]
    assert all(chart["spec"] is not None for chart in first)        # nothing known: whole
    assert record == [tuple(chart["digest"] for chart in first)]
    on_missing()                                  # the page lost one: the memo is told
    assert lost == [True]
    c = figure((5, 6))
    plotly_element.plotly_charts([[(a, "a", None)], [(c, None, 4)]], {}, "k",
                                 Memo(record[-1], record.append))
    second = [chart for column in sent_to_page[-1][1]["columns"] for chart in column]
    assert second[0]["spec"] is None and second[0]["digest"] == first[0]["digest"]
    assert second[1]["spec"] is not None and second[1]["mark"] == 4


def test_without_a_memo_every_figure_is_sent_whole(sent_to_page):
    fig = figure()
    for _ in range(2):
        plotly_element.plotly_chart(fig, {}, "k")
        [[chart]] = sent_to_page[-1][1]["columns"]
        assert chart["spec"] is not None
    assert sent_to_page[-1][2] is None


def test_the_element_reads_nothing_from_the_session():
    source = plotly_element.__loader__.get_source(plotly_element.__name__)
    assert "session" not in {name for line in source.splitlines()
                             if line.startswith(("import ", "from "))
                             for name in line.replace(",", " ").split()}
    assert "session_state" not in source
