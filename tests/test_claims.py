"""Issue 22: every sentence a lesson shows is a claim the engine measures
(engine.lesson_claims). Each lesson, built as the dashboard builds it, opens with every
claim holding; each claim's verdict and number agree with an independent measurement
(tests/claims_oracle.py: the reference implementation, no engine code); and along a
run of up to 20,000 further iterations every claim holds for as long as its sentence
promises (from ``since`` to ``until``; None: from the start, always)."""
import sys
from pathlib import Path

import numpy as np
import pytest

import engine
from dashboard import models

sys.path.insert(0, str(Path(__file__).resolve().parent))
import claims_oracle as oracle  # noqa: E402

LESSONS = [*engine.PRESETS, *engine.COMPARISONS]
GATED = {"long-gap-lstm", "long-gap-gru", "cells"}


def build(name):
    """(runs, initial weights by run) as the dashboard builds the lesson."""
    if name in engine.PRESETS:
        trainer, _ = models.from_preset(name)
        runs = {name: trainer}
        settings = {name: engine.PRESETS[name].settings}
        text = engine.PRESETS[name].text
    else:
        runs, _ = models.from_comparison(name)
        settings = engine.COMPARISONS[name].runs
        text = engine.COMPARISONS[name].text
    initial = {run: engine.Trainer(text, **settings[run]).params for run in runs}
    return runs, initial


def lesson_items(name):
    lesson = engine.PRESETS.get(name) or engine.COMPARISONS[name]
    items = list(lesson.look_for)
    if name == engine.tour.LESSON:
        items += [stop.claim for stop in engine.tour.STOPS]
    return items


def verify(name, runs, initial):
    """Every claim of ``name`` on ``runs``: the engine's numbers against the oracle's,
    and its verdict against the check done again on the oracle's numbers. Returns the
    results."""
    results = engine.lesson_claims(name, runs)
    items = lesson_items(name)
    assert len(results) == len(items)
    for claim, result in zip(items, results, strict=True):
        assert isinstance(claim, engine.Claim), f"{name}: {claim!r} has no check"
        assert result.text == claim.text and result.view == claim.view
        assert result.measured and isinstance(result.holds, bool)
        independent = {}
        for run, value in result.values.items():
            truth = oracle.measure(claim.quantity, runs[run], initial[run])
            independent[run] = truth
            if abs(value) < 1e-280 and abs(truth) < 1e-280:
                continue                    # both underflowed: an exact zero or denormal
            rtol = 1e-6 if runs[run].config.cell == "rnn" else 1e-5
            np.testing.assert_allclose(value, truth, rtol=rtol, atol=1e-300,
                                       err_msg=f"{name} / {run}: {claim.quantity}")
        verdict = True
        for check in claim.checks:
            who = [check.run] if check.run is not None else list(independent)
            for run in who:
                if check.op.endswith("run"):
                    other = independent[check.bound]
                    ok = independent[run] < other if check.op == "<run" else \
                        independent[run] > other
                else:
                    ok = oracle.passes(check.op, independent[run], check.bound)
                verdict = verdict and ok
        iteration = max(tr.iteration for tr in runs.values())
        due = claim.since is None or iteration >= claim.since
        assert result.pending == (not due)
        # not yet due: shown with its number, neither held nor broken
        assert result.holds == (verdict and due), (name, claim.text, result.measured,
                                                   independent)
    return results


def promised(results, iteration):
    """Claims whose sentence promises them at ``iteration`` but that do not hold."""
    return [(r.text, r.measured) for r in results
            if not r.holds and not r.pending and (r.until is None or iteration <= r.until)]


def advance(runs, n):
    for tr in runs.values():
        try:
            tr.run(n)
        except engine.DivergenceError:
            pass            # the dashboard stops that run; the claims are still measured


@pytest.mark.parametrize("name", LESSONS)
def test_every_claim_holds_when_the_lesson_opens(name):
    runs, initial = build(name)
    results = verify(name, runs, initial)
    assert results and all(r.holds or r.pending for r in results), \
        [(r.text, r.measured) for r in results if not r.holds]
    assert any(r.holds for r in results) and not any(r.ended for r in results)


