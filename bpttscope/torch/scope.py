"""``watch``: record a user's recurrent PyTorch model every ``every`` optimizer steps.

On a recording step each nn.RNN / nn.LSTM / nn.GRU of the model runs unrolled
(bpttscope/torch/unroll.py) instead of fused; each layer's backward keeps dL/dh_t
(recurrence.py), and the gradients of every parameter are read twice: when backward has
accumulated them (before the user's clipping) and just before the optimizer's update
(after it). Between recording steps the modules run their own forward: no unrolling and
no hooks, only the optimizer's step counter.
"""
import contextlib
import os
import platform
from functools import partial

import numpy as np
import torch

from engine import logformat

from . import record as recorded
from .unroll import CELLS, Tape, unrolled_forward


def recurrent_modules(model):
    """[(name, module)] for every nn.RNNBase in the model; ValueError, with what to do,
    for a model without one or with one the scope cannot unroll."""
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"watch() needs a torch.nn.Module; got {type(model).__name__}.")
    found = [(name or "rnn", m) for name, m in model.named_modules()
             if isinstance(m, torch.nn.RNNBase)]
    if not found:
        kinds = sorted({type(m).__name__ for m in model.modules()})
        raise ValueError(
            "watch() found no nn.RNN, nn.LSTM or nn.GRU in this model (it holds: "
            f"{', '.join(kinds)}). The scope records the recurrence of those modules, "
            "step by step; a loop over nn.LSTMCell / nn.GRUCell is not one. Build the "
            "recurrent part with nn.RNN, nn.LSTM or nn.GRU and watch that model.")
    for name, m in found:
        kind = type(m).__name__
        if m.mode not in CELLS:
            raise ValueError(f"watch() cannot unroll {name!r} ({kind}, mode {m.mode!r}): "
                             "only nn.RNN, nn.LSTM and nn.GRU are supported.")
        if m.bidirectional:
            raise ValueError(
                f"watch() cannot record {name!r} ({kind} with bidirectional=True): its "
                "second direction runs from the end of the sequence back to the start, "
                "so dhnext would come from two opposite futures in one array. Watch a "
                "unidirectional module (bidirectional=False), e.g. two modules, one fed "
                "the reversed sequence.")
        if getattr(m, "proj_size", 0):
            raise ValueError(
                f"watch() cannot record {name!r} (nn.LSTM with proj_size={m.proj_size}): "
                "its h_t is projected by weight_hr, which the scope does not unroll. Use "
                "proj_size=0 and, if you need the smaller output, an nn.Linear after it.")
    return found


