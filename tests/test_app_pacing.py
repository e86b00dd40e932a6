"""The app's side of pacing the pages together (dashboard/pacing.py, dashboard/live.py):
a script run that answers a person counts as interactive while it runs, a live
refresh does not and waits for the others; the pacer gets where to read whether the
server is answering a click."""
import json

import pytest
from apptest import start

from dashboard import live, pacing


class Recording(pacing.Pacing):
    """A Pacing that remembers the interactive runs it counted."""

    def __init__(self):
        super().__init__(2, hold=0.0)
        self.answered = 0

    def interactive(self):
        self.answered += 1
        return super().interactive()


@pytest.fixture
def counted(monkeypatch):
    recording = Recording()
    monkeypatch.setattr(live, "PACING", recording)
    return recording


def pacer(at):
    [element] = [e for e in at.get("bidi_component")
                 if e.proto.component_name.endswith("bptt_pacer")]
    return json.loads(element.proto.json)


def test_clicks_and_first_screens_count_as_interactive(counted):
    at = start()
    assert counted.answered == 1                  # the first screen
    at.button(key="step").click().run()
    assert counted.answered == 2                  # a click
    assert counted._in_flight == 0                # and both are over
    assert not pacer(at)["live"]


def test_a_live_refresh_waits_for_an_answer_in_flight_and_is_not_one(counted, monkeypatch):
    """A live refresh (the pacer's request) of the main fragment is not counted, and
    it waits while another page's click is answered."""
    at = start()
    at.select_slider(key="iters_per_refresh").set_value(4).run()
    at.button(key="run").click().run()
    assert pacer(at)["live"]
    waits = []
    monkeypatch.setattr(live.PACING, "wait_turn",
                        lambda interrupted: waits.append(live.PACING.answering()) or 0.0)
    answered = counted.answered
    monkeypatch.setattr(live, "_fragment_run", lambda: True)
    session = at.session_state["session"]
    session.live_request = True                   # what the pacer's trigger sets
    with live.PACING.interactive():               # someone else's click, in flight
        at.run()
    assert not at.exception, at.exception
    assert waits == [True]                        # the refresh waited for it
    # the other click and AppTest's run (it runs the whole script: it cannot rerun
    # the fragment alone, so _fragment_run is faked); the fragment's part is not counted
    assert counted.answered == answered + 2
    at.button(key="pause").click().run()
    assert not at.session_state["session"].running
