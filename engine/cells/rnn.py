"""The vanilla tanh cell's one-step backward, for the diagnostics.

Its forward and backward over a whole window stay in engine/bptt.py, min-char-rnn's
loop exactly as it was (the training hot path):
    h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
    dhraw_t = (1 - h_t^2) dh_t        dhnext_{t-1} = Whh^T dhraw_t
"""
GATES = ()


def back_step(trace, params, t, dstate):
    """One step back through step t for a batch of B gradients; see cells.back_step."""
    (dh,) = dstate
    dhraw = dh * trace.tanh_grad[t]
    return (dhraw @ params["Whh"],), dhraw, dhraw
