"""engine.EXERCISES: every answer against the reference implementation or brute force,
and the reading of what a student types."""
import numpy as np
import pytest

import engine
from engine.exercises import normalise, parse_number
from tests.reference import (
    ReferenceTrainer,
    reference_clip,
    reference_forward,
    reference_lossfun,
)

SEED_CONCEPTS = ("dhnext-last", "dh-by-hand", "dy-target", "tanh-mask", "clipped-entries",
                 "vanishing-steps", "diverge-first", "adagrad-rate", "truncation-share")


def lesson_runs(ex):
    """The exercise's lesson trained to its iteration, as the dashboard builds it."""
    if ex.lesson in engine.COMPARISONS:    # a prediction is taken after one step
        runs = engine.COMPARISONS[ex.lesson].trainers(steps=1 if ex.predict else None)
    else:
        preset = engine.PRESETS[ex.lesson]
        runs = {ex.lesson: engine.Trainer(preset.text, **preset.settings)}
    for tr in runs.values():
        try:
            tr.run(max(ex.iteration - tr.iteration, 0))
        except engine.DivergenceError:
            pass
    return runs


@pytest.fixture(scope="module")
def tiny():
    ex = engine.EXERCISES["dh-by-hand"]
    runs = lesson_runs(ex)
    tr = runs["tiny"]
    t = tr.trace
    ref = reference_lossfun(list(t.inputs), list(t.targets), t.hprev, t.params)
    return runs, tr, ref


def test_the_set_covers_the_seed_concepts():
    assert len(engine.EXERCISES) >= 8
    for name in SEED_CONCEPTS:
        ex = engine.EXERCISES[name]
        assert ex.name == name and ex.question and ex.hint and ex.explanation
        assert ex.lesson in engine.PRESETS or ex.lesson in engine.COMPARISONS
        assert ex.tolerance is None or ex.tolerance >= 0
        assert ex.hint != ex.explanation
    assert engine.EXERCISES["dh-by-hand"].index is not None
    assert engine.EXERCISES["diverge-first"].predict


def test_tiny_preset_is_hand_sized_and_shows_the_phenomena(tiny):
    runs, tr, ref = tiny
    preset = engine.PRESETS["tiny"]
    assert len(set(preset.text)) <= 4
    assert tr.config.hidden_size <= 3 and tr.config.seq_length <= 4
    t = tr.trace
    assert not t.dhnext[-1].any()                               # dhnext zero at the end
    assert t.tanh_grad.min() < 0.05                              # the tanh' mask shows
    changed = sum(np.count_nonzero(t.grads[n] != t.clipped[n]) for n in t.grads)
    assert changed > 0                                           # clipping changes entries
    assert preset.steps == 1 and tr.iteration == 1               # the window the tables show


def test_dhnext_last(tiny):
    runs, tr, ref = tiny
    ex = engine.EXERCISES["dhnext-last"]
    T = tr.config.seq_length
    assert ex.t == T - 1
    assert ex.answer(runs) == np.abs(ref["dhnext"][T - 1]).max() == 0.0


def test_dh_by_hand_against_the_reference(tiny):
    runs, tr, ref = tiny
    ex = engine.EXERCISES["dh-by-hand"]
    expected = ref["dh"][ex.t][ex.index, 0]
    assert ex.answer(runs) == pytest.approx(expected, rel=1e-10)
    # the two sources are both there (dhnext is not zero at this t)
    assert abs(ref["dhnext"][ex.t][ex.index, 0]) > 0.05
    # and redone by hand: Why^T dy + dhnext, one product at a time
    Why, dy = tr.trace.params["Why"], ref["dy"][ex.t][:, 0]
    by_hand = sum(Why[k, ex.index] * dy[k] for k in range(len(dy))) \
        + ref["dhnext"][ex.t][ex.index, 0]
    assert ex.answer(runs) == pytest.approx(by_hand, rel=1e-10)
    assert "=" in ex.work(runs)


