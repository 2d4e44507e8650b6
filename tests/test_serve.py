"""``yuetang-kg serve`` as a real uvicorn process on 127.0.0.1, called over HTTP by real clients: SPARQLWrapper in
every result format, rasqal's ``roqet`` as a second independent client, and headless Chromium on the query page
with every request that leaves the machine blocked and counted."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ENGINE_GRAPH, comparable, eventually, free_port, require_binary, stop, wait_for_http
from rdflib import RDFS, Graph
from rdflib.compare import isomorphic
from SPARQLWrapper import CSV, JSON, JSONLD, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from starlette.testclient import TestClient

from yuetang_kg.query.store import to_rdflib
from yuetang_kg.web.app import create_app
from yuetang_kg.web.site import Settings, Site

LABELS = f"SELECT ?s ?label WHERE {{ ?s <{RDFS.label}> ?label }}"
GRAPH_QUERY = f"CONSTRUCT {{ ?s <{RDFS.label}> ?label }} WHERE {{ ?s <{RDFS.label}> ?label }}"
CROSS6 = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(6)) + " }"
TIMEOUT_S = 2
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def start_server(folder: Path, built, repo_paths, *options: str) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    out = next(path for path in built.outputs if path.name == "yuetang.nt").parent
    log = folder / "serve.log"
    command = [str(Path(sys.executable).parent / "yuetang-kg"), "serve", "--host", "127.0.0.1", "--port", str(port),
               "--data", str(repo_paths.data), "--ontology", str(repo_paths.ontology), "--out", str(out),
               "--queries", str(repo_paths.queries), *options]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/sparql?query=ASK%7B%7D", 90, process, log)
    except BaseException:
        stop(process)
        raise
    return process, base, log


@pytest.fixture(scope="module")
def server(tmp_path_factory, built, repo_paths):
    process, base, log = start_server(tmp_path_factory.mktemp("serve"), built, repo_paths,
                                      "--timeout", str(TIMEOUT_S))
    yield base, log
    stop(process)


def rows_of(solutions) -> list[tuple]:
    return sorted(tuple("" if t is None else to_rdflib(t).n3() for t in (s[v] for v in solutions.variables))
                  for s in solutions)


def store_rows(store, query: str) -> list[tuple]:
    return sorted(tuple("" if t is None else t.n3() for t in row) for row in store.query(query).rows)


def wrapper(base: str, query: str, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(f"{base}/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setTimeout(30)
    return client


def test_serve_prints_its_url(server):
    base, log = server
    assert f"{base}/" in log.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "fmt, media_type, results_format",
    [
        (JSON, "application/sparql-results+json", ox.QueryResultsFormat.JSON),
        (XML, "application/sparql-results+xml", ox.QueryResultsFormat.XML),
        (TSV, "text/tab-separated-values", ox.QueryResultsFormat.TSV),
    ],
)
def test_sparqlwrapper_select_formats(server, store, fmt, media_type, results_format):
    base, _ = server
    for method in ("GET", POST):
        client = wrapper(base, LABELS, fmt)
        client.setMethod(method)
        answer = client.query()
        assert answer.response.headers["Content-Type"] == f"{media_type}; charset=utf-8"
        body = answer.response.read()
        assert rows_of(ox.parse_query_results(body, format=results_format)) == store_rows(store, LABELS)


def test_sparqlwrapper_converts_json_and_csv(server, store):
    base, _ = server
    converted = wrapper(base, LABELS, JSON).queryAndConvert()
    assert len(converted["results"]["bindings"]) == len(store.query(LABELS).rows)
    table = wrapper(base, LABELS, CSV).queryAndConvert()
    rows = list(csv.reader(io.StringIO(table.decode("utf-8"))))
    assert rows[0] == ["s", "label"]
    assert sorted(map(tuple, rows[1:])) == sorted((str(s), str(o)) for s, o in store.query(LABELS).rows)
    assert wrapper(base, "ASK { ?s ?p ?o }", JSON).queryAndConvert()["boolean"] is True


@pytest.mark.parametrize("fmt, media_type", [(TURTLE, "text/turtle"), (JSONLD, "application/ld+json"),
                                             (RDFXML, "application/rdf+xml")])
def test_sparqlwrapper_graph_formats(server, store, fmt, media_type):
    base, _ = server
    answer = wrapper(base, GRAPH_QUERY, fmt).query()
    assert answer.response.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    # Read the body ourselves: SPARQLWrapper's convert() of JSON-LD and RDF/XML warns (rdflib's ConjunctiveGraph).
    graph = Graph()
    for quad in ox.parse(answer.response.read(), format=ox.RdfFormat.from_media_type(media_type)):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    assert isomorphic(graph, store.query(GRAPH_QUERY).graph)


def test_roqet_is_a_second_client(server, store):
    roqet = require_binary("roqet")
    base, _ = server
    # roqet asks for XML and prints CSV; its remote CONSTRUCT and ASK are broken (reference/engines.md).
    done = subprocess.run([roqet, "-p", f"{base}/sparql", "-e", LABELS, "-r", "csv"], capture_output=True,
                          timeout=60, check=True)
    rows = list(csv.reader(io.StringIO(done.stdout.decode("utf-8"))))
    assert rows[0] == ["s", "label"]
    assert sorted(map(tuple, rows[1:])) == sorted((str(s), str(o)) for s, o in store.query(LABELS).rows)


def get(url: str) -> tuple[int, bytes, float]:
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read(), time.monotonic() - start
    except urllib.error.HTTPError as error:
        return error.code, error.read(), time.monotonic() - start


def test_explosive_query_times_out_over_http_while_others_are_answered(server):
    base, _ = server
    outcome = {}
    explosive = threading.Thread(target=lambda: outcome.update(
        answer=get(f"{base}/sparql?" + urllib.parse.urlencode({"query": CROSS6}))))
    explosive.start()
    time.sleep(0.3)
    status, body, _ = get(f"{base}/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}))
    assert status == 200 and json.loads(body)["boolean"] is True
    assert explosive.is_alive()
    explosive.join(TIMEOUT_S + 10)
    status, body, seconds = outcome["answer"]
    assert status == 503 and b"was stopped" in body
    assert seconds < TIMEOUT_S + 1


def test_query_page_works_offline_in_chromium(server, catalogue, store):
    chromium = require_binary("chromium")
    from playwright.sync_api import sync_playwright

    base, _ = server
    name, query = next((n, q) for n, q in catalogue.items()
                       if not q.params and 0 < len(store.query(q.text).rows) <= 50)
    outside, problems = [], []

    def only_ours(route):
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            context = browser.new_context()
            context.route("**/*", only_ours)
            page = context.new_page()
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"{base}/query?tab={name}")
            page.wait_for_function("window.yasgui !== undefined")
            tabs = page.evaluate("Object.values(window.yasgui._tabs).map((tab) => tab.name())")
            assert tabs == list(catalogue)
            assert page.evaluate("window.yasgui.getTab().name()") == name
            page.click(".yasqe_queryButton")
            page.wait_for_selector(".yasr table tbody tr")
            page.wait_for_function(f"document.querySelectorAll('.yasr table tbody tr').length == "
                                   f"{len(store.query(query.text).rows)}")
            # Typing a prefixed name is where YASGUI would ask prefix.cc and LOV: nothing may go out.
            page.click(".CodeMirror")
            page.keyboard.press("Control+End")
            page.keyboard.type("\n# schema:na rdf:ty")
            page.wait_for_timeout(1000)
        finally:
            browser.close()
    assert outside == []
    assert problems == []


def children(pid: int) -> list[int]:
    """Child processes of every thread of ``pid`` (the workers are started from the server's thread pool); none
    once ``pid`` has ended."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    except FileNotFoundError:  # a thread (or the process) that ended while being read: read again
        return children(pid) if Path(f"/proc/{pid}").exists() else []
    return found


def test_stopping_the_server_stops_its_query_workers(tmp_path, built, repo_paths):
    process, _, _ = start_server(tmp_path, built, repo_paths, "--workers", "2")
    try:
        workers = children(process.pid)
        assert len(workers) == 2
        process.send_signal(signal.SIGINT)  # Ctrl-C
        process.wait(30)
    finally:
        stop(process)  # a no-op once Ctrl-C worked; SIGTERM (uvicorn's graceful stop) if an assertion failed
    time.sleep(0.2)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists() and _alive(pid)]


