"""The body of a training process: trains one session's runs while the page shows them.

Runs in a process forked from the pool's fork server (dashboard/pool.py), never in the
web server, so training holds no lock the server needs: a session training here costs
the server nothing between two refreshes. The process trains its runs in lockstep, in
rounds of ROUND_SECONDS, at most ``cap`` iterations between two refreshes, and answers
the server between rounds:

    "sync"   -> the progress of every run since the last answer (engine/progress.py),
                the runs that diverged, the error that stopped training if any;
                then ``cap`` more iterations may train
    ("sync", cap) -> the same, and ``cap`` is the new allowance from now on
    "stop"   -> the same answer, then the process ends
    "count"  -> the iterations trained since the last sync (nothing else changes)

It ends by itself when the server has not asked for IDLE_SECONDS (a page that stopped
refreshing) or when the server has gone (its end of the pipe closes). Nothing here
imports streamlit.
"""
import os
import sys

FRESH = "numpy" not in sys.modules      # imported by the fork server, before numpy
if FRESH:
    # OpenBLAS reads these once, when numpy loads it: the fork server imports this module
    # before numpy, so every training process computes on one BLAS thread from the
    # start, with nothing to set or restore per call (engine/threads.py).
    for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_name] = "1"

import time  # noqa: E402

from dashboard import models  # noqa: E402  (imports engine, hence numpy: after the above)

ROUND_SECONDS = 0.02    # longest the process trains before it looks for a message
# Iterations each run takes in turn within a round. Four runs interleaved one iteration
# at a time kept evicting each other's weights from the CPU cache: four min-char-rnn
# runs trained 0.84-0.94 as many iterations per CPU-second as one run alone, 1.02-1.08
# in turns of 4 and 1.11-1.27 in turns of 8 (measured with thread CPU time on a busy
# 2-core machine). 4 keeps a round's overrun, and so a click's wait, under ~10 ms.
TURN = 4
IDLE_SECONDS = 30.0     # no word from the server for this long: the process ends
IDLE = float("inf")     # a share-table entry of a process that is not training
PACE_POLL_SECONDS = 0.1  # a process waiting for its allowance to grow looks this often
AHEAD_SECONDS = 0.05    # CPU seconds a process may be ahead of the least served one


class Share:
    """This process's entry in the table of CPU seconds each training process of the
    server has trained (shared memory, one float per process, IDLE when not training).
    A process that joins (or resumes) starts level with the least served one, so
    nobody waits for it to make up the time it was not there."""

    def __init__(self, table, slot):
        self.table, self.slot = table, slot
        self.active = False

    def _least(self):
        return min(self.table[k] for k in range(len(self.table)))

    def join(self):
        least = self._least()
        self.table[self.slot] = 0.0 if least == IDLE else least
        self.active = True

    def leave(self):
        self.table[self.slot] = IDLE
        self.active = False

    def charge(self, seconds):
        self.table[self.slot] += seconds

    def ahead(self):
        return self.table[self.slot] > self._least() + AHEAD_SECONDS


class Training:
    """The runs of one session in this process, and what the server has of them.

    Between two refreshes the runs train at most ``cap`` iterations; with
    ``pace_seconds``, a refresh that comes later than that after the last one finds
    ``cap`` more for every ``pace_seconds`` that passed (a busy server refreshes pages
    less often: the lesson keeps its pace, dashboard/pacing.py)."""

    def __init__(self, runs, names, cap, pace_seconds=None, clock=time.monotonic):
        self.runs, self.names, self.cap = runs, list(names), max(1, int(cap))
        self.rows = {n: len(tr.history_store) for n, tr in runs.items()}  # the server's
        self.sent = {n: tr.iteration for n, tr in runs.items()}
        self.diverged, self.failed = {}, None
        self.since_refresh = 0
        self.pace_seconds, self.clock = pace_seconds, clock
        self.synced = clock()

    @property
    def allowed(self):
        """Iterations that may train since the last refresh, by now."""
        if not self.pace_seconds:
            return self.cap
        late = (self.clock() - self.synced) / self.pace_seconds
        return max(self.cap, int(self.cap * late))

    @property
    def ready(self):
        return bool(self.names) and self.since_refresh < self.allowed and self.failed is None

    def round(self, seconds=ROUND_SECONDS):
        """Lockstep iterations of every active run, TURN at a time each, for at most
        about ``seconds``; the runs are level again at the end of every turn."""
        end = time.perf_counter() + seconds
        try:
            while self.ready:
                turn = min(TURN, self.allowed - self.since_refresh)
                for name in list(self.names):
                    err = models.advance(self.runs[name], turn)
                    if err is not None:
                        self.diverged[name] = str(err)
                        self.names.remove(name)
                self.since_refresh += turn
                if time.perf_counter() > end:
                    break
        except Exception as err:            # a bug must not die unseen: the server says it
            self.failed = f"{type(err).__name__}: {err}"

    def answer(self):
        """What the server's copies lack, and a new allowance of ``cap`` iterations."""
        progress = {}
        for name, trainer in self.runs.items():
            if trainer.iteration != self.sent[name]:
                progress[name] = trainer.progress(self.rows[name])
                self.rows[name] = len(trainer.history_store)
                self.sent[name] = trainer.iteration
        self.since_refresh = 0
        self.synced = self.clock()
        return {"progress": progress, "diverged": dict(self.diverged),
                "failed": self.failed}


def main(conn, runs, names, cap, nice=0, share=None, pace_seconds=None):
    """Serve one session over ``conn`` until told to stop, idle, or orphaned.
    ``share``: (table, slot) of the server's fair-share table, or None."""
    if nice:
        try:
            os.nice(nice)
        except OSError:
            pass
    training = Training(runs, names, cap, pace_seconds)
    # waiting for the allowance to grow (pace_seconds), look again this often
    idle_poll = 1.0 if not pace_seconds else min(1.0, PACE_POLL_SECONDS)
    share = Share(*share) if share is not None else None
    heard = time.monotonic()
    try:
        while True:
            waiting = share is not None and share.active and share.ahead()
            if conn.poll(ROUND_SECONDS if waiting else 0 if training.ready else idle_poll):
                message = conn.recv()
                heard = time.monotonic()
                if message == "count":
                    conn.send(training.since_refresh)
                    continue
                kind, cap = message if isinstance(message, tuple) else (message, None)
                if cap is not None:
                    training.cap = max(1, int(cap))
                conn.send(training.answer())
                if kind == "stop":
                    return
            elif time.monotonic() - heard > IDLE_SECONDS:
                return
            if share is not None and share.active != training.ready:
                share.join() if training.ready else share.leave()
            if training.ready and not (share is not None and share.ahead()):
                start = time.process_time()
                training.round()
                if share is not None:
                    share.charge(time.process_time() - start)
    except (EOFError, OSError):         # the server went away
        return
    finally:
        if share is not None:
            share.leave()
