"""The SPARQL 1.1 Service Description of the endpoint (answered on a GET of ``/sparql`` without a query), with a
VoID description of the dataset it serves.

The VoID part is what a client of the endpoint needs (the dataset and how many triples it holds) and points
with ``rdfs:seeAlso`` to the full VoID + DCAT description that the site serves at ``/.well-known/void``.
"""

from urllib.parse import urljoin

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef

from ..namespaces import BASE, SD, VOID
from ..publish.describe import DATASET
from . import answers
from .site import Settings

WELL_KNOWN_VOID = "/.well-known/void"
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
# W3C's IRIs for the formats we answer in, by media type.
FORMAT_IRIS = {
    "application/sparql-results+json": FORMATS_NS.SPARQL_Results_JSON,
    "application/sparql-results+xml": FORMATS_NS.SPARQL_Results_XML,
    "text/csv": FORMATS_NS.SPARQL_Results_CSV,
    "text/tab-separated-values": FORMATS_NS.SPARQL_Results_TSV,
    "text/turtle": FORMATS_NS.Turtle,
    "application/n-triples": FORMATS_NS["N-Triples"],
    "application/ld+json": FORMATS_NS["JSON-LD"],
    "application/rdf+xml": FORMATS_NS.RDF_XML,
}


def dataset_description(triples: int, endpoint: URIRef | None = None) -> Graph:
    """VoID: the dataset, its size and (when served) its endpoint.

    >>> len(dataset_description(10, URIRef("http://127.0.0.1:8000/sparql")))
    4
    """
    graph = Graph()
    graph.bind("void", VOID)
    graph.add((DATASET, RDF.type, VOID.Dataset))
    graph.add((DATASET, VOID.triples, Literal(triples)))
    if endpoint is not None:
        graph.add((DATASET, VOID.sparqlEndpoint, endpoint))
        graph.add((DATASET, RDFS.seeAlso, URIRef(urljoin(str(endpoint), WELL_KNOWN_VOID))))
    return graph


def service_description(endpoint: str, triples: int, settings: Settings) -> Graph:
    """The sd:Service at ``endpoint``: language, result formats, limits, and its default dataset's VoID."""
    service = URIRef(endpoint)
    graph = dataset_description(triples, service)
    graph.bind("sd", SD)
    graph.bind("formats", FORMATS_NS)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.defaultEntailmentRegime, URIRef("http://www.w3.org/ns/entailment/Simple")))
    for form in ("SELECT", "CONSTRUCT"):
        for media_type in answers.offers(form):
            if media_type in FORMAT_IRIS:
                graph.add((service, SD.resultFormat, FORMAT_IRIS[media_type]))
    graph.add((service, RDFS.comment, Literal(
        f"Read-only: updates, SERVICE, LOAD and FROM are refused. Each query may run {settings.timeout_s:g} s "
        f"and return {settings.max_rows} rows; a longer result is cut and flagged (header X-Yuetang-Truncated, "
        f'"truncated": true in JSON).', lang="en")))
    graph.add((service, SD.defaultDataset, DATASET))
    graph.add((DATASET, RDF.type, SD.Dataset))
    default_graph = URIRef(BASE + "dataset#default-graph")
    graph.add((DATASET, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    graph.add((default_graph, VOID.triples, Literal(triples)))
    return graph
