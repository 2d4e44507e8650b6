"""Where a project's inputs and outputs live, and loading the built graph (or building it when absent)."""

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from .build import build_graph
from .errors import DataError
from .ontology import load_ontology


@dataclass(frozen=True)
class Paths:
    """The folders of a checkout: curated data, ontology, query catalogue and build output."""

    data: Path = Path("graph_data")
    ontology: Path = Path("ontology")
    queries: Path = Path("queries")
    out: Path = Path("dist")

    @property
    def built_graph(self) -> Path:
        return self.out / "yuetang.nt"


def load_graphs(paths: Paths, progress=lambda message: None) -> tuple[Graph, Graph]:
    """The instance graph and the ontology: read from the build output, or built in memory when not built yet."""
    ontology = load_ontology(paths.ontology)
    if paths.built_graph.exists():
        data = Graph()
        try:
            # N-Triples is UTF-8 by definition; rdflib's parser refuses an encoding argument for it
            data.parse(paths.built_graph, format="nt")
        except Exception as error:  # noqa: BLE001 - rdflib's parsers raise several types
            raise DataError(f"cannot read the built graph: {error}; run yuetang-kg build", str(paths.built_graph))
        return data, ontology
    progress(f"{paths.built_graph} not found: building the graph in memory")
    _, data, ontology = build_graph(paths.data, paths.ontology)
    return data, ontology
