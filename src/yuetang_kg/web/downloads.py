"""The downloads part of the web app: every published file at a stable URL, the ontology by content
negotiation, and the dataset description at its well-known address.

Routes: ``/downloads/`` (the list), ``/downloads/<file>`` (``yuetang.ttl``, ``ontology.jsonld``,
``yuetang-all.trig``, ``context.jsonld``, ``void.ttl``, ``ontology.html`` …, see ``publication``),
``/ontology`` (the HTML documentation, or the ontology in any RDF format by ``Accept`` or ``?format=``), and
``/.well-known/void`` (VoID §7.2). The files are made from the site's graphs on first request and kept: the
same bytes as the build writes for the same graphs, except that the description's links use the site's base
URL and the HTML links to ``/downloads/``.
"""

import hashlib
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..describe import DOWNLOADS
from ..export import file_name
from ..formats import FORMATS
from ..publication import DESCRIPTION_FILE, ONTOLOGY_DOCS_FILE, Publication
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


def routes(site: Site) -> list[Route]:
    publication = Publication(site.data, site.ontology, site.release, downloads="/" + DOWNLOADS)

    def file_response(request: Request, name: str, negotiated: bool = False) -> Response:
        body = publication.get(name)
        media_type = publication.media_type(name)
        headers = {"ETag": _etag(body)}
        if media_type == HTML:
            headers["Content-Security-Policy"] = CSP
        if negotiated:
            headers["Vary"] = "Accept"
            headers["Content-Location"] = f"/{DOWNLOADS}{name}"
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(status_code=304, headers=headers)
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
