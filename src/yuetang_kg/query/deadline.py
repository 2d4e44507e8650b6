"""HTTP exchanges with remote engines, each bounded by one overall deadline, and the check of their URLs.

urllib's timeout (and so SPARQLWrapper's) bounds each socket operation, not the exchange: a server that sends a
byte a second keeps a request alive for ever. Here a timer shuts the connection's socket down when the time is
up, which ends at once any read or write in progress, and every connect waits at most for the time left.

>>> check_url("http://[::1", "--endpoint")
Traceback (most recent call last):
...
yuetang_kg.errors.DataError: --endpoint: not a URL: 'http://[::1' (Invalid IPv6 URL); give one such as http://127.0.0.1:7878/query
"""

import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

from ..errors import DataError

EXAMPLE_URL = "http://127.0.0.1:7878/query"


class TimedOut(DataError):
    """The server gave no complete answer within the time allowed."""


class TooLarge(DataError):
    """The server's answer is longer than the caller accepts."""


def check_url(url: str, option: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host, else a DataError naming ``option``."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks it: ValueError for a port that is no number or out of range
    except ValueError as error:
        raise DataError(f"not a URL: {url!r} ({error}); give one such as {EXAMPLE_URL}", option) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() or c < " " for c in url):
        raise DataError(f"not an http(s) URL with a host: {url!r}; give one such as {EXAMPLE_URL}", option)
    return url


@dataclass(frozen=True)
class Answer:
    """An HTTP answer read whole: its status (error statuses too), headers and body."""

    status: int
    headers: Message
    body: bytes

    @property
    def media_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def excerpt(self) -> str:
        """The start of the body, on one line, to show in an error."""
        return " ".join(self.body[:300].decode("utf-8", "replace").split())


class _Watchdog:
    """Shuts down every socket it watches once ``seconds`` have passed since it started."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()

    def remaining(self) -> float:
        return max(0.001, self.end - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # closed already: the exchange ended as the time ran out
        pass


def _handlers(watchdog: _Watchdog) -> list[urllib.request.BaseHandler]:
    """urllib's HTTP and HTTPS handlers, with connections that the watchdog watches."""

    class Connection(http.client.HTTPConnection):
        def connect(self):
            self.timeout = watchdog.remaining()
            super().connect()
            watchdog.watch(self.sock)

    class SecureConnection(http.client.HTTPSConnection):
        def connect(self):
            self.timeout = watchdog.remaining()
            http.client.HTTPConnection.connect(self)
            watchdog.watch(self.sock)
            # as HTTPSConnection.connect, but with the TLS socket watched before its handshake
            server_name = self._tunnel_host or self.host
            self.sock = self._context.wrap_socket(self.sock, server_hostname=server_name,
                                                  do_handshake_on_connect=False)
            watchdog.watch(self.sock)
            self.sock.do_handshake()

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(Connection, req)

    class SecureHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(SecureConnection, req, context=self._context)

    return [Handler(), SecureHandler()]


def exchange(request: urllib.request.Request, seconds: float, where: str, max_bytes: int | None = None) -> Answer:
    """Send ``request`` and read its whole answer within ``seconds``, or raise a DataError naming ``where``:
    TimedOut when the time is up, TooLarge when a successful answer's body is over ``max_bytes``."""
    with _Watchdog(seconds) as watchdog:
        try:
            with urllib.request.build_opener(*_handlers(watchdog)).open(request, timeout=seconds) as response:
                # one byte more than allowed tells that there is more, without reading the rest
                body = response.read() if max_bytes is None else response.read(max_bytes + 1)
                if max_bytes is not None and len(body) > max_bytes:
                    raise TooLarge(f"the answer is over the limit of {max_bytes} bytes", where)
                answer = Answer(response.status, response.headers, body)
        except urllib.error.HTTPError as error:
            try:
                answer = Answer(error.code, error.headers, error.read(max_bytes))  # only shown in part
            except (OSError, http.client.HTTPException):
                answer = Answer(error.code, error.headers, b"")
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            # a socket operation that waited the whole time (its timeout is ``seconds`` too) may end just before
            # the watchdog does: the time is up all the same
            if watchdog.expired or isinstance(getattr(error, "reason", error), TimeoutError):
                raise _timed_out(seconds, where) from None
            raise DataError(f"cannot reach the server: {getattr(error, 'reason', error)}", where) from None
        # a body read up to a shut socket may look whole: only the clock tells
        if watchdog.expired:
            raise _timed_out(seconds, where)
    return answer


def _timed_out(seconds: float, where: str) -> TimedOut:
    return TimedOut(f"no complete answer within {seconds:g} s (--timeout): the server is too slow or stalled", where)
