"""Latency as a person feels it: `streamlit run dashboard` in Debian's Chromium, driven by
Playwright. Prints medians and worst cases (ms) from the user's input event (the trusted
pointerdown / keydown, timed by the page) until the page has settled.

Settled (WATCH_JS): the app says it stopped running (stApp data-test-script-state is
notRunning, no running icon, no stale element), every plotly chart on screen shows its
newest figure (the chart element marks one that does not yet with data-pending; charts
off screen are drawn in idle time when near the view and otherwise once scrolled near,
dashboard/plotly_element.py), the expected change is
on screen (iteration, t, preset, tab), and none of that changed for QUIET_MS
(PAUSE_QUIET_MS for Pause: the iteration must stop moving). The time reported is when
that final state was first reached, not the end of the quiet window. "all charts": when
the charts near the view had caught up too (the page is then idle again).

Where the time goes, per row (medians), from the websocket traffic decoded as Streamlit's
protobufs (Wire): "client" input -> the rerun request sent; "server" request -> the
server's script_finished for it; "after" script_finished -> settled (rendering, plus any
backlog of earlier messages); "queued" how long script_finished waited before the page's
main thread even received it; plotly charts and KB of figure JSON sent for the run; KB
received in all; main-thread long tasks (ms); CPU ms used by the browser's processes
and by the server during the interaction (including the quiet window). Wall-clock figures
move with whatever else the machine runs; CPU figures much less: compare variants by
those, in interleaved rounds. A benchmark, never a test: no assertion on any time.

Usage: python bench/browser_latency.py [--trials 7] [--pause-trials 5] [--live-seconds 10]
       [--only first,step,tabs,timestep,preset,live,pause,comparison] [--height 1100]
       [--headed]
"""
import argparse
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from wsproxy import Proxy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.views import registry  # noqa: E402  (the one list of views: pure)


def script(name):
    """One of the page's measuring scripts, bench/js/``name``: JavaScript lives in .js
    files, where tests/test_javascript.py checks its syntax."""
    return (ROOT / "bench" / "js" / name).read_text(encoding="utf-8")

# -- everything that knows the dashboard's DOM: keep it here ---------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1500, "height": 1100}
SEL = {
    "app": '[data-testid="stApp"]',            # carries data-test-script-state
    "running_icon": '[data-testid="stStatusWidgetRunningIcon"]',
    "stale": '[data-stale="true"]',
    "main": '[data-testid="stMain"]',
    "plot": ".js-plotly-plot",
    "chart": "div.bptt-plot",                  # the chart element's div (pending or not)
    "tab": '[role="tab"]',
    "tabpanel": '[role="tabpanel"]',
    "option": '[role="option"]',               # options of an open selectbox
    "slider": '[role="slider"], input[type="range"]',
}
KEY = "st-key-{}"                              # Streamlit puts widget keys in this class
WIDGET_KEYS = {"step": "step", "run": "run", "pause": "pause", "preset": "preset",
               "comparison": "comparison", "timestep": "timestep", "prev": "t_prev",
               "next": "t_next", "pace": "iters_per_refresh"}
LABELS = {"step": "Step", "run": "Run", "pause": "Pause", "prev": "Previous",
          "next": "Next", "preset": "Lesson preset", "comparison": "Comparison",
          "timestep": "Timestep t"}     # fallbacks when a key is not on the page
ITERATION_RE = r"· iteration\s+(\d+)"          # in the status line above the views
TIMESTEP_RE = r"at t = (\d+)"                  # "Forward at t = 24" in the explorer
PRESET_SHOWN = "Lesson: {name}"                # the lesson box names the active preset
TITLE = {view.key: view.title for view in registry.VIEWS}
FIRST_VIEW = registry.FIRST                    # the default view
EXPLORER = TITLE["explorer"]
PRESETS = ("vanishing", "min-char-rnn")        # preset switches alternate; last = default
LIVE_VIEWS = (TITLE["explorer"], TITLE["training"])
ZOOM_CHART = '[class*="st-key-plot_norms"], [class*="st-key-plot_loss"]'
QUIET_MS = 300                                 # unchanged this long = settled
PAUSE_QUIET_MS = 1000                          # iteration frozen this long = paused
TIMEOUT_MS = 60_000
TARGETS = {"first": "<= 3000", "step_default": "<= 250", "step": "<= 400",
           "timestep": "<= 150", "pause": "worst <= 500", "rate": ">= 0.7"}

