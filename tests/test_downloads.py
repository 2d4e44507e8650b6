"""The downloads part of the web app: the published files at stable URLs with their media types, the same bytes
as the build, the ontology by content negotiation, the VoID description at /.well-known/void; and, through a
real server, the description's links naming where it is served."""

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import free_port
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from starlette.testclient import TestClient

from yuetang_kg.build import release_of
from yuetang_kg.namespaces import VOID
from yuetang_kg.publish.describe import DATASET
from yuetang_kg.publish.formats import FORMATS
from yuetang_kg.publish.publication import CONTEXT_FILE, DESCRIPTION_FILE, ONTOLOGY_DOCS_FILE
from yuetang_kg.web.app import create_app
from yuetang_kg.web.site import Site

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def files(built) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in built.outputs}


@pytest.fixture(scope="module")
def client(built, catalogue, repo_paths):
    """The app over the built graphs, described as the build describes them (same inputs, default base URL).
    The lifespan is not run: the downloads need no query workers."""
    site = Site(built.out, catalogue, release=release_of(repo_paths.data, repo_paths.ontology))
    return TestClient(create_app(site))


def published_names(files) -> list[str]:
    return [name for name in files if name != "build-report.json"]


def test_every_published_file_is_served_as_the_build_wrote_it(client, files):
    for name in published_names(files):
        answer = client.get(f"/downloads/{name}")
        assert answer.status_code == 200, name
        media_type = answer.headers["content-type"].split(";")[0]
        if name == ONTOLOGY_DOCS_FILE:  # its links point to /downloads/ rather than to its neighbours in dist/
            assert media_type == "text/html" and 'href="/downloads/ontology.ttl"' in answer.text
            continue
        expected = "application/ld+json" if name == CONTEXT_FILE else FORMATS[
            next(n for n, f in FORMATS.items() if name.endswith(f.extension))].media_type
        assert media_type == expected, name
        assert answer.content == files[name], name


def test_the_listing_links_every_file(client, files):
    answer = client.get("/downloads/")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    for name in published_names(files):
        assert f'href="{name}"' in answer.text


def test_unknown_file_is_404_pointing_to_the_listing(client):
    answer = client.get("/downloads/yuetang.n3")
    assert answer.status_code == 404 and "/downloads/" in answer.text


@pytest.mark.parametrize("accept, query, media_type, name", [
    ("text/turtle", "", "text/turtle", "ontology.ttl"),
    ("application/ld+json", "", "application/ld+json", "ontology.jsonld"),
    ("application/rdf+xml;q=0.9, text/turtle;q=0.5", "", "application/rdf+xml", "ontology.rdf"),
    ("application/n-triples", "", "application/n-triples", "ontology.nt"),
    (BROWSER, "", "text/html", ONTOLOGY_DOCS_FILE),
    ("*/*", "", "text/html", ONTOLOGY_DOCS_FILE),
    (BROWSER, "?format=ttl", "text/turtle", "ontology.ttl"),
])
def test_ontology_by_content_negotiation(client, files, accept, query, media_type, name):
    answer = client.get(f"/ontology{query}", headers={"Accept": accept})
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == media_type
    assert answer.headers["vary"] == "Accept" and answer.headers["content-location"] == f"/downloads/{name}"
    if name != ONTOLOGY_DOCS_FILE:
        assert answer.content == files[name]


def test_ontology_in_an_unknown_type_is_406_listing_the_offers(client):
    answer = client.get("/ontology", headers={"Accept": "image/png"})
    assert answer.status_code == 406 and "text/turtle" in answer.text


def test_void_at_its_well_known_address(client, built, files):
    answer = client.get("/.well-known/void")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/turtle")
    assert answer.content == files[DESCRIPTION_FILE]
    description = Graph().parse(data=answer.content, format="turtle")
    assert int(description.value(DATASET, VOID.triples)) == len(built.graph)


def test_etag_and_head(client):
    first = client.get("/downloads/ontology.nt")
    again = client.get("/downloads/ontology.nt", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    head = client.head("/downloads/ontology.nt")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == first.headers["etag"]


def test_a_dump_is_streamed_from_the_build_with_its_recorded_hash_as_etag(client, built, files):
    """A dump grows with the corpus: it is read from disk as it is sent (so a range of it can be asked for), never
    held or hashed by the server."""
    recorded = json.loads((built.out / "build-report.json").read_text(encoding="utf-8"))["outputs"]["yuetang.nt"]
    whole = client.get("/downloads/yuetang.nt")
    assert whole.headers["etag"] == f'"{recorded[:32]}"' and whole.headers["accept-ranges"] == "bytes"
    assert int(whole.headers["content-length"]) == len(files["yuetang.nt"])
    part = client.get("/downloads/yuetang.nt", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == files["yuetang.nt"][10:20]


def test_the_documentation_page_forbids_scripts(client):
    answer = client.get("/ontology", headers={"Accept": "text/html"})
    assert "default-src 'none'" in answer.headers["content-security-policy"]


@pytest.fixture(scope="module")
def server(built, repo_paths):
    """``yuetang-kg serve`` on a free loopback port, reading the built graph; stopped by PID."""
    port = free_port()
    out = built.outputs[0].parent
    command = [str(Path(sys.executable).parent / "yuetang-kg"), "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", "1", "--data", str(repo_paths.data), "--ontology", str(repo_paths.ontology),
               "--out", str(out), "--queries", str(repo_paths.queries)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "downloads/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the server did not start in 60 s"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()


def test_served_description_names_where_it_is_served(server, built, files):
    description = Graph().parse(data=httpx.get(server + ".well-known/void", timeout=60).content, format="turtle")
    assert description.value(DATASET, VOID.sparqlEndpoint) == URIRef(server + "sparql")
    assert URIRef(server + "downloads/yuetang.ttl") in set(description.objects(DATASET, VOID.dataDump))
    dump = httpx.get(server + "downloads/yuetang.nt", timeout=60)
    assert dump.headers["content-type"] == "application/n-triples" and dump.content == files["yuetang.nt"]
    turtle = httpx.get(server + "ontology", headers={"Accept": "text/turtle"}, timeout=60)
    assert isomorphic(Graph().parse(data=turtle.content, format="turtle"), built.ontology)
