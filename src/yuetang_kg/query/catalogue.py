"""The query catalogue: one ``.rq`` file per question, with a ``#+ key: value`` comment header (grlc style).

Header keys: ``title`` (``中文 | English``), ``description``, ``tags`` (comma-separated), ``view`` (table, graph,
chart or timeline: how the web pages draw its answer first), and one ``param`` line per parameter: ``#+ param: NAME KIND DEFAULT  description`` where KIND is
``iri``, ``string``, ``zh`` (a @zh literal) or ``integer``. A parameter is the query variable ``?NAME``; its
value is validated for its kind and bound as an RDF term (``sparql_text.bind_values``), never spliced raw.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import XSD, Literal, URIRef
from rdflib.term import Node

from ..errors import DataError

PARAM_KINDS = ("iri", "string", "zh", "integer")
# IRIREF's characters (SPARQL 1.1 grammar [139]), without C1 controls or line separators either.
_IRI_CHARACTERS = re.compile("[^<>\"{}|^`\\\\\x00-\x20\x7f-\x9f\u2028\u2029]+")
VIEWS = ("table", "graph", "chart", "timeline")
_KEYS = {"title", "description", "tags", "view", "param"}


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    default: str | None
    description: str

    def term(self, value: str) -> Node:
        """The RDF term of a parameter value given as text."""
        where = f"parameter {self.name}"
        if self.kind == "iri":
            if not value.startswith(("http://", "https://", "urn:")) or not _IRI_CHARACTERS.fullmatch(value):
                raise DataError(f"expected an absolute IRI (no spaces, controls or <>\"{{}}|\\^`), got {value!r}", where)
            return URIRef(value)
        if self.kind == "integer":
            try:
                return Literal(int(value))
            except ValueError:
                raise DataError(f"expected an integer, got {value!r}", where) from None
        if self.kind == "zh":
            return Literal(value, lang="zh")
        return Literal(value, datatype=None if self.kind == "string" else XSD.string)


@dataclass(frozen=True)
class Query:
    name: str
    text: str
    path: Path
    title_zh: str = ""
    title_en: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    view: str = "table"
    params: tuple[Param, ...] = field(default=())

    def bindings(self, given: dict[str, str]) -> dict[str, Node]:
        """Parameter values as RDF terms: the given ones, else the defaults; unknown names are refused."""
        names = {p.name for p in self.params}
        unknown = sorted(set(given) - names)
        if unknown:
            valid = ", ".join(sorted(names)) or "none"
            raise DataError(f"query {self.name} has no parameter {', '.join(unknown)} (valid: {valid})", "-p")
        bound = {}
        for param in self.params:
            value = given.get(param.name, param.default)
            if value is None:
                raise DataError(f"query {self.name} needs -p {param.name} VALUE ({param.description})", "-p")
            bound[param.name] = param.term(value)
        return bound


def parse_query_file(path: Path) -> Query:
    """Read one ``.rq`` file and its header; a bad header line names the file and line."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    fields: dict = {"params": []}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#+"):
            continue
        where = f"{path}:{number}"
        key, sep, value = line[2:].strip().partition(":")
        key, value = key.strip(), value.strip()
        if not sep or key not in _KEYS:
            raise DataError(f"header lines read '#+ key: value' with key one of {', '.join(sorted(_KEYS))}", where)
        if key == "title":
            zh, _, en = value.partition("|")
            fields["title_zh"], fields["title_en"] = zh.strip(), en.strip()
        elif key == "tags":
            fields["tags"] = tuple(t.strip() for t in value.split(",") if t.strip())
        elif key == "view":
            if value not in VIEWS:
                raise DataError(f"view must be one of {', '.join(VIEWS)}", where)
            fields["view"] = value
        elif key == "param":
            parts = value.split(None, 3)
            if len(parts) < 3 or parts[1] not in PARAM_KINDS:
                raise DataError(f"write '#+ param: NAME KIND DEFAULT description', KIND in {PARAM_KINDS}", where)
            default = None if parts[2] == "-" else parts[2]
            fields["params"].append(Param(parts[0], parts[1], default, parts[3] if len(parts) > 3 else ""))
        else:
            fields[key] = value
    fields["params"] = tuple(fields["params"])
    return Query(name=path.stem, text=text, path=path, **fields)


def load_catalogue(folder: Path) -> dict[str, Query]:
    """Every query of a folder, by name (the file name without ``.rq``), sorted."""
    folder = Path(folder)
    queries = {q.name: q for q in (parse_query_file(p) for p in sorted(folder.glob("*.rq")))}
    if not queries:
        raise DataError("no .rq files found", str(folder))
    return queries
