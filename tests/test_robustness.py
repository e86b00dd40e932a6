"""Bad corpora, bad hyperparameters, divergence and hostile checkpoints: clear errors,
nothing lost."""
import io
import zipfile

import numpy as np
import pytest

import engine
from engine.checkpoint import to_bytes
from engine.gradcheck import window_loss
from engine.params import NAMES

TEXT = "the quick brown fox jumps over the lazy dog. " * 20


def small(**kw):
    return engine.Trainer(TEXT, hidden_size=kw.pop("hidden_size", 12),
                          seq_length=kw.pop("seq_length", 10), **kw)


# -- corpora ---------------------------------------------------------------------------
BAD_CORPORA = {
    "empty bytes": (b"", "empty"),
    "empty str": ("", "empty"),
    "whitespace": ("   \n\t  \n", "whitespace"),
    "NUL bytes": (b"abc\x00def" * 10, "binary"),
    "control codes": (bytes(range(1, 32)) * 10, "binary"),
    "invalid utf-8": (b"caf\xe9 au lait" * 10, "UTF-8"),
    "truncated utf-8": ("héllo".encode()[:2] * 30, "UTF-8"),
    "one character": ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "single distinct"),
    "not text": (12345, "Expected text"),
}


@pytest.mark.parametrize("name", BAD_CORPORA)
def test_load_corpus_rejects_with_a_message(name):
    data, fragment = BAD_CORPORA[name]
    with pytest.raises(engine.CorpusError, match=fragment):
        engine.load_corpus(data)


def test_corpus_size_limit_is_configurable_and_stated():
    with pytest.raises(engine.CorpusError, match=r"limit is 0\.0 MB|limit is"):
        engine.load_corpus(b"ab" * 600, max_bytes=1000)
    assert engine.load_corpus(b"ab" * 400, max_bytes=1000) == "ab" * 400
    with pytest.raises(engine.CorpusError, match="limit"):
        engine.Trainer("ab" * 600, max_bytes=1000)


def test_corpus_error_is_a_value_error():
    assert issubclass(engine.CorpusError, ValueError)


def test_trainer_rejects_corpus_shorter_than_a_window():
    with pytest.raises(engine.CorpusError, match="seq_length"):
        engine.Trainer("abcdefghij", seq_length=25)
    engine.Trainer("abcdefghij", seq_length=8, hidden_size=4).step()   # 10 >= 8 + 2


@pytest.mark.parametrize("text", ["naïve café — déjà vu. " * 5, "汉字和标点，测试。" * 8,
                                  "emoji 🙂🚀 mixed ✓ " * 6, "inner\ufeffBOM kept\r\n" * 10])
def test_any_script_is_kept_exactly(text):
    assert engine.load_corpus(text.encode("utf-8")) == text
    tr = engine.Trainer(text.encode("utf-8"), hidden_size=8, seq_length=5)
    assert tr.text == text and tr.vocab.decode(tr.data) == text
    tr.run(3)
    assert set(tr.sample(50, rng_seed=0)) <= set(text)


def test_large_vocabulary_warns_and_works():
    text = "".join(chr(0x4E00 + i) for i in range(2000)) * 2
    tr = engine.Trainer(text, hidden_size=16, seq_length=10)
    assert len(tr.vocab) == 2000 and tr.warnings and "2,000" in tr.warnings[0]
    tr.run(2)
    assert np.isfinite(tr.history["loss"]).all()


def test_too_many_characters_refused():
    text = "".join(chr(0x4E00 + i) for i in range(engine.vocab.MAX_VOCAB + 1))
    with pytest.raises(engine.CorpusError, match="distinct characters"):
        engine.load_corpus(text)


# -- hyperparameters -------------------------------------------------------------------
BAD_SETTINGS = [
    {"hidden_size": 0}, {"hidden_size": -3}, {"hidden_size": 2.5}, {"hidden_size": 10**6},
    {"hidden_size": True}, {"seq_length": 0}, {"seq_length": "25"},
    {"learning_rate": 0}, {"learning_rate": -0.1}, {"learning_rate": float("nan")},
    {"learning_rate": float("inf")}, {"learning_rate": 1e9}, {"clip": "sometimes"},
    {"threshold": 0}, {"threshold": float("nan")}, {"threshold": -1},
    {"optimizer": "adam"}, {"seed": -1}, {"whh_init": "xavier"}, {"gain": 0},
    {"gain": float("inf")}, {"scale": -0.01}, {"diagnostics_every": 0},
]


