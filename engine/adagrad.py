"""Adagrad's epsilon, in one place: the update in trainer.py and the step-size
diagnostic (``effective_learning_rate``) must divide by the same ``sqrt(mem + eps)``."""

ADAGRAD_EPS = 1e-8      # min-char-rnn: param -= lr * g / np.sqrt(mem + 1e-8)
