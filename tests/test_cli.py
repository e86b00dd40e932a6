"""The command line: train writes history and a checkpoint; sample reads it back."""
import subprocess
import sys
from pathlib import Path

import pandas as pd

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
