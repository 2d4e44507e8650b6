"""Where a project's inputs and outputs live, and loading the built graph (or building it when absent).

Run inside a checkout (a folder holding ``graph_data/``), the folders are the checkout's, as editors work on
them; anywhere else, they are the ones this installation carries (``bundle.installed_root``: the wheel's copy,
with its graph already built). Folders named on the command line always win.

What is loaded is checked against the build report that ``build`` writes last: every output file must have the
hash recorded there (a file cut short, emptied or replaced after the build is refused), the graph must hold the
recorded number of triples, and the inputs must still hash to what they did at build time (facts edited since
the build are refused), so that nothing partial or stale is ever served as if whole and current.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from pathlib import Path

from rdflib import XSD, Graph, Literal

from .bundle import CHARTS_FILE, FOLDERS, REPORT_NAME, file_sha256, inputs_hash, installed_root
from .errors import DataError


@dataclass(frozen=True)
class Paths:
    """The folders of a checkout: curated data, ontology, query catalogue, view definitions and build output."""

    data: Path = Path(FOLDERS["data"])
    ontology: Path = Path(FOLDERS["ontology"])
    queries: Path = Path(FOLDERS["queries"])
    out: Path = Path(FOLDERS["out"])
    viz: Path = Path(FOLDERS["viz"])

    @property
    def built_graph(self) -> Path:
        return self.out / "yuetang.nt"

    @property
    def built_graphs(self) -> Path:
        """The data's named graphs, as the build wrote them (N-Quads)."""
        return self.out / "yuetang.nq"


def default_paths(here: Path = Path()) -> Paths:
    """The folders a command uses when none is named: the checkout's when ``here`` is one, else this
    installation's (see the module's docstring), else the checkout's names (which then say what is missing)."""
    root = here if (here / FOLDERS["data"]).is_dir() else installed_root() or here
    return Paths(**{role: root / name for role, name in FOLDERS.items()})


def resolve_paths(**given: Path | None) -> Paths:
    """``default_paths`` with the folders given (not None) put in their place: ``resolve_paths(data=…)``."""
    unknown = set(given) - {f.name for f in fields(Paths)}
    if unknown:
        raise TypeError(f"no folder role {', '.join(sorted(unknown))}; roles: {', '.join(FOLDERS)}")
    return replace(default_paths(), **{role: Path(path) for role, path in given.items() if path is not None})


def served_release(paths: Paths, base_url: str) -> "Release":  # noqa: F821 - imported below, when needed
    """What the dataset description says about the graph being served: its inputs' hash, and the date its build
    recorded (an installed copy has no git history to date the inputs by), else the inputs' own date."""
    from .build import release_of

    release = release_of(paths.data, paths.ontology, base_url)
    try:
        issued = json.loads((paths.out / REPORT_NAME).read_text(encoding="utf-8")).get("issued")
    except (OSError, ValueError, AttributeError):
        return release  # no build (served from memory), or one that check_build refuses anyway
    return replace(release, issued=Literal(issued, datatype=XSD.date)) if issued else release


def load_graphs(paths: Paths, progress=lambda message: None) -> tuple[Graph, Graph]:
    """The instance graph and the ontology: read from the build output, or built in memory when not built yet."""
    # The build's modules (mapping, SHACL) are imported only by the commands that load or build the graph.
    from .build import build_graph
    from .model.ontology import load_ontology

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


def load_exporter(paths: Paths, quads: bool = False, progress=lambda message: None) -> "Exporter":  # noqa: F821
    """The exports of the built graph: from its dumps, read as lines once the one that the format reads (the
    N-Quads one for the ``quads`` formats, else the N-Triples one) is checked against the build report (nothing
    parses them), or from the graph built in memory when not built yet."""
    from .model.ontology import load_ontology
    from .publish.export import Exporter

    if (paths.out / REPORT_NAME).exists():
        check_build(paths, outputs=((paths.built_graphs if quads else paths.built_graph).name,))
        return Exporter.from_dump(paths.built_graph, paths.built_graphs, load_ontology(paths.ontology))
    return Exporter(*load_graphs(paths, progress))


