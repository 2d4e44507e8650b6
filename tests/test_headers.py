"""Security headers on every route of the app: a strict CSP on every HTML page (no inline script), no framing,
no sniffing, and the public URL never taken from the request's Host header. The walk covers every route the app
declares, so a new route without sample paths here fails the test until it is added."""

import doctest
import re

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from yuetang_kg.explore.views import load_views
from yuetang_kg.web import headers
from yuetang_kg.web.app import create_app
from yuetang_kg.web.site import Settings, Site

HOSTILE_HOST = "evil.example"
# Pages that others may frame: the reconciliation preview, which OpenRefine shows in a frame (it runs nothing).
FRAMEABLE = ("/reconcile/preview?",)


@pytest.fixture(scope="module")
def app(built, catalogue, repo_paths):
    site = Site(built.out, catalogue, Settings(workers=1), viz=repo_paths.ontology.parent / "viz")
    return create_app(site)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as test_client:
        yield test_client


def sample_paths(path: str, catalogue, views) -> list[str]:
    """Concrete paths for a route's pattern: every catalogue query and view, one entity of each format."""
    samples = {
        "/queries/{name}": [f"/queries/{name}{suffix}" for name in catalogue for suffix in ("", ".json")],
        "/views/{name}": [f"/views/{name}" for name, view in views.views.items() if view.ego_radius is None]
        + ["/views/ego?entity=七星村"],
        "/id/{kind}/{slug}": [f"/id/place/zhaoshan-qixing-cun{s}" for s in ("", ".ttl", ".jsonld", ".nt", ".rdf")],
        "/article/{slug}": ["/article/yuetang-article", "/article/no-such-document"],
        "/downloads/{name}": ["/downloads/void.ttl", "/downloads/ontology.html", "/downloads/yuetang.jsonld"],
        "/static/explorer/{name}": ["/static/explorer/explorer.js", "/static/explorer/explorer.css",
                                    "/static/explorer/results.js", "/static/explorer/canvas.js"],
        "/path": ["/path", "/path?from=七星村&to=湘潭市", "/path?from=&to=x", "/path?from=zzzz&to=湘潭市"],
        "/path.json": ["/path.json?from=七星村&to=湘潭市", "/path.json?from=%01&to=x"],
        "/canvas": ["/canvas", "/canvas?start=七星村", "/canvas?start=zzzz"],
        "/neighbours.json": ["/neighbours.json?iri=https://w3id.org/yuetang-kg/id/place/zhaoshan-qixing-cun"],
        "/complete.json": ["/complete.json?q=qixing", "/complete.json?q="],
        "/search": ["/search", "/search?q=绿心"],
        "/static/vis-network/{name}": ["/static/vis-network/vis-network.min.js"],
        "/static/vendor/{name}": ["/static/vendor/yasgui.min.js"],
        "/sparql": ["/sparql", "/sparql?query=ASK%7B%7D", "/sparql?query=SELECT", "/sparql?update=x"],
        "/reconcile": ["/reconcile", "/reconcile?queries=%7B%7D"],
        "/reconcile/preview": ["/reconcile/preview?id=place/zhaoshan-qixing-cun", "/reconcile/preview"],
    }
    if "{" not in path:
        return samples.get(path, [path])
    assert path in samples, f"route {path} has no sample paths in this test: add some"
    return samples[path]


def every_path(app, catalogue, views) -> list[str]:
    routes = [route for route in app.routes if isinstance(route, Route)]
    return [sample for route in routes for sample in sample_paths(route.path, catalogue, views)]


def test_doctests():
    assert doctest.testmod(headers).failed == 0


def test_every_route_answers_with_the_security_headers(app, client, catalogue, repo_paths):
    views = load_views(repo_paths.ontology.parent / "viz")
    paths = every_path(app, catalogue, views)
    html_pages = 0
    for path in paths:
        answer = client.get(path, headers={"Accept": "text/html"} if "." not in path.rsplit("/", 1)[-1] else {})
        assert answer.status_code < 500, (path, answer.status_code)
        assert answer.headers["x-content-type-options"] == "nosniff", path
        policy = answer.headers["content-security-policy"]
        if path.startswith(FRAMEABLE) and answer.status_code == 200:
            assert "frame-ancestors *" in policy and "x-frame-options" not in answer.headers, path
            assert "script-src" not in policy and "default-src 'none'" in policy, path
        else:
            assert answer.headers["x-frame-options"] == "DENY", path
            assert "frame-ancestors 'none'" in policy, path
        if answer.headers.get("content-type", "").startswith("text/html"):
            html_pages += 1
            script_src = re.search(r"script-src ([^;]*)", policy) or re.search(r"default-src ([^;]*)", policy)
            assert "'unsafe-inline'" not in script_src.group(1) and "'unsafe-eval'" not in script_src.group(1), path
            # No inline script may run: every <script> element has a src, is data, or is allowed by its hash.
            for attributes, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", answer.text, re.DOTALL):
                assert "src=" in attributes or "application/json" in attributes or "'sha256-" in policy, path
            assert not re.search(r"<[^>]+\son[a-z]+\s*=", answer.text), f"inline event handler on {path}"
    assert html_pages >= len(catalogue) + 8  # every catalogue page, the editor, the explorer's pages


def test_the_host_header_is_never_reflected(client):
    hostile = {"Host": HOSTILE_HOST}
    for path in ("/sparql", "/sparql?format=ttl", "/", "/queries", "/downloads/void.ttl", "/queries/"):
        answer = client.get(path, headers=hostile, follow_redirects=False)
        assert HOSTILE_HOST not in answer.text, path
        assert all(HOSTILE_HOST not in value for value in answer.headers.values()), path
    browser = client.get("/sparql", headers={**hostile, "Accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 303 and browser.headers["location"] == "/query"
