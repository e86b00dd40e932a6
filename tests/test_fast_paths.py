"""The shortcuts a training step takes for speed (issue 24) keep their guarantees: a
nested uninterrupted block or one_blas_thread context does nothing, and the norms after
clipping reuse the norms before for the slices the clip left alone, bit for bit."""
import signal

import numpy as np
import pytest

from engine import threads
from engine.atomic import uninterrupted
from engine.clip import clip_gradients, norms
from engine.params import layout


@pytest.fixture
def default_sigint():
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_a_signal_in_a_nested_block_waits_for_the_outermost(default_sigint):
    done = []
    with pytest.raises(KeyboardInterrupt):
        with uninterrupted():
            with uninterrupted():
                signal.raise_signal(signal.SIGINT)
            done.append("inner block left")         # not interrupted yet
            for _ in range(1000):
                done.append(1)
    assert done[0] == "inner block left" and len(done) == 1001
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with uninterrupted():                           # a later block holds back again
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_nested_blas_context_leaves_the_setting_to_the_outer_one(monkeypatch):
    setting = {"threads": 4}
    calls = []
    monkeypatch.setattr(threads, "_openblas", lambda: (
        lambda: setting["threads"], lambda n: (calls.append(n), setting.update(threads=n))))
    with threads.one_blas_thread():
        assert setting["threads"] == 1
        for _ in range(3):
            with threads.one_blas_thread():         # nested: nothing to do
                assert setting["threads"] == 1
        assert setting["threads"] == 1              # the inner ones restored nothing
    assert setting["threads"] == 4 and calls == [1, 4]
    with threads.one_blas_thread():                 # after the outer left: limits again
        assert setting["threads"] == 1
    assert setting["threads"] == 4


def test_an_outer_context_whose_exit_never_ran_does_not_make_the_next_one_nested(
        monkeypatch):
    setting = {"threads": 3}
    monkeypatch.setattr(threads, "_openblas", lambda: (
        lambda: setting["threads"], lambda n: setting.update(threads=n)))
    skipped = threads.one_blas_thread()
    skipped.__enter__()
    del skipped                                     # its frame unwound: no __exit__
    with threads.one_blas_thread() as context:
        assert not context.nested
        assert setting["threads"] == 1
    assert setting["threads"] == 3


@pytest.mark.parametrize("clip", ["value", "norm", "none"])
@pytest.mark.parametrize("scale", [0.01, 1.0, 30.0])
def test_norms_after_clipping_equal_the_norms_of_the_clipped_buffer(clip, scale):
    lay = layout(7, 5, "lstm")
    rng = np.random.default_rng(int(scale * 100))
    for trial in range(20):
        flat = rng.standard_normal(lay.size) * scale
        flat[lay.slices["by"]] *= 1e-3              # a slice the clip leaves alone
        if trial == 1:
            flat[3] = np.nan
        if trial == 2:
            flat[lay.slices["Whh"]][:4] = 5.0       # exactly at the threshold: unchanged
        clipped, fractions, after = clip_gradients(flat, lay, clip, 5.0)
        if clip == "value" and trial != 1:  # min-char-rnn's np.clip, counted afresh
            want = np.clip(flat, -5.0, 5.0)
            assert np.array_equal(clipped, want)
            for name, s in lay.slices.items():
                changed = np.count_nonzero(flat[s] != want[s])
                assert fractions[name] == changed / (s.stop - s.start), name
        plain = norms(clipped, lay)                 # every slice computed afresh
        assert after.keys() == plain.keys()
        for name in plain:
            assert np.float64(after[name]).tobytes() == np.float64(plain[name]).tobytes() \
                or (clip == "norm" and np.isclose(after[name], plain[name], rtol=1e-14)), name
