"""Command line: ``python -m engine train FILE`` and ``python -m engine sample CKPT``.

Every flag is checked before any training, including that the output files can be
written; a finished run is never lost (if its folder cannot be written at the end, it is
saved to a temporary folder and the message says where). Errors are one line for a
person, with a non-zero exit code: 2 for bad input, 1 for a run that diverged or could
not be saved where asked, 130 when interrupted before training.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from .corpus import DEFAULT_MAX_BYTES, read_capped
from .errors import DivergenceError
from .limits import LIMITS, SAMPLE_LIMITS, Limit
from .trainer import Trainer

OUTPUTS = ("checkpoint.npz", "history.csv")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m engine",
                                     description="Train or sample a min-char-rnn model.")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train on a text file")
    train.add_argument("file", type=Path)
    train.add_argument("--iterations", type=int, default=2000,
                       help="training steps (0: save the untrained model)")
    train.add_argument("--hidden", type=int, default=100)
    train.add_argument("--seq-length", type=int, default=25)
    train.add_argument("--lr", type=float, default=0.1)
    train.add_argument("--clip", choices=("value", "norm", "none"), default="value")
    train.add_argument("--threshold", type=float, default=5.0)
    train.add_argument("--optimizer", choices=("adagrad", "sgd"), default="adagrad")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--cell", default="rnn",
                       help="rnn (min-char-rnn's tanh cell), lstm or gru")
    train.add_argument("--print-every", type=int, default=100,
                       help="print a sample and the loss every this many iterations")
    train.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                       help="refuse texts larger than this (bytes)")
    train.add_argument("--out", type=Path, default=Path("runs/latest"))
    samp = sub.add_parser("sample", help="sample text from a checkpoint")
    samp.add_argument("checkpoint", type=Path)
    samp.add_argument("-n", type=int, default=300)
    samp.add_argument("--temperature", type=float, default=1.0)
    samp.add_argument("--seed-text", default=None)
    samp.add_argument("--rng-seed", type=int, default=None)
    _add_handout_parser(sub)
    args = parser.parse_args(argv)
    try:
        if args.command == "handout":
            return _handout(args)
        return _train(args) if args.command == "train" else _sample(args)
    except ValueError as err:        # CorpusError is a ValueError
        print(f"error: {_one_line(err)}", file=sys.stderr)
        return 2
    except OSError as err:
        where = f" {err.filename}" if err.filename else ""
        print(f"error: cannot read or write{where}: {err.strerror or _one_line(err)}.",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted.", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: out of memory. Use a smaller model (--hidden, --seq-length) or a "
              "smaller text.", file=sys.stderr)
        return 2
    except Exception as err:        # a person reads this, never a traceback
        print(f"error: unexpected {type(err).__name__}: {_one_line(err)}", file=sys.stderr)
        return 1


# flag -> the Trainer setting it sets (checked here, named by its flag, before training)
TRAIN_FLAGS = {"hidden": "hidden_size", "seq_length": "seq_length", "lr": "learning_rate",
               "clip": "clip", "threshold": "threshold", "optimizer": "optimizer",
               "seed": "seed", "cell": "cell"}
SAMPLE_FLAGS = {"n": "n", "temperature": "temperature", "rng_seed": "rng_seed"}


def _flag(dest):
    return ("-" if len(dest) == 1 else "--") + dest.replace("_", "-")


def _checked(args, flags, limits):
    """{setting: value} for ``flags``, each checked by its limit, named by its flag."""
    out = {}
    for dest, setting in flags.items():
        name = _flag(dest) if dest == setting else f"{_flag(dest)} ({setting})"
        out[setting] = limits[setting].check(name, getattr(args, dest))
    return out


def _train(args):
    iterations = Limit(int, 0, 10**9).check("--iterations", args.iterations)
    print_every = Limit(int, 1, 10**9).check("--print-every", args.print_every)
    max_bytes = Limit(int, 1, 10**9).check("--max-bytes", args.max_bytes)
    settings = _checked(args, TRAIN_FLAGS, LIMITS)
    _check_outputs(args.out)
    data = read_capped(args.file, max_bytes)
    trainer = Trainer(data, max_bytes=max_bytes, **settings)
    for note in trainer.warnings:
        print(f"note: {note}", file=sys.stderr)
    print(f"data has {len(trainer.text):,} characters, {len(trainer.vocab)} unique.")
    _check_outputs(args.out, create=True)
    if iterations == 0:
        print("--iterations 0: saving the untrained model.")
    start, code = time.perf_counter(), 0
    try:
        for i in range(iterations):
            trainer.step()
            if i % print_every == 0:
                sample = trainer.sample(200, rng_seed=i)
                _clear_bar()
                print(f"----\n {sample} \n----")
                print(f"iter {trainer.iteration - 1}, loss: {trainer.smooth_loss:f}")
            _bar(i + 1, iterations, start)
    except DivergenceError as err:
        _clear_bar()
        print(f"error: {_one_line(err)}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        _clear_bar()
        print("interrupted; saving what there is.", file=sys.stderr)
    except Exception as err:        # whatever stopped it, the steps taken are kept
        _clear_bar()
        print(f"error: training stopped at iteration {trainer.iteration}: "
              f"{type(err).__name__}: {_one_line(err)}; saving what there is.",
              file=sys.stderr)
        code = 1
    _clear_bar()
    return max(code, _save(trainer, args.out))


def _check_outputs(out, create=False):
    """Refuse an output folder that cannot be created or written, or whose output files
    are folders. Without ``create`` nothing is made: the nearest existing folder on the
    way must be writable."""
    for name in OUTPUTS:
        if (out / name).is_dir():
            raise ValueError(f"--out {out}: {out / name} is a folder, so the run could not "
                             "be saved there. Remove it or choose another --out.")
        if (out / name).exists() and not os.access(out / name, os.W_OK):
            raise ValueError(f"--out {out}: {out / name} exists and cannot be overwritten.")
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"--out {out}: {existing} is a file, not a folder. Choose a folder "
                         f"for {' and '.join(OUTPUTS)}.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out} cannot be written ({existing} is not writable). "
                         "Choose a folder you can write to.")
    if create:
        try:
            out.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=out):
                pass
        except OSError as err:
            raise ValueError(f"--out {out} cannot be written ({err.strerror or err}). "
                             "Choose a folder you can write to.") from None


def _save(trainer, out):
    """Write the checkpoint and the history. What cannot be written to ``out`` is written
    to a fresh temporary folder instead, and the message says where. Exit code: 0 if
    all went to ``out``, else 1."""
    writers = {"checkpoint.npz": trainer.save,
               "history.csv": lambda path: trainer.history.to_csv(path, index=False)}
    failed = {}
    for name, write in writers.items():
        try:
            write(out / name)
        except OSError as err:
            failed[name] = err
    if not failed:
        print(f"wrote {out / 'history.csv'} and {out / 'checkpoint.npz'}")
        return 0
    rescue = Path(tempfile.mkdtemp(prefix="bpttscope-run-"))
    saved, lost = [], []
    for name in failed:
        try:
            writers[name](rescue / name)
            saved.append(name)
        except OSError:
            lost.append(name)
    names, err = " and ".join(failed), next(iter(failed.values()))
    where = f"; saved {' and '.join(saved)} in {rescue} instead" if saved else ""
    gone = f"; {' and '.join(lost)} could not be saved anywhere" if lost else ""
    print(f"error: could not write {names} to {out} ({_one_line(err)}){where}{gone}.",
          file=sys.stderr)
    return 1


def _sample(args):
    checked = _checked(args, SAMPLE_FLAGS, SAMPLE_LIMITS)
    trainer = Trainer.load(args.checkpoint)
    print(trainer.sample(checked["n"], checked["temperature"], args.seed_text,
                         checked["rng_seed"]))
    return 0


def _add_handout_parser(sub):
    handout = sub.add_parser("handout", help="write an offline HTML handout of a "
                                             "checkpoint's next window")
    handout.add_argument("checkpoint", type=Path)
    handout.add_argument("-o", "--output", type=Path, required=True,
                         help="the HTML file to write (one self-contained page)")


def _handout(args):
    """The handout of the checkpoint's next window: one step is taken from it, as the
    dashboard does when it resumes a checkpoint. The dashboard draws it, so it is
    imported here only (the engine never needs it)."""
    try:
        from dashboard import handout
    except ImportError as err:
        print(f"error: the handout is drawn by BPTT Scope's dashboard package, which "
              f"cannot be imported here ({_one_line(err)}). Install bpttscope with its "
              "dependencies (pip install bpttscope).", file=sys.stderr)
        return 2
    if args.output.is_dir():
        raise ValueError(f"-o {args.output} is a folder: give the HTML file to write.")
    trainer = Trainer.load(args.checkpoint)
    resumed = trainer.iteration
    trainer.step()
    page = handout.build(trainer)
    part = args.output.with_name(args.output.name + ".partial")
    part.write_text(page, encoding="utf-8")
    part.replace(args.output)            # never half a page under its name
    print(f"wrote {args.output} ({len(page.encode()) / 1e6:.1f} MB): the window of "
          f"iteration {resumed} (one step from the checkpoint's iteration {resumed}).")
    return 0


def _one_line(err):
    text = " ".join(str(err).split())
    return text or type(err).__name__


def _bar(done, total, start):
    if not sys.stderr.isatty():
        return
    width = 30
    filled = int(width * done / total)
    rate = done / max(time.perf_counter() - start, 1e-9)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                     f"{rate:,.0f} it/s")
    sys.stderr.flush()


def _clear_bar():
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")


if __name__ == "__main__":
    sys.exit(main())
