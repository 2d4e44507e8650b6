"""The explorer part of the web app: entity search, resource pages with content negotiation, the annotated
article, indicator charts and the interactive views, with vis-network served from the pyvis package.

Routes: ``/`` (home), ``/search`` (+ ``/search.json``), ``/id/<kind>/<slug>`` (+ ``.ttl``, ``.nt``,
``.jsonld``, ``.rdf``), ``/article`` and ``/article/<slug>`` (``?mark=BEGIN,END`` highlights a range),
``/charts`` (+ ``/charts.json``; ``?document=SLUG`` for one source document's), ``/views`` and
``/views/<name>`` (``?entity=`` for the ego view), ``/static/explorer/<file>`` and ``/static/vis-network/<file>``; and the parts that read the same data: the
completion index (``complete``), the term lookup of the result views (``terms``), the path finder
(``paths``) and the exploration canvas (``canvas``).

Content negotiation answers directly (200 with ``Vary: Accept`` and ``Content-Location`` naming the twin),
not with a 303: the IRI names a thing described by one document in several formats, and one round trip is
simpler for every client. Everything but descriptions is read from the build's index (``index.Index``:
projection, names, documents and their pinyin, spans, charts), a request's rows at a time; a resource's
description is one CONSTRUCT on the store (or endpoint), so the server process never holds the graph, computes
nothing from all of it when it starts, and what it keeps in memory does not grow with it.
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

from ..errors import DataError
from ..explore import analytics, views
from ..explore.index import ALIAS_NAME, ALIAS_OTHER, Index
from ..explore.project import evidence_of
from ..namespaces import ID
from ..publish.export import render
from ..publish.formats import FORMATS
from ..query.sparql_text import writable_iri
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


# The description of one IRI as its page shows it (``resources.description`` and the facts with their evidence):
# its own triples, those pointing at it, the statements about it, and the spans they and it cite.
DESCRIPTION = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX ykg: <https://w3id.org/yuetang-kg/ontology#>
CONSTRUCT { ?s ?p ?o } WHERE {
  { ?node ?p ?o BIND(?node AS ?s) }
  UNION { ?s ?p ?node BIND(?node AS ?o) }
  UNION { ?s rdf:subject|rdf:object ?node . ?s ?p ?o }
  UNION { ?statement rdf:subject|rdf:object ?node . ?statement ykg:evidence ?s . ?s ?p ?o }
  UNION { ?node ykg:evidence ?s . ?s ?p ?o }
}
"""
MAX_LISTED = 2000  # entities listed on /search without a text; past it, a notice says how many there are
MAX_CHARTS = 100  # charts one page draws
MAX_EGO = 200  # neighbours drawn around an entity on its page (a hub's most are left to /canvas)
MAX_VIEW_NODES = 3000  # entities a whole-graph view draws; a larger graph is viewed one neighbourhood at a time
RESOLVE_CANDIDATES = 1000


