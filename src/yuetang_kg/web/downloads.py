"""The downloads part of the web app: every published file at a stable URL, the ontology by content
negotiation, and the dataset description at its well-known address.

Routes: ``/downloads/`` (the list), ``/downloads/<file>`` (``yuetang.ttl``, ``ontology.jsonld``,
``yuetang-all.trig``, ``context.jsonld``, ``void.ttl``, ``ontology.html`` …, see ``publication``),
``/ontology`` (the HTML documentation, or the ontology in any RDF format by ``Accept`` or ``?format=``), and
``/.well-known/void`` (VoID §7.2). The files are the build's own (those its report lists), streamed from the
build folder with the hash the report records as their ETag: a dump is as large as the corpus, and the server
neither holds nor hashes it. Two are made on first request and kept (they are small, whatever the graph's size):
the description, whose links use the site's base URL (its IRIs under the build's base are moved under the
site's), and the ontology's HTML, which links to ``/downloads/``.
"""

import hashlib
import threading
from html import escape
from pathlib import Path

from rdflib import Graph, URIRef
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..bundle import REPORT_NAME
from ..publish.describe import DEFAULT_BASE_URL, DOWNLOADS
from ..publish.export import file_name, render
from ..publish.formats import FORMATS
from ..publish.ontology_docs import ontology_html
from ..publish.publication import CONTEXT_FILE, DESCRIPTION_FILE, ONTOLOGY_DOCS_FILE
from . import negotiation
from .site import Site

HTML = "text/html"
# The documentation page runs no script and loads nothing: allow only its inline style.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'"
ONTOLOGY_OFFERS = [HTML] + [fmt.media_type for fmt in FORMATS.values()]
FORMAT_NAMES = {"html": HTML} | {name: fmt.media_type for name, fmt in FORMATS.items()}
FORMAT_OF_MEDIA_TYPE = {fmt.media_type: fmt for fmt in FORMATS.values()}


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def media_type_of(name: str) -> str:
    if name == CONTEXT_FILE:
        return FORMATS["jsonld"].media_type
    if name.endswith(".html"):
        return HTML
    return next(f.media_type for f in FORMATS.values() if name.endswith(f.extension))


def moved(graph: Graph, old: str, new: str) -> Graph:
    """The graph with every IRI under ``old`` moved under ``new``."""

    def move(term):
        return URIRef(new + term[len(old) :]) if isinstance(term, URIRef) and term.startswith(old) else term

    result = Graph()
    for prefix, namespace in graph.namespaces():
        result.bind(prefix, namespace, replace=True)
    for triple in graph:
        result.add(tuple(move(t) for t in triple))
    return result


class BuildFiles:
    """The published files of a build folder, served as the site publishes them."""

    def __init__(self, site: Site):
        self.site = site
        self._made: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return [name for name in self.site.report()["outputs"] if name != REPORT_NAME]

    def media_type(self, name: str) -> str:
        return media_type_of(name)

    def path(self, name: str) -> Path:
        return Path(self.site.build) / name

    def etag(self, name: str) -> str:
        """A file's ETag as served as built: the start of the hash the build recorded (``check_build`` compared
        the file with it when the server started)."""
        return '"' + self.site.report()["outputs"][name][:32] + '"'

    def made(self, name: str) -> bytes | None:
        """The file as the site publishes it, when that is not the build's bytes (else None: served from disk)."""
        old, new = self.site.report().get("base_url", DEFAULT_BASE_URL), self.site.release.base_url
        if name != ONTOLOGY_DOCS_FILE and not (name == DESCRIPTION_FILE and old != new):
            return None
        with self._lock:
            if name not in self._made:
                self._made[name] = self._make(name, old, new)
            return self._made[name]

    def _make(self, name: str, old: str, new: str) -> bytes:
        if name == ONTOLOGY_DOCS_FILE:
            ontology = Graph().parse(data=self.path("ontology.nt").read_bytes(), format="nt")
            return ontology_html(ontology, "/" + DOWNLOADS).encode("utf-8")
        return render(moved(Graph().parse(data=self.path(name).read_bytes(), format="turtle"), old, new),
                      FORMATS["ttl"], {})


def routes(site: Site) -> list[Route]:
    publication = BuildFiles(site)

    def file_response(request: Request, name: str, negotiated: bool = False) -> Response:
        body = publication.made(name)
        media_type = publication.media_type(name)
        headers = {"ETag": publication.etag(name) if body is None else _etag(body)}
        if media_type == HTML:
            headers["Content-Security-Policy"] = CSP
        if negotiated:
            headers["Vary"] = "Accept"
            headers["Content-Location"] = f"/{DOWNLOADS}{name}"
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(status_code=304, headers=headers)
        if body is None:
            return FileResponse(publication.path(name), media_type=media_type, headers=headers)
        return Response(body, media_type=media_type, headers=headers)

    def listing(request: Request) -> Response:
        items = "\n".join(
            f'<li><a href="{escape(name)}">{escape(name)}</a> <small>{escape(publication.media_type(name))}</small>'
            for name in publication.names()
        )
        page = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Downloads · 下载</title></head>'
            f"<body><h1>Downloads · 下载</h1><ul>\n{items}\n</ul>"
            '<p>The ontology\'s documentation: <a href="/ontology">/ontology</a>. '
            'The dataset description (VoID, DCAT): <a href="void.ttl">void.ttl</a>.</p></body></html>\n'
        )
        return HTMLResponse(page, headers={"Content-Security-Policy": CSP})

    def download(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in publication.names():
            return PlainTextResponse(f"no file {name!r} here; the files are listed at /{DOWNLOADS}", 404)
        return file_response(request, name)

    def ontology(request: Request) -> Response:
        try:
            chosen = negotiation.choose(
                ONTOLOGY_OFFERS, request.headers.get("accept"), request.query_params.get("format"), FORMAT_NAMES
            )
        except negotiation.NotAcceptable as error:
            return PlainTextResponse(str(error), 406, headers={"Vary": "Accept"})
        name = ONTOLOGY_DOCS_FILE if chosen == HTML else file_name("ontology", FORMAT_OF_MEDIA_TYPE[chosen])
        return file_response(request, name, negotiated=True)

    def well_known_void(request: Request) -> Response:
        return file_response(request, DESCRIPTION_FILE)

    return [
        Route(f"/{DOWNLOADS}", listing),
        Route(f"/{DOWNLOADS}{{name}}", download),
        Route("/ontology", ontology),
        Route("/.well-known/void", well_known_void),
    ]
