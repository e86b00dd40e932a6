"""The offline handout: its size, its content, and (Chromium) that it works from file://
with every network request refused."""
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_browser import CHROMIUM, PROBES  # window.bpttProbes: what the test reads

import engine
from dashboard import handout, plotly_bundle

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "tests" / "screenshots"


def trained(name, steps=None):
    preset = engine.PRESETS[name]
    tr = engine.Trainer(preset.text, **preset.settings)
    tr.run(preset.steps if steps is None else steps)
    return tr


def payload(page):
    text = re.search(r"<script type='application/json' id='bptt-data'>(.*?)</script>",
                     page, re.S).group(1)
    return json.loads(text)


@pytest.fixture(scope="module")
def tiny_page():
    return handout.build(trained("tiny"), lesson="tiny")


@pytest.fixture(scope="module")
def big_page():
    return handout.build(trained("min-char-rnn", 3))


def test_one_page_with_everything_inside(tiny_page):
    data = payload(tiny_page)
    assert len(data["steps"]) == 4 and data["start"] == 3
    assert set(data["steps"][0]["figures"]) == {"h", "top", "dy", "dh"}
    assert set(data["window"]) == {"norms", "heatmaps"}
    assert "Per hidden unit at t = 1" in data["steps"][1]["tables_backward"]
    assert "Why = V" in tiny_page and "dWhh" in tiny_page          # weights and gradients
    assert html.escape(engine.PRESETS["tiny"].description[:60]) in tiny_page   # lesson text
    # nothing outside plotly.js's own source names a URL to load (the browser test
    # refuses every request and checks none is made, plotly.js included)
    ours = re.sub(r"<script id='plotly-js'>.*?</script>", "", tiny_page, flags=re.S)
    assert len(ours) < len(tiny_page) - 1_000_000
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", ours)
    assert "@import" not in ours and "url(" not in ours


def test_the_numbers_are_the_engines(tiny_page):
    tr = trained("tiny")
    data = payload(tiny_page)
    from dashboard.charts import tables
    for t in range(tr.trace.T):
        for value in tr.trace.dh[t]:
            assert tables.num(value) in data["steps"][t]["tables_backward"]


def test_size_stays_under_five_megabytes(tiny_page, big_page):
    for page in (tiny_page, big_page):
        assert len(page.encode("utf-8")) <= handout.MAX_BYTES
    # with whatever bundle this machine has, and with the full one forced (compressed)
    full = handout.build(trained("min-char-rnn", 3), plotly_js=plotly_bundle.full_bundle())
    assert len(full.encode("utf-8")) <= handout.MAX_BYTES
    assert "id='plotly-gzip'" in full


def test_figures_leave_the_template_to_the_page(monkeypatch):
    """The page applies style.TEMPLATE to every figure once (handout.js), so no figure
    carries one, whatever plotly's default is where the handout is built."""
    import plotly.io as pio
    monkeypatch.setattr(pio.templates, "default", "plotly")
    data = payload(handout.build(trained("tiny"), lesson="tiny"))
    figures = [*data["window"].values(),
               *(fig for step in data["steps"] for fig in step["figures"].values())]
    assert figures and not any("template" in fig["layout"] for fig in figures)
    from dashboard.charts import style
    assert data["template"] == json.loads(json.dumps(style.TEMPLATE))


@pytest.mark.slow       # builds a large model
def test_too_large_a_window_is_refused_in_words():
    tr = engine.Trainer("abcdefgh" * 400, hidden_size=400, seq_length=200)
    tr.step()
    with pytest.raises(ValueError, match="too large|MB"):
        handout.build(tr)
    with pytest.raises(ValueError, match="step"):
        handout.build(engine.Trainer("abcdefgh" * 10, hidden_size=3, seq_length=4))


def test_the_script_is_its_own_file_and_cannot_end_the_tag_early(tiny_page):
    source = handout.SCRIPT.read_text(encoding="utf-8")
    assert "Plotly" in source
    assert tiny_page.count("</script>") == tiny_page.count("<script")