@pytest.mark.parametrize("settings", BAD_SETTINGS, ids=str)
def test_bad_hyperparameters_raise_value_error(settings):
    with pytest.raises(ValueError) as info:
        engine.Trainer(TEXT, **settings)
    name = next(iter(settings))
    assert name in str(info.value)


@pytest.mark.parametrize("temperature", [0, -1, float("nan"), float("inf"), 1e6])
def test_bad_temperature(temperature):
    with pytest.raises(ValueError, match="temperature"):
        small().sample(10, temperature=temperature)


def test_sample_rejects_unknown_seed_characters():
    with pytest.raises(ValueError, match="not in the vocabulary"):
        small().sample(10, seed_text="Z#")


def test_params_of_wrong_shape_rejected():
    params = engine.init_params(5, 12)
    with pytest.raises(ValueError, match="shape"):
        small(params=params)


# -- bptt's own arguments: a message naming the argument, never a wrong answer ---------
V5 = engine.init_params(5, 4, seed=0)       # vocabulary 5: ids 0..4
WITHOUT_BY = {k: v for k, v in V5.items() if k != "by"}


@pytest.mark.parametrize("inputs, targets, match", [
    ([0, -1, 2], [1, 2, 3], "inputs holds the id -1; character ids run from 0 to 4"),
    ([0, 1, 5], [1, 2, 3], "inputs holds the id 5; character ids run from 0 to 4"),
    ([0, 1, 2], [1, 2, 9], "targets holds the id 9"),
    ([0, 1.7, 2], [1, 2, 3], "whole numbers"),
    ([True, False], [1, 2], "whole numbers"),
    ("abc", "bcd", "not text"),
    ([[0, 1]], [[1, 2]], "flat sequence"),
])
@pytest.mark.parametrize("call", ["bptt", "window_loss", "gradient_check"])
def test_character_ids_are_checked_not_wrapped_or_cut(inputs, targets, match, call):
    """A cast alone made -1 the last character and 1.7 the id 1: a loss for a window
    nobody asked about. Every entry point of a window says which id is wrong."""
    run = {"bptt": lambda: engine.bptt(V5, inputs, targets, np.zeros(4)),
           "window_loss": lambda: window_loss(V5, inputs, targets, np.zeros(4)),
           "gradient_check": lambda: engine.gradient_check(V5, inputs, targets,
                                                           np.zeros(4))}[call]
    with pytest.raises(ValueError, match=match):
        run()


def test_whole_float_ids_are_the_same_window():
    a = engine.bptt(V5, [0, 1, 2], [1, 2, 3], np.zeros(4))
    b = engine.bptt(V5, np.array([0.0, 1.0, 2.0]), [1, 2, 3], np.zeros(4))
    assert a.loss == b.loss and np.array_equal(a.flat_grads, b.flat_grads)


@pytest.mark.parametrize("params, match", [
    (WITHOUT_BY, "params is missing 'by'"),
    ({**V5, "Why": np.zeros((5, 3))}, r"Why has shape \(5, 3\); expected \(5, 4\)"),
    ({**V5, "Whh": np.zeros(16)}, "must be matrices"),
    ({**V5, "bh": np.zeros((4, 1), dtype=complex)}, "complex"),
])
@pytest.mark.parametrize("call", ["bptt", "window_loss", "gradient_check"])
def test_malformed_params_are_named(params, match, call):
    run = {"bptt": engine.bptt, "window_loss": window_loss,
           "gradient_check": engine.gradient_check}[call]
    with pytest.raises(ValueError, match=match):
        run(params, [0, 1], [1, 2], np.zeros(4))


