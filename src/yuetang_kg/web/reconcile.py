"""The reconciliation service: the W3C Reconciliation Service API 0.2 (as OpenRefine 3.x speaks it) over the
graph's entities, matched by ``reconcile.Reconciler`` over the explorer's index (nothing is loaded or scanned for it).

Routes: ``/reconcile`` (the manifest; with ``queries=`` by GET or a POSTed form, a batch of queries),
``/reconcile/preview?id=…`` (a small HTML card that OpenRefine shows in a frame, so it alone may be framed; it
runs no script), and ``/reconcile/suggest/{entity,type,property}?prefix=…``. Entity ids are ``kind/slug``: the
manifest's view template opens ``/id/kind/slug`` on this site, and its links come from the configured base URL,
never from the request. Every answer allows any origin (CORS); JSONP is not offered. Inputs are bounded (batch
size, text lengths, property counts, body size), each excess refused with a one-line 400; matching runs off the
event loop.
"""

import json
import threading
from html import escape
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .. import __version__
from ..explore.reconcile import PROPERTIES, Candidate, Reconciler
from ..explore.reconcile import Request as Query
from ..namespaces import BASE, YKG
from .site import Site
from .sparql import BadRequest, read_body

MAX_QUERIES = 50  # per batch; OpenRefine sends 10
MAX_TEXT = 200  # characters of a name, a type, a property id or value, a key
MAX_ITEMS = 10  # types per query, properties per query, values per property
MAX_LIMIT = 100
DEFAULT_LIMIT = 10
MAX_CURSOR = 10_000
QUERY_KEYS = frozenset({"query", "type", "limit", "properties", "type_strict"})
DEFAULT_TYPES = ("Place", "Organization", "Person", "Industry", "Initiative")
CORS = {"Access-Control-Allow-Origin": "*"}
PREFLIGHT = CORS | {"Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Allow-Headers": "Content-Type",
                    "Access-Control-Max-Age": "86400"}
# The card runs nothing and loads nothing; OpenRefine (any origin) shows it in a frame.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors *"
PREVIEW_SIZE = (420, 160)

_PREPARING = threading.Lock()


def prepare(site: Site) -> Reconciler:
    """The matcher over the explorer's index, opened once."""
    with _PREPARING:
        if "reconcile" not in site.prepared:
            site.prepared["reconcile"] = Reconciler(site.index())
        return site.prepared["reconcile"]


def manifest(site: Site, reconciler: Reconciler) -> dict:
    base = site.release.base_url
    known = dict(reconciler.types)
    service = {"service_url": base.rstrip("/"), "service_path": "/reconcile/suggest/{}"}
    return {
        "versions": ["0.2"],
        "name": "岳塘知识图谱 · Yuetang District knowledge graph",
        "identifierSpace": f"{BASE}id/",
        "schemaSpace": str(YKG),
        "serviceVersion": __version__,
        "view": {"url": f"{base}id/{{{{id}}}}"},
        "preview": {"url": f"{base}reconcile/preview?id={{{{id}}}}", "width": PREVIEW_SIZE[0],
                    "height": PREVIEW_SIZE[1]},
        "defaultTypes": [{"id": t, "name": known[t]} for t in DEFAULT_TYPES if t in known],
        "suggest": {kind: {**service, "service_path": service["service_path"].format(kind)}
                    for kind in ("entity", "type", "property")},
    }


def _text(value, where: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{where}: expected a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise BadRequest(f"{where}: at most {MAX_TEXT} characters, got {len(value)}")
    if not allow_empty and not value.strip():
        raise BadRequest(f"{where}: empty")
    return value


def _list(value, where: str) -> list:
    values = value if isinstance(value, list) else [value]
    if len(values) > MAX_ITEMS:
        raise BadRequest(f"{where}: at most {MAX_ITEMS} items, got {len(values)}")
    return values


def _property_value(value, where: str) -> str:
    if isinstance(value, dict):
        return _text(value.get("id"), f"{where}.id")
    if isinstance(value, bool | int | float):
        return str(value)
    return _text(value, where)


def parse_query(key: str, item, where: str) -> Query:
    """One query of a batch, checked against the protocol's schema and our bounds."""
    if not isinstance(item, dict):
        raise BadRequest(f"{where}: each query is a JSON object")
    unknown = sorted(set(item) - QUERY_KEYS)
    if unknown:
        raise BadRequest(f"{where}: unknown key {unknown[0]!r}; valid: {', '.join(sorted(QUERY_KEYS))}")
    if "query" not in item and not item.get("properties"):
        raise BadRequest(f"{where}: give 'query' or 'properties'")
    text = _text(item.get("query", ""), f"{where}.query", allow_empty=True)
    types = tuple(_text(t, f"{where}.type") for t in _list(item.get("type", []), f"{where}.type"))
    limit = item.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"{where}.limit: a number from 1 to {MAX_LIMIT}")
    properties = []
    for index, entry in enumerate(_list(item.get("properties", []), f"{where}.properties")):
        at = f"{where}.properties[{index}]"
        if not isinstance(entry, dict) or "pid" not in entry or "v" not in entry:
            raise BadRequest(f"{at}: each property is an object with 'pid' and 'v'")
        pid = _text(entry["pid"], f"{at}.pid")
        if pid not in PROPERTIES:
            raise BadRequest(f"{at}.pid: unknown property {pid!r}; valid: {', '.join(PROPERTIES)}")
        values = tuple(_property_value(v, f"{at}.v") for v in _list(entry["v"], f"{at}.v"))
        properties.append((pid, values))
    return Query(text, types, tuple(properties), int(limit))


