"""Names the dashboard's modules share: the lessons' special values and the model
settings a person can change. A leaf: it imports only the engine, so ``session``,
``models``, ``links`` and ``background`` can all read it without importing each other.
"""
import engine

DEFAULT_PRESET = "min-char-rnn"     # the lesson of the first screen
CUSTOM = "custom"                   # the lesson of a model built from your own settings:
                                    # in the session, in the preset selector and in links
NO_COMPARISON = "(none: one run)"   # the comparison selector's "no comparison"
OWN_TEXT = "(your own text)"        # the text selector's "upload or paste"

# Settings that need new weights, and those a live model can change (engine's list).
TRAINING = engine.Trainer.LIVE_SETTINGS
ARCHITECTURE = tuple(n for n in ("cell", "hidden_size", "seq_length", "seed", "whh_init",
                                 "gain")
                     if n not in TRAINING)
HYPER = ARCHITECTURE + TRAINING
HP_KEY = {name: f"hp_{name}" for name in HYPER}     # the sidebar's widget key per setting