def test_params_given_as_nested_lists_run_like_arrays():
    as_lists = {k: v.tolist() for k, v in V5.items()}
    a = engine.bptt(V5, [0, 1, 2], [1, 2, 3], np.zeros(4))
    b = engine.bptt(as_lists, [0, 1, 2], [1, 2, 3], np.zeros(4))
    assert a.loss == b.loss and np.array_equal(a.flat_grads, b.flat_grads)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("given", ["float32", "int", "flat bias"])
def test_weights_of_another_real_type_run_as_their_float64_values(cell, given):
    # every product in float64: float32 or integer weights used to enter some products
    # as they were (the input and bias gathers, the output layer) and others promoted
    as64 = engine.init_params(7, 5, seed=3, cell=cell)
    if given == "float32":
        as64 = {k: v.astype(np.float32).astype(np.float64) for k, v in as64.items()}
        params = {k: v.astype(np.float32) for k, v in as64.items()}
    elif given == "int":
        as64 = {k: np.round(v * 300) for k, v in as64.items()}
        params = {k: v.astype(np.int64) for k, v in as64.items()}
    else:
        params = {**as64, "bh": as64["bh"].ravel(), "by": as64["by"].ravel()}
    a = engine.bptt(params, [0, 1, 2, 6], [1, 2, 3, 0], np.full(5, 0.1), cell=cell)
    b = engine.bptt(as64, [0, 1, 2, 6], [1, 2, 3, 0], np.full(5, 0.1), cell=cell)
    assert a.loss == b.loss and np.array_equal(a.flat_grads, b.flat_grads)
    assert np.array_equal(a.hs, b.hs) and np.array_equal(a.dhnext, b.dhnext)
    assert all(a.params[k].dtype == np.float64 for k in NAMES)


def test_float64_weights_are_checked_without_a_copy():
    from engine.bptt import checked_params
    assert checked_params(V5) is V5


@pytest.mark.parametrize("hprev, match", [
    ([np.nan, 0, 0, 0], "NaN or infinite"),
    ([np.inf, 0, 0, 0], "NaN or infinite"),
    (np.array([1j, 0, 0, 0]), "complex"),
    (np.zeros((2, 2)), r"shape \(2, 2\)"),
    ("abcd", "real numbers"),
    ([0, 0, 0], r"shape \(3,\)"),
])
@pytest.mark.parametrize("call", ["bptt", "window_loss", "gradient_check"])
def test_a_state_is_checked_not_cast(hprev, match, call):
    """hprev was cast: an imaginary part dropped with a warning, a (2, 2) flattened for
    H = 4, NaN carried into every quantity (and a gradient check passed on it)."""
    run = {"bptt": engine.bptt, "window_loss": window_loss,
           "gradient_check": engine.gradient_check}[call]
    with pytest.raises(ValueError, match=match):
        run(V5, [0, 1], [1, 2], hprev)


def test_an_lstm_cell_state_is_checked_too():
    p = engine.init_params(5, 4, cell="lstm")
    with pytest.raises(ValueError, match="cprev holds NaN"):
        engine.bptt(p, [0, 1], [1, 2], np.zeros(4), cprev=[0, np.nan, 0, 0])
    assert engine.bptt(p, [0, 1], [1, 2], np.zeros((4, 1)), cprev=np.ones((4, 1))).loss > 0


@pytest.mark.parametrize("change, match", [
    ({"params": {**V5, "Whh": np.full((4, 4), np.nan)}}, "Whh holds NaN"),
    ({"eps": 1e-300}, "eps"),
    ({"seed": "x"}, "seed"),
    ({"seed": -1}, "seed"),
])
def test_a_gradient_check_refuses_what_it_cannot_measure(change, match):
    """NaN weights gave rows with rel_error 0 and ok True; eps = 1e-300 a round-off floor
    of 1e285 that passed every row whatever its error."""
    args = {"params": V5, "eps": 1e-5, "seed": 0, **change}
    with pytest.raises(ValueError, match=match):
        engine.gradient_check(args["params"], [0, 1], [1, 2], np.zeros(4), eps=args["eps"],
                              seed=args["seed"])


