"""The command line under bad flags, bad files and failing disks: every flag is checked
before training, inputs are read with a cap, outputs are checked before training, a
finished run is never lost, and every failure is one line for a person with a non-zero
exit code."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import engine
from engine.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
PERIODIC = str(ROOT / "sample_texts" / "periodic.txt")
FAST = ["--hidden", "8", "--seq-length", "5"]


def cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_failure(code, err):
    assert code not in (0, None)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err


BAD_TRAIN_FLAGS = [
    ("--iterations", "-5"), ("--print-every", "0"), ("--print-every", "-3"),
    ("--hidden", "0"), ("--hidden", "5000"), ("--seq-length", "0"), ("--lr", "-1"),
    ("--lr", "nan"), ("--lr", "inf"), ("--lr", "0"), ("--threshold", "0"),
    ("--threshold", "nan"), ("--seed", "-1"), ("--max-bytes", "0"),
]


@pytest.mark.parametrize("flag, value", BAD_TRAIN_FLAGS)
def test_bad_train_flags_fail_before_anything_is_written(capsys, tmp_path, flag, value):
    out = tmp_path / "run"
    code, stdout, err = cli(capsys, "train", PERIODIC, *FAST, "--out", out, flag, value)
    one_line_failure(code, err)
    assert flag in err
    assert not out.exists()             # nothing trained, nothing saved, no folder made


@pytest.mark.parametrize("flag, value", [("-n", "-1"), ("-n", "100001"),
                                         ("--temperature", "0"), ("--temperature", "nan"),
                                         ("--temperature", "-2"), ("--rng-seed", "-1")])
def test_bad_sample_flags(capsys, tmp_path, flag, value):
    ckpt = tmp_path / "c.npz"
    engine.Trainer(engine.read_sample("periodic.txt"), hidden_size=8).save(ckpt)
    code, _, err = cli(capsys, "sample", ckpt, flag, value)
    one_line_failure(code, err)
    assert flag in err


def test_zero_iterations_saves_the_untrained_model(capsys, tmp_path):
    code, out, err = cli(capsys, "train", PERIODIC, *FAST, "--iterations", "0", "--out",
                         tmp_path)
    assert code == 0 and "untrained" in out
    tr = engine.Trainer.load(tmp_path / "checkpoint.npz")
    assert tr.iteration == 0 and len(pd.read_csv(tmp_path / "history.csv")) == 0


@pytest.mark.parametrize("blocker", ["history.csv", "checkpoint.npz"])
def test_an_output_that_is_a_folder_is_refused_before_training(capsys, tmp_path, blocker):
    (tmp_path / blocker).mkdir()
    code, out, err = cli(capsys, "train", PERIODIC, *FAST, "--out", tmp_path)
    one_line_failure(code, err)
    assert blocker in err and "iter" not in out      # no training happened
    assert not (tmp_path / "checkpoint.npz").is_file()


def test_out_under_a_file_is_refused(capsys, tmp_path):
    (tmp_path / "f").write_text("x")
    code, _, err = cli(capsys, "train", PERIODIC, *FAST, "--out", tmp_path / "f" / "run")
    one_line_failure(code, err)
    code, _, err = cli(capsys, "train", PERIODIC, *FAST, "--out", tmp_path / "f")
    one_line_failure(code, err)


def test_out_in_a_read_only_folder_is_refused(capsys, tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    real_access = os.access      # as root chmod does not stop writes: say it is read-only
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == ro
                        else real_access(p, mode))
    code, _, err = cli(capsys, "train", PERIODIC, *FAST, "--out", ro / "run")
    one_line_failure(code, err)
    assert "cannot be written" in err and not (ro / "run").exists()


@pytest.mark.parametrize("source", ["/dev/zero", "missing", "folder", "binary", "utf16"])
def test_bad_input_files(capsys, tmp_path, source):
    path = {"/dev/zero": Path("/dev/zero"), "missing": tmp_path / "nope.txt",
            "folder": tmp_path, "binary": tmp_path / "b.bin",
            "utf16": tmp_path / "u.txt"}[source]
    if source == "binary":
        path.write_bytes(bytes(range(256)) * 50)
    if source == "utf16":
        path.write_bytes(("hello world\n" * 50).encode("utf-16"))
    code, _, err = cli(capsys, "train", path, *FAST, "--out", tmp_path / "run")
    one_line_failure(code, err)
    assert not (tmp_path / "run").exists()


def test_a_finished_run_is_never_lost(capsys, tmp_path, monkeypatch):
    def refuse(self, *a, **k):
        raise PermissionError(13, "Permission denied", str(a[0]) if a else "history.csv")
    monkeypatch.setattr(pd.DataFrame, "to_csv", refuse)
    code, out, err = cli(capsys, "train", PERIODIC, *FAST, "--iterations", "30", "--out",
                         tmp_path / "run")
    assert code != 0 and "Traceback" not in err
    assert "history.csv" in err and "checkpoint.npz" not in err.split("(")[0]
    tr = engine.Trainer.load(tmp_path / "run" / "checkpoint.npz")     # written where asked
    assert tr.iteration == 30


def test_a_run_whose_folder_fails_at_the_end_is_saved_elsewhere(capsys, tmp_path,
                                                                  monkeypatch):
    save = engine.Trainer.save

    def failing_disk(self, path):
        if Path(path).parent == tmp_path / "run":
            raise OSError(28, "No space left on device", str(path))
        return save(self, path)
    monkeypatch.setattr(engine.Trainer, "save", failing_disk)
    code, out, err = cli(capsys, "train", PERIODIC, *FAST, "--iterations", "30", "--out",
                         tmp_path / "run")
    assert code == 1 and "Traceback" not in err and "No space left" in err
    rescue = Path(err.split(" in ")[-1].split(" instead")[0])
    assert rescue != tmp_path / "run"
    assert engine.Trainer.load(rescue / "checkpoint.npz").iteration == 30


def test_a_run_stopped_by_an_unexpected_error_keeps_its_steps(capsys, tmp_path, monkeypatch):
    calls = {"n": 0}
    step = engine.Trainer.step

    def flaky(self):
        calls["n"] += 1
        if calls["n"] == 12:
            raise MemoryError("simulated")
        return step(self)
    monkeypatch.setattr(engine.Trainer, "step", flaky)
    code, _, err = cli(capsys, "train", PERIODIC, *FAST, "--iterations", "50", "--out",
                       tmp_path)
    assert code == 1 and "iteration 11" in err
    assert engine.Trainer.load(tmp_path / "checkpoint.npz").iteration == 11


def test_hostile_checkpoints_give_one_line(capsys, tmp_path):
    for raw in (b"", b"PK\x05\x06" + bytes(18), np.random.default_rng(0).bytes(3000)):
        path = tmp_path / "c.npz"
        path.write_bytes(raw)
        code, _, err = cli(capsys, "sample", path)
        one_line_failure(code, err)


def test_as_a_process_no_traceback_and_nonzero_exit(tmp_path):
    res = subprocess.run([sys.executable, "-m", "engine", "train", "/dev/zero", "--out",
                          str(tmp_path / "x"), "--print-every", "0"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1 and "--print-every" in res.stderr


# -- resuming, and a second run into the same folder --------------------------------
def test_a_resumed_run_continues_bit_for_bit(capsys, tmp_path):
    """train 30 + train --resume 20 is train 50: weights, Adagrad memory, hidden state
    and the history file (all 50 rows)."""
    code, _, _ = cli(capsys, "train", PERIODIC, *FAST, "--iterations", "30", "--out",
                     tmp_path / "a")
    assert code == 0
    code, out, err = cli(capsys, "train", "--resume", tmp_path / "a" / "checkpoint.npz",
                         "--iterations", "20")
    assert code == 0, err
    assert "resuming" in out and "iteration 30" in out and "20 iterations (50 in all)" in out
    code, _, _ = cli(capsys, "train", PERIODIC, *FAST, "--iterations", "50", "--out",
                     tmp_path / "b")
    a, b = (engine.Trainer.load(tmp_path / d / "checkpoint.npz") for d in "ab")
    assert a.iteration == b.iteration == 50
    assert np.array_equal(a._flat, b._flat) and np.array_equal(a._mem_flat, b._mem_flat)
    assert np.array_equal(a.hprev, b.hprev) and a.smooth_loss == b.smooth_loss
    history = [pd.read_csv(tmp_path / d / "history.csv") for d in "ab"]
    assert len(history[0]) == 50
    pd.testing.assert_frame_equal(history[0], history[1])
    assert not (tmp_path / "a" / "checkpoint.previous.npz").exists()   # continued in place


def test_resuming_may_change_the_live_settings_and_only_those(capsys, tmp_path):
    ckpt = tmp_path / "checkpoint.npz"
    engine.Trainer(engine.read_sample("periodic.txt"), hidden_size=8, seq_length=5).save(ckpt)
    code, _, err = cli(capsys, "train", "--resume", ckpt, "--iterations", "3", "--lr", "0.05",
                       "--clip", "norm", "--out", tmp_path / "other")
    assert code == 0, err
    resumed = engine.Trainer.load(tmp_path / "other" / "checkpoint.npz")
    assert resumed.config.learning_rate == 0.05 and resumed.config.clip == "norm"
    assert resumed.iteration == 3 and engine.Trainer.load(ckpt).iteration == 0
    for flag, value in [("--hidden", "9"), ("--seq-length", "7"), ("--cell", "lstm"),
                        ("--seed", "3")]:
        code, _, err = cli(capsys, "train", "--resume", ckpt, flag, value)
        one_line_failure(code, err)
        assert f"{flag} cannot change when resuming" in err and "--lr" in err


@pytest.mark.parametrize("args, says", [
    (["train", "--resume", "{ckpt}", PERIODIC], "leave out FILE"),
    (["train", "--resume", "{dir}"], "is a folder (it holds a checkpoint.npz)"),
    (["train", "--resume", "{dir}/nope.npz"], "no such checkpoint"),
    (["train", "--resume", PERIODIC], "not a readable BPTT Scope checkpoint"),
    (["train", "{ckpt}"], "is a checkpoint, not a text. Continue its run with: python -m "
                          "engine train --resume"),
    (["train"], "give a FILE to train on"),
])
def test_resume_mistakes_get_a_sentence(capsys, tmp_path, args, says):
    ckpt = tmp_path / "checkpoint.npz"
    engine.Trainer(engine.read_sample("periodic.txt"), hidden_size=8, seq_length=5).save(ckpt)
    code, _, err = cli(capsys, *[a.format(ckpt=ckpt, dir=tmp_path) for a in args])
    one_line_failure(code, err)
    assert says in err
    assert engine.Trainer.load(ckpt).iteration == 0          # untouched


def test_a_second_run_into_the_same_folder_keeps_the_first(capsys, tmp_path):
    """The first run stays, whole, as checkpoint.previous.npz, and the note says how to
    continue it (a Ctrl-C of the second run used to save over it unseen)."""
    code, _, _ = cli(capsys, "train", PERIODIC, *FAST, "--iterations", "12", "--out", tmp_path)
    first = (tmp_path / "checkpoint.npz").read_bytes()
    code, _, err = cli(capsys, "train", PERIODIC, *FAST, "--iterations", "4", "--lr", "0.2",
                       "--out", tmp_path)
    assert code == 0
    assert "kept as" in err and "--resume" in err and "checkpoint.previous.npz" in err
    assert (tmp_path / "checkpoint.previous.npz").read_bytes() == first
    assert len(pd.read_csv(tmp_path / "history.previous.csv")) == 12
    assert engine.Trainer.load(tmp_path / "checkpoint.npz").iteration == 4


def test_a_resumed_checkpoint_over_the_text_limit_names_the_flag(capsys, tmp_path):
    ckpt = tmp_path / "checkpoint.npz"
    engine.Trainer(engine.read_sample("periodic.txt"), hidden_size=8, seq_length=5).save(ckpt)
    code, _, err = cli(capsys, "train", "--resume", ckpt, "--max-bytes", "10")
    one_line_failure(code, err)
    assert f"--resume {ckpt}" in err and "--max-bytes" in err


def test_a_resume_whose_folder_cannot_take_the_run_says_where_it_would_go(capsys, tmp_path):
    ckpt = tmp_path / "checkpoint.npz"
    engine.Trainer(engine.read_sample("periodic.txt"), hidden_size=8, seq_length=5).save(ckpt)
    (tmp_path / "history.csv").mkdir()
    code, _, err = cli(capsys, "train", "--resume", ckpt, "--iterations", "2")
    one_line_failure(code, err)
    assert "The checkpoint's folder" in err and "unless --out names another folder" in err
    assert engine.Trainer.load(ckpt).iteration == 0
    code, _, err = cli(capsys, "train", "--resume", ckpt, "--iterations", "2", "--out",
                       tmp_path / "elsewhere")
    assert code == 0, err


class _Terminal:
    """A stdout that says it is a terminal, recording what is written to it."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def flush(self):
        pass

    def isatty(self):
        return True


def test_samples_shown_on_a_terminal_cannot_drive_it(tmp_path, monkeypatch):
    """A text with ESC [ 2 J (clear screen) and ESC ] 0 ; ... BEL (retitle the window),
    under the binary-file threshold, reached the terminal raw through the samples that
    train and sample print. On a terminal they are shown as \\xNN; into a file or a pipe
    the sample is the model's text as it is."""
    hostile = ("the cat sat on the mat. \x1b[2J\x1b]0;pwned\x07 " * 40)
    text = tmp_path / "hostile.txt"
    text.write_text(hostile, encoding="utf-8")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["train", str(text), "--iterations", "400", "--print-every", "200",
                 "--out", str(tmp_path / "run"), *FAST]) == 0
    assert main(["sample", str(tmp_path / "run" / "checkpoint.npz"), "-n", "2000",
                 "--rng-seed", "1"]) == 0
    shown = "".join(terminal.parts)
    assert "\\x1b" in shown or "\\x07" in shown       # the model does write them
    assert not any(c in shown for c in "\x1b\x07\x9b")
    from engine.__main__ import _for_terminal
    assert _for_terminal("a\x1b[2J\tb\n", open(os.devnull, "w")) == "a\x1b[2J\tb\n"
