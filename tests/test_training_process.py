"""The pieces of training in other processes: a Trainer's progress carried bit for bit
(engine/progress.py), pickling that keeps the named views, the BLAS thread count shared
by concurrent callers (engine/threads.py), one BLAS thread in training processes, the
pool's admission, and memory given back after sessions end (dashboard/pool.py)."""
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from apptest import wait_until

import engine
from dashboard import pool
from dashboard.background import BackgroundTraining
from engine import threads

ROOT = Path(__file__).resolve().parents[1]
TEXT = engine.read_sample("prose.txt")[:3000]


def trainer(**settings):
    return engine.Trainer(TEXT, hidden_size=16, seq_length=10, **settings)


def test_a_pickled_trainer_writes_its_weights_through_its_views():
    tr = trainer()
    tr.run(5)
    twin = pickle.loads(pickle.dumps(tr))
    assert twin.params["Whh"].base is twin._flat and twin.mem["Whh"].base is not None
    tr.run(20)
    twin.run(20)
    assert twin._flat.tobytes() == tr._flat.tobytes()
    assert twin.history.equals(tr.history)


@pytest.mark.parametrize("settings", [{}, {"cell": "lstm"}, {"cell": "gru"},
                                      {"optimizer": "sgd", "clip": "norm"}])
def test_progress_brings_a_copy_up_to_date_bit_for_bit(settings):
    shown, reference = trainer(**settings), trainer(**settings)
    shown.run(3)
    reference.run(3)
    away = pickle.loads(pickle.dumps(shown))          # the copy that trains elsewhere
    rows = len(shown.history_store)
    for _ in range(3):                                # three refreshes
        away.run(17)
        record = pickle.loads(pickle.dumps(away.progress(rows)))
        rows = len(away.history_store)
        shown.catch_up(record)
    reference.run(51)
    for tr in (shown, reference):                     # and both go on alike
        tr.run(9)
    assert shown._flat.tobytes() == reference._flat.tobytes()
    assert shown._mem_flat.tobytes() == reference._mem_flat.tobytes()
    assert shown.hprev.tobytes() == reference.hprev.tobytes()
    if reference.cprev is not None:
        assert shown.cprev.tobytes() == reference.cprev.tobytes()
    assert shown.history.equals(reference.history)
    assert (shown.iteration, shown.position, shown.smooth_loss) == \
        (reference.iteration, reference.position, reference.smooth_loss)
    np.testing.assert_array_equal(shown.trace.dhnext, reference.trace.dhnext)


def test_progress_of_another_run_is_refused():
    a, b = trainer(), trainer()
    a.run(4)
    with pytest.raises(ValueError, match="another run"):
        b.catch_up(a.progress(rows=2))                 # b has no history rows yet


def test_concurrent_callers_share_one_blas_thread(monkeypatch):
    """A enters (sets 1), B enters, A leaves while B computes: B must still run on one
    thread. Saving and restoring per caller gave B two threads at that point."""
    setting = {"threads": 2}
    monkeypatch.setattr(threads, "_openblas", lambda: (
        lambda: setting["threads"], lambda n: setting.update(threads=n)))
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = []

    def a():
        with threads.one_blas_thread():
            a_in.set()
            b_in.wait()
        a_out.set()

    def b():
        a_in.wait()
        with threads.one_blas_thread():
            b_in.set()
            a_out.wait()
            seen.append(setting["threads"])      # B computing after A left

    workers = [threading.Thread(target=f) for f in (a, b)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=5)
    assert seen == [1]
    assert setting["threads"] == 2                # the last one out restored it


def test_a_caller_whose_exit_never_ran_does_not_keep_blas_limited(monkeypatch):
    """A Ctrl-C between a ``with`` statement and the first line of ``__exit__`` skips
    the exit: the next caller out still restores the setting the first one found."""
    setting = {"threads": 3}
    monkeypatch.setattr(threads, "_openblas", lambda: (
        lambda: setting["threads"], lambda n: setting.update(threads=n)))
    skipped = threads.one_blas_thread()
    skipped.__enter__()
    assert setting["threads"] == 1
    del skipped                                   # its frame unwound: no __exit__
    with threads.one_blas_thread():
        assert setting["threads"] == 1
    assert setting["threads"] == 3


