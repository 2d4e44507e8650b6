"""Where a project's inputs and outputs live, and loading the built graph (or building it when absent).

What is loaded is checked against the build report that ``build`` writes last: every output file must have the
hash recorded there (a file cut short, emptied or replaced after the build is refused), the graph must hold the
recorded number of triples, and the inputs must still hash to what they did at build time (facts edited since
the build are refused), so that nothing partial or stale is ever served as if whole and current.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from .build import REPORT_NAME, build_graph, inputs_hash
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
        report = check_build(paths)
        data = Graph()
        try:
            # N-Triples is UTF-8 by definition; rdflib's parser refuses an encoding argument for it
            data.parse(paths.built_graph, format="nt")
        except MemoryError:
            raise DataError("the built graph does not fit in memory", str(paths.built_graph)) from None
        except Exception as error:  # noqa: BLE001 - rdflib's parsers raise several types
            raise DataError(f"cannot read the built graph: {error}; run yuetang-kg build", str(paths.built_graph))
        if len(data) != report["triples"]:
            raise DataError(f"holds {len(data)} triples, the build wrote {report['triples']}; run yuetang-kg build",
                            str(paths.built_graph))
        return data, ontology
    progress(f"{paths.built_graph} not found: building the graph in memory")
    _, data, ontology = build_graph(paths.data, paths.ontology)
    return data, ontology


def check_build(paths: Paths) -> dict:
    """The build report of ``paths.out``, once every output and the inputs are checked against it."""
    report_path = paths.out / REPORT_NAME
    fix = f"run yuetang-kg build --out {paths.out}"
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        outputs, triples = dict(report["outputs"]), int(report["triples"])
    except FileNotFoundError:
        raise DataError(f"no build report: the build did not finish; {fix}", str(report_path)) from None
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(f"unreadable build report ({error}); {fix}", str(report_path)) from None
    for name, expected in sorted(outputs.items()):
        path = paths.out / name
        if not path.is_file():
            raise DataError(f"missing, though the build wrote it; {fix}", str(path))
        if _sha256(path) != expected:
            raise DataError(f"differs from what the build wrote (cut short or changed since); {fix}", str(path))
    store = report.get("store")
    if store is not None and not (paths.out / store["folder"]).is_dir():
        raise DataError(f"missing, though the build wrote it; {fix}", str(paths.out / store["folder"]))
    inputs_here = paths.data.is_dir() and paths.ontology.is_dir()
    if inputs_here and inputs_hash(paths.data, paths.ontology) != report.get("inputs_sha256"):
        raise DataError(f"built from other inputs than {paths.data} and {paths.ontology} hold now (edited "
                        f"since the build); {fix}", str(paths.out))
    return {**report, "triples": triples}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def built_store(paths: Paths) -> Path | None:
    """The on-disk query store of a checked build, or None when there is none (a graph built in memory)."""
    if not (paths.out / REPORT_NAME).exists():
        return None
    store = check_build(paths).get("store")
    return None if store is None else paths.out / store["folder"]
