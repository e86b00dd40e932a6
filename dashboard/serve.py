"""``bpttscope serve --workers N``: a class on several server processes.

One Streamlit server runs every session's page in one interpreter: its drawing uses at
most one core however many the machine has (training does not count: it runs in
processes of its own, dashboard/pool.py). For a larger class, this starts N servers on
consecutive ports and a sticky proxy in front of them (dashboard/sticky_proxy.py), so
students open one address and each stays on one server. A session needs nothing from
another server (a link rebuilds its state anywhere), so servers can also be on
different machines behind any proxy with sticky sessions (deploy/nginx.conf).

    bpttscope serve --workers 2 --port 8501 --address 0.0.0.0

serves the class on port 8501 of every interface; the servers listen on 127.0.0.1,
ports 8502 and 8503. With --no-proxy only the servers start (on --address), for a proxy
of your own. Other arguments go to every `streamlit run`. Ctrl-C or SIGTERM stops all.
"""
import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from dashboard import launcher
from dashboard.sticky_proxy import StickyProxy

APP = Path(__file__).resolve().parent / "streamlit_app.py"
# as `bpttscope` runs it (dashboard/cli.py; tests/test_serve.py checks they agree)
# static serving for the charts' plotly.js; no full garbage collection after every run
# (dashboard/server.py); the light theme the charts are drawn for; no usage statistics
# (the page would reach the internet); no Deploy button for students.
STREAMLIT_SETTINGS = ["--server.enableStaticServing", "true", "--runner.postScriptGC",
                      "false", "--theme.base", "light", "--browser.gatherUsageStats",
                      "false", "--client.toolbarMode", "viewer"]


def parse(argv):
    parser = argparse.ArgumentParser(
        prog="bpttscope serve", description="Serve BPTT Scope to a class: N server "
        "processes behind one sticky proxy.",
        epilog="Other arguments are passed to every `streamlit run`.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="server processes (default: one per core)")
    parser.add_argument("--port", type=int, default=8501,
                        help="the address students open; servers use the next ports")
    parser.add_argument("--address", default="127.0.0.1",
                        help="interface to listen on (0.0.0.0: every interface)")
    parser.add_argument("--no-proxy", action="store_true",
                        help="start only the servers, for a proxy of your own")
    args, extra = parser.parse_known_args(argv)
    if not 1 <= args.workers <= 64:
        parser.error(f"--workers must be between 1 and 64, not {args.workers}")
    if not 1 <= args.port <= 65535 - args.workers:
        parser.error(f"--port {args.port} leaves no room for {args.workers} server ports")
    return args, extra


def app():
    """The script every server runs: bpttscope's launcher in the user's cache, with the
    plotly.js it serves beside it (dashboard/launcher.py: nothing written into the package)."""
    return launcher.prepare(launcher.cache_root())


def server_command(port, address, extra, script=None):
    script = app() if script is None else script
    return [sys.executable, "-m", "streamlit", "run", str(script), *STREAMLIT_SETTINGS,
            "--server.headless", "true", "--server.port", str(port),
            "--server.address", address, *extra]


def wait_healthy(ports, timeout=120.0):
    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"bpttscope serve: the server on port {port} did not "
                                 f"start within {timeout:.0f} s.")
            time.sleep(0.5)


def main(argv=None):
    """``argv``: the arguments after ``serve``."""
    args, extra = parse(sys.argv[1:] if argv is None else argv)
    ports = [args.port + k for k in range(1, args.workers + 1)]
    if args.no_proxy:
        ports = [args.port + k for k in range(args.workers)]
    inner = args.address if args.no_proxy else "127.0.0.1"
    script = app()
    servers = [subprocess.Popen(server_command(p, inner, extra, script)) for p in ports]

    def stop(*_):
        for s in servers:
            if s.poll() is None:
                s.terminate()
        for s in servers:
            try:
                s.wait(timeout=20)
            except subprocess.TimeoutExpired:
                s.kill()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        wait_healthy(ports)
        where = ", ".join(f"{inner}:{p}" for p in ports)
        if args.no_proxy:
            print(f"bpttscope serve: {args.workers} servers on {where}", flush=True)
            while all(s.poll() is None for s in servers):
                time.sleep(1)
            return 1
        proxy = StickyProxy([("127.0.0.1", p) for p in ports])
        print(f"bpttscope serve: http://{args.address}:{args.port} -> {where}", flush=True)
        asyncio.run(proxy.serve(args.address, args.port))
    except KeyboardInterrupt:
        pass
    finally:
        stop()


if __name__ == "__main__":
    main()
