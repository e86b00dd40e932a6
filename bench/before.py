"""The engine as it was at an earlier commit, importable beside today's engine.

``load(commit)`` extracts ``engine/`` at ``commit`` (``git archive``) into a temporary
folder under another package name and imports it, so that one process can run the code
before a change and after it side by side: bench/same_trajectories.py compares their
trajectories bit for bit, bench/engine_speed.py and bench/cells_speed.py time both
(``--before COMMIT``). The engine's own imports are relative, so the copy imports only
itself.
"""
import importlib.util
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load(commit, name="engine_before"):
    """The package ``engine`` as of ``commit``, imported as ``name``."""
    if name in sys.modules:
        return sys.modules[name]
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "engine"],
                             check=True, capture_output=True).stdout
    folder = Path(tempfile.mkdtemp(prefix="bpttscope-before-"))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    package = folder / "engine"
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
