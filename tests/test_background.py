"""The live loop's worker thread (dashboard.background): lockstep, at most ``cap``
iterations per refresh, no training while a view draws, divergence kept, and the
same numbers as training the runs in the foreground."""
import time

import numpy as np
from apptest import wait_until

import engine
from dashboard.background import BackgroundTraining

TEXT = engine.read_sample("prose.txt")[:3000]


def runs(n=2):
    return {f"run {k}": engine.Trainer(TEXT, hidden_size=16, seq_length=10, seed=k)
            for k in range(n)}


def test_trains_every_run_in_lockstep_up_to_the_cap_then_waits():
    trainers = runs(3)
    worker = BackgroundTraining(trainers, list(trainers), cap=7)
    try:
        wait_until(lambda: trainers["run 0"].iteration == 7)
        time.sleep(0.1)
        with worker.drawing():
            assert [tr.iteration for tr in trainers.values()] == [7, 7, 7]
            worker.refreshed()                          # the page asked for a refresh
        wait_until(lambda: trainers["run 2"].iteration == 14)
    finally:
        worker.stop()
    assert not worker.alive
    assert {tr.iteration for tr in trainers.values()} == {14}


def test_nothing_trains_while_a_view_draws():
    trainers = runs(1)
    worker = BackgroundTraining(trainers, list(trainers), cap=10_000)
    try:
        wait_until(lambda: trainers["run 0"].iteration > 5)
        with worker.drawing():
            seen = trainers["run 0"].iteration
            time.sleep(0.15)
            assert trainers["run 0"].iteration == seen
        wait_until(lambda: trainers["run 0"].iteration > seen)
    finally:
        worker.stop()


def test_background_training_gives_the_same_model_as_the_foreground():
    trainers, reference = runs(2), runs(2)
    worker = BackgroundTraining(trainers, list(trainers), cap=25)
    wait_until(lambda: trainers["run 1"].iteration == 25)
    worker.stop()
    for name, tr in reference.items():
        tr.run(25)
        for p in tr.params:
            np.testing.assert_array_equal(trainers[name].params[p], tr.params[p])
        assert trainers[name].smooth_loss == tr.smooth_loss


def test_a_run_that_diverges_stops_and_says_why_the_others_go_on(monkeypatch):
    trainers = runs(2)
    doomed = trainers["run 0"]
    original = engine.Trainer.step

    def step(self, *args, **kwargs):
        if self is doomed and self.iteration >= 3:
            raise engine.DivergenceError("diverged at iteration 3 (test)", quantity="dh",
                                         timestep=0, iteration=3)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(engine.Trainer, "step", step)
    worker = BackgroundTraining(trainers, list(trainers), cap=20)
    try:
        wait_until(lambda: trainers["run 1"].iteration == 20)
    finally:
        worker.stop()
    assert worker.diverged == {"run 0": "diverged at iteration 3 (test)"}
    assert doomed.iteration == 3 and worker.names == ["run 1"]


def test_an_unexpected_error_stops_the_worker_and_is_kept(monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(engine.Trainer, "step", broken)
    trainers = runs(1)
    worker = BackgroundTraining(trainers, list(trainers), cap=10)
    wait_until(lambda: not worker.alive)
    assert worker.failed == "RuntimeError: a bug" and worker.diverged == {}
    worker.stop()
