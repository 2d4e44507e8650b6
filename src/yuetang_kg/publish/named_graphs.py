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

from rdflib import RDF, Namespace, URIRef

from ..namespaces import BASE, NIF, YKG

GRAPH = Namespace(BASE + "graph/")
SHARED_GRAPH = GRAPH["shared"]
DERIVED_GRAPH = GRAPH["derived"]
ONTOLOGY_GRAPH = GRAPH["ontology"]


def document_graph(document: URIRef) -> URIRef:
    """The named graph of a source document's facts: ``…/graph/doc/<id>`` for ``…/id/document/<id>``."""
    return GRAPH["doc/" + str(document).rsplit("/", 1)[-1]]


_TYPE = f"<{RDF.type}>".encode()
_SOURCE_DOCUMENT, _DERIVED = f"<{YKG.SourceDocument}>".encode(), f"<{YKG.DerivedObservation}>".encode()
_STATEMENT = f"<{RDF.Statement}>".encode()
_CONTEXT, _EVIDENCE = f"<{NIF.referenceContext}>".encode(), f"<{YKG.evidence}>".encode()
_REIFIED = {f"<{RDF.subject}>".encode(): 0, f"<{RDF.predicate}>".encode(): 1, f"<{RDF.object}>".encode(): 2}


def _terms(line: bytes) -> tuple[bytes, bytes, bytes]:
    """A line's subject, predicate and object as written: Oxigraph writes ``S P O .`` with single spaces, and
    neither an IRI nor a blank node holds a space (a literal may, and it is the last term)."""
    subject, predicate, obj = line[:-2].split(b" ", 2)
    return subject, predicate, obj


def _graph_of_document(document: bytes) -> str:
    return str(document_graph(URIRef(document[1:-1].decode("utf-8"))))


def _owners(lines: list[bytes]) -> tuple[dict, dict]:
    """The graphs of each node that belongs to documents (or to the derived figures), and of each triple that a
    statement of theirs reifies; nodes and triples as written in the lines, graphs as IRIs."""
    documents, derived, statements, contexts, evidence, reifies = [], [], set(), {}, [], {}
    for line in lines:
        subject, predicate, obj = _terms(line)
        if predicate == _TYPE:
            if obj == _SOURCE_DOCUMENT:
                documents.append(subject)
            elif obj == _DERIVED:
                derived.append(subject)
            elif obj == _STATEMENT:
                statements.add(subject)
        elif predicate == _CONTEXT:
            contexts[subject] = obj
        elif predicate == _EVIDENCE:
            evidence.append((subject, obj))
        elif predicate in _REIFIED:
            reifies.setdefault(subject, [None, None, None])[_REIFIED[predicate]] = obj
    owners: dict = {document: {_graph_of_document(document)} for document in documents}
    for span, document in contexts.items():
        owners[span] = {_graph_of_document(document)}
    for fact, span in evidence:
        owners.setdefault(fact, set()).update(owners.get(span, ()))
    for node in derived:
        owners[node] = {str(DERIVED_GRAPH)}
    reified: dict = {}
    for statement in statements:
        if statement in owners:  # a statement of an external reference only is shared, and so is its triple
            reified.setdefault(tuple(reifies.get(statement, (None, None, None))), set()).update(owners[statement])
    return owners, reified


def partition(lines: list[bytes]) -> dict[URIRef, list[bytes]]:
    """The data's N-Triples lines (as ``ntriples`` holds them) by named graph, graphs sorted by name, each
    graph's lines in their given order. Read on the lines' text, never on terms: a corpus is partitioned in
    seconds."""
    owners, reified = _owners(lines)
    shared = {str(SHARED_GRAPH)}
    graphs: dict[str, list[bytes]] = {}
    for line in lines:
        triple = _terms(line)
        subject, predicate, obj = triple
        if predicate == _EVIDENCE:  # so that a document's graph holds every span it points to
            names = owners[obj]
        else:
            names = owners.get(subject, set()) | reified.get(triple, set()) or owners.get(obj) or shared
        for name in names:
            graphs.setdefault(name, []).append(line)
    return {URIRef(name): graphs[name] for name in sorted(graphs)}