def server_processes(supervisor: int, workers: int) -> list[int]:
    """The server processes of ``serve --processes`` (beside multiprocessing's resource tracker), once each has
    started its query workers."""
    def found() -> list[int]:
        return [pid for pid in children(supervisor) if len(children(pid)) == workers]

    assert eventually(lambda: len(found()) == 2, 60)
    return found()


def listening_socket(port: int) -> str:
    """The inode of the socket listening on ``port`` (``/proc/net/tcp``: state 0A is LISTEN)."""
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    (inode,) = [row[9] for row in rows if row[1].endswith(f":{port:04X}") and row[3] == "0A"]
    return inode


def holds(pid: int, inode: str) -> bool:
    """Whether ``pid`` has the socket ``inode`` open."""
    found = False
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found = found or os.readlink(fd) == f"socket:[{inode}]"
        except FileNotFoundError:  # closed while being read
            pass
    return found


VILLAGE = "<https://w3id.org/yuetang-kg/ontology#Village>"
VILLAGES = (f"SELECT ?s WHERE {{ ?s a {VILLAGE} }} LIMIT 5",
            f"SELECT ?s ?l WHERE {{ ?s a {VILLAGE} ; <{RDFS.label}> ?l }} ORDER BY ?s ?l LIMIT 5")


def test_processes_share_the_port_and_stop_together(tmp_path, built, repo_paths, server):
    """``--processes 2``: both listen on the one port and answer as one process does (a query answered by the
    server itself, and one by a worker); Ctrl-C stops them and their workers. (Which takes a connection is the
    kernel's choice: benchmarks/throughput.py shows the load spread.)"""
    process, base, _ = start_server(tmp_path, built, repo_paths, "--processes", "2", "--workers", "1")
    try:
        servers = server_processes(process.pid, 1)
        workers = [worker for pid in servers for worker in children(pid)]
        listening = listening_socket(int(base.rsplit(":", 1)[1]))
        assert all(holds(pid, listening) for pid in servers)
        urls = [f"{base}/sparql?" + urllib.parse.urlencode({"query": query}) for query in VILLAGES]
        expected = [get(url.replace(base, server[0])) for url in urls]
        # four requests at once with this one: one address's share (--per-client 4), which each process holds
        threads = [threading.Thread(target=lambda: [get(url) for _ in range(40) for url in urls]) for _ in range(3)]
        for thread in threads:
            thread.start()
        answers = [get(url) for _ in range(20) for url in urls]
        for thread in threads:
            thread.join(120)
        assert {(status, body) for status, body, _ in answers} == {(status, body) for status, body, _ in expected}
        assert all(status == 200 for status, _, _ in expected)
        process.send_signal(signal.SIGINT)  # Ctrl-C
        process.wait(30)
    finally:
        stop(process)
    assert_all_end(servers + workers)


