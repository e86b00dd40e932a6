"""Chart builders: pure functions, data in, plotly Figure out. No streamlit here."""
from .attribution import distance_profile_chart, ghost_chart, horizon_bars_chart
from .flow import (
                   eigenvalue_chart,
                   jacobian_heatmap,
                   loss_to_state_heatmap,
                   reach_by_lag_chart,
                   singular_value_chart,
)
from .runs import loss_to_state_grid, runs_history_chart, runs_lines_chart
from .strip import sample_strip_html, window_strip_html
from .style import mark_timestep
from .training import (
                   adagrad_step_chart,
                   clip_fraction_chart,
                   grad_norm_chart,
                   loss_chart,
                   reach_chart,
                   saturation_chart,
                   spectrum_history_chart,
)
from .window import (
                   stacked_vectors_chart,
                   timestep_norms_chart,
                   top_predictions_chart,
                   vector_chart,
                   window_heatmaps,
)

__all__ = [
    "loss_chart", "grad_norm_chart", "clip_fraction_chart", "spectrum_history_chart",
    "reach_chart", "saturation_chart", "adagrad_step_chart", "timestep_norms_chart",
    "top_predictions_chart",
    "vector_chart", "stacked_vectors_chart", "loss_to_state_heatmap", "jacobian_heatmap",
    "reach_by_lag_chart", "eigenvalue_chart", "singular_value_chart", "window_strip_html",
    "window_heatmaps", "mark_timestep", "runs_history_chart", "loss_to_state_grid",
    "runs_lines_chart", "horizon_bars_chart", "distance_profile_chart", "ghost_chart",
    "sample_strip_html",
]
