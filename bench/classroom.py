"""A class on one server: N browser sessions, each pressing Run, against one
`streamlit run dashboard`, with Debian's Chromium (driven by Playwright) on the same
machine. For each N it prints:

  total it/s        iterations per second summed over the students, as their pages
                    show them (each page's status line, read every half second; a
                    page's rate runs from the first to the last change it showed)
  min/max           the slowest student's rate over the fastest's (1.0 = fair)
  first screen      a new student opening the page meanwhile: from the navigation to
                    the first screen drawn (status line shown, script finished, every
                    chart element has made its chart and none is pending; without the
                    middle condition the first screen could count as drawn while the
                    chart elements' script still loaded, and its charts were then drawn
                    during the first Step)
  Step median/worst that new student pressing Step 7 times: from the click until the
                    new iteration is on screen and the script has finished
  RSS warm/during/  the server process's resident memory after one visit (the app's
      after         imports loaded, that session expired), with the class training, and
                    AFTER_SECONDS after every page was closed (the server is started with
                    --server.disconnectedSessionTTL DISCONNECTED_TTL, so the sessions
                    have expired by then); "+proc" adds the private memory of any
                    training processes (dashboard/pool.py)
  stops after       seconds from closing every page until the server and its children
                    use less than a tenth of a core

Times are taken in the Python driver (Playwright's round trip included) on whatever else
the machine runs: the load average is printed with each row. A benchmark, never a test.

With --profile it also prints where the machine's CPU went while the class trained and
while the newcomer stepped (cores used by the Chromium renderers, Chromium's other
processes, the web server's event-loop thread and its script threads, the training
processes, and everything else on the machine), and each Step split into the wait for
the server's first answer (queue), the server's script run (first to last message) and
the page's drawing (last message until settled), timed in the page.

Usage: python bench/classroom.py [--students 1,4,8,16] [--seconds 30] [--profile]
       [--root DIR]   (a checkout to serve, e.g. an older commit's worktree: its engine
                       and dashboard are imported instead of the installed ones)
"""
import argparse
import itertools
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows"]
VIEWPORT = {"width": 1400, "height": 1000}
JS = ROOT / "bench" / "js"         # the page scripts: JavaScript in .js files
PROBES = ROOT / "tests" / "js" / "probes.js"    # window.bpttProbes, the tests' page probes
SETTLED_JS = (JS / "classroom_settled.js").read_text(encoding="utf-8")
DISCONNECTED_TTL = 10
AFTER_SECONDS = 25
STEPS = 7

# Serve ``root``'s dashboard even when this venv has another checkout installed as an
# editable package (its finder would otherwise import that one's engine and dashboard).
LAUNCH = r"""
import sys
root = sys.argv[1]
sys.meta_path[:] = [f for f in sys.meta_path
                    if not getattr(f, "__module__", "").startswith("__editable__")]
sys.path_hooks[:] = [h for h in sys.path_hooks
                     if "__editable__" not in getattr(h, "__module__", repr(h))]
sys.path_importer_cache.clear()
sys.path.insert(0, root)
from streamlit.web import cli
sys.argv = ["streamlit", "run", root + "/dashboard/streamlit_app.py", *sys.argv[2:]]
sys.exit(cli.main())
"""


WS_LOG_JS = (JS / "classroom_websocket_log.js").read_text(encoding="utf-8")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg():
    return open("/proc/loadavg").read().split()[0]


def children(pid):
    """Every descendant of ``pid``."""
    kids = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for kid in kids.get(todo.pop(), []):
            out.append(kid)
            todo.append(kid)
    return out


def rss_mb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def private_mb(pid):
    try:
        text = open(f"/proc/{pid}/smaps_rollup").read()
    except OSError:
        return 0.0
    return sum(int(line.split()[1]) for line in text.splitlines()
               if line.startswith(("Private_Dirty", "Private_Clean"))) / 1024


def cpu_seconds(pids):
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / tick


