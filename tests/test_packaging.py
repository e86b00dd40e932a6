"""``pip install .`` (not editable) into a fresh virtual environment works from any
folder: the engine finds its sample texts, the dashboard's files are all installed and
the ``bpttscope`` console script exists.

Offline and fairly quick: the new environment borrows the running one's third-party
packages through a .pth file (not ``--system-site-packages``, which would give the base
interpreter's), and pip builds without isolation and without dependencies. The sources
are copied first so that the build leaves nothing in the repository."""
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__",
                                "runs", ".pytest_cache", ".ruff_cache", "*.png")

pytestmark = pytest.mark.packaging


def run(*cmd, cwd, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=300, **kw)
    assert res.returncode == 0, f"{cmd}\n{res.stdout}\n{res.stderr}"
    return res.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pkg")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=IGNORE)
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                    cwd=tmp).strip())
    # numpy, pandas, streamlit, setuptools from the running environment; .pth files in
    # that folder (such as an editable install of this project) are not processed.
    (site / "_borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--no-build-isolation", "--no-index", source, cwd=tmp)
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    return {"venv": venv, "python": python, "site": site, "cwd": elsewhere}


def test_engine_finds_its_sample_texts_from_another_folder(installed):
    out = run(installed["python"], "-c",
              "import engine, json; print(json.dumps([engine.__file__, "
              "engine.sample_text_names(), engine.read_sample('prose.txt')]))",
              cwd=installed["cwd"])
    import json
    where, names, prose = json.loads(out)
    assert Path(where).is_relative_to(installed["venv"])        # the installed copy
    shipped = sorted(p.name for p in (ROOT / "sample_texts").glob("*.txt"))
    assert names == shipped and len(names) >= 5
    assert prose == (ROOT / "sample_texts" / "prose.txt").read_text(encoding="utf-8")


def test_presets_build_from_the_installed_package(installed):
    out = run(installed["python"], "-c",
              "import engine\n"
              "for p in engine.PRESETS.values():\n"
              "    tr = engine.Trainer(p.text, **p.settings); tr.step()\n"
              "print('ok', len(engine.PRESETS))", cwd=installed["cwd"])
    assert out.startswith("ok")


def test_every_source_file_is_installed(installed):
    site = installed["site"]
    for package in ("engine", "dashboard"):
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT)
            assert (site / rel).is_file(), f"{rel} is not installed"
    for path in (ROOT / "sample_texts").glob("*.txt"):
        assert (site / "engine" / "sample_texts" / path.name).is_file()


def test_console_script_exists_and_starts(installed):
    script = installed["venv"] / "bin" / "bpttscope"
    assert script.is_file() and os.access(script, os.X_OK)
    out = run(script, "--help", cwd=installed["cwd"])
    assert "Usage" in out or "usage" in out
