"""End to end in a real browser: `streamlit run dashboard`, Debian's Chromium driven by
Playwright. Clicks Step, opens every view, fails on any exception box. Screenshots go to
tests/screenshots/."""
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "tests" / "screenshots"
PROBES = ROOT / "tests" / "js" / "probes.js"   # window.bpttProbes: what the tests read
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed (apt-get install chromium)"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    # a server that trained wrote its answering notice (dashboard/live.py); on exit it
    # removes it, rather than leaving one stale file per port it ever ran on
    assert not notice_file(url).exists(), f"{notice_file(url)} was left behind"


def notice_file(url):
    port = urllib.parse.urlsplit(url).port
    return ROOT / "dashboard" / "static" / f"bptt-answering-{port}.json"


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = new_page(browser, 1500, 2400)
        page.goto(server, wait_until="networkidle")
        yield page
        browser.close()


def new_page(browser, width, height):
    """A page whose every document has window.bpttProbes, which settle() and the other
    helpers here read (tests/js/probes.js)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.add_init_script(path=PROBES)
    return page


def settle(page, timeout=30_000):
    """Wait until Streamlit has finished rerunning the script."""
    page.wait_for_timeout(300)
    # while a script runs, the status widget reads "Running..." or (narrower) just "Stop"
    page.wait_for_function("bpttProbes.scriptIdle", timeout=timeout)
    page.wait_for_function("bpttProbes.noSkeletons", timeout=timeout)
    page.wait_for_timeout(800)


def assert_no_exception(page, where):
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, f"exception box in {where}: {boxes.first.inner_text()[:500]}"


def choose(page, key, option):
    """Pick ``option`` in the selectbox with widget key ``key``."""
    page.locator(f".st-key-{key} [role='combobox']").click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def test_step_and_every_view(page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=60_000)
    settle(page)
    assert_no_exception(page, "first screen")
    page.screenshot(path=str(SHOTS / "00_first_screen.png"), full_page=True)
    page.get_by_role("button", name="Step", exact=True).click()
    settle(page)
    assert_no_exception(page, "after Step")
    tabs = page.get_by_role("tab")
    names = [tabs.nth(i).inner_text().strip() for i in range(tabs.count())]
    assert len(names) >= 6, names
    charts = {}
    for i, name in enumerate(names):
        page.get_by_role("tab").nth(i).click()
        settle(page)
        assert_no_exception(page, name)
        charts[name] = page.locator(".js-plotly-plot").count()
        slug = "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")
        page.screenshot(path=str(SHOTS / f"{i + 1:02d}_{slug}.png"), full_page=True)
    for name in ("Training", "Timestep explorer", "Gradient flow"):
        assert charts.get(name, 0) > 0, f"no chart drawn in {name}: {charts}"


def test_long_gap_saliency_strip(page):
    """The strip shaded by input_saliency on the long-gap lesson at t = 22, where the
    target repeats the letter at s = 0: that box stays blank. Screenshot: look at it."""
    choose(page, "preset", "long-gap")
    page.get_by_role("tab", name="Timestep explorer").click()
    settle(page)
    thumb = page.locator(".st-key-timestep input[type='range']")     # react-aria's input
    thumb.focus()
    thumb.press("End")                                   # t = T - 1 = 24
    settle(page)
    for _ in range(2):
        thumb.press("ArrowLeft")
        settle(page)
    assert_no_exception(page, "long-gap explorer")
    assert thumb.input_value() == "22"
    strip = page.locator(".bptt-strip").first
    backgrounds = strip.locator(".bptt-in").evaluate_all("bpttProbes.backgrounds")
    assert backgrounds[0] == "" and backgrounds[22] != "", backgrounds
    assert page.get_by_text("stays blank").count() > 0
    box = strip.bounding_box()
    page.screenshot(path=str(SHOTS / "12_long_gap_saliency_strip.png"),
                    clip={"x": box["x"] - 10, "y": box["y"] - 60,
                          "width": box["width"] + 20, "height": box["height"] + 170})
    choose(page, "preset", "min-char-rnn")              # the later tests' starting point


def shown_iteration(page):
    text = page.get_by_text(re.compile(r"· iteration \d+")).first.inner_text()
    return int(re.search(r"iteration (\d+)", text).group(1))


def test_moving_t_moves_the_outline_in_place(page):
    """Moving t redraws only the current-t outline of the whole-window charts: the
    heatmaps keep their element and the outline lands on the new column."""
    page.get_by_role("tab", name="Timestep explorer").click()
    settle(page)
    heatmaps = page.locator("[class*='st-key-plot_heatmaps'] .js-plotly-plot")
    heatmaps.evaluate("bpttProbes.markChart", "before")
    thumb = page.locator(".st-key-timestep input[type='range']")
    thumb.focus()
    thumb.press("End")
    settle(page)
    thumb.press("ArrowLeft")
    settle(page)
    t = int(thumb.input_value())
    outline = heatmaps.evaluate("bpttProbes.outline")
    assert outline["probe"] == "before" and outline["x0"], outline
    assert all(x0 == t - 0.5 for x0 in outline["x0"]), (t, outline)
    assert_no_exception(page, "moving t")



def test_charts_off_screen_drawn_when_near(page):
    """Charts far off screen are not drawn on a Step: they wait (data-deferred, not
    pending, so nothing waits for them) until they are scrolled near, and are then drawn
    with their newest figure: the window charts show the new iteration."""
    page.get_by_role("tab", name="Timestep explorer").click()
    settle(page)
    page.set_viewport_size({"width": 1500, "height": 700})   # the window charts off screen
    state = "bpttProbes.chartStates"
    try:
        before = shown_iteration(page)
        page.get_by_role("button", name="Step", exact=True).click()
        settle(page)
        assert shown_iteration(page) == before + 1
        charts = page.locator("div.bptt-plot").evaluate_all(state)
        assert len(charts) >= 6, charts
        far = [c for c in charts if c["top"] > 700 * 1.5 + 50]
        assert far, "nothing is far off screen: test nothing"
        assert all(c["deferred"] and not c["current"] for c in far), charts
        assert not any(c["pending"] for c in charts), charts
        for k in range(len(charts)):                  # scroll to each in turn
            page.locator("div.bptt-plot").nth(k).scroll_into_view_if_needed()
            page.wait_for_function("bpttProbes.noPendingCharts")
            page.wait_for_timeout(300)
        charts = page.locator("div.bptt-plot").evaluate_all(state)
        assert all(c["current"] and not c["deferred"] and not c["pending"]
                   for c in charts), charts
        assert any(c["title"].startswith("‖·‖ per timestep") for c in charts), charts
    finally:
        page.evaluate("bpttProbes.scrollMainToTop")
        page.set_viewport_size({"width": 1500, "height": 2400})
    assert_no_exception(page, "charts off screen")


def run_until(page, iteration, timeout=90_000):
    """Press Run and wait until the page shows an iteration past ``iteration``."""
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_function("bpttProbes.iterationAbove", arg=iteration, timeout=timeout)


def pause_and_check(page):
    """Press Pause; once Run is offered again the iteration must stop moving."""
    page.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_function("bpttProbes.runOffered", timeout=60_000)
    settle(page)
    paused_at = shown_iteration(page)
    page.wait_for_timeout(2_000)
    assert shown_iteration(page) == paused_at          # paused means paused


def resize_listeners(page):
    """How many resize listeners the window has (plotly adds one per responsive chart)."""
    cdp = page.context.new_cdp_session(page)
    try:
        window = cdp.send("Runtime.evaluate", {"expression": "window"})["result"]
        found = cdp.send("DOMDebugger.getEventListeners", {"objectId": window["objectId"]})
        return sum(1 for listener in found["listeners"] if listener["type"] == "resize")
    finally:
        cdp.detach()


def test_switching_views_releases_the_charts_it_leaves(page):
    """The charts of a view one leaves are released: the page's resize listeners (one per
    plotly chart drawn) less the charts drawn on the page are no more after five round
    trips between two views than after one. (Charts far off screen are drawn only when
    scrolled near, and which ones were near when they arrived can vary with timing: so
    the listeners are counted against the charts drawn.)"""
    def round_trip():
        for view in ("Training", "Timestep explorer"):
            page.get_by_role("tab", name=view).click()
            settle(page)

    def unexplained():
        drawn = page.locator("div.bptt-plot.js-plotly-plot").count()
        return resize_listeners(page) - drawn
    round_trip()
    after_one = unexplained()
    for _ in range(5):
        round_trip()
    assert page.locator("div.bptt-plot").count() >= 6
    assert page.locator("div.bptt-plot.js-plotly-plot").count() >= 1
    # The page lets go of the view it left when React unmounts it, which on a loaded
    # machine can come after the new view has settled: wait for it (a leak never drops).
    deadline = time.time() + 20
    while unexplained() > after_one and time.time() < deadline:
        page.wait_for_timeout(250)
    # at most as many: the first count can come before the view left was let go of,
    # while five more round trips that each kept their charts would add 5 x 7
    assert unexplained() <= after_one
    assert_no_exception(page, "switching views")


def test_gradient_check_in_the_browser(page):
    page.get_by_role("tab", name="Gradient check").click()
    settle(page)
    page.get_by_role("button", name="Run gradient check").click()
    settle(page)
    assert_no_exception(page, "Gradient check")
    page.screenshot(path=str(SHOTS / "07_gradient_check_result.png"), full_page=True)
    # the table's frame is drawn before its data on a busy machine: wait for it
    table = page.locator('[data-testid="stDataFrame"], [data-testid="stTable"]')
    table.first.wait_for(state="visible", timeout=20_000)
    assert table.count() > 0


def test_live_training_ticks_and_pauses(page):
    """Live refreshes are asked for by the page (only a real browser does): Run must
    train on its own, redraw the same charts in place (no chart is thrown away, the
    user's zoom stays), never leave the view blank, and Pause must stop it."""
    page.get_by_role("tab", name="Training").click()
    settle(page)
    page.evaluate("bpttProbes.markCharts", "before Run")
    loss = page.locator(".js-plotly-plot").first.locator(".nsewdrag").first
    box = loss.bounding_box()                              # drag-zoom the loss chart
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    settle(page)
    zoom = page.evaluate("bpttProbes.firstXRange")
    run_until(page, shown_iteration(page) + 300)
    assert page.get_by_text("iterations/s").count() > 0
    assert notice_file(page.url).exists()   # its pacer reads it
    for _ in range(5):                             # while running, every few refreshes
        drawn = page.evaluate("bpttProbes.drawn")
        assert drawn["charts"] >= 7 and drawn["kept"] == drawn["charts"], drawn
        assert drawn["text"] > 500, drawn                         # never a blank view
        page.wait_for_timeout(300)
    assert page.evaluate("bpttProbes.firstXRange") == zoom
    pause_and_check(page)
    assert_no_exception(page, "live training")
    page.screenshot(path=str(SHOTS / "08_after_live_training.png"), full_page=True)


def test_clipping_comparison_live(page):
    """Three runs train live side by side; Pause stops all of them; the charts draw
    every run. Screenshots of Training and Gradient flow (look at them)."""
    choose(page, "comparison", "clipping")
    assert_no_exception(page, "loading the clipping comparison")
    page.get_by_role("tab", name="Training").click()
    settle(page)
    run_until(page, shown_iteration(page) + 150)
    # while running the view is never blank: its charts stay on the page
    for _ in range(5):
        assert page.locator(".js-plotly-plot").count() >= 6
        page.wait_for_timeout(200)
    pause_and_check(page)
    assert_no_exception(page, "clipping comparison, Training")
    legend = page.locator(".js-plotly-plot .legendtext").evaluate_all("bpttProbes.texts")
    for run in ("clip none", "clip value 5", "clip norm 5"):
        assert run in legend, legend
    page.screenshot(path=str(SHOTS / "10_clipping_training.png"), full_page=True)
    page.get_by_role("tab", name="Gradient flow").click()
    settle(page)
    assert_no_exception(page, "clipping comparison, Gradient flow")
    page.screenshot(path=str(SHOTS / "11_clipping_gradient_flow.png"), full_page=True)


def test_play_the_backward_walk(page, server):
    """Play walks the window by itself (a run_every fragment: only a real browser ticks
    it); screenshots at two steps of the walk."""
    page.goto(server + "/?lesson=min-char-rnn&view=Timestep+explorer&t=24",
              wait_until="networkidle")
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=60_000)
    settle(page)
    page.get_by_role("button", name="Play the walk").click()
    page.wait_for_function("bpttProbes.includes", arg="Backward at t = 20", timeout=30_000)
    page.screenshot(path=str(SHOTS / "12_walk_t20.png"), full_page=True)
    page.wait_for_function("bpttProbes.includes", arg="Backward at t = 12", timeout=30_000)
    page.screenshot(path=str(SHOTS / "13_walk_t12.png"), full_page=True)
    page.wait_for_function("bpttProbes.includes", arg="Backward at t = 0", timeout=60_000)
    page.get_by_role("button", name="Play the walk").wait_for(timeout=30_000)  # stopped
    assert_no_exception(page, "playing the walk")