def check_build(paths: Paths, outputs: Iterable[str] | None = None, index: bool = True) -> dict:
    """The build report of ``paths.out``, once the outputs a command reads (``outputs``, by file name; None: every
    one), the explorer's index (unless ``index`` is false), the store and the inputs are checked against it.
    Hashing a dump takes a second per few hundred MB: a command that reads only the store need not pay it."""
    report_path = paths.out / REPORT_NAME
    fix = f"run yuetang-kg build --out {paths.out}"
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        recorded, triples = dict(report["outputs"]), int(report["triples"])
    except FileNotFoundError:
        raise DataError(f"no build report: the build did not finish; {fix}", str(report_path)) from None
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(f"unreadable build report ({error}); {fix}", str(report_path)) from None
    for name, expected in sorted(recorded.items()):
        if outputs is not None and name not in outputs:
            continue
        path = paths.out / name
        if not path.is_file():
            raise DataError(f"missing, though the build wrote it; {fix}", str(path))
        if file_sha256(path) != expected:
            raise DataError(f"differs from what the build wrote (cut short or changed since); {fix}", str(path))
    store = report.get("store")
    if store is not None and not (paths.out / store["folder"]).is_dir():
        raise DataError(f"missing, though the build wrote it; {fix}", str(paths.out / store["folder"]))
    written = report.get("index")
    if written is not None and index:
        path = paths.out / written["file"]
        if not path.is_file():
            raise DataError(f"missing, though the build wrote it; {fix}", str(path))
        if file_sha256(path) != written["sha256"]:
            raise DataError(f"differs from what the build wrote (cut short or changed since); {fix}", str(path))
    charts = paths.viz / CHARTS_FILE
    if report.get("charts_sha256") and charts.is_file() and file_sha256(charts) != report["charts_sha256"]:
        raise DataError(f"edited since the build, which drew its charts into the explorer's index; {fix}", str(charts))
    inputs_here = paths.data.is_dir() and paths.ontology.is_dir()
    if inputs_here and inputs_hash(paths.data, paths.ontology) != report.get("inputs_sha256"):
        raise DataError(f"built from other inputs than {paths.data} and {paths.ontology} hold now (edited "
                        f"since the build); {fix}", str(paths.out))
    return {**report, "triples": triples}



def built_store(paths: Paths) -> Path | None:
    """The on-disk query store of a checked build, or None when there is none (a graph built in memory). The dumps
    are not hashed: nothing is read from them."""
    if not (paths.out / REPORT_NAME).exists():
        return None
    store = check_build(paths, outputs=(), index=False).get("store")
    return None if store is None else paths.out / store["folder"]


def _built_index(paths: Paths) -> "Index | None":  # noqa: F821 - imported below, when needed
    """The explorer's index of a checked build, opened; None when there is none (a graph built in memory)."""
    from .explore.index import Index

    if (paths.out / REPORT_NAME).exists():
        report = check_build(paths, outputs=())
        if "index" in report:
            return Index(paths.out / report["index"]["file"])
    return None


def load_projection(paths: Paths, progress=lambda message: None) -> "nx.MultiDiGraph":  # noqa: F821
    """The entity graph (``project.to_networkx``): read from the build's index, or projected from a graph built
    in memory when not built yet; the dump is never parsed for it."""
    from .explore.project import to_networkx

    index = _built_index(paths)
    if index is None:
        return to_networkx(*load_graphs(paths, progress))
    try:
        return index.projection()
    finally:
        index.close()


def load_graph_summary(paths: Paths, progress=lambda message: None) -> dict:
    """``analytics.summary`` of the entity graph: from the build's index, which holds what it needs (the
    communities found at build time, the nodes' names, the edges' ends), or of a projection built in memory
    when not built yet."""
    from .explore import analytics
    from .explore.project import to_networkx

    index = _built_index(paths)
    if index is None:  # projected here: load_projection would check a report without an index a second time
        return analytics.summary(to_networkx(*load_graphs(paths, progress)))
    try:
        simple = index.entity_graph()
        found = analytics.in_order(simple, index.communities())
        return analytics.graph_summary(simple, index.meta["relations"], found, index.names().__getitem__)
    finally:
        index.close()


def load_counts(paths: Paths, progress=lambda message: None) -> dict:
    """Triples and instances per class: from the build report, else counted on a graph built in memory."""
    if (paths.out / REPORT_NAME).exists():
        report = check_build(paths, outputs=(), index=False)
        return {"triples": report["triples"], "classes": report["classes"]}
    from .build import class_counts  # the build's modules take seconds to import: only when it runs

    data, _ = load_graphs(paths, progress)
    return {"triples": len(data), "classes": class_counts(data)}
