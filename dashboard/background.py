"""Live training on a worker thread, so the page's refreshes only draw.

While the dashboard runs live, one :class:`BackgroundTraining` per browser session trains
its runs in lockstep, a short round at a time, and stops whenever the page draws: every
script run (a refresh, a click) first calls :meth:`BackgroundTraining.drawing`, which
waits for the current round to end (a few milliseconds) and keeps the worker paused
until the drawing is done. So a view always reads a consistent model, and the time the
page spends between refreshes goes to training instead of to waiting for the next
refresh. Nothing here imports streamlit.
"""
import logging
import threading
import time
from contextlib import contextmanager

from dashboard import models

ROUND_SECONDS = 0.02    # longest the worker holds the runs before a drawer may take them
IDLE_SECONDS = 30.0     # no refresh for this long (the tab was closed): the worker stops
# Iterations each run takes in turn within a round. Four runs interleaved one iteration
# at a time kept evicting each other's weights from the CPU cache: four min-char-rnn
# runs trained 0.84-0.94 as many iterations per CPU-second as one run alone, 1.02-1.08
# in turns of 4 and 1.11-1.27 in turns of 8 (measured with thread CPU time on a busy
# 2-core machine). 4 keeps a round's overrun, and so a click's wait, under ~10 ms.
TURN = 4


class BackgroundTraining:
    """Trains ``runs[name]`` for every name in ``names`` in lockstep, at most ``cap``
    iterations between two refreshes of the page, until :meth:`stop`. A run that diverges stops and
    its error is kept in ``diverged`` (name -> message); the others go on."""

    def __init__(self, runs, names, cap):
        self.runs = runs
        self.names = list(names)
        self.cap = max(1, int(cap))
        self.diverged = {}
        self.failed = None           # why the worker stopped on an unexpected error
        self._cond = threading.Condition()
        self._count = threading.Lock()   # guards _drawers, never held for long
        self._drawers = 0            # script runs that hold or wait for the runs
        self._since_refresh = 0         # iterations trained since the last refresh
        self._last_refresh = time.monotonic()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="bptt-training",
                                        daemon=True)
        self._thread.start()

    @property
    def alive(self):
        return self._thread.is_alive()

    def _ready(self):
        return self._stop or (self._drawers == 0 and self._since_refresh < self.cap
                              and bool(self.names))

    def _loop(self):
        while True:
            # (a drawer counts itself before it asks for the lock, so when this thread
            # takes the lock back first it finds it not ready and waits, letting it in)
            with self._cond:
                self._cond.wait_for(self._ready, timeout=1.0)
                if self._stop or time.monotonic() - self._last_refresh > IDLE_SECONDS:
                    return
                if self._ready():
                    try:
                        self._round()
                    except Exception as err:      # a bug must not die unseen
                        logging.getLogger("bpttscope").exception("background training")
                        self.failed = f"{type(err).__name__}: {err}"
                        return

    def _round(self):
        """Lockstep iterations of every active run, TURN at a time each, for about
        ROUND_SECONDS; the runs are level again at the end of every turn."""
        end = time.perf_counter() + ROUND_SECONDS
        while self.names and self._since_refresh < self.cap and not self._stop:
            turn = min(TURN, self.cap - self._since_refresh)
            for name in list(self.names):
                err = models.advance(self.runs[name], turn)
                if err is not None:
                    self.diverged[name] = str(err)
                    self.names.remove(name)
            self._since_refresh += turn
            if time.perf_counter() > end:
                break

    @contextmanager
    def drawing(self):
        """Pause training while the caller reads the runs (waits for the current round
        to end)."""
        with self._count:
            self._drawers += 1
        try:
            with self._cond:
                pass                         # the current round, if any, has ended
            yield
        finally:
            with self._count, self._cond:
                self._drawers -= 1
                self._cond.notify_all()

    def refreshed(self):
        """The page asked for a refresh: ``cap`` more iterations may train."""
        with self._cond:
            self._since_refresh = 0
            self._last_refresh = time.monotonic()
            self._cond.notify_all()

    def stop(self):
        """Stop and wait for the worker (at most one round)."""
        self._stop = True            # first: the worker may hold the lock round after round
        with self._cond:
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join()