@dataclass
class Explorer:
    """What the explorer pages read: the build's index (projection, names, documents, spans, charts), the store or
    endpoint for descriptions, the view styles and the JSON-LD context."""

    index: Index
    source: object  # store.OxigraphStore (read-only) or remote.RemoteStore: ``query(sparql, bindings)``
    views: views.ViewSet
    names: pages.Labels
    context: dict  # the published JSON-LD context, for the JSON-LD twins

    @classmethod
    def build(cls, site: Site) -> "Explorer":
        index = site.index()
        return cls(index, site.source(), views.load_views(site.viz), pages.Labels(index.label), site.context())

    @property
    def texts(self) -> textsearch.TextIndex:
        index = self.index

        def sources(key: str):
            return ((textsearch.Source(iri, slug, text), spelled) for iri, slug, text, spelled in index.texts(key))

        return textsearch.TextIndex(sources, lambda iri: textsearch.Pinyin(**index.reading(iri)), index.spans_over)

    def documents(self, iris) -> dict[str, article.Document]:
        """The source documents named, text included, by IRI."""
        found = (self.index.document(iri) for iri in sorted(set(iris)))
        return {d["iri"]: article.Document(**d) for d in found if d is not None}

    def document(self, slug: str) -> article.Document | None:
        found = self.index.document(slug=slug)
        return None if found is None else article.Document(**found)

    def chart_page(self, limit: int, document: str | None = None) -> tuple[list[charts.Chart], int]:
        """The first ``limit`` charts (of one document's, when given) and how many there are."""
        drawn, total = self.index.charts(limit, document)
        return [charts.Chart(**c) for c in drawn], total

    def evidence(self, spans: list[dict]) -> list[dict]:
        documents = self.documents(span["document"] for span in spans)
        return [article.quote_in_context(documents, span) for span in spans]

    def node(self, iri: str) -> dict:
        """The projection's attributes of an entity; DataError when the graph has no such entity."""
        found = self.index.node(iri)
        if found is None:
            raise DataError(f"no entity {iri!r} in the graph", "iri")
        return found

    def entry(self, node: str | dict) -> dict:
        """A search result or list item."""
        a = self.node(node) if isinstance(node, str) else node
        return {
            "iri": a["iri"],
            "href": pages.local_path(a["iri"]),
            "label_zh": a["label_zh"],
            "label_en": a["label_en"],
            "pinyin": a["pinyin"],
            "type_zh": a["type_zh"],
            "type_en": a["type_en"],
        }

    def find(self, text: str, limit: int | None = None) -> list[tuple[str, tuple]]:
        """Entities named by ``text``, ranked as ``analytics.find`` ranks them: an exact id first, then names."""
        found = self.index.find(text, ("entity",), limit or RESOLVE_CANDIDATES,
                                aliases=(ALIAS_NAME, ALIAS_OTHER))
        exact = self.index.node_by_id(text.strip())
        if exact is not None:
            found = [(exact, (analytics.EXACT, 0, 0))] + [f for f in found if f[0] != exact]
        return found[:limit] if limit else found

    def describe(self, iri: str) -> str:
        a = self.node(iri)
        return f"{a['label_zh']} {a['label_en']} [{a['kind']}/{a['slug']}]"

    def resolve(self, name: str, where: str = "name") -> str:
        """The one entity ``name`` means (``analytics.choose``)."""
        return analytics.choose(self.find(name), name, where, self.describe)

    def resolution_note(self, name: str, iri: str) -> str | None:
        return analytics.choice_note(self.find(name), name, iri, self.describe)

    def neighbourhood(self, iri: str, radius: int = 1, limit: int | None = None) -> tuple[nx.MultiDiGraph, int]:
        """The entity, what lies within ``radius`` relations of it (at most ``limit`` nodes, nearest and then
        by IRI first), and the relations among them; and how many nodes were within reach."""
        self.node(iri)
        levels, reached = [[iri]], {iri}
        for _ in range(radius):
            around = self.index.adjacency(levels[-1])
            levels.append(sorted({n for f in levels[-1] for n in around[f]} - reached))
            reached.update(levels[-1])
        kept = [n for level in levels for n in level][: limit or MAX_EGO]
        return self.index.subgraph(kept), len(reached)

    def text_hits(self, text: str) -> list[dict]:
        """Where the words occur in the source text (as written or as pinyin), each with the facts, entities
        and observations whose evidence spans overlap it, the innermost spans' first."""
        hits = self.texts.find(text)
        targets = self.index.targets(span["span"] for hit in hits for span in hit["spans"])
        for hit in hits:
            cited, seen = [], set()
            for span in sorted(hit.pop("spans"), key=lambda sp: sp["end"] - sp["begin"]):
                for target in targets.get(span["span"], []):
                    if target["href"] not in seen:
                        seen.add(target["href"])
                        cited.append({**target, "span": f"{span['begin']},{span['end']}"})
            hit["cited_by"] = cited
        return hits

    def ego_data(self, node: str) -> dict:
        """The ego graph of a node as vis-network data, each node with the path of its page."""
        part, reached = self.neighbourhood(node)
        # Relation names on the edges help a small neighbourhood and bury a hub's; hover shows them anyway.
        nodes, edges, legend = views.vis_data(part, self.views, edge_labels=len(part) <= EDGE_LABELS_UP_TO)
        for item in nodes:
            item["url"] = pages.local_path(item["id"])
            item["borderWidth"] = 4 if item["id"] == node else 1
        options = self.views.options_of(self.views.views["ego"]) if "ego" in self.views.views else {}
        return {"center": node, "nodes": nodes, "edges": edges, "options": options, "legend": legend,
                "reached": reached}

    def charts_about(self, iri: str) -> list[charts.Chart]:
        return [charts.Chart(**c) for c in self.index.charts_about(iri)]

    def description(self, node: URIRef) -> Graph:
        """What the graph says about ``node`` and the facts about it, read from the store or endpoint. The IRI
        (``resources.is_servable``) is written into the query: Oxigraph plans each UNION branch from its bound
        subject or object then, where a VALUES block joined afterwards costs a scan of each branch."""
        if not writable_iri(str(node)):
            raise DataError(f"not an IRI: {str(node)!r}", "iri")
        return self.source.query(DESCRIPTION.replace("?node", f"<{node}>")).graph

    def resource(self, node: URIRef, data: Graph) -> dict:
        """Everything the resource page of one IRI shows; ``data`` is its ``description``."""
        names = self.names
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
        attributes = self.index.node(iri)
        if attributes is not None:
            context["entity"] = attributes
            context["observations"] = [
                {**o, "evidence": self.evidence(o["evidence"]), "href": pages.local_path(o["iri"])}
                for o in attributes["observations"]
            ]
            context["ego"] = self.ego_data(iri)
        return context

    def view(self, view: views.View, entity: str | None) -> str:
        """One view's page: a neighbourhood around ``entity`` for ego views, else the whole graph while it is
        small enough to draw (``MAX_VIEW_NODES``)."""
        if view.ego_radius is not None:
            if not entity:
                raise DataError(f"the view {view.name!r} shows one entity's neighbourhood: give ?entity=NAME",
                                "entity")
            center = self.resolve(entity, "entity")
            part, reached = self.neighbourhood(center, view.ego_radius, MAX_VIEW_NODES)
            note = None
            if reached > len(part):
                note = (f"{reached} entities lie within {view.ego_radius} relation(s) of it: the {len(part)} nearest "
                        "are drawn (open the others from /canvas)")
            return views.render(part, self.views, view, center, note)
        entities = self.index.meta["entities"]
        if entities > MAX_VIEW_NODES:
            raise DataError(f"the graph has {entities} entities, more than a whole-graph view draws "
                            f"({MAX_VIEW_NODES}): open an entity's neighbourhood (the ego view, or /canvas)", "view")
        return views.render(self.index.projection(), self.views, view, entity)


