"""``/terms.json``: labels, type, colour and page of IRIs, from our own graph, for the result views that draw
a query's answer (results.js): a node is named and coloured as the explorer names and colours it, whatever
columns the query returns.

POST ``{"iris": [IRI, …]}`` (at most ``MAX_IRIS``, body at most 100 kB); the answer maps each IRI to
``{label_zh, label_en, type_zh, type_en, color, shape, href}``, or to null when the graph does not know it.
"""

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import inputs
from .resources import local_path

MAX_IRIS = 2000
MAX_BODY = 100_000


def describe(explorer, iri: str) -> dict | None:
    """What the result views show of one IRI: an entity as the explorer shows it, any other term by its
    labels; None for an IRI that appears nowhere in the graph or the ontology."""
    a = explorer.index.node(iri)
    if a is not None:
        style = explorer.views.style_of(a)
        return {"label_zh": a["label_zh"], "label_en": a["label_en"], "type_zh": a["type_zh"],
                "type_en": a["type_en"], "color": style.color, "shape": style.shape, "href": local_path(iri)}
    found = explorer.index.label(iri)  # the index labels every IRI of the data and the ontology
    if found is None:
        return None
    zh, en = found
    return {"label_zh": zh, "label_en": en, "type_zh": "", "type_en": "", "color": None, "shape": None,
            "href": local_path(iri)}


def read_iris(body: bytes) -> list[str]:
    if len(body) > MAX_BODY:
        raise inputs.BadInput(f"the body is over {MAX_BODY} bytes")
    try:
        iris = json.loads(body.decode("utf-8"))["iris"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise inputs.BadInput('POST a JSON object {"iris": ["https://…", …]}') from None
    if not isinstance(iris, list) or not iris or not all(isinstance(i, str) and 0 < len(i) <= 2000 for i in iris):
        raise inputs.BadInput('"iris" must be a non-empty list of IRIs (strings of at most 2000 characters)')
    if len(iris) > MAX_IRIS:
        raise inputs.BadInput(f"ask for at most {MAX_IRIS} IRIs at a time")
    return iris


def routes(loader) -> list[Route]:
    async def lookup(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return inputs.refusal(inputs.BadInput(f"the body is over {MAX_BODY} bytes"))
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                break
        try:
            iris = read_iris(bytes(body))
        except inputs.BadInput as error:
            return inputs.refusal(error)
        explorer = await loader.ready()
        return JSONResponse({iri: describe(explorer, iri) for iri in dict.fromkeys(iris)})

    return [Route("/terms.json", lookup, methods=["POST"])]
