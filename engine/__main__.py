"""Command line: ``python -m engine train FILE`` (or ``train --resume CKPT``), ``sample
CKPT``, ``texts`` and ``handout``.

Every flag is checked before any training, including that the output files can be
written; a finished run is never lost (if its folder cannot be written at the end, it is
saved to a temporary folder and the message says where). Errors are one line for a
person, with a non-zero exit code: 2 for bad input, 1 for a run that diverged or could
not be saved where asked, 130 for Ctrl-C and 143 for SIGTERM (``kill``, ``timeout``):
an interrupted run is saved first, and ``train && next`` does not carry on. A run
already saved in the output folder is never overwritten by a new one: it is kept as
checkpoint.previous.npz (``--resume`` continues a run in place instead).
"""
import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from .atomic import write_atomic
from .corpus import DEFAULT_MAX_BYTES, read_capped
from .errors import CorpusError, DivergenceError
from .limits import LIMITS, SAMPLE_LIMITS, Limit
from .presets import SAMPLE_TEXTS, sample_text_names
from .trainer import Config, Trainer

OUTPUTS = ("checkpoint.npz", "history.csv")
INTERRUPTED, TERMINATED = 130, 143          # 128 + the signal's number, as shells report


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as an interruption: the run stops and is saved."""


class _Given(argparse.Action):
    """Store the value and note that the flag was given (``args.given``): a resumed run
    keeps its saved settings except those given on the command line."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.given = {*getattr(namespace, "given", ()), self.dest}


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every flag's default shown, except where there is none (the help says what then)."""

    def _get_help_string(self, action):
        return action.help if action.default is None else super()._get_help_string(action)


def parser():
    formatter = _Formatter
    p = argparse.ArgumentParser(
        prog="python -m engine", formatter_class=formatter,
        description="Train min-char-rnn (or an LSTM / GRU) on a text and sample from it, "
                    "without the dashboard.",
        epilog="Ctrl-C (or SIGTERM) stops training and saves what there is. The "
               "dashboard: bpttscope, or make run in a checkout.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    d = Config()
    train = sub.add_parser("train", formatter_class=formatter,
                           help="train on a text file and save a checkpoint and the history",
                           description="Train on FILE; save OUT/checkpoint.npz and "
                                       "OUT/history.csv (one row per iteration). Or "
                                       "continue a saved run: train --resume CHECKPOINT.")
    train.add_argument("file", type=Path, metavar="FILE", nargs="?",
                       help="a UTF-8 text file, or the name of a shipped text such as "
                            "prose.txt (python -m engine texts lists them); not with "
                            "--resume, whose checkpoint holds its text")
    train.add_argument("--resume", type=Path, metavar="CHECKPOINT",
                       help="continue the run saved in CHECKPOINT (weights, Adagrad "
                            "memory, position, history, text) for --iterations more steps, "
                            "saved back to its folder unless --out is given; --lr, --clip, "
                            "--threshold and --optimizer may change, the model's shape not")
    train.add_argument("--iterations", type=int, default=2000,
                       help="training steps (0: save the untrained model)")
    train.add_argument("--hidden", action=_Given, type=int, default=d.hidden_size,
                       help="hidden units H (hidden_size)")
    train.add_argument("--seq-length", action=_Given, type=int, default=d.seq_length,
                       help="characters per truncated-BPTT window T")
    train.add_argument("--lr", action=_Given, type=float, default=d.learning_rate,
                       help="learning rate")
    train.add_argument("--clip", action=_Given, choices=("value", "norm", "none"),
                       default=d.clip,
                       help="gradient clipping: every entry to [-threshold, threshold] "
                            "(min-char-rnn), the global L2 norm, or none")
    train.add_argument("--threshold", action=_Given, type=float, default=d.threshold,
                       help="the clipping bound")
    train.add_argument("--optimizer", action=_Given, choices=("adagrad", "sgd"),
                       default=d.optimizer,
                       help="adagrad (min-char-rnn) or plain SGD")
    train.add_argument("--seed", action=_Given, type=int, default=d.seed,
                       help="seed of the initial weights")
    train.add_argument("--cell", action=_Given, default=d.cell,
                       help="rnn (min-char-rnn's tanh cell), lstm or gru")
    train.add_argument("--print-every", type=int, default=100,
                       help="print a sample and the smooth loss every this many iterations")
    train.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                       help="refuse texts larger than this many bytes")
    train.add_argument("--out", type=Path, default=Path("runs/latest"), action=_Given,
                       help="folder for checkpoint.npz and history.csv (with --resume: "
                            "the checkpoint's folder)")
    samp = sub.add_parser("sample", formatter_class=formatter,
                          help="sample text from a checkpoint",
                          description="Print text sampled from a saved model.")
    samp.add_argument("checkpoint", type=Path, metavar="CHECKPOINT",
                      help="a checkpoint.npz written by train, Trainer.save or the dashboard")
    samp.add_argument("-n", type=int, default=300, help="characters to sample")
    samp.add_argument("--temperature", type=float, default=1.0,
                      help="below 1: safer, more repetitive; above 1: more surprising")
    samp.add_argument("--seed-text", default=None,
                      help="text fed to the model first (default: the model's hidden state)")
    samp.add_argument("--rng-seed", type=int, default=None,
                      help="seed of the sampling (default: different every time)")
    sub.add_parser("texts", help="list the texts shipped with BPTT Scope",
                   description="List the shipped texts; train on one by its name.")
    _add_handout_parser(sub)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if args.command == "texts":
            return _texts()
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
    except Terminated:
        print("terminated.", file=sys.stderr)
        return TERMINATED
    except KeyboardInterrupt:
        print("interrupted.", file=sys.stderr)
        return INTERRUPTED
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


