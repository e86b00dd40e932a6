"""Live training in a process of its own, so the web server only draws.

While the dashboard runs live, one :class:`BackgroundTraining` per browser session owns
a training process (dashboard/training_process.py, started by dashboard/pool.py) that
trains copies of the session's runs in lockstep, at most ``cap`` iterations between two
refreshes of the page. The session keeps its own Trainers, which the views read: at
each refresh (:meth:`refreshed`) the process sends what training changed and the
session's copies catch up with it, bit for bit (engine/progress.py). The copies change
only then, inside :meth:`drawing`, so a view always reads a consistent model, and the
process goes on training while the page draws. :meth:`stop` brings the runs up to date
and ends the process (a click that changes the runs, Pause, a closed page). Nothing
here imports streamlit.
"""
import logging
import threading
from contextlib import contextmanager

from dashboard import pool, training_process

ANSWER_SECONDS = 30.0   # a training process answers within a round; past this it is stuck


class BackgroundTraining:
    """Trains ``runs[name]`` for every name in ``names`` in lockstep, at most ``cap``
    iterations between two refreshes of the page, until :meth:`stop`. A run that
    diverges stops and its error is kept in ``diverged`` (name -> message); the others
    go on. ``page_open()`` says whether the session's page is still there (the janitor
    stops the training of a closed one). With ``pace_seconds``, a refresh later than
    that after the last one finds ``cap`` more iterations trained for every
    ``pace_seconds`` that passed (training_process.Training). Raises pool.Full when
    the server trains as many sessions as it takes."""

    def __init__(self, runs, names, cap, page_open=None, pace_seconds=None):
        self.runs = runs
        self.names = list(names)
        self.cap = max(1, int(cap))
        self.diverged = {}
        self.failed = None           # why training stopped on an unexpected error
        self._page_open = page_open
        self._lock = threading.RLock()   # held while the runs are read or brought up to date
        self._stopped = False
        shares, slot = pool.admit(self)
        try:
            ctx = pool.context()
            self._conn, child = ctx.Pipe()
            self._process = ctx.Process(
                target=training_process.main, name=pool.PROCESS_NAME, daemon=True,
                args=(child, {n: runs[n] for n in self.names}, self.names, self.cap,
                      pool.NICE, (shares, slot), pace_seconds))
            self._process.start()
            child.close()
        except BaseException:
            pool.release(self)
            raise

    @property
    def alive(self):
        return not self._stopped and self._process.is_alive()

    def page_open(self):
        return self._page_open is None or self._page_open()

    def _ask(self, message):
        """Send ``message`` and bring the runs up to date with the answer. False when the
        process did not answer (it ended: idle, killed); the runs are then as of the
        last answer, which is a state the runs really passed through."""
        try:
            self._conn.send(message)
            if not self._conn.poll(ANSWER_SECONDS):
                raise TimeoutError(f"no answer in {ANSWER_SECONDS:.0f} s")
            answer = self._conn.recv()
        except (EOFError, OSError, TimeoutError) as err:
            if not self._stopped and self._process.exitcode not in (0, None):
                self.failed = f"the training process ended ({err or type(err).__name__})"
            return False
        for name, record in answer["progress"].items():
            self.runs[name].catch_up(record)
        self.diverged.update(answer["diverged"])
        self.names = [n for n in self.names if n not in self.diverged]
        if answer["failed"]:
            logging.getLogger("bpttscope").error("background training: %s", answer["failed"])
            self.failed = answer["failed"]
        return True

    def trained(self):
        """Iterations trained since the last refresh (asks the process; changes
        nothing). None when the process has ended."""
        with self._lock:
            try:
                self._conn.send("count")
                return self._conn.recv() if self._conn.poll(ANSWER_SECONDS) else None
            except (EOFError, OSError):
                return None

    @contextmanager
    def drawing(self):
        """The caller reads the runs: they are not brought up to date meanwhile."""
        with self._lock:
            yield

    def refreshed(self, cap=None):
        """The page asked for a refresh: bring the runs up to date; ``cap`` (by default
        the last one) more iterations may train."""
        with self._lock:
            if cap is not None:
                self.cap = max(1, int(cap))
            if not self._stopped:
                self._ask(("sync", self.cap) if cap is not None else "sync")

    def stop(self):
        """Bring the runs up to date and end the process (waits at most one round)."""
        with self._lock:
            if self._stopped:
                return
            if self._process.is_alive():
                self._ask("stop")
            self._stopped = True
            self._conn.close()
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            pool.release(self)
