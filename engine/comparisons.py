"""Comparisons: several runs of one lesson, one setting changed, trained side by side."""
from dataclasses import dataclass

from .errors import DivergenceError
from .presets import EXPLODING, EXPLORER, FLOW, TRAINING, claim, read_sample
from .trainer import Trainer


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str            # what the class will see and why, in plain words
    look_for: tuple             # Claims (engine/claims.py): each sentence, measured live
    corpus: str                 # file in sample_texts/
    runs: dict                  # run name -> Trainer keyword arguments, in display order
    steps: int = 1              # warm-up iterations, so every chart has data
    pace: int = 10              # iterations per refresh while running: a class can follow

    @property
    def text(self):
        return read_sample(self.corpus)

    def trainers(self, steps=None):
        """Run name -> a Trainer that has taken ``steps`` iterations (default: the
        comparison's warm-up). Runs with the same architecture and seed start from
        identical weights. A run that diverges during the warm-up stops there (the
        others go on), as it would in the dashboard."""
        steps = self.steps if steps is None else steps
        text = self.text
        out = {}
        for name, settings in self.runs.items():
            trainer = Trainer(text, **settings)
            try:
                trainer.run(steps)
            except DivergenceError:
                pass
            out[name] = trainer
        return out


COMPARISONS = {c.name: c for c in [
    Comparison(
        "clipping",
        "The 'exploding' model three times from the same weights: Whh is 3 times an "
        "orthogonal matrix and plain SGD applies the gradient. The first window's "
        "gradient norm is in the thousands in every run. Without clipping one update "
        "throws the weights far away. Clipping each entry to ±5 is not enough here: "
        "thousands of entries, each moved by up to lr·5, still make a huge step. Only "
        "the global norm clip caps the whole update, so that run stays near its starting "
        "loss and, slowly, learns. The comparison opens after 20 iterations, when the "
        "difference is already there.",
        (claim(TRAINING, "the same first window in every run: the norm before clipping "
                         "was in the thousands in each", "first_grad_norm", (">", 1000.0)),
         claim(TRAINING, "what the first update applied (the dotted norm after clipping "
                         "on the first window): clip none all of it, clip value 5 less but "
                         "still above 100, clip norm 5 exactly 5", "first_clipped_norm",
               ("clip value 5", "<run", "clip none"), ("clip value 5", ">", 100.0),
               ("clip norm 5", "≈", 5.0)),
         claim(TRAINING, "so the clip none and clip value 5 runs' loss jumps up (last 10 "
                         "windows above 1.2 × ln(V)·T) while clip norm 5's stays near its "
                         "start (below 1.05 ×)", "recent_loss_vs_uniform",
               ("clip none", ">", 1.2), ("clip value 5", ">", 1.2),
               ("clip norm 5", "<", 1.05)),
         claim(TRAINING, "from iteration 200 clip norm 5 is learning: its last 10 windows' "
                         "loss at least 1% below ln(V)·T", "recent_loss_vs_uniform",
               ("clip norm 5", "<", 0.99), since=200),
         claim(FLOW, "the clip none and clip value 5 runs' hidden units saturate (over "
                     "85% with |h| > 0.99); clip norm 5's stay below 75%", "saturation",
               ("clip none", ">", 0.85), ("clip value 5", ">", 0.85),
               ("clip norm 5", "<", 0.75)),
         claim(FLOW, "so clip none's heatmap goes dark left of the diagonal, an exploding "
                     "gradient ended in a vanishing one (five steps back below 1e-2), "
                     "while clip norm 5's gradient keeps travelling back (above 0.1) for "
                     "the first 1,000 iterations", "lag5", ("clip none", "<", 1e-2),
               ("clip norm 5", ">", 0.1), until=1000)),
        "prose.txt",
        {"clip none": {**EXPLODING, "clip": "none"},
         "clip value 5": {**EXPLODING, "clip": "value", "threshold": 5.0},
         "clip norm 5": {**EXPLODING, "clip": "norm", "threshold": 5.0}},
        steps=20, pace=5),
    Comparison(
        "init",
        "Three ways to start Whh on the long-gap text, where the model must carry a "
        "letter across 22 steps. min-char-rnn's small Gaussian Whh (σ_max about 0.2) "
        "shrinks the gradient at every step back: at the first window almost nothing "
        "of the last loss reaches the first character. An orthogonal or identity Whh "
        "keeps the gradient's length, so reach starts near 1. Initialisation only sets "
        "the start: Adagrad's first step moves every entry of Whh by lr = 0.1, which "
        "throws σ_max(Whh) to about 10 in every run. The comparison opens on the first "
        "window and runs one iteration per refresh: press Step to see the start end.",
        (claim(TRAINING, "the 'reach' curves on the first window: Gaussian below 1e-20, "
                         "orthogonal and identity above 0.5: more than twenty decades "
                         "apart", "first_reach", ("Whh gaussian", "<", 1e-20),
               ("Whh orthogonal", ">", 0.5), ("Whh identity", ">", 0.5)),
         claim(FLOW, "on this first window the Gaussian run's heatmap goes dark a few "
                     "steps left of the diagonal (five steps back below 1e-3), the "
                     "others stay bright (above 0.5); the first window only",
               "lag5", ("Whh gaussian", "<", 1e-3), ("Whh orthogonal", ">", 0.5),
               ("Whh identity", ">", 0.5), until=1),
         claim(TRAINING, "Adagrad's first step throws σ_max(Whh) from at most 1 to above "
                         "5 in every run, and it stays there: the start is forgotten",
               "sigma_max_now", (">", 5.0))),
        "long_gap.txt",
        {"Whh gaussian": {"whh_init": "gaussian"},
         "Whh orthogonal": {"whh_init": "orthogonal", "gain": 1.0},
         "Whh identity": {"whh_init": "identity", "gain": 1.0}}, pace=1),
    Comparison(
        "seq-length",
        "The same model with windows of 10, 25 and 50 characters. The loss is a sum "
        "over the window, not a mean, so a longer window adds more terms to every "
        "gradient: its norm grows with T (and so does the loss itself).",
        (claim(TRAINING, "the loss curves start at ln(V)·T: 40, 101 and 202",
               "first_loss_vs_uniform", ("≈", 1.0)),
         claim(TRAINING, "the gradient norm before clipping (mean of the last 10 "
                         "windows): T 50 above T 25 above T 10", "recent_grad_norm",
               ("T 10", "<run", "T 25"), ("T 25", "<run", "T 50")),
         claim(EXPLORER, "the per-timestep norm curves of the three runs: each window "
                         "adds its own losses, so the longest window's gradient is the "
                         "largest", "grad_norm", ("T 10", "<run", "T 50"))),
        "prose.txt",
        {"T 10": {"seq_length": 10}, "T 25": {"seq_length": 25},
         "T 50": {"seq_length": 50}}, pace=20),
    Comparison(
        "optimizer",
        "min-char-rnn's Adagrad against plain SGD, from the same weights. Adagrad divides "
        "each entry's step by the root of its summed squared gradients, so its first "
        "step has size lr whatever the gradient, and steps shrink where gradients were "
        "large. SGD steps lr · g: with min-char-rnn's lr 0.1 and gradients of norm in "
        "the hundreds the steps are huge, the weights blow up and the loss climbs to the "
        "thousands; SGD needs a learning rate ten times smaller to train. The comparison "
        "opens after 30 iterations, when SGD lr 0.1 has already blown up.",
        (claim(TRAINING, "SGD lr 0.1 has blown up: its loss (last 10 windows) above 5 × "
                         "ln(V)·T", "recent_loss_vs_uniform", ("sgd lr 0.1", ">", 5.0)),
         claim(TRAINING, "Adagrad lr 0.1 and SGD lr 0.01 have not: their loss stays below "
                         "1.2 × ln(V)·T", "recent_loss_vs_uniform",
               ("adagrad lr 0.1", "<", 1.2), ("sgd lr 0.01", "<", 1.2)),
         claim(TRAINING, "why: SGD lr 0.1's huge steps threw σ_max(Whh) above 20",
               "sigma_max_now", ("sgd lr 0.1", ">", 20.0)),
         claim(TRAINING, "clipping at ±5 is not what decides it: every run's clip "
                         "fraction (last 10 windows) stays below 5%",
               "recent_clip_fraction", ("<", 0.05))),
        "prose.txt",
        {"adagrad lr 0.1": {"optimizer": "adagrad", "learning_rate": 0.1},
         "sgd lr 0.1": {"optimizer": "sgd", "learning_rate": 0.1},
         "sgd lr 0.01": {"optimizer": "sgd", "learning_rate": 0.01}}, steps=30, pace=10),
    Comparison(
        "cells",
        "The long-gap text with three cells of the same size: min-char-rnn's tanh RNN, "
        "an LSTM and a GRU. Each line is a letter, 22 dots and the same letter again: "
        "the loss at t = 22 needs what the cell saw at t = 0. The RNN's gradient from "
        "that loss dies long before it reaches h_0. The LSTM's cell state c_t is "
        "updated by c_t = f_t c_(t-1) + i_t g_t: where the forget gate f stays near 1 "
        "the gradient rides it back across the gap; the GRU's update gate z does the "
        "same for h. Press Run and compare the loss curves over a few thousand "
        "iterations.",
        (claim(FLOW, "the three loss-to-state heatmaps on one colour scale: row t = 22, "
                     "column s = 0 is more than 20 decades dark for the RNN and above "
                     "1e-8 for the LSTM and 1e-4 for the GRU", "gap22",
               ("rnn", "<", 1e-20), ("lstm", ">", 1e-8), ("gru", ">", 1e-4)),
         claim(TRAINING, "the reach curves, decades apart: the RNN's below 1e-20, the "
                         "LSTM's and GRU's above 1e-10", "reach",
               ("rnn", "<", 1e-20), ("lstm", ">", 1e-10), ("gru", ">", 1e-10)),
         claim(EXPLORER, "step to t = 22 of each run (focus it) and follow that loss "
                         "back in the last chart: the RNN's falls by more than 20 "
                         "decades on its way to s = 0, the gated cells' by far less",
               "gap22", ("rnn", "<", 1e-20), ("lstm", ">run", "rnn"),
               ("gru", ">run", "rnn"))),
        "long_gap.txt",
        {"rnn": {"cell": "rnn"}, "lstm": {"cell": "lstm"}, "gru": {"cell": "gru"}},
        steps=20, pace=10),
]}
