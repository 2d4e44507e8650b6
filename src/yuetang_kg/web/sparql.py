"""``/sparql``: the SPARQL 1.1 Protocol (query operation) over the site's dataset, read-only and limited.

Queries come by GET (``?query=``), by POST of a form, or by POST of ``application/sparql-query``; the answer's
format follows ``Accept`` (q-values honoured) or the ``format`` parameter. A GET without a query answers the
Service Description. Every query runs in a worker process (``workers``), or on the remote engine of ``serve
--endpoint`` (``upstream``), under the site's timeout and row cap.

Status codes: 400 malformed query or request, 403 refused (update, SERVICE, LOAD, FROM, dataset parameters),
406 no acceptable format, 413/414 request too large, 415 unknown body type, 503 timeout or all workers busy,
502 the remote engine failed (``serve --endpoint``).

The endpoint is a plain ASGI app, which the site's app answers before its middleware and router (``app``): a cheap
query spent more of the server's time in that stack than in the exchange with its worker. So its answers carry
the security headers themselves (``headers.DATA_HEADERS``, what the middleware gives every answer that is not a
page), and an unexpected error is answered 500 here, without its details.
"""

import asyncio
import logging
from functools import lru_cache
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import DataError
from ..publish.formats import FORMATS, serialize
from . import answers, guard, negotiation, service, upstream, workers
from .connections import WHOLE_ANSWER
from .headers import DATA_HEADERS
from .site import Site

log = logging.getLogger(__name__)

TRUNCATED_HEADER = "X-Yuetang-Truncated"
# Reads are public: any web page may query the endpoint (YASGUI elsewhere, notebooks in the browser).
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": TRUNCATED_HEADER}
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type",
    "Access-Control-Max-Age": "86400",
}
DATASET_PARAMS = ("default-graph-uri", "named-graph-uri")
FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"
QUERY_PAGE = "/query"
METHODS = ("GET", "HEAD", "POST", "OPTIONS")
_SECURITY = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in DATA_HEADERS.items()]


class BadRequest(ValueError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8"


ERROR_STATUS = {
    guard.Malformed: 400,
    DataError: 400,
    guard.Refused: 403,
    negotiation.NotAcceptable: 406,
    workers.QueryTimeout: 503,
    workers.QueryTooBig: 503,
    workers.Busy: 503,
    workers.WorkerFailed: 500,
    upstream.UpstreamFailed: 502,
}
QUERY_ERRORS = (BadRequest, *ERROR_STATUS)


def error_response(error: Exception) -> Response:
    """The HTTP answer to a refused or failed query: a status and the message as plain text."""
    status = ERROR_STATUS.get(type(error), getattr(error, "status", 500))
    headers = dict(CORS)
    if isinstance(error, workers.Busy):
        headers["Retry-After"] = str(error.retry_after)
    return PlainTextResponse(f"{error}\n", status, headers=headers)


def client_of(request: Request) -> str:
    """Whose share of the workers a request counts against: its address (the proxy's view, see README)."""
    return request.client.host if request.client else "unknown"


async def run_query(site: Site, job: workers.Job, request: Request) -> workers.Answer:
    """Run a job on the site's workers under its timeout and the fair queue, without blocking the event loop."""
    return await site.workers.run(job, site.settings.timeout_s, client_of(request))


def answer_response(answer: workers.Answer, extra: dict | None = None) -> Response:
    headers = {**CORS, "Content-Type": content_type(answer.media_type), "Vary": "Accept", **(extra or {})}
    if answer.truncated:
        headers[TRUNCATED_HEADER] = "true"
    return Response(answer.body, 200, headers=headers)


async def read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (checked before reading when the size is given)
    and with 408 when it takes longer than ``timeout_s`` to arrive (a client trickling it holds a connection)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BadRequest(f"request body of {declared} bytes is over the limit of {limit}", 413)
    body = bytearray()
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise BadRequest(f"request body is over the limit of {limit} bytes", 413)
    except TimeoutError:
        raise BadRequest(f"the request body took longer than {timeout_s:g} s to arrive", 408) from None
    except ClientDisconnect:
        raise BadRequest("the client went away before sending its body", 400) from None
    return bytes(body)


def decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"{what} is not UTF-8: {error}") from None


