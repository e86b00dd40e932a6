"""The guided tour of the min-char-rnn lesson: numbered steps, each opening one view at
one timestep with one sentence of what to notice. Pure data and lookups."""
from dataclasses import dataclass

LESSON = "min-char-rnn"


@dataclass(frozen=True)
class Stop:
    view: str
    back: int           # timestep as steps back from the end of the window (0: t = T-1)
    say: str            # what to notice, one sentence (markdown)


STOPS = (
    Stop("Timestep explorer", 0,
         "At the last step nothing comes back from the future: **dhnext is zero**, so "
         "dh<sub>T−1</sub> is only Why<sup>T</sup>dy<sub>T−1</sub>, the gradient of this "
         "step's own loss (look at the dh rows on the right)."),
    Stop("Timestep explorer", 1,
         "One step back, **dhnext<sub>t</sub> = Whh<sup>T</sup>dhraw<sub>t+1</sub>** is no "
         "longer zero: it is what step t+1 handed back. The first two rows on the right "
         "add up to dh<sub>t</sub> = Why<sup>T</sup>dy<sub>t</sub> + dhnext<sub>t</sub>."),
    Stop("Timestep explorer", 1,
         "The grey row is **tanh' = 1 − h<sub>t</sub>²**, a gate between 0 and 1: where a "
         "unit is saturated (|h| near 1) it is near 0, and dhraw<sub>t</sub> = tanh' ⊙ "
         "dh<sub>t</sub> loses that unit's gradient."),
    Stop("Timestep explorer", -1,
         "At t = 0, Whh<sup>T</sup>dhraw<sub>0</sub> would be the gradient for the step "
         "before the window: truncation **throws it away** (dhprev). In the norms chart "
         "below, follow dhnext from right to left: **it fades** as it travels back."),
    Stop("Gradient flow", 0,
         "Every loss at once: row t of the heatmap is where L<sub>t</sub>'s gradient goes. "
         "It is bright on the diagonal and **darkens to the left**: the gradient vanishes "
         "a few steps back."),
    Stop("BPTT code", 0,
         "The code that computed all of this: min-char-rnn's backward loop line by line, "
         "beside the live values at the selected t. Leave the tour and press Run to watch "
         "it change as the model learns."),
)


def timestep(stop, T):
    """The stop's timestep in a window of T steps (-1 means t = 0)."""
    return 0 if stop.back < 0 else max(T - 1 - stop.back, 0)
