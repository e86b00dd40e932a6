"""The training processes of one web server: where they come from, how many there are,
and the janitor that stops the ones nobody watches and gives memory back.

Each session that trains live gets a process of its own (dashboard/training_process.py),
forked from one fork server that has already imported the engine (a fork takes a few
milliseconds; a fresh interpreter would take a second). The kernel's scheduler then
gives every training process the same share of the cores, so sessions are served
fairly however many there are and however the work divides. The processes run at a
lower priority (NICE) than the web server: a click, a first screen or a Step in the
foreground takes the core it needs at once instead of waiting behind everyone's
training, which only fills the time the server and the pages leave.

The kernel's shares are fair among processes on one core, less so across cores when
other work loads them unevenly (measured on a busy machine: the slowest of four students
at 0.59 of the fastest). So the processes also keep a table of the CPU seconds each has
trained (``training_process.Share``): one that is ahead of the least served by more than
a round waits, and its core goes to the others.

The janitor (one thread per server) stops the training of a session whose page has
gone (its websocket closed) within JANITOR_SECONDS, and after sessions end it collects
and trims the heap, which is how their memory goes back to the system (see
``trim_memory``). Nothing here imports streamlit: the app hands in ``is_open`` and
``sessions`` callables (dashboard/live.py).
"""
import ctypes
import gc
import logging
import multiprocessing
import os
import threading
import weakref
from multiprocessing import spawn

from dashboard import training_process

NICE = int(os.environ.get("BPTTSCOPE_TRAINING_NICE", "10"))   # 0 (as the server) .. 19
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
# Sessions that may train at once in this server: beyond this, a Run waits for a place
# (each costs a process of about MB_PER_PROCESS plus its runs, see the README).
MAX_TRAINING = int(os.environ.get("BPTTSCOPE_MAX_TRAINING", str(max(8, 12 * CORES))))
# The fair-share table's size, fixed when it is made: MAX_TRAINING may be lowered later
# (the tests do), never raised past the table.
SLOTS = MAX_TRAINING
JANITOR_SECONDS = 1.0

_lock = threading.Lock()
_context = None
_live = weakref.WeakKeyDictionary()  # handle (dashboard.background) -> its share's slot
_shares = None                       # the fair-share table (training_process.Share)
_janitor = None
_hooks = {"sessions": None}


class Full(RuntimeError):
    """MAX_TRAINING sessions are training: this one has to wait."""


def context():
    """The fork-server context (made once): children are forked from a server process
    that has imported dashboard.training_process, hence numpy with one BLAS thread."""
    global _context
    with _lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["dashboard.training_process"])
            spawn.get_preparation_data = _without_main(spawn.get_preparation_data)
            _context = ctx
        return _context


PROCESS_NAME = "bptt-training"


def _without_main(get_preparation_data):
    """multiprocessing makes each child import the parent's main module first: under
    ``streamlit run`` that is Streamlit's command-line script, so every training
    process imported all of Streamlit (a second and 20 MB more per process, and
    warnings in the log). Ours need nothing from it: their function lives in
    dashboard.training_process, which the fork server has already imported."""
    def preparation(name):
        data = get_preparation_data(name)
        if name.startswith(PROCESS_NAME):
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data
    return preparation


def admit(handle):
    """Count ``handle`` as training and return (the fair-share table, its slot in it);
    Full when MAX_TRAINING already are."""
    global _shares
    ctx = context()
    with _lock:
        most = min(MAX_TRAINING, SLOTS)
        if len(_live) >= most:
            raise Full(f"{len(_live)} sessions are training, the most this server takes "
                       f"at once ({most}).")
        if _shares is None:
            _shares = ctx.Array("d", [training_process.IDLE] * SLOTS, lock=False)
        taken = set(_live.values())
        slot = next(k for k in range(SLOTS) if k not in taken)
        _live[handle] = slot
    start_janitor()
    return _shares, slot


def release(handle):
    with _lock:
        slot = _live.pop(handle, None)
        if slot is not None:
            _shares[slot] = training_process.IDLE   # a process killed outright left it


def training_now():
    """How many sessions of this server are training live."""
    with _lock:
        return len(_live)


def busy():
    """(sessions training, cores): the server is busy when the first exceeds the second
    (each run then trains at about cores / sessions of a core)."""
    return training_now(), CORES


def trim_memory():
    """Collect cycles, then give freed heap back to the system. glibc keeps freed
    memory in its arenas (the server's RSS stayed at 377 MB after the sessions of a
    class had ended, against 75 MB fresh); malloc_trim(0) returns the free pages.
    Does nothing where there is no glibc."""
    gc.collect()
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError):
        return False


def set_sessions(count_sessions):
    """``count_sessions()`` -> the number of sessions the server holds (open or kept for
    a reconnect), reaping expired ones; the janitor trims memory when it falls."""
    first = _hooks["sessions"] is None
    _hooks["sessions"] = count_sessions
    if first and count_sessions is not None:
        start_janitor()


def sweep(last_sessions=None):
    """One pass of the janitor: stop the training of closed pages; trim memory if
    sessions ended. Returns the session count it saw."""
    stopped = 0
    for handle in list(_live):
        try:
            if not handle.page_open():
                handle.stop()
                stopped += 1
        except Exception:                    # one bad handle must not stop the janitor
            logging.getLogger("bpttscope").exception("janitor")
    try:
        count = _hooks["sessions"]() if _hooks["sessions"] else None
    except Exception:
        logging.getLogger("bpttscope").exception("janitor")
        count = None
    if stopped or (count is not None and last_sessions is not None and count < last_sessions):
        trim_memory()
    return count


def start_janitor():
    global _janitor
    with _lock:
        if _janitor is not None and _janitor.is_alive():
            return
        _janitor = threading.Thread(target=_janitor_loop, name="bptt-janitor", daemon=True)
        _janitor.start()


def _janitor_loop():
    event, seen = threading.Event(), None
    while not event.wait(JANITOR_SECONDS):
        seen = sweep(seen)