def test_dy_at_the_target_and_its_sign(tiny):
    runs, tr, ref = tiny
    ex = engine.EXERCISES["dy-target"]
    target = tr.trace.targets[ex.t]
    assert ex.answer(runs) == pytest.approx(ref["ps"][ex.t][target, 0] - 1, abs=1e-12)
    ex = engine.EXERCISES["dy-negative"]
    negative = np.flatnonzero(ref["dy"][ex.t][:, 0] < 0)
    assert len(negative) == 1
    assert ex.answer(runs) == sorted(set(engine.PRESETS["tiny"].text))[negative[0]]


def test_tanh_mask(tiny):
    runs, tr, ref = tiny
    ex = engine.EXERCISES["tanh-mask"]
    h = ref["hs"][ex.t][:, 0]
    ratio = np.abs(ref["dhraw"][ex.t][:, 0] / ref["dh"][ex.t][:, 0])   # what passes
    assert ex.answer(runs) == np.argmin(1 - h * h) == np.argmin(ratio)


def test_clipped_entries(tiny):
    runs, tr, ref = tiny
    ex = engine.EXERCISES["clipped-entries"]
    c = tr.config
    clipped = reference_clip(ref["grads"], c.clip, c.threshold)
    brute = sum(int(g != k) for n in clipped
                for g, k in zip(ref["grads"][n].ravel(), clipped[n].ravel(), strict=True))
    assert ex.answer(runs) == brute > 0


def test_vanishing_steps_by_jacobian_products():
    ex = engine.EXERCISES["vanishing-steps"]
    runs = lesson_runs(ex)
    t = next(iter(runs.values())).trace
    p = t.params
    ref = reference_lossfun(list(t.inputs), list(t.targets), t.hprev, p)
    T = t.T
    g = np.dot(p["Why"].T, ref["dy"][T - 1])          # dL_{T-1}/dh_{T-1}
    steps = 0
    for s in range(T - 2, -1, -1):                    # dh_{s+1}/dh_s = diag(1-h^2) Whh
        J = (1 - ref["hs"][s + 1] ** 2) * p["Whh"]
        g = J.T @ g
        if np.linalg.norm(g) <= engine.exercises.FLOOR:
            break
        steps += 1
    assert ex.answer(runs) == steps
    assert 0 < steps < T - 1                          # the gradient does vanish


def test_diverge_first_against_reference_training():
    ex = engine.EXERCISES["diverge-first"]
    comparison = engine.COMPARISONS[ex.lesson]
    first_at = {}
    for name, settings in comparison.runs.items():
        fresh = engine.Trainer(comparison.text, **settings)
        c = fresh.config
        ref = ReferenceTrainer(comparison.text, fresh.params, c.seq_length, c.learning_rate,
                               c.clip, c.threshold, c.optimizer).run(ex.iteration)
        losses = np.array([r["loss"] for r in ref.records])
        above = np.flatnonzero(~(losses <= engine.exercises.BLOWUP * losses[0]))
        if above.size:
            first_at[name] = above[0]
    expected = min(first_at, key=first_at.get) if first_at else engine.exercises.NO_RUN
    runs = lesson_runs(ex)
    assert ex.answer(runs) == expected
    # before the runs train (the prediction is taken then) nothing has happened yet
    warm = engine.COMPARISONS[ex.lesson].trainers(steps=1)
    assert ex.answer(warm) == engine.exercises.NO_RUN


def test_adagrad_rate_against_reference_training():
    ex = engine.EXERCISES["adagrad-rate"]
    runs = lesson_runs(ex)
    tr = runs["tiny"]
    c = tr.config
    fresh = engine.Trainer(engine.PRESETS["tiny"].text, **engine.PRESETS["tiny"].settings)
    ref = ReferenceTrainer(fresh.text, fresh.params, c.seq_length, c.learning_rate,
                           c.clip, c.threshold, c.optimizer).run(ex.iteration)
    mem = ref.mem["Whh"][engine.exercise_list.ADAGRAD_ENTRY]
    assert ex.answer(runs) == pytest.approx(c.learning_rate / np.sqrt(mem + 1e-8), rel=1e-8)
    assert f"{mem:.6g}" in ex.given(runs)


