"""Interactive views of the projection: the view definitions of ``viz/views.yaml`` and their rendering as
self-contained, offline HTML files with pyvis.

pyvis 0.3.2 has traps that this module closes (see the project's engines reference): only
``cdn_resources="in_line"`` works offline, and even then its template fetches bootstrap from a CDN (the two tags
are removed); its ``heading`` goes into the page unescaped (we never use it: our header is escaped); a node
title containing ``href`` switches it to a tooltip that sets ``innerHTML`` (we break that word with an
invisible joiner); ``write_html`` uses the locale's encoding (we write UTF-8 bytes atomically); ``from_nx`` is
O(nodes × edges) (we fill ``net.nodes`` and ``net.edges`` directly).
"""

import base64
import copy
import hashlib
import html
import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import networkx as nx
import yaml
from pyvis.network import Network

from ..errors import DataError
from ..files import write_atomic
from .analytics import ego, names_of, neighbours, resolve

VIEWS_FILE = "views.yaml"
_VIEW_KEYS = {
    "name",
    "title_zh",
    "title_en",
    "description",
    "edges",
    "source",
    "target",
    "classes",
    "ego",
    "edge_labels",
    "options",
}
_SHAPES = {"dot", "square", "diamond", "triangle", "triangleDown", "star", "hexagon"}
_BOOTSTRAP = re.compile(
    r"\s*<(link|script)\b[^>]*cdn\.jsdelivr\.net/npm/bootstrap[^>]*>\s*(</script>)?", re.DOTALL
)
_EMPTY_HEADING = re.compile(r"\s*<center>\s*<h1></h1>\s*</center>")
# The page may fetch nothing: everything it needs is inline, and its scripts run only if their hashes are the
# ones listed in its policy (``page_policy``), so an injected script or handler never runs.
CSP = (
    "default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "connect-src 'none'; base-uri 'none'; form-action 'none'"
)
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.DOTALL)
_META_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">')


@dataclass(frozen=True)
class Style:
    color: str
    shape: str


@dataclass(frozen=True)
class View:
    name: str
    title_zh: str
    title_en: str
    description: str = ""
    edges: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    ego_radius: int | None = None
    edge_labels: bool = False
    options: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class ViewSet:
    """Every view of a ``views.yaml`` with the shared styles and vis-network options."""

    views: dict[str, View]
    styles: dict[str, Style]
    fallback: Style
    options: dict = field(hash=False, compare=False)

    def style_of(self, attributes: dict) -> Style:
        for cls in attributes.get("classes") or [attributes.get("type", "")]:
            if cls in self.styles:
                return self.styles[cls]
        return self.fallback

    def options_of(self, view: View) -> dict:
        return _merged(self.options, view.options)


