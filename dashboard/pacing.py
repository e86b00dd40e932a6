"""The live refreshes of every page one server draws, paced together.

A class of N students pressing Run is N pages refreshing live. Each refresh costs the
server its drawing and the page its painting, and with the browsers on the server's
cores (a class on one machine, the classroom benchmark) the painting is most of it:
about half a CPU-second per refresh of the Training view in Chromium, against a tenth
for the server. Paced page by page, eight pages kept a core busy painting, training
(at a lower priority) got what was left, and a new student's Step waited for cores
behind everyone's painting (median 2.2 s). So the server paces them together, with one
:class:`Pacing` per server process, by two rules:

- **Clicks first.** A script run that answers a person (a click, a first screen, a view
  changed) is *interactive* while it runs and for HOLD_SECONDS after, while its page
  paints the answer. Meanwhile live refreshes wait: one that comes due waits (its page
  at most MAX_DEFER_SECONDS before it asks, the server at most SERVER_DEFER_SECONDS
  after, and never when the page has a click of its own pending, so Pause is
  answered as before), and new ones are given places after the hold. The ones held
  back then start one at a time, RELEASE_SECONDS apart, not all together in the gap
  before the next click. (Training does not wait: its pace is kept by the clock,
  dashboard/training_process.Training.)
  The pages learn it before they ask: ``publish(answering)`` is called when it
  changes, and dashboard/live.py writes it to a file the pacer reads, so a page
  waits before its refresh starts (a refresh held on the server would show the page
  faded and "Running" meanwhile).
- **A budget.** All live refreshes together take at most LIVE_SHARE of the machine's
  cores: each reserves ``cost / budget`` seconds on one timeline shared by every page,
  where ``cost`` is the whole cycle of the page's last refresh (the server's drawing
  and the page's painting), and at least LEAST_COST_SECONDS. The pages take turns:
  each refreshes every (sum of their costs) / budget seconds, so N pages refresh about
  N times less often than one would, and what they cost together stays the same
  however many there are.

Nothing here imports streamlit (dashboard/live.py does the Streamlit side).
"""
import os
import threading
import time
from contextlib import contextmanager

# of the cores, for the live refreshes of all pages together
LIVE_SHARE = float(os.environ.get("BPTTSCOPE_LIVE_SHARE", "0.2"))
# A refresh costs at least this (seconds of a core). Chromium painted a live refresh of
# the Training view in 0.2-0.3 s by the page's clock but spent 0.4-0.5 CPU-seconds on
# it (rasterising on other threads, collecting garbage after): the clock the page can
# read sees half of what it costs.
LEAST_COST_SECONDS = 0.5
HOLD_SECONDS = 1.0         # an answered click holds live refreshes back this long after
MAX_DEFER_SECONDS = 5.0    # the longest a page waits for clicks before it asks
SERVER_DEFER_SECONDS = 1.0  # and a refresh that started anyway, on the server
RELEASE_SECONDS = 0.25     # live refreshes start at least this far apart (held ones too)
POLL_SECONDS = 0.05        # how often a waiting refresh looks again


class Pacing:
    """Interactive runs in flight, and the shared timeline of live refreshes, for one
    server process (thread-safe). ``clock`` and ``sleep`` are the tests' to replace."""

    def __init__(self, cores, share=LIVE_SHARE, hold=HOLD_SECONDS, clock=time.monotonic,
                 sleep=time.sleep):
        self.budget = share * max(1, cores)      # core-seconds of refreshing per second
        self.hold = hold
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last_answer = float("-inf")        # when the last interactive run ended
        self._next_free = float("-inf")          # where the timeline's next place starts
        self._released = float("-inf")           # when the last live refresh started
        self.publish = None             # publish(answering): told when that changes
        self._published = False
        self._timer = None

    @contextmanager
    def interactive(self):
        """The caller answers a person: live refreshes wait until HOLD_SECONDS after."""
        with self._lock:
            self._in_flight += 1
            changed, self._published = not self._published, True
            if self._timer is not None:
                self._timer.cancel()
        if changed and self.publish is not None:
            self.publish(True)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._last_answer = self.clock()
                if self._in_flight == 0 and self.publish is not None:
                    self._timer = threading.Timer(self.hold, self._hold_over)
                    self._timer.daemon = True
                    self._timer.start()

    def _hold_over(self):
        """HOLD_SECONDS after the last answer: tell the pages live refreshes may go on."""
        with self._lock:
            over = self._published and not self._answering(self.clock() + 1e-3)
            if over:
                self._published = False
        if over and self.publish is not None:
            self.publish(False)

    def _answering(self, now):
        return self._in_flight > 0 or now - self._last_answer < self.hold

    def answering(self):
        """Whether a click is being answered (or its page is still painting it)."""
        with self._lock:
            return self._answering(self.clock())

    def wait_turn(self, interrupted=lambda: False, limit=SERVER_DEFER_SECONDS):
        """At the start of a live refresh: wait while clicks are answered and until
        RELEASE_SECONDS after the last live refresh started, at most ``limit``
        seconds, and not once ``interrupted()`` (the page's own click is pending).
        Returns the seconds waited."""
        start = self.clock()
        while True:
            with self._lock:
                now = self.clock()
                if (now - start >= limit or interrupted()
                        or (not self._answering(now)
                            and now - self._released >= RELEASE_SECONDS)):
                    self._released = now
                    return now - start
            self.sleep(POLL_SECONDS)

    def reserve(self, cost, longest=float("inf")):
        """A page whose last refresh cycle took ``cost`` seconds takes the next place
        on the timeline: returns the seconds from now until its next refresh may
        start (0 when the timeline is free and no click is being answered), at most
        ``longest`` (the timeline is then full: it does not run ahead further)."""
        with self._lock:
            now = self.clock()
            start = max(now, self._next_free)
            if self._answering(now):
                start = max(start, max(now, self._last_answer) + self.hold)
            start = min(start, now + longest)
            self._next_free = start + max(LEAST_COST_SECONDS, cost) / self.budget
            return start - now
