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
now counted: the first one in saves the setting and sets 1, the last one out restores
it, under a lock. The dashboard's training processes start with OPENBLAS_NUM_THREADS=1
instead (dashboard/training_process.py), so there this never changes anything.
"""
import ctypes
import functools
import threading
from contextlib import contextmanager

import numpy  # noqa: F401  (its BLAS must be loaded before we look for it)

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


# Re-entrant: a Ctrl-C can land between the lock's acquire and the `with` block that
# releases it (tests/test_interrupts.py raises one at every line of a step). With a
# plain Lock the thread's next engine call then waits for itself forever; with an
# RLock the same thread goes on (other threads still wait their turn).
_lock = threading.RLock()
_callers = 0            # callers inside one_blas_thread, in all threads
_saved = 1              # the setting the first of them found


@contextmanager
def one_blas_thread():
    global _callers, _saved
    funcs = _openblas()
    if funcs is None:
        yield
        return
    with _lock:
        if _callers == 0:
            _saved = funcs[0]()
            if _saved != 1:
                funcs[1](1)
        _callers += 1
    try:
        yield
    finally:
        with _lock:
            _callers -= 1
            if _callers == 0 and _saved != 1:
                funcs[1](_saved)


def single_threaded(func):
    """Decorator: ``func`` runs with BLAS limited to one thread."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return func(*args, **kwargs)
    return wrapper
