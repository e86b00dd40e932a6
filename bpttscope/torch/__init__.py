"""Watch your own nn.RNN / nn.LSTM / nn.GRU while it trains (needs torch: the extra
``pip install bpttscope[torch]``).

    scope = bpttscope.torch.watch(model, optimizer, logdir="runs/bptt/NAME", every=200)
    ... your training loop, unchanged ...
    scope.close()

then ``bpttscope --logdir runs/bptt`` shows every recorded step.
"""
from .scope import Scope, recurrent_modules, watch

__all__ = ["Scope", "recurrent_modules", "watch"]
