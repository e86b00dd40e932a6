"""The guided tour of the min-char-rnn lesson (its stops and their claims live in
engine/tour.py: the engine owns every verdict). A stop opens one of the dashboard's views
(views/registry.py)."""
from dashboard.views import registry
from engine.tour import LESSON, STOPS, Stop, timestep

__all__ = ["LESSON", "STOPS", "Stop", "timestep", "view"]


def view(stop):
    """The view tour stop ``stop`` opens (KeyError naming the views if it names none)."""
    return registry.by_title(stop.view)