class Scope:
    """What ``watch`` returns. ``close()`` (or leave a ``with`` block) to stop."""

    def __init__(self, model, optimizer, logdir, every, examples):
        for name, value in (("every", every), ("examples", examples)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"watch(..., {name}=...) must be a whole number >= 1; "
                                 f"got {value!r}.")
        if not isinstance(logdir, (str, os.PathLike)) or not os.fspath(logdir):
            # None made a folder named "None" in the working directory
            raise ValueError(f"watch(..., logdir=...) must be a folder's path; got "
                             f"{logdir!r}.")
        self.model, self.optimizer = model, optimizer
        self.modules = recurrent_modules(model)
        self.logdir, self.every, self.examples = os.fspath(logdir), every, examples
        self.step = 0                   # optimizer steps seen since watch()
        self.pending_loss = None
        self._armed = None              # the recording being filled, or None
        self._handles = []
        logformat.write_meta(self.logdir, describe(model, self.modules, every, examples))
        if optimizer is not None:
            self._handles += [optimizer.register_step_pre_hook(self._before_update),
                              optimizer.register_step_post_hook(self._after_update)]
            if self.step % every == 0:
                self._arm(self.step)

    # -- the user's side
    def note_loss(self, loss):
        """The loss of the step being recorded (a float or a 0-d tensor); optional."""
        self.pending_loss = float(loss.detach()) if torch.is_tensor(loss) else float(loss)

    @contextlib.contextmanager
    def record(self, step, loss=None):
        """Record step ``step``: put the forward and backward (and clipping) inside.
        Without an optimizer this is the way to record; with one, it records this step
        even if it is not one of every ``every``. Written at the optimizer's step inside
        the block, or at its end."""
        if self._armed is None or self._armed.step != step:
            self._disarm()
            self._arm(int(step))
        if loss is not None:
            self.note_loss(loss)
        try:
            yield self
        except BaseException:
            self._disarm()
            raise
        if self._armed is not None:
            self._finish()

    def close(self):
        """Stop recording: hooks removed, every module's own forward back in place. A
        step armed but not completed is dropped."""
        self._disarm()
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the hooks
    def _before_update(self, optimizer, args, kwargs):
        if self._armed is not None:
            self._finish()

    def _after_update(self, optimizer, args, kwargs):
        self.step += 1
        if self._armed is None and self.step % self.every == 0:
            self._arm(self.step)

    def _arm(self, step):
        rec = recorded.Recording(step)
        for name, module in self.modules:
            module.forward = partial(self._forward, rec, name, module)
        for name, p in self.model.named_parameters():
            if p.requires_grad:
                rec.handles.append(p.register_post_accumulate_grad_hook(
                    partial(rec.keep_grad, name)))
        self._armed = rec

    def _disarm(self):
        rec, self._armed = self._armed, None
        if rec is None:
            return
        for handle in rec.handles:
            handle.remove()
        for _, module in self.modules:
            module.__dict__.pop("forward", None)

    def _forward(self, rec, name, module, input, hx=None):
        own = type(module).forward
        if name in rec.tapes or not torch.is_grad_enabled() or \
                not any(p.requires_grad for p in module.parameters()):
            return own(module, input, hx)       # eval, sampling, a second call: untouched
        tape = Tape(self.examples)
        rec.tapes[name] = tape
        return unrolled_forward(module, input, hx, tape)

    def _finish(self):
        rec = self._armed
        loss, self.pending_loss = self.pending_loss, None
        self._disarm()
        if not rec.before:              # armed, but no backward reached the parameters
            return
        arrays = recorded.collect(rec, self.model, loss)
        logformat.write_step(self.logdir, rec.step, arrays)


def describe(model, modules, every, examples):
    """meta.json's content: what was watched, how, with which versions."""
    layers = []
    for name, m in modules:
        cell = CELLS[m.mode]
        for k in range(m.num_layers):
            layers.append({"name": f"{name}.l{k}", "module": name, "layer": k,
                           "cell": cell, "type": type(m).__name__,
                           "nonlinearity": "relu" if m.mode == "RNN_RELU" else "tanh",
                           "input_size": m.input_size if k == 0 else m.hidden_size,
                           "hidden_size": m.hidden_size, "bias": bool(m.bias),
                           "batch_first": bool(m.batch_first), "dropout": float(m.dropout)})
    dtype = next(model.parameters()).dtype
    return {"model": type(model).__name__, "layers": layers, "every": every,
            "examples": examples, "dtype": str(dtype).replace("torch.", ""),
            "parameters": int(sum(p.numel() for p in model.parameters())),
            "versions": {"torch": torch.__version__, "numpy": np.__version__,
                         "python": platform.python_version()},
            "created": _now()}


def _now():
    import datetime
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def watch(model, optimizer=None, logdir="runs/bptt/run", every=200, examples=4):
    """Record ``model``'s recurrent modules every ``every`` optimizer steps into ``logdir``.

    With ``optimizer``, its ``step`` is hooked: step 0, every, 2 every... are recorded,
    gradients read after backward and again just before the update (after your
    clipping). Without one, wrap a step in ``with scope.record(step):``. ``examples``: how
    many sequences of the batch are kept in full (h, dh, dhnext...; the batch's ||dh_t||
    are kept for all). Returns the Scope; ``scope.close()`` stops. On a recording step
    each layer's backward is once differentiable (bpttscope/torch/recurrence.py): a
    second backward through it (``create_graph=True``) raises."""
    return Scope(model, optimizer, logdir, every, examples)


__all__ = ["Scope", "recurrent_modules", "watch"]