def _merged(base: dict, over: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in over.items():
        merged[key] = (
            _merged(merged[key], value)
            if isinstance(value, dict) and isinstance(merged.get(key), dict)
            else value
        )
    return merged


def _style(value, where: str) -> Style:
    if not isinstance(value, dict) or set(value) != {"color", "shape"}:
        raise DataError('a style is {color: "#rrggbb", shape: …}', where)
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", str(value["color"])) or value["shape"] not in _SHAPES:
        raise DataError(f"colour must be #rrggbb and shape one of {', '.join(sorted(_SHAPES))}", where)
    return Style(value["color"], value["shape"])


def _view(entry, where: str) -> View:
    if not isinstance(entry, dict) or not {"name", "title_zh", "title_en"} <= set(entry):
        raise DataError("a view needs name, title_zh and title_en", where)
    unknown = set(entry) - _VIEW_KEYS
    if unknown:
        raise DataError(
            f"unknown key(s) {', '.join(sorted(unknown))}; valid: {', '.join(sorted(_VIEW_KEYS))}", where
        )
    if not re.fullmatch(r"[a-z0-9-]+", str(entry["name"])):
        raise DataError("a view name is lower-case ASCII letters, digits and -", where)
    radius = (entry.get("ego") or {}).get("radius") if "ego" in entry else None
    if "ego" in entry and not (isinstance(radius, int) and radius >= 1):
        raise DataError("ego is {radius: N} with N ≥ 1", where)
    return View(
        name=entry["name"],
        title_zh=str(entry["title_zh"]),
        title_en=str(entry["title_en"]),
        description=str(entry.get("description", "")),
        edges=tuple(entry.get("edges") or ()),
        source=tuple(entry.get("source") or ()),
        target=tuple(entry.get("target") or ()),
        classes=tuple(entry.get("classes") or ()),
        ego_radius=radius,
        edge_labels=bool(entry.get("edge_labels", False)),
        options=entry.get("options") or {},
    )


def read_definitions(path: Path, what: str):
    """A YAML file of definitions (views, charts) as plain data; unreadable or invalid YAML is a DataError."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise DataError(f"cannot read the {what}: {error.strerror}", str(path)) from None
    except yaml.YAMLError as error:
        raise DataError(f"invalid YAML: {error}", str(path)) from None


def load_views(folder: Path) -> ViewSet:
    """Read ``views.yaml`` of a folder; a bad entry raises DataError naming the file and the view."""
    path = Path(folder) / VIEWS_FILE
    document = read_definitions(path, "view definitions")
    if not isinstance(document, dict) or not isinstance(document.get("views"), list):
        raise DataError("expected a mapping with styles:, options: and a list views:", str(path))
    styles = {
        name: _style(value, f"{path}: style {name}") for name, value in (document.get("styles") or {}).items()
    }
    views = {}
    for number, entry in enumerate(document["views"], start=1):
        view = _view(
            entry, f"{path}: view {number} ({entry.get('name') if isinstance(entry, dict) else entry})"
        )
        if view.name in views:
            raise DataError(f"duplicate view name {view.name!r}", str(path))
        views[view.name] = view
    fallback = _style(document.get("fallback", {"color": "#9e9e9e", "shape": "dot"}), f"{path}: fallback")
    return ViewSet(views, styles, fallback, document.get("options") or {})


def _has_class(attributes: dict, wanted: tuple[str, ...]) -> bool:
    return not wanted or bool(set(attributes.get("classes") or [attributes.get("type")]) & set(wanted))


def select(graph: nx.MultiDiGraph, view: View, center: str | None = None) -> nx.MultiDiGraph:
    """The part of the projection a view shows; ego views show the neighbourhood of the node ``center``."""
    if view.ego_radius is not None:
        if center is None:
            raise DataError(
                f"the view {view.name!r} shows one entity's neighbourhood: give --entity NAME", "--entity"
            )
        return ego(graph, center, view.ego_radius)
    if not view.edges:
        keep = [n for n, a in graph.nodes(data=True) if _has_class(a, view.classes)]
        return graph.subgraph(keep).copy()
    edges = [
        (a, b, key)
        for a, b, key, data in graph.edges(keys=True, data=True)
        if data["name"] in view.edges
        and _has_class(graph.nodes[a], view.source + view.classes)
        and _has_class(graph.nodes[b], view.target + view.classes)
    ]
    return graph.edge_subgraph(edges).copy()


def _unlink(text: str) -> str:
    # pyvis switches to an innerHTML tooltip when a node title contains "href"; a word joiner defuses it.
    return text.replace("href", "h\u2060ref")


def node_tooltip(attributes: dict) -> str:
    """Plain text for hovering a node: labels, pinyin, type, the evidence quote and a few figures."""
    lines = [f"{attributes['label_zh']} · {attributes['label_en']}"]
    if attributes.get("pinyin"):
        lines.append(attributes["pinyin"])
    lines.append(f"类型 type: {attributes['type_zh']} · {attributes['type_en']}")
    for span in attributes.get("evidence", [])[:2]:
        lines.append(f"证据 evidence: “{span['quote']}” [{span['begin']}–{span['end']}]")
    for item in attributes.get("observations", [])[:4]:
        lines.append(f"{item['variable_zh']} {item['period']}: {item['stated'] or item['value']}")
    return "\n".join(lines)


def edge_tooltip(data: dict) -> str:
    lines = [f"{data['label_zh']} · {data['label_en']}"]
    lines += [f"“{span['quote']}” [{span['begin']}–{span['end']}]" for span in data["evidence"][:2]]
    lines += [f"reference: {r['label_en']}" for r in data["references"]]
    return "\n".join(lines)


def vis_data(graph: nx.MultiDiGraph, views: ViewSet, edge_labels: bool = False) -> tuple[list, list, list]:
    """vis-network nodes and edges of a (sub)graph, sorted, and the legend of the classes it shows."""
    nodes, legend = [], {}
    for node in sorted(graph.nodes):
        attributes = graph.nodes[node]
        style = views.style_of(attributes)
        legend[attributes["type"]] = (attributes["type_zh"], attributes["type_en"], style)
        nodes.append(
            {
                "id": node,
                "label": attributes["label_zh"],
                "title": _unlink(node_tooltip(attributes)),
                "color": style.color,
                "shape": style.shape,
                "value": len(neighbours(graph, node)) + 1,
                "names": names_of(attributes),
                "aka": attributes.get("aka", []),
                "kind": attributes["kind"],
                "slug": attributes["slug"],
            }
        )
    edges = []
    for a, b, key, data in sorted(graph.edges(keys=True, data=True), key=lambda e: e[:3]):
        edge = {"id": f"{a} {key} {b}", "from": a, "to": b, "title": edge_tooltip(data)}
        if edge_labels:
            edge["label"] = data["label_zh"]
        edges.append(edge)
    entries = [
        {"type": t, "label_zh": zh, "label_en": en, "color": s.color, "shape": s.shape}
        for t, (zh, en, s) in sorted(legend.items())
    ]
    return nodes, edges, entries


def legend_html(entries: list[dict]) -> str:
    """The legend as HTML: a coloured shape and the class name in both languages per class."""
    items = "".join(
        f'<li><svg width="14" height="14" aria-hidden="true">{_shape_svg(e["shape"], e["color"])}</svg> '
        f"{html.escape(e['label_zh'])} {html.escape(e['label_en'])}</li>"
        for e in entries
    )
    return f'<ul class="legend">{items}</ul>'


def _shape_svg(shape: str, color: str) -> str:
    points = {
        "triangle": "7,1 13,13 1,13",
        "triangleDown": "1,1 13,1 7,13",
        "diamond": "7,0 14,7 7,14 0,7",
        "hexagon": "4,1 10,1 13,7 10,13 4,13 1,7",
        "star": "7,0 9,5 14,5 10,8 12,14 7,10 2,14 4,8 0,5 5,5",
    }
    if shape == "square":
        return f'<rect x="1" y="1" width="12" height="12" fill="{color}"/>'
    if shape in points:
        return f'<polygon points="{points[shape]}" fill="{color}"/>'
    return f'<circle cx="7" cy="7" r="6" fill="{color}"/>'


def center_of(graph: nx.MultiDiGraph, view: View, entity: str | None) -> str | None:
    """The node an ego view is drawn around, resolved from a name or id; None for other views."""
    if view.ego_radius is None:
        return None
    if not entity:
        raise DataError(
            f"the view {view.name!r} shows one entity's neighbourhood: give --entity NAME", "--entity"
        )
    return resolve(graph, entity, "--entity")


def render(graph: nx.MultiDiGraph, views: ViewSet, view: View, entity: str | None = None, note: str | None = None
           ) -> str:
    """One view as a self-contained HTML page: pyvis' inline vis-network, our escaped header, legend and
    search box, nothing fetched from the network; ``note`` says what was left out."""
    center = center_of(graph, view, entity)
    part = select(graph, view, center)
    nodes, edges, legend = vis_data(part, views, view.edge_labels)
    net = Network(height="calc(100vh - 170px)", width="100%", directed=True, cdn_resources="in_line")
    net.nodes, net.edges = nodes, edges
    net.options = views.options_of(view)
    page = net.generate_html()
    page, removed = _BOOTSTRAP.subn("", page)
    if removed != 2:
        raise RuntimeError(f"pyvis template changed: expected 2 bootstrap tags, found {removed}")
    page = _EMPTY_HEADING.sub("", page)
    # view.js calls drawGraph() itself and listens for the end of stabilisation in the same task: a small graph
    # can stabilise before a later <script> element runs, and the event would be missed.
    page, calls = re.subn(r"\n\s*drawGraph\(\);\n", "\n", page)
    if calls != 1:
        raise RuntimeError(f"pyvis template changed: expected one drawGraph() call, found {calls}")
    heading = f"{view.title_zh} · {view.title_en}"
    if center is not None:
        heading = f"{view.title_zh}：{graph.nodes[center]['label_zh']} · {view.title_en}: {graph.nodes[center]['label_en']}"
    head = f"<title>{html.escape(heading)}</title>\n<style>{_asset('view.css')}</style>"
    header = (
        f'<header class="view-header"><h1>{html.escape(heading)}</h1>'
        f"<p>{html.escape(view.description)} ({len(nodes)} nodes, {len(edges)} relations)</p>"
        + (f'<p class="view-note">{html.escape(note)}</p>' if note else "")
        + '<form class="view-search" role="search"><input id="view-search" type="search" autocomplete="off" '
        'placeholder="搜索 search: 七星村 / qixing / Qixing Village" aria-label="search">'
        '<ol id="view-search-results"></ol></form>'
        f"{legend_html(legend)}</header>"
    )
    page = page.replace("<html>", '<!DOCTYPE html>\n<html lang="zh">', 1)
    page = page.replace('<meta charset="utf-8">', f'<meta charset="utf-8">\n{head}', 1)
    page = page.replace("<body>", f"<body>\n{header}", 1)
    page = page.replace("</body>", f"<script>{_asset('view.js')}</script>\n</body>", 1)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{page_policy(page)}">'
    return page.replace('<meta charset="utf-8">', f'<meta charset="utf-8">\n{meta}', 1)


def page_policy(page: str) -> str:
    """The Content-Security-Policy of a view page: its own inline scripts, by SHA-256, and nothing else.

    >>> page_policy("<script>go()</script>").split("; ")[1]
    "script-src 'sha256-5KYv+PUboo5h+0+YAtGRPbwv5d/QxzHslP4YGnUaxRw='"
    """
    page = _META_CSP.sub("", page)
    hashes = [base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
              for body in _SCRIPT.findall(page)]
    return CSP.format(scripts=" ".join(f"'sha256-{h}'" for h in dict.fromkeys(hashes)) or "'none'")


def _asset(name: str) -> str:
    return (files("yuetang_kg.explore") / "assets" / name).read_text(encoding="utf-8")


def write_views(
    graph: nx.MultiDiGraph,
    views: ViewSet,
    out: Path,
    names: list[str] | None = None,
    entity: str | None = None,
) -> list[Path]:
    """Write the named views (default: every view that needs no entity) as ``OUT/<name>.html`` plus an
    ``index.html`` linking them; an ego view is written as ``ego-<slug>.html``."""
    out = Path(out)
    if names:
        unknown = [n for n in names if n not in views.views]
        if unknown:
            raise DataError(f"no view named {', '.join(unknown)}; valid: {', '.join(views.views)}", "VIEW")
        chosen = [views.views[n] for n in names]
    else:
        chosen = [v for v in views.views.values() if v.ego_radius is None or entity]
    written = []
    for view in chosen:
        center = center_of(graph, view, entity)
        name = view.name if center is None else f"{view.name}-{graph.nodes[center]['slug']}"
        path = out / f"{name}.html"
        write_atomic(path, render(graph, views, view, entity).encode("utf-8"))
        written.append(path)
    index = out / "index.html"
    write_atomic(
        index, index_page(views, sorted(p.name for p in out.glob("*.html") if p.name != "index.html"))
    )
    return written + [index]


def index_page(views: ViewSet, files: list[str]) -> bytes:
    """A page linking every view file of the output folder."""
    items = []
    for name in files:
        view = views.views.get(name[:-5]) or views.views.get(name.split("-", 1)[0])
        title = f"{view.title_zh} · {view.title_en}" if view else name
        items.append(
            f'<li><a href="{html.escape(name)}">{html.escape(title)}</a> <code>{html.escape(name)}</code></li>'
        )
    policy = CSP.format(scripts="'none'")
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}"><title>岳塘知识图谱 · views</title></head>'
        f"<body><h1>岳塘知识图谱 · Yuetang KG views</h1><ul>{''.join(items)}</ul></body></html>\n"
    ).encode()
