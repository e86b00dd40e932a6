"""Hostile and careless inputs, by class: corpora (sizes, binary data anywhere, byte-order
marks, UTF-16), settings of the wrong type, sampling arguments. Each class is tested
across every place it can enter, not by one example."""
import io
import math
import numbers
import tracemalloc
from dataclasses import fields
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import engine
from engine.corpus import read_capped

PROSE = "The quick brown fox jumps over the lazy dog; then it sleeps. " * 40


def small(text=PROSE, **kw):
    kw.setdefault("hidden_size", 12)
    kw.setdefault("seq_length", 10)
    return engine.Trainer(text, **kw)


# -- sizes: the message never rounds the difference away ------------------------------
@pytest.mark.parametrize("limit", [1, 999, 1000, 1_000_000, 4_999_999, 5_000_000])
@pytest.mark.parametrize("as_bytes", [True, False])
def test_size_message_shows_the_difference(limit, as_bytes):
    text = "a" * (limit + 1)
    data = text.encode() if as_bytes else text
    with pytest.raises(engine.CorpusError) as info:
        engine.load_corpus(data, max_bytes=limit)
    msg = str(info.value)
    assert f"{limit + 1:,} bytes" in msg and f"{limit:,} bytes" in msg
    assert "0.0 MB" not in msg


def test_size_counts_utf8_bytes_not_characters():
    text = "é" * 600          # 1200 bytes
    with pytest.raises(engine.CorpusError, match="1,200 bytes"):
        engine.load_corpus(text, max_bytes=1000)
    assert engine.load_corpus(text + "ab", max_bytes=1202) == text + "ab"


class EndlessStream:
    """A file object that never ends, and remembers how much was asked of it."""

    def __init__(self, byte=b"a"):
        self.byte, self.asked = byte, 0

    def read(self, n=-1):
        assert n is not None and n >= 0, "a capped reader never reads 'everything'"
        self.asked += n
        return self.byte * n


@pytest.mark.parametrize("limit", [10, 1000, 100_000])
def test_streams_are_read_at_most_one_byte_past_the_limit(limit):
    stream = EndlessStream()
    with pytest.raises(engine.CorpusError, match=f"{limit:,} bytes"):
        engine.load_corpus(stream, max_bytes=limit)
    assert stream.asked <= limit + 1


def test_files_are_read_with_a_cap(tmp_path):
    with pytest.raises(engine.CorpusError, match="limit"):
        read_capped("/dev/zero", 1000)              # would never end if read whole
    big = tmp_path / "big.txt"
    big.write_bytes(b"ab" * 600)
    with pytest.raises(engine.CorpusError, match="1,200 bytes"):
        read_capped(big, 1000)                      # a regular file: its exact size
    with pytest.raises(engine.CorpusError, match="1,200 bytes"):
        engine.load_corpus(big, max_bytes=1000)     # a path is a file to read
    ok = tmp_path / "ok.txt"
    ok.write_bytes(b"ab" * 400)
    assert engine.load_corpus(ok, max_bytes=1000) == "ab" * 400
    assert engine.load_corpus(io.BytesIO(b"ab" * 400), max_bytes=1000) == "ab" * 400


