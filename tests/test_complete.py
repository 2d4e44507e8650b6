"""Completion from our own graph (/complete.json) and the bounds every explorer endpoint puts on its input,
driven in process through Starlette's TestClient."""

import asyncio
import doctest
import time
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from yuetang_kg.namespaces import ID, YKG
from yuetang_kg.web import complete, inputs
from yuetang_kg.web.app import create_app
from yuetang_kg.web.site import Site

QIXING_IRI = str(ID["place/zhaoshan-qixing-cun"])
HUNDRED_KB = "七" * 34_000  # 102 kB as UTF-8 in the URL
# Each endpoint with the parameters that make a good request, and the one parameter the bad inputs go into.
ENDPOINTS = [
    ("/complete.json", {}, "q"),
    ("/path.json", {"to": "湘潭市"}, "from"),
    ("/path.json", {"from": "七星村"}, "to"),
    ("/neighbours.json", {}, "iri"),
    ("/path", {"to": "湘潭市"}, "from"),
    ("/canvas", {}, "start"),
]
BAD = {"empty": "", "blank": "   ", "100 kB": HUNDRED_KB, "control character": "七星\x00村",
       "line break": "七星\n村", "bidi control": "七星\u202e村"}


def test_doctests():
    for module in (complete, inputs):
        assert doctest.testmod(module).failed == 0, module


@pytest.fixture(scope="module")
def client(built, catalogue, repo_paths):
    # No lifespan: these endpoints need none of the SPARQL endpoint's query workers.
    return TestClient(create_app(Site(built.out, catalogue, viz=repo_paths.data.parent / "viz")))


@pytest.mark.parametrize("query", ["七星", "七星村", "qixing", "Qixing", "Qīxīng", "qixing cun", "Qixing Village"])
def test_the_village_is_offered_by_hanzi_pinyin_and_english(client, query):
    found = client.get("/complete.json", params={"q": query}).json()
    assert found[0]["iri"] == QIXING_IRI, [f["label_zh"] for f in found]
    assert found[0] == {**found[0], "kind": "entity", "label_zh": "七星村", "label_en": "Qixing Village"}


def test_classes_properties_and_prefixes_come_with_both_labels(client, built):
    village = client.get("/complete.json", params={"q": "Village", "kind": "class"}).json()[0]
    assert village["iri"] == str(YKG.Village) and village["curie"] == "ykg:Village" and village["label_zh"] == "村"
    located = client.get("/complete.json", params={"q": "位于", "kind": "property"}).json()
    assert str(YKG.locatedIn) in [f["iri"] for f in located]
    assert all(f["kind"] == "property" for f in located)
    prefix = client.get("/complete.json", params={"q": "ykg", "kind": "prefix"}).json()[0]
    assert prefix["iri"] == str(YKG) and prefix["curie"] == "ykg:"
    assert len(client.get("/complete.json", params={"q": "村", "limit": 3}).json()) == 3


def test_ranking_puts_exact_names_before_prefixes_before_infixes(client):
    found = [f["label_zh"] for f in client.get("/complete.json", params={"q": "七星村", "limit": 50}).json()]
    assert found[0] == "七星村" and len(found) > 1  # 七星村党总支 … follow
    assert client.get("/complete.json", params={"q": "zzzzqqq"}).json() == []


def test_completion_is_fast(client):
    client.get("/complete.json", params={"q": "q"})  # the index is built with the explorer's data, once
    for word in ("七星村", "qixing", "Qixing Village"):
        for end in range(1, len(word) + 1):
            started = time.perf_counter()
            assert client.get("/complete.json", params={"q": word[:end]}).status_code == 200
            assert time.perf_counter() - started < 0.05, word[:end]


def get(app, path: str, params: dict) -> tuple[int, str]:
    """One GET straight through the ASGI app: HTTP clients refuse URLs of 100 kB before they leave, but a
    server must still bound what it is sent."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": urlencode(params).encode(),
             "headers": [(b"host", b"127.0.0.1")], "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)}
    asyncio.run(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body.decode("utf-8")


@pytest.mark.parametrize("path,good,name", ENDPOINTS, ids=[f"{p}:{n}" for p, _, n in ENDPOINTS])
@pytest.mark.parametrize("bad", BAD, ids=list(BAD))
def test_bad_input_is_refused_in_one_line(client, path, good, name, bad):
    status, text = get(client.app, path, {**good, name: BAD[bad]})
    assert status == 400, text[:200]
    if path.endswith(".json"):
        assert text.endswith("\n") and text.count("\n") == 1, text
        assert len(text) < 200


@pytest.mark.parametrize("params", [{"q": "x", "kind": "thing"}, {"q": "x", "limit": "0"}, {"q": "x", "limit": "51"},
                                    {"q": "x", "limit": "1e3"}])
def test_bad_options_are_refused(client, params):
    answer = client.get("/complete.json", params=params)
    assert answer.status_code == 400 and answer.text.count("\n") == 1


def test_terms_lookup_names_and_colours_entities_and_bounds_its_body(client):
    found = client.post("/terms.json", json={"iris": [QIXING_IRI, str(YKG.locatedIn), "https://example.org/x"]}).json()
    assert found[QIXING_IRI]["label_zh"] == "七星村" and found[QIXING_IRI]["color"].startswith("#")
    assert found[str(YKG.locatedIn)]["label_zh"] == "位于" and found["https://example.org/x"] is None
    for body in (b"", b"[]", b'{"iris": []}', b'{"iris": [1]}', b"x" * 100_001):
        answer = client.post("/terms.json", content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and answer.text.count("\n") == 1, body[:20]
    many = client.post("/terms.json", json={"iris": [QIXING_IRI] * (complete.MAX_LIMIT * 100)})
    assert many.status_code == 400
