"""Checkpoints and saved states, attacked by class: zip bombs (sizes are checked before
anything is inflated), malformed arrays and scalars of every kind in every slot (always
a ValueError for a person), and the state_dict / from_state pair (everything saved
loads, and continues exactly)."""
import io
import tracemalloc
import zipfile

import numpy as np
import pytest

import engine
from engine import checkpoint
from engine.checkpoint import to_bytes
from engine.history import COLUMNS
from engine.state import MAX_ITERATION, REQUIRED

TEXT = "the quick brown fox jumps over the lazy dog. " * 20
H, V = 12, len(set(TEXT))


@pytest.fixture(scope="module")
def trained():
    tr = engine.Trainer(TEXT, hidden_size=H, seq_length=10)
    tr.run(7)
    return tr


@pytest.fixture(scope="module")
def arrays(trained):
    with np.load(io.BytesIO(to_bytes(trained))) as npz:
        return {k: npz[k] for k in npz.files}


def npz_bytes(arrays, **changes):
    out = dict(arrays)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    buf = io.BytesIO()
    np.savez(buf, **out)        # object arrays are pickled here: the loader must refuse
    return buf.getvalue()


def person_error(raw):
    """Load ``raw``; return the message of the ValueError it must raise."""
    with pytest.raises(ValueError) as info:
        engine.Trainer.load(io.BytesIO(raw))
    assert type(info.value) in (ValueError, engine.CorpusError), type(info.value)
    msg = str(info.value)
    assert len(msg) > 25 and "Traceback" not in msg and "\n" not in msg
    return msg


