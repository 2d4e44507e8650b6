"""Reconciliation: matching the names of other people's tables (hanzi, pinyin with or without tones, English,
other spellings, official codes) to the graph's entities, with the semantics of the W3C Reconciliation Service
API 0.2 (the version OpenRefine 3.x speaks); ``web/reconcile.py`` serves it over HTTP.

Candidates are scored from 0 to 100: a name equal to the query 100 (another spelling 95, an official code 90), a
name the query begins 60–90, a name holding the query 40–70, by how much of the name the query covers. A type
keeps only entities of that class (or a subclass). Properties adjust the score: a place the entity lies in
(``locatedIn``, through every containment relation, transitively) or a code (``nbsStatCode``,
``mcaDivisionCode``) that agrees adds 10, one that disagrees takes 30 away. ``match`` is set on the first
candidate only when it is unambiguous: scored 95 or more, and 10 or more ahead of the next one.

What matching needs is written into the explorer's index at build time (``entity_rows``): the names are the
index's spellings (an entity's names are ``ALIAS_NAME``, its other spellings ``ALIAS_OTHER``), found by the same
SQL as search and completion; each entity's card, classes, codes and the places it lies in are a row of its own.
``Reconciler`` reads only the rows of the candidates a query spells, so the server neither loads the projection
nor scans every entity.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from ..namespaces import ID
from .index import ALIAS_NAME, ALIAS_OTHER, Index, dumps
from .project import kind_and_slug, search_key

EXACT, ALIAS, CODE = 100.0, 95.0, 90.0
MATCH_SCORE, MATCH_LEAD = 95.0, 10.0
AGREES, DISAGREES = 10.0, -30.0
# Relations along which one entity lies in, or belongs to, another.
CONTAINMENT = frozenset({"locatedIn", "legallyPartOf", "managedBy", "subOrganizationOf"})
CODES = {"nbsStatCode": ("NBS statistical division code", "统计用区划代码"),
         "mcaDivisionCode": ("MCA division code", "民政部行政区划代码")}
PROPERTIES = {"locatedIn": ("lies in (any level: town, district, zone …)", "位于")} | CODES


@dataclass(frozen=True)
class Request:
    """One query of a batch: the text, the types allowed (any of them), property values, the most candidates."""

    text: str
    types: tuple[str, ...] = ()
    properties: tuple[tuple[str, tuple[str, ...]], ...] = ()
    limit: int = 10


@dataclass(frozen=True)
class Candidate:
    id: str  # kind/slug: the entity's IRI is BASE + "id/" + id
    name: str
    description: str
    types: tuple[tuple[str, str], ...]
    score: float
    match: bool = False


def type_name(name: str, node: dict | None = None) -> str:
    """A class as a reader wants it: ``Village (村)``, or the class's local name."""
    if node and node.get("type") == name and node.get("type_zh"):
        return f"{name} ({node['type_zh']})"
    return name


def rank(text_key: str, name_key: str, exact: float) -> float | None:
    """The score of a name for a query, both as ``search_key``s, or None when they do not meet.

    >>> rank("qixing", "qixingcun", 100.0), rank("xing", "qixingcun", 100.0), rank("hu", "qixingcun", 100.0)
    (80.0, 53.3, None)
    """
    if not text_key or not name_key:
        return None
    if text_key == name_key:
        return exact
    share = len(text_key) / len(name_key)
    if name_key.startswith(text_key):
        return round(60 + 30 * share, 1)
    if text_key in name_key:
        return round(40 + 30 * share, 1)
    return None


def entity_id(iri: str) -> str:
    """``kind/slug``, the id an entity has in the protocol.

    >>> entity_id("https://w3id.org/yuetang-kg/id/place/zhaoshan-qixing-cun")
    'place/zhaoshan-qixing-cun'
    """
    return "/".join(kind_and_slug(iri))


def _names(a: dict) -> list[str]:
    """The search keys of every spelling of a node (what the index's ``spelling`` rows of it hold)."""
    spelled = [a[k] for k in ("label_zh", "label_en", "pinyin", "pinyin_plain") if a.get(k)] + list(a.get("aka", []))
    return [key for key in map(search_key, spelled) if key]


