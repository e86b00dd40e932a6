"""Comparisons: several runs of one lesson, one setting changed, trained side by side."""
from dataclasses import dataclass

from .errors import DivergenceError
from .presets import EXPLODING, read_sample
from .trainer import Trainer


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str            # what the class will see and why, in plain words
    look_for: tuple             # (view, what to look at) pairs
    corpus: str                 # file in sample_texts/
    runs: dict                  # run name -> Trainer keyword arguments, in display order
    steps: int = 1              # warm-up iterations, so every chart has data

    @property
    def text(self):
        return read_sample(self.corpus)

    def trainers(self):
        """Run name -> a Trainer that has taken ``steps`` iterations. Runs with the same
        architecture and seed start from identical weights. A run that diverges during
        the warm-up stops there (the others go on), as it would in the dashboard."""
        text = self.text
        out = {}
        for name, settings in self.runs.items():
            trainer = Trainer(text, **settings)
            try:
                trainer.run(self.steps)
            except DivergenceError:
                pass
            out[name] = trainer
        return out


COMPARISONS = {c.name: c for c in [
    Comparison(
        "clipping",
        "The 'exploding' model three times from the same weights: Whh is 3 times an "
        "orthogonal matrix and plain SGD applies the gradient. Without clipping the "
        "gradient norm reaches the thousands and one update throws the weights far "
        "away; clipping each entry to ±5 or the global norm to 5 caps every update, "
        "so those runs keep learning.",
        (("Training", "the gradient norm before clipping: the same thousands in every "
                      "run at first, but only the unclipped run's loss jumps up; the "
                      "norm after clipping of 'clip norm 5' sits on the line at 5"),
         ("Gradient flow", "the three loss-to-state heatmaps on one colour scale: "
                           "identical at the first window (same weights), then the "
                           "unclipped run's panel goes dark: its huge update saturated "
                           "the hidden units, so an exploding gradient ends in a "
                           "vanishing one, while the clipped runs keep carrying gradient "
                           "back")),
        "prose.txt",
        {"clip none": {**EXPLODING, "clip": "none"},
         "clip value 5": {**EXPLODING, "clip": "value", "threshold": 5.0},
         "clip norm 5": {**EXPLODING, "clip": "norm", "threshold": 5.0}}),
    Comparison(
        "init",
        "Three ways to start Whh on the long-gap text, where the model must carry a "
        "letter across 22 steps. min-char-rnn's small Gaussian Whh (σ_max about 0.2) "
        "shrinks the gradient at every step back: at the first window almost nothing "
        "of the last loss reaches the first character (reach about 1e-25). An orthogonal "
        "or identity Whh keeps the gradient's length, so reach starts near 1. "
        "Initialisation only sets the start: after a few of Adagrad's large first steps "
        "the hidden units saturate and every run's reach collapses, which is the "
        "vanishing gradient a vanilla RNN keeps fighting.",
        (("Training", "the 'reach' curves at iterations 0 and 1: more than twenty decades "
                      "apart; then all of them falling as the units saturate"),
         ("Gradient flow", "step back to the start (Reset, then Step once): the Gaussian "
                           "run's heatmap goes dark a few steps left of the diagonal, "
                           "the others stay bright")),
        "long_gap.txt",
        {"Whh gaussian": {"whh_init": "gaussian"},
         "Whh orthogonal": {"whh_init": "orthogonal", "gain": 1.0},
         "Whh identity": {"whh_init": "identity", "gain": 1.0}}),
    Comparison(
        "seq-length",
        "The same model with windows of 10, 25 and 50 characters. The loss is a sum "
        "over the window, not a mean, so a longer window adds more terms to every "
        "gradient: its norm grows with T (and so does the loss itself).",
        (("Training", "the gradient norm before clipping: T = 50 above T = 25 above "
                      "T = 10; and the loss curves, which start at ln(V)·T"),
         ("Timestep explorer", "the per-timestep norm curves of the three runs: each "
                               "window adds its own losses")),
        "prose.txt",
        {"T 10": {"seq_length": 10}, "T 25": {"seq_length": 25},
         "T 50": {"seq_length": 50}}),
    Comparison(
        "optimizer",
        "min-char-rnn's Adagrad against plain SGD, from the same weights. Adagrad divides "
        "each entry's step by the root of its summed squared gradients, so its first "
        "step has size lr whatever the gradient, and steps shrink where gradients were "
        "large. SGD steps lr · g: with min-char-rnn's lr 0.1 and gradients clipped to ±5 "
        "an entry can move by 0.5 in one step, the weights blow up and the loss climbs "
        "to the thousands; SGD needs a learning rate ten times smaller to train.",
        (("Training", "the smooth loss: Adagrad lr 0.1 and SGD lr 0.01 fall, SGD lr 0.1 "
                      "climbs; the clip fraction of SGD lr 0.1 near 1"),
         ("Training", "Adagrad's effective step size chart (focus the Adagrad run)")),
        "prose.txt",
        {"adagrad lr 0.1": {"optimizer": "adagrad", "learning_rate": 0.1},
         "sgd lr 0.1": {"optimizer": "sgd", "learning_rate": 0.1},
         "sgd lr 0.01": {"optimizer": "sgd", "learning_rate": 0.01}}),
    Comparison(
        "cells",
        "The long-gap text with three cells of the same size: min-char-rnn's tanh RNN, "
        "an LSTM and a GRU. Each line is a letter, 22 dots and the same letter again: "
        "the loss at t = 22 needs what the cell saw at t = 0. The RNN's gradient from "
        "that loss dies long before it reaches h_0. The LSTM's cell state c_t is "
        "updated by c_t = f_t c_(t-1) + i_t g_t: where the forget gate f stays near 1 "
        "the gradient rides it back across the gap almost undiminished; the GRU's "
        "update gate z does the same for h. Press Run: within a few thousand iterations "
        "the gated cells learn to remember the letter, the RNN never does.",
        (("Gradient flow", "the three loss-to-state heatmaps on one colour scale: row "
                           "t = 22, column s = 0 stays dark for the RNN and lights up "
                           "for the LSTM and the GRU"),
         ("Training", "the loss curves: the gated cells' fall below the RNN's once they "
                      "learn the gap; and the reach curves, decades apart"),
         ("Timestep explorer", "step to t = 22 of each run (focus it): the loss there; "
                               "and the last chart, the loss at t = 22 followed back in "
                               "every run: the rnn's falls by tens of decades on its way "
                               "to s = 0; after a few hundred iterations (press Run) the "
                               "lstm's and the gru's stay within about a decade")),
        "long_gap.txt",
        {"rnn": {"cell": "rnn"}, "lstm": {"cell": "lstm"}, "gru": {"cell": "gru"}},
        steps=20),
]}
