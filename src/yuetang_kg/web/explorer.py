"""The explorer part of the web app: entity search, resource pages with content negotiation, the annotated
article, indicator charts and the interactive views, with vis-network served from the pyvis package.

Routes: ``/`` (home), ``/search`` (+ ``/search.json``), ``/id/<kind>/<slug>`` (+ ``.ttl``, ``.nt``,
``.jsonld``, ``.rdf``), ``/article`` and ``/article/<slug>`` (``?mark=BEGIN,END`` highlights a range),
``/charts`` (+ ``/charts.json``), ``/views`` and ``/views/<name>`` (``?entity=`` for the ego view),
``/static/explorer/<file>`` and ``/static/vis-network/<file>``; and the parts that read the same data: the
completion index (``complete``), the term lookup of the result views (``terms``), the path finder
(``paths``) and the exploration canvas (``canvas``).

Content negotiation answers directly (200 with ``Vary: Accept`` and ``Content-Location`` naming the twin),
not with a 303: the IRI names a thing described by one document in several formats, and one round trip is
simpler for every client. The projection and everything derived from it are built on the first request and
kept for the life of the app (the graph is read-only).
"""

import threading
from dataclasses import dataclass
from importlib import resources

import networkx as nx
from rdflib import RDF, Graph, URIRef
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .. import analytics, views
from ..errors import DataError
from ..export import render
from ..formats import FORMATS
from ..jsonld import context_of
from ..namespaces import ID
from ..project import evidence_of, observations, to_networkx
from . import article, canvas, charts, complete, negotiation, paths, terms, textsearch
from . import resources as pages
from .layout import Pages
from .site import Site

HTML = "text/html"
RDF_FORMATS = [f for f in FORMATS.values() if not f.quads]
OFFERS = [HTML] + [f.media_type for f in RDF_FORMATS]
STATIC = {"explorer.css": "text/css"} | {
    name: "text/javascript"
    for name in ("explorer.js", "editor.js", "results.js", "catalogue.js", "path.js", "canvas.js")
}
EDGE_LABELS_UP_TO = 40  # nodes
MAX_SEARCH = 200  # characters of a search text
VIS_FILES = {"vis-network.min.js": "text/javascript", "vis-network.css": "text/css"}


def search_problem(text: str) -> str | None:
    """Why a search text is refused, or None: names are short, and matching costs grow with the text.

    >>> search_problem("七星村") is None
    True
    >>> search_problem("x" * 201)
    'parameter q: at most 200 characters, got 201'
    """
    if len(text) > MAX_SEARCH:
        return f"parameter q: at most {MAX_SEARCH} characters, got {len(text)}"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text):
        return "parameter q: control characters are not searchable"
    return None


def vis_network_file(name: str) -> bytes:
    """vis-network as the pyvis package ships it (the copy its in-line views embed), never from a CDN."""
    return (resources.files("pyvis") / "templates" / "lib" / "vis-9.1.2" / name).read_bytes()


