"""In a real browser (Debian's Chromium through Playwright): presentation mode's keys,
the console free of errors and of plotly's "Invalid color specifier" warnings, and the
Copy link box following t. Screenshots go to tests/screenshots/."""
import re

import pytest
from test_browser import (  # noqa: F401  (pytestmark: the same marks)
    ARGS,
    CHROMIUM,
    SHOTS,
    assert_no_exception,
    free_port,
    new_page,
    pytestmark,
    settle,
)


@pytest.fixture(scope="module")
def url():
    """`streamlit run dashboard` on a free port for this module, as in test_browser."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    port = free_port()
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(address + "/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start")
    yield address
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def open_page(browser, url, width=1500, height=1000):
    page = new_page(browser, width, height)
    page.console = []
    page.on("console", lambda m: page.console.append((m.type, m.text)))
    page.goto(url, wait_until="networkidle")
    page.get_by_role("tab", name="Timestep explorer").wait_for(timeout=60_000)
    settle(page)
    return page


def iteration(page):
    text = page.get_by_text(re.compile(r"· iteration \d+")).first.inner_text()
    return int(re.search(r"iteration ([\d,]+)", text).group(1).replace(",", ""))


def timestep(page):
    return int(page.locator(".st-key-timestep input[type='range']").input_value())


def press(page, key):
    page.keyboard.press(key)
    settle(page)


def test_console_has_no_errors_and_no_colour_warnings(browser, url):
    """Every view after a Step: no console error, and none of the 'Invalid color
    specifier' warnings plotly.js gave for the horizon bars (hundreds per render)."""
    page = open_page(browser, url)
    page.get_by_role("button", name="Step", exact=True).click()
    settle(page)
    tabs = page.get_by_role("tab")
    for i in range(tabs.count()):
        tabs.nth(i).click()
        settle(page)
        assert_no_exception(page, tabs.nth(i).inner_text())
    page.wait_for_timeout(1500)                 # charts off screen are drawn when idle
    colour = [t for kind, t in page.console if "Invalid color" in t]
    errors = [t for kind, t in page.console if kind == "error"]
    assert not colour, colour[:3]
    assert not errors, errors[:5]
    page.close()


def test_presentation_keys_step_move_t_run_pause_and_leave(browser, url):
    page = open_page(browser, url + "/?present=1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "21_presentation_mode.png"))
    assert not page.locator('section[data-testid="stSidebar"]').is_visible()
    assert page.get_by_text("Keys: space Step").count() == 1
    before, t = iteration(page), timestep(page)
    press(page, "Space")
    assert iteration(page) == before + 1
    press(page, "ArrowLeft")
    assert timestep(page) == t - 1
    press(page, "ArrowLeft")
    press(page, "ArrowRight")
    assert timestep(page) == t - 1
    page.keyboard.press("r")                    # Run: the page trains live
    page.get_by_text("training live").wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    page.keyboard.press("r")                    # Pause
    page.get_by_role("button", name="Run", exact=True).wait_for(timeout=30_000)
    settle(page)
    paused = iteration(page)
    assert paused > before + 1
    page.wait_for_timeout(1000)
    assert iteration(page) == paused            # really paused
    assert_no_exception(page, "presentation keys")
    press(page, "Escape")                       # leave: the sidebar is back
    page.locator('section[data-testid="stSidebar"]').wait_for(state="visible",
                                                              timeout=30_000)
    page.close()


def test_copy_link_follows_t(browser, url):
    """Moving t reruns only the explorer's walk; the Copy link box still shows the new
    t (it used to keep the old one until the tab changed)."""
    page = open_page(browser, url)
    page.get_by_role("tab", name="Timestep explorer").click()
    settle(page)
    thumb = page.locator(".st-key-timestep input[type='range']")
    thumb.focus()
    thumb.press("End")
    settle(page)
    for _ in range(3):
        thumb.press("ArrowLeft")
        settle(page)
    t = timestep(page)
    page.get_by_role("button", name="Copy link").click()
    field = page.locator("div.bptt-link input")
    field.wait_for(timeout=10_000)
    page.wait_for_timeout(600)
    assert re.search(rf"[?&]t={t}(&|$)", field.input_value()), (t, field.input_value())
    page.close()
