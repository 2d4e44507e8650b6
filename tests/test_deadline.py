"""Remote requests bounded as a whole, answers checked for what they are, and URLs checked before use: against
small HTTP servers that the tests start on 127.0.0.1 (one that trickles its answer, one that answers every
request with a login page)."""

import doctest
import http.server
import threading
import time

import pytest
from click.testing import CliRunner

from yuetang_kg.cli import main
from yuetang_kg.query import deadline

TIMEOUT_S = 2
SLACK_S = 1.5


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # the test output is no place for an access log
        pass

    def _read_body(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))


class Trickle(_Quiet):
    """Answers 200 and then a byte a second, for a minute: every read gets data, so no read ever times out."""

    def do_POST(self):
        self._read_body()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", "60")
        self.end_headers()
        for _ in range(60):
            try:
                self.wfile.write(b" ")
                self.wfile.flush()
            except OSError:  # the client hung up: what the test wants
                return
            time.sleep(1)


class TrickledHeaders(Trickle):
    """Sends its status line and headers a byte a second."""

    def do_POST(self):
        self._read_body()
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Slow: " + b"x" * 60:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return
            time.sleep(1)


class LoginPage(_Quiet):
    """A single sign-on proxy: every request answered 200 with a login form."""

    PAGE = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>...</form></body></html>"

    def _page(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.PAGE)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(self.PAGE)

    def do_HEAD(self):
        self._page()

    def do_PUT(self):
        self._read_body()
        self._page()

    do_POST = do_PUT


@pytest.fixture
def server(request):
    """A server of the handler class given by indirect parametrization, on a free port, stopped afterwards."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), request.param)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def run(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    return result.exit_code, result.stdout, result.stderr


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if not line.endswith("building the graph in memory")]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr, stderr
    return lines[0]


def test_doctests():
    assert doctest.testmod(deadline).failed == 0


@pytest.mark.parametrize("server", [Trickle, TrickledHeaders], indirect=True, ids=["body", "headers"])
def test_a_trickling_endpoint_is_cut_off_at_the_timeout(server):
    start = time.monotonic()
    code, stdout, stderr = run("query", "-e", "ASK {}", "--endpoint", f"{server}/query", "--timeout", TIMEOUT_S)
    elapsed = time.monotonic() - start
    assert code == 1 and stdout == ""
    assert f"no complete answer within {TIMEOUT_S} s (--timeout)" in one_error_line(stderr)
    assert TIMEOUT_S - 0.1 <= elapsed < TIMEOUT_S + SLACK_S


@pytest.mark.parametrize("server", [LoginPage], indirect=True)
def test_a_login_page_is_no_query_answer(server):
    code, _, stderr = run("query", "-e", "ASK {}", "--endpoint", f"{server}/query", "--timeout", TIMEOUT_S)
    line = one_error_line(stderr)
    assert code == 1 and "answered text/html, not application/sparql-results+json" in line and "Sign in" in line


@pytest.mark.parametrize("server", [LoginPage], indirect=True)
def test_load_does_not_report_a_login_page_as_success(server, cli_paths):
    code, _, stderr = run("load", "--endpoint", f"{server}/store", "--timeout", TIMEOUT_S, *cli_paths)
    line = one_error_line(stderr)
    assert code == 1 and "loaded" not in stderr
    assert "answered 200 with an HTML page ('Sign in'), not a Graph Store Protocol answer" in line


@pytest.mark.parametrize("url", ["not a url", "http://[::1", "ftp://x", "http://", "http:///query", "//host/q",
                                 "http://host:99999/q", "http://host:port/q", "http://ho st/q"])
@pytest.mark.parametrize("command", ["query", "load"])
def test_bad_endpoint_urls_are_named(url, command, cli_paths):
    args = ["query", "-e", "ASK {}"] if command == "query" else ["load", *cli_paths]
    code, stdout, stderr = run(*args, "--endpoint", url)
    assert code == 1 and stdout == ""
    line = one_error_line(stderr)
    assert line.startswith("error: --endpoint: ") and repr(url) in line and "http://127.0.0.1:7878/query" in line


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf"])
@pytest.mark.parametrize("command", ["query", "load"])
def test_timeouts_must_be_positive_and_finite(value, command):
    args = ["query", "-e", "ASK {}"] if command == "query" else ["load"]
    code, _, stderr = run(*args, "--endpoint", "http://127.0.0.1:9/q", "--timeout", value)
    assert code == 1 and one_error_line(stderr).startswith("error: --timeout: give a number of seconds above 0")
