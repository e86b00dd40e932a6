"""A class on several server processes: `bpttscope serve --workers N` (its sticky proxy
keeps each browser on one server) and deploy/nginx.conf, with pages opened through them
in Chromium."""
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from test_browser import ARGS, CHROMIUM, PROBES, free_port

from dashboard import serve, sticky_proxy

ROOT = Path(__file__).resolve().parents[1]


def test_the_cookie_names_a_server_and_is_given_to_browsers_without_one():
    head = (b"GET /_stcore/stream HTTP/1.1\r\nHost: x\r\n"
            b"Cookie: a=1; bpttscope_server=1; b=2\r\n\r\n")
    assert sticky_proxy.backend_of(head, 2) == 1
    assert sticky_proxy.backend_of(head, 1) is None          # no such server: a new one
    assert sticky_proxy.backend_of(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 2) is None
    assert sticky_proxy.backend_of(b"GET / HTTP/1.1\r\nCookie: xbpttscope_server=1\r\n"
                                   b"\r\n", 2) is None
    response = sticky_proxy.with_cookie(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1)
    assert response.startswith(b"HTTP/1.1 200 OK\r\nSet-Cookie: bpttscope_server=1; Path=/")
    assert response.endswith(b"Content-Length: 0\r\n\r\n")


def test_serve_runs_streamlit_as_bpttscope_does(monkeypatch):
    from streamlit.web import cli as stcli

    from dashboard import cli
    seen = {}
    monkeypatch.setattr(stcli, "main", lambda: seen.setdefault("argv", list(sys.argv)))
    cli.main([])
    command = serve.server_command(8502, "127.0.0.1", ["--server.maxUploadSize", "5"])
    assert command[command.index("run") + 1] == seen["argv"][2]      # the same app
    for flag in ("--server.enableStaticServing", "--runner.postScriptGC", "--theme.base"):
        assert command[command.index(flag) + 1] == seen["argv"][seen["argv"].index(flag) + 1]
    assert command[-2:] == ["--server.maxUploadSize", "5"]
    with pytest.raises(SystemExit):
        serve.parse(["--workers", "0"])


def test_cli_hands_serve_to_dashboard_serve(monkeypatch):
    from dashboard import cli
    seen = []
    monkeypatch.setattr(serve, "main", lambda argv: seen.append(argv) or 0)
    assert cli.main(["serve", "--workers", "3"]) == 0
    assert seen == [["--workers", "3"]]


def _http_backends():
    """Two tiny HTTP servers that answer with their own index, behind a StickyProxy."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    def handler(index):
        class Reply(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                body = str(index).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        return Reply
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), handler(k)) for k in range(2)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    return servers


def test_the_proxy_spreads_new_browsers_and_keeps_each_on_its_server():
    servers = _http_backends()
    proxy = sticky_proxy.StickyProxy([s.server_address for s in servers])
    loop, ready = asyncio.new_event_loop(), threading.Event()
    where = {}

    def started(server):
        where["port"] = server.sockets[0].getsockname()[1]
        ready.set()
    threading.Thread(target=lambda: loop.run_until_complete(
        proxy.serve("127.0.0.1", 0, started)), daemon=True).start()
    assert ready.wait(10)
    url = f"http://127.0.0.1:{where['port']}/"

    def get(cookie=None):
        request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.read().decode(), reply.headers.get("Set-Cookie")
    first, second = get(), get()
    assert {first[0], second[0]} == {"0", "1"}                  # round-robin for new ones
    assert first[1].startswith(f"bpttscope_server={first[0]};")
    for _ in range(4):                                          # then always the same one
        assert get(f"bpttscope_server={second[0]}") == (second[0], None)
    for s in servers:
        s.shutdown()


def wait_healthy(url, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).status == 200:
                return
        except OSError:
            assert proc.poll() is None, "the servers ended"
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer")


def students_through(url, count=2):
    """Open ``count`` browsers on ``url``, press Step in each, reload the first; return
    each browser's cookie naming its server."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        contexts, cookies = [], []
        for _ in range(count):
            context = browser.new_context(viewport={"width": 1300, "height": 900})
            context.add_init_script(path=PROBES)
            page = context.new_page()
            page.goto(url)
            page.get_by_role("button", name="Step", exact=True).wait_for(timeout=90_000)
            page.wait_for_function("bpttProbes.iterationIs", arg=1, timeout=90_000)
            page.get_by_role("button", name="Step", exact=True).click()
            page.wait_for_function("bpttProbes.iterationIs", arg=2, timeout=90_000)
            contexts.append((context, page))
            cookies.append({c["name"]: c["value"] for c in context.cookies()}
                           ["bpttscope_server"])
        context, page = contexts[0]
        page.reload()                # a new session on the same server, from the link
        page.get_by_role("button", name="Step", exact=True).wait_for(timeout=90_000)
        page.wait_for_function("bpttProbes.iterationIs", arg=2, timeout=90_000)
        assert {c["name"]: c["value"] for c in context.cookies()}["bpttscope_server"] \
            == cookies[0]
        browser.close()
    return cookies


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_bpttscope_serve_two_workers_behind_its_proxy():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.serve", "--workers", "2",
                             "--port", str(port)], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        assert sorted(students_through(f"http://127.0.0.1:{port}")) == ["0", "1"]
    finally:
        proc.send_signal(signal.SIGTERM)               # stops the servers too
        proc.wait(timeout=60)
    for k in (1, 2):
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port + k}/_stcore/health", timeout=2)


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("nginx") is None or not Path(CHROMIUM).exists(),
                    reason="nginx or chromium is not installed")
def test_deploy_nginx_conf_keeps_each_browser_on_one_server(tmp_path):
    base, front = free_port(), free_port()
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = (conf.replace("127.0.0.1:8501", f"127.0.0.1:{base}")
            .replace("127.0.0.1:8502", f"127.0.0.1:{base + 1}")
            .replace("listen 8080", f"listen 127.0.0.1:{front}")
            .replace("/tmp/bpttscope-nginx", str(tmp_path / "nginx")))
    (tmp_path / "nginx.conf").write_text(conf)
    servers = subprocess.Popen([sys.executable, "-m", "dashboard.serve", "--workers", "2",
                                "--port", str(base), "--no-proxy"], cwd=ROOT,
                               start_new_session=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    nginx = None
    try:
        wait_healthy(f"http://127.0.0.1:{base + 1}", servers)
        nginx = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c",
                                  str(tmp_path / "nginx.conf"), "-e", "stderr",
                                  "-g", "daemon off;"])
        wait_healthy(f"http://127.0.0.1:{front}", nginx)
        cookies = students_through(f"http://127.0.0.1:{front}")
        assert all(len(c) >= 16 for c in cookies)              # a random key each
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=30)
        os.killpg(servers.pid, signal.SIGTERM)
        servers.wait(timeout=60)
