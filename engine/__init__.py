"""BPTT Scope engine: min-char-rnn in numpy, with every BPTT quantity recorded.

Pure computation: no plotting, no UI. See README.md for a tour and
docs/architecture.md for how the pieces fit.
"""
from . import cells, quantities, tour
from .attribution import (
    BeyondWindow,
    beyond_window,
    gradient_horizon,
    horizon_from_norms,
    input_saliency,
    whh_distance_norms,
    whh_gradient_by_distance,
    whh_horizon_parts,
    whh_piece_norms,
)
from .bptt import Trace, bptt
from .cells import CELLS, back_step
from .claims import Check, Claim, ClaimResult
from .comparisons import COMPARISONS, Comparison
from .cost import Cost, estimate_cost
from .diagnostics import (
    effective_learning_rate,
    gate_saturation,
    jacobian_norms,
    loss_to_state,
    reach,
    reach_by_lag,
    saturation,
    whh_spectrum,
)
from .errors import CorpusError, CostError, DivergenceError
from .exercise_list import EXERCISES
from .exercises import Exercise, Verdict, parse_number
from .gradcheck import gradient_check, gradient_check_summary
from .lessons import lesson_claims
from .limits import LIMITS, SAMPLE_LIMITS, Limit
from .logdir import open_logdir
from .params import init_params
from .presets import GATED_PRESETS, PRESETS, Preset, read_sample, sample_text_names
from .sampling import SampleSaliency, sample_saliency, sample_start
from .timesteps import timestep_norms
from .trainer import Config, Trainer
from .vocab import DEFAULT_MAX_BYTES, Vocab, load_corpus

__all__ = [
    "Vocab", "load_corpus", "CorpusError", "CostError", "DEFAULT_MAX_BYTES", "init_params", "bptt",
    "Trace", "Trainer", "Config", "LIMITS", "SAMPLE_LIMITS", "Limit", "DivergenceError",
    "gradient_check", "gradient_check_summary", "loss_to_state", "jacobian_norms",
    "whh_spectrum", "saturation", "reach", "reach_by_lag", "effective_learning_rate",
    "timestep_norms", "estimate_cost", "Cost", "PRESETS", "Preset", "COMPARISONS",
    "Comparison", "read_sample", "sample_text_names",
    "input_saliency", "whh_gradient_by_distance", "whh_piece_norms", "gradient_horizon",
    "beyond_window", "BeyondWindow", "sample_saliency", "SampleSaliency", "sample_start",
    "whh_distance_norms", "whh_horizon_parts", "horizon_from_norms",
    "cells", "CELLS", "back_step", "gate_saturation", "GATED_PRESETS", "open_logdir",
    "EXERCISES", "Exercise", "Verdict", "parse_number",
    "lesson_claims", "Claim", "Check", "ClaimResult", "quantities", "tour",
]
