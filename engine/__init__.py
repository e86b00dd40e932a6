"""BPTT Scope engine: min-char-rnn in numpy, with every BPTT quantity recorded.

Pure computation: no plotting, no UI. See README.md for a tour.
"""
from . import cells
from .bptt import Trace, bptt
from .cells import CELLS, back_step
from .diagnostics import (effective_learning_rate, gate_saturation, jacobian_norms,
                          loss_to_state, reach, reach_by_lag, saturation, whh_spectrum)
from .errors import CorpusError, DivergenceError
from .gradcheck import gradient_check
from .params import init_params
from .presets import GATED_PRESETS, PRESETS, Preset, read_sample, sample_text_names
from .trainer import Config, Trainer
from .vocab import DEFAULT_MAX_BYTES, Vocab, load_corpus

__all__ = [
    "Vocab", "load_corpus", "CorpusError", "DEFAULT_MAX_BYTES", "init_params", "bptt",
    "Trace", "Trainer", "Config", "DivergenceError", "gradient_check", "loss_to_state",
    "jacobian_norms", "whh_spectrum", "saturation", "reach", "reach_by_lag",
    "effective_learning_rate", "PRESETS", "Preset", "read_sample", "sample_text_names",
    "cells", "CELLS", "back_step", "gate_saturation", "GATED_PRESETS",
]
