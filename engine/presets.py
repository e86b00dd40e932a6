"""Lesson presets: a corpus plus Trainer settings that make one phenomenon appear."""
from dataclasses import dataclass, field
from pathlib import Path

from .claims import Check, Claim

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
    look_for: tuple             # Claims (engine/claims.py): each sentence, measured live
    corpus: str                 # file in sample_texts/
    settings: dict = field(default_factory=dict)   # Trainer keyword arguments
    steps: int = 1              # iterations to run before showing, so charts have data
    pace: int = 20              # iterations per refresh while running: a class can follow

    @property
    def text(self):
        return read_sample(self.corpus)


EXPLODING = {"hidden_size": 100, "seq_length": 25, "whh_init": "orthogonal", "gain": 3.0,
              "optimizer": "sgd", "learning_rate": 0.05}

TRAINING, EXPLORER, FLOW, CODE = ("Training", "Timestep explorer", "Gradient flow",
                                  "BPTT code")


def claim(view, text, quantity, *checks, until=None, since=None):
    """A look-for sentence and how it is measured: ``checks`` are (op, bound) or
    (run, op, bound) tuples (engine.claims.Check); ``until`` / ``since`` the last / first
    iteration it promises."""
    made = tuple(Check(*c) if len(c) == 2 else Check(c[1], c[2], c[0]) for c in checks)
    return Claim(view, text, quantity, made, until, since)


