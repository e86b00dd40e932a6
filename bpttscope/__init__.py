"""BPTT Scope for your own code: ``bpttscope.torch.watch(model, optimizer)`` records a
PyTorch recurrent model's per-timestep gradients while it trains; ``bpttscope --logdir``
shows them. ``bpttscope.torch`` needs the optional extra: ``pip install bpttscope[torch]``.
"""
import importlib

__all__ = ["torch"]


def __getattr__(name):
    # ``import bpttscope`` alone never imports torch; ``bpttscope.torch`` does, on first use
    if name == "torch":
        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module 'bpttscope' has no attribute {name!r}")
