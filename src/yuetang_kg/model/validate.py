"""SHACL validation of a built graph, with each violation traced back to the file and line of its fact."""

from dataclasses import dataclass

import pyshacl
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SH

from ..namespaces import YKG


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str
    message: str
    where: str

    def __str__(self) -> str:
        return f"{self.where}: {self.focus} {self.path}: {self.message}"


def _where(data: Graph, focus) -> str:
    """Where the fact about ``focus`` is curated: its own ykg:curatedAt, or that of a statement about it."""
    places = {str(o) for o in data.objects(focus, YKG.curatedAt)}
    if not places:
        for statement in data.subjects(RDF.subject, focus):
            places.update(str(o) for o in data.objects(statement, YKG.curatedAt))
    return ", ".join(sorted(places)) or "graph_data"


def validate_graph(data: Graph, shapes: Graph, ontology: Graph) -> list[Violation]:
    """Every SHACL violation of ``data`` (with the ontology's class hierarchy), sorted; empty when it conforms."""
    conforms, results, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", allow_warnings=True
    )
    if conforms:
        return []
    found = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        if results.value(result, SH.resultSeverity) != SH.Violation:
            continue
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage) or "violates a shape"
        found.append(
            Violation(
                focus=focus.n3(data.namespace_manager) if isinstance(focus, URIRef) else str(focus),
                path=path.n3(data.namespace_manager) if isinstance(path, URIRef) else str(path or ""),
                message=str(message),
                where=_where(data, focus),
            )
        )
    return sorted(found, key=str)
