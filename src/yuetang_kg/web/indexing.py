"""What the explorer's index holds, computed from the graph as built (``build`` calls ``write_explorer_index``):
the rows of each table of ``index.Index``, made by the same functions that drew the pages from the whole graph
before (the projection, labels, span targets, completion terms, the pinyin of each document, the communities), so
that a page read from the index shows what it showed then.
"""

from dataclasses import asdict
from pathlib import Path

from rdflib import Graph, URIRef

from ..analytics import communities
from ..index import INDEX_NAME, dumps, spellings, summary, write_index
from ..project import kind_and_slug, observations, to_networkx
from . import article, complete, textsearch
from .resources import Labels


def _iris(*graphs: Graph) -> set[str]:
    return {str(t) for g in graphs for triple in g for t in triple if isinstance(t, URIRef)}


def tables(graph: Graph, ontology: Graph) -> tuple[dict[str, list[tuple]], dict]:
    """The rows of every table, sorted, and the index's ``meta`` (its counts)."""
    projection = to_networkx(graph, ontology)
    names = Labels.of_graphs(graph, ontology)
    nodes, terms, spelled = [], [], set()
    for iri, a in projection.nodes(data=True):
        kind, slug = kind_and_slug(iri)
        nodes.append((iri, slug, kind, dumps(a), dumps(summary(a))))
    for term in complete.terms_of(projection, ontology):
        terms.append((term.iri, term.kind, dumps(term.as_json())))
        spelled |= spellings(term.iri, term.kind, term.spellings, term.aliases, term.ids)
    edges = [(a, b, dumps(data)) for a, b, data in projection.edges(data=True)]
    labels = [(iri, *names.of(URIRef(iri))) for iri in sorted(_iris(graph, ontology))]
    documents = article.documents(graph)
    targets = article.span_targets(graph, names)
    docs, spans = [], []
    for document in documents.values():
        reading = textsearch.Pinyin(document.text)
        docs.append((document.iri, document.slug, dumps(asdict(document)), dumps(reading.as_json())))
        for span in article.spans_of(graph, document):
            spans.append((span["span"], document.iri, span["begin"], span["end"], dumps(span),
                          dumps(targets.get(span["span"], []))))
    observed = [(o["iri"], dumps(o)) for o in observations(graph, ontology)]
    meta = {"entities": projection.number_of_nodes(), "relations": projection.number_of_edges(), "spans": len(spans)}
    found = {
        "node": sorted(nodes),
        "edge": edges,
        "term": sorted(set(terms)),
        "spelling": sorted(spelled),
        "label": labels,
        "document": sorted(docs),
        "span": sorted(spans),
        "observation": sorted(observed),
        # Louvain takes seconds on a corpus, in Python: found once here, with the seed `stats --graph` used
        "community": sorted((iri, number) for number, members in enumerate(communities(projection))
                            for iri in members),
    }
    return found, meta


def write_explorer_index(out: Path, graph: Graph, ontology: Graph) -> Path:
    """Write the explorer's index of ``graph`` into the build folder ``out``; its path."""
    path = Path(out) / INDEX_NAME
    rows, meta = tables(graph, ontology)
    write_index(path, rows, meta)
    return path
