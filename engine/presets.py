"""Lesson presets: a corpus plus Trainer settings that make one phenomenon appear."""
from dataclasses import dataclass, field
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# Installed, the texts are package data in engine/sample_texts (pyproject.toml maps the
# repository's sample_texts/ there); in a source checkout they sit next to engine/.
SAMPLE_TEXTS = next((p for p in (_HERE / "sample_texts", _HERE.parent / "sample_texts")
                     if any(p.glob("*.txt"))), _HERE / "sample_texts")


def sample_text_names():
    """The shipped corpora, by file name."""
    return sorted(p.name for p in SAMPLE_TEXTS.glob("*.txt"))


def read_sample(name):
    """The text of a shipped corpus, by file name (one of ``sample_text_names()``)."""
    names = sample_text_names()
    if name not in names:
        raise ValueError(f"There is no sample text {name!r}; the shipped texts are "
                         f"{', '.join(names) or 'missing (a broken installation)'}.")
    return (SAMPLE_TEXTS / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Preset:
    name: str
    description: str            # what the student will see and why, in plain words
    look_for: tuple             # (view, what to look at) pairs
    corpus: str                 # file in sample_texts/
    settings: dict = field(default_factory=dict)   # Trainer keyword arguments
    steps: int = 1              # iterations to run before showing, so charts have data

    @property
    def text(self):
        return read_sample(self.corpus)


EXPLODING = {"hidden_size": 100, "seq_length": 25, "whh_init": "orthogonal", "gain": 3.0,
              "optimizer": "sgd", "learning_rate": 0.05}

PRESETS = {p.name: p for p in [
    Preset(
        "min-char-rnn",
        "Karpathy's original settings: 100 hidden units, windows of 25 characters, "
        "Adagrad with learning rate 0.1, every gradient entry clipped to [-5, 5]. "
        "Press Run and watch the samples turn from noise into word-like text.",
        (("Training", "smooth loss falling from ln(V) x 25 and the samples improving"),
         ("Timestep explorer", "walk backwards: dhnext is zero at the last step, then grows "
                               "from each step's loss and fades as it travels back")),
        "prose.txt", {}),
    Preset(
        "vanishing",
        "Whh starts as 0.5 times an orthogonal matrix: sigma_max(Whh) = 0.5 < 1, so each "
        "step back in time multiplies the gradient by at most 0.5. Training soon pushes "
        "sigma_max above 1, yet the gradient keeps dying: the hidden units saturate "
        "(|h| near 1, so tanh' = 1 - h^2 is near 0) and a saturated unit passes almost "
        "nothing back. After 24 steps almost nothing of the last character's loss reaches "
        "the start of the window, so the model cannot learn which bracket to close. "
        "(sigma_max < 1 is enough for gradients to vanish; sigma_max > 1 is not enough for "
        "them to survive.)",
        (("Gradient flow", "the loss-to-state heatmap goes dark a few steps left of the "
                           "diagonal: ||dL_t/dh_s|| falls by many decades"),
         ("Timestep explorer", "in the norms chart dhnext stays about 100x below "
                               "Why^T dy at every t: almost nothing arrives from the "
                               "future; and the tanh' row is nearly all zeros, because "
                               "saturated units block the gradient"),
         ("Training", "the 'reach' curve stays far below 1e-6")),
        "brackets.txt", {"whh_init": "orthogonal", "gain": 0.5}, steps=50),
    Preset(
        "exploding",
        "Whh starts as 3 times an orthogonal matrix and plain SGD applies the gradient "
        "unclipped. Going back in time the gradient is multiplied by up to 3 per step, so "
        "the first window's gradient norm is in the thousands; one such step throws the "
        "weights far away and the loss jumps up instead of going down.",
        (("Training", "the gradient norm before clipping far above the threshold line, "
                      "and the loss jumping up after the first step"),
         ("Gradient flow", "the loss-to-state heatmap gets brighter away from the "
                           "diagonal: gradients grow as they travel back"),
         ("Timestep explorer", "dhnext growing, not fading, as t goes back")),
        "prose.txt", {**EXPLODING, "clip": "none"}),
    Preset(
        "exploding-clipped",
        "The same model as 'exploding', now with the global gradient norm clipped to 5. "
        "The raw gradient is just as large, but each update is capped, so training stays "
        "stable and the loss goes down.",
        (("Training", "norm before clipping (thousands) against norm after clipping "
                      "(the threshold line), and the loss going down"),
         ("BPTT code", "the clip line: the global norm and the scale factor applied")),
        "prose.txt", {**EXPLODING, "clip": "norm", "threshold": 5.0}),
    Preset(
        "long-gap",
        "Each line is a letter, 22 dots, the same letter again and a newline: 25 "
        "characters, exactly one training window. The letter at t = 0 decides the target "
        "at t = 22, so the model must remember it for 22 steps. A vanilla RNN fails: the "
        "gradient from the loss at t = 22 fades to nothing before it reaches h_0, the "
        "state that saw the first letter, so the loss on that letter stays near ln 4.",
        (("Gradient flow", "the loss-to-state heatmap, row t = 22, column s = 0: "
                           "||dL_22/dh_0|| is many decades below the diagonal"),
         ("Gradient flow", "the 'gradient reaching back k steps' curve at k = 22"),
         ("Timestep explorer", "step to t = 22: the loss there stays high while the dots "
                               "are predicted almost perfectly")),
        "long_gap.txt", {}, steps=20),
]}

# Gated-cell lessons (engine/cells), listed after the vanilla ones.
GATED_PRESETS = {p.name: p for p in [
    Preset(
        "long-gap-lstm",
        ("The long-gap lines again, now learned by an LSTM of the same size. Besides h it "
         "keeps a cell state c, and going back in time c has a path of its own: "
         "dc_{t-1} = f_t * dc_t (plus what h adds at each step), one elementwise product "
         "with the forget gate, with no matrix and no tanh' to shrink it. On the units "
         "where f stays near 1 the gradient from the loss at t = 22 rides c back to t = 0 "
         "and arrives decades stronger than in the vanilla RNN. Press Run: training "
         "raises f on the units that keep the letter, and after several thousand "
         "iterations the loss on the repeated letter falls from about ln 4 towards 0."),
        (("Gradient flow", ("the loss-to-state heatmap, row t = 22, column s = 0: "
                            "||dL_22/dh_0|| within a few decades of the diagonal, where "
                            "the vanilla RNN of 'long-gap' is many decades below it")),
         ("Timestep explorer", ("walk back from t = 22: dc, the gradient on the cell "
                                "state, next to the forget gate f that multiplies it at "
                                "each step; where f stays near 1, dc crosses the dots "
                                "almost unchanged. At t = 22, 'one loss at a time' follows "
                                "that loss back to h_0 and c_0 and the unit-by-unit chart "
                                "shows the cell-state units that carry it; at t = 0, its "
                                "right half shows the gradient on the first letter coming "
                                "from the losses at the end of the line, across the "
                                "gap")),
         ("Training", ("the loss falling as the model learns the letter at t = 22; the "
                       "'reach' curve orders of magnitude above the vanilla RNN's"))),
        "long_gap.txt", {"cell": "lstm"}, steps=20),
    Preset(
        "long-gap-gru",
        ("The long-gap lines learned by a GRU. Its new state is a blend, h_t = (1 - z_t) "
         "* n_t + z_t * h_{t-1}, so going back in time the gradient always has a direct "
         "route, dh_{t-1} gets z_t * dh_t, an elementwise product with the update gate "
         "and no matrix or tanh' in between. Where z stays near 1 the gradient from the "
         "loss at t = 22 reaches h_0 with much of its strength, and after several thousand "
         "iterations the model remembers the first letter across the 22 dots."),
        (("Gradient flow", ("the loss-to-state heatmap, row t = 22, column s = 0: "
                            "decades brighter than for the vanilla RNN of 'long-gap'")),
         ("Timestep explorer", ("walk back from t = 22 and watch dhnext: it keeps its "
                                "size across the dots instead of fading; 'one loss at a "
                                "time' follows the loss at t = 22 back to h_0, and the "
                                "unit-by-unit chart shows the units whose z carries it")),
         ("Training", "the loss falling as the model learns the letter at t = 22")),
        "long_gap.txt", {"cell": "gru"}, steps=20),
]}
PRESETS.update(GATED_PRESETS)

# A model small enough to redo by hand (issue 23): Karpathy's own "hello" example, V = 4
# (e, h, l, o), H = 3, T = 4. Weights drawn with std 1 instead of 0.01 and every gradient
# entry clipped to [-1, 1], so that at the first window tanh' = 1 - h^2 reaches 0.01 on
# some unit (the mask shows) and clipping changes 6 gradient entries (measured); with
# min-char-rnn's 0.01 and ±5, h ~ 0.01 (tanh' ~ 1 everywhere) and nothing is clipped.
PRESETS["tiny"] = Preset(
    "tiny",
    "Karpathy's 'hello' example: four characters (e, h, l, o), three hidden units, "
    "windows of four characters ('hell' -> 'ello'). Every vector and matrix is printed "
    "next to its chart with four significant digits, so each line of the backward pass "
    "can be redone by hand: dy_t = p_t - onehot(target), dh_t = Why^T dy_t + dhnext_t, "
    "dhraw_t = (1 - h_t^2) * dh_t, dhnext_(t-1) = Whh^T dhraw_t. The weights start "
    "large (std 1), so some units saturate and tanh' masks them; gradient entries are "
    "clipped to [-1, 1], so clipping changes a few of them.",
    (("Timestep explorer", "walk backward from t = 3: dhnext_3 is exactly zero (nothing "
                           "comes from the future), then check one entry of dh_t by "
                           "hand from the tables"),
     ("Timestep explorer", "the tanh' row: a unit with |h| near 1 has tanh' near 0 and "
                           "passes almost none of dh_t on to dhraw_t"),
     ("BPTT code", "the clip line: which gradient entries were outside [-1, 1]")),
    "hello.txt",
    {"hidden_size": 3, "seq_length": 4, "scale": 1.0, "clip": "value", "threshold": 1.0})
