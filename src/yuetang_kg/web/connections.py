"""HTTP connections that cannot be held open by a slow client.

uvicorn times out an idle kept-alive connection, but not one that sends its request line and headers a byte at
a time: a hundred such clients hold a hundred connections for as long as they like. Here every request's head
must arrive within ``header_timeout`` seconds of its first byte (or of the connection), else the connection is
closed. The body is bounded by the endpoint itself (``sparql.read_body``), which knows when it reads one.

Built on uvicorn's httptools protocol (a parser in C; h11's, in Python, cost more per request than the rest of a
cheap query's handling): like h11's, it starts a request's cycle only once the head is complete, which is what
the deadline checks.

An answer's head and its first body part also leave in one ``send``: uvicorn writes them apart, and on loopback
each ``send`` runs the receiver's TCP path and wakes it, in the sender's time (two sends were a quarter of the
server's CPU for a cheap query; see benchmarks/README.md). An app that has its whole answer at hand writes it
through the ``WHOLE_ANSWER`` extension of the request's scope, without uvicorn's two sends.
"""

import asyncio
from functools import partial

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

# The scope extension by which an app that has its answer whole (``sparql.Endpoint``) writes it in one go.
WHOLE_ANSWER = "yuetang.whole_answer"


def bounded_protocol(header_timeout: float):
    """uvicorn's httptools protocol, closing connections whose request head is not complete in time (a module-level
    class bound to its timeout, which uvicorn can hand to the processes of ``serve --processes``)."""
    return partial(BoundedHttpToolsProtocol, header_timeout=header_timeout)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    _head_timer: asyncio.TimerHandle | None = None

    def __init__(self, *args, header_timeout: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm()

    def on_headers_complete(self) -> None:
        before = self.cycle
        super().on_headers_complete()
        if self.cycle is not before:  # a request began (not an upgrade)
            self.cycle.transport = _HeadWithBody(self.transport, self.cycle, self.loop)
            self.scope.setdefault("extensions", {})[WHOLE_ANSWER] = partial(_write_whole, self.cycle)

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._arm()  # the first byte of a further request on a kept-alive connection
        super().data_received(data)

    def connection_lost(self, exc) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_deadline, self.cycle)

    def _head_deadline(self, cycle_when_armed) -> None:
        self._head_timer = None
        if self.cycle is cycle_when_armed and not self.transport.is_closing():
            self.transport.close()  # no request began in time: nothing to answer, nothing to log


class _HeadWithBody:
    """A cycle's view of the connection that holds the answer's head until the first body part, to send both at
    once; a head without a body part in the same turn of the loop (a streamed or empty answer) goes alone."""

    def __init__(self, transport, cycle, loop):
        self._transport, self._cycle, self._loop = transport, cycle, loop
        self._head: bytes | None = None
        self._sent_head = False

    def write(self, data: bytes) -> None:
        if not self._sent_head and self._cycle.response_started:  # the head (a "100 Continue" comes before it)
            self._sent_head = True
            self._head = data
            self._loop.call_soon(self._flush)
            return
        if self._head is not None:
            data, self._head = self._head + data, None
        self._transport.write(data)

    def write_whole(self, data: bytes) -> None:
        """A whole answer, head and body, at once (``_write_whole``)."""
        self._sent_head = True
        self._transport.write(data)

    def _flush(self) -> None:
        if self._head is not None and not self._transport.is_closing():
            self._transport.write(self._head)
        self._head = None

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name):  # everything else is the connection's own
        return getattr(self._transport, name)


async def _write_whole(cycle, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """What uvicorn's cycle does for an answer sent as ``http.response.start`` with its content-length and then
    its whole body, in one write of bytes joined once. ``headers`` are the app's own, never a client's text, so
    uvicorn's check of every name and value against injection is not repeated; together with the head held back
    for its body (``_HeadWithBody``) those two sends cost a cheap query more of the server's time than anything
    else of the protocol's (see benchmarks/README.md). ``tests/test_connections.py`` holds it to uvicorn's bytes.
    """
    if cycle.flow.write_paused and not cycle.disconnected:
        await cycle.flow.drain()
    if cycle.disconnected:
        return
    cycle.response_started = True
    cycle.waiting_for_100_continue = False
    scope = cycle.scope
    if cycle.access_log:
        cycle.access_logger.info('%s - "%s %s HTTP/%s" %d', get_client_addr(scope), scope["method"],
                                 get_path_with_query_string(scope), scope["http_version"], status)
    parts = [STATUS_LINE[status]]
    for name, value in (*cycle.default_headers, *headers):
        parts += (name, b": ", value, b"\r\n")
    if not cycle.keep_alive:
        parts.append(b"connection: close\r\n")
    parts.append(b"\r\n")
    if scope["method"] != "HEAD":
        parts.append(body)
    cycle.transport.write_whole(b"".join(parts))
    cycle.response_complete = True
    cycle.message_event.set()
    if not cycle.keep_alive:
        cycle.transport.close()
    cycle.on_response()
