"""The NetworkX projection of the graph: entities as nodes, relations between them as labelled edges.

A pure function of the RDF graph (and, for class and property labels, the ontology). The bookkeeping of the
RDF model is not projected as nodes: statement nodes lend their evidence quote to the edge they reify,
observations are folded into the attributes of the entity they are about, and text spans, periods, units,
variables, documents and references are left out.

>>> from rdflib import Graph, Literal, RDF, RDFS
>>> from yuetang_kg.namespaces import YKG, entity_iri
>>> g = Graph()
>>> village, town = entity_iri("Village", "v"), entity_iri("Town", "t")
>>> for node, name in ((village, "七星村"), (town, "昭山镇")):
...     _ = g.add((node, RDF.type, YKG.Village)).add((node, RDFS.label, Literal(name, lang="zh")))
>>> _ = g.add((village, YKG.locatedIn, town))
>>> projection = to_networkx(g)
>>> [(projection.nodes[a]["label_zh"], data["name"], projection.nodes[b]["label_zh"])
...  for a, b, data in projection.edges(data=True)]
[('七星村', 'locatedIn', '昭山镇')]
"""

import unicodedata
from collections import defaultdict

import networkx as nx
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from ..namespaces import ID, NIF, PREFIXES, YKG

# IRI kinds that are the RDF model's bookkeeping, not things the article talks about.
BOOKKEEPING_KINDS = frozenset(
    {"statement", "observation", "period", "unit", "variable", "document", "reference"}
)

# Literal properties that already become dedicated node attributes (labels, names) or are curation metadata.
_NAME_PROPERTIES = frozenset(
    {RDFS.label, SKOS.prefLabel, SKOS.altLabel, YKG.pinyin, YKG.pinyinPlain, YKG.descriptionZh, YKG.curatedAt}
)


