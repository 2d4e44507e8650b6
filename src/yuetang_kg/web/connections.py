"""HTTP connections that cannot be held open by a slow client.

uvicorn times out an idle kept-alive connection, but not one that sends its request line and headers a byte at
a time: a hundred such clients hold a hundred connections for as long as they like. Here every request's head
must arrive within ``header_timeout`` seconds of its first byte (or of the connection), else the connection is
closed. The body is bounded by the endpoint itself (``sparql.read_body``), which knows when it reads one.

Built on uvicorn's httptools protocol (a parser in C; h11's, in Python, cost more per request than the rest of a
cheap query's handling): like h11's, it starts a request's cycle only once the head is complete, which is what
the deadline checks.
"""

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def bounded_protocol(header_timeout: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol, closing connections whose request head is not complete in time."""

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._arm()  # the first byte of a further request on a kept-alive connection
            super().data_received(data)

        def connection_lost(self, exc) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._head_timer = self.loop.call_later(header_timeout, self._head_deadline, self.cycle)

        def _head_deadline(self, cycle_when_armed) -> None:
            self._head_timer = None
            if self.cycle is cycle_when_armed and not self.transport.is_closing():
                self.transport.close()  # no request began in time: nothing to answer, nothing to log

    return BoundedHttpToolsProtocol
