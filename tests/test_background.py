"""Live training in a process of its own (dashboard.background): lockstep, at most
``cap`` iterations per refresh, the session's copies changed only when brought up to
date, divergence kept, bit for bit the numbers of training in the foreground, and the
process gone after stop."""
import time

from apptest import wait_until

import engine
from dashboard.background import BackgroundTraining

TEXT = engine.read_sample("prose.txt")[:3000]


def runs(n=2, **settings):
    return {f"run {k}": engine.Trainer(TEXT, hidden_size=16, seq_length=10, seed=k,
                                       **settings)
            for k in range(n)}


def same_run(a, b):
    """Bit for bit: weights, Adagrad memory, carried state, history, last window."""
    assert a._flat.tobytes() == b._flat.tobytes()
    assert a._mem_flat.tobytes() == b._mem_flat.tobytes()
    assert a.hprev.tobytes() == b.hprev.tobytes()
    assert (a.iteration, a.position, a.smooth_loss) == (b.iteration, b.position,
                                                        b.smooth_loss)
    assert a.history.equals(b.history)
    assert a.trace.dhnext.tobytes() == b.trace.dhnext.tobytes()


def test_trains_every_run_in_lockstep_up_to_the_cap_then_waits():
    trainers = runs(3)
    worker = BackgroundTraining(trainers, list(trainers), cap=7)
    try:
        wait_until(lambda: worker.trained() == 7)
        time.sleep(0.1)
        assert worker.trained() == 7                   # the allowance is used: it waits
        assert {tr.iteration for tr in trainers.values()} == {0}   # copies not yet told
        with worker.drawing():
            worker.refreshed()                         # the page asked for a refresh
            assert [tr.iteration for tr in trainers.values()] == [7, 7, 7]
        wait_until(lambda: worker.trained() == 7)
    finally:
        worker.stop()
    assert not worker.alive and not worker._process.is_alive()
    assert {tr.iteration for tr in trainers.values()} == {14}


def test_the_copies_change_only_when_brought_up_to_date():
    trainers = runs(1)
    worker = BackgroundTraining(trainers, list(trainers), cap=10_000)
    try:
        wait_until(lambda: (worker.trained() or 0) > 5)
        worker.refreshed()
        seen = trainers["run 0"].iteration
        with worker.drawing():
            time.sleep(0.15)                           # the process trains on meanwhile
            assert trainers["run 0"].iteration == seen
        wait_until(lambda: (worker.trained() or 0) > 0)
    finally:
        worker.stop()
    assert trainers["run 0"].iteration > seen


def test_training_in_a_process_is_bit_identical_to_the_foreground():
    """Runs trained in the process, brought up to date at several refreshes, equal the
    same runs trained here; and they go on identically here afterwards."""
    trainers, reference = runs(2), runs(2)
    worker = BackgroundTraining(trainers, list(trainers), cap=40)
    for refresh in range(3):
        wait_until(lambda: worker.trained() == 40)
        if refresh < 2:
            worker.refreshed()
    worker.stop()
    for name, tr in reference.items():
        tr.run(120)
        assert trainers[name].iteration == 120
        same_run(trainers[name], tr)
        trainers[name].run(30)             # scratch buffers hide nothing: same next steps
        tr.run(30)
        same_run(trainers[name], tr)


def test_gated_cells_and_forks_train_identically_too():
    base = engine.Trainer(TEXT, hidden_size=12, seq_length=8, cell="lstm")
    base.run(3)
    trainers = {"a": base, "b": base.fork(learning_rate=0.05)}
    reference = {"a": base.fork(), "b": base.fork(learning_rate=0.05)}
    worker = BackgroundTraining(trainers, list(trainers), cap=25)
    wait_until(lambda: worker.trained() == 25)
    worker.stop()
    for name, tr in reference.items():
        tr.run(25)
        same_run(trainers[name], tr)
        assert trainers[name].cprev.tobytes() == tr.cprev.tobytes()


class Doomed(engine.Trainer):
    """Diverges at iteration 3 (the class goes into the process by reference)."""

    def step(self):
        if self.iteration >= 3:
            raise engine.DivergenceError("diverged at iteration 3 (test)", quantity="dh",
                                         timestep=0, iteration=3)
        return super().step()


