"""Run BLAS on one thread while the engine computes.

The engine's matrices are small (a 100 x 100 Whh): splitting one matrix-vector product
over threads costs more in hand-offs than it saves, and on a busy 2-core machine
OpenBLAS's default threading made a training step 5-7x slower. numpy is already
imported, so the environment variable is too late; we ask the loaded OpenBLAS directly,
limit it for the duration of the call, and restore the caller's setting afterwards.
Where no OpenBLAS is found (MKL, Accelerate) this does nothing.
"""
import ctypes
import functools
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


@contextmanager
def one_blas_thread():
    funcs = _openblas()
    before = funcs[0]() if funcs else 1
    if before == 1:
        yield
        return
    funcs[1](1)
    try:
        yield
    finally:
        funcs[1](before)


def single_threaded(func):
    """Decorator: ``func`` runs with BLAS limited to one thread."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return func(*args, **kwargs)
    return wrapper