@pytest.mark.parametrize("call", ["bptt", "window_loss"])
def test_a_window_too_large_to_train_is_refused_before_it_is_allocated(call):
    """bptt had no size guard: 200,000 characters at H 512 ran 14 s, then MemoryError."""
    run = {"bptt": engine.bptt, "window_loss": window_loss}[call]
    params = engine.init_params(65, 512)
    ids = np.zeros(200_000, dtype=np.intp)
    with pytest.raises(ValueError, match="too large to train here.*seq_length to"):
        run(params, ids, ids, np.zeros(512))


ANALYSES_OF_A_TRACE = ["loss_to_state", "jacobian_norms", "reach", "input_saliency",
                       "gradient_horizon", "whh_gradient_by_distance", "whh_distance_norms",
                       "whh_piece_norms", "whh_horizon_parts"]


@pytest.mark.parametrize("params, match", [
    (engine.init_params(5, 6), r"Whh has shape \(6, 6\).*hidden size 4 and 5 characters"),
    (engine.init_params(5, 4, cell="lstm"), r"Whh has shape \(16, 4\).*a vanilla RNN"),
    (engine.init_params(7, 4), r"Why has shape \(7, 4\)"),
    ({}, "missing 'Whh'"),
    (None, "must be a dict"),
    ({"Whh": np.zeros((4, 4), dtype=complex), "Why": np.zeros((5, 4))}, "complex"),
])
@pytest.mark.parametrize("name", ANALYSES_OF_A_TRACE)
def test_analyses_check_that_the_weights_are_the_traces(name, params, match):
    """Another model's weights gave numpy's broadcasting errors (or, for beyond_window,
    a silent result of the wrong model); {} a KeyError and None a TypeError."""
    trace = engine.bptt(V5, [0, 1, 2], [1, 2, 3], np.zeros(4))
    if name in ("input_saliency",) and params and "Wxh" not in params:
        params = {**params, "Wxh": V5["Wxh"]}
    with pytest.raises(ValueError, match=match):
        getattr(engine, name)(trace, params)


@pytest.mark.parametrize("name", ANALYSES_OF_A_TRACE)
def test_analyses_take_weights_as_lists_or_float32_as_their_float64(name):
    trace = engine.bptt(V5, [0, 1, 2], [1, 2, 3], np.zeros(4))
    want = getattr(engine, name)(trace, trace.params)
    for given in ({k: v.tolist() for k, v in trace.params.items()},
                  {k: v.astype(np.float32) for k, v in trace.params.items()}):
        as64 = {k: np.asarray(v, dtype=np.float64) for k, v in given.items()}
        got, ref = getattr(engine, name)(trace, given), getattr(engine, name)(trace, as64)
        pairs = zip(got, ref, strict=True) if isinstance(got, tuple) else [(got, ref)]
        for a, b in pairs:
            np.testing.assert_array_equal(a, b)         # NaN where NaN, bit for bit
    assert want is not None


def test_beyond_window_checks_the_trainers_model():
    tr = engine.Trainer("abcdefgh" * 40, hidden_size=4, seq_length=5)
    tr.run(20)
    with pytest.raises(ValueError, match=r"Wxh has shape \(6, 8\); expected \(4, 8\)"):
        engine.beyond_window(tr, params=engine.init_params(8, 6))
    with pytest.raises(ValueError, match="missing 'Wxh'"):
        engine.beyond_window(tr, params={})
    with pytest.raises(ValueError, match="takes a Trainer"):
        engine.beyond_window(tr.trace)


@pytest.mark.parametrize("params, match", [
    ({}, "reads params"), (None, "reads params"), ({"Whh": np.zeros((0, 0))}, "non-empty"),
    ({"Whh": np.zeros((3, 3), dtype=complex)}, "complex"),
])
def test_whh_spectrum_says_what_it_needs(params, match):
    with pytest.raises(ValueError, match=match):
        engine.whh_spectrum(params)


def test_whh_spectrum_of_float32_weights_is_computed_in_float64():
    W = np.random.default_rng(0).normal(size=(6, 6)).astype(np.float32)
    a = engine.whh_spectrum({"Whh": W})
    b = engine.whh_spectrum({"Whh": W.astype(np.float64)})
    assert a["sigma_max"] == b["sigma_max"] and a["singular_values"].dtype == np.float64


