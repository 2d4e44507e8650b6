"""The dataset description: VoID (counts, partitions, examples, the SPARQL endpoint, the dumps) and DCAT
(titles, licence, rights, publisher, source articles, distributions with size and checksum, a content hash of
the inputs, dates), computed from the graph. Each named graph of the quad exports (``named_graphs``) is a
``void:subset`` of the dataset, named by the graph's IRI, with its triple count; a source document's graph also
names its document and title. Every other node has an IRI under ``<…/dataset>``: no blank nodes.

The date is never the wall clock, so that two builds of the same inputs are byte-identical: it comes from
``SOURCE_DATE_EPOCH`` when set, else from the last git commit that touched the inputs, else it is the year of
the newest source document (an ``xsd:gYear``: that is all the inputs say).

>>> release_date([], {"SOURCE_DATE_EPOCH": "1718000000"})
rdflib.term.Literal('2024-06-10', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#date'))
"""

import hashlib
import os
import subprocess
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV

from ..errors import DataError
from ..namespaces import BASE, ID, NIF, ONTOLOGY_IRI, PREFIXES, VOID, YKG
from . import ntriples
from .export import file_name
from .formats import FORMATS
from .named_graphs import document_graph, partition

SPDX = Namespace("http://spdx.org/rdf/terms#")
DATASET = URIRef(BASE + "dataset")
CATALOG = URIRef(BASE + "catalog")
DEFAULT_BASE_URL = "http://127.0.0.1:8000/"
# Where the served app answers: the dumps under DOWNLOADS, the SPARQL 1.1 endpoint at SPARQL.
DOWNLOADS = "downloads/"
SPARQL = "sparql"
CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
PUBLISHER = "yuetang-kg contributors"
# Example resources: the most cited instance of each of these classes, and the first figure about the first.
EXAMPLE_CLASSES = (YKG.District, YKG.Village)

TITLE = {"zh": "岳塘知识图谱", "en": "Yuetang knowledge graph"}
DESCRIPTION = {
    "zh": "湖南省湘潭市岳塘区新闻报道的知识图谱：地点、组织、人物、举措、产业、产品、荣誉、事件和文中的每个数字"
    "（带单位、时期和约数限定词），每条事实都指向来源文章中的原文片段（码位偏移）。",
    "en": "A knowledge graph of news reporting on Yuetang District, Xiangtan, Hunan: places, organizations, "
    "people, initiatives, industries, products, awards, events and every figure of the text (with unit, period "
    "and approximation qualifier), each fact leading to the span of the source article that states it "
    "(code-point offsets).",
}
RIGHTS = {
    "zh": "本数据集的整理成果（事实、结构、英文译名与说明）以 CC BY 4.0 许可发布。来源文章的全文与引文版权归其"
    "出版方所有，收录仅为注明出处与核验之用，不在本数据集的许可范围之内。",
    "en": "The curation of this dataset (facts, structure, English names and notes) is published under CC BY "
    "4.0. The source articles' text and the quotations from them remain the copyright of their publishers; they "
    "are included for attribution and verification and are not licensed by this dataset.",
}


@dataclass(frozen=True)
class Release:
    """What the description says about a build that the graph does not hold."""

    issued: Literal | None = None  # None: the year of the newest source document
    inputs_sha256: str | None = None
    base_url: str = DEFAULT_BASE_URL


def release_date(inputs: Sequence[Path], env: Mapping[str, str] = os.environ) -> Literal | None:
    """The build date as an ``xsd:date`` (UTC): ``SOURCE_DATE_EPOCH``, else the last commit touching ``inputs``."""
    epoch = env.get("SOURCE_DATE_EPOCH")
    if epoch is None and inputs:
        epoch = _last_commit_time(inputs)
    if not epoch:
        return None
    try:
        day = datetime.fromtimestamp(int(epoch), tz=UTC).date()
    except (ValueError, OverflowError):
        raise DataError(f"expected seconds since 1970 (an integer), got {epoch!r}", "SOURCE_DATE_EPOCH") from None
    return Literal(day.isoformat(), datatype=XSD.date)


def _last_commit_time(inputs: Sequence[Path]) -> str | None:
    paths = [str(Path(p).resolve()) for p in inputs]
    try:
        done = subprocess.run(
            ["git", "-C", str(Path(paths[0]).parent), "log", "-1", "--format=%ct", "--", *paths],
            capture_output=True, text=True, timeout=30, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):  # no git: fall back to the source year
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _slug(iri: URIRef) -> str:
    """A readable, stable IRI segment for a class or property: ``ykg-Village``, ``rdf-type``."""
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and local.replace("-", "").replace("_", "").isalnum():
            return f"{prefix}-{local}"
    return "iri-" + hashlib.sha1(iri.encode("utf-8")).hexdigest()[:16]


