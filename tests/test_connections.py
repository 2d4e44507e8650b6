"""The server's HTTP connections (``web.connections``), over a real uvicorn on 127.0.0.1: a whole answer written in
one go is byte for byte what uvicorn's own two sends write, keep-alive and ``Connection: close`` included."""

import re
import socket
import threading
import time

import pytest
import uvicorn

from yuetang_kg.web.connections import WHOLE_ANSWER, bounded_protocol

HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"x-one", b"1"), (b"content-length", b"6")]
BODY = b"hello\n"


async def app(scope, receive, send):
    """``/whole`` answers through the extension, anything else with uvicorn's two sends: the same answer."""
    if scope["type"] != "http":
        return
    status = 404 if scope["path"].endswith("missing") else 200
    if scope["path"].startswith("/whole"):
        await scope["extensions"][WHOLE_ANSWER](status, list(HEADERS), BODY)
        return
    await send({"type": "http.response.start", "status": status, "headers": list(HEADERS)})
    await send({"type": "http.response.body", "body": BODY})


@pytest.fixture(scope="module")
def port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=free, log_level="warning", http=bounded_protocol(5),
                            ws="none", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    stop = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < stop, "uvicorn did not start"
        time.sleep(0.02)
    yield free
    server.should_exit = True
    thread.join(10)


def exchange(port: int, requests: list[bytes]) -> bytes:
    """Everything the server writes on one connection for ``requests`` sent one after another, until it closes
    the connection or goes quiet."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        for request in requests:
            sock.sendall(request)
            time.sleep(0.05)
        sock.settimeout(0.3)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return re.sub(rb"date: [^\r]*\r\n", b"date: -\r\n", received)


def request(path: str, method: str = "GET", version: str = "1.1", extra: str = "") -> bytes:
    return f"{method} {path} HTTP/{version}\r\nHost: x\r\n{extra}\r\n".encode("ascii")


@pytest.mark.parametrize("requests", [
    [("/", "GET", "1.1", "")],
    [("/", "HEAD", "1.1", "")],
    [("/missing", "GET", "1.1", "")],
    [("/", "GET", "1.1", "Connection: close\r\n")],
    [("/", "GET", "1.0", "")],
    [("/", "GET", "1.1", ""), ("/missing", "GET", "1.1", ""), ("/", "HEAD", "1.1", "")],
], ids=["get", "head", "404", "close", "http-1.0", "kept-alive"])
def test_a_whole_answer_is_what_uvicorns_two_sends_write(port, requests):
    sends = exchange(port, [request(*r) for r in requests])
    whole = exchange(port, [request("/whole" + path, *rest) for path, *rest in requests])
    assert sends.count(b"HTTP/1.1 ") == len(requests)
    assert whole == sends


@pytest.mark.parametrize("prefix", ["", "/whole"])
def test_pipelined_requests_are_answered_in_order(port, prefix):
    answer = exchange(port, [request(prefix + "/missing") + request(prefix + "/")])
    assert re.findall(rb"HTTP/1.1 (\d+)", answer) == [b"404", b"200"]
