"""Sample attribution (engine.sample_saliency) against central finite differences through
a relaxed forward pass written from the equations, and against the sampler itself: the
forward it backpropagates through is the one that drew the sample."""
import numpy as np
import pytest

import engine

H, V = 10, 6
REGIMES = {"contracting": (0.5, 0.3), "expanding": (3.0, 0.05)}    # Whh gain, weight scale


def model(regime, seed=0):
    gain, scale = REGIMES[regime]
    params = engine.init_params(V, H, seed=seed, scale=scale, whh_init="orthogonal",
                                gain=gain)
    rng = np.random.default_rng(seed + 7)
    params["bh"] += rng.standard_normal((H, 1)) * 0.1      # nonzero biases: check them too
    params["by"] += rng.standard_normal((V, 1)) * 0.1
    return params, rng.integers(0, V, 14), rng.standard_normal(H) * 0.3


def log_prob(params, X, hprev, chosen, temperature):
    """log softmax((Why h + by)/temperature)[chosen] after reading the rows of X (real
    valued inputs in place of one-hot vectors), a plain loop with column vectors."""
    h = np.asarray(hprev, dtype=float).reshape(H, 1)
    for x in X:
        h = np.tanh(params["Wxh"] @ x.reshape(V, 1) + params["Whh"] @ h + params["bh"])
    y = (params["Why"] @ h + params["by"]) / temperature
    y = y - y.max()
    return float(y[chosen, 0] - np.log(np.exp(y).sum()))


def numeric_gradients(params, ids, hprev, index, temperature, eps=1e-6):
    """Central differences of log p(ids[index]) w.r.t. every entry of every input x_s
    (s < index) and of hprev."""
    X = np.zeros((index, V))
    X[np.arange(index), ids[:index]] = 1.0
    f = lambda X, h: log_prob(params, X, h, ids[index], temperature)
    dX = np.zeros_like(X)
    for s in range(index):
        for v in range(V):
            E = np.zeros_like(X)
            E[s, v] = eps
            dX[s, v] = (f(X + E, hprev) - f(X - E, hprev)) / (2 * eps)
    dh = np.array([(f(X, hprev + e) - f(X, hprev - e)) / (2 * eps)
                   for e in np.eye(H) * eps])
    return dX, dh


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("temperature", [1.0, 0.5])
@pytest.mark.parametrize("index", [1, 6, 13])
def test_matches_finite_differences(regime, temperature, index):
    params, ids, hprev = model(regime)
    result = engine.sample_saliency(params, ids, hprev, index, temperature)
    dX, dh = numeric_gradients(params, ids, hprev, index, temperature)
    numeric = np.linalg.norm(dX, axis=1)
    assert result.saliency.shape == (index,)
    # each norm to 1e-6 of the largest one in its row (differences in float64)
    np.testing.assert_allclose(result.saliency, numeric, rtol=1e-5,
                               atol=1e-6 * numeric.max())
    assert result.hprev_saliency == pytest.approx(np.linalg.norm(dh), rel=1e-5,
                                                  abs=1e-6 * numeric.max())
    assert result.prob == pytest.approx(
        np.exp(log_prob(params, np.eye(V)[ids[:index]], hprev, ids[index], temperature)),
        rel=1e-12)


def test_the_sampler_drew_with_the_probabilities_it_explains():
    """Replay the sampler's draws from sample_start: the forward over seed + sample,
    step by step, with the same random numbers, draws the same characters, and
    sample_saliency's prob is the probability each was drawn with."""
    trainer = engine.Trainer(engine.read_sample("periodic.txt"), hidden_size=16,
                             seq_length=10)
    trainer.run(40)
    before = (trainer.hprev.copy(), trainer.position, trainer.params["Whh"].copy())
    temperature, n = 0.7, 30
    text = trainer.sample(n, temperature=temperature, rng_seed=5)
    hprev, seed = engine.sample_start(trainer)
    np.testing.assert_array_equal(hprev, before[0])
    np.testing.assert_array_equal(seed, trainer.data[trainer.position: trainer.position + 1])
    ids = np.concatenate([seed, trainer.vocab.encode(text)])
    rng = np.random.default_rng(5)
    p = trainer.params
    h = hprev.copy()
    for i in range(n):
        h = np.tanh(p["Wxh"][:, ids[i]] + p["Whh"] @ h + p["bh"][:, 0])
        y = (p["Why"] @ h + p["by"][:, 0]) / temperature
        e = np.exp(y - y.max())
        cdf = np.cumsum(e)
        drawn = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")),
                    len(cdf) - 1)
        assert drawn == ids[i + 1], i
        prob = engine.sample_saliency(p, ids, hprev, i + 1, temperature).prob
        assert prob == pytest.approx(e[drawn] / e.sum(), rel=1e-12)
    # nothing about the trainer changed
    np.testing.assert_array_equal(trainer.hprev, before[0])
    assert trainer.position == before[1]
    np.testing.assert_array_equal(trainer.params["Whh"], before[2])


def test_sample_start_with_seed_text_and_at_the_end_of_the_text():
    trainer = engine.Trainer("abcabcabcabcabcabcabcabcabc", hidden_size=4, seq_length=5)
    trainer.run(1)
    assert trainer.vocab.decode(engine.sample_start(trainer, "cab")[1]) == "cab"
    trainer.position = len(trainer.data)          # past the end: the first character
    assert list(engine.sample_start(trainer)[1]) == [trainer.data[0]]


def test_far_inputs_fade_in_a_contracting_model():
    """A property the dashboard's caption relies on: with a contracting Whh, the
    saliency of the input right before the chosen character dwarfs the first one's."""
    params, ids, hprev = model("contracting")
    s = engine.sample_saliency(params, ids, hprev, 13).saliency
    assert s[-1] > 100 * s[0]


def test_refuses_gated_weights_and_bad_indices():
    params, ids, hprev = model("contracting")
    gated = engine.init_params(V, H, cell="lstm")
    with pytest.raises(NotImplementedError, match="vanilla rnn"):
        engine.sample_saliency(gated, ids, hprev, 3)
    half = dict(params, Whh=np.zeros((4 * H, H)), Wxh=np.zeros((4 * H, V)))
    with pytest.raises(ValueError, match="bh has shape"):      # no one model's weights
        engine.sample_saliency(half, ids, hprev, 3)
    for bad in (0, len(ids)):
        with pytest.raises(ValueError, match="target_index"):
            engine.sample_saliency(params, ids, hprev, bad)


def test_near_zero_temperature_stays_finite():
    """The sampler scales (y - max) / temperature in log space so that it never
    overflows; the attribution does the same: at temperature 1e-308 the most likely
    character has p = 1 and its log p no longer depends on anything."""
    params, ids, hprev = model("contracting")
    params["by"] = params["by"] + 5.0          # scores near 5: y / 1e-308 would overflow
    h = np.asarray(hprev, dtype=float)
    for s in range(5):
        h = np.tanh(params["Wxh"][:, ids[s]] + params["Whh"] @ h + params["bh"][:, 0])
    top = int(np.argmax(params["Why"] @ h + params["by"][:, 0]))
    ids = np.r_[ids[:5], top]
    result = engine.sample_saliency(params, ids, hprev, 5, temperature=1e-308)
    assert result.prob == 1.0
    assert np.isfinite(result.saliency).all() and result.saliency.max() == 0.0
