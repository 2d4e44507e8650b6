"""The query catalogue on the web: ``/queries`` (the list, with a ``.json`` twin), ``/queries/<name>`` (the
answer as an HTML table and in the view the query declares, graph, chart or timeline, drawn by results.js;
with ``.json``, ``.csv`` and, for graphs, ``.ttl`` twins; parameters as URL parameters, bound as validated RDF
terms, never spliced raw) and ``/query``, the YASGUI editor with one tab per catalogue query, run against our own
``/sparql``, with the same views as YASR plugins, completion from our graph and shareable links (editor.js).

YASGUI comes from the npm package ``@zazuko/yasgui`` that ``make vendor`` installs into ``static/vendor/``; it is
served from here, never from a CDN, and configured so that it makes no outside request (no prefix.cc or LOV
autocompletion, no endpoint catalogue but ours).
"""

import json
from importlib import resources

from rdflib import Graph
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..namespaces import BASE, PREFIXES
from ..query.catalogue import Query
from . import sparql, workers
from .layout import Pages
from .site import Site

YASGUI_PACKAGE = "@zazuko/yasgui@4.6.2"
VENDOR_FILES = {"yasgui.min.js": "text/javascript", "yasgui.min.css": "text/css"}
MISSING_VENDOR = (f"YASGUI is not installed: run `make vendor` (it installs {YASGUI_PACKAGE} from the npm "
                  "registry into src/yuetang_kg/web/static/vendor/); `make run` and `make test` do it too.")
# What each page suffix asks the workers for: an Accept list that fits both query forms where it can.
SUFFIX_ACCEPT = {
    "": "application/sparql-results+json, application/n-triples;q=0.9",
    ".json": "application/sparql-results+json, application/ld+json;q=0.9",
    ".csv": "text/csv",
    ".ttl": "text/turtle",
}


def vendor_path(name: str):
    return resources.files("yuetang_kg.web") / "static" / "vendor" / name


def vendor_installed() -> bool:
    return all(vendor_path(name).is_file() for name in VENDOR_FILES)


def short(iri: str) -> str:
    """An IRI with a known prefix, as a reader wants it (``id:place/qixing-cun``).

    >>> short("https://w3id.org/yuetang-kg/ontology#Village")
    'ykg:Village'
    """
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(str(namespace)) and len(iri) > len(str(namespace)):
            return f"{prefix}:{iri[len(str(namespace)):]}"
    return iri


def local_link(iri: str) -> str | None:
    """Our own IRIs open their page on this site, other web IRIs stay as they are, the rest (``urn:``,
    ``javascript:`` …) are not links.

    >>> local_link("https://w3id.org/yuetang-kg/id/place/zhaoshan-qixing-cun"), local_link("javascript:alert(1)")
    ('/id/place/zhaoshan-qixing-cun', None)
    """
    if iri.startswith(BASE):
        return "/" + iri[len(BASE):]
    return iri if iri.startswith(("http://", "https://")) else None


def _cell(term: dict | None) -> dict:
    if term is None:
        return {"text": ""}
    if term["type"] == "uri":
        return {"text": short(term["value"]), "href": local_link(term["value"]), "title": term["value"]}
    if term["type"] == "bnode":
        return {"text": f"_:{term['value']}"}
    note = term.get("xml:lang") or (short(term["datatype"]) if "datatype" in term else "")
    return {"text": term["value"], "note": note}


def _rdf_term(node) -> dict:
    kind = {"URIRef": "uri", "BNode": "bnode"}.get(type(node).__name__, "literal")
    term = {"type": kind, "value": str(node)}
    if kind == "literal" and node.language:
        term["xml:lang"] = node.language
    elif kind == "literal" and node.datatype:
        term["datatype"] = str(node.datatype)
    return term


def results(answer: workers.Answer) -> dict:
    """An answer fetched with ``SUFFIX_ACCEPT[""]`` as SPARQL 1.1 JSON results; a graph as the
    subject/predicate/object rows YASR makes of one, so that the result views read both alike."""
    if answer.media_type == "application/n-triples":
        graph = Graph().parse(data=answer.body.decode("utf-8"), format="nt")
        names = ["subject", "predicate", "object"]
        rows = [dict(zip(names, map(_rdf_term, triple), strict=True)) for triple in sorted(graph)]
        return {"head": {"vars": names}, "results": {"bindings": rows}}
    return json.loads(answer.body)


