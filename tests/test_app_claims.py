"""Issue 22 on screen (AppTest): the lesson panel lists every claim with its mark and
the measured number; a claim that stops holding is announced above the views with one
click back to the lesson's start; the tour marks its stop's claim and scrolls to it;
a lesson sets its pace; samples survive a long run at log-spaced iterations."""
import numpy as np
from apptest import sess, show, start

import engine
from dashboard import session, tour


def text(at):
    return "\n".join(m.value for m in at.markdown)


def test_the_lesson_panel_shows_every_claim_with_its_mark_and_number():
    at = start()
    shown = text(at)
    results = engine.lesson_claims("min-char-rnn", sess(at).runs)
    for r in results:
        if r.source == "look for":
            assert r.text in shown and r.measured in shown
    assert shown.count("✓ holds") >= 3
    assert shown.count("✗ no longer holds") == 0    # the legend is a caption, not markdown
    assert "3 of 3 sentences hold now" in "\n".join(e.label for e in at.expander)
    # each view lists its own claims, marked
    for view in ("Training", "Gradient flow"):
        show(at, view)
        mine = [r for r in results if r.view == view and r.source == "look for"]
        assert mine and all(r.text in text(at) for r in mine)


def test_a_claim_that_stops_holding_is_announced_with_a_way_back():
    at = start({"lesson": "vanishing"})
    s = sess(at)
    assert at.session_state["iters_per_refresh"] == engine.PRESETS["vanishing"].pace
    s.trainer.params["Whh"] *= 4.0               # sigma_max 2: the lesson's story is over
    at.button(key="step").click().run()
    assert not at.exception
    assert s.lapses and any("σ_max(Whh)" in t for t in s.lapses)
    shown = text(at)
    assert "sentences no longer hold" in shown and "✗ no longer holds" in shown
    assert at.button(key="lesson_restart").label == "Back to the lesson's start"
    at.button(key="lesson_restart").click().run()
    s = sess(at)
    assert not s.lapses and s.trainer.iteration == engine.PRESETS["vanishing"].steps
    assert all(r.holds for r in engine.lesson_claims("vanishing", s.runs))
    assert "✗ no longer holds" not in text(at)


def test_a_sentence_that_said_it_would_end_is_marked_ended_not_broken():
    at = start({"lesson": "exploding"})
    at.button(key="step").click().run()
    at.button(key="step").click().run()
    shown = text(at)
    assert "ended after iteration 1, as said" in shown
    assert not sess(at).lapses                  # ended as promised: no alarm
    assert "lesson_restart" not in [b.key for b in at.button]


def test_a_sentence_about_later_is_marked_not_yet_due_then_holds():
    """The exploding lesson's 'press Step: the units saturate and the gradient vanishes'
    was description text no check measured; now two claims, due from iteration 2."""
    at = start({"lesson": "exploding"})
    shown = text(at)
    assert shown.count("◌ from iteration 2") == 2
    assert not sess(at).lapses                  # not yet due: no alarm
    label = "\n".join(e.label for e in at.expander)
    assert "2 not yet due" in label
    at.button(key="step").click().run()
    results = engine.lesson_claims("exploding", sess(at).runs)
    later = [r for r in results if r.since is not None]
    assert len(later) == 2 and all(r.holds and not r.pending for r in later)
    assert "◌ from iteration" not in text(at)
    assert not sess(at).lapses


def test_tour_stops_mark_their_claim_and_scroll_to_it():
    at = start()
    at.button(key="tour_start").click().run()
    for k, stop in enumerate(tour.STOPS):
        assert sess(at).tour_step == k
        shown = text(at)
        result = stop.claim.evaluate(sess(at).runs)
        assert result.holds and "✓ holds" in shown and result.measured in shown
        if k < len(tour.STOPS) - 1:
            at.button(key="tour_next").click().run()
            assert not at.exception


def test_lessons_set_their_pace():
    at = start()
    assert at.session_state["iters_per_refresh"] == engine.PRESETS["min-char-rnn"].pace
    at.selectbox(key="comparison").set_value("clipping").run()
    assert at.session_state["iters_per_refresh"] == engine.COMPARISONS["clipping"].pace


def test_samples_are_kept_at_log_spaced_iterations():
    kept = []
    for it in [1, 3, 7, 12, 40, 90, 150, 400, 1100, 5000, 9000, 12000, 15000, 20000]:
        kept.append((it, 1.0, f"sample {it}"))
        kept = session.kept_samples(kept)
    assert [x[0] for x in kept] == [1, 12, 150, 1100, 12000, 15000, 20000]
    assert len(set(np.diff([x[0] for x in kept]) > 0)) == 1
