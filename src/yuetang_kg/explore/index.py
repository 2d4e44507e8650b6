"""The explorer's index: what the web pages and the graph commands read that is not a SPARQL answer.

``write_index`` runs at build time, over the graph as built: the NetworkX projection's nodes and edges (with
their attributes as JSON), every spelling of every entity, class, property and prefix as a search key, the zh/en
label of every IRI of the data and the ontology, the source documents and the pinyin of their text, every
evidence span with what cites it, the charts of the observations with what each quotes and is about, and each
entity's reconciliation card (``reconcile.entity_rows``). It writes one SQLite file beside the store, and
``Index`` opens it read-only: ``serve`` starts without parsing the dump or rebuilding anything, and its memory
does not grow with the corpus (SQLite reads the pages a request needs). Lookups are by key: a node, the edges
at a node, the spans of a document; searches walk the keys in SQL and rank there, so that only the rows shown are
decoded.

Spellings are ranked as ``analytics.match_rank`` ranks them: exact, then prefix, then infix; names (``ALIAS_NAME``)
before other spellings (``ALIAS_OTHER``); a shorter key first. Ids (``ALIAS_ID``: the slug) are spellings for
completion, and exact matches for search.
"""

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path

import networkx as nx

from ..errors import DataError
from .project import search_key

INDEX_NAME = "explorer.sqlite"
ALIAS_NAME, ALIAS_OTHER, ALIAS_ID = 0, 1, 2
KIND_ORDER = {kind: number for number, kind in enumerate(("prefix", "class", "property", "entity"))}
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE node (iri TEXT PRIMARY KEY, slug TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL,
                   summary TEXT NOT NULL);
