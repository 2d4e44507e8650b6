"""Stores that answer SPARQL over the graph: the embedded Oxigraph store (pyoxigraph), in memory or opened
read-only from the on-disk store that ``build`` writes (``write_store``), and rdflib's in-memory store, each
holding the data and the ontology in the default graph. Results come back as rdflib terms, or, from Oxigraph, as
the engine's own SPARQL TSV (``OxigraphStore.select_table``), for answers sent on without reading them.
"""

import shutil
import tempfile
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..errors import DataError
from .sparql_text import bind_values

STORE_DIR = "store"  # the on-disk store's folder inside a build output


@dataclass
class Result:
    """A query's answer: rows of rdflib terms for SELECT, a boolean for ASK, a graph for CONSTRUCT/DESCRIBE."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None
    truncated: bool = False


def to_rdflib(term) -> Node | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Node):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


@dataclass(frozen=True)
class Table:
    """A SELECT answer as the engine wrote it, in SPARQL TSV (a header line, then one line per row: line breaks
    inside literals are escaped), cut after ``max_rows`` rows."""

    tsv: bytes
    truncated: bool


class _Enough(Exception):
    """Stops the engine's writer once a row past the cap is written."""


class _CappedSink:
    """Where the engine writes TSV: it keeps what comes and stops the writer, and with it the query's evaluation,
    as soon as a row past ``max_rows`` is complete (the engine writes in chunks of some kilobytes)."""

    def __init__(self, max_rows: int):
        self.lines_wanted = max_rows + 2  # the header, the rows that are kept, and one more
        self.lines = 0
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(data)
        self.lines += data.count(b"\n")
        if self.lines >= self.lines_wanted:
            raise _Enough
        return len(data)

    def flush(self) -> None:
        pass


def capped(items, max_rows: int | None) -> tuple[list, bool]:
    """At most ``max_rows`` items and whether more were there: reading one extra item tells, without the rest.

    >>> capped(iter(range(5)), 3)
    ([0, 1, 2], True)
    """
    if max_rows is None:
        return list(items), False
    kept = list(islice(items, max_rows + 1))
    return kept[:max_rows], len(kept) > max_rows


