"""A class in a real browser: a page that trains live has a training process of its
own; closing the tab stops it within seconds while the other page trains on."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_browser import ARGS, CHROMIUM, free_port
from test_serve import wait_healthy

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed (apt-get install chromium)"),
]
sys.path.insert(0, str(ROOT / "bench"))
from classroom import children  # noqa: E402


def training_processes(server_pid):
    """The children of the server's fork server: one per session training live."""
    out = []
    for pid in children(server_pid):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"forkserver" in cmd:
            out += children(pid)
    return out


def test_a_closed_tab_stops_training_within_seconds():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env={**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server)
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            contexts = []
            for _ in range(2):
                context = browser.new_context(viewport={"width": 1300, "height": 900})
                page = context.new_page()
                page.goto(url)
                page.get_by_role("button", name="Run", exact=True).click(timeout=120_000)
                contexts.append(context)
            deadline = time.time() + 120
            while len(training_processes(server.pid)) < 2:
                assert time.time() < deadline, "no training process started"
                time.sleep(0.5)
            time.sleep(3)
            assert len(training_processes(server.pid)) == 2         # one per session
            contexts[0].close()
            closed = time.time()
            while len(training_processes(server.pid)) > 1:
                assert time.time() - closed < 10, "the closed tab's training went on"
                time.sleep(0.2)
            stopped = time.time() - closed
            time.sleep(2)
            assert len(training_processes(server.pid)) == 1         # the other trains on
            contexts[1].close()
            while training_processes(server.pid):
                assert time.time() - closed < 20
                time.sleep(0.2)
            browser.close()
        assert stopped < 5.0
    finally:
        server.terminate()
        server.wait(timeout=30)