def table(result: dict) -> tuple[list[str], list[list[dict]]]:
    """Column names and display cells of ``results``."""
    if "boolean" in result:
        return ["answer"], [[{"text": "true" if result["boolean"] else "false"}]]
    names = result["head"]["vars"]
    return names, [[_cell(row.get(name)) for name in names] for row in result["results"]["bindings"]]


def given_parameters(query: Query, request: Request) -> dict[str, str]:
    """The URL's parameters as the query's parameters, unknown or missing ones named in a 400."""
    given = dict(request.query_params)
    names = [p.name for p in query.params]
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise sparql.BadRequest(f"query {query.name} has no parameter {', '.join(unknown)}; "
                                f"valid: {', '.join(names) or 'none'}")
    missing = [p.name for p in query.params if p.name not in given and p.default is None]
    if missing:
        raise sparql.BadRequest(f"query {query.name} needs the URL parameter {', '.join(missing)}")
    return given


def listing(catalogue: dict[str, Query]) -> list[dict]:
    return [
        {"name": q.name, "title_zh": q.title_zh, "title_en": q.title_en, "description": q.description,
         "tags": list(q.tags), "view": q.view, "url": f"/queries/{q.name}",
         "params": [{"name": p.name, "kind": p.kind, "default": p.default, "description": p.description}
                    for p in q.params]}
        for q in catalogue.values()
    ]


def routes(site: Site) -> list[Route]:
    page = Pages().page

    async def index(request: Request) -> Response:
        return page("catalogue_index.html", queries=listing(site.catalogue))

    async def index_json(request: Request) -> Response:
        return JSONResponse(listing(site.catalogue), headers=sparql.CORS)

    async def query_page(request: Request) -> Response:
        name, _, suffix = request.path_params["name"].partition(".")
        suffix = f".{suffix}" if suffix else ""
        query = site.catalogue.get(name)
        if query is None or suffix not in SUFFIX_ACCEPT:
            return PlainTextResponse(f"no catalogue query {request.path_params['name']!r}; see /queries\n", 404)
        try:
            given = given_parameters(query, request)
            job = workers.Job(query.text, query.bindings(given), SUFFIX_ACCEPT[suffix], (),
                              site.settings.max_rows)
            answer = await sparql.run_query(site, job, request)
        except sparql.QUERY_ERRORS as error:
            if suffix:
                return sparql.error_response(error)
            status = sparql.error_response(error).status_code
            return page("catalogue_query.html", status, query=query, given=request.query_params, error=str(error))
        if suffix:
            return sparql.answer_response(answer)
        result = results(answer)
        columns, rows = table(result)
        return page("catalogue_query.html", query=query, given=request.query_params, columns=columns, rows=rows,
                    truncated=answer.truncated, max_rows=site.settings.max_rows,
                    query_string=request.url.query, result=result if "boolean" not in result else None)

    async def editor(request: Request) -> Response:
        if not vendor_installed():
            return PlainTextResponse(MISSING_VENDOR + "\n", 500)
        tabs = [{"name": q.name, "title": q.title_zh or q.name, "query": q.text, "view": q.view}
                for q in site.catalogue.values()]
        prefixes = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
        return page("query_editor.html", tabs=tabs, selected=request.query_params.get("tab"), prefixes=prefixes)

    async def vendor(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in VENDOR_FILES:
            return PlainTextResponse("not found\n", 404)
        path = vendor_path(name)
        if not path.is_file():
            return PlainTextResponse(MISSING_VENDOR + "\n", 404)
        return FileResponse(path, media_type=VENDOR_FILES[name])

    return [
        Route("/queries", index),
        Route("/queries.json", index_json),
        Route("/queries/{name}", query_page),
        Route(sparql.QUERY_PAGE, editor),
        Route("/static/vendor/{name}", vendor),
    ]