# -- zip bombs --------------------------------------------------------------------------
def bomb(arrays, name, nbytes, dtype="<f8", shape=None, data_bytes=None):
    """A checkpoint with member ``name`` declaring ``shape`` and holding ``data_bytes``
    zero bytes (written in chunks: the test never holds them in memory)."""
    buf = io.BytesIO()
    itemsize = np.dtype(dtype).itemsize
    shape = shape if shape is not None else (nbytes // itemsize,)
    data_bytes = nbytes if data_bytes is None else data_bytes
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, value in arrays.items():
            if key != name:
                with zf.open(key + ".npy", "w") as f:
                    np.lib.format.write_array(f, np.asarray(value), allow_pickle=False)
        with zf.open(name + ".npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(
                f, {"descr": dtype, "fortran_order": False, "shape": shape})
            chunk = bytes(1 << 20)
            left = data_bytes
            while left > 0:
                f.write(chunk[:min(left, len(chunk))])
                left -= len(chunk)
    return buf.getvalue()


def peak_of_loading(raw):
    tracemalloc.start()
    try:
        person_error(raw)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("member", ["history_loss", "param_Wxh", "mem_Whh", "hprev",
                                    "junk", "text_utf8"])
def test_a_bomb_in_any_member_is_refused_before_inflating(arrays, member):
    raw = bomb(arrays, member, 100_000_000)      # 100 MB of zeros, under the member cap
    assert len(raw) < 1_000_000
    assert peak_of_loading(raw) < 5_000_000      # not 100 MB: refused from the headers


@pytest.mark.slow       # reads a 512 MB bomb
def test_the_issue_bomb_512_mb(arrays):
    raw = bomb(arrays, "history_loss", 512 * 2**20)
    msg = person_error(raw)
    assert "512" in msg.replace(",", "")[:400] or "declares" in msg
    assert peak_of_loading(raw) < 5_000_000


def test_a_header_that_declares_more_than_its_member_holds(arrays):
    raw = bomb(arrays, "history_loss", 0, shape=(10**12,), data_bytes=64)
    assert peak_of_loading(raw) < 2_000_000


def test_declared_sizes_are_capped_per_member_and_in_total(arrays, monkeypatch):
    good = npz_bytes(arrays)
    engine.Trainer.load(io.BytesIO(good))
    monkeypatch.setattr(checkpoint, "MAX_MEMBER_BYTES", 500)
    assert "limit" in person_error(good)
    monkeypatch.undo()
    monkeypatch.setattr(checkpoint, "MAX_TOTAL_BYTES", 5_000)
    assert "in all" in person_error(good)
    monkeypatch.undo()
    with pytest.raises(ValueError, match="in all"):
        engine.Trainer.load(io.BytesIO(good), max_bytes=5_000)


def test_too_many_members(arrays):
    extra = {f"pad{i}": np.zeros(1) for i in range(checkpoint.MAX_MEMBERS)}
    assert "members" in person_error(npz_bytes(arrays, **extra))


def test_members_that_are_not_arrays(arrays):
    buf = io.BytesIO(npz_bytes(arrays))
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("notes.txt", b"hello")
    assert "notes.txt" in person_error(buf.getvalue())


def test_the_caps_fit_the_largest_model_the_trainer_builds():
    # every model the cost check lets through fits in the checkpoint caps
    refuse = engine.cost.REFUSE_BYTES
    for V_, H_ in [(10_000, 64), (65, 2048), (2000, 1024), (10_000, 512)]:
        P = engine.cost.parameter_count(V_, H_)
        if engine.estimate_cost(V_, H_, 1).peak_bytes <= refuse:
            assert 8 * P <= checkpoint.MAX_MEMBER_BYTES
            assert 2 * 8 * P < checkpoint.MAX_TOTAL_BYTES


# -- malformed arrays, in every slot ------------------------------------------------------
def malformed(value, kind):
    v = np.asarray(value)
    return {
        "complex": lambda: v.astype(complex) + 1j,
        "object": lambda: np.array([object()] * max(v.size, 1), dtype=object),
        "strings": lambda: np.full(v.shape, "x"),
        "bytes": lambda: np.full(v.shape, b"x"),
        "bool": lambda: np.ones(v.shape, dtype=bool),
        "record": lambda: np.zeros(v.shape, dtype=[("a", "f8")]),
        "wrong shape": lambda: np.zeros(v.shape + (2,) if v.ndim < 2 else (3, 3)),
        "scalar": lambda: np.array(1.0),
        "3-d": lambda: np.zeros((2, 2, 2)),
        "NaN": lambda: np.where(np.ones(v.shape, bool), np.nan, 0.0),
        "inf": lambda: np.full(v.shape, np.inf),
        "negative": lambda: -np.ones(v.shape),
        "empty": lambda: np.zeros((0,)),
        "datetime": lambda: np.zeros(v.shape, dtype="datetime64[s]"),
    }[kind]()


ARRAY_SLOTS = {
    "param_Wxh": ["complex", "object", "strings", "bytes", "bool", "record", "wrong shape",
                  "scalar", "3-d", "NaN", "inf", "empty", "datetime"],
    "param_by": ["complex", "object", "strings", "wrong shape", "scalar", "NaN", "empty"],
    "mem_Whh": ["complex", "object", "strings", "bool", "record", "wrong shape", "scalar",
                "3-d", "NaN", "inf", "negative", "empty", "datetime"],
    "mem_bh": ["complex", "negative", "wrong shape", "NaN"],
    "hprev": ["complex", "object", "strings", "bool", "wrong shape", "scalar", "3-d", "NaN",
              "inf", "empty", "record"],
    "history_loss": ["complex", "object", "strings", "bool", "wrong shape", "scalar", "3-d",
                     "record", "datetime", "empty", "NaN", "inf"],
    "history_iteration": ["complex", "NaN", "negative", "strings", "empty", "wrong shape"],
    "history_reach": ["complex", "object", "strings", "wrong shape", "empty"],
    "text_utf8": ["complex", "object", "strings", "wrong shape", "scalar", "3-d", "empty"],
}
CASES = [(slot, kind) for slot, kinds in ARRAY_SLOTS.items() for kind in kinds]


@pytest.mark.parametrize("slot, kind", CASES, ids=[f"{s}-{k}" for s, k in CASES])
def test_malformed_arrays_get_a_sentence(arrays, slot, kind):
    person_error(npz_bytes(arrays, **{slot: malformed(arrays[slot], kind)}))


@pytest.mark.parametrize("slot", [k for k in ARRAY_SLOTS if k.startswith(("param", "mem"))]
                         + ["hprev"])
def test_complex_weights_and_state_are_named_as_complex(arrays, slot):
    assert "complex" in person_error(npz_bytes(arrays, **{slot: arrays[slot] + 1e-9j}))


SCALARS = {
    "iteration": [1e300, float(10**13), 10**13, -1, "five", True, np.array([7]), 7 + 0j,
                  np.nan, 3],       # 3 < the history's 7 rows
    "position": [10**9, -1, 2.5, "0", np.array([0, 1]), None],
    "smooth_loss": [np.nan, np.inf, -1.0, "1", 1 + 1j, np.array([1.0, 2.0])],
    "hyper_learning_rate": ["0.1", True, -1.0, np.nan, 1 + 0j, np.array([0.1])],
    "hyper_hidden_size": [12.0, "12", True, 0, 10**6, np.int64(13)],
    "hyper_gain": ["1.0", np.inf],
    "hyper_clip": [5, "sometimes", np.array(["value", "norm"])],
    "version": [2, "1", np.array([1])],
    "format": ["something-else", np.array(["bpttscope-checkpoint"] * 2), None],
}
SCALAR_CASES = [(k, i) for k, vs in SCALARS.items() for i in range(len(vs))]


@pytest.mark.parametrize("key, i", SCALAR_CASES, ids=[f"{k}-{i}" for k, i in SCALAR_CASES])
def test_malformed_scalars_get_a_sentence(arrays, key, i):
    value = SCALARS[key][i]
    person_error(npz_bytes(arrays, **{key: None if value is None else np.asarray(value)}))


def test_iteration_bound_and_history_consistency(arrays):
    assert "iteration" in person_error(npz_bytes(arrays, iteration=np.array(MAX_ITERATION + 1)))
    back = engine.Trainer.load(io.BytesIO(npz_bytes(arrays, iteration=np.array(MAX_ITERATION))))
    assert back.iteration == MAX_ITERATION
    assert back.history["iteration"].min() >= 0


@pytest.mark.parametrize("column, values", [
    ("history_iteration", lambda n: np.arange(n)[::-1].astype(float)),     # backwards
    ("history_iteration", lambda n: np.full(n, 2.0)),                       # repeated
    ("history_position", lambda n: np.full(n, 1e300)),                      # off the text
])
def test_a_history_out_of_order_or_off_the_text_gets_a_sentence(arrays, column, values):
    """[2, 0, 1] or [2, 2, 2] as the iterations, and 1e300 as a position, loaded
    silently: trainer.history then read [2, 0, 1]."""
    n = len(arrays["history_loss"])
    assert "history column" in person_error(npz_bytes(arrays, **{column: values(n)}))


def test_missing_pieces_are_named(arrays):
    for key in ("param_Whh", "mem_Why", "hprev", "iteration", "text_utf8",
                "hyper_hidden_size"):
        msg = person_error(npz_bytes(arrays, **{key: None}))
        assert key.split("_", 1)[-1] in msg or key in msg


# -- state_dict / from_state ------------------------------------------------------------------
def test_state_dict_is_plain_and_complete(trained):
    state = trained.state_dict()
    assert set(state) == set(REQUIRED)
    assert set(state["settings"]) == set(engine.Config.names())
    for group in ("params", "mem", "history"):
        assert all(type(a) is np.ndarray and a.dtype == np.float64
                   for a in state[group].values())
    assert set(state["history"]) == set(COLUMNS)
    assert type(state["iteration"]) is int and type(state["position"]) is int
    assert type(state["smooth_loss"]) is float and type(state["text"]) is str
    state["params"]["Whh"][...] = 0            # a copy: the trainer is untouched
    assert np.abs(trained.params["Whh"]).sum() > 0


def test_from_state_continues_exactly(trained):
    twin = engine.Trainer.from_state(trained.state_dict())
    straight = engine.Trainer.from_state(trained.state_dict())
    for _ in range(20):
        a, b = twin.step(), straight.step()
        assert a.loss == b.loss
    ref = engine.Trainer(TEXT, hidden_size=H, seq_length=10)
    ref.run(27)
    again = engine.Trainer.from_state(trained.state_dict())
    again.run(20)
    np.testing.assert_array_equal(again.history["loss"], ref.history["loss"])
    np.testing.assert_array_equal(again.params["Whh"], ref.params["Whh"])


def bad_states(trained):
    s = trained.state_dict
    cases = {
        "not a dict": lambda: [1, 2],
        "missing mem": lambda: {k: v for k, v in s().items() if k != "mem"},
        "newer entry": lambda: {**s(), "cprev": np.zeros(H)},
        "params a list": lambda: {**s(), "params": [1, 2]},
        "mem missing Whh": lambda: {**s(), "mem": {k: v for k, v in s()["mem"].items()
                                                   if k != "Whh"}},
        "mem extra": lambda: {**s(), "mem": {**s()["mem"], "Wzz": np.zeros(3)}},
        "ragged param": lambda: {**s(), "params": {**s()["params"], "bh": [[1], [1, 2]]}},
        "text bytes": lambda: {**s(), "text": TEXT.encode()},
        "setting a list": lambda: {**s(), "settings": {**s()["settings"], "gain": [1.0]}},
        "history uneven": lambda: {**s(), "history": {**s()["history"],
                                                      "loss": np.zeros(3)}},
        "history too long": lambda: {**s(), "iteration": 2},
        "history iteration beyond": lambda: {**s(), "history": {
            **s()["history"], "iteration": np.arange(7.0) + 100}},
        "position beyond": lambda: {**s(), "position": len(TEXT) + 1},
        "iteration float": lambda: {**s(), "iteration": 7.0},
        "smooth_loss None": lambda: {**s(), "smooth_loss": None},
        "hprev complex": lambda: {**s(), "hprev": np.zeros(H, complex)},
    }
    assert set(cases) == set(BAD_STATES)
    return cases


BAD_STATES = ["not a dict", "missing mem", "newer entry", "params a list", "mem missing Whh",
              "mem extra", "ragged param", "text bytes", "setting a list", "history uneven",
              "history too long", "history iteration beyond", "position beyond",
              "iteration float", "smooth_loss None", "hprev complex"]


@pytest.mark.parametrize("case", BAD_STATES)
def test_from_state_refuses_malformed_states(trained, case):
    state = bad_states(trained)[case]()
    with pytest.raises(ValueError) as info:
        engine.Trainer.from_state(state)
    assert type(info.value) in (ValueError, engine.CorpusError)
    assert len(str(info.value)) > 25


def test_a_newer_entry_is_reported_as_newer(trained):
    with pytest.raises(ValueError, match="newer version"):
        engine.Trainer.from_state({**trained.state_dict(), "zprev": np.zeros(H)})


def test_long_histories_keep_their_latest_rows(trained, monkeypatch, tmp_path):
    monkeypatch.setattr(checkpoint, "MAX_HISTORY_ROWS", 4)
    trained.save(tmp_path / "c.npz")
    back = engine.Trainer.load(tmp_path / "c.npz")
    assert back.iteration == 7 and list(back.history["iteration"]) == [3, 4, 5, 6]
    back.step()
    back.save(tmp_path / "d.npz")
    assert engine.Trainer.load(tmp_path / "d.npz").iteration == 8


def test_checkpoint_module_never_touches_private_attributes():
    import inspect
    import re
    source = inspect.getsource(checkpoint)
    assert not re.search(r"trainer\._|\._history|\._flat|setattr\(", source)
