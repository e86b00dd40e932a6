"""A 2-layer character LSTM in plain PyTorch, watched by BPTT Scope while it trains.

    python examples/torch_char_lstm.py                 # about a minute on a laptop CPU
    bpttscope --logdir runs/bptt                       # then open the scope on it

The training loop is an ordinary one (Adam, gradient-norm clipping at 0.25); the two
lines marked "scope" are all that BPTT Scope adds. Every 25th optimizer step is
recorded: the two layers' h, dh, dhnext, c, dc and gates for 4 sequences of the batch,
and every parameter's gradient norm before and after clipping.
"""
import argparse
import time

import torch

import bpttscope.torch
from engine import read_sample


class CharLSTM(torch.nn.Module):
    def __init__(self, vocab, hidden=128, layers=2, dropout=0.1):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, 32)
        self.lstm = torch.nn.LSTM(32, hidden, num_layers=layers, batch_first=True,
                                  dropout=dropout)
        self.head = torch.nn.Linear(hidden, vocab)

    def forward(self, x):
        out, _ = self.lstm(self.embed(x))
        return self.head(out)


def batches(ids, batch, T, generator):
    while True:
        starts = torch.randint(0, len(ids) - T - 1, (batch,), generator=generator)
        window = torch.stack([ids[s: s + T + 1] for s in starts.tolist()])
        yield window[:, :-1], window[:, 1:]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--logdir", default="runs/bptt/char_lstm")
    ap.add_argument("--text", default="prose.txt", help="a shipped sample text")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--every", type=int, default=25)
    ap.add_argument("--seq-length", type=int, default=64)
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    text = read_sample(args.text)
    chars = sorted(set(text))
    ids = torch.tensor([chars.index(c) for c in text])
    model = CharLSTM(len(chars))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    scope = bpttscope.torch.watch(model, opt, logdir=args.logdir, every=args.every)  # scope
    data = batches(ids, 32, args.seq_length, torch.Generator().manual_seed(0))
    start = time.perf_counter()
    for step in range(args.steps):
        x, y = next(data)
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, len(chars)),
                                                 y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        scope.note_loss(loss)                                                        # scope
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
        if step % 100 == 0:
            print(f"step {step:4d}  loss {loss.item():.3f}  "
                  f"{time.perf_counter() - start:5.1f} s", flush=True)
    scope.close()
    print(f"done in {time.perf_counter() - start:.0f} s; open it with: "
          f"bpttscope --logdir {args.logdir}")


if __name__ == "__main__":
    main()
