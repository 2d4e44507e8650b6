"""Resource pages of ``/id/<kind>/<slug>``: what the graph says about one IRI (its properties, the relations
that point at it, the facts about it with their evidence) as page data, and its description as RDF.

The instance IRIs are ``https://w3id.org/yuetang-kg/id/…``; the site serves them at ``/id/…`` (the base is
stripped), so a w3id redirect to the site lands on the same page.
"""

from collections.abc import Callable

from rdflib import RDF, Graph, Literal, URIRef

from ..explore.project import curie, kind_and_slug, labels
from ..namespaces import ID, PREFIXES, YKG
from ..query.sparql_text import writable_iri

# Literals longer than this (the article itself, as the document's nif:isString) are cut on the page.
LONG_LITERAL = 300


def local_path(iri: str) -> str | None:
    """The site path of an instance IRI (``/id/place/x``), or None for any other IRI.

    >>> local_path("https://w3id.org/yuetang-kg/id/place/zhaoshan-qixing-cun")
    '/id/place/zhaoshan-qixing-cun'
    """
    return f"/id/{iri[len(str(ID)) :]}" if kind_and_slug(iri) else None


def is_servable(node: URIRef) -> bool:
    """Whether an IRI from a request can name an instance here: an instance IRI that a query can hold."""
    return kind_and_slug(str(node)) is not None and writable_iri(str(node))


class Labels:
    """zh and en labels of any term, from ``lookup(iri)`` (the explorer's index), else its short name."""

    def __init__(self, lookup: Callable[[str], tuple[str, str] | None]):
        self.lookup = lookup

    @classmethod
    def of_graphs(cls, data: Graph, ontology: Graph) -> "Labels":
        """Labels from the data, else from the ontology (what the index is written from)."""

        def lookup(iri: str) -> tuple[str, str] | None:
            term = URIRef(iri)
            found = labels(data, term) or labels(ontology, term)
            name = curie(term)
            return (found.get("zh", found.get("", name)), found.get("en", found.get("", name))) if found else None

        return cls(lookup)

    def of(self, term) -> tuple[str, str]:
        if isinstance(term, Literal):
            return str(term), str(term)
        found = self.lookup(str(term)) if isinstance(term, URIRef) else None
        if found is None:
            name = curie(term) if isinstance(term, URIRef) else str(term)
            return name, name
        return found


def value(term, names: Labels) -> dict:
    """A term as the page shows it: a link inside the site, a link out, or a literal with its language or
    datatype."""
    if isinstance(term, Literal):
        text = str(term)
        short = text if len(text) <= LONG_LITERAL else text[:LONG_LITERAL] + "…"
        return {
            "kind": "literal",
            "text": short,
            "cut": len(text) > LONG_LITERAL,
            "lang": term.language or "",
            "datatype": curie(term.datatype) if term.datatype else "",
        }
    zh, en = names.of(term)
    path = local_path(str(term))
    return {
        "kind": "link" if path else "external",
        "href": path or str(term),
        "zh": zh,
        "en": en,
        "iri": str(term),
    }


def _rows(pairs, names: Labels) -> list[dict]:
    """(property, term) pairs grouped by property, properties and values in a stable order."""
    grouped: dict = {}
    for predicate, term in pairs:
        grouped.setdefault(predicate, []).append(term)
    rows = []
    for predicate in sorted(grouped, key=str):
        zh, en = names.of(predicate)
        terms = sorted(grouped[predicate], key=lambda t: (isinstance(t, Literal), str(t)))
        rows.append(
            {
                "property": str(predicate),
                "curie": curie(predicate),
                "zh": zh,
                "en": en,
                "values": [value(t, names) for t in terms],
            }
        )
    return rows


def _is_statement(data: Graph, node) -> bool:
    return (node, RDF.type, YKG.Statement) in data


def properties(data: Graph, node: URIRef, names: Labels) -> list[dict]:
    """Every property of the node with its values."""
    return _rows(data.predicate_objects(node), names)


def inverse_relations(data: Graph, node: URIRef, names: Labels) -> list[dict]:
    """Every relation pointing at the node, except from statement nodes (shown as facts with evidence)."""
    pairs = [(p, s) for s, p in data.subject_predicates(node) if not _is_statement(data, s)]
    return _rows(pairs, names)


def statements_about(data: Graph, node: URIRef) -> list[URIRef]:
    """The statement nodes whose subject or object is the node, sorted."""
    found = set(data.subjects(RDF.subject, node)) | set(data.subjects(RDF.object, node))
    return sorted((s for s in found if _is_statement(data, s)), key=str)


def fact_label(data: Graph, statement, names: Labels) -> dict:
    """A statement as ``subject —property→ object`` in zh and en, with links, and its status when it has one."""
    subject, predicate, obj = (data.value(statement, p) for p in (RDF.subject, RDF.predicate, RDF.object))
    status = data.value(statement, YKG.status)  # former, planned, about to happen: the fact is not a present one
    return {
        "subject": value(subject, names),
        "predicate": value(predicate, names),
        "object": value(obj, names),
        "status": value(status, names) if status is not None else None,
        "statement": str(statement),
        "href": local_path(str(statement)),
    }


def description(data: Graph, node: URIRef) -> Graph:
    """The node's description, CBD-like: its own triples, the triples pointing at it, and the statements
    about it with their evidence spans (whose document is referred to, not included)."""
    described = Graph()
    for prefix, namespace in PREFIXES.items():
        described.bind(prefix, namespace, replace=True)
    for triple in data.triples((node, None, None)):
        described.add(triple)
    for subject, predicate in data.subject_predicates(node):
        described.add((subject, predicate, node))
    cited = list(data.objects(node, YKG.evidence))
    for statement in statements_about(data, node):
        for triple in data.triples((statement, None, None)):
            described.add(triple)
        cited += data.objects(statement, YKG.evidence)
    for span in cited:
        for triple in data.triples((span, None, None)):
            described.add(triple)
    return described
