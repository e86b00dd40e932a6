"""What the views say that depends on the cell: the equation of h_t, and the notes on
Whh's spectrum, which for a gated cell measures one gate block and bounds less."""
from dashboard.charts.style import num

# h_t's equation, for the forward column of the explorer
H_MATH = {
    "rnn": "h<sub>t</sub> = tanh(Wxh x<sub>t</sub> + Whh h<sub>t−1</sub> + bh)",
    "lstm": "h<sub>t</sub> = o<sub>t</sub> ⊙ tanh(c<sub>t</sub>), c<sub>t</sub> = "
            "f<sub>t</sub> ⊙ c<sub>t−1</sub> + i<sub>t</sub> ⊙ g<sub>t</sub>",
    "gru": "h<sub>t</sub> = (1 − z<sub>t</sub>) ⊙ n<sub>t</sub> + z<sub>t</sub> ⊙ "
           "h<sub>t−1</sub>",
}
H_CAPTION = {
    "rnn": "The hidden state after reading x_t: the model's memory of the text so far. "
           "Units near ±1 are saturated: their tanh' is near 0 and they block the gradient.",
    "lstm": "The hidden state after reading x_t: what the LSTM shows of its cell state c_t "
            "through the output gate o_t. The memory itself is c_t (the cell-state tape "
            "below).",
    "gru": "The hidden state after reading x_t: a blend of the new candidate n_t and the "
           "old state h_(t−1), weighted by the update gate z_t. Where z is near 1 the unit "
           "keeps its old value, and the gradient passes back the same way.",
}

# Gradient flow: Whh's spectrum of a gated cell is its candidate block's
BLOCK = {"lstm": "W_hg", "gru": "W_hn"}


def schedule(every):
    """When the history's diagnostics (reach, horizon, Whh's spectrum) are measured, in
    the dashboard's numbering: window 1 is the first window trained."""
    return (f"measured on windows 1, 2, 3, 5, 9, 17, … (dense at the start) and then "
            f"every {every:,} iterations")


def spectrum_caption(cell, every):
    """The caption of Whh's spectrum over training: what σ_max bounds, for this cell."""
    if cell == "rnn":
        return (f"{schedule(every).capitalize()}. σ_max(Whh) < 1 means gradients must "
                "shrink as they travel back; > 1 is needed for them to explode (tanh' ≤ 1 "
                "can only shrink them further).")
    return (f"{schedule(every).capitalize()}. {BLOCK[cell]} is the block of Whh that plays "
            "the vanilla Whh's part; for a gated cell σ_max does not bound how far the "
            "gradient reaches, because the gated path carries it past every matrix (the "
            "gates below).")
EIGEN_CAPTION = {
    "rnn": "Eigenvalues outside the circle grow along their direction each step back; "
           "inside, they shrink. min-char-rnn's small random Whh starts with all of them "
           "near 0.",
    "lstm": "The eigenvalues of W_hg, the block of Whh that makes the LSTM's new content "
            "g_t from h_(t−1): the vanilla Whh's part. They govern only the path through "
            "h; the cell state's path back, dc_(t−1) = f_t ⊙ dc_t, has no matrix at all.",
    "gru": "The eigenvalues of W_hn, the block of Whh that makes the GRU's candidate n_t "
           "from h_(t−1): the vanilla Whh's part. They govern only that path; the copy "
           "z_t ⊙ dh_t goes back with no matrix at all.",
}
SV_CAPTION = {
    "rnn": "Each step back multiplies the gradient by Whh^T and a tanh' gate ≤ 1, so if "
           "even σ_max is below the line, every direction shrinks.",
    "lstm": "For a vanilla RNN σ_max < 1 means vanishing gradients. Not for an LSTM: the "
            "cell state carries the gradient past every matrix, so σ_max(W_hg) neither "
            "stops it nor lets it through (the loss-to-state heatmap shows what does "
            "arrive).",
    "gru": "For a vanilla RNN σ_max < 1 means vanishing gradients. Not for a GRU: the "
           "z-gated copy of h carries the gradient past every matrix, so σ_max(W_hn) "
           "neither stops it nor lets it through (the loss-to-state heatmap shows what "
           "does arrive).",
}


def spectrum_line(cell, spectrum):
    """The one-line summary of Whh's spectrum above the gradient-flow charts."""
    if cell == "rnn":
        return (f"σ_max(Whh) = {num(spectrum['sigma_max'])}, spectral radius ρ(Whh) = "
                f"{num(spectrum['spectral_radius'])}.")
    blocks = ", ".join(f"{g} {num(v)}" for g, v in spectrum.get("block_sigma_max", {}).items())
    return (f"The spectrum below is of {spectrum['measures']}: σ_max = "
            f"{num(spectrum['sigma_max'])}, ρ = {num(spectrum['spectral_radius'])} "
            f"(σ_max of every gate block: {blocks}).")