def test_a_run_that_diverges_stops_and_says_why_the_others_go_on():
    trainers = {"doomed": Doomed(TEXT, hidden_size=16, seq_length=10),
                "fine": runs(1)["run 0"]}
    worker = BackgroundTraining(trainers, list(trainers), cap=20)
    try:
        wait_until(lambda: worker.trained() == 20)
    finally:
        worker.stop()
    assert worker.diverged == {"doomed": "diverged at iteration 3 (test)"}
    assert worker.names == ["fine"]
    assert trainers["doomed"].iteration == 3 and trainers["fine"].iteration == 20


class Broken(engine.Trainer):
    """A trainer whose steps fail with a bug (pickled by reference into the process)."""

    def step(self):
        raise RuntimeError("a bug")


def test_an_unexpected_error_stops_training_and_is_kept():
    trainers = {"run": Broken(TEXT, hidden_size=8, seq_length=5)}
    worker = BackgroundTraining(trainers, list(trainers), cap=10)
    try:
        wait_until(lambda: (worker.refreshed(), worker.failed)[1] is not None)
    finally:
        worker.stop()
    assert worker.failed == "RuntimeError: a bug" and worker.diverged == {}


def test_a_closed_page_stops_its_training_process_within_seconds():
    """The janitor asks each training session whether its page is still open (in the app:
    whether its websocket is connected) and stops those whose page has gone."""
    open_ = {"page": True}
    trainers = runs(1)
    worker = BackgroundTraining(trainers, list(trainers), cap=10**9,
                                page_open=lambda: open_["page"])
    wait_until(lambda: (worker.trained() or 0) > 0)
    time.sleep(1.5)
    assert worker.alive                                 # open: the janitor leaves it
    open_["page"] = False
    closed = time.monotonic()
    wait_until(lambda: not worker._process.is_alive(), timeout=10)
    assert time.monotonic() - closed < 3.0
    assert trainers["run 0"].iteration > 0              # brought up to date on the way out
    assert not worker.alive


def test_the_allowance_and_the_answer():
    from dashboard import training_process
    trainers = runs(1)
    training = training_process.Training(trainers, list(trainers), cap=3)
    training.round()
    assert training.since_refresh == 3 and not training.ready
    answer = training.answer()
    assert answer["progress"]["run 0"]["iteration"] == 3 and training.ready
    assert training.answer()["progress"] == {}          # nothing new: nothing sent


def test_a_process_left_alone_ends_by_itself(monkeypatch):
    """No word from the server for IDLE_SECONDS (a page that stopped refreshing), or the
    server gone: the training loop returns (run here on a thread, with a short idle)."""
    import multiprocessing
    import threading

    from dashboard import training_process
    monkeypatch.setattr(training_process, "IDLE_SECONDS", 0.5)
    for hang_up in (False, True):
        server, child = multiprocessing.Pipe()
        loop = threading.Thread(target=training_process.main,
                                args=(child, runs(1), ["run 0"], 5))
        loop.start()
        server.send("count")
        assert server.recv() in range(6)
        if hang_up:
            server.close()
        loop.join(timeout=5)
        assert not loop.is_alive()


def test_a_new_allowance_comes_with_a_refresh_and_keeps_the_process():
    """A page refreshed less often may train more between two refreshes
    (dashboard/live.allowance): the allowance changes at a refresh, in the same
    process, and the runs stay bit-identical to the foreground's."""
    trainers, reference = runs(2), runs(2)
    worker = BackgroundTraining(trainers, list(trainers), cap=7)
    process = worker._process.pid
    try:
        wait_until(lambda: worker.trained() == 7)
        worker.refreshed(cap=20)
        wait_until(lambda: worker.trained() == 20)
        time.sleep(0.1)
        assert worker.trained() == 20                  # the new allowance, used up
        worker.refreshed()                             # the last allowance again
        wait_until(lambda: worker.trained() == 20)
        assert worker._process.pid == process and worker.alive
    finally:
        worker.stop()
    for name, tr in reference.items():
        tr.run(47)
        same_run(trainers[name], tr)
