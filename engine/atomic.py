"""All or nothing: files written whole, training steps never cut in half by a Ctrl-C.

A Ctrl-C (SIGINT) raises KeyboardInterrupt between any two Python bytecodes. Landing
inside ``Trainer.step``, between appending the history row and counting the
iteration, it left a run whose checkpoint was then refused on load; landing inside
``numpy.savez``, it left half a checkpoint under the old one's name.
"""
import contextlib
import os
import signal
import sys
import tempfile
import threading
import traceback
from pathlib import Path

# Signals whose Python handler is held back while a step changes the trainer's state
# (a handler the program installed for SIGTERM, such as the CLI's, included).
_HELD = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))
_UMASK = os.umask(0o022)
os.umask(_UMASK)                    # read once: os.umask can only be read by setting it


# The C functions behind signal.signal and signal.getsignal: the module's wrappers
# convert to and from enums, which took 2/3 of the time of a block entered every step.
try:
    import _signal as _c
except ImportError:
    _c = signal
_MAIN = threading.main_thread().ident
_caught = []                # signals held back by the open outermost block
_holding = False            # the main thread is inside an uninterrupted block


def _catch(signum, frame):
    _caught.append(signum)


class uninterrupted:
    """Hold back SIGINT and SIGTERM (their Python handlers) until the block is done, then
    deliver them: the interruption lands before or after the block, never inside it.
    Only the main thread receives signals; elsewhere this does nothing.

    A context class, not a generator, and nested blocks do nothing (the outermost one
    already holds the signals back): a training step enters one every iteration, and
    the generator version with its handler swaps cost 10 us a step."""

    __slots__ = ("_previous",)

    def __enter__(self):
        global _holding
        self._previous = None
        if _holding or threading.get_ident() != _MAIN:
            return self
        previous = {}
        _caught.clear()
        try:
            for signum in _HELD:
                handler = _c.getsignal(signum)
                if callable(handler):   # SIG_DFL and SIG_IGN act outside Python: left alone
                    _c.signal(signum, _catch)
                    previous[signum] = handler
        except BaseException:       # a signal pending from before ran while swapping
            for signum, handler in previous.items():
                _c.signal(signum, handler)
            raise
        self._previous = previous
        _holding = True
        return self

    def __exit__(self, *exc):
        global _holding
        previous = self._previous
        if previous is None:        # nested, or not the main thread
            return False
        self._previous = None
        _holding = False
        for signum, handler in previous.items():
            _c.signal(signum, handler)
        caught = list(_caught)
        _caught.clear()
        for signum in caught:       # e.g. Python's default SIGINT handler raises here
            previous[signum](signum, None)
        return False


def write_atomic(path, fill):
    """Write the file at ``path`` whole or not at all: ``fill(f)`` writes into a temporary
    file in the same folder (an open binary file), which is flushed to disk and then
    renamed over ``path``. Whatever stops it (an error, a second Ctrl-C, a full disk),
    the file that was at ``path`` is left as it was and no temporary file remains."""
    path = Path(path)
    part = None
    try:
        # Held back: a Ctrl-C inside mkstemp, after it made the file and before it
        # returned the name, left a temporary file nobody could name.
        with uninterrupted():
            fd, part = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                        suffix=".partial")
            f = os.fdopen(fd, "wb")
        with f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        mode = path.stat().st_mode & 0o777 if path.is_file() else 0o666 & ~_UMASK
        os.chmod(part, mode)        # mkstemp's file is private (0600); a saved file is not
        os.replace(part, path)
    except BaseException as err:
        with uninterrupted():
            with contextlib.suppress(OSError):
                if part is not None:
                    os.unlink(part)
            _release_quietly(err)       # held back too: it swaps a process-wide hook
        interruption = _interruption(err)
        if interruption is not None and interruption is not err:
            raise interruption from None
        raise
    with contextlib.suppress(OSError, AttributeError):     # the rename itself, on disk
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _release_quietly(err):
    """Free now, and silently, the half-written zip file an interrupted ``numpy.savez``
    leaves in the frames of ``err`` (and of the errors it chains).

    A Ctrl-C landing inside the close of a member leaves the ZipFile marked as writing.
    Whenever it was freed (with the error, often after the CLI's closing message), its
    ``__del__`` tried to close it and printed "Exception ignored in: ZipFile.__del__",
    a traceback and a ValueError. The file it wrote to is already removed, so what those
    objects say as they go is noise: only zipfile's are hushed, anything else is still
    reported."""
    previous = sys.unraisablehook

    def hook(args):
        source = args.object
        if getattr(source, "__module__", None) != "zipfile" and \
                type(source).__module__ != "zipfile":
            previous(args)

    sys.unraisablehook = hook
    try:
        seen = set()
        while err is not None and id(err) not in seen:
            seen.add(id(err))
            traceback.clear_frames(err.__traceback__)   # frames still running are kept
            err = err.__context__
    finally:
        sys.unraisablehook = previous


def _interruption(err):
    """The KeyboardInterrupt behind ``err``, if any: a Ctrl-C inside ``numpy.savez``
    reaches the caller as zipfile's ValueError ("Can't close the ZIP file while there is
    an open writing handle"), raised while the interrupt unwound. It stays a Ctrl-C."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, KeyboardInterrupt):
            return err
        seen.add(id(err))
        err = err.__context__
    return None