def parse_batch(text: str) -> dict[str, Query]:
    try:
        batch = json.loads(text)
    except ValueError as error:
        raise BadRequest(f"parameter queries: not JSON ({error})") from None
    if not isinstance(batch, dict) or not batch:
        raise BadRequest("parameter queries: a JSON object of queries by key, like {\"q0\": {\"query\": \"七星村\"}}")
    if len(batch) > MAX_QUERIES:
        raise BadRequest(f"parameter queries: at most {MAX_QUERIES} queries per batch, got {len(batch)}")
    return {_text(key, "query key"): parse_query(key, item, f"queries[{key!r}]") for key, item in batch.items()}


def candidate_json(candidate: Candidate) -> dict:
    return {"id": candidate.id, "name": candidate.name, "description": candidate.description,
            "type": [{"id": i, "name": n} for i, n in candidate.types], "score": candidate.score,
            "match": candidate.match}


def routes(site: Site) -> list[Route]:
    limit, timeout_s = site.settings.max_request_bytes, site.settings.client_timeout_s

    async def ready() -> Reconciler:
        return site.prepared.get("reconcile") or await run_in_threadpool(prepare, site)

    async def parameters(request: Request) -> dict[str, str]:
        if len(request.url.query) > limit:
            raise BadRequest(f"the URL's query string is over the limit of {limit} bytes; POST long batches")
        given = dict(request.query_params)
        if request.method == "POST":
            body = await read_body(request, limit, timeout_s)
            try:
                form = parse_qs(body.decode("utf-8"), max_num_fields=MAX_ITEMS, strict_parsing=False)
            except (UnicodeDecodeError, ValueError) as error:
                raise BadRequest(f"the body is not a UTF-8 form ({error})") from None
            given |= {name: values[-1] for name, values in form.items()}
        return given

    def refused(error: BadRequest) -> Response:
        message = str(error).splitlines()[0]
        return PlainTextResponse(f"{message}\n", error.status, headers=CORS)

    async def service(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=PREFLIGHT)
        try:
            given = await parameters(request)
            if "extend" in given:
                raise BadRequest("parameter extend: data extension is not offered by this service")
            batch = parse_batch(given["queries"]) if "queries" in given else None
        except BadRequest as error:
            return refused(error)
        reconciler = await ready()
        if batch is None:
            return JSONResponse(manifest(site, reconciler), headers=CORS)

        def answer() -> dict:
            return {key: {"result": [candidate_json(c) for c in reconciler.reconcile(query)]}
                    for key, query in batch.items()}

        return JSONResponse(await run_in_threadpool(answer), headers=CORS)

    async def suggest(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=PREFLIGHT)
        kind = request.url.path.rsplit("/", 1)[-1]
        try:
            prefix = _text(request.query_params.get("prefix", ""), "parameter prefix", allow_empty=True)
            cursor = request.query_params.get("cursor", "0")
            if not cursor.isdigit() or int(cursor) > MAX_CURSOR:
                raise BadRequest(f"parameter cursor: an integer from 0 to {MAX_CURSOR}")
            types = tuple(_text(t, "parameter type") for t in request.query_params.getlist("type")[:MAX_ITEMS])
        except BadRequest as error:
            return refused(error)
        reconciler, start = await ready(), int(cursor)
        if kind == "entity":
            found = await run_in_threadpool(reconciler.suggest_entities, prefix, types, start + DEFAULT_LIMIT)
            result = [{"id": c.id, "name": c.name, "description": c.description,
                       "notable": [{"id": i, "name": n} for i, n in c.types]} for c in found[start:]]
        else:
            pick = reconciler.suggest_types if kind == "type" else reconciler.suggest_properties
            result = [{"id": i, "name": n} for i, n in pick(prefix, start + DEFAULT_LIMIT)[start:]]
        return JSONResponse({"result": result}, headers=CORS)

    async def preview(request: Request) -> Response:
        identifier = request.query_params.get("id", "")
        reconciler = await ready()
        entity = await run_in_threadpool(reconciler.entity, identifier)
        if entity is None:
            return PlainTextResponse(f"parameter id: no entity {identifier[:MAX_TEXT]!r}; ids read kind/slug\n",
                                     404 if identifier else 400, headers=CORS)
        link = f"{site.release.base_url}id/{identifier}"
        body = (
            '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>'
            f"{escape(entity['name'])}</title><style>body{{font:14px sans-serif;margin:8px}}h1{{font-size:18px;"
            f"margin:0 0 4px}}p{{margin:2px 0;color:#444}}</style></head><body><h1>{escape(entity['name'])}</h1>"
            f"<p>{escape(entity['description'])}</p>"
            f"<p><a href=\"{escape(link)}\" target=\"_blank\" rel=\"noopener\">{escape(identifier)}</a></p>"
            "</body></html>\n"
        )
        return HTMLResponse(body, headers=CORS | {"Content-Security-Policy": PREVIEW_CSP})

    methods = ["GET", "POST", "OPTIONS"]
    return [
        Route("/reconcile", service, methods=methods),
        Route("/reconcile/preview", preview),
        *[Route(f"/reconcile/suggest/{kind}", suggest, methods=["GET", "OPTIONS"])
          for kind in ("entity", "type", "property")],
    ]