async def read_parameters(request: Request, limit: int, timeout_s: float) -> dict[str, list[str]]:
    """The protocol's parameters from the URL and, for POST, the body; a query body becomes ``query``.
    The caller must not change the dict it gets: a GET's may be shared with the next request of the same URL."""
    raw = request.scope["query_string"]
    if len(raw) > limit:
        raise BadRequest(f"the URL's query string is over the limit of {limit} bytes; POST long queries", 414)
    if request.method != "POST":
        return _url_parameters(raw) if len(raw) <= _REMEMBERED_URL else _parameters(raw)
    pairs = _pairs(raw.decode("latin-1"))  # as request.url.query, without building a URL
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await read_body(request, limit, timeout_s)
    if media_type == FORM:
        pairs += _pairs(decode(body, "the form"))
    elif media_type == QUERY_BODY:
        pairs.append(("query", decode(body, "the query")))
    elif media_type == UPDATE_BODY:
        raise guard.Refused("this endpoint is read-only: SPARQL updates are refused")
    else:
        raise BadRequest(f"POST a body of type {FORM} or {QUERY_BODY}, not {media_type or 'nothing'}", 415)
    return _grouped(pairs)


def _pairs(encoded: str) -> list[tuple[str, str]]:
    return parse_qsl(encoded, keep_blank_values=True)


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in pairs:
        params.setdefault(key, []).append(value)
    return params


def _parameters(raw: bytes) -> dict[str, list[str]]:
    return _grouped(_pairs(raw.decode("latin-1")))


# A URL's parameters are remembered: the same queries come again and again (a dashboard, the catalogue's links),
# and decoding a query string was a tenth of the server's time for a cheap query. Short URLs only, so that the
# memory held stays under a MiB.
_url_parameters = lru_cache(maxsize=256)(_parameters)
_REMEMBERED_URL = 2048


def single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise BadRequest(f"give the parameter {name!r} once, not {len(values)} times")
    return values[0] if values else None


def describe_service(request: Request, site: Site, formats: list[str]) -> Response:
    """The Service Description, or a redirect to the query page for a browser that prefers HTML."""
    offers = [f.media_type for f in FORMATS.values() if not f.quads] + ["text/html"]
    media_type = negotiation.choose(offers, request.headers.get("accept"), formats, answers.format_names("DESCRIBE"))
    if media_type == "text/html":
        return RedirectResponse(QUERY_PAGE, 303, headers=CORS)
    endpoint = site.release.base_url + "sparql"  # configured, never the request's Host header
    graph = service.service_description(endpoint, site.triples(), site.settings)
    fmt = next(f for f in FORMATS.values() if f.media_type == media_type)
    headers = {**CORS, "Content-Type": content_type(media_type), "Vary": "Accept"}
    return Response(serialize(graph, fmt), 200, headers=headers)


class Endpoint:
    """``/sparql``, an ASGI app that answers with the security headers itself (see the module's note)."""

    def __init__(self, site: Site):
        self.site = site

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.respond(request)
        except Exception:  # what the middleware's error handler did: log it, tell the client nothing of it
            log.exception("/sparql failed")
            response = PlainTextResponse("Internal Server Error\n", 500, headers=CORS)
        response.raw_headers += _SECURITY
        whole = scope.get("extensions", {}).get(WHOLE_ANSWER)  # served by uvicorn through ``connections``
        if whole is None:
            await response(scope, receive, send)
        else:
            await whole(response.status_code, response.raw_headers, response.body)

    async def respond(self, request: Request) -> Response:
        site = self.site
        if request.method not in METHODS:
            return PlainTextResponse("Method Not Allowed", 405, headers={"Allow": ", ".join(METHODS)})
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=PREFLIGHT)
        try:
            params = await read_parameters(request, site.settings.max_request_bytes, site.settings.client_timeout_s)
            if "update" in params:
                raise guard.Refused("this endpoint is read-only: SPARQL updates are refused")
            if any(name in params for name in DATASET_PARAMS):
                raise guard.Refused("default-graph-uri and named-graph-uri are refused: this endpoint answers "
                                    "from its own dataset only")
            text = single(params, "query")
            if text is None:
                if request.method == "POST":
                    raise BadRequest("no query: send it as the 'query' parameter or as an application/"
                                     "sparql-query body")
                return describe_service(request, site, params.get("format", []))
            job = workers.Job(text, {}, request.headers.get("accept"), tuple(params.get("format", ())),
                              site.settings.max_rows)
            return answer_response(await run_query(site, job, request))
        except QUERY_ERRORS as error:
            return error_response(error)


def routes(site: Site) -> list[Route]:
    return [Route("/sparql", Endpoint(site))]  # in the table too, for whatever walks it (``app`` answers first)