@pytest.mark.parametrize("ids, match", [
    ([-1], "holds the id -1"), ([3], "holds the id 3"), ([1.7], "not all whole"),
    ([True], "type bool"), (1, "flat sequence"), ("012", "not text"),
])
def test_decode_checks_ids_as_bptt_does(ids, match):
    """decode cast: -1 gave the last character, 1.7 and True the id 1, 99 IndexError."""
    with pytest.raises(ValueError, match=match):
        engine.Vocab.from_text("abc").decode(ids)


def test_decode_of_whole_ids_in_any_type_is_the_text():
    vocab = engine.Vocab.from_text("abc")
    assert vocab.decode([2, 0]) == vocab.decode(np.array([2.0, 0.0])) == "ca"
    assert vocab.decode([]) == ""


@pytest.mark.parametrize("change, match", [
    ({"by": None}, "missing 'by'"), ({"Why": np.zeros((5, 3))}, r"Why has shape \(5, 3\)"),
    ({"Wxh": np.zeros((4, 3))}, r"Wxh has shape \(4, 3\)"),
])
def test_sample_saliency_checks_its_weights(change, match):
    """A missing by raised KeyError, a Wxh with too few columns was silently accepted."""
    params = {k: v for k, v in {**V5, **change}.items() if v is not None}
    with pytest.raises(ValueError, match=match):
        engine.sample_saliency(params, [0, 1, 2, 3], np.zeros(4), 2)


def test_sample_saliency_takes_a_flat_bias_and_lists_as_their_arrays():
    want = engine.sample_saliency(V5, [0, 1, 2, 3], np.zeros(4), 2)
    for params in ({**V5, "bh": V5["bh"].ravel(), "by": V5["by"].ravel()},
                   {k: v.tolist() for k, v in V5.items()}):
        got = engine.sample_saliency(params, [0, 1, 2, 3], np.zeros(4), 2)
        assert got.prob == want.prob and np.array_equal(got.saliency, want.saliency)


# -- divergence ------------------------------------------------------------------------
def snapshot(tr):
    return {"flat": tr._flat.copy(), "mem": tr._mem_flat.copy(), "p": tr.position,
            "it": tr.iteration, "hprev": tr.hprev.copy(), "smooth": tr.smooth_loss,
            "history": tr.history.copy(), "trace": tr.trace}


def assert_unchanged(tr, snap):
    np.testing.assert_array_equal(tr._flat, snap["flat"])
    np.testing.assert_array_equal(tr._mem_flat, snap["mem"])
    np.testing.assert_array_equal(tr.hprev, snap["hprev"])
    assert (tr.position, tr.iteration, tr.smooth_loss) == (snap["p"], snap["it"], snap["smooth"])
    assert tr.trace is snap["trace"]
    assert tr.history.equals(snap["history"])


def diverging_trainer(why, **kw):
    """Weights that have already blown up: Why's entries set to +-``why``."""
    tr = small(**kw)
    tr.run(3)
    signs = np.sign(np.random.default_rng(0).standard_normal(tr.params["Why"].shape))
    tr.params["Why"][...] = why * signs
    return tr


def test_overflowing_forward_raises_divergence_and_keeps_state():
    tr = diverging_trainer(np.nan)
    snap = snapshot(tr)
    with pytest.raises(engine.DivergenceError) as info:
        tr.step()
    err = info.value
    assert err.quantity in ("ps", "losses", "dy") and err.timestep == 0
    assert err.iteration == 3
    assert "learning rate" in str(err) and "timestep" in str(err)
    assert_unchanged(tr, snap)


def test_overflowing_update_raises_divergence_and_keeps_state():
    tr = diverging_trainer(1e305, optimizer="sgd", clip="none", learning_rate=1e4)
    for name in ("Wxh", "Whh", "bh"):      # h = 0, tanh' = 1: dbh ~ 1e306, lr * dbh overflows
        tr.params[name][...] = 0.0
    snap = snapshot(tr)
    with pytest.raises(engine.DivergenceError) as info:
        tr.step()
    assert info.value.quantity == "update" and "overflowed" in str(info.value)
    assert_unchanged(tr, snap)


