"""The command line: train writes history and a checkpoint; sample reads it back."""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import engine

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_train_then_sample(tmp_path):
    out = tmp_path / "run"
    res = run("train", str(ROOT / "sample_texts" / "periodic.txt"), "--iterations", "120",
              "--hidden", "32", "--seq-length", "13", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "iter 0, loss:" in res.stdout and "iter 100, loss:" in res.stdout
    history = pd.read_csv(out / "history.csv")
    assert len(history) == 120 and list(history["iteration"]) == list(range(120))
    tr = engine.Trainer.load(out / "checkpoint.npz")
    assert tr.iteration == 120 and tr.config.hidden_size == 32
    res = run("sample", str(out / "checkpoint.npz"), "-n", "40", "--temperature", "0.5",
              "--rng-seed", "1")
    assert res.returncode == 0 and len(res.stdout.rstrip("\n")) >= 30


def test_bad_input_gives_a_message_not_a_traceback(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    res = run("train", str(empty), "--out", str(tmp_path / "x"))
    assert res.returncode == 2 and "empty" in res.stderr and "Traceback" not in res.stderr
    res = run("train", str(ROOT / "sample_texts" / "periodic.txt"), "--lr", "-1")
    assert res.returncode == 2 and "learning_rate" in res.stderr
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a checkpoint")
    res = run("sample", str(junk))
    assert res.returncode == 2 and "checkpoint" in res.stderr and "Traceback" not in res.stderr


# -- shipped texts, help, the last line, the command line's own wording -----------------
def run_in(folder, *args):
    """``python -m engine`` started from ``folder`` (not the checkout)."""
    import os
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=folder,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_shipped_text_is_found_by_name_from_any_folder(tmp_path):
    for name in ("periodic.txt", "periodic"):
        res = run_in(tmp_path, "train", name, "--iterations", "3", "--hidden", "8",
                     "--seq-length", "5", "--out", "run")
        assert res.returncode == 0, res.stderr
        assert "using the shipped text periodic.txt" in res.stdout
        tr = engine.Trainer.load(tmp_path / "run" / "checkpoint.npz")
        assert tr.text == engine.read_sample("periodic.txt") and tr.iteration == 3
    (tmp_path / "periodic.txt").write_text("a local file wins: " * 20)
    res = run_in(tmp_path, "train", "periodic.txt", "--iterations", "1", "--hidden", "8",
                 "--seq-length", "5", "--out", "run")
    assert res.returncode == 0 and "shipped" not in res.stdout
    assert engine.Trainer.load(tmp_path / "run" / "checkpoint.npz").text.startswith("a local")
    res = run_in(tmp_path, "train", "nonesuch.txt")
    assert res.returncode == 2 and "no such file" in res.stderr
    assert "prose.txt" in res.stderr and "python -m engine texts" in res.stderr


def test_texts_lists_every_shipped_text_with_what_it_teaches(tmp_path):
    res = run_in(tmp_path, "texts")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    for name in engine.sample_text_names():
        line = next(row for row in lines if row.startswith(name + " "))
        text = engine.read_sample(name)
        assert f"{len(text.encode()):,} bytes" in line
        assert f"{len(set(text))} characters" in line
    assert "Vanishing gradients." in next(row for row in lines if row.startswith("long_gap"))


def test_every_flag_has_help_and_shows_its_default():
    from engine.__main__ import parser
    sub = next(a for a in parser()._actions if a.dest == "command")
    for name, command in sub.choices.items():
        text = command.format_help()
        for action in command._actions:
            if action.dest == "help":
                continue
            assert action.help, f"{name} {action.option_strings or action.dest}: no help"
            if action.option_strings and action.default is not None:
                assert f"(default: {action.default})" in " ".join(text.split()), \
                    f"{name} {action.option_strings}: default not shown"


def test_training_ends_with_one_summary_line(tmp_path):
    res = run_in(tmp_path, "train", "periodic.txt", "--iterations", "40", "--hidden", "8",
                 "--seq-length", "5", "--out", "run")
    assert res.returncode == 0, res.stderr
    last = res.stdout.strip().splitlines()[-1]
    tr = engine.Trainer.load(tmp_path / "run" / "checkpoint.npz")
    assert last.startswith("done: 40 iterations in ") and " s (" in last
    assert f"smooth loss {tr.smooth_loss:.4f}" in last
    assert f"last window {tr.history['loss'].iloc[-1]:.4f}" in last
    assert last.endswith(f"wrote {Path('run') / 'checkpoint.npz'} and "
                         f"{Path('run') / 'history.csv'}")


@pytest.mark.parametrize("content", [
    bytes(range(256)) * 20,                          # NUL bytes
    b"text " * 100 + bytes(range(1, 9)) * 300,       # mostly control codes at the end
    b"",                                             # empty
    "caf\u00e9 ".encode("latin-1") * 50,             # not UTF-8
    ("hello world\n" * 50).encode("utf-16"),         # UTF-16
])
def test_bad_files_are_described_for_the_command_line(tmp_path, content):
    path = tmp_path / "input.bin"
    path.write_bytes(content)
    res = run("train", str(path), "--out", str(tmp_path / "run"))
    assert res.returncode == 2 and res.stderr.startswith(f"error: {path}: ")
    assert "upload" not in res.stderr.lower() and "paste" not in res.stderr.lower()
    assert res.stderr.count("\n") == 1


def test_too_large_a_file_names_the_flag(tmp_path):
    res = run("train", str(ROOT / "sample_texts" / "prose.txt"), "--max-bytes", "1000")
    assert res.returncode == 2 and "--max-bytes" in res.stderr


def test_a_missing_checkpoint_is_reported_as_missing(tmp_path):
    res = run("sample", str(tmp_path / "nope.npz"))
    assert res.returncode == 2
    assert res.stderr == (f"error: {tmp_path / 'nope.npz'}: no such checkpoint. Train one "
                          "with: python -m engine train FILE --out FOLDER (it writes "
                          "FOLDER/checkpoint.npz).\n")
    (tmp_path / "run").mkdir()
    engine.Trainer(engine.read_sample("periodic.txt"), hidden_size=8).save(
        tmp_path / "run" / "checkpoint.npz")
    res = run("sample", str(tmp_path / "run"))
    assert res.returncode == 2 and "is a folder (it holds a checkpoint.npz)" in res.stderr