def _texts():
    teaches = _what_each_teaches()
    names = sample_text_names()
    width = max(map(len, names), default=0)
    for name in names:
        text = (SAMPLE_TEXTS / name).read_text(encoding="utf-8")
        size = f"{len(text.encode('utf-8')):>7,} bytes, {len(set(text)):>3} characters"
        print(f"{name:<{width}}  {size}  {teaches.get(name, '')}".rstrip())
    print(f"\n(in {SAMPLE_TEXTS}) Train on one by name: python -m engine train prose.txt")
    return 0


def _what_each_teaches():
    """file name -> the bold phrase of its row in sample_texts/README.md ({} if none)."""
    try:
        readme = (SAMPLE_TEXTS / "README.md").read_text(encoding="utf-8")
    except OSError:
        return {}
    rows = re.findall(r"^\|\s*`([^`]+\.txt)`.*?\*\*(.+?)\*\*", readme, flags=re.M)
    return dict(rows)


def _input_file(path):
    """``path`` if it names a file; else the shipped text of that name (``prose`` or
    ``prose.txt``) from wherever the engine is installed."""
    if path.exists() or path.parent != Path("."):
        return path
    names = sample_text_names()
    for name in (path.name, f"{path.name}.txt"):
        if name in names:
            print(f"using the shipped text {name} ({SAMPLE_TEXTS / name})")
            return SAMPLE_TEXTS / name
    raise ValueError(f"{path}: no such file, and no shipped text of that name (they are "
                     f"{', '.join(names)}: python -m engine texts).")


def _read_text_file(path, max_bytes):
    """The bytes of the training file, with errors worded for the command line."""
    try:
        return read_capped(path, max_bytes)
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file. The shipped texts can be named instead: "
                         "python -m engine texts.") from None
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder; give a text file.") from None
    except CorpusError as err:
        raise CorpusError(f"{path}: {_for_the_shell(str(err))}") from None


