"""The path finder in the browser: ``/path?from=…&to=…[&limit=N]`` and its twin ``/path.json``.

Names are matched exactly as ``yuetang-kg path`` matches them (``analytics.resolve``: zh, en, pinyin with or
without tones, or id; an exact name first, else the single best partial match); a name that matches nothing,
or several entities equally well, gets the candidates instead of a path. The shortest chains are drawn as a
graph and listed hop by hop, each hop with its quote in its sentence and a link to that span in ``/article``.
Resolution and the search run in a thread, over the explorer's index: a breadth-first search a level at a time
(at most ``MAX_VISITED`` entities), then the paths through the entities it found.
"""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import DataError
from ..explore import analytics
from . import inputs
from .resources import local_path

DEFAULT_PATHS, MAX_PATHS = 3, 10
CANDIDATES = 10
MAX_VISITED = 50_000  # entities the search may reach before it gives up


def end(explorer, name: str, where: str) -> dict:
    """One end of the path: the entity a name resolves to, or the candidates and why none was chosen."""
    try:
        node = explorer.resolve(name, where)
    except DataError as error:
        found = [explorer.entry(n) for n, _ in explorer.find(name, limit=CANDIDATES)]
        return {"query": name, "entity": None, "candidates": found, "error": str(error)}
    return {"query": name, "entity": explorer.entry(node), "candidates": [],
            "note": explorer.resolution_note(name, node)}


def hop_data(explorer, hop: dict) -> dict:
    return {
        **hop,
        "from_en": explorer.node(hop["from"])["label_en"],
        "to_en": explorer.node(hop["to"])["label_en"],
        "from_href": local_path(hop["from"]),
        "to_href": local_path(hop["to"]),
        "evidence": explorer.evidence(hop["evidence"]),
    }


def drawing(explorer, paths: list[list[dict]]) -> dict:
    """The chains as vis-network data: every entity on them (``level``: its place along the first chain that
    passes it, so the chain reads left to right), every hop an arrow in its stated direction."""
    nodes, edges = {}, {}
    for path in paths:
        for step, hop in enumerate(path):
            for level, iri in ((step, hop["from"]), (step + 1, hop["to"])):
                if iri in nodes:
                    continue
                a = explorer.node(iri)
                style = explorer.views.style_of(a)
                nodes[iri] = {"id": iri, "level": level, "label": a["label_zh"], "title": f"{a['label_zh']} · {a['label_en']}\n"
                              f"{a['type_zh']} · {a['type_en']}", "color": style.color, "shape": style.shape,
                              "url": local_path(iri)}
            source, target = (hop["from"], hop["to"]) if hop["direction"] == "forward" else (hop["to"], hop["from"])
            quotes = [f"“{e['quote']}” [{e['begin']}–{e['end']})" for e in hop["evidence"]]
            edges[(source, hop["predicate"], target)] = {
                "id": f"{source} {hop['predicate']} {target}", "from": source, "to": target,
                "label": hop["label_zh"], "title": "\n".join([f"{hop['label_zh']} · {hop['label_en']}", *quotes])}
    return {"nodes": list(nodes.values()), "edges": list(edges.values())}


def find_paths(explorer, source: str, target: str, limit: int) -> dict:
    """The answer of /path.json: both ends as resolved, and the chains between them, best evidenced first."""
    ends = {"from": end(explorer, source, "from"), "to": end(explorer, target, "to")}
    paths, note = [], None
    if ends["from"]["entity"] and ends["to"]["entity"]:
        a, b = ends["from"]["entity"]["iri"], ends["to"]["entity"]["iri"]
        between = analytics.on_shortest_paths(explorer.index.adjacency, a, b, MAX_VISITED)
        if between is None:
            note = f"no connection found among the {MAX_VISITED} entities nearest to {ends['from']['query']!r}"
        elif between:
            part = explorer.index.subgraph(between)
            found = analytics.shortest_paths(part, a, b, limit)
            paths = [[hop_data(explorer, h) for h in analytics.path_as_data(part, hops)] for hops in found]
    return {**ends, "paths": paths, "note": note}


def routes(loader, pages) -> list[Route]:
    def parameters(request: Request) -> tuple[str, str, int]:
        inputs.check_query_string(request.url.query)
        return (inputs.text(request.query_params, "from", "七星村"), inputs.text(request.query_params, "to", "湘潭市"),
                inputs.integer(request.query_params, "limit", DEFAULT_PATHS, 1, MAX_PATHS))

    async def path_json(request: Request) -> Response:
        try:
            source, target, limit = parameters(request)
        except inputs.BadInput as error:
            return inputs.refusal(error)
        answer = await run_in_threadpool(find_paths, await loader.ready(), source, target, limit)
        resolved = answer["from"]["entity"] and answer["to"]["entity"]
        return JSONResponse(answer, 200 if resolved else 404)

    async def path_page(request: Request) -> Response:
        if "from" not in request.query_params and "to" not in request.query_params:
            return pages.page("path.html", answer=None, given={})
        try:
            source, target, limit = parameters(request)
        except inputs.BadInput as error:
            return pages.error(str(error), 400)
        explorer = await loader.ready()
        answer = await run_in_threadpool(find_paths, explorer, source, target, limit)
        resolved = answer["from"]["entity"] and answer["to"]["entity"]
        return pages.page("path.html", 200 if resolved else 404, answer=answer, given=request.query_params,
                           graph=drawing(explorer, answer["paths"]), json_href=f"/path.json?{request.url.query}")

    return [Route("/path", path_page), Route("/path.json", path_json)]