# The page's measuring scripts (bench/js/, syntax-checked by tests/test_javascript.py):
# PAGE_JS is installed in every page before Streamlit's own code (input timestamps,
# websocket messages, long tasks, charts removed, and window.__lat.snapshot, what the
# page shows now); WATCH_JS times one input until the page has settled.
PAGE_JS = script("latency_page.js")
WATCH_JS = script("latency_watch.js")
LIVE_JS = script("latency_live.js")

# Conditions a measurement waits for (CONDITIONS in bench/js/latency_watch.js), on the
# page's snapshot now and before the input: "first", "iteration", "timestep", "text",
# "tab", "paused".


# -- the server and the wire -----------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_chromium(limit):
    deadline = time.time() + limit
    while not Path(CHROMIUM).exists():
        if time.time() > deadline:
            sys.exit(f"{CHROMIUM} is missing after {limit:.0f} s of waiting. Install it with "
                     "`apt-get install -y chromium` (never a downloaded browser), then rerun.")
        print(f"waiting for {CHROMIUM} (apt-get install -y chromium) ...", flush=True)
        time.sleep(15)


TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def cpu_by_process():
    """pid -> (ppid, CPU ms used so far, user + system), from /proc."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) * TICK_MS)
    return out


class CpuMeter:
    """CPU time used by the browser (every process under this one but the server) and by
    the server during an interaction. Unlike wall-clock times it hardly depends on what
    else the machine runs, so it is the figure to compare variants by (10 ms ticks)."""

    def __init__(self, server_pid):
        self.server_pid, self.before = server_pid, None

    def _split(self):
        procs, me = cpu_by_process(), os.getpid()
        children = {}
        for pid, (ppid, _) in procs.items():
            children.setdefault(ppid, []).append(pid)
        browser, todo = {}, list(children.get(me, []))
        while todo:
            pid = todo.pop()
            if pid != self.server_pid:
                browser[pid] = procs[pid][1]
                todo.extend(children.get(pid, []))
        return browser, procs.get(self.server_pid, (0, 0.0))[1]

    def start(self):
        self.before = self._split()

    def stop(self):
        (b0, s0), (b1, s1) = self.before, self._split()
        page = sum(ms - b0.get(pid, 0.0) for pid, ms in b1.items())
        return page, s1 - s0


class Server:
    """`streamlit run dashboard` from this checkout's root, on a free port."""

    def __init__(self):
        self.port = free_port()
        self.wire = Wire()
        self.proxy = Proxy(free_port(), self.port, self.wire.message)
        self.url = f"http://127.0.0.1:{self.proxy.port}"      # the browser goes through it
        fd, self.log_path = tempfile.mkstemp(prefix="browser_latency_", suffix=".log")
        env = {**os.environ, "PYTHONPATH": str(ROOT),
               "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard", "--server.headless",
             "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=fd, stderr=subprocess.STDOUT)
        os.close(fd)
        deadline = time.time() + 90
        while time.time() < deadline and self.proc.poll() is None:
            try:
                health = f"http://127.0.0.1:{self.port}/_stcore/health"
                if urllib.request.urlopen(health, timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        sys.exit(f"streamlit did not start within 90 s (log {self.log_path}):\n{self.tail()}")

    def tail(self, n=3000):
        return Path(self.log_path).read_text(errors="replace")[-n:]

    def stop(self):
        self.proxy.stop()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Wire:
    """Streamlit's messages as the proxy saw them pass (wsproxy.py), decoded: when the
    browser sent each request and when the server sent each reply, unaffected by how
    busy the page's main thread is."""

    def __init__(self):
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        self.BackMsg, self.ForwardMsg = BackMsg, ForwardMsg
        self.status = ForwardMsg.DESCRIPTOR.fields_by_name["script_finished"].enum_type
        self.sent, self.recv = [], []

    def clear(self):
        self.sent, self.recv = [], []

    def message(self, direction, now, payload):
        if direction == "sent":
            self.sent.append(self._back(now, payload))
        else:
            self.recv.append(self._forward(now, payload))

    def _back(self, now, payload):
        msg = self.BackMsg()
        msg.ParseFromString(payload)
        kind = msg.WhichOneof("type")
        rerun = msg.rerun_script if kind == "rerun_script" else None
        return {"t": now, "kind": kind, "fragment": bool(rerun and rerun.fragment_id),
                "auto": bool(rerun and rerun.is_auto_rerun)}

    def _forward(self, now, payload):
        msg = self.ForwardMsg()
        msg.ParseFromString(payload)
        kind, spec, status = msg.WhichOneof("type"), 0, None
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "plotly_chart":
                kind, spec = "plotly", len(element.plotly_chart.spec)
            elif element.WhichOneof("type") == "bidi_component" \
                    and element.bidi_component.component_name.endswith("bptt_plotly"):
                kind, spec = "plotly", len(element.bidi_component.json)
        elif kind == "script_finished":
            status = self.status.values_by_number[msg.script_finished].name
        return {"t": now, "kind": kind, "size": len(payload), "spec": spec, "status": status}


# -- the page ----------------------------------------------------------------------------
class Page:
    """One browser tab on the app, with the measuring script installed."""

    def __init__(self, browser, server):
        self.browser, self.server, self.page = browser, server, None
        self.wire = server.wire

    def open(self):
        """A fresh tab (a new session: the first screen again); returns its timing."""
        if self.page is not None:
            self.page.close()
        self.page = self.browser.new_page(viewport=VIEWPORT)
        self.page.add_init_script(PAGE_JS)
        self.wire.clear()
        self.page.goto(self.server.url, wait_until="commit", timeout=TIMEOUT_MS)
        self.page.wait_for_function("window.__lat", timeout=TIMEOUT_MS)
        self.origin = self.page.evaluate("performance.timeOrigin")
        self.cpu = CpuMeter(self.server.proc.pid)
        self._arm("first", {}, QUIET_MS)
        self.cpu.start()                    # from here: the navigation's start is missed
        self.page.evaluate("__lat.fromNavigation")
        return self._result("the first screen")

    def snapshot(self, **extra):
        s = self.page.evaluate("__lat.snapshotNow", [SEL, ITERATION_RE, TIMESTEP_RE])
        s.pop("text")
        return {**s, **extra}

    def measure(self, cond, act, what, quiet=QUIET_MS, **want):
        """Time ``act()`` (one real input, already located: see ``at``) until ``cond``
        holds on a settled page. The clock starts when the input is dispatched or when
        the page saw it, whichever is earlier: on a busy page the event waits for the
        main thread, and that wait is part of what the user feels."""
        if cond == "paused":    # the Run button: by its widget key, else by its label
            want = {"want": {"selector": f".{KEY.format(WIDGET_KEYS['run'])} button",
                             "label": LABELS["run"]}}
        self._arm(cond, self.snapshot(**want), quiet)
        self.cpu.start()
        dispatched = time.time() * 1000 - self.origin
        act()
        return self._result(what, dispatched)

    def at(self, locator):
        """A click on ``locator`` by mouse position, as a person clicks: no waiting for
        the page to be idle (Playwright's locator.click waits on the busy main thread
        for seconds before it even clicks)."""
        locator.scroll_into_view_if_needed()
        box = locator.bounding_box()
        if box is None:
            raise LookupError(f"{locator} is not visible; cannot click it")
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        return lambda: self.page.mouse.click(x, y)

    def _arm(self, cond, before, quiet):
        self.page.evaluate("__lat.arm")
        self.page.evaluate(WATCH_JS, [SEL, ITERATION_RE, TIMESTEP_RE, cond, before, quiet,
                                      TIMEOUT_MS])

    def _result(self, what, dispatched=None):
        r = self.page.evaluate("__lat.result")
        if not r["ok"]:
            raise TimeoutError(
                f"{what}: the page did not settle within {TIMEOUT_MS / 1000:.0f} s (last "
                f"snapshot {r['snap']}). If the dashboard changed, update the selectors at "
                f"the top of bench/browser_latency.py. Server log tail:\n"
                f"{self.server.tail(1500)}")
        page_cpu, server_cpu = self.cpu.stop()     # includes the quiet window (idle)
        if dispatched is not None:
            r["t0"] = min(r["t0"], dispatched)
        out = self._breakdown(r)
        out["page_cpu"], out["server_cpu"] = page_cpu, server_cpu
        return out

    def _breakdown(self, r):
        """Split one measurement into client, server and render parts (ms)."""
        o, t0, at = self.origin, r["t0"], r["at"]
        T0, AT = o + t0, o + at                    # wall clock, comparable with Wire's
        nan = float("nan")
        out = {"total": at - t0, "all": max(r["all"], at) - t0, "client": nan, "server": nan,
               "after": nan, "queued": nan,
               "charts": 0, "spec_kb": 0.0, "kb": 0.0, "backlog": 0,
               "longtask": sum(min(s + d, at) - max(s, t0) for s, d in r["longtasks"]
                               if s <= at),
               "removed": r["removedPlots"], "blank": r["blank"], "frames": r["frames"],
               "snap": r["snap"]}
        recv = self.wire.recv[:]
        out["kb"] = sum(m["size"] for m in recv if T0 <= m["t"] <= AT) / 1024
        request = next((m for m in self.wire.sent if m["t"] >= T0 - 5
                        and m["kind"] == "rerun_script" and not m["auto"]), None)
        if request is None:                        # the first screen: from navigation
            request = {"t": T0, "fragment": False}
        else:
            out["client"] = request["t"] - T0
        wanted = ("FINISHED_FRAGMENT_RUN_SUCCESSFULLY" if request["fragment"]
                  else "FINISHED_SUCCESSFULLY")
        i = next((i for i, m in enumerate(recv) if m["t"] >= request["t"]
                  and m["status"] == wanted), None)
        if i is not None:
            fin = recv[i]
            out["server"] = fin["t"] - request["t"]
            out["after"] = AT - fin["t"]
            start = max((j for j, m in enumerate(recv[:i]) if m["status"]), default=-1)
            run = recv[start + 1:i]
            out["charts"] = sum(m["kind"] == "plotly" for m in run)
            out["spec_kb"] = sum(m["spec"] for m in run) / 1024
            out["backlog"] = sum(1 for m in recv[:i] if m["status"] and m["t"] >= T0)
            if i < len(r["recv"]):
                out["queued"] = (o + r["recv"][i]) - fin["t"]
        return out

    # -- finding widgets ---------------------------------------------------------------
    def button(self, name):
        """The button with widget key WIDGET_KEYS[name], else the one labelled LABELS[name]."""
        by_key = self.page.locator(f".{KEY.format(WIDGET_KEYS[name])} button")
        if by_key.count():
            return by_key.first
        by_label = self.page.get_by_role("button", name=re.compile(re.escape(LABELS[name])))
        if by_label.count():
            return by_label.first
        raise LookupError(f"no button with key {WIDGET_KEYS[name]!r} or label "
                          f"{LABELS[name]!r}; update WIDGET_KEYS / LABELS in "
                          "bench/browser_latency.py")

    def has_key(self, name):
        return self.page.locator(f".{KEY.format(WIDGET_KEYS[name])}").count() > 0

    def tabs(self):
        tabs = self.page.locator(SEL["tab"])
        return [tabs.nth(i).inner_text().strip() for i in range(tabs.count())]

    def open_tab(self, name):
        tab = self.page.get_by_role("tab", name=name, exact=True)
        if tab.get_attribute("aria-selected") == "true":
            return None
        return self.measure("tab", self.at(tab), f"opening tab {name}", want=name)

    def option(self, name, option):
        """Open the selectbox WIDGET_KEYS[name]; return ``option`` in its list (the timed
        input is the click on it)."""
        box = self.page.locator(f".{KEY.format(WIDGET_KEYS[name])}")
        box = box.first if box.count() else self.page.get_by_label(LABELS[name], exact=True)
        box.click()
        opt = self.page.locator(SEL["option"]).filter(
            has_text=re.compile(rf"^\s*{re.escape(option)}\s*$"))
        opt.first.wait_for(timeout=10_000)
        return self.at(opt.first)


# -- report ------------------------------------------------------------------------------
ROWS = []
PARTS = ("all", "client", "server", "after", "queued", "charts", "spec_kb", "kb", "longtask",
         "page_cpu", "server_cpu")


def med(xs):
    xs = [x for x in xs if not math.isnan(x)]
    return statistics.median(xs) if xs else float("nan")


def record(name, results, target=""):
    totals = [r["total"] for r in results]
    row = {"name": name, "n": len(results), "median": med(totals), "worst": max(totals),
           "target": target, **{p: med([r[p] for r in results]) for p in PARTS}}
    ROWS.append(row)
    print(f"  {name:<44} median {row['median']:6.0f} ms  worst {row['worst']:6.0f} ms  "
          f"(all charts {row['all']:.0f}; server {row['server']:.0f}, "
          f"after {row['after']:.0f}, "
          f"{row['charts']:.0f} charts / {row['spec_kb']:.0f} KB of figures; CPU browser "
          f"{row['page_cpu']:.0f}, server {row['server_cpu']:.0f})", flush=True)
    return row


def print_table():
    print("\n| measurement | n | median ms | worst ms | target | all charts | client | server "
          "| after | queued | charts sent | figure KB | KB recv | long tasks ms | browser CPU ms "
          "| server CPU ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    def f(x):
        return "" if math.isnan(x) else f"{x:.0f}"
    for r in ROWS:
        print(f"| {r['name']} | {r['n']} | {f(r['median'])} | {f(r['worst'])} | "
              f"{r['target']} | " + " | ".join(f(r[p]) for p in PARTS) + " |")


# -- sections ----------------------------------------------------------------------------
def first_screen(page, trials):
    record("first screen ready", [page.open() for _ in range(trials)], TARGETS["first"])


def step_in_views(page, trials, views=None):
    for view in [v for v in page.tabs() if not views or v in views]:
        page.open_tab(view)
        results = [page.measure("iteration", page.at(page.button("step")),
                                f"Step in {view}")
                   for _ in range(trials)]
        record(f"Step in {view}", results,
               TARGETS["step_default" if view == FIRST_VIEW else "step"])


def tab_switches(page, trials):
    views = page.tabs()
    other = next(v for v in views if v != FIRST_VIEW)
    results = []
    for _ in range(trials):
        page.open_tab(other)
        results.append(page.open_tab(FIRST_VIEW))
    record(f"open tab {FIRST_VIEW} (from {other})", results)


def timestep_controls(page, trials):
    """Walk one way, as a student does (each t new, so nothing comes from the browser's
    message cache), turning back only at the window's edge."""
    page.open_tab(EXPLORER)
    key = f".{KEY.format(WIDGET_KEYS['timestep'])}"
    slider = page.page.locator(", ".join(f"{key} {s}" for s in SEL["slider"].split(", ")))
    if not slider.count():
        slider = page.page.get_by_role("slider", name=LABELS["timestep"])
    results, arrow = [], "ArrowLeft"
    for _ in range(trials):
        if page.snapshot()["t"] == 0:
            arrow = "ArrowRight"
        slider.first.focus()
        results.append(page.measure(
            "timestep", lambda arrow=arrow: page.page.keyboard.press(arrow), "slider"))
    record("timestep slider (arrow key)", results, TARGETS["timestep"])
    results, name = [], "next"                     # walking backward, Next is t-1
    for _ in range(trials):
        if page.button(name).is_disabled():
            name = "prev"
        results.append(page.measure("timestep", page.at(page.button(name)), LABELS[name]))
    record("Previous / Next", results, TARGETS["timestep"])


def preset_switch(page, trials):
    results = []
    for i in range(trials):
        name = PRESETS[i % len(PRESETS)]
        results.append(page.measure("text", page.option("preset", name),
                                    f"preset {name}", want=PRESET_SHOWN.format(name=name)))
    record("preset switch", results)


def engine_rate(seconds=3.0):
    """Iterations per second of the bare engine (Trainer.run) at the default preset."""
    import engine
    preset = engine.PRESETS[PRESETS[-1]]
    trainer = engine.Trainer(preset.text, **preset.settings)
    trainer.run(50)
    rates, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        trainer.run(100)
        rates.append(100 / (time.perf_counter() - t))
    return statistics.median(rates)


def zoom_a_chart(page):
    """Drag-zoom the x axis of one chart, as a user would; returns its x axis state."""
    drag = page.page.locator(ZOOM_CHART).locator(".nsewdrag").first
    if not drag.count():
        return None
    drag.scroll_into_view_if_needed()
    b = drag.bounding_box()
    y = b["y"] + b["height"] / 2
    page.page.mouse.move(b["x"] + b["width"] * 0.3, y)
    page.page.mouse.down()
    page.page.mouse.move(b["x"] + b["width"] * 0.6, y, steps=8)
    page.page.mouse.up()
    page.page.wait_for_timeout(300)
    return page.page.evaluate("__lat.xRange", ZOOM_CHART)


def unpaced(page):
    """Set "Iterations per refresh (at most)" to its largest value; returns it as shown.
    A lesson paces live training for a class to follow (min-char-rnn: 200 a refresh, a
    refresh about every 1.3 s: some 150 iterations/s), which is the lesson's choice; the
    live rate measures what the live loop can carry."""
    thumb = page.page.locator(f".{KEY.format(WIDGET_KEYS['pace'])} input[type='range']")
    thumb.focus()
    thumb.press("End")
    page.page.wait_for_timeout(1500)
    return thumb.get_attribute("aria-valuetext") or thumb.input_value()


def live(page, seconds, bare_rate, views=LIVE_VIEWS):
    """Run for ``seconds`` in each live view: the rate the page shows, refreshes seen,
    charts remounted, blank frames, whether a user's zoom survives; then Pause."""
    for view in views:
        page.open()
        page.open_tab(view)
        pace = unpaced(page)
        zoom = zoom_a_chart(page)
        page.button("run").click()
        page.page.wait_for_timeout(1500)               # the first refreshes
        sent0 = len(page.wire.sent)
        recv0 = len(page.wire.recv)
        out = page.page.evaluate(LIVE_JS, [SEL, ITERATION_RE, TIMESTEP_RE, seconds,
                                           ZOOM_CHART])
        wire_recv = page.wire.recv[recv0:]
        server_runs = sum(m["status"] == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"
                          for m in wire_recv)
        requests = sum(m["auto"] for m in page.wire.sent[sent0:])
        pause = page.measure("paused", page.at(page.button("pause")), "Pause after live",
                             quiet=PAUSE_QUIET_MS)
        its = out["its"]
        span = (its[-1][0] - its[0][0]) / 1000 if len(its) > 1 else 0
        rate = (its[-1][1] - its[0][1]) / span if span > 0 else float("nan")
        shown = len({i for _, i in its})
        print(f"  live in {view}: {rate:,.0f} iterations/s shown = {rate / bare_rate:.2f} "
              f"of the bare engine ({bare_rate:,.0f}/s), at most {pace} iterations a "
              f"refresh")
        print(f"    in {seconds:.0f} s: {requests} auto-rerun requests sent, {server_runs} "
              f"fragment runs finished by the server, {shown} iterations shown, "
              f"{out['frames']} frames painted (longest gap {out['longestGap']:.0f} ms), "
              f"{sum(m['size'] for m in wire_recv) / 1024 / seconds:.0f} KB/s received")
        print(f"    charts: {out['maxPlots']} at most, {out['lowPlots']} at least; "
              f"{out['removed']} chart nodes removed ({out['removed'] / max(shown, 1):.1f} "
              f"per refresh shown); first chart element still mounted: "
              f"{out['handleSurvived']}; frames with fewer charts: {out['fewer']}, with "
              f"faded (stale) elements: {out['faded']} of {out['frames']}")
        print(f"    blank main view: {out['blankMs']:.0f} ms in all, longest "
              f"{out['longestBlank']:.0f} ms")
        if zoom is None:
            print("    zoom: no zoomable chart found (ZOOM_CHART)")
        else:
            kept = bool(out["zoomAfter"]) and out["zoomAfter"]["auto"] is False
            print(f"    zoom: x range {zoom['range']} before Run; after the refreshes "
                  f"{'kept' if kept else 'LOST'} ({out['zoomAfter']})")
        print(f"    Pause after {seconds:.0f} s live: {pause['total']:.0f} ms (server "
              f"{pause['server']:.0f}, {pause['backlog']} runs finished after the click)")
        ROWS.append({"name": f"live in {view}: iterations/s shown / bare engine = "
                             f"{rate / bare_rate:.2f}", "n": 1, "median": float("nan"),
                     "worst": float("nan"), "target": TARGETS["rate"],
                     **{p: float("nan") for p in PARTS}})
        ROWS.append({"name": f"Pause in {view} after {seconds:.0f} s live", "n": 1,
                     "median": pause["total"], "worst": pause["total"],
                     "target": TARGETS["pause"], **{p: pause[p] for p in PARTS}})


def pause_trials(page, trials, view=FIRST_VIEW, label="Pause"):
    page.open_tab(view)
    results = []
    for _ in range(trials):
        page.at(page.button("run"))()
        page.page.wait_for_timeout(3000)
        r = page.measure("paused", page.at(page.button("pause")), label,
                         quiet=PAUSE_QUIET_MS)
        print(f"    {label}: {r['total']:.0f} ms (server {r['server']:.0f} ms, "
              f"{r['backlog']} runs finished after the click"
              + (f", main view blank in {r['blank']} of {r['frames']} frames" if r["blank"]
                 else "") + ")", flush=True)
        results.append(r)
    record(f"{label} in {view}, 3 s after Run", results, TARGETS["pause"])


def comparison(page, trials, pause_n):
    if not page.has_key("comparison"):
        print("  comparison: skipped, the app has no selectbox with key "
              f"'{WIDGET_KEYS['comparison']}' yet (4-run comparisons come with the runs "
              "issue); rerun this script once it exists.")
        return
    try:
        import engine
        four = [n for n, c in engine.COMPARISONS.items() if len(c.runs) == 4]
    except (ImportError, AttributeError):
        four = []
    page.page.locator(f".{KEY.format(WIDGET_KEYS['comparison'])}").click()
    options = [o.strip() for o in page.page.locator(SEL["option"]).all_inner_texts()]
    page.page.keyboard.press("Escape")
    name = (next((o for o in options if any(n in o for n in four)), None)
            or next((o for o in options if o and "none" not in o.lower()), None))
    if name is None:
        print(f"  comparison: nothing to choose among {options}; skipped.")
        return
    try:
        n = len(engine.COMPARISONS[name].runs)
    except (NameError, KeyError, AttributeError):
        n = 2
    # the status line names the focused run "of n" once the comparison is on screen
    r = page.measure("text", page.option("comparison", name), f"comparison {name}",
                     want=f"of {n} ·")
    record(f"choose comparison {name!r}", [r])
    for view in page.tabs()[:3]:
        page.open_tab(view)
        results = [page.measure("iteration", page.at(page.button("step")),
                                f"{n} runs, {view}") for _ in range(trials)]
        record(f"Step, {n} runs, in {view}", results, TARGETS["step"])
    pause_trials(page, pause_n, FIRST_VIEW, f"Pause, {n} runs,")


SECTIONS = ("first", "step", "tabs", "timestep", "preset", "live", "pause", "comparison")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=7)
    ap.add_argument("--pause-trials", type=int, default=5)
    ap.add_argument("--live-seconds", type=float, default=10.0)
    ap.add_argument("--only", default=",".join(SECTIONS), help=",".join(SECTIONS))
    ap.add_argument("--wait-chromium", type=float, default=900.0,
                    help="seconds to wait for /usr/bin/chromium to be installed")
    ap.add_argument("--views", default="",
                    help="comma-separated views for Step and live (default: all for Step, "
                         f"{', '.join(LIVE_VIEWS)} for live)")
    ap.add_argument("--height", type=int, default=VIEWPORT["height"],
                    help="the window's height in px: what is on screen decides which "
                         "charts a click waits for, so compare layouts at several")
    ap.add_argument("--headed", action="store_true")
    args = ap.parse_args()
    VIEWPORT["height"] = args.height
    only = set(args.only.split(","))
    views = [v.strip() for v in args.views.split(",") if v.strip()]
    if only - set(SECTIONS):
        sys.exit(f"--only: unknown section(s) {sorted(only - set(SECTIONS))}; "
                 f"choose from {','.join(SECTIONS)}")
    wait_for_chromium(args.wait_chromium)
    from playwright.sync_api import sync_playwright

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(other processes slow every figure; compare runs made under similar load)")
    bare = engine_rate() if "live" in only else None      # before the server competes
    server = Server()
    print(f"streamlit at {server.url} (log {server.log_path}); {args.trials} trials each")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, headless=not args.headed,
                args=[a for a in CHROMIUM_ARGS if not (args.headed and a == "--headless")])
            page = Page(browser, server)
            page.open()                        # warm the server's imports and caches
            if "first" in only:
                first_screen(page, args.trials)
            steps = [("step", lambda pg, n: step_in_views(pg, n, views)),
                     ("tabs", tab_switches), ("timestep", timestep_controls),
                     ("preset", preset_switch)]
            for name, section in steps:
                if name in only:
                    page.open()
                    section(page, args.trials)
            if "live" in only:
                live(page, args.live_seconds, bare, views or LIVE_VIEWS)
            if "pause" in only:
                page.open()
                pause_trials(page, args.pause_trials)
            if "comparison" in only:
                page.open()
                comparison(page, args.trials, args.pause_trials)
            browser.close()
    finally:
        server.stop()
    print_table()
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    tracebacks = server.tail(10**7).count("Traceback")
    if tracebacks:
        print(f"\nThe server logged {tracebacks} traceback(s): see {server.log_path}")


if __name__ == "__main__":
    main()