def _is_checkpoint(path):
    """Whether ``path`` starts as a zip file does (a .npz checkpoint is one)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _for_the_shell(message):
    """A corpus message written for the dashboard (upload, paste), said for a file
    given on the command line."""
    for said, meant in SHELL_WORDING:
        message = message.replace(said, meant)
    if "the limit is" in message or "larger than the limit" in message:
        message += " Or raise the limit with --max-bytes."
    return message


SHELL_WORDING = (
    ("Paste or upload some text to train on", "Give a file with some text to train on"),
    ("Paste or upload plain text", "Give a plain-text file"),
    ("then upload it again", "then train on it again"),
    ("Upload a plain-text file", "Train on a plain-text file"),
)


def _train(args):
    iterations = Limit(int, 0, 10**9).check("--iterations", args.iterations)
    print_every = Limit(int, 1, 10**9).check("--print-every", args.print_every)
    max_bytes = Limit(int, 1, 10**9).check("--max-bytes", args.max_bytes)
    settings = _checked(args, TRAIN_FLAGS, LIMITS)
    if args.resume is not None:
        trainer, out = _resumed(args, settings, max_bytes)
    else:
        if args.file is None:
            raise ValueError("give a FILE to train on (python -m engine texts lists the "
                             "shipped ones), or --resume CHECKPOINT to continue a saved run.")
        out = args.out
        _check_outputs(out)
        path = _input_file(args.file)
        if _is_checkpoint(path):
            raise ValueError(f"{path} is a checkpoint, not a text. Continue its run with: "
                             f"python -m engine train --resume {path}")
        data = _read_text_file(path, max_bytes)
        try:
            trainer = Trainer(data, max_bytes=max_bytes, **settings)
        except CorpusError as err:
            raise CorpusError(f"{path}: {_for_the_shell(str(err))}") from None
        for note in trainer.warnings:
            print(f"note: {note}", file=sys.stderr)
        print(f"data has {len(trainer.text):,} characters, {len(trainer.vocab)} unique.")
    _check_outputs(out, create=True)
    _keep_previous(out, args.resume)
    if iterations == 0:
        print(f"--iterations 0: saving the {'un' if trainer.iteration == 0 else ''}trained "
              f"model.")
    previous = _on_sigterm(_terminate)     # SIGTERM stops and saves, as Ctrl-C does
    try:
        return _run(trainer, iterations, print_every, out)
    finally:
        _on_sigterm(previous)


def _resumed(args, settings, max_bytes):
    """(the Trainer saved in --resume, with the live settings given changed; the output
    folder). The text comes from the checkpoint, and the shape of the model too."""
    given = getattr(args, "given", set())
    if args.file is not None:
        raise ValueError(f"--resume continues the run on the text saved in its checkpoint; "
                         f"leave out FILE ({args.file}).")
    live = [d for d, setting in TRAIN_FLAGS.items() if setting in Trainer.LIVE_SETTINGS]
    fixed = [_flag(d) for d in TRAIN_FLAGS if d in given and d not in live]
    if fixed:
        raise ValueError(f"{', '.join(fixed)} cannot change when resuming: the saved weights "
                         f"were made with the checkpoint's. What may change: "
                         f"{', '.join(map(_flag, live))}.")
    path = _checkpoint_file(args.resume, "--resume")
    try:
        trainer = Trainer.load(path, max_text_bytes=max_bytes)
    except ValueError as err:
        raise ValueError(f"--resume {path}: {_for_the_shell(str(err))}") from None
    changes = {TRAIN_FLAGS[d]: settings[TRAIN_FLAGS[d]] for d in TRAIN_FLAGS if d in given}
    if changes:
        trainer.retune(**changes)
    if "out" in given:
        out = args.out
        _check_outputs(out)
    else:
        out = path.parent
        try:
            _check_outputs(out)
        except ValueError as err:
            said = str(err).replace(f"--out {out}", f"The checkpoint's folder {out}", 1)
            raise ValueError(f"{said} (with --resume the run is saved back beside its "
                             f"checkpoint unless --out names another folder)") from None
    print(f"resuming {path}: iteration {trainer.iteration:,}, smooth loss "
          f"{trainer.smooth_loss:.4f}, {len(trainer.text):,} characters of text.")
    return trainer, out


def _checkpoint_file(path, flag=""):
    """``path`` if it is a file; else a sentence saying what it is (after ``flag``)."""
    named = f"{flag} {path}" if flag else str(path)
    if not path.exists():
        raise ValueError(f"{named}: no such checkpoint. Train one with: python -m engine "
                         f"train FILE --out FOLDER (it writes FOLDER/checkpoint.npz).")
    if path.is_dir():
        hint = " (it holds a checkpoint.npz)" if (path / "checkpoint.npz").is_file() else ""
        raise ValueError(f"{named} is a folder{hint}; give the checkpoint file itself.")
    return path


PREVIOUS = {"checkpoint.npz": "checkpoint.previous.npz", "history.csv": "history.previous.csv"}


def _keep_previous(out, resumed=None):
    """A run already saved in ``out``, other than the one being continued, is kept as
    checkpoint.previous.npz (and history.previous.csv) before training: a second
    ``train`` into the same folder must not replace it unseen. A second name for the
    same file (a hard link, else a copy): until the new run is saved, whole, over it,
    checkpoint.npz is still the old run."""
    saved = out / "checkpoint.npz"
    if not saved.is_file() or (resumed is not None and saved.samefile(resumed)):
        return
    for name, kept in PREVIOUS.items():
        if (out / name).is_file():
            (out / kept).unlink(missing_ok=True)
            try:
                os.link(out / name, out / kept)
            except OSError:             # a file system without hard links
                shutil.copy2(out / name, out / kept)
    print(f"note: {out} held a saved run; it is kept as {out / PREVIOUS['checkpoint.npz']} "
          f"(continue it with: python -m engine train --resume "
          f"{out / PREVIOUS['checkpoint.npz']}).", file=sys.stderr)


# C0 control codes but tab and newline, DEL and the C1 codes: a terminal acts on them
# (ESC [ 2 J clears the screen, ESC ] 0 ; ... BEL retitles the window)
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), *range(0x0B, 0x20),
                                       *range(0x7F, 0xA0))}


def _for_terminal(text, stream):
    """``text`` as it may be written to ``stream``: control codes from a text or a model
    are shown as \\xNN on a terminal (a hostile text could drive it through a sample);
    into a file or a pipe the text goes as it is."""
    isatty = getattr(stream, "isatty", None)
    return text.translate(_CONTROL) if isatty is not None and isatty() else text


def _line(text):
    """Print ``text`` and its newline in one write. print() writes them separately, and a
    Ctrl-C landing between the two left the closing summary glued to the end of the
    progress line ("iter 1650, loss: 2.336465interrupted: ...")."""
    sys.stdout.write(text + "\n")


def _run(trainer, iterations, print_every, out):
    """Train, then save whatever there is; the exit status."""
    start, code, stopped = time.perf_counter(), 0, "done"
    first = trainer.iteration           # a resumed run starts past 0
    try:
        for i in range(iterations):
            trainer.step()
            if i % print_every == 0:
                sample = trainer.sample(200, rng_seed=i)
                _clear_bar()
                _line(f"----\n {_for_terminal(sample, sys.stdout)} \n----")
                _line(f"iter {trainer.iteration - 1}, loss: {trainer.smooth_loss:f}")
            _bar(i + 1, iterations, start)
    except DivergenceError as err:
        _clear_bar()
        print(f"error: {_one_line(err)}", file=sys.stderr)
        code, stopped = 1, "diverged"
    except KeyboardInterrupt as err:    # Ctrl-C, or SIGTERM (Terminated)
        _clear_bar()
        stopped = "terminated" if isinstance(err, Terminated) else "interrupted"
        code = TERMINATED if isinstance(err, Terminated) else INTERRUPTED
        print(f"{stopped}; saving what there is.", file=sys.stderr)
    except Exception as err:        # whatever stopped it, the steps taken are kept
        _clear_bar()
        print(f"error: training stopped at iteration {trainer.iteration}: "
              f"{type(err).__name__}: {_one_line(err)}; saving what there is.",
              file=sys.stderr)
        code, stopped = 1, "stopped by an error"
    _clear_bar()
    elapsed = time.perf_counter() - start
    try:
        saved, where = _save(trainer, out)
    except KeyboardInterrupt as err:    # a second Ctrl-C: stop, but never half a file
        print(f"{'terminated' if isinstance(err, Terminated) else 'interrupted'} while "
              f"saving: {out} holds each file whole, as it was before or as saved.",
              file=sys.stderr)
        return TERMINATED if isinstance(err, Terminated) else INTERRUPTED
    print(_summary(trainer, first, stopped, elapsed, where))
    return max(code, saved)


def _summary(trainer, first, stopped, elapsed, where):
    """The last line of a training run: how it ended, the losses, the time, the files.
    ``first``: the iteration this run started at."""
    done = trainer.iteration - first
    count = f"{done:,} iterations" + (f" ({trainer.iteration:,} in all)" if first else "")
    rate = f" ({done / elapsed:,.0f} it/s)" if elapsed > 0 else ""
    losses = f"smooth loss {trainer.smooth_loss:.4f}"
    if trainer.trace is not None:
        losses += f" (last window {trainer.trace.loss:.4f})"
    return f"{stopped}: {count} in {elapsed:.1f} s{rate}, {losses}; {where}"


def _terminate(signum, frame):
    raise Terminated()


def _on_sigterm(handler):
    """Install ``handler`` for SIGTERM (where there is one); returns the previous one."""
    if not hasattr(signal, "SIGTERM") or handler is None:
        return None
    return signal.signal(signal.SIGTERM, handler)


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


def _write_history(trainer, path):
    write_atomic(path, lambda f: trainer.history.to_csv(f, index=False))


def _save(trainer, out):
    """Write the checkpoint and the history, each whole or not at all. What cannot be
    written to ``out`` is written to a fresh temporary folder instead, and the message
    says where. Returns (exit code: 0 if all went to ``out``, else 1; where, in words)."""
    writers = {"checkpoint.npz": trainer.save,
               "history.csv": lambda path: _write_history(trainer, path)}
    failed = {}
    for name, write in writers.items():
        try:
            write(out / name)
        except OSError as err:
            failed[name] = err
    if not failed:
        return 0, f"wrote {out / 'checkpoint.npz'} and {out / 'history.csv'}"
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
    kept = [str(out / n) for n in writers if n not in failed] + [str(rescue / n) for n in saved]
    return 1, f"wrote {' and '.join(kept)}" if kept else "nothing could be saved"


def _sample(args):
    checked = _checked(args, SAMPLE_FLAGS, SAMPLE_LIMITS)
    trainer = Trainer.load(_checkpoint_file(args.checkpoint))
    text = trainer.sample(checked["n"], checked["temperature"], args.seed_text,
                          checked["rng_seed"])
    print(_for_terminal(text, sys.stdout))
    return 0


def _add_handout_parser(sub):
    handout = sub.add_parser("handout", help="write an offline HTML handout of a "
                                             "checkpoint's next window")
    handout.add_argument("checkpoint", type=Path, metavar="CHECKPOINT",
                         help="a checkpoint.npz written by train, Trainer.save or the "
                              "dashboard")
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
    if args.output.exists() and not _is_html_page(args.output):
        # -o the checkpoint itself replaced the run with its own handout
        raise ValueError(f"-o {args.output} exists and is not an HTML page: writing the "
                         "handout there would destroy it. Give another file name.")
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


def _is_html_page(path):
    """Whether ``path`` begins as an HTML page does (a handout written before, say)."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith((b"<!doctype html", b"<html"))


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


def _main_then_exit():
    """``main()``, then exit with its status, ignoring Ctrl-C and SIGTERM from there on:
    the work is saved and the status decided. A second Ctrl-C landing after ``main``
    returned escaped as an unhandled KeyboardInterrupt, and Python then killed the
    process with SIGINT (status -2 instead of 130)."""
    try:
        code = main()
    except KeyboardInterrupt as err:        # landed between main's last line and here
        code = TERMINATED if isinstance(err, Terminated) else INTERRUPTED
    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    _main_then_exit()
