"""The named graphs of the quad exports (TriG, N-Quads): which graph each published triple goes to.

One rule, read from the graph itself: **a triple goes to the graph of every document that holds the evidence of
the fact it belongs to, a derived figure's to ``…/graph/derived``, and every other to ``…/graph/shared``.** The
triples of a document are its own, its spans', those of each fact node whose evidence lies in it (a statement,
a stated observation, an utterance) but for its links to the spans of other documents, the triple that such a
statement reifies, and a link from an entity to such a fact node (a speaker's ``ykg:said``); a fact stated by
several documents is in each of their graphs, each time with that document's evidence. The shared graph holds
what names and classifies entities (labels, spellings, codes, the classes that no fact states), the units,
variables, periods, domains and references, and the facts taken from an external reference rather than a
document. The ontology has a graph of its own (``…/graph/ontology``). Every triple is in at least one graph,
so the union of the data graphs is the published graph.

>>> document_graph(URIRef("https://w3id.org/yuetang-kg/id/document/yuetang-2024"))
rdflib.term.URIRef('https://w3id.org/yuetang-kg/graph/doc/yuetang-2024')
"""

from collections.abc import Iterable

from rdflib import RDF, Graph, Namespace, URIRef

from .namespaces import BASE, NIF, YKG

GRAPH = Namespace(BASE + "graph/")
SHARED_GRAPH = GRAPH["shared"]
DERIVED_GRAPH = GRAPH["derived"]
ONTOLOGY_GRAPH = GRAPH["ontology"]


def document_graph(document: URIRef) -> URIRef:
    """The named graph of a source document's facts: ``…/graph/doc/<id>`` for ``…/id/document/<id>``."""
    return GRAPH["doc/" + str(document).rsplit("/", 1)[-1]]


def _owners(data: Graph) -> tuple[dict, dict]:
    """The graphs of each node that belongs to documents (or to the derived figures), and of each triple that a
    statement of theirs reifies."""
    owners: dict = {}
    for document in data.subjects(RDF.type, YKG.SourceDocument):
        owners[document] = {document_graph(document)}
    for span, document in data.subject_objects(NIF.referenceContext):
        owners[span] = {document_graph(document)}
    for fact, span in data.subject_objects(YKG.evidence):
        owners.setdefault(fact, set()).update(owners.get(span, ()))
    for derived in data.subjects(RDF.type, YKG.DerivedObservation):
        owners[derived] = {DERIVED_GRAPH}
    reified: dict = {}
    for statement in data.subjects(RDF.type, RDF.Statement):
        if statement in owners:  # a statement of an external reference only is shared, and so is its triple
            triple = (data.value(statement, RDF.subject), data.value(statement, RDF.predicate),
                      data.value(statement, RDF.object))
            reified.setdefault(triple, set()).update(owners[statement])
    return owners, reified


def partition(data: Graph, triples: Iterable | None = None) -> dict[URIRef, list]:
    """The triples of ``data`` by named graph, graphs sorted by name; ``triples`` (the triples of ``data`` in the
    order the caller wants kept within each graph) defaults to ``data``'s own order."""
    owners, reified = _owners(data)
    graphs: dict[URIRef, list] = {}
    for triple in data if triples is None else triples:
        subject, predicate, obj = triple
        if predicate == YKG.evidence:  # so that a document's graph holds every span it points to
            names = owners[obj]
        else:
            names = owners.get(subject, set()) | reified.get(triple, set()) or owners.get(obj) or {SHARED_GRAPH}
        for name in names:
            graphs.setdefault(name, []).append(triple)
    return dict(sorted(graphs.items()))