def entity_rows(projection: nx.MultiDiGraph) -> dict[str, list[tuple]]:
    """The index's rows for reconciliation, written at build time: per entity (``reconcile_entity``) its card,
    classes, codes and every place it lies in (their IRIs and the search keys of their names), transitively; the
    official codes (``reconcile_code``); every class an entity has, named from an entity whose own type it is
    where there is one (``reconcile_type``).

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("v", label_zh="七星村", label_en="Qixing Village", classes=["Village", "Place"], type="Village",
    ...            type_zh="村", type_en="village", properties=[{"name": "nbsStatCode", "value": "4303"}])
    >>> entity_rows(g)["reconcile_code"], entity_rows(g)["reconcile_type"]
    ([('4303', 'v')], [('Place', 'Place'), ('Village', 'Village (村)')])
    """
    containers = nx.DiGraph(
        (u, v) for u, v, d in projection.edges(data=True) if d.get("name") in CONTAINMENT and u != v
    )
    nodes, codes, type_names = [], [], {}
    for node, a in projection.nodes(data=True):
        above = sorted(nx.descendants(containers, node)) if node in containers else []
        lies_in = sorted(containers.successors(node), key=entity_id) if node in containers else []
        description = f"{a.get('type_zh', '')} {a.get('type_en', '')}".strip() + (
            f" · {a['label_en']}" if a.get("label_en") else "")
        if lies_in:
            names = (projection.nodes[up] for up in lies_in)
            description += " · " + "、".join(up["label_zh"] or up["label_en"] for up in names)
        entity_codes = {p["name"]: str(p["value"]) for p in a.get("properties", []) if p["name"] in CODES}
        codes += [(code, node) for code in entity_codes.values()]
        nodes.append((node, dumps({
            "name": a["label_zh"] or a["label_en"],
            "description": description,
            "classes": list(a.get("classes", [])),
            "types": [(c, type_name(c, a)) for c in a.get("classes", [])[:1]],
            "codes": entity_codes,
            "within": above,
            "within_names": sorted({key for up in above for key in _names(projection.nodes[up])}),
        })))
        for cls in a.get("classes", []):
            if type_names.get(cls, cls) == cls:
                type_names[cls] = type_name(cls, a)
    return {"reconcile_entity": sorted(nodes), "reconcile_code": sorted(set(codes)),
            "reconcile_type": sorted(type_names.items())}


class Reconciler:
    """Matching over the explorer's index (``index.Index``)."""

    def __init__(self, index: Index):
        self.index = index
        self.types = index.reconcile_types()

    def entity(self, identifier: str) -> dict | None:
        """The card of the entity with the id ``kind/slug`` (its name and description), or None."""
        return self.index.reconcile_entities([f"{ID}{identifier}"]).get(f"{ID}{identifier}")

    def reconcile(self, request: Request) -> list[Candidate]:
        """The best candidates for one query, best first (ties by id, so answers are stable)."""
        key = search_key(request.text)
        best: dict[str, float] = {}
        for iri, _, name, alias in self.index.spelled(request.text, ("entity",), (ALIAS_NAME, ALIAS_OTHER)):
            score = rank(key, name, EXACT if alias == ALIAS_NAME else ALIAS)
            if score is not None and score > best.get(iri, -1.0):
                best[iri] = score
        for iri in self.index.coded(request.text.strip()):
            best[iri] = max(best.get(iri, 0.0), CODE)
        scored = []
        for iri, entity in self.index.reconcile_entities(best).items():
            if request.types and not set(request.types) & set(entity["classes"]):
                continue
            adjusted = best[iri] + self._adjustment(entity, request.properties)
            scored.append((max(0.0, min(100.0, adjusted)), entity_id(iri), entity))
        scored.sort(key=lambda item: (-item[0], item[1]))
        candidates = [Candidate(i, e["name"], e["description"], tuple(map(tuple, e["types"])), round(s, 1))
                      for s, i, e in scored[: request.limit]]
        if candidates and candidates[0].score >= MATCH_SCORE and (
            len(scored) == 1 or scored[0][0] - scored[1][0] >= MATCH_LEAD
        ):
            first = candidates[0]
            candidates[0] = Candidate(first.id, first.name, first.description, first.types, first.score, True)
        return candidates

    def _adjustment(self, entity: dict, properties: Iterable[tuple[str, tuple[str, ...]]]) -> float:
        total = 0.0
        codes = entity["codes"]
        for pid, values in properties:
            if pid == "locatedIn":
                within = set(entity["within_names"]) | {entity_id(iri) for iri in entity["within"]}
                wanted = {search_key(v) for v in values} | set(values)
                total += AGREES if wanted & within else DISAGREES
            elif pid in CODES and pid in codes:
                total += AGREES if codes[pid] in {v.strip() for v in values} else DISAGREES
            elif pid in CODES:
                total += DISAGREES
        return total

    def suggest_entities(self, prefix: str, types: tuple[str, ...] = (), limit: int = 10) -> list[Candidate]:
        """Entities for a text being typed: names that begin with it first."""
        return self.reconcile(Request(prefix, types, (), limit))

    def suggest_types(self, prefix: str, limit: int = 10) -> list[tuple[str, str]]:
        return _by_prefix(self.types, prefix, limit)

    def suggest_properties(self, prefix: str, limit: int = 10) -> list[tuple[str, str]]:
        named = [(pid, f"{en} · {zh}") for pid, (en, zh) in PROPERTIES.items()]
        return _by_prefix(named, prefix, limit)


def _by_prefix(items: list[tuple[str, str]], prefix: str, limit: int) -> list[tuple[str, str]]:
    """The items whose id or name holds ``prefix`` (all of them for an empty one), the best-ranked first."""
    key = search_key(prefix)
    found = []
    for item_id, name in items:
        scores = [s for s in (rank(key, search_key(item_id), EXACT), rank(key, search_key(name), EXACT)) if s]
        if scores or not key:
            found.append((-max(scores, default=0.0), item_id, name))
    return [(item_id, name) for _, item_id, name in sorted(found)[:limit]]