class Server:
    def __init__(self, root):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, str(root), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.enableStaticServing", "true", "--runner.postScriptGC", "false",
             "--theme.base", "light",
             "--server.disconnectedSessionTTL", str(DISCONNECTED_TTL)],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(self.url + "/_stcore/health", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.5)
        self.proc.kill()
        raise RuntimeError("the server did not start")

    def memory(self):
        """(server RSS MB, private MB of its children: training processes)."""
        return rss_mb(self.proc.pid), sum(private_mb(p) for p in children(self.proc.pid))

    def cpu(self):
        return cpu_seconds([self.proc.pid, *children(self.proc.pid)])

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def open_student(browser, url, timeout_ms=180_000, log_ws=False):
    """A new student: (context, page, seconds until the first screen was drawn)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(path=PROBES)
    if log_ws:
        context.add_init_script(WS_LOG_JS)
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url, timeout=timeout_ms)
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=timeout_ms)
    page.wait_for_function(SETTLED_JS, arg=-1, timeout=timeout_ms)
    return context, page, time.perf_counter() - start


def iteration(page):
    try:
        return page.evaluate("bpttProbes.iteration")
    except Exception:
        return None


def rates(pages, seconds):
    """Each page's displayed training rate over ``seconds``: from the first change of
    its iteration to the last one it showed."""
    seen = [[] for _ in pages]
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for k, page in enumerate(pages):
            it = iteration(page)
            if it is not None and (not seen[k] or seen[k][-1][1] != it):
                seen[k].append((time.perf_counter(), it))
        time.sleep(0.5)
    out = []
    for marks in seen:
        if len(marks) < 3:
            out.append(0.0)
            continue
        (t0, i0), (t1, i1) = marks[1], marks[-1]      # marks[0]: not a change seen
        out.append((i1 - i0) / (t1 - t0) if t1 > t0 else 0.0)
    return out


def steps(page, n=STEPS, split=None):
    """Seconds of each of ``n`` Steps; with ``split`` (a list), each Step's (queue,
    server, page) seconds are appended to it, timed by the page (WS_LOG_JS)."""
    times = []
    for _ in range(n):
        before = iteration(page)
        if split is not None:
            page.evaluate("bpttWs.markNow")
        start = time.perf_counter()
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_function(SETTLED_JS, arg=before, timeout=120_000)
        times.append(time.perf_counter() - start)
        if split is not None:
            split.append(page.evaluate(STEP_SPLIT_JS))
        page.wait_for_timeout(300)
    return times


STEP_SPLIT_JS = (JS / "classroom_step_split.js").read_text(encoding="utf-8")


# messages the page sent: once its student has pressed Run, its pacer's requests
REFRESHES_JS = "bpttWs.sent.length"


class CpuProfile:
    """CPU seconds by part of the machine, read from /proc at marks."""
    PARTS = ("renderers", "chromium other", "server loop", "server scripts", "training",
             "server other children", "rest of machine", "idle")

    def __init__(self, server):
        self.server = server
        self.marks = []
        self.refreshes = 0          # the class's pages' script runs while it trained

    @staticmethod
    def _stat(pid, task=None):
        path = f"/proc/{pid}/task/{task}/stat" if task else f"/proc/{pid}/stat"
        try:
            fields = open(path).read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return fields

    def read(self):
        tick = os.sysconf("SC_CLK_TCK")
        out = dict.fromkeys(self.PARTS, 0.0)
        cpu = open("/proc/stat").readline().split()[1:]
        values = [int(x) for x in cpu]
        machine = sum(values[:8]) / tick
        out["idle"] = (values[3] + values[4]) / tick
        server = self.server.proc.pid
        kids = set(children(server))
        seen = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            pid = int(stat.parent.name)
            fields = self._stat(pid)
            if fields is None:
                continue
            used = (int(fields[11]) + int(fields[12])) / tick
            seen += used
            if pid == server:
                main = self._stat(pid, pid)
                loop = (int(main[11]) + int(main[12])) / tick if main else 0.0
                out["server loop"] += loop
                out["server scripts"] += used - loop
                continue
            if pid in kids:
                out["training" if int(fields[16]) > 0 else "server other children"] += used
                continue
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ")
            except OSError:
                cmd = b""
            if b"chromium" in cmd or b"chrome" in cmd:
                out["renderers" if b"--type=renderer" in cmd else "chromium other"] += used
        out["rest of machine"] = max(0.0, machine - out["idle"] - sum(
            out[k] for k in self.PARTS[:6]))
        return time.perf_counter(), out

    def mark(self, name):
        self.marks.append((name, *self.read()))

    def report(self):
        """Lines: cores used by each part between consecutive marks."""
        lines = []
        for (_, t0, a), (name, t1, b) in itertools.pairwise(self.marks):
            wall = t1 - t0
            parts = ", ".join(f"{k} {(b[k] - a[k]) / wall:.2f}" for k in self.PARTS)
            lines.append(f"    cores during {name} ({wall:.0f} s): {parts}")
        if len(self.marks) > 1:
            wall = self.marks[1][1] - self.marks[0][1]
            painted = self.marks[1][2]["renderers"] - self.marks[0][2]["renderers"]
            lines.append(f"    the class's pages refreshed {self.refreshes / wall:.2f} times a "
                         f"second in all, {painted / max(1, self.refreshes):.2f} renderer "
                         "CPU-seconds per refresh")
        return lines


def stops_after(server, limit=45.0):
    """Seconds until the server's process tree uses under a tenth of a core."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        c0, t0 = server.cpu(), time.perf_counter()
        time.sleep(1.0)
        if (server.cpu() - c0) / (time.perf_counter() - t0) < 0.1:
            return time.perf_counter() - start
    return float("inf")