def search_key(text: str) -> str:
    """Text as search compares it: lower case, tone marks, spaces and punctuation of names dropped.

    >>> search_key("Qīxīng Cūn"), search_key("Qixing Village"), search_key("七星村")
    ('qixingcun', 'qixingvillage', '七星村')
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return "".join(c for c in bare if c.isalnum())


def curie(term: URIRef) -> str:
    """A short name for a term: the ykg local name, else prefix:local, else the IRI."""
    text = str(term)
    if text.startswith(str(YKG)):
        return text[len(str(YKG)) :]
    for prefix, namespace in PREFIXES.items():
        if text.startswith(str(namespace)) and prefix not in ("id",):
            return f"{prefix}:{text[len(str(namespace)) :]}"
    return text


def kind_and_slug(iri: str) -> tuple[str, str] | None:
    """``(kind, slug)`` of an instance IRI, or None for any other IRI (spans carry a ``#char=`` fragment)."""
    if not iri.startswith(str(ID)) or "#" in iri:
        return None
    kind, _, slug = iri[len(str(ID)) :].partition("/")
    return (kind, slug) if slug else None


def labels(graph: Graph, node) -> dict[str, str]:
    """The node's labels by language (the first, in sorted order, when there are several)."""
    found: dict[str, str] = {}
    for label in sorted(graph.objects(node, RDFS.label), key=str):
        if isinstance(label, Literal):
            found.setdefault(label.language or "", str(label))
    return found


def span_info(graph: Graph, span) -> dict:
    """A text span as plain data: the quote, code-point offsets (end exclusive) and its document."""
    return {
        "span": str(span),
        "quote": str(graph.value(span, NIF.anchorOf) or ""),
        "begin": int(graph.value(span, NIF.beginIndex)),
        "end": int(graph.value(span, NIF.endIndex)),
        "document": str(graph.value(span, NIF.referenceContext) or ""),
    }


def evidence_of(graph: Graph, node) -> list[dict]:
    """The spans a statement, observation or utterance node cites, in article order."""
    spans = [span_info(graph, span) for span in graph.objects(node, YKG.evidence)]
    return sorted(spans, key=lambda s: (s["document"], s["begin"], s["end"]))


def references_of(graph: Graph, node) -> list[dict]:
    """The external references (verified identifier lists) a statement cites instead of a quote."""
    found = []
    for reference in sorted(graph.objects(node, YKG.reference), key=str):
        names = labels(graph, reference)
        found.append(
            {"iri": str(reference), "label_zh": names.get("zh", ""), "label_en": names.get("en", "")}
        )
    return found


def statement_support(graph: Graph) -> dict[tuple, dict]:
    """Evidence spans, references and status (former, planned …) of every reified triple, keyed by the triple."""
    found: dict[tuple, dict] = defaultdict(lambda: {"evidence": [], "references": [], "status": ""})
    for statement in graph.subjects(RDF.type, YKG.Statement):
        triple = tuple(graph.value(statement, p) for p in (RDF.subject, RDF.predicate, RDF.object))
        found[triple]["evidence"].extend(evidence_of(graph, statement))
        found[triple]["references"].extend(references_of(graph, statement))
        status = graph.value(statement, YKG.status)
        if status is not None:
            found[triple]["status"] = str(status)
    return found


class _Terms:
    """Labels and superclasses of ontology terms, looked up once each."""

    def __init__(self, ontology: Graph | None):
        self.ontology = ontology if ontology is not None else Graph()
        self._labels: dict = {}

    def label(self, term: URIRef) -> tuple[str, str]:
        if term not in self._labels:
            found = labels(self.ontology, term)
            name = curie(term)
            self._labels[term] = (found.get("zh", name), found.get("en", name))
        return self._labels[term]

    def superclasses(self, cls: URIRef) -> list[str]:
        """The class and its ykg superclasses, nearest first (breadth first, siblings sorted)."""
        chain, frontier = [cls], [cls]
        while frontier:
            parents = sorted(
                {
                    p
                    for c in frontier
                    for p in self.ontology.objects(c, RDFS.subClassOf)
                    if str(p).startswith(str(YKG))
                }
                - set(chain),
                key=str,
            )
            chain += parents
            frontier = parents
        return [curie(c) for c in chain]


def entity_nodes(graph: Graph) -> list[URIRef]:
    """The entities of the graph: typed instance IRIs that are not bookkeeping, sorted."""
    found = set()
    for subject in graph.subjects(RDF.type, None):
        parts = isinstance(subject, URIRef) and kind_and_slug(str(subject))
        if parts and parts[0] not in BOOKKEEPING_KINDS:
            found.add(subject)
    return sorted(found, key=str)


def _own_type(graph: Graph, node) -> URIRef | None:
    """The node's ykg class (the mapping asserts exactly one; other types are alignments)."""
    classes = sorted(c for c in graph.objects(node, RDF.type) if str(c).startswith(str(YKG)))
    return classes[0] if classes else None


def _node_attributes(graph: Graph, node: URIRef, terms: _Terms, support: dict) -> dict:
    kind, slug = kind_and_slug(str(node))
    names = labels(graph, node)
    cls = _own_type(graph, node)
    type_zh, type_en = terms.label(cls) if cls is not None else (kind, kind)
    pinyin = graph.value(node, YKG.pinyin)
    plain = graph.value(node, YKG.pinyinPlain)
    description = graph.value(node, YKG.descriptionZh)
    properties = []
    for predicate, value in sorted(graph.predicate_objects(node), key=lambda po: (str(po[0]), str(po[1]))):
        if isinstance(value, Literal) and predicate not in _NAME_PROPERTIES:
            zh, en = terms.label(predicate)
            properties.append({"name": curie(predicate), "label_zh": zh, "label_en": en, "value": str(value)})
    return {
        "iri": str(node),
        "kind": kind,
        "slug": slug,
        "type": curie(cls) if cls is not None else kind,
        "classes": terms.superclasses(cls) if cls is not None else [],
        "type_zh": type_zh,
        "type_en": type_en,
        "label_zh": names.get("zh", names.get("", slug)),
        "label_en": names.get("en", names.get("", slug)),
        "pinyin": str(pinyin) if pinyin else "",
        "pinyin_plain": str(plain) if plain else "",
        "aka": sorted(str(a) for a in graph.objects(node, SKOS.altLabel)),
        "description_zh": str(description) if description else "",
        "properties": properties,
        "evidence": support[(node, RDF.type, cls)]["evidence"]
        if (node, RDF.type, cls) in support
        else evidence_of(graph, node),
        "observations": [],
    }


def observation_info(graph: Graph, observation, terms: _Terms) -> dict:
    """An observation as plain data: the variable, the value as normalised and as stated, unit, period,
    qualifier, whether it is derived, and its evidence."""

    def label_of(term, lang):
        return labels(graph, term).get(lang, "") if term is not None else ""

    variable = graph.value(observation, YKG.variableMeasured)
    unit = graph.value(observation, YKG.unit)
    period = graph.value(observation, YKG.period)
    qualifier = graph.value(observation, YKG.qualifier)
    previous = graph.value(observation, YKG.previousObservation)
    value = graph.value(observation, YKG.value)
    stated = graph.value(observation, YKG.statedText)
    period_text = graph.value(observation, YKG.periodText)
    names = labels(graph, observation)
    return {
        "iri": str(observation),
        "about": str(graph.value(observation, YKG.observationAbout)),
        "label_zh": names.get("zh", ""),
        "label_en": names.get("en", ""),
        "variable": str(variable) if variable is not None else "",
        "variable_zh": label_of(variable, "zh"),
        "variable_en": label_of(variable, "en"),
        "value": str(value) if value is not None else "",
        "stated": str(stated) if stated is not None else "",
        "unit": str(unit) if unit is not None else "",
        "unit_zh": label_of(unit, "zh"),
        "unit_en": label_of(unit, "en"),
        "period": str(graph.value(period, RDFS.label) or "") if period is not None else "",
        "period_text": str(period_text) if period_text is not None else "",
        "qualifier": terms.label(qualifier)[0] if qualifier is not None else "",
        "qualifier_en": terms.label(qualifier)[1] if qualifier is not None else "",
        "previous": str(previous) if previous is not None else "",
        "derived": bool(graph.value(observation, YKG.isDerived)),
        "derivation": str(graph.value(observation, YKG.derivation) or ""),
        "derived_from": sorted(str(o) for o in graph.objects(observation, YKG.derivedFrom)),
        "compares_with": str(graph.value(observation, YKG.comparesWith) or ""),
        "evidence": evidence_of(graph, observation),
    }


def observations(graph: Graph, ontology: Graph | None = None) -> list[dict]:
    """Every observation of the graph as plain data (see ``observation_info``), sorted by IRI."""
    terms = _Terms(ontology)
    nodes = set(graph.subjects(YKG.observationAbout, None))
    return [observation_info(graph, node, terms) for node in sorted(nodes, key=str)]


def to_networkx(graph: Graph, ontology: Graph | None = None) -> nx.MultiDiGraph:
    """Entities as nodes (type, zh/en/pinyin labels, literal properties, observations, evidence) and every
    relation between two entities as an edge keyed by its predicate (name, zh/en label, evidence quotes).

    Nodes and edges are added in sorted order, so algorithms that depend on insertion order are deterministic.
    """
    terms = _Terms(ontology)
    support = statement_support(graph)
    nodes = entity_nodes(graph)
    projection = nx.MultiDiGraph()
    for node in nodes:
        projection.add_node(str(node), **_node_attributes(graph, node, terms, support))
    for item in observations(graph, ontology):
        if item["about"] in projection:
            projection.nodes[item["about"]]["observations"].append(item)
    members = set(nodes)
    edges = []
    for node in nodes:
        for predicate, target in graph.predicate_objects(node):
            if predicate != RDF.type and target in members:
                edges.append((node, predicate, target))
    for subject, predicate, target in sorted(edges, key=lambda t: tuple(map(str, t))):
        zh, en = terms.label(predicate)
        stated = support.get((subject, predicate, target))
        if stated is None:
            # Unreified links (an utterance's speaker, what it is about) take the evidence of the utterance.
            evidence = evidence_of(graph, subject) or evidence_of(graph, target)
            stated = {"evidence": evidence, "references": [], "status": ""}
        if stated["status"]:
            # the tense is part of what the relation says: 从事产业（过去）, engaged in (former)
            status_zh, status_en = terms.label(URIRef(stated["status"]))
            zh, en = f"{zh}（{status_zh}）", f"{en} ({status_en})"
        projection.add_edge(
            str(subject),
            str(target),
            key=str(predicate),
            predicate=str(predicate),
            name=curie(predicate),
            label_zh=zh,
            label_en=en,
            **stated,
        )
    return projection