CREATE INDEX node_slug ON node (slug);
CREATE TABLE edge (source TEXT NOT NULL, target TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX edge_source ON edge (source);
CREATE INDEX edge_target ON edge (target);
CREATE TABLE term (iri TEXT PRIMARY KEY, kind TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE spelling (key TEXT NOT NULL, alias INTEGER NOT NULL, kind TEXT NOT NULL, iri TEXT NOT NULL);
CREATE INDEX spelling_key ON spelling (key);
CREATE TABLE label (iri TEXT PRIMARY KEY, zh TEXT NOT NULL, en TEXT NOT NULL);
CREATE TABLE document (iri TEXT PRIMARY KEY, slug TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX document_slug ON document (slug);
CREATE TABLE span (iri TEXT PRIMARY KEY, document TEXT NOT NULL, begin INTEGER NOT NULL, "end" INTEGER NOT NULL,
                   data TEXT NOT NULL, targets TEXT NOT NULL);
CREATE INDEX span_document ON span (document, begin);
CREATE TABLE reading (iri TEXT PRIMARY KEY, key TEXT NOT NULL, syllables TEXT NOT NULL);
CREATE TABLE chart (position INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE chart_link (iri TEXT NOT NULL, role TEXT NOT NULL, position INTEGER NOT NULL,
                         PRIMARY KEY (iri, role, position)) WITHOUT ROWID;
CREATE TABLE reconcile_entity (iri TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE reconcile_code (code TEXT NOT NULL, iri TEXT NOT NULL, PRIMARY KEY (code, iri)) WITHOUT ROWID;
CREATE TABLE reconcile_type (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE community (iri TEXT PRIMARY KEY, community INTEGER NOT NULL);
"""
# A one-letter text is inside most keys: past this many candidate rows an infix search stops (exact and prefix
# matches, which rank first, come from the key index and are always complete).
MAX_INFIX_ROWS = 20_000


def dumps(value) -> str:
    """JSON as the index stores it: compact, keys sorted, so that the same graph writes the same bytes."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def write_index(path: Path, tables: dict[str, Iterable[tuple]], meta: dict[str, object]) -> None:
    """Write the tables (rows in the order given) and ``meta`` to a fresh SQLite file at ``path``, atomically:
    a reader sees the old index or the new one, never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        with closing(sqlite3.connect(temporary, isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA page_size = 4096")
            db.executescript(SCHEMA)
            db.execute("BEGIN")
            for table, rows in tables.items():
                columns = len(db.execute(f"SELECT * FROM {table} LIMIT 0").description)
                db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * columns)})", rows)
            db.executemany("INSERT INTO meta VALUES (?, ?)", sorted((k, dumps(v)) for k, v in meta.items()))
            db.execute("COMMIT")
            db.execute("VACUUM")
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the index from a server running as another user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def summary(attributes: dict) -> dict:
    """A node's attributes as lists and drawings use them: a hub's hundred quotes and figures cut to what a
    tooltip shows (``views.node_tooltip``)."""
    return {**attributes, "evidence": attributes["evidence"][:2], "observations": attributes["observations"][:4],
            "properties": []}


def spellings(iri: str, kind: str, names: Iterable[str], others: Iterable[str], ids: Iterable[str]) -> set[tuple]:
    """The ``spelling`` rows of one term: each spelling's search key with its alias rank."""
    rows = set()
    for alias, group in ((ALIAS_NAME, names), (ALIAS_OTHER, others), (ALIAS_ID, ids)):
        for spelling in group:
            key = search_key(spelling)
            if key:
                rows.add((key, alias, kind, iri))
    return rows


class Index:
    """The explorer's index, opened read-only (any number of processes and threads may read it at once)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError("the explorer's index is missing; run yuetang-kg build", str(self.path))
        try:
            # immutable: the file never changes while served (a build replaces it whole), so no locks are taken
            self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                                      check_same_thread=False)
            self.meta = {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM meta")}
        except sqlite3.Error as error:
            raise DataError(f"cannot read the explorer's index: {error}; run yuetang-kg build", str(self.path)) from None

    def close(self) -> None:
        self.db.close()

    def _rows(self, sql: str, *args) -> list[tuple]:
        return self.db.execute(sql, args).fetchall()

    def _rows_for(self, sql: str, keys: Iterable[str]) -> list[tuple]:
        """The rows of ``sql`` for every key: each ``{keys}`` in it becomes a list of placeholders, filled a batch
        of keys at a time (SQLite bounds the parameters of one statement)."""
        wanted = sorted(set(keys))
        found = []
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            statement = sql.format(keys=", ".join("?" * len(chunk)))
            found += self._rows(statement, *(chunk * (statement.count("?") // len(chunk))))
        return found

    # The projection's nodes and edges

    def node(self, iri: str) -> dict | None:
        row = self._rows("SELECT data FROM node WHERE iri = ?", iri)
        return json.loads(row[0][0]) if row else None

    def nodes(self, iris: Iterable[str]) -> dict[str, dict]:
        """The nodes' ``summary``: what drawing and listing them needs (``summary``)."""
        rows = self._rows_for("SELECT iri, summary FROM node WHERE iri IN ({keys})", iris)
        return {iri: json.loads(data) for iri, data in rows}

    def node_by_id(self, text: str) -> str | None:
        """The node whose IRI, slug or ``kind/slug`` is ``text`` exactly."""
        kind, _, slug = text.partition("/")
        rows = self._rows("SELECT iri FROM node WHERE iri = ? OR slug = ? OR (kind = ? AND slug = ?) ORDER BY iri "
                          "LIMIT 1", text, text, kind, slug)
        return rows[0][0] if rows else None

    def all_nodes(self, limit: int | None = None) -> Iterator[dict]:
        sql = "SELECT summary FROM node ORDER BY iri" + ("" if limit is None else f" LIMIT {int(limit)}")
        for (data,) in self.db.execute(sql):
            yield json.loads(data)

    def edges_at(self, iris: Iterable[str]) -> list[tuple[str, str, dict]]:
        """Every edge with an end in ``iris``, in the projection's order."""
        found = set(self._rows_for("SELECT rowid, source, target, data FROM edge WHERE source IN ({keys}) "
                                   "UNION SELECT rowid, source, target, data FROM edge WHERE target IN ({keys})", iris))
        return [(s, t, json.loads(d)) for _, s, t, d in sorted(found)]

    def adjacency(self, iris: Iterable[str]) -> dict[str, set[str]]:
        """The neighbours (either direction) of each of ``iris``, read in batches."""
        found: dict[str, set[str]] = {iri: set() for iri in iris}
        for source, target in self._rows_for("SELECT source, target FROM edge WHERE source IN ({keys}) UNION "
                                             "SELECT source, target FROM edge WHERE target IN ({keys})", found):
            if source in found:
                found[source].add(target)
            if target in found:
                found[target].add(source)
        return found

    def neighbours(self, iri: str) -> set[str]:
        rows = self._rows("SELECT target FROM edge WHERE source = ? UNION SELECT source FROM edge WHERE target = ?",
                          iri, iri)
        return {r[0] for r in rows}

    def subgraph(self, iris: Iterable[str]) -> nx.MultiDiGraph:
        """The projection restricted to ``iris``: those nodes (their summaries), and the edges among them, in the
        projection's order (so that what the web app draws is what it drew from the whole projection)."""
        members = self.nodes(iris)
        graph = nx.MultiDiGraph()
        for iri in sorted(members):
            graph.add_node(iri, **members[iri])
        for source, target, data in self.edges_at(members):
            if source in members and target in members:
                graph.add_edge(source, target, key=data["predicate"], **data)
        return graph

    def projection(self) -> nx.MultiDiGraph:
        """The whole projection, for the analytics of ``stats --graph`` and the whole-graph views."""
        graph = nx.MultiDiGraph()
        for (data,) in self.db.execute("SELECT data FROM node ORDER BY iri"):
            attributes = json.loads(data)
            graph.add_node(attributes["iri"], **attributes)
        for source, target, data in self.db.execute("SELECT source, target, data FROM edge ORDER BY rowid"):
            attributes = json.loads(data)
            graph.add_edge(source, target, key=attributes["predicate"], **attributes)
        return graph

    def entity_graph(self) -> nx.Graph:
        """The projection as ``analytics.undirected`` makes it (nodes, and their neighbours, in the same order),
        read from the nodes' IRIs and the edges' ends alone: what ``stats --graph`` computes on, without decoding
        any node's or edge's data. A MultiDiGraph lists its edges by source, in the order of the nodes (by IRI),
        then as added; the first edge between two nodes is the one that orders them in the simple graph."""
        simple = nx.Graph()
        simple.add_nodes_from(iri for (iri,) in self.db.execute("SELECT iri FROM node ORDER BY iri"))
        simple.add_edges_from(self.db.execute("SELECT source, target FROM edge WHERE source != target "
                                              "ORDER BY source, rowid"))
        return simple

    def names(self) -> dict[str, dict]:
        """The iri and zh/en labels of every node (``analytics.graph_summary``'s attributes)."""
        rows = self.db.execute("SELECT iri, json_extract(summary, '$.label_zh'), json_extract(summary, '$.label_en') "
                               "FROM node")
        return {iri: {"iri": iri, "label_zh": zh, "label_en": en} for iri, zh, en in rows}

    def communities(self) -> list[list[str]]:
        """The projection's communities as the build found them (``analytics.communities``), by number."""
        found: dict[int, list[str]] = {}
        for iri, number in self.db.execute("SELECT iri, community FROM community ORDER BY community, iri"):
            found.setdefault(number, []).append(iri)
        return list(found.values())

    # Names

    def spelled(self, text: str, kinds: tuple[str, ...], aliases: tuple[int, ...], enough: int | None = None
                ) -> list[tuple[str, str, str, int]]:
        """The spellings (iri, kind, key, alias) of ``kinds`` and ``aliases`` whose key begins with ``text``'s search
        key (from the key index, always complete), then those holding it further in, by a walk bounded to
        ``MAX_INFIX_ROWS`` rows: only while fewer than ``enough`` terms are found, when given."""
        wanted = search_key(text)
        if not wanted:
            return []
        kind_marks, alias_marks = ", ".join("?" * len(kinds)), ", ".join("?" * len(aliases))
        filters = f"kind IN ({kind_marks}) AND alias IN ({alias_marks})"
        rows = self._rows(f"SELECT iri, kind, key, alias FROM spelling WHERE key >= ? AND key < ? AND {filters}",
                          wanted, wanted + "\U0010ffff", *kinds, *aliases)
        if enough is None or len({(iri, kind) for iri, kind, _, _ in rows}) < enough:
            rows += self._rows(f"SELECT iri, kind, key, alias FROM (SELECT * FROM spelling WHERE {filters} "
                               f"AND instr(key, ?) > 1 LIMIT {MAX_INFIX_ROWS})", *kinds, *aliases, wanted)
        return rows

    def find(self, text: str, kinds: tuple[str, ...] = ("entity",), limit: int = 10,
             aliases: tuple[int, ...] = (ALIAS_NAME, ALIAS_OTHER, ALIAS_ID)) -> list[tuple[str, tuple]]:
        """Terms spelled like ``text`` with their rank (exact/prefix/infix, alias, key length), best first, then
        by kind (``KIND_ORDER``) and IRI: exact and prefix matches from the key index, infix ones by a bounded walk when those are too
        few."""
        wanted = search_key(text)
        best: dict[tuple, tuple] = {}
        for iri, kind, key, alias in self.spelled(text, kinds, aliases, limit):
            rank = (0 if key == wanted else 1 if key.startswith(wanted) else 2, min(alias, ALIAS_OTHER), len(key))
            if rank < best.get((iri, kind), (9,)):
                best[iri, kind] = rank
        ranked = sorted(best.items(), key=lambda item: (item[1], KIND_ORDER.get(item[0][1], 9), item[0][0]))
        return [(iri, rank) for (iri, _), rank in ranked[:limit]]

    def terms(self, iris: Iterable[str]) -> dict[str, dict]:
        """Completion terms (``complete.Term`` fields) by IRI."""
        rows = self._rows_for("SELECT iri, data FROM term WHERE iri IN ({keys})", iris)
        return {iri: json.loads(data) for iri, data in rows}

    def label(self, iri: str) -> tuple[str, str] | None:
        row = self._rows("SELECT zh, en FROM label WHERE iri = ?", iri)
        return (row[0][0], row[0][1]) if row else None

    # Documents and spans

    def documents(self) -> list[dict]:
        """The source documents without their text (iri, slug, titles), by IRI."""
        rows = self._rows("SELECT json_remove(data, '$.text') FROM document ORDER BY iri")
        return [json.loads(d) for (d,) in rows]

    def document(self, iri: str | None = None, slug: str | None = None) -> dict | None:
        """The source document with that IRI or slug, text included."""
        row = self._rows("SELECT data FROM document WHERE iri = ? OR slug = ? ORDER BY iri LIMIT 1", iri, slug)
        return json.loads(row[0][0]) if row else None

    def texts(self, key: str) -> Iterator[tuple[str, str, str, bool]]:
        """(iri, slug, text, whether its pinyin holds ``key``) of every source document, by IRI, read one at a
        time."""
        yield from self.db.execute("SELECT d.iri, d.slug, json_extract(d.data, '$.text'), coalesce(instr(r.key, ?), 0) "
                                   "> 0 FROM document AS d LEFT JOIN reading AS r USING (iri) ORDER BY d.iri", (key,))

    def reading(self, iri: str) -> dict:
        """A document's pinyin (``textsearch.Pinyin`` fields)."""
        row = self._rows("SELECT key, syllables FROM reading WHERE iri = ?", iri)
        return {"key": row[0][0], **json.loads(row[0][1])} if row else {}

    def spans_of(self, document: str) -> list[dict]:
        """The spans anchored in a document, in text order (longer first where they start together)."""
        rows = self._rows('SELECT data FROM span WHERE document = ? ORDER BY begin, "end" DESC, iri', document)
        return [json.loads(d) for (d,) in rows]

    def spans_over(self, document: str, begin: int, end: int) -> list[dict]:
        """The spans of a document that overlap ``[begin, end)``."""
        rows = self._rows('SELECT data FROM span WHERE document = ? AND begin < ? AND "end" > ? ORDER BY begin, iri',
                          document, end, begin)
        return [json.loads(d) for (d,) in rows]

    def targets(self, spans: Iterable[str]) -> dict[str, list[dict]]:
        """What each span is evidence for (``article.span_targets``' entries)."""
        rows = self._rows_for("SELECT iri, targets FROM span WHERE iri IN ({keys})", spans)
        return {iri: json.loads(targets) for iri, targets in rows}

    # Charts (``web/charts.py``), drawn at build time

    def charts(self, limit: int, document: str | None = None) -> tuple[list[dict], int]:
        """The first ``limit`` charts (of those quoting ``document``, when given), in the build's order, and how
        many there are."""
        if document is None:
            rows = self._rows("SELECT data FROM chart ORDER BY position LIMIT ?", limit)
            total = self._rows("SELECT count(*) FROM chart")[0][0]
        else:
            rows = self._rows("SELECT data FROM chart_link JOIN chart USING (position) WHERE iri = ? AND "
                              "role = 'document' ORDER BY position LIMIT ?", document, limit)
            total = self._rows("SELECT count(*) FROM chart_link WHERE iri = ? AND role = 'document'", document)[0][0]
        return [json.loads(d) for (d,) in rows], total

    def charts_about(self, iri: str) -> list[dict]:
        rows = self._rows("SELECT data FROM chart_link JOIN chart USING (position) WHERE iri = ? AND role = 'about' "
                          "ORDER BY position", iri)
        return [json.loads(d) for (d,) in rows]

    # Reconciliation (``reconcile.py``)

    def reconcile_entities(self, iris: Iterable[str]) -> dict[str, dict]:
        rows = self._rows_for("SELECT iri, data FROM reconcile_entity WHERE iri IN ({keys})", iris)
        return {iri: json.loads(data) for iri, data in rows}

    def coded(self, code: str) -> list[str]:
        """The entities with ``code`` as an official code."""
        return [iri for (iri,) in self._rows("SELECT iri FROM reconcile_code WHERE code = ? ORDER BY iri", code)]

    def reconcile_types(self) -> list[tuple[str, str]]:
        return self._rows("SELECT id, name FROM reconcile_type ORDER BY id")