def classroom(browser, root, students, seconds, profile=False):
    server = Server(root)
    cpu = CpuProfile(server) if profile else None
    try:
        context, _, _ = open_student(browser, server.url)     # the app's imports loaded,
        context.close()                                       # its one session expired
        time.sleep(DISCONNECTED_TTL + 5)
        fresh = server.memory()
        pages = []
        for _ in range(students):
            context, page, _ = open_student(browser, server.url, log_ws=profile)
            page.get_by_role("button", name="Run", exact=True).click()
            pages.append((context, page))
        time.sleep(5)                                   # every page is refreshing live
        if cpu:
            cpu.mark("start")
            before = [p.evaluate(REFRESHES_JS) for _, p in pages]
        per = rates([p for _, p in pages], seconds)
        if cpu:
            cpu.refreshes = sum(p.evaluate(REFRESHES_JS) for _, p in pages) - sum(before)
        during = server.memory()
        if cpu:
            cpu.mark("the class training")
        context, newcomer, first = open_student(browser, server.url, log_ws=profile)
        if cpu:
            cpu.mark("the newcomer's first screen")
        split = [] if profile else None
        step_times = steps(newcomer, split=split)
        if cpu:
            cpu.mark("the newcomer's Steps")
        context.close()
        load = loadavg()
        for context, _ in pages:
            context.close()
        stopped = stops_after(server)
        time.sleep(max(0.0, AFTER_SECONDS - stopped))
        after = server.memory()
        return {"N": students, "total": sum(per), "min": min(per), "max": max(per),
                "first": first, "step_med": statistics.median(step_times),
                "step_max": max(step_times), "fresh": fresh, "during": during,
                "after": after, "stopped": stopped, "load": load,
                "profile": cpu.report() if cpu else [],
                "split": split or []}
    finally:
        server.close()


def row(r):
    fair = r["min"] / r["max"] if r["max"] else 0.0
    mem = "{:.0f}{}".format
    extra = (lambda m: f"+{m[1]:.0f}" if m[1] >= 1 else "")
    return (f"{r['N']:>3} | {r['total']:>7,.0f} | {r['min']:>6,.0f} / {r['max']:<6,.0f} "
            f"({fair:.2f}) | {r['first']:5.1f} s | {r['step_med']:.2f} s ({r['step_max']:.2f})"
            f" | {mem(r['fresh'][0], extra(r['fresh']))} -> "
            f"{mem(r['during'][0], extra(r['during']))} -> "
            f"{mem(r['after'][0], extra(r['after']))} MB | {r['stopped']:4.1f} s | {r['load']}")


HEADER = ("  N | total it/s | slowest / fastest (min/max) | first screen | Step median "
          "(worst) | RSS warm -> during -> after | stops after | load")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", default="1,4,8,16")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--root", default=str(ROOT))
    parser.add_argument("--profile", action="store_true",
                        help="also print where the CPU went and each Step's parts")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    root = Path(args.root).resolve()
    commit = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h %s"],
                            capture_output=True, text=True).stdout.strip()
    print(f"serving {root} ({commit}); {os.cpu_count()} cores; load {loadavg()}",
          flush=True)
    print(HEADER, flush=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for n in (int(x) for x in args.students.split(",")):
            try:
                r = classroom(browser, root, n, args.seconds, args.profile)
                print(row(r), flush=True)
                for line in r["profile"]:
                    print(line, flush=True)
                for k, (queue, drawn, page) in enumerate(r["split"]):
                    print(f"    Step {k + 1}: queue {queue:.2f} s, server {drawn:.2f} s, "
                          f"page {page:.2f} s", flush=True)
            except Exception as err:        # e.g. a page that never loaded: say so, go on
                print(f"{n:>3} | failed: {type(err).__name__}: {str(err)[:120]} | "
                      f"load {loadavg()}", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
