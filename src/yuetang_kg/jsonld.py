"""JSON-LD: the published ``@context`` (made from the prefixes and the ontology) and compact, canonical dumps.

The context is JSON-LD 1.0 (no ``@version``, no ``@protected``) so that 1.0 processors such as Jena's
``--syntax=jsonld10`` read the dumps too. Every ykg class and property is a term named by its local name:
object properties coerce to IRIs, ``rdf:langString`` properties become language maps (``{"zh": …, "en": …}``),
xsd-typed ones carry their datatype; the common label and text-anchor properties of other vocabularies get
short terms as well. A prefix whose name is also a term (``unit``: QUDT units vs ``ykg:unit``) is left out,
because a 1.0 processor would read ``unit:X`` as a compact IRI on the term.

>>> from rdflib import Graph
>>> context = context_of(Graph())
>>> context["label"]
{'@id': 'rdfs:label', '@container': '@language'}
>>> context["ykg"]
'https://w3id.org/yuetang-kg/ontology#'
"""

import json

from rdflib import OWL, RDF, RDFS, XSD, Graph, URIRef

from .namespaces import PREFIXES, YKG

# Short terms for the other vocabularies' properties that almost every node of the graph uses.
COMMON_TERMS = {
    "label": {"@id": "rdfs:label", "@container": "@language"},
    "comment": {"@id": "rdfs:comment", "@container": "@language"},
    "prefLabel": {"@id": "skos:prefLabel", "@container": "@language"},
    "altLabel": {"@id": "skos:altLabel", "@container": "@language"},
    "definition": {"@id": "skos:definition", "@container": "@language"},
    "title": {"@id": "dct:title", "@container": "@language"},
    "description": {"@id": "dct:description", "@container": "@language"},
    "broader": {"@id": "skos:broader", "@type": "@id"},
    "inScheme": {"@id": "skos:inScheme", "@type": "@id"},
    "exactMatch": {"@id": "skos:exactMatch", "@type": "@id"},
    "anchorOf": {"@id": "nif:anchorOf"},
    "beginIndex": {"@id": "nif:beginIndex", "@type": "xsd:nonNegativeInteger"},
    "endIndex": {"@id": "nif:endIndex", "@type": "xsd:nonNegativeInteger"},
    "referenceContext": {"@id": "nif:referenceContext", "@type": "@id"},
}

_PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)


def _local(term: URIRef) -> str | None:
    return term[len(str(YKG)) :] if isinstance(term, URIRef) and term.startswith(str(YKG)) else None


def _property_term(ontology: Graph, prop: URIRef, name: str) -> dict:
    definition = {"@id": f"ykg:{name}"}
    if (prop, RDF.type, OWL.ObjectProperty) in ontology:
        definition["@type"] = "@id"
        return definition
    ranges = set(ontology.objects(prop, RDFS.range))
    if ranges == {RDF.langString}:
        definition["@container"] = "@language"
    elif len(ranges) == 1:
        (datatype,) = ranges
        if isinstance(datatype, URIRef) and datatype.startswith(str(XSD)) and datatype != XSD.string:
            definition["@type"] = f"xsd:{datatype[len(str(XSD)) :]}"
    return definition


def context_of(ontology: Graph) -> dict:
    """The ``@context`` object for ``ontology``'s terms, deterministic for a given ontology."""
    terms: dict[str, object] = {}
    for cls in set(ontology.subjects(RDF.type, OWL.Class)) | set(ontology.subjects(RDF.type, RDFS.Class)):
        if name := _local(cls):
            terms[name] = f"ykg:{name}"
    for kind in _PROPERTY_TYPES:
        for prop in ontology.subjects(RDF.type, kind):
            if name := _local(prop):
                terms[name] = _property_term(ontology, prop, name)
    for name, definition in COMMON_TERMS.items():
        terms.setdefault(name, definition)
    prefixes = {prefix: str(namespace) for prefix, namespace in PREFIXES.items() if prefix not in terms}
    return dict(sorted({**prefixes, **terms}.items()))


def context_document(ontology: Graph) -> bytes:
    """The published context file: ``{"@context": …}`` as UTF-8 JSON."""
    return _dump({"@context": context_of(ontology)})


def _canonical(value, key: str | None = None):
    """Arrays sorted (RDF values are sets) except ``@list`` arrays, whose order is the data."""
    if isinstance(value, dict):
        return {k: _canonical(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(item) for item in value]
        return items if key == "@list" else sorted(items, key=_sort_key)
    return value


def _sort_key(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _dump(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def compact(graph: Graph, context: dict) -> bytes:
    """``graph`` as compact JSON-LD with ``context`` inlined, nodes sorted by ``@id``, byte-identical per graph.

    The context is inlined rather than referenced by URL so that the dump reads offline in every processor.
    """
    document = json.loads(graph.serialize(format="json-ld", context=context, encoding="utf-8"))
    if "@graph" in document:
        nodes = document["@graph"]
    else:  # rdflib writes a lone node without @graph
        node = {k: v for k, v in document.items() if k != "@context"}
        nodes = [node] if node else []
    return _dump({"@context": context, "@graph": _canonical(nodes)})
