"""The graph from Python: ``yuetang_kg.open()`` and what it returns, for scripts and notebooks.

>>> import yuetang_kg
>>> kg = yuetang_kg.open()                                         # doctest: +SKIP
>>> kg.query("village_industries").dtypes["begin"]                  # doctest: +SKIP
dtype('int64')
>>> kg.query("place_ancestors", place="七星村")                      # doctest: +SKIP
>>> kg.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")          # doctest: +SKIP
>>> kg.path("七星村", "长株潭")                                       # doctest: +SKIP
>>> kg.view("ego", entity="七星村")                                   # doctest: +SKIP
"""

from functools import cached_property
from pathlib import Path

import networkx as nx
from rdflib import RDFS, Graph, Literal, URIRef

from .errors import DataError
from .explore import analytics, views
from .explore.inline import InlineView
from .explore.project import to_networkx
from .query import frames
from .query.catalogue import Query, load_catalogue
from .query.store import Result, open_store
from .workspace import Paths, load_graphs, resolve_paths

LANGUAGES = ("zh", "en")


class KnowledgeGraph:
    """The built graph and its ontology in an embedded store, with the query catalogue and the views."""

    def __init__(self, data: Graph, ontology: Graph, paths: Paths, store: str = "oxigraph"):
        self.data, self.ontology, self.paths = data, ontology, paths
        self.store = open_store(store, data, ontology)
        self.catalogue: dict[str, Query] = load_catalogue(paths.queries)

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {len(self.data)} triples, {len(self.catalogue)} catalogue queries>"

    def query(self, name: str, /, *, labels: str | None = None, **params):
        """A catalogue query by name as a pandas DataFrame with typed columns (see ``frames``). Parameters are
        keywords (``from_`` for ``from``); an ``iri`` parameter also takes an entity's name (zh, en, pinyin).
        ``labels="zh"`` or ``"en"`` adds a ``<column>_label`` column beside each column of IRIs."""
        return frames.frame(self._run_catalogue(name, params), self._labeller(labels))

    def sparql(self, text: str, /, *, labels: str | None = None):
        """Any SPARQL SELECT or ASK query as a DataFrame (as ``query``)."""
        return frames.frame(self.store.query(text), self._labeller(labels))

    def rows(self, name_or_sparql: str, /, **params) -> list[dict]:
        """A catalogue query (by name, with keyword parameters) or a SPARQL text as plain rows of Python values,
        no pandas needed."""
        if name_or_sparql in self.catalogue:
            return frames.rows(self._run_catalogue(name_or_sparql, params))
        if params:
            raise DataError("keyword parameters bind catalogue queries only", "params")
        return frames.rows(self.store.query(name_or_sparql))

    def path(self, source: str, target: str) -> list[dict]:
        """The best-evidenced shortest chain of relations between two entities (names in zh, en, pinyin, or
        ids): one dict per hop with the relation, its direction and the evidence quote."""
        start = analytics.resolve(self.networkx, source, "source")
        end = analytics.resolve(self.networkx, target, "target")
        found = analytics.shortest_paths(self.networkx, start, end, 1)
        if not found:
            raise DataError(f"{analytics.describe(self.networkx, start)} and "
                            f"{analytics.describe(self.networkx, end)} are not connected", "path")
        return analytics.path_as_data(self.networkx, found[0])

    @cached_property
    def networkx(self) -> nx.MultiDiGraph:
        """The entity graph (NetworkX): entities as nodes, relations as edges carrying their evidence."""
        return to_networkx(self.data, self.ontology)

    def view(self, name: str = "whole", entity: str | None = None) -> InlineView:
        """One view of ``viz/views.yaml``, shown inline in a notebook (``entity`` for the ego view)."""
        chosen = self._views.views.get(name)
        if chosen is None:
            raise DataError(f"no view named {name!r}; valid: {', '.join(self._views.views)}", "view")
        page = views.render(self.networkx, self._views, chosen, entity)
        return InlineView(f"{chosen.title_zh} · {chosen.title_en}", page)

    @cached_property
    def _views(self) -> views.ViewSet:
        return views.load_views(self.paths.viz)

    @cached_property
    def _labels(self) -> dict[tuple[str, str], str]:
        found = {}
        for graph in (self.ontology, self.data):
            for subject, label in graph.subject_objects(RDFS.label):
                if isinstance(subject, URIRef) and isinstance(label, Literal) and label.language in LANGUAGES:
                    found.setdefault((str(subject), label.language), str(label))
        return found

    def _labeller(self, language: str | None):
        if language is None:
            return None
        if language not in LANGUAGES:
            raise DataError(f"labels are in {' or '.join(LANGUAGES)}, got {language!r}", "labels")
        return lambda iri: self._labels.get((iri, language))

    def _run_catalogue(self, name: str, params: dict) -> Result:
        query = self.catalogue.get(name)
        if query is None:
            raise DataError(f"no query named {name!r}; valid: {', '.join(self.catalogue)}", "query")
        given = {key.removesuffix("_"): str(value) for key, value in params.items()}
        kinds = {p.name: p.kind for p in query.params}
        for key, value in given.items():
            if kinds.get(key) == "iri" and not value.startswith(("http://", "https://", "urn:")):
                given[key] = self.networkx.nodes[analytics.resolve(self.networkx, value, key)]["iri"]
        return self.store.query(query.text, query.bindings(given))


def open(data: Path | None = None, ontology: Path | None = None, out: Path | None = None,
         queries: Path | None = None, viz: Path | None = None, store: str = "oxigraph") -> KnowledgeGraph:
    """The knowledge graph, loaded from the build (checked against its report) or built in memory: from the
    checkout when run inside one, else from the copy this installation carries; folders given win."""
    paths = resolve_paths(data=data, ontology=ontology, out=out, queries=queries, viz=viz)
    graph, onto = load_graphs(paths)
    return KnowledgeGraph(graph, onto, paths, store)
