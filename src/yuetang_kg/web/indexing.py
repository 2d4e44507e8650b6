"""What the explorer's index holds, computed from the graph as built (``build`` calls ``write_explorer_index``):
the rows of each table of ``index.Index``, made by the same functions that drew the pages from the whole graph
before (the projection, labels, span targets, completion terms, the pinyin of each document, the charts, the
reconciliation cards, the communities), so that a page read from the index shows what it showed then, and the
server computes nothing that grows with the graph when it starts.
"""

from dataclasses import asdict
from pathlib import Path

from rdflib import Graph, URIRef

from ..explore.analytics import communities
from ..explore.index import INDEX_NAME, dumps, spellings, summary, write_index
from ..explore.project import kind_and_slug, observations, to_networkx
from ..explore.reconcile import entity_rows
from . import article, charts, complete, textsearch
from .resources import Labels


def _iris(*graphs: Graph) -> set[str]:
    return {str(t) for g in graphs for triple in g for t in triple if isinstance(t, URIRef)}


def chart_rows(drawn: list[charts.Chart]) -> dict[str, list[tuple]]:
    """The charts in the order the page draws them, and for each document and entity the charts quoting it or
    about it."""
    links = {(iri, role, position) for position, chart in enumerate(drawn)
             for role, iris in (("about", chart.about), ("document", chart.documents)) for iri in iris}
    return {"chart": [(position, dumps(asdict(chart))) for position, chart in enumerate(drawn)],
            "chart_link": sorted(links)}


def tables(graph: Graph, ontology: Graph, comparisons: list[charts.Comparison] = ()
           ) -> tuple[dict[str, list[tuple]], dict]:
    """The rows of every table, sorted, and the index's ``meta`` (its counts); ``comparisons`` are the charts
    ``charts.yaml`` defines."""
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
    docs, readings, spans = [], [], []
    for document in documents.values():
        reading = textsearch.Pinyin(document.text)
        docs.append((document.iri, document.slug, dumps(asdict(document))))
        readings.append((document.iri, reading.key, dumps({"starts": reading.starts, "chars": reading.chars})))
        for span in article.spans_of(graph, document):
            spans.append((span["span"], document.iri, span["begin"], span["end"], dumps(span),
                          dumps(targets.get(span["span"], []))))
    observed = observations(graph, ontology)
    drawn = charts.charts(observed, list(comparisons), lambda iri: names.of(URIRef(iri)))
    meta = {"entities": projection.number_of_nodes(), "relations": projection.number_of_edges(), "spans": len(spans)}
    found = {
        "node": sorted(nodes),
        "edge": edges,
        "term": sorted(set(terms)),
        "spelling": sorted(spelled),
        "label": labels,
        "document": sorted(docs),
        "span": sorted(spans),
        "reading": sorted(readings),
        **chart_rows(drawn),
        **entity_rows(projection),
        # Louvain takes seconds on a corpus, in Python: found once here, with the seed `stats --graph` used
        "community": sorted((iri, number) for number, members in enumerate(communities(projection))
                            for iri in members),
    }
    return found, meta


def write_explorer_index(out: Path, graph: Graph, ontology: Graph, comparisons: list[charts.Comparison] = ()
                         ) -> Path:
    """Write the explorer's index of ``graph`` (with the ``comparisons`` charted) into the build folder ``out``;
    its path."""
    path = Path(out) / INDEX_NAME
    rows, meta = tables(graph, ontology, comparisons)
    write_index(path, rows, meta)
    return path
