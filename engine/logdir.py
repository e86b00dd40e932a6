"""Read a log folder of recorded steps (engine/logformat.py), defensively.

``open_logdir(path)`` -> {run name: Run}. A run is a folder with a meta.json or step
files: ``path`` itself, or its subfolders (TensorBoard's layout: runs/bptt/NAME). Every
step file goes through engine/npz.py: a truncated, half-written, hostile or huge file is
skipped with a message in ``run.problems`` (``read`` raises ValueError with it), never a
crash, and nothing is unpickled. Pure numpy: no torch.
"""
import json
import os
import re

import pandas as pd

from .logformat import (
    META,
    SCALARS,
    STEP_PREFIX,
    STEP_SUFFIX,
    layer_key,
    step_file,
    summary_file,
)
from .npz import Npz
from .recorded import LAYER_FIELDS, RecordedLayer

MAX_RUNS = 200                      # subfolders looked at, at most
MAX_DEPTH = 3                       # runs/bptt/NAME from runs: 2
MAX_STEP_FILES = 100_000
MAX_META_BYTES = 1 << 20
MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 256 << 20        # one array: far above E 4, T 1000, H 4096 float32
MAX_TOTAL_BYTES = 1 << 30           # one step file, uncompressed
_STEP = re.compile(re.escape(STEP_PREFIX) + r"(\d{1,12})" + re.escape(STEP_SUFFIX) + "$")


class Record:
    """One recorded step: ``layers`` name -> RecordedLayer, gradient norms by parameter
    name and "global" before and after clipping, the loss (NaN if not given)."""

    def __init__(self, step, loss, norms_before, norms_after, clip_fraction, layers):
        self.step, self.loss = step, loss
        self.norms_before, self.norms_after = norms_before, norms_after
        self.clip_fraction, self.layers = clip_fraction, layers


class Run:
    """One run's folder: ``steps`` (sorted, rescanned by ``refresh``), ``read(step)``."""

    def __init__(self, name, path):
        self.name, self.path = name, path
        self.problems = []              # messages for files that were skipped
        self.meta = self._read_meta()
        self._files, self._rows = {}, {}
        self.refresh()

    @property
    def steps(self):
        return sorted(self._files)

    def refresh(self):
        """Rescan the folder: steps written since appear (training in another process)."""
        files = {}
        try:
            with os.scandir(self.path) as entries:
                for entry in entries:
                    match = _STEP.match(entry.name)
                    if match and entry.is_file(follow_symlinks=False):
                        files[int(match.group(1))] = entry.path
                        if len(files) >= MAX_STEP_FILES:
                            break
        except OSError as err:
            self.problems.append(f"{self.path}: cannot list it ({err.strerror}).")
        self._files = files
        return self.steps

    def file(self, step):
        return self._files[step]

    def history(self):
        """One row per readable recorded step: step, loss, and for every parameter and
        "global" its gradient norm before / after clipping and clip fraction
        (``before:NAME``, ``after:NAME``, ``fraction:NAME``). Unreadable files are left
        out (their message in ``problems``); rows already read are kept by file size and
        time, so a rescan reads only new files."""
        rows = []
        for step in self.steps:
            path = self._files[step]
            try:
                st = os.stat(path)
            except OSError:
                continue
            stamp = (st.st_size, st.st_mtime_ns)
            cached = self._rows.get(step)
            if cached is None or cached[0] != stamp:
                row = self._summary(step)
                if row is None:
                    try:
                        rec = self.read(step, layers=False)
                    except ValueError:
                        continue
                    row = _row(step, rec.loss, rec.norms_before, rec.norms_after,
                               rec.clip_fraction)
                cached = self._rows[step] = (stamp, row)
            rows.append(cached[1])
        return pd.DataFrame(rows, columns=None if rows else ["step", "loss"])

    def read(self, step, layers=True):
        """The Record of ``step``; ValueError saying why when its file cannot be used.
        ``layers=False`` reads only the scalars (fast: for charts over training)."""
        if step not in self._files:
            raise ValueError(f"run {self.name!r} has no recorded step {step}; its steps "
                             f"are {_span(self.steps)}.")
        path = self._files[step]
        try:
            size = os.path.getsize(path)
            with Npz(path, MAX_MEMBERS, MAX_MEMBER_BYTES, MAX_TOTAL_BYTES) as npz:
                return _record(npz, step, layers, self.meta)
        except (OSError, ValueError, KeyError) as err:
            message = (f"{os.path.basename(path)} ({_size(size if 'size' in locals() else 0)}"
                       f") was skipped: {_reason(err)}")
            if message not in self.problems:
                self.problems.append(message)
            raise ValueError(message) from None

    def _summary(self, step):
        """The history row of ``step`` from its .json summary; None if there is none or
        it does not hold what it should (the .npz is read instead)."""
        path = os.path.join(self.path, summary_file(step))
        try:
            if os.path.getsize(path) > MAX_META_BYTES:
                return None
            data = _json(path)
            if data.get("step") != step:
                return None
            parts = [data.get(p) for p in SCALARS]
            if not all(isinstance(p, dict) for p in parts):
                return None
            number = lambda v: float("nan") if v is None else float(v)
            parts = [{str(k): number(v) for k, v in p.items()} for p in parts]
            return _row(step, number(data.get("loss")), *parts)
        except (OSError, ValueError, TypeError, AttributeError):
            return None

    def _read_meta(self):
        path = os.path.join(self.path, META)
        if not os.path.exists(path):
            return {}
        try:
            if os.path.getsize(path) > MAX_META_BYTES:
                raise ValueError(f"it is larger than {MAX_META_BYTES:,} bytes")
            meta = _json(path)
            if not isinstance(meta, dict):
                raise ValueError("it is not a JSON object")
            return meta
        except (OSError, ValueError) as err:
            self.problems.append(f"{META} was ignored: {_reason(err)}")
            return {}


