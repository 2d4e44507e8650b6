"""``serve --endpoint``: the site's queries sent to a remote engine keep the endpoint's guarantees. A small local
HTTP server stands in for an engine that records what it is sent, stalls, fails with a body that must stay
private, answers a login page, or answers more than the site accepts; the answers of the real engines (the
Oxigraph server and Virtuoso) are checked in test_web_sparql.py and test_web_answers.py."""

import http.server
import threading
import time
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner
from conftest import ENGINE_GRAPH, free_port
from starlette.testclient import TestClient

from yuetang_kg.cli import main
from yuetang_kg.namespaces import BASE
from yuetang_kg.query.remote import Incomplete, RemoteStore
from yuetang_kg.web.app import create_app
from yuetang_kg.web.site import Settings, Site
from yuetang_kg.web.upstream import Upstream

SECRET = "db-7.internal:1111 user=dba password=hunter2"
MAX_BYTES = 50_000
TIMEOUT_S = 1.0
ASK_TRUE = b'{"head": {}, "boolean": true}'
PARTIAL = b'{"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "literal", "value": "1234"}}]}}'
# Virtuoso's headers on an "anytime" answer, as it sends them (../shared/reference/engines.md)
ANYTIME = {"X-SQL-State": "S1TAT",
           "X-SQL-Message": "RC...: Returning incomplete results, query interrupted by result timeout."}
# One SELECT answer of about 150 kB: three times what the site accepts.
BIG = b'{"head": {"vars": ["x"]}, "results": {"bindings": [' + b", ".join(
    b'{"x": {"type": "literal", "value": "%s"}}' % (b"x" * 100) for _ in range(1000)) + b"]}}"


class FakeEngine(http.server.BaseHTTPRequestHandler):
    """Answers by the first segment of the path: /ok, /stall, /fail, /login, /big, /anytime."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        self.server.received.append(parse_qs(body))
        behaviour = self.path.strip("/").split("?")[0]
        if behaviour == "stall":
            self.server.release.wait(60)
            return
        status, media_type, answer = {
            "ok": (200, "application/sparql-results+json", ASK_TRUE),
            "fail": (500, "text/plain", f"Virtuoso 42000 Error at {SECRET}".encode()),
            "login": (200, "text/html", f"<html><title>Sign in</title>{SECRET}</html>".encode()),
            "big": (200, "application/sparql-results+json", BIG),
            "anytime": (200, "application/sparql-results+json", PARTIAL),
        }[behaviour]
        self.send_response(status)
        for name, value in ANYTIME.items() if behaviour == "anytime" else ():
            self.send_header(name, value)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):  # the test reads what was received, not a log
        pass


@pytest.fixture(scope="module")
def engine():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeEngine)
    server.daemon_threads = True
    server.received = []
    server.release = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def base_of(engine) -> str:
    return f"http://127.0.0.1:{engine.server_address[1]}"


def client_for(engine, behaviour: str, built, catalogue, **limits) -> TestClient:
    """The app over the fake engine's ``behaviour``; no lifespan: nothing is started for an engine elsewhere."""
    settings = Settings(timeout_s=TIMEOUT_S, **limits)
    upstream = Upstream(f"{base_of(engine)}/{behaviour}", ENGINE_GRAPH, settings.workers, settings.queue,
                        settings.per_client, settings.queue_wait_s, MAX_BYTES)
    return TestClient(create_app(Site(built.out, catalogue, settings, upstream=upstream)))