PRESETS = {p.name: p for p in [
    Preset(
        "min-char-rnn",
        "Karpathy's original settings: 100 hidden units, windows of 25 characters, "
        "Adagrad with learning rate 0.1, every gradient entry clipped to [-5, 5]. "
        "Press Run: the samples are kept at iterations 10, 100, 1,000 and 10,000, so you "
        "can compare the noise of the start with what the model writes later.",
        (claim(TRAINING, "the smooth loss starts at ln(V)·25 = 101, the loss of guessing "
                         "each of the V = 57 characters with probability 1/V",
               "first_loss_vs_uniform", ("≈", 1.0)),
         claim(EXPLORER, "walk backwards: dhnext is zero at the last step, then every "
                         "step adds its own loss's gradient, so dhnext does not fade "
                         "from right to left (||dhnext_0|| above a tenth of "
                         "||dhnext_T−2||)", "dhnext_kept", (">", 0.1)),
         claim(FLOW, "one loss at a time does fade: in the loss-to-state heatmap, five "
                     "steps left of the diagonal less than half of it is left",
               "lag5", ("<", 0.5))),
        "prose.txt", {}, pace=200),
    Preset(
        "vanishing",
        "Whh starts as 0.5 times an orthogonal matrix: sigma_max(Whh) = 0.5 < 1, so each "
        "step back in time multiplies the gradient by at most 0.5 (tanh' ≤ 1 can only "
        "shrink it more). After 24 steps almost nothing of the last character's loss "
        "reaches the start of the window, so the model cannot learn which bracket to "
        "close. Plain SGD with a small learning rate keeps Whh near its start for a few "
        "hundred iterations; the lesson is slowed down so that you can watch them. "
        "After that SGD grows Whh: the sentences below say until when they hold.",
        (claim(TRAINING, "σ_max(Whh) starts at 0.5 and stays below 1 for the first 500 "
                         "iterations; after that SGD has grown Whh: watch reach rise",
               "sigma_max", ("<", 1.0), until=500),
         claim(TRAINING, "the 'reach' curve stays below 1e-6 for the first 300 "
                         "iterations", "reach", ("<", 1e-6), until=300),
         claim(FLOW, "the loss-to-state heatmap goes dark left of the diagonal: five "
                     "steps back less than a tenth is left (0.5⁵ = 0.03), for the first "
                     "300 iterations", "lag5", ("<", 0.1), until=300),
         claim(EXPLORER, "in the norms chart dhnext stays below Why^T dy: what arrives "
                         "from the future is smaller than what each step's own loss "
                         "adds (median over t), for the first 2,000 iterations",
               "dhnext_vs_output", ("<", 1.0), until=2000)),
        "brackets.txt", {"whh_init": "orthogonal", "gain": 0.5, "optimizer": "sgd",
                         "learning_rate": 0.005}, steps=20, pace=5),
    Preset(
        "exploding",
        "Whh starts as 3 times an orthogonal matrix and plain SGD applies the gradient "
        "unclipped. On the first window, going back in time the gradient is multiplied by "
        "up to 3 per step, so its norm is in the thousands; the one update it makes "
        "throws the weights far away. Press Step: the hidden units saturate and the "
        "gradient vanishes instead, so an exploding gradient ends in a vanishing one. "
        "The lesson opens on that first window and runs one iteration per refresh.",
        (claim(TRAINING, "the first window's gradient norm before clipping is in the "
                         "thousands, and with clip 'none' the update applies all of it",
               "first_grad_norm", (">", 1000.0)),
         claim(FLOW, "on this first window the heatmap gets brighter away from the "
                     "diagonal: reach > 1, the gradient grows as it travels back (the "
                     "first window only: after one update it goes dark)",
               "reach", (">", 1.0), until=1),
         claim(EXPLORER, "on this first window dhnext grows, not fades, as t goes back: "
                         "||dhnext_0|| above 10 times ||dhnext_T−2|| (first window only)",
               "dhnext_kept", (">", 10.0), until=1),
         claim(TRAINING, "that one update threw Whh far: σ_max(Whh) jumped from 3 to "
                         "above 6, and it stays there", "sigma_max_now", (">", 6.0)),
         claim(TRAINING, "press Step: on the windows after that update most hidden units "
                         "saturate (over 80% with |h| > 0.99 in the saturation chart)",
               "saturation", (">", 0.8), since=2),
         claim(FLOW, "press Step: the gradient then vanishes instead: reach below 1e-6, "
                     "the heatmap dark left of the diagonal", "reach", ("<", 1e-6),
               since=2)),
        "prose.txt", {**EXPLODING, "clip": "none"}, pace=1),
    Preset(
        "exploding-clipped",
        "The same model as 'exploding', now with the global gradient norm clipped to 5. "
        "The raw gradient is just as large, but each update is capped, so training stays "
        "stable: the loss stays near where it started instead of climbing to the "
        "thousands. It falls only slowly (SGD, every step scaled to norm 5): about 1% "
        "below its start after a couple of hundred iterations, about 25% below after "
        "3,000.",
        (claim(TRAINING, "the norm before clipping stays above the threshold line at 5 "
                         "(thousands at first)", "grad_norm", (">", 5.0)),
         claim(TRAINING, "the norm after clipping sits on the line: every update is "
                         "scaled to exactly 5", "clipped_norm", ("≈", 5.0)),
         claim(TRAINING, "the smooth loss never climbs: it stays below 1.01 × ln(V)·T, "
                         "where it starts (the unclipped 'exploding' model's climbs to the "
                         "thousands)", "smooth_vs_uniform", ("<", 1.01)),
         claim(TRAINING, "and it learns, slowly: from iteration 200 the loss of the last "
                         "10 windows is at least 1% below ln(V)·T",
               "recent_loss_vs_uniform", ("<", 0.99), since=200),
         claim(TRAINING, "from iteration 3,000 the smooth loss is at least 20% below "
                         "ln(V)·T", "smooth_vs_uniform", ("<", 0.8), since=3000),
         claim(FLOW, "the gradient still grows as it travels back (reach > 1) for the "
                     "first 500 iterations: clipping caps the update, not the gradient",
               "reach", (">", 1.0), until=500),
         claim(CODE, "the clip line scales every gradient by threshold / norm, far "
                     "below 1", "clip_scale", ("<", 0.5))),
        "prose.txt", {**EXPLODING, "clip": "norm", "threshold": 5.0}, pace=5),
    Preset(
        "long-gap",
        "Each line is a letter, 22 dots, the same letter again and a newline: 25 "
        "characters, exactly one training window. The letter at t = 0 decides the target "
        "at t = 22, so the model must remember it for 22 steps. A vanilla RNN fails: the "
        "gradient from the loss at t = 22 fades to nothing before it reaches h_0, the "
        "state that saw the first letter.",
        (claim(FLOW, "the loss-to-state heatmap, row t = 22, column s = 0: "
                     "||dL_22/dh_0|| is more than 20 decades below the diagonal",
               "gap22", ("<", 1e-20)),
         claim(FLOW, "the 'gradient reaching back k steps' curve at k = 22: below 1e-20",
               "lag22", ("<", 1e-20)),
         claim(EXPLORER, "step to t = 22: the loss on the repeated letter stays above 1 "
                         "nat (guessing among 4 letters: ln 4 = 1.39)",
               "loss22", (">", 1.0)),
         claim(EXPLORER, "while the dots are predicted almost perfectly: median loss on "
                         "a dot below 0.3 nats", "dots_loss", ("<", 0.3))),
        "long_gap.txt", {}, steps=20, pace=20),
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
         "iterations the loss on the repeated letter falls from about ln 4 towards 0 "
         "(the last sentence below measures it from iteration 10,000)."),
        (claim(FLOW, "the loss-to-state heatmap, row t = 22, column s = 0: "
                     "||dL_22/dh_0|| above 1e-8 of the diagonal, where the vanilla RNN "
                     "of 'long-gap' is more than 20 decades below it", "gap22", (">", 1e-8)),
         claim(EXPLORER, "walk back from t = 22 with 'one loss at a time': the loss at "
                         "t = 22 reaches h_0 above 1e-8 of its size, carried by the cell "
                         "state c, dc_{t-1} = f_t * dc_t", "gap22", (">", 1e-8)),
         claim(TRAINING, "the smooth loss has fallen below its start ln(V)·25 as "
                         "the model learns", "smooth_vs_uniform", ("<", 1.0)),
         claim(EXPLORER, "from iteration 10,000 the letter crosses the gap: at t = 22 the "
                         "loss on the repeated letter is below 1 nat (guessing among 4 "
                         "letters: ln 4 = 1.39)", "loss22", ("<", 1.0), since=10_000)),
        "long_gap.txt", {"cell": "lstm"}, steps=20, pace=10),
    Preset(
        "long-gap-gru",
        ("The long-gap lines learned by a GRU. Its new state is a blend, h_t = (1 - z_t) "
         "* n_t + z_t * h_{t-1}, so going back in time the gradient always has a direct "
         "route, dh_{t-1} gets z_t * dh_t, an elementwise product with the update gate "
         "and no matrix or tanh' in between. Where z stays near 1 the gradient from the "
         "loss at t = 22 reaches h_0 with much of its strength, and after several thousand "
         "iterations the model remembers the first letter across the 22 dots (the last "
         "sentence below measures it from iteration 10,000)."),
        (claim(FLOW, "the loss-to-state heatmap, row t = 22, column s = 0: "
                     "||dL_22/dh_0|| above 1e-4 of the diagonal: decades brighter than "
                     "for the vanilla RNN of 'long-gap'", "gap22", (">", 1e-4)),
         claim(EXPLORER, "walk back from t = 22 with 'one loss at a time': the loss at "
                         "t = 22 reaches h_0 above 1e-4 of its size, along the direct "
                         "route dh_{t-1} = z_t * dh_t", "gap22", (">", 1e-4)),
         claim(TRAINING, "the smooth loss has fallen below its start ln(V)·25 as "
                         "the model learns", "smooth_vs_uniform", ("<", 1.0)),
         claim(EXPLORER, "from iteration 10,000 the letter crosses the gap: at t = 22 the "
                         "loss on the repeated letter is below 1 nat (guessing among 4 "
                         "letters: ln 4 = 1.39)", "loss22", ("<", 1.0), since=10_000)),
        "long_gap.txt", {"cell": "gru"}, steps=20, pace=10),
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
    "large (std 1) and gradient entries are clipped to [-1, 1].",
    (claim(EXPLORER, "walk backward from t = 3: dhnext_3 is exactly zero (nothing comes "
                     "from the future), then check one entry of dh_t by hand from the "
                     "tables", "dhnext_last", ("=", 0.0)),
     claim(EXPLORER, "the tanh' row: in this first window a unit with |h| near 1 has "
                     "tanh' below 0.05 and passes almost none of dh_t on to dhraw_t",
           "min_tanh_prime", ("<", 0.05), until=1),
     claim(CODE, "the clip line: in this first window some gradient entries were outside "
                 "[-1, 1] and were clipped (training soon brings them inside)",
           "clip_fraction", (">", 0.0), until=1)),
    "hello.txt",
    {"hidden_size": 3, "seq_length": 4, "scale": 1.0, "clip": "value", "threshold": 1.0},
    pace=1)