def test_reading_a_huge_file_does_not_cost_its_size(tmp_path):
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as f:
        f.truncate(200_000_000)             # sparse: 200 MB without writing them
    tracemalloc.start()
    with pytest.raises(engine.CorpusError):
        read_capped(huge, 1000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000


# -- binary data anywhere in the text --------------------------------------------------
CONTROL = bytes([*range(1, 9), *range(14, 32), 127])


def binary_tail(n):
    return (CONTROL * (n // len(CONTROL) + 1))[:n]


@pytest.mark.parametrize("where", ["start", "middle", "end"])
@pytest.mark.parametrize("size", [4096, 64_000, 2_000_000])
def test_binary_anywhere_is_refused(where, size):
    prose = PROSE.encode()
    pad = prose * (100_000 // len(prose) + 1)
    blob = binary_tail(size)
    data = {"start": blob + pad, "middle": pad + blob + pad, "end": pad + blob}[where]
    for form in (data, data.decode("latin-1").encode("utf-8").decode("utf-8")):
        with pytest.raises(engine.CorpusError, match="binary"):
            engine.load_corpus(form, max_bytes=10_000_000)
    with pytest.raises(engine.CorpusError, match="binary"):
        engine.Trainer(data, max_bytes=10_000_000)


def test_scattered_control_codes_in_real_text_are_fine():
    # terminal colours, form feeds, tabs: text with a few control codes is still text
    line = "\x1b[31mwarning\x1b[0m: disk at 91%\tcheck /var\f\n"
    text = line * 500
    assert engine.load_corpus(text) == text


def test_control_codes_after_the_first_100k_are_seen():
    data = PROSE.encode() * 60 + binary_tail(300_000)       # 150 KB of prose first
    assert len(PROSE) * 60 > 100_000
    with pytest.raises(engine.CorpusError, match="binary"):
        engine.load_corpus(data)


# -- byte-order marks and UTF-16 -------------------------------------------------------
BOM = "\ufeff"


@pytest.mark.parametrize("as_bytes", [True, False])
def test_a_leading_bom_is_dropped_before_the_checks(as_bytes):
    def load(text):
        return engine.load_corpus(text.encode() if as_bytes else text)
    assert load(BOM + "hello world") == "hello world"
    assert load("hello\ufeffworld") == "hello\ufeffworld"       # not at the start: kept
    for blank in (" ", "\n\n\t ", "\r\n" * 50):
        with pytest.raises(engine.CorpusError, match="whitespace"):
            load(BOM + blank)
    with pytest.raises(engine.CorpusError) as info:
        load(BOM)
    assert "byte-order mark" in str(info.value) and "\ufeff" not in str(info.value)
    with pytest.raises(engine.CorpusError, match="single distinct"):
        load(BOM + "a" * 30)        # the BOM does not count as a second character


def test_a_trainer_never_sees_the_bom():
    tr = small((BOM + PROSE).encode())
    assert tr.text == PROSE and BOM not in tr.vocab.chars


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("text", [PROSE, "naïve café, déjà vu\n" * 30])
def test_utf16_is_named(encoding, text):
    with pytest.raises(engine.CorpusError) as info:
        engine.load_corpus(text.encode(encoding))
    msg = str(info.value)
    assert "UTF-16" in msg and "save it as UTF-8" in msg and "binary" not in msg


def test_utf32_is_named():
    with pytest.raises(engine.CorpusError, match="UTF-32"):
        engine.load_corpus(PROSE.encode("utf-32"))


@pytest.mark.parametrize("data", [
    np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes() + b"\x00",
    (np.arange(3000) % 50 + 1).astype("<i2").tobytes(),     # NUL every other byte, not text
    (np.arange(3000) % 50 + 1).astype(">i2").tobytes()])
def test_nul_bytes_that_are_not_utf16_text_are_binary(data):
    with pytest.raises(engine.CorpusError, match="binary"):
        engine.load_corpus(data)


# -- settings: one check that converts, keeps and names ---------------------------------
NUMERIC = [n for n, lim in engine.LIMITS.items() if lim.kind is not str]
CHOICES = [n for n, lim in engine.LIMITS.items() if lim.kind is str]


def test_every_config_field_has_its_limit_and_nothing_else():
    assert {f.name for f in fields(engine.Config)} == set(engine.LIMITS)


def valid(name):
    lim = engine.LIMITS[name]
    if lim.kind is str:
        return lim.choices[0]
    if lim.kind is int:
        return {"hidden_size": 8, "seq_length": 10}.get(name, int(lim.low) + 1)
    return {"learning_rate": 0.05, "threshold": 3.0}.get(name, (lim.low + lim.high) / 7)


WRONG_TYPES = {"string": lambda v: str(v), "bool True": lambda v: True,
               "bool False": lambda v: False, "numpy bool": lambda v: np.bool_(True),
               "None": lambda v: None, "complex": lambda v: complex(v, 0),
               "list": lambda v: [v], "array": lambda v: np.array([v]),
               "bytes": lambda v: str(v).encode(), "Decimal": lambda v: Decimal(str(v))}


@pytest.mark.parametrize("kind", WRONG_TYPES)
@pytest.mark.parametrize("name", NUMERIC)
def test_numbers_of_the_wrong_type_are_refused_by_name(name, kind):
    value = WRONG_TYPES[kind](valid(name))
    with pytest.raises(ValueError) as info:
        small(**{name: value})
    assert name in str(info.value)
    assert not isinstance(info.value, (TypeError, KeyError))


@pytest.mark.parametrize("name", CHOICES)
@pytest.mark.parametrize("value", [None, 1, True, b"value", ["value"]])
def test_choices_of_the_wrong_type_are_refused_by_name(name, value):
    with pytest.raises(ValueError, match=name):
        small(**{name: value})


@pytest.mark.parametrize("name", NUMERIC)
def test_numpy_numbers_are_converted_and_kept(name):
    v = valid(name)
    as_numpy = np.int16(v) if isinstance(v, int) else np.float32(v)
    tr = small(**{name: as_numpy})
    kept = getattr(tr.config, name)
    assert type(kept) is (int if isinstance(v, int) else float)
    assert kept == pytest.approx(float(as_numpy))
    assert type(tr.settings()[name]) is type(kept)


def test_numpy_small_ints_do_not_overflow():
    text = "ab" * 63 + "c"                      # 127 characters
    with pytest.raises(engine.CorpusError, match="128"):
        engine.Trainer(text, seq_length=np.int8(126), hidden_size=np.int8(4))
    tr = engine.Trainer(text + "d", seq_length=np.int8(126), hidden_size=np.int8(4))
    assert tr.step().T == 126


def test_could_not_convert_names_the_setting():
    for value in (10**400, Fraction(10**400, 3)):
        with pytest.raises(ValueError) as info:
            small(learning_rate=value)
        assert "learning_rate" in str(info.value)


def test_the_limits_table_is_the_truth():
    """Each numeric limit's ends are accepted and just beyond them refused, wherever the
    setting is given: Trainer, Config and retune."""
    for name in NUMERIC:
        lim = engine.LIMITS[name]
        if name in ("hidden_size", "seq_length"):
            continue        # the ends build large models; checked on Config below
        inside = [lim.high, lim.low if not lim.open_low else lim.low + 1e-9]
        outside = [lim.high + (1 if lim.kind is int else lim.high * 1e-9)]
        outside.append(lim.low if lim.open_low else lim.low - 1)
        for v in inside:
            v = int(v) if lim.kind is int else float(v)
            small(**{name: v})
        for v in outside:
            v = int(v) if lim.kind is int else float(v)
            with pytest.raises(ValueError, match=name):
                small(**{name: v})
    for name in ("hidden_size", "seq_length"):
        lim = engine.LIMITS[name]
        engine.Config(**{name: lim.high})
        for v in (lim.low - 1, lim.high + 1):
            with pytest.raises(ValueError, match=name):
                engine.Config(**{name: v})


@pytest.mark.parametrize("name", ["learning_rate", "threshold", "clip", "optimizer"])
def test_retune_checks_and_converts(name):
    tr = small()
    tr.step()
    with pytest.raises(ValueError, match=name):
        tr.retune(**{name: "0.1" if name in NUMERIC else 3})
    if name in NUMERIC:
        tr.retune(**{name: np.float32(0.25)})
        assert type(getattr(tr.config, name)) is float
        tr.step()


def test_init_params_checks_and_converts():
    p = engine.init_params(np.int64(7), np.int8(5), seed=np.uint32(3), scale=np.float32(0.1))
    assert p["Wxh"].shape == (5, 7) and p["Whh"].shape == (5, 5)
    for kw in ({"hidden_size": "5"}, {"scale": "0.1"}, {"gain": True}, {"seed": -1},
               {"vocab_size": 1.5}, {"whh_init": None}, {"seed": "1"}):
        args = {"vocab_size": 7, "hidden_size": 5, **kw}
        with pytest.raises(ValueError, match=next(iter(kw))):
            engine.init_params(**args)


@pytest.mark.parametrize("clip, threshold", [("value", "5"), ("value", None),
                                             ("norm", True), ("none", float("nan")),
                                             (5, 5.0), (None, 5.0)])
def test_bptt_checks_clip_and_threshold(clip, threshold):
    tr = small()
    p = tr.params
    with pytest.raises(ValueError) as info:
        engine.bptt(p, tr.data[:5], tr.data[1:6], np.zeros(12), clip=clip, threshold=threshold)
    assert ("clip" if not isinstance(clip, str) else "threshold") in str(info.value)


@pytest.mark.parametrize("kw", [{"learning_rate": np.float32(0.05)}, {"gain": np.float64(1.5),
                                "whh_init": np.str_("orthogonal")}, {"threshold": np.int64(3),
                                "clip": "norm"}, {"seed": np.uint64(5)}])
def test_what_is_accepted_saves_and_loads(kw, tmp_path):
    tr = small(**kw)
    tr.run(3)
    tr.save(tmp_path / "c.npz")
    back = engine.Trainer.load(tmp_path / "c.npz")
    assert back.settings() == tr.settings()
    back.step()


def test_unknown_settings_are_named():
    with pytest.raises(ValueError, match="hiden_size"):
        small(hiden_size=12)


def test_complex_weights_are_refused():
    p = engine.init_params(len(set(PROSE)), 12)
    p["Whh"] = p["Whh"] + 1e-3j
    with pytest.raises(ValueError, match="complex"):
        small(params=p)


# -- sampling arguments -----------------------------------------------------------------
def greedy(tr, n):
    """Independent argmax decoding, from the equations."""
    p = {k: np.asarray(v) for k, v in tr.params.items()}
    h = tr.hprev.copy()
    ix = int(tr.data[tr.position])
    out = []
    for _ in range(n):
        h = np.tanh(p["Wxh"][:, ix] + p["Whh"] @ h + p["bh"][:, 0])
        ix = int(np.argmax(p["Why"] @ h + p["by"][:, 0]))
        out.append(ix)
    return tr.vocab.decode(out)


@pytest.mark.parametrize("temperature", [1e-3, 1e-30, 1e-300, 1e-308, 5e-324])
def test_tiny_temperatures_sample_the_argmax(temperature):
    tr = small()
    tr.run(30)
    assert tr.sample(60, temperature=temperature, rng_seed=1) == greedy(tr, 60)


@pytest.mark.parametrize("seed_text", [123, b"the", ["t"], 1.5, True, np.array(["t"])])
def test_seed_text_must_be_a_string(seed_text):
    with pytest.raises(ValueError, match="seed_text"):
        small().sample(10, seed_text=seed_text)


def test_seed_text_characters_are_named():
    with pytest.raises(ValueError, match="seed_text") as info:
        small().sample(10, seed_text="the Zebra")
    assert "'Z'" in str(info.value)


@pytest.mark.parametrize("rng_seed", [-1, 1.5, True, "1", 2**64, np.float64(2.0)])
def test_rng_seed_is_a_whole_number(rng_seed):
    with pytest.raises(ValueError, match="rng_seed"):
        small().sample(10, rng_seed=rng_seed)


@pytest.mark.parametrize("n", [-1, 2.5, True, "10", None, 100_001])
def test_n_is_a_whole_number_in_range(n):
    with pytest.raises(ValueError, match="n must"):
        small().sample(n)


def test_numpy_sample_arguments_are_converted():
    tr = small()
    a = tr.sample(np.int16(20), temperature=np.float32(0.5), rng_seed=np.uint8(3))
    b = tr.sample(20, temperature=float(np.float32(0.5)), rng_seed=3)
    assert a == b and len(a) == 20


def test_sampling_is_capped_by_cost_not_count():
    small_model = small(hidden_size=8)
    assert len(small_model.sample(100_000, rng_seed=0)) == 100_000    # cheap: allowed
    big = engine.Trainer(PROSE, hidden_size=1024, seq_length=10)
    tracemalloc.start()
    with pytest.raises(ValueError) as info:
        big.sample(100_000)
    tracemalloc.stop()
    msg = str(info.value)
    assert "limit" in msg and "hidden_size 1024" in msg and "characters" in msg
    most = int(msg.split("about ")[-1].split(" characters")[0].replace(",", ""))
    assert 0 < most < 100_000
    assert engine.cost.sample_seconds(most, len(big.vocab), 1024) <= engine.cost.SAMPLE_SECONDS


def test_every_limit_names_its_setting_and_range():
    for name, lim in {**engine.LIMITS, **engine.SAMPLE_LIMITS}.items():
        with pytest.raises(ValueError) as info:
            lim.check(name, object())
        assert str(info.value).startswith(name) and lim.describe() in str(info.value)
        if lim.kind is not str:
            assert isinstance(lim.high, numbers.Number) and math.isfinite(lim.high)