def test_adagrad_memory_overflow_raises_divergence_after_a_restore():
    """The memory's check is skipped only while a running bound on its largest entry
    proves it passes. A memory restored at the largest float (from_state) must be
    measured again: g_i^2 ~ 1e293 is small beside 1e300 but tips it into infinity."""
    tr = small(clip="none")
    tr.run(3)
    state = tr.state_dict()
    state["mem"]["bh"][...] = np.finfo(float).max
    for name in ("Wxh", "Whh", "bh"):      # h = 0, tanh' = 1: dbh ~ 1e146
        state["params"][name][...] = 0.0
    signs = np.sign(np.random.default_rng(0).standard_normal(tr.params["Why"].shape))
    state["params"]["Why"][...] = 1e146 * signs
    back = engine.Trainer.from_state(state)
    snap = snapshot(back)
    with pytest.raises(engine.DivergenceError) as info:
        back.step()
    assert info.value.quantity == "update"
    assert_unchanged(back, snap)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("clip", ["value", "norm", "none"])
def test_the_memory_bound_stays_above_the_memory(cell, clip):
    """Trainer._update skips the memory's finiteness check while ``_mem_peak`` bounds
    its largest entry: the bound must hold after every step, a fork and a catch-up."""
    tr = small(cell=cell, clip=clip, learning_rate=1.0)
    for _ in range(60):
        tr.step()
        assert tr._mem_peak >= tr._mem_flat.max() > 0
    twin = tr.fork()
    twin.run(5)
    assert twin._mem_peak >= twin._mem_flat.max()
    from engine.progress import catch_up, progress
    catch_up(tr, progress(twin, rows=len(tr.history_store)))
    assert tr._mem_peak is None         # written from elsewhere: measured on the next step
    tr.step()
    assert tr._mem_peak >= tr._mem_flat.max()


def test_an_adagrad_step_cannot_make_a_finite_weight_infinite():
    """Why the weights' finiteness check is skipped for Adagrad: with mem_i + g_i^2
    finite, a step moves a weight by at most lr, and lr <= 1e4. At the extremes (weights
    at the largest float, gradients whose squares nearly overflow, the largest learning
    rate) the update stays finite, as the skipped check would have found."""
    from engine.limits import LIMITS
    assert LIMITS["learning_rate"].high <= 1e4         # the proof needs lr << 2^970
    tr = small(learning_rate=LIMITS["learning_rate"].high)
    big = np.finfo(float).max
    size = tr._flat.size
    signs = np.where(np.arange(size) % 2, 1.0, -1.0)
    tr._flat[...] = big * signs
    before = tr._flat.copy()
    g = -1.3e154 * signs                # pushes every weight outwards, g^2 ~ 1.7e308
    tr._mem_flat[...] = 0.0
    tr._mem_peak = None
    with np.errstate(over="ignore"):        # the dot of the check that runs here
        assert tr._update(g, float(np.linalg.norm(g / 1e150)) * 1e150, before)
    assert np.isfinite(tr._flat).all()
    assert np.array_equal(np.abs(tr._flat), np.full(size, big))   # lr 1e4 is below an ulp


def test_training_continues_after_divergence_is_fixed():
    tr = diverging_trainer(np.inf)
    with pytest.raises(engine.DivergenceError):
        tr.step()
    tr.params["Why"][...] = 0.01
    tr.step()
    assert tr.iteration == 4


def test_students_huge_learning_rate_never_crashes():
    tr = small(learning_rate=1e4)
    try:
        tr.run(200)
    except engine.DivergenceError:
        pass
    assert tr.iteration > 0 and np.isfinite(tr._flat).all()


# -- checkpoints -----------------------------------------------------------------------
def good_checkpoint():
    tr = small()
    tr.run(5)
    return tr, to_bytes(tr)


