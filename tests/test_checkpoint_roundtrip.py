"""A saved and reloaded Trainer continues bit-for-bit where the saved one stopped."""
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import engine

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("Wxh", "Whh", "Why", "bh", "by")


@pytest.fixture(scope="module")
def text():
    # 1200 characters: the data pointer wraps every 47 (seq_length 25) or 92 (13)
    # windows, so both the saved and the resumed part of a run cross a wrap
    return (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")[:1200]


SETTINGS = [
    dict(hidden_size=40, seq_length=25),
    dict(hidden_size=24, seq_length=13, learning_rate=0.05, clip="norm", threshold=2.0,
         optimizer="sgd", seed=11),
    dict(hidden_size=16, seq_length=25, clip="none", seed=3, whh_init="orthogonal",
         gain=1.1, diagnostics_every=7),
]


def assert_same_trainer(a, b, compare_history=True):
    for n in NAMES:
        assert a.params[n].dtype == np.float64
        np.testing.assert_array_equal(a.params[n], b.params[n], err_msg=n)
        np.testing.assert_array_equal(a.mem[n], b.mem[n], err_msg=f"mem {n}")
    np.testing.assert_array_equal(a.hprev, b.hprev)
    assert a.hprev.shape == b.hprev.shape
    assert a.position == b.position
    assert a.iteration == b.iteration
    assert a.smooth_loss == b.smooth_loss
    assert a.settings() == b.settings()
    assert a.vocab == b.vocab and a.vocab.chars == b.vocab.chars
    assert a.text == b.text
    if compare_history:
        pd.testing.assert_frame_equal(a.history, b.history)


def roundtrip(trainer, how, tmp_path):
    if how == "path":
        path = tmp_path / "ckpt.npz"
        trainer.save(path)
        return engine.Trainer.load(path)
    if how == "str-path":
        path = str(tmp_path / "ckpt.npz")
        trainer.save(path)
        return engine.Trainer.load(path)
    buf = io.BytesIO()
    trainer.save(buf)
    buf.seek(0)
    return engine.Trainer.load(io.BytesIO(buf.getvalue()))


@pytest.mark.parametrize("how", ["path", "str-path", "bytesio"])
@pytest.mark.parametrize("cfg", range(len(SETTINGS)))
def test_resume_is_bit_for_bit(text, tmp_path, how, cfg):
    kw = SETTINGS[cfg]
    k, n = 57, 60
    straight = engine.Trainer(text, **kw)
    straight.run(k + n)

    first = engine.Trainer(text, **kw)
    first.run(k)
    resumed = roundtrip(first, how, tmp_path)
    assert_same_trainer(first, resumed)
    resumed.run(n)
    first.run(n)
    # the resumed trainer, the saver and an uninterrupted run are indistinguishable
    assert_same_trainer(resumed, straight)
    assert_same_trainer(first, straight)
    np.testing.assert_array_equal(resumed.history["loss"].to_numpy(),
                                  straight.history["loss"].to_numpy())
    assert resumed.sample(60, rng_seed=4) == straight.sample(60, rng_seed=4)
    # the resumed run crossed a wrap of the data pointer
    assert (resumed.history["position"].to_numpy()[k:] == 0).any()


def test_resume_at_iteration_zero(text, tmp_path):
    fresh = engine.Trainer(text, hidden_size=20)
    resumed = roundtrip(fresh, "bytesio", tmp_path)
    assert_same_trainer(fresh, resumed)
    assert len(resumed.history) == 0
    fresh.run(30)
    resumed.run(30)
    assert_same_trainer(fresh, resumed)


def test_all_fields_restored_in_the_file(text, tmp_path):
    tr = engine.Trainer(text, hidden_size=20, seq_length=10, learning_rate=0.07,
                        clip="norm", threshold=3.0)
    tr.run(33)
    path = tmp_path / "c.npz"
    tr.save(path)
    with np.load(path, allow_pickle=False) as npz:    # plain arrays only
        files = set(npz.files)
        assert all(npz[f].dtype != object for f in files)
    back = engine.Trainer.load(path)
    assert_same_trainer(tr, back)
    assert back.settings()["learning_rate"] == 0.07 and back.settings()["clip"] == "norm"
    assert len(back.history) == 33
    assert list(back.history.columns) == list(tr.history.columns)
    # the live parameter views still write into the trainer's own buffer
    back.params["by"][0, 0] += 1.0
    assert back.params["by"][0, 0] != tr.params["by"][0, 0]


def test_resume_twice_and_save_again(text, tmp_path):
    straight = engine.Trainer(text, hidden_size=30)
    straight.run(90)
    tr = engine.Trainer(text, hidden_size=30)
    for _ in range(3):
        tr.run(30)
        tr = roundtrip(tr, "bytesio", tmp_path)
    assert_same_trainer(tr, straight)


@pytest.mark.parametrize("path, match", [
    ("", "needs a file name"), ("folder/", "needs a file name"), (None, "binary file object"),
])
def test_save_says_what_it_needs(tmp_path, path, match):
    """'' wrote a hidden './.npz'; None and a folder raised TypeError and an
    IsADirectoryError naming a temporary file."""
    tr = engine.Trainer("abcdefgh" * 50, hidden_size=4, seq_length=5)
    tr.step()
    with pytest.raises(ValueError, match=match):
        tr.save(path)
    (tmp_path / "run.npz").mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        tr.save(tmp_path / "run")
    tr.save(bytes(tmp_path / "bytes.npz"))           # a bytes path, as os functions take
    assert engine.Trainer.load(tmp_path / "bytes.npz").iteration == tr.iteration