@dataclass
class Explorer:
    """What the explorer pages read: the graphs, the projection, labels, documents, spans and charts."""

    data: Graph
    ontology: Graph
    projection: nx.MultiDiGraph
    views: views.ViewSet
    names: pages.Labels
    documents: dict[str, article.Document]
    targets: dict[str, list[dict]]
    charts: list[charts.Chart]
    context: dict  # the published JSON-LD context, for the JSON-LD twins
    completions: complete.Index
    texts: textsearch.TextIndex
    simple: nx.Graph  # the projection undirected, for the path finder

    @classmethod
    def build(cls, site: Site) -> "Explorer":
        projection = to_networkx(site.data, site.ontology)
        names = pages.Labels(site.data, site.ontology)
        observed = observations(site.data, site.ontology)
        drawn = charts.charts(observed, charts.load_comparisons(site.viz), lambda iri: names.of(URIRef(iri)))
        documents = article.documents(site.data)
        sources = [textsearch.Source(d.iri, d.slug, d.text) for d in documents.values()]
        spans = [article.spans_of(site.data, d) for d in documents.values()]
        return cls(
            site.data,
            site.ontology,
            projection,
            views.load_views(site.viz),
            names,
            documents,
            article.span_targets(site.data, names),
            drawn,
            context_of(site.ontology),
            complete.build_index(projection, site.ontology),
            textsearch.TextIndex(sources, [span for found in spans for span in found]),
            analytics.undirected(projection),
        )

    def evidence(self, spans: list[dict]) -> list[dict]:
        return [article.quote_in_context(self.documents, span) for span in spans]

    def entry(self, node: str) -> dict:
        """A search result or list item."""
        a = self.projection.nodes[node]
        return {
            "iri": a["iri"],
            "href": pages.local_path(a["iri"]),
            "label_zh": a["label_zh"],
            "label_en": a["label_en"],
            "pinyin": a["pinyin"],
            "type_zh": a["type_zh"],
            "type_en": a["type_en"],
        }

    def text_hits(self, text: str) -> list[dict]:
        """Where the words occur in the source text (as written or as pinyin), each with the facts, entities
        and observations whose evidence spans overlap it, the innermost spans' first."""
        hits = self.texts.find(text)
        for hit in hits:
            cited, seen = [], set()
            for span in sorted(hit.pop("spans"), key=lambda sp: sp["end"] - sp["begin"]):
                for target in self.targets.get(span["span"], []):
                    if target["href"] not in seen:
                        seen.add(target["href"])
                        cited.append({**target, "span": f"{span['begin']},{span['end']}"})
            hit["cited_by"] = cited
        return hits

    def ego_data(self, node: str) -> dict:
        """The ego graph of a node as vis-network data, each node with the path of its page."""
        part = analytics.ego(self.projection, node, 1)
        # Relation names on the edges help a small neighbourhood and bury a hub's; hover shows them anyway.
        nodes, edges, legend = views.vis_data(part, self.views, edge_labels=len(part) <= EDGE_LABELS_UP_TO)
        for item in nodes:
            item["url"] = pages.local_path(item["id"])
            item["borderWidth"] = 4 if item["id"] == node else 1
        options = self.views.options_of(self.views.views["ego"]) if "ego" in self.views.views else {}
        return {"center": node, "nodes": nodes, "edges": edges, "options": options, "legend": legend}

    def charts_about(self, iri: str) -> list[charts.Chart]:
        return [c for c in self.charts if iri in c.about]

    def resource(self, node: URIRef) -> dict:
        """Everything the resource page of one IRI shows."""
        data, names = self.data, self.names
        iri = str(node)
        context = {
            "iri": iri,
            "zh": names.of(node)[0],
            "en": names.of(node)[1],
            "types": [pages.value(t, names) for t in sorted(data.objects(node, RDF.type), key=str)],
            "properties": pages.properties(data, node, names),
            "inverse": pages.inverse_relations(data, node, names),
            "facts": [
                {**pages.fact_label(data, s, names), "evidence": self.evidence(evidence_of(data, s))}
                for s in pages.statements_about(data, node)
            ],
            "own_evidence": self.evidence(evidence_of(data, node)),
            "twins": [
                {"name": f.name, "href": f"{pages.local_path(iri)}{f.extension}", "media_type": f.media_type}
                for f in RDF_FORMATS
            ],
            "entity": None,
            "observations": [],
            "charts": self.charts_about(iri),
            "ego": None,
            "evidence": self.evidence,
        }
        if (node, RDF.type, RDF.Statement) in data:
            context["statement"] = pages.fact_label(data, node, names)
        if iri in self.projection:
            attributes = self.projection.nodes[iri]
            context["entity"] = attributes
            context["observations"] = [
                {**o, "evidence": self.evidence(o["evidence"]), "href": pages.local_path(o["iri"])}
                for o in attributes["observations"]
            ]
            context["ego"] = self.ego_data(iri)
        return context


class Loader:
    """The explorer's data for the parts that read it: prepared at startup by the app's lifespan (``prepare``), else
    built on first use in a thread, never on the event loop, and kept for the life of the app (the graph is
    read-only)."""

    def __init__(self, site: Site):
        self.site = site

    def get(self) -> Explorer:
        return prepare(self.site)

    async def ready(self) -> Explorer:
        if "explorer" in self.site.prepared:
            return self.site.prepared["explorer"]
        return await run_in_threadpool(self.get)


_PREPARING = threading.Lock()


def prepare(site: Site) -> Explorer:
    """The explorer's data for ``site``, built once: at startup by the app's lifespan, so that no visitor waits for
    it (else on first use)."""
    with _PREPARING:
        if "explorer" not in site.prepared:
            site.prepared["explorer"] = Explorer.build(site)
        return site.prepared["explorer"]