def _json(path):
    """The JSON value of the file ``path`` (at most MAX_META_BYTES read). ValueError for
    what is not JSON, including arrays nested deeper than Python's recursion limit
    (100 kB of "[" raised RecursionError, which ended the whole listing)."""
    with open(path, "rb") as f:
        text = f.read(MAX_META_BYTES).decode("utf-8")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("it nests arrays or objects too deeply to read") from None


def open_logdir(path):
    """{run name: Run} for the folder ``path``: itself if it holds a run, else each
    subfolder (to a depth of 3) that does. ValueError if ``path`` is not a folder."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        raise ValueError(f"{path!r} is not a folder. Give the folder that "
                         "bpttscope.torch.watch(..., logdir=...) wrote, or its parent.")
    runs = {}
    for folder in _run_folders(path):
        rel = os.path.relpath(folder, path)
        name = os.path.basename(os.path.abspath(path)) if rel == "." else rel
        runs[name] = Run(name, folder)
    return runs


def is_run(folder):
    try:
        with os.scandir(folder) as entries:
            return any(e.name == META or _STEP.match(e.name) for e in entries)
    except OSError:
        return False


def _run_folders(root):
    found, queue = [], [(root, 0)]
    while queue and len(found) < MAX_RUNS:
        folder, depth = queue.pop(0)
        if is_run(folder):
            found.append(folder)
            continue
        if depth >= MAX_DEPTH:
            continue
        try:
            with os.scandir(folder) as entries:
                subs = sorted(e.path for e in entries
                              if e.is_dir(follow_symlinks=False) and not e.name.startswith("."))
        except OSError:
            continue
        queue += [(s, depth + 1) for s in subs]
    return found


def _row(step, loss, before, after, fraction):
    row = {"step": step, "loss": loss}
    for prefix, values in (("before", before), ("after", after), ("fraction", fraction)):
        row.update({f"{prefix}:{k}": v for k, v in values.items()})
    return row


def _record(npz, step, layers, meta):
    names = npz.files
    scalar = lambda key: float(npz.read(key, max_bytes=8, max_ndim=0))
    by_prefix = lambda prefix: {k[len(prefix):]: scalar(k) for k in names
                                if k.startswith(prefix)}
    stored = int(npz.read("step", max_bytes=8, max_ndim=0))
    if stored != step:
        raise ValueError(f"it says it is step {stored}, its name says {step}")
    loss = scalar("loss") if "loss" in names else float("nan")
    before, after = by_prefix("norm_before:"), by_prefix("norm_after:")
    fraction = by_prefix("clip_fraction:")
    found = {}
    if layers:
        for name in _layer_names(names, meta):
            fields = {f: npz.read(layer_key(name, f), max_ndim=4) for f in LAYER_FIELDS
                      if layer_key(name, f) in names}
            found[name] = RecordedLayer.from_arrays(name, fields)
    return Record(step, loss, before, after, fraction, found)


def _layer_names(names, meta):
    """Layer names in the model's order (meta.json), then any others found."""
    present = []
    for key in names:
        if key.startswith("layer:") and key.endswith(":cell"):
            present.append(key[len("layer:"):-len(":cell")])
    order = [entry.get("name") for entry in meta.get("layers", []) if isinstance(entry, dict)]
    return [n for n in order if n in present] + [n for n in present if n not in order]


def _reason(err):
    text = str(err) if not isinstance(err, OSError) else (err.strerror or str(err))
    return text if not isinstance(err, KeyError) else f"it has no member {text}"


def _size(nbytes):
    return f"{nbytes / 1e6:.1f} MB" if nbytes >= 1e5 else f"{nbytes:,} bytes"


def _span(steps):
    if not steps:
        return "none yet"
    return f"{steps[0]}..{steps[-1]} ({len(steps)} steps)"


__all__ = ["Record", "Run", "is_run", "open_logdir", "step_file"]