def test_truncation_share_by_full_bptt():
    ex = engine.EXERCISES["truncation-share"]
    runs = lesson_runs(ex)
    tr = next(iter(runs.values()))
    t, p = tr.trace, tr.trace.params
    T, windows = t.T, 4
    start = t.position - windows * T
    assert start >= 0
    data = tr.data
    inputs, targets = list(data[start: t.position + T]), list(data[start + 1: t.position + T + 1])
    _, _, xs, hs, _, ps = reference_forward(inputs, targets, np.zeros(len(t.hprev)), p)
    first = windows * T
    before, inside = np.zeros_like(p["Whh"]), np.zeros_like(p["Whh"])
    dhnext = np.zeros_like(hs[0])
    for s in reversed(range(len(inputs))):
        dh = dhnext.copy()
        if s >= first:                                 # only the window's own losses
            dy = ps[s].copy()
            dy[targets[s]] -= 1
            dh += p["Why"].T @ dy
        dhraw = (1 - hs[s] ** 2) * dh
        part = dhraw @ hs[s - 1].T
        if s >= first:
            inside += part
        else:
            before += part
        dhnext = p["Whh"].T @ dhraw
    nb, ni = np.linalg.norm(before), np.linalg.norm(inside)
    assert ex.answer(runs) == pytest.approx(nb / (nb + ni), rel=1e-8)


@pytest.mark.parametrize("text, value", [
    ("0.5", 0.5), ("5e-1", 0.5), ("-0.0123", -0.0123), ("−0.0123", -0.0123),
    (" 3 ", 3.0), ("0,5", 0.5), ("12%", 0.12), (".5", 0.5), ("+2E3", 2000.0)])
def test_numbers_are_read_as_people_write_them(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "1/2", "1.2.3", "nan", "inf", "1e999", "0x10",
                                  "**1**"])
def test_what_is_not_a_number_is_refused(text):
    assert parse_number(text) is None


def test_judging(tiny):
    runs, tr, ref = tiny
    ex = engine.EXERCISES["dh-by-hand"]
    right = ex.answer(runs)
    assert ex.judge(f"{right:.4f}", runs).correct
    assert ex.judge(f"{right + 10 * ex.tolerance:.4f}", runs).correct is False
    verdict = ex.judge("about one", runs)
    assert verdict.correct is None and "0.5" in verdict.problem
    named = engine.EXERCISES["dy-negative"]
    answer = named.answer(runs)
    assert named.judge(f"  '{answer.upper()}' ", runs).correct
    assert named.judge("x", runs).correct is False
    assert normalise("  Clip   NONE ") == "clip none"


def test_checking_changes_no_model(tiny):
    runs, tr, ref = tiny
    before = {n: a.copy() for n, a in tr.params.items()}
    state = (tr.iteration, tr.position, tr.trace, tr.hprev.copy())
    for ex in engine.EXERCISES.values():
        if ex.lesson == "tiny" and ex.iteration == 1:
            ex.judge("0", runs)
            ex.answer(runs)
    assert all(np.array_equal(before[n], tr.params[n]) for n in before)
    assert (tr.iteration, tr.position, tr.trace) == state[:3]
    assert np.array_equal(tr.hprev, state[3])


def test_a_prediction_must_name_a_run():
    ex = engine.EXERCISES["diverge-first"]
    warm = engine.COMPARISONS[ex.lesson].trainers(steps=1)
    verdict = ex.judge("the red one", warm)
    assert verdict.correct is None and all(name in verdict.problem for name in warm)
    assert ex.judge("NONE", warm).correct                   # nothing diverged yet


@pytest.mark.parametrize("name", list(engine.EXERCISES))
def test_an_exercise_without_its_window_or_runs_says_so(name):
    """truncation-share read trainer.trace.params of an untrained run (AttributeError);
    every exercise judged against no runs raised a bare StopIteration (diverge-first:
    max() of an empty sequence)."""
    exercise = engine.EXERCISES[name]
    untrained = engine.Trainer("abcdefgh" * 50, hidden_size=4, seq_length=5)
    with pytest.raises(ValueError, match="open the lesson"):
        exercise.answer({})
    with pytest.raises(ValueError, match="open the lesson"):
        exercise.judge("0.5", {})
    # before any Step: a sentence, or an answer when the exercise needs no window
    # (Adagrad's memory, a prediction)
    for check in (lambda: exercise.answer({"a": untrained}),
                  lambda: exercise.judge("0.5", {"a": untrained})):
        try:
            check()
        except ValueError as err:
            assert "press Step" in str(err)