def _vocabulary(iri: URIRef) -> URIRef | None:
    if iri.startswith(str(YKG)):
        return ONTOLOGY_IRI
    matches = [ns for ns in PREFIXES.values() if iri.startswith(str(ns)) and ns != ID]
    return URIRef(max(matches, key=len)) if matches else None


def example_resources(graph: Graph) -> list[URIRef]:
    """The most cited instance of each EXAMPLE_CLASSES and the figure about the first that the text gives first."""
    cited = Counter()
    for statement in graph.subjects(RDF.type, YKG.Statement):
        for role in (RDF.subject, RDF.object):
            cited[graph.value(statement, role)] += 1
    examples = []
    for cls in EXAMPLE_CLASSES:
        instances = sorted(graph.subjects(RDF.type, cls), key=lambda node: (-cited[node], str(node)))
        examples += instances[:1]

    def position(observation) -> tuple:
        spans = [graph.value(span, NIF.beginIndex) for span in graph.objects(observation, YKG.evidence)]
        return (min((int(s) for s in spans if s is not None), default=1 << 60), str(observation))

    about = set(examples[:1])
    figures = [o for o in graph.subjects(RDF.type, YKG.Observation) if graph.value(o, YKG.observationAbout) in about]
    return examples + sorted(figures, key=position)[:1]


def _texts(g: Graph, node: URIRef, prop: URIRef, texts: dict[str, str]) -> None:
    for lang, text in texts.items():
        g.add((node, prop, Literal(text, lang=lang)))


def _void(g: Graph, data: Graph, release: Release, dumps: Mapping[str, bytes]) -> None:
    g.add((DATASET, RDF.type, VOID.Dataset))
    g.add((DATASET, VOID.triples, Literal(len(data))))
    subjects = set(data.subjects(unique=True))
    g.add((DATASET, VOID.entities, Literal(sum(1 for s in subjects if str(s).startswith(str(ID))))))
    g.add((DATASET, VOID.distinctSubjects, Literal(len(subjects))))
    g.add((DATASET, VOID.distinctObjects, Literal(len(set(data.objects(unique=True))))))
    g.add((DATASET, VOID.uriSpace, Literal(str(ID))))
    g.add((DATASET, VOID.sparqlEndpoint, URIRef(release.base_url + SPARQL)))
    for example in example_resources(data):
        g.add((DATASET, VOID.exampleResource, example))
    for name in dumps:
        g.add((DATASET, VOID.dataDump, URIRef(release.base_url + DOWNLOADS + file_name("data", FORMATS[name]))))

    instances: dict[URIRef, set] = {}
    for node, cls in data.subject_objects(RDF.type):
        instances.setdefault(cls, set()).add(node)
    g.add((DATASET, VOID.classes, Literal(len(instances))))
    for cls, members in instances.items():
        partition = URIRef(f"{DATASET}/class/{_slug(cls)}")
        g.add((DATASET, VOID.classPartition, partition))
        g.add((partition, VOID["class"], cls))
        g.add((partition, VOID.entities, Literal(len(members))))

    triples = Counter(p for _, p, _ in data)
    g.add((DATASET, VOID.properties, Literal(len(triples))))
    for prop, count in triples.items():
        partition = URIRef(f"{DATASET}/property/{_slug(prop)}")
        g.add((DATASET, VOID.propertyPartition, partition))
        g.add((partition, VOID.property, prop))
        g.add((partition, VOID.triples, Literal(count)))

    for vocabulary in {_vocabulary(term) for term in set(triples) | set(instances)} - {None}:
        g.add((DATASET, VOID.vocabulary, vocabulary))
    _subsets(g, data)


def _subsets(g: Graph, data: Graph) -> None:
    """Each named graph of the data as a subset of the dataset; a document's names the document and its title."""
    documents = {document_graph(node): node for node in data.subjects(RDF.type, YKG.SourceDocument)}
    for name, triples in partition(ntriples.from_triples(data)).items():
        g.add((DATASET, VOID.subset, name))
        g.add((name, RDF.type, VOID.Dataset))
        g.add((name, VOID.triples, Literal(len(triples))))
        document = documents.get(name)
        if document is not None:
            g.add((name, DCTERMS.source, document))
            for title in data.objects(document, DCTERMS.title):
                g.add((name, DCTERMS.title, title))


