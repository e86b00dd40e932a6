"""A small reverse proxy that keeps each browser on one server process.

A Streamlit session lives in the server process its page's websocket reached; its
uploads (a text, a checkpoint) are posted over HTTP and must reach the same process,
and a page that reconnects after a network hiccup must find its session again. So a
browser is given a cookie naming its server process on its first response, and every
connection that carries the cookie goes to that process (any ordinary proxy does the
same: deploy/nginx.conf). Browsers without the cookie are spread round-robin.

It reads only the head of the first request on each connection (to choose the
process) and of the first response (to add the cookie when the browser has none);
everything else, websocket frames included, is copied as bytes. Nothing here imports
streamlit.
"""
import asyncio
import itertools
import re

COOKIE = "bpttscope_server"
_COOKIE_RE = re.compile(rb"(?:^|;)\s*" + COOKIE.encode() + rb"=(\d+)")
HEAD_LIMIT = 64 * 1024


def backend_of(head, count):
    """The server index a request head's cookie names, or None."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"cookie":
            match = _COOKIE_RE.search(value)
            if match and int(match[1]) < count:
                return int(match[1])
    return None


def with_cookie(head, index):
    """A response head with the cookie that sends this browser to server ``index``."""
    line = (f"Set-Cookie: {COOKIE}={index}; Path=/; HttpOnly; SameSite=Lax").encode()
    first, _, rest = head.partition(b"\r\n")
    return first + b"\r\n" + line + b"\r\n" + rest


async def _read_head(reader):
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        return None


async def _copy(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except (ConnectionError, OSError):
            pass


class StickyProxy:
    """Listens on (host, port); ``backends`` is a list of (host, port)."""

    def __init__(self, backends):
        self.backends = list(backends)
        self._next = itertools.cycle(range(len(self.backends)))

    async def handle(self, client_r, client_w):
        try:
            head = await _read_head(client_r)
        except (asyncio.IncompleteReadError, ConnectionError):
            client_w.close()
            return
        if head is None:
            client_w.close()
            return
        index = backend_of(head, len(self.backends))
        new = index is None
        if new:
            index = next(self._next)
        try:
            server_r, server_w = await asyncio.open_connection(*self.backends[index],
                                                               limit=HEAD_LIMIT)
        except OSError:
            client_w.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                           b"Connection: close\r\n\r\n")
            client_w.close()
            return
        server_w.write(head)
        upstream = asyncio.ensure_future(_copy(client_r, server_w))
        if new:
            try:
                response = await _read_head(server_r)
            except (asyncio.IncompleteReadError, ConnectionError):
                response = None
            if response is None:
                upstream.cancel()
                client_w.close()
                server_w.close()
                return
            client_w.write(with_cookie(response, index))
        await asyncio.gather(upstream, _copy(server_r, client_w))

    async def serve(self, host, port, started=None):
        server = await asyncio.start_server(self.handle, host, port, limit=HEAD_LIMIT)
        if started is not None:
            started(server)
        async with server:
            await server.serve_forever()
