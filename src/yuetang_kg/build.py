"""The build: curated facts → RDF graph → SHACL validation → deterministic files in the output folder."""

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, Graph

from .bundle import CHARTS_FILE, REPORT_NAME, file_sha256, inputs_hash
from .errors import DataError
from .files import write_text
from .model.facts import Facts, load_facts
from .model.mapping import (
    Context,
    map_documents,
    map_entities,
    map_relations,
    map_utterances,
    map_vocabularies,
    new_graph,
)
from .model.observations import map_derived, map_observations, map_units, map_variables
from .model.ontology import load_ontology, load_shapes, terms_of
from .model.validate import validate_graph
from .namespaces import YKG
from .publish.describe import DEFAULT_BASE_URL, Release, release_date
from .publish.publication import Publication
from .query.store import STORE_DIR, write_store
from .web.charts import Comparison, load_comparisons
from .web.indexing import write_explorer_index


def to_rdf(facts: Facts, ontology: Graph) -> Graph:
    """The instance graph (ABox) of the facts; raises DataError naming the file and line of a bad fact."""
    ctx = Context(new_graph(), facts, terms_of(ontology))
    for step in (
        map_documents,
        map_vocabularies,
        map_units,
        map_variables,
        map_entities,
        map_relations,
        map_utterances,
        map_observations,
        map_derived,
    ):
        step(ctx)
    return ctx.graph


def class_counts(graph: Graph) -> dict[str, int]:
    """Instances per ykg class (asserted types only), sorted by class name."""
    counts = Counter()
    for _, cls in graph.subject_objects(RDF.type):
        if str(cls).startswith(str(YKG)):
            counts[str(cls)[len(str(YKG)) :]] += 1
    return dict(sorted(counts.items()))


def release_of(graph_data: Path, ontology_dir: Path, base_url: str = DEFAULT_BASE_URL) -> Release:
    """What the dataset description says about a build of these inputs: their hash and date (see describe)."""
    return Release(release_date([graph_data, ontology_dir]), inputs_hash(graph_data, ontology_dir), base_url)


@dataclass
class BuildResult:
    graph: Graph
    ontology: Graph
    facts: Facts | None
    out: Path
    outputs: list[Path] = field(default_factory=list)
    report: dict = field(default_factory=dict)


def build_graph(graph_data: Path, ontology_dir: Path) -> tuple[Facts, Graph, Graph]:
    """Load, map and validate; raise DataError listing every SHACL violation with its file and line."""
    facts = load_facts(Path(graph_data))
    ontology = load_ontology(Path(ontology_dir))
    graph = to_rdf(facts, ontology)
    violations = validate_graph(graph, load_shapes(Path(ontology_dir)), ontology)
    if violations:
        listed = "\n  ".join(str(v) for v in violations[:50])
        more = f"\n  … and {len(violations) - 50} more" if len(violations) > 50 else ""
        raise DataError(f"SHACL validation failed with {len(violations)} violation(s):\n  {listed}{more}")
    return facts, graph, ontology


def build(
    graph_data: Path,
    ontology_dir: Path,
    out: Path,
    progress: Callable[[str], None] = lambda message: None,
    base_url: str = DEFAULT_BASE_URL,
    viz: Path | None = None,
) -> BuildResult:
    """Build the graph and write into ``out`` the published files (data and ontology in every format, the
    JSON-LD context, the VoID + DCAT description, the ontology's documentation) and the build report.
    ``base_url`` is where the app will serve them, for the description's links; the comparisons that ``viz``'s
    ``charts.yaml`` defines are charted into the explorer's index (none without ``viz``)."""
    comparisons = [] if viz is None else load_comparisons(viz)
    charts = None if viz is None else file_sha256(Path(viz) / CHARTS_FILE)
    progress(f"reading facts from {graph_data}")
    facts, graph, ontology = build_graph(graph_data, ontology_dir)
    progress(f"mapped and validated {len(graph)} triples")
    result = write_build(out, graph, ontology, release_of(graph_data, ontology_dir, base_url), progress, facts.files,
                         comparisons, charts)
    result.facts = facts
    return result


def write_build(out: Path, graph: Graph, ontology: Graph, release: Release,
                progress: Callable[[str], None] = lambda message: None, facts_files: list[str] = (),
                comparisons: list[Comparison] = (), charts_sha256: str | None = None) -> BuildResult:
    """Write a build folder for ``graph``: the published files, the query store, the explorer's index (with the
    ``comparisons`` charted) and the build report (what ``serve`` reads; ``charts_sha256`` is the hash of the
    ``charts.yaml`` the comparisons came from). ``build`` makes one from the facts; tests make one from any
    graph."""
    out = Path(out)
    result = BuildResult(graph, ontology, None, out)
    result.outputs += Publication(graph, ontology, release).write(out, progress)
    # The store is a cache for queries, made from the same graphs: not a published file, and not byte-identical
    # between builds (RocksDB names its files itself), so it is recorded by its triple count, not by a hash.
    stored = write_store(out / STORE_DIR, graph, ontology)
    progress(f"loaded {stored} triples into the query store {out / STORE_DIR}")
    # What the explorer's pages read besides SPARQL answers, worked out once here rather than at every start.
    index = write_explorer_index(out, graph, ontology, comparisons)
    progress(f"wrote the explorer's index {index}")
    result.report = {
        "triples": len(graph),
        "classes": class_counts(graph),
        "facts_files": list(facts_files),
        "inputs_sha256": release.inputs_sha256,
        # the charts are drawn into the index: an edit of charts.yaml since makes the build stale, as one of the facts
        "charts_sha256": charts_sha256,
        # an installed copy has no git history to date its inputs by: serve reads the date from here
        "issued": None if release.issued is None else str(release.issued),
        "store": {"folder": STORE_DIR, "triples": stored},
        "index": {"file": index.name, "sha256": file_sha256(index)},
        "base_url": release.base_url,
        "outputs": {p.name: file_sha256(p) for p in sorted(result.outputs)},
    }
    report_path = out / REPORT_NAME
    write_text(report_path, json.dumps(result.report, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    result.outputs.append(report_path)
    return result