def _checksum(g: Graph, node: URIRef, sha256: str) -> None:
    checksum = URIRef(f"{node}/checksum")
    g.add((node, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(sha256, datatype=XSD.hexBinary)))


def _sources(g: Graph, data: Graph) -> list[Literal]:
    """Each source document with its title, author and date; returns their dates."""
    dates = []
    for document in sorted(data.subjects(RDF.type, YKG.SourceDocument)):
        g.add((DATASET, DCTERMS.source, document))
        g.add((document, RDF.type, YKG.SourceDocument))
        for prop in (DCTERMS.title, DCTERMS.date, DCTERMS.creator):
            for value in data.objects(document, prop):
                g.add((document, prop, value))
        for author in data.objects(document, DCTERMS.creator):
            for label in data.objects(author, RDFS.label):
                g.add((author, FOAF.name, label))
        dates += data.objects(document, DCTERMS.date)
    return dates


def _dcat(g: Graph, data: Graph, ontology: Graph, release: Release, dumps: Mapping[str, bytes]) -> None:
    g.add((DATASET, RDF.type, DCAT.Dataset))
    _texts(g, DATASET, DCTERMS.title, TITLE)
    _texts(g, DATASET, DCTERMS.description, DESCRIPTION)
    g.add((DATASET, DCTERMS.license, CC_BY))
    rights = URIRef(f"{DATASET}/rights")
    g.add((DATASET, DCTERMS.rights, rights))
    g.add((rights, RDF.type, DCTERMS.RightsStatement))
    _texts(g, rights, RDFS.label, RIGHTS)

    publisher = URIRef(f"{DATASET}/publisher")
    g.add((DATASET, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(PUBLISHER)))
    g.add((DATASET, DCTERMS.conformsTo, ontology.value(ONTOLOGY_IRI, OWL.versionIRI) or ONTOLOGY_IRI))
    g.add((DATASET, DCAT.landingPage, URIRef(release.base_url)))

    years = [int(str(d)[:4]) for d in _sources(g, data) if str(d)[:4].isdigit()]
    issued = release.issued
    if issued is None and years:
        issued = Literal(str(max(years)), datatype=XSD.gYear)
    if issued is not None:
        g.add((DATASET, DCTERMS.issued, issued))
        g.add((DATASET, DCTERMS.modified, issued))
    if release.inputs_sha256:
        inputs = URIRef(f"{DATASET}/inputs")
        g.add((DATASET, PROV.wasDerivedFrom, inputs))
        g.add((inputs, RDF.type, PROV.Entity))
        g.add((inputs, RDFS.label, Literal("the curated facts, source documents and ontology of the build", lang="en")))
        _checksum(g, inputs, release.inputs_sha256)

    for name, data_bytes in dumps.items():
        fmt = FORMATS[name]
        distribution = URIRef(f"{DATASET}/dump-{name}")
        url = URIRef(release.base_url + DOWNLOADS + file_name("data", fmt))
        g.add((DATASET, DCAT.distribution, distribution))
        g.add((distribution, RDF.type, DCAT.Distribution))
        g.add((distribution, DCTERMS.title, Literal(f"{TITLE['en']} ({file_name('data', fmt)})", lang="en")))
        g.add((distribution, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/" + fmt.media_type)))
        g.add((distribution, DCAT.downloadURL, url))
        g.add((distribution, DCAT.accessURL, url))
        g.add((distribution, DCAT.byteSize, Literal(len(data_bytes), datatype=XSD.nonNegativeInteger)))
        g.add((distribution, DCTERMS.license, CC_BY))
        _checksum(g, distribution, hashlib.sha256(data_bytes).hexdigest())

    service = URIRef(f"{DATASET}/sparql")
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, URIRef(release.base_url + SPARQL)))
    g.add((service, DCAT.servesDataset, DATASET))
    g.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    g.add((CATALOG, RDF.type, DCAT.Catalog))
    _texts(g, CATALOG, DCTERMS.title, TITLE)
    g.add((CATALOG, DCTERMS.publisher, publisher))
    g.add((CATALOG, DCAT.dataset, DATASET))
    g.add((CATALOG, DCAT.service, service))


def describe(data: Graph, ontology: Graph, release: Release, dumps: Mapping[str, bytes]) -> Graph:
    """The VoID + DCAT description of ``data``; ``dumps`` maps format names to the bytes of the data dumps."""
    g = Graph()
    for prefix, namespace in {**PREFIXES, "spdx": SPDX}.items():
        g.bind(prefix, namespace, replace=True)
    _void(g, data, release, dumps)
    _dcat(g, data, ontology, release, dumps)
    return g