def routes(site: Site):
    loader = Loader(site)
    ready = loader.ready
    pages_ = Pages()
    page = pages_.page  # the site's CSP comes from headers.SecurityHeaders

    def error_page(error: DataError) -> HTMLResponse:
        return page("explorer_error.html", 500, message=str(error))

    async def home(request: Request) -> Response:
        try:
            ex = await ready()
        except DataError as error:
            return error_page(error)
        return page("home.html", documents=list(ex.documents.values()), entities=ex.projection.number_of_nodes(),
                    relations=ex.projection.number_of_edges(), spans=len(ex.targets))

    async def search(request: Request) -> Response:
        text = request.query_params.get("q", "").strip()
        problem = search_problem(text)
        if problem:
            return PlainTextResponse(f"{problem}\n", 400)
        try:
            ex = await ready()
        except DataError as error:
            return error_page(error)
        # Matching walks every name and the article: off the event loop, so that other pages never wait for it.
        names = await run_in_threadpool(analytics.find, ex.projection, text, 100) if text else []
        found = [ex.entry(n) for n, _ in names]
        hits = await run_in_threadpool(ex.text_hits, text) if text else []
        if request.url.path.endswith(".json"):
            return JSONResponse({"query": text, "results": found, "text": hits})
        groups: dict[str, list[dict]] = {}
        if not text:
            for node in ex.projection.nodes:
                item = ex.entry(node)
                groups.setdefault(f"{item['type_zh']} · {item['type_en']}", []).append(item)
        return page(
            "search.html",
            query=text,
            results=found,
            hits=hits,
            groups={k: sorted(v, key=lambda i: i["label_zh"]) for k, v in sorted(groups.items())},
        )

    async def resource(request: Request) -> Response:
        kind, slug = request.path_params["kind"], request.path_params["slug"]
        chosen = next((f for f in RDF_FORMATS if slug.endswith(f.extension)), None)
        if chosen is not None:
            slug = slug[: -len(chosen.extension)]
        node = ID[f"{kind}/{slug}"]
        try:
            ex = await ready()
        except DataError as error:
            return error_page(error)
        if (node, None, None) not in ex.data and (None, None, node) not in ex.data:
            return page("explorer_error.html", 404, message=f"nothing in the graph has the IRI {node}")
        if chosen is None:
            try:
                media_type = negotiation.choose(OFFERS, request.headers.get("accept"))
            except negotiation.NotAcceptable as error:
                return PlainTextResponse(f"{error}\n", 406, headers={"Vary": "Accept"})
            if media_type == HTML:
                alternates = ", ".join(
                    f'<{pages.local_path(str(node))}{f.extension}>; rel="alternate"; type="{f.media_type}"'
                    for f in RDF_FORMATS
                )
                return page(
                    "resource.html", headers={"Vary": "Accept", "Link": alternates}, **ex.resource(node)
                )
            chosen = next(f for f in RDF_FORMATS if f.media_type == media_type)
        body = render(pages.description(ex.data, node), chosen, ex.context)
        headers = {"Vary": "Accept", "Content-Location": f"{pages.local_path(str(node))}{chosen.extension}"}
        return Response(body, media_type=f"{chosen.media_type}; charset=utf-8", headers=headers)

    async def article_page(request: Request) -> Response:
        try:
            ex = await ready()
        except DataError as error:
            return error_page(error)
        slug = request.path_params.get("slug")
        chosen = [d for d in ex.documents.values() if slug is None or d.slug == slug]
        if slug is None and len(chosen) != 1:
            return page("article_index.html", documents=chosen)
        if not chosen:
            return page("explorer_error.html", 404, message=f"no source document {slug!r}")
        document = chosen[0]
        spans = article.spans_of(ex.data, document)
        mark = article.parse_mark(request.query_params.get("mark"), len(document.text))
        return page(
            "article.html",
            document=document,
            text=article.annotate(document.text, spans, ex.targets, mark),
            marked=mark is not None,
            spans=spans,
            targets=ex.targets,
        )

    async def charts_page(request: Request) -> Response:
        try:
            ex = await ready()
        except DataError as error:
            return error_page(error)
        if request.url.path.endswith(".json"):
            return JSONResponse(
                [
                    {
                        "name": c.name,
                        "title_zh": c.title_zh,
                        "title_en": c.title_en,
                        "kind": c.kind,
                        "panels": c.panels,
                        "notes": c.notes,
                    }
                    for c in ex.charts
                ]
            )
        return page("charts.html", charts=ex.charts, evidence=ex.evidence)

    async def views_index(request: Request) -> Response:
        try:
            ex = await ready()
        except DataError as error:
            return error_page(error)
        return page("views.html", views=list(ex.views.views.values()))

    async def view_page(request: Request) -> Response:
        try:
            ex = await ready()
            view = ex.views.views.get(request.path_params["name"])
            if view is None:
                return page("explorer_error.html", 404, message=f"no view {request.path_params['name']!r}")
            body = await run_in_threadpool(
                views.render, ex.projection, ex.views, view, request.query_params.get("entity")
            )
        except DataError as error:
            return page("explorer_error.html", 400, message=str(error))
        # The page carries its own policy: its inline scripts allowed by their hashes, nothing fetched.
        return HTMLResponse(body, headers={"Content-Security-Policy": views.page_policy(body)})

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("not found\n", 404)
        body = (resources.files("yuetang_kg.web") / "static" / "explorer" / name).read_bytes()
        return Response(body, media_type=STATIC[name])

    async def vis(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in VIS_FILES:
            return PlainTextResponse("not found\n", 404)
        return Response(
            vis_network_file(name),
            media_type=VIS_FILES[name],
            headers={"Cache-Control": "public, max-age=86400"},
        )

    return [
        Route("/", home),
        Route("/search", search),
        Route("/search.json", search),
        Route("/id/{kind}/{slug}", resource),
        Route("/article", article_page),
        Route("/article/{slug}", article_page),
        Route("/charts", charts_page),
        Route("/charts.json", charts_page),
        Route("/views", views_index),
        Route("/views/{name}", view_page),
        Route("/static/explorer/{name}", static),
        Route("/static/vis-network/{name}", vis),
        *complete.routes(loader),
        *terms.routes(loader),
        *paths.routes(loader, pages_),
        *canvas.routes(loader, pages_),
    ]