@pytest.mark.parametrize("request_kwargs, words", [
    ({"params": {"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"}}, "SERVICE"),
    ({"params": {"query": "LOAD <http://example.org/data.ttl>"}}, "LOAD"),
    ({"params": {"query": "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }"}}, "FROM"),
    ({"params": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, "read-only"),
    ({"content": b"DROP ALL", "headers": {"Content-Type": "application/sparql-update"}}, "read-only"),
    ({"params": {"query": "ASK {}", "default-graph-uri": "http://example.org/g"}}, "default-graph-uri"),
])
def test_refused_queries_never_reach_the_engine(engine, built, catalogue, request_kwargs, words):
    client = client_for(engine, "ok", built, catalogue)
    engine.received.clear()
    method = client.post if "content" in request_kwargs else client.get
    answer = method("/sparql", **request_kwargs)
    assert answer.status_code == 403 and words in answer.text
    assert engine.received == []


def test_the_engine_gets_the_checked_text_with_the_graph_and_the_bound_parameters(engine, built, catalogue):
    client = client_for(engine, "ok", built, catalogue)
    engine.received.clear()
    answer = client.get("/sparql", params={"query": "ASK { # a comment ended by a carriage return\r ?s ?p ?o }"})
    assert answer.status_code == 200 and answer.json() == {"head": {}, "boolean": True}
    (sent,) = engine.received
    assert sent["default-graph-uri"] == [ENGINE_GRAPH]
    # the guard's normal form, the comment left out: the line end that hid the pattern from one reader is gone
    assert sent["query"] == ["ASK { \n ?s ?p ?o }"]
    name, query = next((n, q) for n, q in catalogue.items() if any(p.kind == "iri" for p in q.params))
    param = next(p for p in query.params if p.kind == "iri")
    place = BASE + "id/place/no-such-place"
    client.get(f"/queries/{name}.json", params={param.name: place})
    assert f"VALUES (?{param.name}) {{ (<{place}>) }}" in engine.received[-1]["query"][0]


def test_a_stalled_engine_times_out_cleanly_while_pages_are_answered(engine, built, catalogue):
    client = client_for(engine, "stall", built, catalogue, workers=1)
    outcome = {}

    def ask():
        start = time.monotonic()
        outcome["answer"] = client.get("/sparql", params={"query": "ASK {}"})
        outcome["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=ask)
    thread.start()
    time.sleep(0.2)
    assert client.get("/queries.json").status_code == 200  # pages need no engine
    thread.join(TIMEOUT_S + 5)
    assert outcome["answer"].status_code == 503 and "within 1 s" in outcome["answer"].text
    assert outcome["seconds"] < TIMEOUT_S + 1
    # The slot came back: the next query waits for the engine again, not for a slot (which would be "busy").
    again = client.get("/sparql", params={"query": "ASK {}"})
    assert again.status_code == 503 and "within 1 s" in again.text


@pytest.mark.parametrize("behaviour", ["fail", "login"])
def test_an_engine_failure_is_a_generic_502(engine, built, catalogue, behaviour):
    client = client_for(engine, behaviour, built, catalogue)
    name = next(iter(catalogue))
    for path, params in (("/sparql", {"query": "ASK {}"}), (f"/queries/{name}.json", {}), (f"/queries/{name}", {})):
        answer = client.get(path, params=params)
        assert answer.status_code == 502, path
        assert "engine behind this site failed" in answer.text
        for private in ("hunter2", "db-7.internal", "Sign in", "127.0.0.1", str(engine.server_address[1])):
            assert private not in answer.text, (path, private)


def test_an_oversized_answer_is_refused_saying_why(engine, built, catalogue):
    answer = client_for(engine, "big", built, catalogue).get("/sparql", params={"query": "SELECT ?x WHERE {}"})
    assert answer.status_code == 503 and "over the limit of 50,000 bytes" in answer.text and "LIMIT" in answer.text


def test_a_partial_answer_at_the_engines_own_time_limit_is_refused(engine, built, catalogue):
    answer = client_for(engine, "anytime", built, catalogue).get("/sparql", params={"query": "SELECT ?n WHERE {}"})
    assert answer.status_code == 503 and "its own time limit" in answer.text and "1234" not in answer.text
    with pytest.raises(Incomplete, match="incomplete results: RC...: Returning incomplete results"):
        RemoteStore(f"{base_of(engine)}/anytime").query("SELECT ?n WHERE {}")


@pytest.mark.parametrize("options, words", [
    (["--endpoint", "http://127.0.0.1:{port}/query", "--no-sandbox"], "--no-sandbox: no query runs here"),
    (["--endpoint", "http://127.0.0.1:{port}/query", "--memory-limit", "512", "--no-sandbox"],
     "--memory-limit, --no-sandbox: no query runs here"),
    (["--graph", ENGINE_GRAPH], "--graph: only bounds the queries sent to a remote engine: give --endpoint"),
    (["--max-answer-mb", "8"], "--max-answer-mb: only bounds"),
    (["--endpoint", "http://127.0.0.1:{port}/query"], "http://127.0.0.1:{port}/query: cannot reach the server"),
    (["--endpoint", "ftp://x"], "--endpoint: not an http(s) URL"),
])
def test_serve_refuses_what_an_engine_makes_meaningless(options, words, cli_paths):
    port = free_port()
    outcome = CliRunner().invoke(main, ["serve", "--port", str(free_port()), *cli_paths,
                                        *(o.format(port=port) for o in options)])
    assert outcome.exit_code == 1
    assert words.format(port=port) in outcome.output
