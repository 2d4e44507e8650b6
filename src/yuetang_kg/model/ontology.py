"""The project's ontology (TBox) and SHACL shapes, read from ``ontology/``, and what the mapping asks of them."""

from dataclasses import dataclass
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, URIRef

from ..errors import DataError
from ..literals import find_forbidden
from ..namespaces import YKG

ONTOLOGY_FILE = "yuetang.ttl"
SHAPES_FILE = "shapes.ttl"


def read_turtle(path: Path) -> Graph:
    """Parse a Turtle file; a syntax error names the file."""
    graph = Graph()
    try:
        graph.parse(path, format="turtle", encoding="utf-8")
    except FileNotFoundError:
        raise DataError("file not found", str(path)) from None
    except Exception as error:  # noqa: BLE001 - rdflib raises several parser exception types
        raise DataError(f"invalid Turtle: {error}", str(path)) from None
    for triple in graph:  # the ontology is published like the facts, so it is held to the same characters
        for term in triple:
            found = find_forbidden(str(term))
            if found:
                raise DataError(f"{str(term)[:40]!r} holds {found[1]}, which may not be in curated text", str(path))
    return graph


def load_ontology(folder: Path) -> Graph:
    return read_turtle(Path(folder) / ONTOLOGY_FILE)


def load_shapes(folder: Path) -> Graph:
    return read_turtle(Path(folder) / SHAPES_FILE)


@dataclass(frozen=True)
class Terms:
    """The ykg classes and properties the ontology declares, by local name."""

    classes: frozenset[str]
    object_properties: frozenset[str]
    datatype_properties: frozenset[str]

    def check_class(self, name: str, where: str) -> URIRef:
        if name not in self.classes:
            raise DataError(f"unknown type {name!r}: not a class of ontology/{ONTOLOGY_FILE}", where)
        return YKG[name]

    def check_property(self, name: str, literal: bool, where: str) -> URIRef:
        wanted, other = (
            (self.datatype_properties, self.object_properties)
            if literal
            else (self.object_properties, self.datatype_properties)
        )
        if name not in wanted:
            if name in other:
                kind = "an object property: give o:" if literal else "a datatype property: give value:"
                raise DataError(f"{name!r} is {kind}", where)
            raise DataError(f"unknown property {name!r}: not a property of ontology/{ONTOLOGY_FILE}", where)
        return YKG[name]


def terms_of(ontology: Graph) -> Terms:
    def local_names(*types: URIRef) -> frozenset[str]:
        names = set()
        for kind in types:
            for term in ontology.subjects(RDF.type, kind):
                if isinstance(term, URIRef) and term.startswith(str(YKG)):
                    names.add(term[len(str(YKG)) :])
        return frozenset(names)

    return Terms(
        classes=local_names(OWL.Class, RDFS.Class),
        object_properties=local_names(OWL.ObjectProperty, OWL.TransitiveProperty, OWL.SymmetricProperty),
        datatype_properties=local_names(OWL.DatatypeProperty),
    )
