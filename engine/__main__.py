"""Command line: ``python -m engine train FILE`` and ``python -m engine sample CKPT``."""
import argparse
import sys
import time
from pathlib import Path

from .errors import CorpusError, DivergenceError
from .trainer import Trainer


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m engine",
                                     description="Train or sample a min-char-rnn model.")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train on a text file")
    train.add_argument("file", type=Path)
    train.add_argument("--iterations", type=int, default=2000)
    train.add_argument("--hidden", type=int, default=100)
    train.add_argument("--seq-length", type=int, default=25)
    train.add_argument("--lr", type=float, default=0.1)
    train.add_argument("--clip", choices=("value", "norm", "none"), default="value")
    train.add_argument("--threshold", type=float, default=5.0)
    train.add_argument("--optimizer", choices=("adagrad", "sgd"), default="adagrad")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--cell", choices=("rnn", "lstm", "gru"), default="rnn")
    train.add_argument("--print-every", type=int, default=100)
    train.add_argument("--out", type=Path, default=Path("runs/latest"))
    samp = sub.add_parser("sample", help="sample text from a checkpoint")
    samp.add_argument("checkpoint", type=Path)
    samp.add_argument("-n", type=int, default=300)
    samp.add_argument("--temperature", type=float, default=1.0)
    samp.add_argument("--seed-text", default=None)
    samp.add_argument("--rng-seed", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        return _train(args) if args.command == "train" else _sample(args)
    except (CorpusError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _train(args):
    trainer = Trainer(args.file.read_bytes(), hidden_size=args.hidden,
                      seq_length=args.seq_length, learning_rate=args.lr, clip=args.clip,
                      threshold=args.threshold, optimizer=args.optimizer, seed=args.seed,
                      cell=args.cell)
    for note in trainer.warnings:
        print(f"note: {note}", file=sys.stderr)
    print(f"data has {len(trainer.text):,} characters, {len(trainer.vocab)} unique.")
    args.out.mkdir(parents=True, exist_ok=True)
    start, code = time.perf_counter(), 0
    try:
        for i in range(args.iterations):
            trainer.step()
            if i % args.print_every == 0:
                sample = trainer.sample(200, rng_seed=i)
                _clear_bar()
                print(f"----\n {sample} \n----")
                print(f"iter {trainer.iteration - 1}, loss: {trainer.smooth_loss:f}")
            _bar(i + 1, args.iterations, start)
    except DivergenceError as err:
        _clear_bar()
        print(f"error: {err}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        _clear_bar()
        print("interrupted; saving what there is.", file=sys.stderr)
    _clear_bar()
    trainer.history.to_csv(args.out / "history.csv", index=False)
    trainer.save(args.out / "checkpoint.npz")
    print(f"wrote {args.out / 'history.csv'} and {args.out / 'checkpoint.npz'}")
    return code


def _sample(args):
    trainer = Trainer.load(args.checkpoint)
    print(trainer.sample(args.n, args.temperature, args.seed_text, args.rng_seed))
    return 0


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
