"""The guided tour of the min-char-rnn lesson: numbered stops, each opening one view at
one timestep with one sentence of what to notice, and the claim that measures that
sentence on the window shown (engine.claims). Pure data."""
from dataclasses import dataclass

from .claims import Check, Claim

LESSON = "min-char-rnn"


@dataclass(frozen=True)
class Stop:
    view: str
    back: int           # timestep as steps back from the end of the window (0: t = T-1)
    say: str            # what to notice, one sentence (markdown)
    claim: Claim        # the sentence, measured
    anchor: str = ""    # the element of the view the stop scrolls to


def _claim(view, say, quantity, *checks):
    return Claim(view, say, quantity, checks)


_DH0 = ("At the last step nothing comes back from the future: **dhnext is zero**, so "
        "dh<sub>T−1</sub> is only Why<sup>T</sup>dy<sub>T−1</sub>, the gradient of this "
        "step's own loss (look at the dh rows on the right).")
_DH1 = ("One step back, **dhnext<sub>t</sub> = Whh<sup>T</sup>dhraw<sub>t+1</sub>** is no "
        "longer zero: it is what step t+1 handed back. The first two rows on the right "
        "add up to dh<sub>t</sub> = Why<sup>T</sup>dy<sub>t</sub> + dhnext<sub>t</sub>.")
_TANH = ("The grey row is **tanh' = 1 − h<sub>t</sub>²**, a gate between 0 and 1: where a "
         "unit is saturated (|h| near 1) it is near 0, and dhraw<sub>t</sub> = tanh' ⊙ "
         "dh<sub>t</sub> loses that unit's gradient.")
_TRUNC = ("At t = 0, Whh<sup>T</sup>dhraw<sub>0</sub> would be the gradient for the step "
          "before the window: truncation **throws it away** (dhprev). In the "
          "norms chart below, follow dhnext from right to left: it **does not fade**, "
          "because every step adds its own loss's gradient to it: ||dhnext<sub>0</sub>|| "
          "stays above a tenth of ||dhnext<sub>T−2</sub>||.")
_FLOW = ("One loss at a time: row t of the heatmap is where L<sub>t</sub>'s gradient "
         "goes. It is bright on the diagonal and **darkens to the left**: five steps back "
         "less than half of it is left (median over t). This fading is what dhnext hid: "
         "each loss's own gradient vanishes, while new losses keep dhnext up.")
_CODE = ("The code that computed all of this: min-char-rnn's backward loop line by line, "
         "beside the live values at the selected t. The two lines `dh = np.dot(Why.T, dy) "
         "+ dhnext` and `dhnext = np.dot(Whh.T, dhraw)` are the whole story: measured on "
         "this window, dh is exactly their sum.")

STOPS = (
    Stop("Timestep explorer", 0, _DH0,
         _claim("Timestep explorer", _DH0, "dhnext_last", Check("=", 0.0)), "bptt-dh-end"),
    Stop("Timestep explorer", 1, _DH1,
         _claim("Timestep explorer", _DH1, "dhnext_before_last", Check(">", 0.0)),
         "bptt-dh-end"),
    Stop("Timestep explorer", 1, _TANH,
         _claim("Timestep explorer", _TANH, "tanh_prime_outside", Check("=", 0.0)),
         "bptt-dh-end"),
    Stop("Timestep explorer", -1, _TRUNC,
         _claim("Timestep explorer", _TRUNC, "dhnext_kept", Check(">", 0.1)),
         "bptt-norms"),
    Stop("Gradient flow", 0, _FLOW,
         _claim("Gradient flow", _FLOW, "lag5", Check("<", 0.5)), "bptt-heatmap"),
    Stop("BPTT code", 0, _CODE,
         _claim("BPTT code", _CODE, "dh_split_error", Check("<", 1e-12)), "bptt-code"),
)


def timestep(stop, T):
    """The stop's timestep in a window of T steps (-1 means t = 0)."""
    return 0 if stop.back < 0 else max(T - 1 - stop.back, 0)
