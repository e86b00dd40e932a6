"""The LSTM's timestep explorer in a real browser, on the long-gap text after 3,000
iterations (a link replays them): does the page show the gradient crossing the gap?
Screenshots at t = 22 and t = 0 go to tests/screenshots/ (look at them)."""
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_browser as browser  # noqa: E402  (its server and page fixtures, its helpers)

server, page = browser.server, browser.page         # fixtures: a streamlit server, Chromium
CHROMIUM, SHOTS = browser.CHROMIUM, browser.SHOTS
settle, assert_no_exception = browser.settle, browser.assert_no_exception

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed (apt-get install chromium)"),
]
LINK = "/?lesson=long-gap-lstm&it=3000&view=Timestep+explorer&t=22"


def test_lstm_explorer_shows_the_gradient_crossing_the_gap(page, server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1500, "height": 6500})   # the whole explorer
    page.goto(server + LINK, wait_until="networkidle")
    page.get_by_text("Backward at t = 22").wait_for(timeout=180_000)
    settle(page, timeout=180_000)
    assert_no_exception(page, "LSTM explorer at t = 22")
    body = page.inner_text("body")
    # iteration 3000 in the header and its window (counted from 1, like the header)
    assert "Window of iteration 3000" in body and "The cell-state tape" in body
    # the one-loss chart says how much of the loss at t = 22 reaches h_0
    notes = page.locator(".js-plotly-plot .annotation-text").evaluate_all("bpttProbes.texts")
    (share,) = [n for n in notes if n.startswith("‖∂L22/∂h0‖ = ")]
    assert float(re.search(r"= ([0-9.e+-]+) ×", share).group(1)) > 1e-3   # the rnn: < 1e-6
    page.screenshot(path=str(SHOTS / "20_lstm_explorer_t22.png"), full_page=True)
    page.locator(".st-key-timestep input[type='range']").focus()   # react-aria
    page.keyboard.press("Home")
    page.get_by_text("Backward at t = 0").wait_for(timeout=60_000)
    settle(page)
    assert_no_exception(page, "LSTM explorer at t = 0")
    assert "truncation drops it here" in page.inner_text("body")
    page.screenshot(path=str(SHOTS / "21_lstm_explorer_t0.png"), full_page=True)
