"""Starting a dashboard server as a process and timing its first screen in Chromium
(the packaging tests: an installed ``bpttscope``, the oldest Streamlit we accept)."""
import contextlib
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from test_browser import ARGS, CHROMIUM

HEADLESS = ["--server.headless", "true", "--server.address", "127.0.0.1"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(command, cwd, env=None, timeout=90):
    """Run ``command`` (a server; ``{port}`` in it is replaced by a free port) and yield
    (its URL, a function returning what it printed so far). Stopped on leaving."""
    port = free_port()
    fd, name = tempfile.mkstemp(prefix=f"server-{port}-", suffix=".log")
    log = Path(name)
    with os.fdopen(fd, "wb") as out:
        proc = subprocess.Popen([str(c).format(port=port) for c in command], cwd=cwd,
                                env={**os.environ, **(env or {})}, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    printed = lambda: log.read_text(errors="replace")
    try:
        deadline = time.time() + timeout
        while True:
            assert proc.poll() is None, f"the server stopped:\n{printed()[-3000:]}"
            assert time.time() < deadline, f"no answer in {timeout} s:\n{printed()[-3000:]}"
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        yield url, printed
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.unlink(missing_ok=True)


def first_chart(url, screenshot=None, timeout_ms=120_000):
    """Open ``url`` in a new headless Chromium and return the seconds until the first
    chart is drawn (an SVG inside a plotly chart); fails on an exception box."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=timeout_ms)
            seconds = time.perf_counter() - start
            page.wait_for_timeout(1500)
            boxes = page.locator('[data-testid="stException"]')
            assert boxes.count() == 0, boxes.first.inner_text()[:1000]
            if screenshot:
                page.screenshot(path=str(screenshot))
            return seconds
        finally:
            browser.close()