class OxigraphStore:
    """The embedded default: pyoxigraph, in memory (from graphs) or on disk, read-only (``read_only``)."""

    name = "oxigraph"

    def __init__(self, *graphs: Graph):
        self.store = ox.Store()
        for graph in graphs:
            data = graph.serialize(format="nt", encoding="utf-8")
            self.store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)

    @classmethod
    def read_only(cls, path: Path) -> "OxigraphStore":
        """The on-disk store at ``path``, opened read-only: any number of processes may open it at once, and the
        operating system's page cache holds one copy of it for all of them."""
        opened = cls()
        try:
            opened.store = ox.Store.read_only(str(path))
        except OSError as error:
            raise DataError(f"cannot open the store: {error}; run yuetang-kg build", str(path)) from None
        return opened

    def __len__(self) -> int:
        return len(self.store)

    def _run(self, sparql: str):
        try:
            return self.store.query(sparql)
        except SyntaxError as error:
            raise DataError(f"invalid SPARQL: {error}", "query") from None
        except RuntimeError as error:  # e.g. a parameter whose variable the SELECT clause does not name
            raise DataError(f"cannot run the query: {error}", "query") from None

    def _solutions(self, sparql: str) -> ox.QuerySolutions:
        solutions = self._run(sparql)
        if not isinstance(solutions, ox.QuerySolutions):
            raise DataError("not a SELECT query", "query")
        return solutions

    def select_table(self, sparql: str, max_rows: int) -> Table:
        """Run a SELECT query and keep its answer as the engine writes it (SPARQL TSV), at most ``max_rows`` rows:
        no row becomes a Python object, and the engine stops after the row that shows the answer is longer."""
        solutions = self._solutions(sparql)
        sink = _CappedSink(max_rows)
        try:
            solutions.serialize(sink, format=ox.QueryResultsFormat.TSV)
        except _Enough:
            pass
        tsv = b"".join(sink.chunks)
        if sink.lines < sink.lines_wanted:
            return Table(tsv, False)
        lines = tsv.split(b"\n", max_rows + 1)  # the header and the rows kept, then the rest
        return Table(b"\n".join(lines[:-1]) + b"\n", True)

    def select_written(self, sparql: str, fmt: ox.QueryResultsFormat) -> bytes:
        """Run a SELECT query and return its whole answer as the engine writes it in ``fmt``: for a query known to
        stay within the caller's row cap (its own LIMIT), which needs no counting."""
        return self._solutions(sparql).serialize(format=fmt)

    def query(self, sparql: str, bindings: dict[str, Node] | None = None, max_rows: int | None = None) -> Result:
        """Run a query; with ``max_rows``, stop reading after that many rows (or triples) and flag ``truncated``.
        Parameters are bound by a VALUES block (``sparql_text.bind_values``), which the planner sees."""
        answer = self._run(bind_values(sparql, bindings or {}))
        if isinstance(answer, (bool, ox.QueryBoolean)):  # pyoxigraph 0.5 answers ASK with a QueryBoolean
            return Result("ASK", boolean=bool(answer))
        if isinstance(answer, ox.QuerySolutions):
            variables = [v.value for v in answer.variables]
            solutions, truncated = capped(answer, max_rows)
            rows = [tuple(to_rdflib(solution[v]) for v in variables) for solution in solutions]
            return Result("SELECT", variables=variables, rows=rows, truncated=truncated)
        triples, truncated = capped(answer, max_rows)
        graph = Graph()
        for triple in triples:
            graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
        return Result("CONSTRUCT", graph=graph, truncated=truncated)


class RdflibStore:
    """rdflib's in-memory store: slower, kept as the reference implementation to compare against."""

    name = "rdflib"

    def __init__(self, *graphs: Graph):
        self.graph = Graph()
        for graph in graphs:
            self.graph += graph

    def __len__(self) -> int:
        return len(self.graph)

    def query(self, sparql: str, bindings: dict[str, Node] | None = None, max_rows: int | None = None) -> Result:
        try:
            answer = self.graph.query(sparql, initBindings=bindings or {})
        except Exception as error:  # noqa: BLE001 - pyparsing and rdflib raise several types for bad queries
            raise DataError(f"invalid SPARQL: {error}", "query") from None
        if answer.type == "ASK":
            return Result("ASK", boolean=bool(answer.askAnswer))
        if answer.type == "SELECT":
            variables = [str(v) for v in answer.vars]
            rows, truncated = capped(iter(answer), max_rows)
            return Result("SELECT", variables=variables, rows=[tuple(row) for row in rows], truncated=truncated)
        triples, truncated = capped(iter(answer), max_rows)
        graph = Graph()
        for triple in triples:
            graph.add(triple)
        return Result("CONSTRUCT", graph=graph, truncated=truncated)


STORES = {"oxigraph": OxigraphStore, "rdflib": RdflibStore}


def open_store(kind: str, *graphs: Graph):
    try:
        return STORES[kind](*graphs)
    except KeyError:
        raise DataError(f"unknown store {kind!r}; valid: {', '.join(STORES)}", "--store") from None


def write_store(path: Path, *graphs: Graph) -> int:
    """Bulk-load ``graphs`` into a new on-disk Oxigraph store at ``path``, which replaces any store there only once
    it is whole; the number of triples loaded."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        store = ox.Store(str(building))
        for graph in graphs:
            store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
        store.optimize()
        count = len(store)
        del store  # closes the database before it moves
        retired = path.with_name(f".{path.name}.old")
        if path.exists():
            shutil.rmtree(retired, ignore_errors=True)
            path.rename(retired)
        building.rename(path)
        shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return count
