"""``pip install .`` (not editable) into a fresh virtual environment works from any
folder: the engine finds its sample texts, the dashboard's files are all installed, the
``bpttscope`` console script serves the dashboard without writing into site-packages;
the sdist is the whole project.

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
                                "runs", ".pytest_cache", ".ruff_cache", "screenshots",
                                "dist", "*.partial", "plotly*.min.js")

pytestmark = pytest.mark.packaging


def run(*cmd, cwd, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=300, **kw)
    assert res.returncode == 0, f"{cmd}\n{res.stdout}\n{res.stderr}"
    return res.stdout


def build_requirement():
    """The setuptools version pyproject.toml builds with, e.g. (77,)."""
    import re
    import tomllib
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for req in pyproject["build-system"]["requires"]:
        match = re.fullmatch(r"setuptools>=([\d.]+)", req.replace(" ", ""))
        if match:
            return tuple(int(x) for x in match.group(1).split("."))
    return (0,)


def test_this_environment_can_build_the_package():
    """The builds below run without isolation, with this environment's setuptools: the
    test extra must bring one that pyproject.toml accepts (a new venv has 65.5 or none)."""
    from importlib.metadata import version
    have = tuple(int(x) for x in version("setuptools").split(".")[:3] if x.isdigit())
    assert have >= build_requirement(), (
        f"setuptools {version('setuptools')} cannot build this project (pyproject.toml "
        f"needs >= {'.'.join(map(str, build_requirement()))}); reinstall the test extra: "
        "pip install -e '.[test]'")


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
    return {"venv": venv, "python": python, "site": site, "cwd": elsewhere,
            "source": source}


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


def test_console_script_has_its_own_short_help_and_a_version(installed):
    script = installed["venv"] / "bin" / "bpttscope"
    assert script.is_file() and os.access(script, os.X_OK)
    out = run(script, "--help", cwd=installed["cwd"])
    assert out.startswith("usage: bpttscope") and "BPTT Scope" in out
    assert len(out.splitlines()) < 30                        # not Streamlit's 5,000 lines
    for said in ("--port", "--offline", "--version", "streamlit run", "--server.address",
                 "Ctrl-C", "usage statistics are off"):
        assert said in out, said
    out = run(script, "--version", cwd=installed["cwd"])
    assert out.startswith("bpttscope 0.1.0 (Streamlit ")


def test_the_engine_command_line_finds_the_shipped_texts(installed):
    python, cwd = installed["python"], installed["cwd"]
    listed = run(python, "-m", "engine", "texts", cwd=cwd)
    assert all(name in listed for name in ("prose.txt", "long_gap.txt", "periodic.txt"))
    out = run(python, "-m", "engine", "train", "prose.txt", "--iterations", "2", "--hidden",
              "8", "--out", "run", cwd=cwd)
    assert "using the shipped text prose.txt" in out
    assert out.strip().splitlines()[-1].startswith("done: 2 iterations")
    assert (cwd / "run" / "checkpoint.npz").is_file()


def test_the_licence_is_installed(installed):
    licences = list(installed["site"].glob("bpttscope-*.dist-info/**/LICENSE"))
    assert len(licences) == 1
    assert licences[0].read_text() == (ROOT / "LICENSE").read_text()
    assert "BPTT Scope authors" in licences[0].read_text()
    metadata = next(installed["site"].glob("bpttscope-*.dist-info/METADATA")).read_text()
    assert "License-Expression: MIT" in metadata


def test_package_data_is_what_the_packages_hold(installed):
    """Every file of the two packages is installed (the JavaScript of plotly fetched into
    dashboard/static/ is not part of the project, and the installed dashboard serves it
    from the user's cache, see dashboard/cli.py)."""
    site = installed["site"]
    for package in ("engine", "dashboard"):
        for path in tracked(package):
            rel = path.relative_to(ROOT)
            if rel.parts[:2] == ("dashboard", "static"):
                assert not (site / rel).exists(), f"{rel} is installed"
            else:
                assert (site / rel).is_file(), f"{rel} is not installed"
    assert not (site / "dashboard" / "static").exists()


def tracked(*folders):
    """The project's files (git's list where this is a checkout, else every file)."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(["git", "ls-files", *folders], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.split()
        return [ROOT / name for name in listed if (ROOT / name).is_file()]
    made = {"__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", "runs", "build",
            "dist", "screenshots", ".git"}      # what tools and tests make in a source tree
    found = []
    for folder in folders or (".",):
        for p in (ROOT / folder).rglob("*"):
            parts = p.relative_to(ROOT).parts
            if p.is_file() and not made & set(parts) and not any(
                    part.startswith(".venv") or part.endswith(".egg-info") for part in parts) \
                    and not p.name.endswith((".min.js", ".partial", ".log")):
                found.append(p)
    return found


def test_the_sdist_is_the_whole_project(installed, tmp_path):
    """The tests with the helpers they import, the Makefile, the Streamlit settings, the
    docs, the benchmarks, CI and the licence: unpacked, the sdist runs `make test`."""
    import tarfile
    source = installed["source"]
    dist = tmp_path / "dist"
    name = run(sys.executable, "-c", "import sys; from setuptools import build_meta; "
               f"print(build_meta.build_sdist({str(dist)!r}))", cwd=source).strip()
    name = name.splitlines()[-1]
    with tarfile.open(dist / name) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()}
    expected = {str(p.relative_to(ROOT)) for p in tracked()} - {".gitignore"}
    expected = {e for e in expected if not e.startswith("tests/screenshots/")}
    assert expected - members == set(), "missing from the sdist"
    for needed in ("tests/reference.py", "tests/reference_gated.py", "tests/apptest.py",
                   "Makefile", ".streamlit/config.toml", "LICENSE", "docs/architecture.md"):
        assert needed in members
    # plotly.js fetched into dashboard/static/ is not ours (the dashboard's own .js files are)
    assert not [m for m in members if m.startswith("dashboard/static/") and m.endswith(".js")
                or "__pycache__" in m]


@pytest.mark.browser
def test_console_script_serves_the_dashboard_and_writes_nothing_into_site_packages(
        installed, tmp_path):
    """``bpttscope`` from an unrelated folder: the first screen draws its charts, plotly.js
    is served from the user's cache, and site-packages is left exactly as installed."""
    from serving import HEADLESS, first_chart, serving
    from test_browser import CHROMIUM
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    site = installed["site"]

    def files():
        return {p.relative_to(site) for p in site.rglob("*")
                if "__pycache__" not in p.parts and not p.name.endswith(".pyc")}
    before = files()
    cache = tmp_path / "cache"
    script = installed["venv"] / "bin" / "bpttscope"
    command = [script, "--offline", "--port", "{port}", *HEADLESS]
    with serving(command, installed["cwd"], env={"BPTTSCOPE_CACHE": str(cache)}) as (
            url, printed):
        seconds = first_chart(url)
        log = printed()
    print(f"first chart of an installed bpttscope (full plotly.js): {seconds:.2f} s")
    assert "no static folder" not in log and "Traceback" not in log, log
    assert files() == before, "bpttscope wrote into site-packages"
    served = [p.name for p in cache.glob("app-plotly-*/static/*.js")]
    assert served == ["plotly.min.js"], served          # --offline: the full bundle
    assert "gatherUsageStats" not in log
