"""A stock nn.RNN, nn.LSTM or nn.GRU run one timestep at a time with its own weights.

The fused module (oneDNN on CPU, cuDNN on GPU) keeps no per-step tensors, so nothing can
catch dL/dh_t. Here each layer's recurrence is one autograd node (recurrence.py) whose
backward is BPTT written out: it keeps every h_t, dh_t (and the LSTM's c_t, dc_t) in the
layer's LayerTape. The equations are PyTorch's, with its weight names, layer k:

    x'_t = W_ih x_t + b_ih (+ b_hh, but the GRU's b_hn)   one matmul over all t
    rnn:  h_t = tanh or relu(x'_t + W_hh h_{t-1})
    lstm: i, f, g, o = sigmoid, sigmoid, tanh, sigmoid(x'_t + W_hh h_{t-1})
          c_t = f c_{t-1} + i g          h_t = o tanh(c_t)
    gru:  r, z = sigmoid(x'_r,z + W_hr,z h_{t-1} + b_hr,z)
          n = tanh(x'_n + r * (W_hn h_{t-1} + b_hn))     b_hn stays inside r *
          h_t = (1 - z) n + z h_{t-1}
Layer k+1 reads layer k's outputs (after the module's inter-layer dropout in training).
Packed sequences run padded, in the packed (length-sorted) order: a sequence that has
ended keeps its state (h_t = h_{t-1}), so h_n is each sequence's last valid state.
"""
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from .recurrence import Recurrence

CELLS = {"RNN_TANH": "rnn", "RNN_RELU": "rnn", "LSTM": "lstm", "GRU": "gru"}
GATES = {"rnn": (), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


class LayerTape:
    """One layer's tensors of one recorded forward, (T, B, H) each, and their gradients
    (filled by the layer's backward; None if no gradient reached the layer)."""

    def __init__(self):
        self.h = self.c = self.whn_h = None
        self.gates = ()             # the gates' (T, B, H) tensors: i, f, g, o or r, z, n
        self.dh = self.dc = None
        self.dh_out = None          # gradient that arrived through the output
        self.h0 = self.c0 = None


class Tape:
    """What the unrolled pass of one module keeps: a LayerTape per layer, plus the rows
    (positions in the batch as run) of the first ``examples`` sequences."""

    def __init__(self, examples):
        self.examples = examples
        self.layers = []
        self.rows = None            # (E,) positions in the batch as run
        self.lengths = None         # (E,) valid steps of those sequences
        self.order = None           # (B,) row of each original sequence (packed), or None
        self.T = 0


def unrolled_forward(module, input, hx=None, tape=None):
    """The module's forward, step by step; returns what the module returns."""
    cell = CELLS[module.mode]
    packed = isinstance(input, PackedSequence)
    unbatched = False
    if packed:
        x, lengths = pad_packed_sequence(PackedSequence(input.data, input.batch_sizes))
        sorted_idx, unsorted_idx = input.sorted_indices, input.unsorted_indices
    else:
        unbatched = input.dim() == 2
        x = input.unsqueeze(1) if unbatched else input
        if module.batch_first and not unbatched:
            x = x.transpose(0, 1)
        lengths = sorted_idx = unsorted_idx = None
    T, B = x.shape[0], x.shape[1]
    if T == 0:          # torch's own words for it; the unrolled loop raised IndexError
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    L, H = module.num_layers, module.hidden_size
    h0, c0 = _initial_state(module, hx, cell, L, B, H, x, unbatched, sorted_idx)
    active = None
    if packed:
        active = (torch.arange(T)[:, None] < lengths[None, :]).to(x.device)[..., None]
    if tape is not None:
        tape.T = T
        E = min(tape.examples, B)
        if unsorted_idx is not None:
            tape.rows = unsorted_idx[:E].cpu()
            tape.order = unsorted_idx.cpu()
        else:
            tape.rows = torch.arange(E)
        tape.lengths = (lengths[tape.rows] if packed else torch.full((E,), T)).cpu()
    layer_input, h_n, c_n = x, [], []
    for k in range(L):
        W_ih = getattr(module, f"weight_ih_l{k}")
        W_hh = getattr(module, f"weight_hh_l{k}")
        b_ih = getattr(module, f"bias_ih_l{k}") if module.bias else None
        b_hh = getattr(module, f"bias_hh_l{k}") if module.bias else None
        b_hn = None
        if b_hh is not None:
            # b_hh joins b_ih in F.linear's bias (a (kH,) add, not a (T, B, kH) one),
            # but for the GRU's b_hn, which stays inside r * (W_hn h + b_hn)
            if cell == "gru":
                b_hn = b_hh[2 * H:]
                b_ih = b_ih + torch.cat([b_hh[:2 * H], torch.zeros_like(b_hn)])
            else:
                b_ih = b_ih + b_hh
        xp = F.linear(layer_input, W_ih, b_ih)
        rec = None
        if tape is not None:
            rec = LayerTape()
            rec.h0, rec.c0 = h0[k].detach(), (c0[k].detach() if c0 is not None else None)
            tape.layers.append(rec)
        states = Recurrence.apply(cell, module.mode == "RNN_RELU", xp, h0[k],
                                  c0[k] if c0 is not None else None, W_hh, b_hn, active,
                                  rec)
        out = states[0]
        h_n.append(states[1])
        c_n.append(states[2] if cell == "lstm" else None)
        layer_input = out
        if k < L - 1 and module.dropout and module.training:
            layer_input = F.dropout(out, module.dropout, training=True)
    h_n = torch.stack(h_n)
    c_n = torch.stack(c_n) if cell == "lstm" else None
    if packed:
        # active[t, b] is b < batch_sizes[t]: its True cells, read t-major, are the packed
        # data's rows (one index, where slices out[t, :n] would each back-fill (T, B, H))
        data = out[active[..., 0]]
        output = PackedSequence(data, input.batch_sizes, sorted_idx, unsorted_idx)
        if unsorted_idx is not None:
            h_n = h_n.index_select(1, unsorted_idx)
            c_n = c_n.index_select(1, unsorted_idx) if c_n is not None else None
    else:
        output = out.transpose(0, 1) if module.batch_first and not unbatched else out
        if unbatched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
    return (output, (h_n, c_n)) if cell == "lstm" else (output, h_n)


def _initial_state(module, hx, cell, L, B, H, x, unbatched, sorted_idx):
    """(h0, c0) as (L, B, H) in the order the batch runs (c0 None but for the LSTM)."""
    if hx is None:
        zeros = torch.zeros(L, B, H, dtype=x.dtype, device=x.device)
        return zeros, (zeros if cell == "lstm" else None)
    h0, c0 = hx if cell == "lstm" else (hx, None)
    if unbatched:
        h0 = h0.unsqueeze(1)
        c0 = c0.unsqueeze(1) if c0 is not None else None
    if sorted_idx is not None:
        h0 = h0.index_select(1, sorted_idx)
        c0 = c0.index_select(1, sorted_idx) if c0 is not None else None
    return h0, c0
