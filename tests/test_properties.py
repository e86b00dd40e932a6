"""Property-based: whatever the corpus and settings, the engine works (finite loss with
clipping on, BPTT identities hold) or raises one of its documented errors."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine

DOCUMENTED = (engine.CorpusError, ValueError, engine.DivergenceError)

corpora = st.one_of(
    st.text(min_size=0, max_size=300),
    st.binary(min_size=0, max_size=300),
    st.text(alphabet="ab\n", min_size=0, max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=20, max_size=200),
)
hyper = st.fixed_dictionaries({
    "hidden_size": st.one_of(st.integers(1, 24), st.integers(-5, 0), st.just(3000)),
    "seq_length": st.one_of(st.integers(1, 30), st.just(0)),
    "learning_rate": st.one_of(st.floats(1e-4, 5.0), st.floats(allow_nan=True)),
    "clip": st.sampled_from(["value", "norm", "none", "bogus"]),
    "threshold": st.one_of(st.floats(0.1, 10), st.floats(allow_nan=True, allow_infinity=True)),
    "optimizer": st.sampled_from(["adagrad", "sgd"]),
    "whh_init": st.sampled_from(["gaussian", "orthogonal", "identity"]),
    "gain": st.floats(0.1, 4.0),
})


def check_identities(trace, params):
    Whh, Why = params["Whh"], params["Why"]
    np.testing.assert_allclose(trace.dh, trace.dy @ Why + trace.dhnext, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(trace.dhnext[-1], 0.0)
    np.testing.assert_allclose(trace.dhnext[:-1], trace.dhraw[1:] @ Whh, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(trace.dhraw, (1 - trace.hs ** 2) * trace.dh, rtol=1e-12, atol=0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpus=corpora, kw=hyper)
def test_engine_works_or_raises_documented_error(corpus, kw):
    try:
        tr = engine.Trainer(corpus, **kw)
    except DOCUMENTED:
        return
    for _ in range(3):
        before = {n: p.copy() for n, p in tr.params.items()}
        try:
            trace = tr.step()
        except engine.DivergenceError:
            assert kw["clip"] == "none"   # with clipping on, the loss stays finite
            return
        assert np.isfinite(trace.loss)
        check_identities(trace, before)
    text = tr.sample(20, rng_seed=0)
    assert len(text) == 20 and set(text) <= set(tr.vocab.chars)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=400))
def test_load_corpus_only_raises_corpus_error(data):
    try:
        text = engine.load_corpus(data)
    except engine.CorpusError as err:
        assert str(err)
        return
    assert text.encode("utf-8") == data      # valid text is kept exactly


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=2000))
def test_checkpoint_loader_only_raises_value_error(raw):
    import io
    try:
        engine.Trainer.load(io.BytesIO(raw))
    except ValueError:
        return
    raise AssertionError("random bytes loaded as a checkpoint")
