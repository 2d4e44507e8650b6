"""Reconciliation: matching the names of other people's tables (hanzi, pinyin with or without tones, English,
other spellings, official codes) to the graph's entities, with the semantics of the W3C Reconciliation Service
API 0.2 (the version OpenRefine 3.x speaks); ``web/reconcile.py`` serves it over HTTP.

Candidates are scored from 0 to 100: a name equal to the query 100 (another spelling 95, an official code 90), a
name the query begins 60–90, a name holding the query 40–70, by how much of the name the query covers. A type
keeps only entities of that class (or a subclass). Properties adjust the score: a place the entity lies in
(``locatedIn``, through every containment relation, transitively) or a code (``nbsStatCode``,
``mcaDivisionCode``) that agrees adds 10, one that disagrees takes 30 away. ``match`` is set on the first
candidate only when it is unambiguous: scored 95 or more, and 10 or more ahead of the next one.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("v", iri="https://w3id.org/yuetang-kg/id/place/q", kind="place", slug="q", label_zh="七星村",
...            label_en="Qixing Village", pinyin="Qīxīng Cūn", pinyin_plain="qixing cun", aka=[],
...            classes=["Village", "Place"], type_zh="村", type_en="village", properties=[])
>>> [(c.id, c.score, c.match) for c in Reconciler(g).reconcile(Request("qixing cun"))]
[('place/q', 100.0, True)]
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from .project import search_key

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


@dataclass
class _Entity:
    id: str
    name: str
    description: str
    names: list[tuple[str, float]]  # search keys, with the score an exact match earns
    classes: list[str]
    types: tuple[tuple[str, str], ...]
    codes: dict[str, str]
    within: set[str] = field(default_factory=set)  # search keys and ids of every place it lies in


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


class Reconciler:
    """The entities of the projection (``project.to_networkx``), indexed for matching."""

    def __init__(self, projection: nx.MultiDiGraph):
        self.entities: dict[str, _Entity] = {}
        by_node = {}
        for node, a in projection.nodes(data=True):
            names = [(search_key(a[k]), EXACT) for k in ("label_zh", "label_en", "pinyin", "pinyin_plain") if a.get(k)]
            names += [(search_key(alias), ALIAS) for alias in a.get("aka", [])]
            codes = {p["name"]: str(p["value"]) for p in a.get("properties", []) if p["name"] in CODES}
            entity = _Entity(
                id=f"{a['kind']}/{a['slug']}",
                name=a["label_zh"] or a["label_en"],
                description=f"{a.get('type_zh', '')} {a.get('type_en', '')}".strip() + (
                    f" · {a['label_en']}" if a.get("label_en") else ""),
                names=[(key, score) for key, score in names if key],
                classes=list(a.get("classes", [])),
                types=tuple((c, type_name(c, a)) for c in a.get("classes", [])[:1]),
                codes=codes,
            )
            self.entities[entity.id] = entity
            by_node[node] = entity
        containers = nx.DiGraph(
            (u, v) for u, v, d in projection.edges(data=True) if d.get("name") in CONTAINMENT and u != v
        )
        for node, entity in by_node.items():
            above = nx.descendants(containers, node) if node in containers else set()
            entity.within = {key for up in above for key, _ in by_node[up].names} | {by_node[up].id for up in above}
            lies_in = sorted((by_node[up] for up in containers.successors(node)) if node in containers else [],
                             key=lambda e: e.id)
            if lies_in:
                entity.description += " · " + "、".join(e.name for e in lies_in)
        # Every class an entity has, named from an entity whose own type it is where there is one.
        type_names: dict[str, str] = {}
        for _, a in projection.nodes(data=True):
            for cls in a.get("classes", []):
                if type_names.get(cls, cls) == cls:
                    type_names[cls] = type_name(cls, a)
        self.types = sorted(type_names.items())

    def reconcile(self, request: Request) -> list[Candidate]:
        """The best candidates for one query, best first (ties by id, so answers are stable)."""
        key = search_key(request.text)
        scored = []
        for entity in self.entities.values():
            if request.types and not set(request.types) & set(entity.classes):
                continue
            best = max((s for name, exact in entity.names if (s := rank(key, name, exact)) is not None),
                       default=None)
            if request.text.strip() in entity.codes.values():
                best = max(best or 0.0, CODE)
            if best is None:
                continue
            scored.append((max(0.0, min(100.0, best + self._adjustment(entity, request.properties))), entity))
        scored.sort(key=lambda item: (-item[0], item[1].id))
        top = scored[: request.limit]
        candidates = [Candidate(e.id, e.name, e.description, e.types, round(s, 1)) for s, e in top]
        if candidates and candidates[0].score >= MATCH_SCORE and (
            len(scored) == 1 or scored[0][0] - scored[1][0] >= MATCH_LEAD
        ):
            first = candidates[0]
            candidates[0] = Candidate(first.id, first.name, first.description, first.types, first.score, True)
        return candidates

    def _adjustment(self, entity: _Entity, properties: Iterable[tuple[str, tuple[str, ...]]]) -> float:
        total = 0.0
        for pid, values in properties:
            if pid == "locatedIn":
                wanted = {search_key(v) for v in values} | set(values)
                total += AGREES if wanted & entity.within else DISAGREES
            elif pid in CODES and pid in entity.codes:
                total += AGREES if entity.codes[pid] in {v.strip() for v in values} else DISAGREES
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
