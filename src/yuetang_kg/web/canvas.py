"""The exploration canvas: ``/canvas?start=NAME`` opens one entity, and a click on a node fetches its
neighbours from ``/neighbours.json?iri=IRI[&relation=NAME][&class=NAME][&offset=N][&limit=N]`` and adds them
(canvas.js). The page keeps its state (which nodes were expanded, in order, and the relations and classes
hidden) in its URL, so undo, the browser's back button and a shared link all restore it.

Each expansion is bounded (``MAX_NEIGHBOURS`` per request, with ``total`` and an ``offset`` for the rest), so a
hub never floods the page; the neighbours of a node are read from the explorer's index in a thread.
"""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import DataError
from . import inputs
from .resources import local_path

DEFAULT_NEIGHBOURS, MAX_NEIGHBOURS = 50, 200


def node_data(explorer, iri: str) -> dict:
    """A node as the canvas draws it: label, type, classes (for the class filter), colour, shape, page."""
    a = explorer.node(iri)
    style = explorer.views.style_of(a)
    return {"id": iri, "label": a["label_zh"], "label_en": a["label_en"], "type": a["type"],
            "type_zh": a["type_zh"], "type_en": a["type_en"], "classes": a["classes"] or [a["type"]],
            "color": style.color, "shape": style.shape, "url": local_path(iri),
            "title": f"{a['label_zh']} · {a['label_en']}\n{a['type_zh']} · {a['type_en']}"}


def neighbours(explorer, iri: str, relation: str | None, cls: str | None, offset: int, limit: int) -> dict:
    """The relations of one node, either direction, grouped by neighbour; filtered by relation name
    (``locatedIn``) and neighbour class (``Village``, or a superclass such as ``Place``); one page of them."""
    explorer.node(iri)
    edges: dict[str, list[dict]] = {}
    stated = explorer.index.edges_at([iri])
    others = explorer.index.nodes(b if a == iri else a for a, b, _ in stated)
    for source, target, data in stated:
        other = target if source == iri else source
        if other == iri or (relation and data["name"] != relation):
            continue
        if cls and cls not in (others[other]["classes"] or [others[other]["type"]]):
            continue
        quotes = [f"“{e['quote']}” [{e['begin']}–{e['end']})" for e in data["evidence"][:3]]
        edges.setdefault(other, []).append({
            "id": f"{source} {data['name']} {target}", "from": source, "to": target, "relation": data["name"],
            "label": data["label_zh"], "title": "\n".join([f"{data['label_zh']} · {data['label_en']}", *quotes])})
    order = sorted(edges, key=lambda n: (edges[n][0]["relation"], others[n]["label_zh"], n))
    page = order[offset : offset + limit]
    return {"node": node_data(explorer, iri), "total": len(order), "offset": offset, "limit": limit,
            "neighbours": [node_data(explorer, n) for n in page],
            "edges": [edge for n in page for edge in edges[n]]}


def routes(loader, pages) -> list[Route]:
    async def neighbours_json(request: Request) -> Response:
        params = request.query_params
        try:
            inputs.check_query_string(request.url.query)
            iri = inputs.text(params, "iri", "https://w3id.org/yuetang-kg/id/place/zhaoshan-qixing-cun")
            relation = inputs.text(params, "relation", required=False) or None
            cls = inputs.text(params, "class", required=False) or None
            offset = inputs.integer(params, "offset", 0, 0, 1_000_000)
            limit = inputs.integer(params, "limit", DEFAULT_NEIGHBOURS, 1, MAX_NEIGHBOURS)
        except inputs.BadInput as error:
            return inputs.refusal(error)
        explorer = await loader.ready()
        try:
            found = await run_in_threadpool(neighbours, explorer, iri, relation, cls, offset, limit)
        except DataError as error:
            return JSONResponse({"error": str(error)}, 404)
        return JSONResponse(found)

    async def canvas_page(request: Request) -> Response:
        if "start" not in request.query_params:
            return pages.page("canvas.html", start=None, error=None)
        try:
            inputs.check_query_string(request.url.query)
            name = inputs.text(request.query_params, "start", "七星村")
        except inputs.BadInput as error:
            return pages.error(str(error), 400)
        explorer = await loader.ready()
        try:
            node = await run_in_threadpool(explorer.resolve, name, "start")
        except DataError as error:
            return pages.page("canvas.html", 404, start=None, error=str(error), given=name)
        return pages.page("canvas.html", start=node_data(explorer, node), error=None, given=name,
                          max_neighbours=DEFAULT_NEIGHBOURS)

    return [Route("/canvas", canvas_page), Route("/neighbours.json", neighbours_json)]
