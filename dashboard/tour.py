"""The guided tour of the min-char-rnn lesson (its stops and their claims live in
engine/tour.py: the engine owns every verdict)."""
from engine.tour import LESSON, STOPS, Stop, timestep

__all__ = ["LESSON", "STOPS", "Stop", "timestep"]