@pytest.mark.parametrize("name", ["exploding", "exploding-clipped", "clipping"])
def test_a_claim_about_later_is_pending_until_due_then_holds(name):
    """The sentences about what training brings later (the exploding model's units
    saturating after its one update, the clipped model learning) were plain text, or a
    check that passed whether or not the loss fell; now each is due from an iteration."""
    runs, initial = build(name)
    later = [c for c in lesson_items(name) if c.since is not None]
    assert later
    start = max(tr.iteration for tr in runs.values())
    due = max(c.since for c in later)
    assert start < min(c.since for c in later)
    advance(runs, due - start)
    results = verify(name, runs, initial)
    by_text = {r.text: r for r in results}
    for c in later:
        assert by_text[c.text].holds and not by_text[c.text].pending, by_text[c.text]


@pytest.mark.slow       # trains every lesson
@pytest.mark.parametrize("name", LESSONS)
def test_claims_keep_their_promises_over_a_short_run(name):
    """Evaluated at three points of the first few hundred iterations (a 20 s Run at the
    lesson's pace, at most 2.5 refreshes a second, is within): verdicts match the
    oracle, promises are kept."""
    runs, initial = build(name)
    start = max(tr.iteration for tr in runs.values())
    for n in (engine.PRESETS.get(name) or engine.COMPARISONS[name]).pace, 50, 250:
        advance(runs, n)
        iteration = max(tr.iteration for tr in runs.values())
        results = verify(name, runs, initial)
        assert not promised(results, iteration), (name, start, iteration,
                                                  promised(results, iteration))


@pytest.mark.slow
@pytest.mark.parametrize("name", LESSONS)
def test_claims_keep_their_promises_over_20000_iterations(name):
    """Up to 20,000 iterations past the lesson's start, checked at log-spaced points:
    every claim is evaluated without error, agrees with the oracle, and holds for as
    long as its sentence promises."""
    runs, initial = build(name)
    done = 0
    for mark in (1_000, 3_000, 10_000, 20_000):
        advance(runs, mark - done)
        done = mark
        iteration = max(tr.iteration for tr in runs.values())
        results = verify(name, runs, initial)
        assert not promised(results, iteration), (name, iteration,
                                                  promised(results, iteration))


def test_every_quantity_has_an_oracle():
    runs, initial = build("min-char-rnn")
    tr = runs["min-char-rnn"]
    for quantity, (_label, measure) in engine.quantities.QUANTITIES.items():
        if quantity in ("gap22", "lag22", "loss22", "dots_loss"):
            continue                                   # long_gap.txt only: below
        np.testing.assert_allclose(measure(tr), oracle.measure(quantity, tr, initial[
            "min-char-rnn"]), rtol=1e-6, atol=1e-300, err_msg=quantity)
    runs, initial = build("long-gap")
    tr = runs["long-gap"]
    for quantity in ("gap22", "lag22", "loss22", "dots_loss"):
        np.testing.assert_allclose(engine.quantities.QUANTITIES[quantity][1](tr),
                                   oracle.measure(quantity, tr), rtol=1e-6, atol=1e-300)


def test_a_false_claim_is_shown_false_and_an_expired_one_as_ended():
    runs, _ = build("exploding")
    advance(runs, 3)
    results = {r.text: r for r in engine.lesson_claims("exploding", runs)}
    first_window = [r for r in results.values() if r.until == 1]
    assert first_window and all(not r.holds and r.ended for r in first_window)
    # a claim asked of a state it does not describe: false, with the number
    claim = engine.Claim("Training", "sigma below 1", "sigma_max_now",
                         (engine.Check("<", 1.0),))
    r = claim.evaluate(runs)
    assert not r.holds and not r.ended and "σ_max(Whh) now" in r.measured


def test_lesson_claims_says_what_is_wrong():
    with pytest.raises(ValueError, match="no lesson 'nope'"):
        engine.lesson_claims("nope", {})
    runs, _ = build("clipping")
    del runs["clip none"]
    results = engine.lesson_claims("clipping", runs)     # a removed run: false, said why
    assert any("not in this session" in r.measured and not r.holds for r in results)


def test_a_20_second_run_at_the_lessons_pace_stays_within_every_promise():
    """The fastest the page refreshes is once every live.MIN_PERIOD_SECONDS: in 20 s a
    lesson trains at most 20 / that × its pace iterations. A sentence that promises a
    time (``until``, beyond the first window) must outlast that Run, wherever it is
    shown; the first-window sentences (until 1) end at the first step by design."""
    from dashboard import live
    refreshes = 20 / live.MIN_PERIOD_SECONDS
    for name in LESSONS:
        lesson = engine.PRESETS.get(name) or engine.COMPARISONS[name]
        reached = lesson.steps + refreshes * lesson.pace
        for claim in lesson.look_for:
            if claim.until is not None and claim.until > 1:
                assert reached <= claim.until, (name, claim.text, reached)