def test_server_processes_die_with_the_one_that_started_them(tmp_path, built, repo_paths):
    process, _, _ = start_server(tmp_path, built, repo_paths, "--processes", "2", "--workers", "1")
    try:
        servers = server_processes(process.pid, 1)
        workers = [worker for pid in servers for worker in children(pid)]
        process.kill()  # -9: nothing of its own runs to stop the others
        process.wait(30)
    finally:
        stop(process)
    assert_all_end(servers + workers)


def assert_all_end(pids: list[int]) -> None:
    def survivors() -> list[int]:
        return [pid for pid in pids if Path(f"/proc/{pid}").exists() and _alive(pid)]

    try:
        assert eventually(lambda: not survivors()), f"still running: {survivors()}"
    finally:
        for pid in survivors():  # a failed test leaves no server behind on the port's machine
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()


def test_serve_over_an_engine_runs_no_worker_and_answers_like_the_store(tmp_path, built, repo_paths, oxigraph,
                                                                         catalogue, store):
    process, base, log = start_server(tmp_path, built, repo_paths, "--endpoint", f"{oxigraph}/query",
                                      "--graph", ENGINE_GRAPH)
    try:
        assert children(process.pid) == []
        assert f"queries go to {oxigraph}/query (graph {ENGINE_GRAPH}); no query worker runs here" in log.read_text()
        name, query = next((n, q) for n, q in catalogue.items() if q.params)
        with urllib.request.urlopen(f"{base}/queries/{name}.json", timeout=30) as answer:
            solutions = ox.parse_query_results(answer.read(), format=ox.QueryResultsFormat.JSON)
        rows = sorted(tuple(comparable(to_rdflib(s[v])) for v in solutions.variables) for s in solutions)
        expected = store.query(query.text, query.bindings({})).rows
        assert rows and rows == sorted(tuple(comparable(term) for term in row) for row in expected)
    finally:
        stop(process)


