"""Run BLAS on one thread while the engine computes.

The engine's matrices are small (a 100 x 100 Whh): splitting one matrix-vector product
over threads costs more in hand-offs than it saves, and on a busy 2-core machine
OpenBLAS's default threading made a training step 5-7x slower. numpy is already
imported, so the environment variable is too late; we ask the loaded OpenBLAS directly,
limit it for the duration of the call, and restore the caller's setting afterwards.
Where no OpenBLAS is found (MKL, Accelerate) this does nothing.

OpenBLAS's thread count is one setting for the whole process, so concurrent callers
share it. Each caller saving and restoring it raced: A saved 2 and set 1; B, entering,
saved 1; A left and restored 2 while B was still computing, so B ran its products on
two threads (tests/test_training_process.py reproduces it with two threads). Callers are
now tracked: the first one in saves the setting and sets 1, the last one out restores
it, under a lock. The dashboard's training processes start with OPENBLAS_NUM_THREADS=1
instead (dashboard/training_process.py), so there this never changes anything.
"""
import ctypes
import functools
import threading
import weakref

import numpy  # noqa: F401  (its BLAS must be loaded before we look for it)

from .atomic import uninterrupted

_PREFIXES = ("openblas", "scipy_openblas")
_SUFFIXES = ("", "64_")


@functools.cache
def _openblas():
    """(get_num_threads, set_num_threads) of the OpenBLAS numpy uses, or None."""
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "blas" in line.lower()})
    except OSError:
        return None
    for path in paths:
        if not path.startswith("/"):
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype = ctypes.c_int
                    put.argtypes = [ctypes.c_int]
                    return get, put
    return None


_lock = threading.Lock()
_inside = weakref.WeakSet()     # the one_blas_thread contexts now open, in all threads
_saved = None                   # the setting found before we limited it; None: not limited
_local = threading.local()      # .outer: weak reference to this thread's outermost open context


def one_blas_thread():
    """A context: BLAS on one thread for the block. The first caller in (of any thread)
    sets it, the last one out restores what the first found."""
    return _OneBlasThread()


class _OneBlasThread:
    """Who is inside is a set of these contexts, held weakly, not a count. A Ctrl-C can
    land anywhere (tests/test_interrupts.py raises one at every line of a step), also
    between a ``with`` statement and the first line of ``__exit__``: a count then stayed
    one too high and BLAS was never restored. A context whose ``__exit__`` never ran is
    freed as its frame unwinds and drops out of the set by itself, so the next caller
    out restores the setting. The bookkeeping runs with Ctrl-C held back
    (engine.atomic.uninterrupted): one landing while the lock was held left it held, and
    every later engine call waited forever."""

    __slots__ = ("nested", "__weakref__")

    def __enter__(self):
        global _saved
        # Nested in an open context of the same thread (Trainer.run -> step -> bptt ->
        # diagnostics): BLAS is already limited until that outer one leaves, which is
        # after this one (a thread's with-blocks close in order), so there is nothing to
        # do. The lock and the held-back signals cost 24 us per context, twice a step.
        outer = getattr(_local, "outer", None)
        self.nested = outer is not None and outer() is not None
        if self.nested:
            return self
        funcs = _openblas()
        if funcs is not None:
            with uninterrupted(), _lock:
                if not _inside:
                    found = funcs[0]()
                    if _saved is None or found != 1:    # changed since, or first in
                        _saved = found
                    if found != 1:
                        funcs[1](1)
                _inside.add(self)
                # weak, like _inside: an __exit__ that never ran leaves a dead reference
                _local.outer = weakref.ref(self)
        return self

    def __exit__(self, *exc):
        global _saved
        if self.nested:
            return False
        funcs = _openblas()
        if funcs is not None:
            with uninterrupted(), _lock:
                _local.outer = None
                _inside.discard(self)
                if not _inside and _saved is not None:
                    if _saved != 1:
                        funcs[1](_saved)
                    _saved = None
        return False


def single_threaded(func):
    """Decorator: ``func`` runs with BLAS limited to one thread."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return func(*args, **kwargs)
    return wrapper