def blas_threads_here():
    from engine import threads as t
    funcs = t._openblas()
    return None if funcs is None else funcs[0]()


def _report(queue):
    queue.put(blas_threads_here())


def test_training_processes_start_with_one_blas_thread():
    if blas_threads_here() is None:
        pytest.skip("numpy does not use OpenBLAS here")
    ctx = pool.context()
    queue = ctx.Queue()
    process = ctx.Process(target=_report, args=(queue,))
    process.start()
    assert queue.get(timeout=60) == 1
    process.join()


def test_a_full_server_queues_the_next_session(monkeypatch):
    monkeypatch.setattr(pool, "MAX_TRAINING", 1)
    first = BackgroundTraining({"a": trainer()}, ["a"], cap=10**6)
    try:
        assert pool.training_now() == 1
        with pytest.raises(pool.Full, match="most this server takes"):
            BackgroundTraining({"b": trainer()}, ["b"], cap=10)
        assert pool.training_now() == 1
    finally:
        first.stop()
    assert pool.training_now() == 0
    second = BackgroundTraining({"b": trainer()}, ["b"], cap=10)     # a place is free
    wait_until(lambda: second.trained() == 10)
    second.stop()


def test_the_janitor_trims_memory_when_sessions_end(monkeypatch):
    trims = []
    monkeypatch.setattr(pool, "trim_memory", lambda: trims.append(1))
    count = {"sessions": 5}
    pool.set_sessions(lambda: count["sessions"])
    try:
        seen = pool.sweep(None)
        seen = pool.sweep(seen)
        assert trims == []
        count["sessions"] = 2                          # three sessions expired
        assert pool.sweep(seen) == 2 and trims      # (the janitor's own pass may too)
    finally:
        pool.set_sessions(None)


MEMORY_SCRIPT = r"""
import gc
import engine
from dashboard import pool

def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS")) / 1024

text = engine.read_sample("prose.txt")
base = rss()
sessions = [{k: engine.Trainer(text, seed=k) for k in range(2)} for _ in range(8)]
for runs in sessions:
    for tr in runs.values():
        tr.run(300)
        tr.history
full = rss()
del sessions, runs, tr
gc.collect()
freed = rss()
pool.trim_memory()
print(base, full, freed, rss())
"""


def test_memory_of_ended_sessions_goes_back_to_the_system():
    """Eight sessions' runs (two default models, 300 iterations each) freed: glibc kept
    most of their pages until trimmed (measured 107 MB fresh, 151 full, 146 freed, 119
    after the trim)."""
    out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=300).stdout
    base, full, freed, trimmed = map(float, out.split())
    grown = full - base
    assert grown > 20                                  # the sessions took memory
    assert freed - base > 0.5 * grown                  # freeing alone gave little back
    assert trimmed - base < 0.5 * (freed - base)       # the trim gave most of it back


def test_the_share_table_holds_back_the_process_ahead():
    from dashboard.training_process import IDLE, Share
    table = [IDLE] * 4
    a, b = Share(table, 0), Share(table, 2)
    a.join()
    a.charge(5.0)
    b.join()                                  # joins level with the least served: a
    assert table[2] == 5.0 and not a.ahead() and not b.ahead()
    b.charge(0.2)
    assert b.ahead() and not a.ahead()        # b waits until a has trained as long
    a.charge(0.2)
    assert not b.ahead()
    a.leave()
    assert table[0] == IDLE and not b.ahead()


def test_sessions_get_equal_shares_of_the_cpu_whatever_their_model():
    """Three sessions, the first with a model 4x as costly per iteration, all on one
    the same cores: their CPU seconds stay within a few rounds of each other."""
    big = engine.Trainer(TEXT, hidden_size=64, seq_length=10)
    sessions = [{"big": big}, {"s1": trainer()}, {"s2": trainer()}]
    workers = [BackgroundTraining(r, list(r), cap=10**9) for r in sessions]
    try:
        time.sleep(6)
        table = pool._shares
        slots = [pool._live[w] for w in workers]
        seconds = [table[k] for k in slots]
    finally:
        for w in workers:
            w.stop()
    assert min(seconds) > 0.05                     # (a busy machine: little CPU each)
    assert max(seconds) - min(seconds) < 0.2, seconds     # AHEAD_SECONDS and a round