UVICORN_HEADERS = ("date", "server", "connection")
ENDPOINT_REQUESTS = [  # (method, query string, body content type, body, Accept)
    ("GET", {"query": LABELS}, None, None, "application/sparql-results+json"),
    ("GET", {"query": "ASK {}"}, None, None, "application/sparql-results+xml"),
    ("GET", {"query": GRAPH_QUERY, "format": "ttl"}, None, None, None),
    ("HEAD", {"query": LABELS}, None, None, "text/csv"),
    ("POST", {}, "application/x-www-form-urlencoded", urllib.parse.urlencode({"query": LABELS}), "text/csv"),
    ("POST", {}, "application/sparql-query", "ASK {}", None),
    ("POST", {}, "text/plain", "ASK {}", None),
    ("OPTIONS", {}, None, None, None),
    ("DELETE", {"query": "ASK {}"}, None, None, None),
    ("GET", {"query": "SELECT * WHERE {"}, None, None, None),
    ("GET", {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}, None, None, None),
    ("GET", {"query": "ASK {}"}, None, None, "image/png"),
    ("GET", {"query": "ASK {}", "default-graph-uri": "urn:x"}, None, None, None),
]


@pytest.fixture(scope="module")
def in_process(built, catalogue):
    """The app of ``server``, with its limits, in this process: no uvicorn between the test and the app."""
    site = Site(built.out, catalogue, Settings(timeout_s=TIMEOUT_S, workers=1))
    with TestClient(create_app(site)) as client:
        yield client


@pytest.mark.parametrize("method, params, media_type, body, accept", ENDPOINT_REQUESTS,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(ENDPOINT_REQUESTS)])
def test_the_served_endpoint_answers_as_the_app_does(server, in_process, method, params, media_type, body, accept):
    """``/sparql`` behind uvicorn writes its answers whole (``connections.WHOLE_ANSWER``); in process, without
    uvicorn, it sends them as ASGI messages: status, headers and body are the same (but for what uvicorn adds:
    its name, the date, and ``connection: close`` for a client that asked)."""
    base, _ = server
    headers = {**({"Accept": accept} if accept else {}), **({"Content-Type": media_type} if media_type else {})}
    url = f"{base}/sparql?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(url, data=body.encode() if body else None, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            served = answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        served = error.code, dict(error.headers.items()), error.read()
    answer = in_process.request(method, "/sparql", params=params, content=body, headers=headers)
    direct = answer.status_code, dict(answer.headers.items()), answer.content

    def own(status, headers, content):
        return status, {k.lower(): v for k, v in headers.items() if k.lower() not in UVICORN_HEADERS}, content

    assert own(*served) == own(*direct)
    assert served[0] in (200, 204, 400, 403, 405, 406, 415)