@pytest.mark.slow       # runs the command line in a subprocess
def test_cli_writes_the_handout(tmp_path):
    tr = trained("tiny")
    checkpoint = tmp_path / "tiny.npz"
    tr.save(checkpoint)
    out = tmp_path / "handout.html"
    res = subprocess.run([sys.executable, "-m", "engine", "handout", str(checkpoint), "-o",
                          str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr
    page = out.read_text(encoding="utf-8")
    assert len(payload(page)["steps"]) == 4 and "wrote" in res.stdout
    assert "Lesson: tiny" in page            # found from the text and settings
    bad = subprocess.run([sys.executable, "-m", "engine", "handout", str(tmp_path / "no.npz"),
                          "-o", str(out)], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert bad.returncode == 2 and bad.stderr.startswith("error:")
    assert "Traceback" not in bad.stderr
    again = subprocess.run([sys.executable, "-m", "engine", "handout", str(checkpoint), "-o",
                            str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert again.returncode == 0, again.stderr     # a handout replaces a handout


@pytest.mark.slow       # runs the command line in a subprocess
@pytest.mark.parametrize("onto", ["the checkpoint", "a text"])
def test_cli_never_writes_the_handout_over_what_is_not_a_page(tmp_path, onto):
    """-o CHECKPOINT wrote the page over the run it was drawn from, exit code 0."""
    checkpoint = tmp_path / "tiny.npz"
    trained("tiny").save(checkpoint)
    out = checkpoint if onto == "the checkpoint" else tmp_path / "notes.txt"
    if onto == "a text":
        out.write_text("my notes", encoding="utf-8")
    before = out.read_bytes()
    res = subprocess.run([sys.executable, "-m", "engine", "handout", str(checkpoint), "-o",
                          str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 2 and "is not an HTML page" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    assert out.read_bytes() == before


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
@pytest.mark.parametrize("bundle", ["chosen", "full"])
def test_opens_offline_from_file_and_the_slider_moves_the_charts(tmp_path, bundle):
    from playwright.sync_api import sync_playwright
    tr = trained("tiny")
    js = plotly_bundle.full_bundle() if bundle == "full" else None
    path = tmp_path / "handout.html"
    path.write_text(handout.build(tr, lesson="tiny", plotly_js=js), encoding="utf-8")
    refused = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1300, "height": 1800},
                                      offline=True)

        def refuse(route):
            """The file itself may load; every other request is refused and noted."""
            if route.request.url == path.as_uri():
                route.continue_()
                return
            refused.append(route.request.url)
            route.abort()
        context.route("**/*", refuse)
        context.add_init_script(path=PROBES)       # window.bpttProbes, read below
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(path.as_uri())
        page.wait_for_function("bpttProbes.handoutReady", timeout=30_000)
        assert page.evaluate("bpttProbes.plotlyLoaded"), "plotly.js did not load offline"
        assert page.locator("#chart-dh .main-svg").count() > 0
        assert page.evaluate("bpttProbes.shownT") == "3"

        def dh_title():
            return page.evaluate("bpttProbes.chartTitle", "chart-dh")

        def outline():
            return page.evaluate("bpttProbes.chartOutline", "chart-norms")
        assert "t=3" in dh_title() and outline() == [2.5]
        assert "Backward at t = 3" in page.inner_text("#backward-title")
        page.click("#next")                         # backward: Next is t-1
        assert page.evaluate("bpttProbes.shownT") == "2"
        assert "t=2" in dh_title() and outline() == [1.5]
        assert "Per hidden unit at t = 2" in page.inner_text("#tables-backward")
        page.locator("#t-slider").fill("0")         # the slider
        assert page.evaluate("bpttProbes.shownT") == "0"
        assert "t=0" in dh_title() and outline() == [-0.5]
        assert page.locator("#next").is_disabled()
        page.click("#prev")
        assert page.evaluate("bpttProbes.shownT") == "1"
        if bundle == "chosen":
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SHOTS / "handout_tiny.png"), full_page=True)
        browser.close()
    assert not errors, errors
    assert not refused, refused


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_cells_get_a_handout_too(cell):
    tr = engine.Trainer("abcd" * 50, hidden_size=6, seq_length=5, cell=cell)
    tr.step()
    data = payload(handout.build(tr))
    assert set(data["steps"][0]["figures"]) == {"h", "top", "dy"}        # no tanh' split
    assert "tables_backward" not in data["steps"][0]                    # vanilla only


def test_neither_engine_nor_the_handout_imports_what_it_does_not_need():
    code = ("import sys, engine, engine.__main__; a = 'dashboard' in sys.modules; "
            "import dashboard.handout; print(a, 'streamlit' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert res.stdout.split() == ["False", "False"], res.stderr
