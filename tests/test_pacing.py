"""The pages of a server paced together (dashboard/pacing.py): a click holds live
refreshes back while it is answered and its page paints; every page's refreshes share
one budget, so N pages together cost what one page refreshing at the budget does; and
a page refreshed less often trains proportionally more iterations between refreshes
(dashboard/training_process.Training)."""
import threading

import pytest
from apptest import wait_until

import engine
from dashboard import pacing as pacing_module
from dashboard.pacing import POLL_SECONDS, RELEASE_SECONDS, Pacing
from dashboard.training_process import Training


class Clock:
    """A clock the test moves; ``sleep`` moves it."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture(autouse=True)
def least_cost(monkeypatch):
    """The tests choose the costs: no floor unless a test sets one."""
    monkeypatch.setattr(pacing_module, "LEAST_COST_SECONDS", 0.0)


def pacing(cores=2, share=0.25, hold=1.0):
    clock = Clock()
    return Pacing(cores, share=share, hold=hold, clock=clock, sleep=clock.sleep), clock


def test_a_click_holds_live_refreshes_back_while_answered_and_painted():
    p, clock = pacing(hold=1.0)
    assert not p.answering()
    with p.interactive():
        clock.now += 5.0                        # however long the answer takes
        assert p.answering()
    clock.now += 0.9
    assert p.answering()                        # its page is still painting it
    clock.now += 0.2
    assert not p.answering()


def test_clicks_are_counted_across_threads():
    p, _ = pacing()
    inside, leave = threading.Event(), threading.Event()

    def answer():
        with p.interactive():
            inside.set()
            leave.wait(5)
    t = threading.Thread(target=answer)
    t.start()
    inside.wait(5)
    with p.interactive():
        pass
    assert p._in_flight == 1                    # the other click is still in flight
    leave.set()
    t.join()
    assert p._in_flight == 0


def test_a_due_refresh_waits_for_the_click_then_goes_on():
    p, clock = pacing(hold=1.0)
    ends = 100.0 + 0.5                          # the click's answer ends at 100.5
    asleep = []

    def sleep(seconds):
        asleep.append(seconds)
        clock.now += seconds
        if clock.now >= ends and p._in_flight:
            p._in_flight -= 1
            p._last_answer = clock.now
    p.sleep = sleep
    p._in_flight = 1
    waited = p.wait_turn(limit=10.0)
    assert waited == pytest.approx(1.5, abs=2 * POLL_SECONDS)   # answer + the hold
    assert not p.answering()
    assert all(s == POLL_SECONDS for s in asleep)


def test_a_refresh_waits_at_most_the_limit_and_not_when_its_own_click_waits():
    p, clock = pacing()
    with p.interactive():
        assert p.wait_turn(limit=2.0) == pytest.approx(2.0, abs=POLL_SECONDS)
        clock.now += 1.0
        start = clock.now
        assert p.wait_turn(lambda: True, limit=2.0) == 0.0   # Pause is not held back
        assert clock.now == start


def test_with_no_click_a_refresh_does_not_wait():
    p, clock = pacing()
    assert p.wait_turn() == 0.0 and clock.now == 100.0


def test_refreshes_held_back_start_one_at_a_time():
    p, clock = pacing(hold=1.0)
    with p.interactive():
        pass
    clock.now += 1.0                            # the hold is over
    waits = [p.wait_turn(limit=10.0) for _ in range(3)]
    assert waits[0] == 0.0
    assert waits[1:] == [pytest.approx(RELEASE_SECONDS, abs=POLL_SECONDS)] * 2


@pytest.mark.parametrize("pages", [1, 4, 8, 16])
def test_pages_share_one_budget_however_many_there_are(pages):
    """N pages, each asking again as soon as it may: the refreshes of all of them cost
    at most the budget (cores x share), each page's period grows with N, and every
    page gets the same number of refreshes."""
    p, clock = pacing(cores=2, share=0.25)
    cost = 0.4                                  # seconds a refresh cycle takes
    due = {k: clock.now for k in range(pages)}
    done = dict.fromkeys(due, 0)
    end = clock.now + 200.0
    while True:
        page = min(due, key=due.get)
        if due[page] >= end:
            break
        clock.now = due[page]
        done[page] += 1
        due[page] = clock.now + max(cost, p.reserve(cost))
    spent = sum(done.values()) * cost
    assert spent <= 0.5 * 200.0 + pages * cost + 1e-9       # budget: 0.5 core
    if pages > 1:
        assert spent >= 0.5 * 200.0 * 0.95                  # and it is used
    assert max(done.values()) - min(done.values()) <= 1     # shared evenly
    period = 200.0 / min(done.values())
    assert period == pytest.approx(max(cost, pages * cost / 0.5), rel=0.05)


def test_the_period_follows_what_the_pages_cost_together():
    """A costly page and a cheap one take turns: each waits for the other's place, so
    both refresh every (cheap + costly) / budget seconds, within the budget."""
    p, clock = pacing(cores=2, share=0.25)
    costs = {"cheap": 0.1, "costly": 0.8}
    due = dict.fromkeys(costs, clock.now)
    done = dict.fromkeys(costs, 0)
    end = clock.now + 100.0
    while min(due.values()) < end:
        page = min(due, key=due.get)
        clock.now = due[page]
        done[page] += 1
        due[page] = clock.now + max(costs[page], p.reserve(costs[page]))
    assert abs(done["cheap"] - done["costly"]) <= 1
    assert 100.0 / done["costly"] == pytest.approx(0.9 / 0.5, rel=0.05)


def test_a_refresh_costs_at_least_the_floor(monkeypatch):
    monkeypatch.setattr(pacing_module, "LEAST_COST_SECONDS", 0.5)
    p, _ = pacing(cores=2, share=0.25)
    p.reserve(0.1)
    assert p.reserve(0.1) == pytest.approx(0.5 / 0.5)


def test_new_places_come_after_a_click_and_its_hold():
    p, clock = pacing(hold=1.0)
    with p.interactive():
        assert p.reserve(0.1) == pytest.approx(1.0)      # the hold, from now
        clock.now += 0.3
    assert p.reserve(0.0) == pytest.approx(1.0)          # from the answer's end


def test_a_full_timeline_does_not_run_ahead():
    p, _ = pacing(cores=2, share=0.25)
    waits = [p.reserve(5.0, longest=10.0) for _ in range(20)]
    assert max(waits) == 10.0
    assert p._next_free == pytest.approx(100.0 + 10.0 + 5.0 / 0.5)


def test_a_page_refreshed_late_finds_its_allowance_for_every_pace_that_passed():
    """The runs train at most ``cap`` iterations between refreshes within pace_seconds
    of the last one (a page alone), and ``cap`` per pace_seconds after that; counted
    in lockstep iterations of every run, and reset at each refresh."""
    text = engine.read_sample("prose.txt")[:2000]
    runs = {f"run {k}": engine.Trainer(text, hidden_size=8, seq_length=5, seed=k)
            for k in range(2)}
    clock = Clock()
    training = Training(runs, list(runs), cap=6, pace_seconds=2.0, clock=clock)
    training.round(seconds=10.0)
    assert training.since_refresh == 6                  # within 2 s: the cap
    clock.now += 1.5
    training.round(seconds=10.0)
    assert training.since_refresh == 6
    clock.now += 4.5                                    # 6 s since the refresh: 3 caps
    training.round(seconds=10.0)
    assert training.since_refresh == 18 and not training.ready
    assert [tr.iteration for tr in runs.values()] == [18, 18]
    training.answer()                                   # a refresh: the clock restarts
    assert training.allowed == 6
    training.round(seconds=10.0)
    assert [tr.iteration for tr in runs.values()] == [24, 24]


def test_without_a_pace_the_cap_holds_however_late_the_refresh():
    text = engine.read_sample("prose.txt")[:2000]
    runs = {"run": engine.Trainer(text, hidden_size=8, seq_length=5, seed=0)}
    clock = Clock()
    training = Training(runs, list(runs), cap=5, clock=clock)
    clock.now += 60.0
    training.round(seconds=10.0)
    assert runs["run"].iteration == 5 and not training.ready


def test_the_pages_are_told_when_a_click_is_answered_and_when_its_hold_is_over():
    """publish(True) when the first click comes in, publish(False) HOLD after the last
    answer, once (the pacer reads what was published before it asks, dashboard/live)."""
    told = []
    p = Pacing(2, hold=0.2)
    p.publish = told.append
    with p.interactive():
        with p.interactive():
            pass
        assert told == [True]
    with p.interactive():                       # a click within the hold: still held
        pass
    assert told == [True]
    wait_until(lambda: told == [True, False], timeout=5)
    assert not p.answering()
    with p.interactive():
        pass
    wait_until(lambda: told == [True, False, True, False], timeout=5)
