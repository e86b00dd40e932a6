"""A timestamping TCP proxy between the browser and `streamlit run`, for
browser_latency.py.

It records when each websocket message of Streamlit's stream passes, in wall-clock ms
and in both directions. Timestamps taken in the browser (even Chromium's DevTools
network events) come from the page's main thread, so while plotly is drawing they say
when the page got round to a message, not when the server sent it. The proxy sees the
bytes as they leave the server, which separates "the server took long" from "the page
had a backlog". It never waits for the browser to take the bytes (that would delay
the timestamps by the page's backlog). It strips Sec-WebSocket-Extensions from the
upgrade request so that frames are not compressed and can be read.
"""
import asyncio
import struct
import threading
import time

STREAM_PATH = b"/_stcore/stream"


class Frames:
    """Incremental websocket frame reader for one direction; calls ``emit(t, payload)``
    once per complete message (continuation frames joined, control frames skipped)."""

    def __init__(self, emit):
        self.emit, self.buf, self.parts = emit, bytearray(), []

    def feed(self, data, now):
        self.buf += data
        while True:
            if len(self.buf) < 2:
                return
            b0, b1 = self.buf[0], self.buf[1]
            n, pos = b1 & 0x7F, 2
            if n == 126:
                if len(self.buf) < 4:
                    return
                n, pos = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    return
                n, pos = struct.unpack(">Q", self.buf[2:10])[0], 10
            mask = None
            if b1 & 0x80:
                mask, pos = self.buf[pos:pos + 4], pos + 4
            if len(self.buf) < pos + n:
                return
            payload = bytes(self.buf[pos:pos + n])
            del self.buf[:pos + n]
            if mask is not None:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) \
                    if n < 4096 else _unmask(payload, mask)
            opcode = b0 & 0x0F
            if opcode >= 8:                      # close / ping / pong
                continue
            self.parts.append(payload)
            if b0 & 0x80:                        # FIN
                self.emit(now, b"".join(self.parts))
                self.parts = []


def _unmask(payload, mask):
    m = (bytes(mask) * (len(payload) // 4 + 1))[:len(payload)]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(m, "little")).to_bytes(
        len(payload), "little")


class Proxy:
    """Listen on 127.0.0.1:``port``, forward to 127.0.0.1:``upstream``. For the stream
    connection, ``on_message(direction, t_ms, payload)`` with direction "sent" (browser
    to server) or "recv" (server to browser). Runs in its own thread."""

    def __init__(self, port, upstream, on_message):
        self.port, self.upstream, self.on_message = port, upstream, on_message
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError(f"the timing proxy could not listen on port {port}")

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port))
        self.ready.set()
        self.loop.run_forever()

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def _client(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            writer.close()
            return
        head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
        stream = head.split(b"\r\n", 1)[0].find(STREAM_PATH) >= 0
        if stream:                                # uncompressed frames, so we can read them
            head = b"\r\n".join(line for line in head.split(b"\r\n")
                                if not line.lower().startswith(b"sec-websocket-extensions"))
        up_writer.write(head)
        sent = Frames(lambda t, p: self.on_message("sent", t, p)) if stream else None
        recv = Frames(lambda t, p: self.on_message("recv", t, p)) if stream else None
        await asyncio.gather(self._pipe(reader, up_writer, sent, skip_head=False),
                             self._pipe(up_reader, writer, recv, skip_head=stream),
                             return_exceptions=True)

    async def _pipe(self, reader, writer, frames, skip_head):
        pending_head = skip_head
        try:
            while True:
                data = await reader.read(1 << 16)
                if not data:
                    break
                now = time.time() * 1000
                writer.write(data)
                if frames is not None:
                    if pending_head:               # the server's 101 response
                        i = data.find(b"\r\n\r\n")
                        if i < 0:
                            continue
                        data, pending_head = data[i + 4:], False
                    frames.feed(data, now)
                # No drain(): reading on while the browser is slow to consume keeps the
                # timestamps at the moment the server sent each message (the buffer only
                # moves from the server's socket into this process).
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