def npz_with(**changes):
    _, raw = good_checkpoint()
    with np.load(io.BytesIO(raw)) as npz:
        arrays = {k: npz[k] for k in npz.files}
    for key, value in changes.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def pickled_object_array():
    buf = io.BytesIO()
    np.savez(buf, format=np.array("bpttscope-checkpoint"),
             param_Wxh=np.array([{"x": 1}], dtype=object))
    return buf.getvalue()


HOSTILE = {
    "random bytes": lambda: np.random.default_rng(0).bytes(4000),
    "empty": lambda: b"",
    "truncated": lambda: good_checkpoint()[1][:-300],
    "raw pickle": lambda: b"\x80\x04\x95" + b"cos\nsystem\n(S'echo pwned'\ntR." ,
    "pickled object array": pickled_object_array,
    "plain zip": lambda: _zip_with("hello.txt", b"hi"),
    "no format marker": lambda: npz_with(format=None),
    "unknown version": lambda: npz_with(version=np.array(99)),
    "missing key": lambda: npz_with(param_Whh=None),
    "wrong shape": lambda: npz_with(param_Whh=np.zeros((3, 3))),
    "non-finite params": lambda: npz_with(param_Why=np.full((29, 12), np.nan)),
    "negative adagrad memory": lambda: npz_with(mem_Wxh=-np.ones((12, 29))),
    "bad hyperparameter": lambda: npz_with(hyper_learning_rate=np.array(-1.0)),
    "text of another vocabulary": lambda: npz_with(text_utf8=np.frombuffer(b"xyz" * 50, np.uint8)),
    "string where number expected": lambda: npz_with(iteration=np.array("five")),
    "position out of range": lambda: npz_with(position=np.array(10**9)),
}


def _zip_with(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_checkpoints_raise_value_error(kind, tmp_path):
    raw = HOSTILE[kind]()
    with pytest.raises(ValueError) as info:
        engine.Trainer.load(io.BytesIO(raw))
    assert len(str(info.value)) > 20
    path = tmp_path / "bad.npz"
    path.write_bytes(raw)
    with pytest.raises(ValueError):
        engine.Trainer.load(path)


def test_loading_never_runs_code(tmp_path, monkeypatch):
    import pickle
    calls = []
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: calls.append(a))
    for kind in ("raw pickle", "pickled object array"):
        with pytest.raises(ValueError):
            engine.Trainer.load(io.BytesIO(HOSTILE[kind]()))
    assert calls == []


def test_good_checkpoint_still_loads():
    tr, raw = good_checkpoint()
    again = engine.Trainer.load(io.BytesIO(raw))
    assert again.iteration == tr.iteration


def test_a_checkpoints_message_keeps_the_parameters_names():
    """The reason follows a colon with its first letter lowered, but a parameter's name
    is a name: 'Whh has shape', never 'whh has shape'."""
    with pytest.raises(ValueError, match=r"cannot be resumed: Whh has shape \(3, 3\)"):
        engine.Trainer.load(io.BytesIO(npz_with(param_Whh=np.zeros((3, 3)))))


@pytest.mark.parametrize("args, match", [
    ((-5, 10, 10), "vocab_size must be a whole number"),
    ((10, float("nan"), 10), "hidden_size must be a whole number"),
    ((10, 10, 0), "seq_length must be a whole number"),
    ((10, 10, 10, "x"), "cell must be one of"),
])
def test_estimate_cost_checks_its_sizes(args, match):
    """-5 was costed, NaN raised numpy's conversion error, cell 'x' a KeyError."""
    with pytest.raises(ValueError, match=match):
        engine.estimate_cost(*args)
    assert engine.estimate_cost(np.int64(10), 10, 10) == engine.estimate_cost(10, 10, 10)


@pytest.mark.parametrize("name, runs, match", [
    (["tiny"], None, "no lesson"), ("tiny", [], "mapping"), ("tiny", {"a": 1}, "Trainers"),
])
def test_lesson_claims_says_what_it_takes(name, runs, match):
    """A list as the name raised 'unhashable type'; non-Trainers an AttributeError."""
    with pytest.raises(ValueError, match=match):
        engine.lesson_claims(name, runs)