class Loader:
    """The explorer's data for the parts that read it: opened at startup by the app's lifespan (``prepare``), else
    on first use in a thread, never on the event loop, and kept for the life of the app (the build is
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
    """The explorer's data for ``site``, opened once: at startup by the app's lifespan, so that no visitor waits
    for it (else on first use)."""
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
        meta = ex.index.meta
        documents = await run_in_threadpool(ex.index.documents)
        return page("home.html", documents=documents, entities=meta["entities"],
                    relations=meta["relations"], spans=meta["spans"])

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
        names = await run_in_threadpool(ex.find, text, 100) if text else []
        found = [ex.entry(n) for n, _ in names]
        hits = await run_in_threadpool(ex.text_hits, text) if text else []
        if request.url.path.endswith(".json"):
            return JSONResponse({"query": text, "results": found, "text": hits})
        groups: dict[str, list[dict]] = {}
        if not text:
            for node in await run_in_threadpool(lambda: list(ex.index.all_nodes(MAX_LISTED))):
                item = ex.entry(node)
                groups.setdefault(f"{item['type_zh']} · {item['type_en']}", []).append(item)
        return page(
            "search.html",
            query=text,
            results=found,
            hits=hits,
            groups={k: sorted(v, key=lambda i: i["label_zh"]) for k, v in sorted(groups.items())},
            entities=ex.index.meta["entities"],
            listed=MAX_LISTED,
        )

    async def resource(request: Request) -> Response:
        kind, slug = request.path_params["kind"], request.path_params["slug"]
        chosen = next((f for f in RDF_FORMATS if slug.endswith(f.extension)), None)
        if chosen is not None:
            slug = slug[: -len(chosen.extension)]
        node = ID[f"{kind}/{slug}"]
        try:
            ex = await ready()
            data = await run_in_threadpool(ex.description, node) if pages.is_servable(node) else Graph()
        except DataError as error:
            return error_page(error)
        if not data:
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
                context = await run_in_threadpool(ex.resource, node, data)
                return page("resource.html", headers={"Vary": "Accept", "Link": alternates}, **context)
            chosen = next(f for f in RDF_FORMATS if f.media_type == media_type)
        body = render(pages.description(data, node), chosen, ex.context)
        headers = {"Vary": "Accept", "Content-Location": f"{pages.local_path(str(node))}{chosen.extension}"}
        return Response(body, media_type=f"{chosen.media_type}; charset=utf-8", headers=headers)

    async def article_page(request: Request) -> Response:
        try:
            ex = await ready()
        except DataError as error:
            return error_page(error)
        slug = request.path_params.get("slug")
        if slug is None:
            listed = await run_in_threadpool(ex.index.documents)
            if len(listed) != 1:
                return page("article_index.html", documents=listed)
            slug = listed[0]["slug"]
        document = await run_in_threadpool(ex.document, slug)
        if document is None:
            return page("explorer_error.html", 404, message=f"no source document {slug!r}")
        spans = await run_in_threadpool(ex.index.spans_of, document.iri)
        targets = await run_in_threadpool(ex.index.targets, [span["span"] for span in spans])
        mark = article.parse_mark(request.query_params.get("mark"), len(document.text))
        return page(
            "article.html",
            document=document,
            text=article.annotate(document.text, spans, targets, mark),
            marked=mark is not None,
            spans=spans,
            targets=targets,
        )

    async def charts_page(request: Request) -> Response:
        try:
            ex = await ready()
        except DataError as error:
            return error_page(error)
        slug = request.query_params.get("document")
        iri = None
        if slug is not None:
            document = await run_in_threadpool(ex.index.document, None, slug)
            if document is None:
                return page("explorer_error.html", 404, message=f"no source document {slug!r}")
            iri = document["iri"]
        # A corpus has charts by the thousand: a page draws the first MAX_CHARTS, and links each document's own.
        chosen, total = await run_in_threadpool(ex.chart_page, MAX_CHARTS, iri)
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
                    for c in chosen
                ]
            )
        documents = await run_in_threadpool(ex.index.documents)
        # Drawing reads each bar's sentence from the index: off the event loop, like the other reads.
        return await run_in_threadpool(lambda: page("charts.html", charts=chosen, total=total, evidence=ex.evidence,
                                                    documents=documents if len(documents) > 1 else [],
                                                    document=slug))

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
            body = await run_in_threadpool(ex.view, view, request.query_params.get("entity"))
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
