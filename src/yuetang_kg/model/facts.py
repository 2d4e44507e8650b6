"""The curated facts of ``graph_data/``: read from YAML, checked for shape, with the file and line of each.

Everything here is plain data; turning it into RDF is the job of ``mapping``.
"""

import codecs
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from ..errors import DataError
from ..literals import find_forbidden
from .sources import Document, load_document

LINE = "__line__"
LINES = "__lines__"  # the line of each key of a mapping, for errors about one field


class _Refused(ValueError):
    """Something the loader refuses, at a line of the file being read (read_yaml adds the file)."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping and key, reads decimals exactly, and refuses
    duplicate keys (YAML keeps the last one silently), aliases (a shared mapping would be read as two facts that
    change together) and strings holding characters that curated text may not (see ``literals``)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(f"YAML alias *{event.anchor} is not allowed: write the value out",
                           event.start_mark.line + 1)
        return super().compose_node(parent, index)


def _mapping_with_line(loader, node):
    lines = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in lines:
            raise _Refused(f"duplicate key {key!r} (first at line {lines[key]})", key_node.start_mark.line + 1)
        lines[key] = key_node.start_mark.line + 1
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    mapping[LINES] = lines
    return mapping


def _exact_decimal(loader, node):
    try:
        return Decimal(loader.construct_scalar(node).replace("_", ""))
    except InvalidOperation:  # YAML's .nan and .inf: no article states them
        raise _Refused(f"{node.value} is not a finite number", node.start_mark.line + 1) from None


def _checked_string(loader, node):
    value = loader.construct_scalar(node)
    found = find_forbidden(value)
    if found:
        offset, character = found
        raise _Refused(f"{character} at offset {offset} of the string {value[:40]!r} may not be in curated text "
                       "(it cannot be published in every format)", node.start_mark.line + 1)
    return value


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)
_LineLoader.add_constructor("tag:yaml.org,2002:float", _exact_decimal)
_LineLoader.add_constructor("tag:yaml.org,2002:str", _checked_string)


@dataclass(frozen=True)
class Origin:
    """Where a fact is curated: a repository-relative file and a line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Evidence:
    """Why a fact holds: a quote of a document (``occurrence`` picks one of several) or an external reference.
    ``document`` is the document that the fact's file quotes (see ``load_facts``)."""

    quote: str | None = None
    occurrence: int | None = None
    reference: str | None = None
    document: str | None = None


@dataclass
class Entity:
    id: str
    type: str
    zh: str
    en: str
    evidence: Evidence
    origin: Origin
    pinyin: str | None = None
    aka: list[str] = field(default_factory=list)
    descriptive: bool = False
    description_zh: str | None = None
    parent: str | None = None
    part_of: str | None = None
    nbs: dict | None = None
    mca: dict | None = None
    wikidata: str | None = None
    gbt4754: str | None = None
    broader: str | None = None
    date: str | None = None
    date_text: str | None = None
    status: str | None = None
    note: str | None = None


@dataclass
class Relation:
    s: str
    p: str
    evidence: Evidence
    origin: Origin
    o: str | None = None
    value: object = None
    datatype: str | None = None
    lang: str | None = None
    status: str | None = None
    scope: str | None = None
    open_list: bool | None = None
    attribution_unclear: bool | None = None
    note: str | None = None


@dataclass
class Observation:
    id: str
    about: str
    variable: str
    value: Decimal
    unit: str
    period: str
    stated: str
    evidence: Evidence
    origin: Origin
    multiplier: Decimal = Decimal(1)
    qualifier: str | None = None
    period_text: str | None = None
    previous: str | None = None
    attribution_unclear: bool | None = None
    note: str | None = None


@dataclass
class Derived:
    id: str
    kind: str
    inputs: list[str]
    origin: Origin
    compares_with: str | None = None
    variable: str | None = None
    note: str | None = None


@dataclass
class Variable:
    id: str
    zh: str
    en: str
    definition: str
    origin: Origin
    unit: str | None = None


@dataclass
class Utterance:
    id: str
    speaker: str
    text: str
    evidence: Evidence
    origin: Origin
    verb: str | None = None
    about: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class Unit:
    id: str
    zh: str
    en: str
    symbol: str
    origin: Origin
    qudt: str | None = None
    base: str | None = None
    factor: Decimal | None = None


@dataclass
class Domain:
    id: str
    zh: str
    en: str
    origin: Origin


@dataclass
class Reference:
    id: str
    title_en: str
    title_zh: str
    origin: Origin


@dataclass
class Facts:
    """All curated data of one ``graph_data`` folder."""

    root: Path
    documents: dict[str, Document] = field(default_factory=dict)
    references: dict[str, Reference] = field(default_factory=dict)
    entities: dict[str, Entity] = field(default_factory=dict)
    # later declarations of an entity, each in another document: they add that document's evidence
    citations: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    observations: dict[str, Observation] = field(default_factory=dict)
    derived: dict[str, Derived] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    utterances: dict[str, Utterance] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    domains: dict[str, Domain] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def default_document(self) -> Document:
        return next(iter(self.documents.values()))

    def declarations(self) -> list[Entity]:
        """Every declaration of every entity: the first of each id, then those of other documents."""
        return [*self.entities.values(), *self.citations]

    def ids(self) -> dict[str, Origin]:
        """Every id that a fact may point to, with where it is declared."""
        tables = (self.entities, self.observations, self.derived, self.utterances, self.variables)
        return {key: item.origin for table in tables for key, item in table.items()}


# Field names of each section: (class, required, optional). YAML keys that differ from field names are renamed.
_RENAMED = {"in": "parent", "partOf": "part_of"}
_EVIDENCE_KEYS = {"quote", "occurrence", "reference"}
_SECTIONS = {
    "entities": (Entity, {"id", "type", "zh", "en"}),
    "relations": (Relation, {"s", "p"}),
    "observations": (
        Observation,
        {"id", "about", "variable", "value", "unit", "period", "stated"},
    ),
    "derived": (Derived, {"id", "kind", "inputs"}),
    "variables": (Variable, {"id", "zh", "en", "definition"}),
    "utterances": (Utterance, {"id", "speaker", "text"}),
}
_SOURCE_SECTIONS = {"documents": None, "references": None}
_VOCAB_SECTIONS = {"units": (Unit, {"id", "zh", "en", "symbol"}), "domains": (Domain, {"id", "zh", "en"})}


def read_yaml(path: Path, root: Path) -> tuple[dict, str]:
    """Parse one YAML file of curated data, refusing what would be read wrong; every error names the file and,
    where there is one, the line."""
    rel = _relative(path, root)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read: {error.strerror}", rel) from None
    if raw.startswith(codecs.BOM_UTF8):
        raise DataError("the file starts with a byte order mark (U+FEFF): save it as UTF-8 without BOM", f"{rel}:1")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise DataError(f"byte 0x{raw[error.start]:02X} at column {column} is not UTF-8 (saved as Latin-1 or GBK?): "
                        "save the file as UTF-8", f"{rel}:{line}") from None
    found = find_forbidden(text)
    if found:
        offset, character = found
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise DataError(f"{character} at column {column} may not be in curated text (it cannot be published in "
                        "every format)", f"{rel}:{line}")
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except _Refused as error:
        raise DataError(str(error), f"{rel}:{error.line}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{rel}:{mark.line + 1}" if mark else rel
        hint = "; indent with spaces, not tabs" if "\\t" in str(error.problem) else ""
        raise DataError(f"invalid YAML: {error.problem}{hint}", where) from None
    if data is None:
        # a file cut to nothing must not pass: the facts it held would be missed, or blamed on other files
        raise DataError("the file holds no data (empty, or only comments)", f"{rel}:1")
    if not isinstance(data, dict):
        raise DataError("expected a mapping of sections at the top level", f"{rel}:1")
    data.pop(LINE, None)
    return data, rel


def sections(data: dict, rel: str, valid: dict) -> list[tuple[str, list, str]]:
    """The sections of a file read by ``read_yaml`` as (name, items, file:line of the name), each a known
    section holding a list (or nothing)."""
    lines = data.pop(LINES, {})
    found = []
    for name, items in data.items():
        where = f"{rel}:{lines.get(name, 1)}"
        if name not in valid:
            raise DataError(f"unknown section {name!r}; valid: {', '.join(valid)}", where)
        if items is not None and not isinstance(items, list):
            raise DataError(f"{name} must be a list of items (each starting with '- '), got {_kind(items)}", where)
        found.append((name, items or [], where))
    return found


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path("graph_data") / path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


# Ids become IRI path segments: lowercase ASCII words joined by single hyphens (graph_data/README.md).
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_KINDS = {str: "a string", bool: "a boolean (true or false)", dict: "a mapping", list: "a list", Decimal: "a number",
          int: "a whole number", type(None): "null", date: "a date"}


def _kind(value) -> str:
    """What a YAML value is, in the words of an error message."""
    return next((name for cls, name in _KINDS.items() if isinstance(value, cls)), type(value).__name__)


def _fits(value, annotation) -> bool:
    """Whether a YAML value fits a dataclass field's type annotation. Relation values (``object``) are scalars."""
    if annotation is object:
        return isinstance(value, (str, int, Decimal, date))
    if isinstance(annotation, types.UnionType):
        return any(_fits(value, option) for option in typing.get_args(annotation))
    if typing.get_origin(annotation) is list:
        return isinstance(value, list) and all(_fits(v, typing.get_args(annotation)[0]) for v in value)
    if annotation in (int, Decimal):  # YAML's true and false are ints to Python
        return isinstance(value, (int, Decimal) if annotation is Decimal else int) and not isinstance(value, bool)
    return isinstance(value, annotation)


def _expected(annotation) -> str:
    if annotation is object:
        return "a string, number, boolean or date"
    if isinstance(annotation, types.UnionType):
        return " or ".join(_expected(option) for option in typing.get_args(annotation))
    if typing.get_origin(annotation) is list:
        return f"a list of {_expected(typing.get_args(annotation)[0]).removeprefix('a ')}s"
    return _KINDS[annotation]


def _check_types(cls, fields: dict, lines: dict, rel: str, default: str) -> None:
    """Refuse a field whose value is not of its dataclass type, naming the field's line."""
    for key, value in fields.items():
        annotation = cls.__dataclass_fields__[_RENAMED.get(key, key)].type
        if not _fits(value, annotation):
            where = f"{rel}:{lines[key]}" if key in lines else default
            raise DataError(f"{key} must be {_expected(annotation)}, got {_kind(value)} {value!r}", where)


def _build(cls, required: set, item: object, rel: str, section: str, where: str, document: str | None = None):
    """One item of a section as an instance of ``cls``; ``where`` is the section's file:line, ``document`` the
    id of the document that the file quotes."""
    if not isinstance(item, dict):
        raise DataError(f"each item of {section} must be a mapping (key: value), got {_kind(item)} {item!r}", where)
    origin = Origin(rel, item.pop(LINE, 0))
    lines = item.pop(LINES, {})
    where = str(origin)
    missing = sorted(required - item.keys())
    if missing:
        raise DataError(f"{section} item is missing {', '.join(missing)}", where)
    evidence_fields = {key: item.pop(key) for key in list(item) if key in _EVIDENCE_KEYS}
    kwargs = {_RENAMED.get(key, key): value for key, value in item.items()}
    allowed = set(cls.__dataclass_fields__) - {"origin", "evidence"}
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise DataError(
            f"unknown field(s) {', '.join(unknown)} in {section}; valid: {', '.join(sorted(allowed))}", where
        )
    for key in ("period", "date"):  # YAML reads 2024 as a number and 2024-07-22 as a date
        if item.get(key) is not None and isinstance(item[key], (int, date)) and not isinstance(item[key], bool):
            item[key] = kwargs[key] = str(item[key])
    _check_types(cls, item, lines, rel, where)
    if "id" in kwargs and not _ID.fullmatch(kwargs["id"]):
        raise DataError(f"id {kwargs['id']!r} must be lowercase ASCII words joined by '-' (e.g. qixing-cun)",
                        f"{rel}:{lines.get('id', origin.line)}")
    if "evidence" in cls.__dataclass_fields__:
        _check_types(Evidence, evidence_fields, lines, rel, where)
        evidence = Evidence(**evidence_fields, document=document)
        if not evidence.quote and not evidence.reference:
            raise DataError(f"{section} item needs a quote (or a reference)", where)
        kwargs["evidence"] = evidence
    elif evidence_fields:
        raise DataError(f"{section} items take no {', '.join(sorted(evidence_fields))}", where)
    for key in ("value", "multiplier", "factor"):
        if key in kwargs and isinstance(kwargs[key], int) and cls is not Relation:
            kwargs[key] = Decimal(kwargs[key])
    if cls is Relation and isinstance(kwargs.get("value"), (bool, date)):
        value = kwargs["value"]  # the lexical form of the YAML scalar, checked against the datatype by mapping
        kwargs["value"] = ("true" if value else "false") if isinstance(value, bool) else value.isoformat()
    return cls(origin=origin, **kwargs)


def _add(table: dict, item, section: str, seen: dict[str, Origin]) -> None:
    if item.id in seen:
        raise DataError(f"duplicate id {item.id!r} in {section} (first declared at {seen[item.id]})", str(item.origin))
    seen[item.id] = item.origin
    table[item.id] = item


def load_facts(root: Path) -> Facts:
    """Read ``sources.yaml``, ``vocab/*.yaml`` and ``facts/*.yaml`` of a ``graph_data`` folder."""
    root = Path(root)
    if not root.is_dir():
        raise DataError("no such folder; give the graph_data folder (sources.yaml, vocab/, facts/)", str(root))
    facts = Facts(root=root)
    sources, rel = read_yaml(root / "sources.yaml", root)
    for section, items, where in sections(sources, rel, _SOURCE_SECTIONS):
        for entry in items:
            if section == "documents":
                if not isinstance(entry, dict):
                    raise DataError(f"each document must be a mapping (key: value), got {_kind(entry)}", where)
                entry.pop(LINES, None)
                document = load_document(root, entry, f"{rel}:{entry.pop(LINE, 0)}")
                facts.documents[document.id] = document
            else:
                reference = _build(Reference, {"id", "title_en", "title_zh"}, entry, rel, section, where)
                facts.references[reference.id] = reference
    if not facts.documents:
        raise DataError("no documents declared", rel)

    seen: dict[str, Origin] = {}
    for path in sorted((root / "vocab").glob("*.yaml")):
        data, rel = read_yaml(path, root)
        for section, items, where in sections(data, rel, _VOCAB_SECTIONS):
            cls, required = _VOCAB_SECTIONS[section]
            for raw in items:
                _add(getattr(facts, section), _build(cls, required, raw, rel, section, where), section, seen)

    paths = sorted((root / "facts").glob("*.yaml"))
    if not paths:
        raise DataError("no facts files found", str(root / "facts"))
    for path in paths:
        data, rel = read_yaml(path, root)
        facts.files.append(rel)
        document = _document_of(data, rel, facts.documents)
        for section, items, where in sections(data, rel, _SECTIONS):
            cls, required = _SECTIONS[section]
            for raw in items:
                item = _build(cls, required, raw, rel, section, where, document)
                if section == "relations":
                    facts.relations.append(item)
                elif section == "entities" and item.id in facts.entities:
                    _cite(facts, item)
                else:
                    _add(getattr(facts, section), item, section, seen)
    return facts


def _document_of(data: dict, rel: str, documents: dict[str, Document]) -> str:
    """The id of the document a facts file quotes: its ``document:`` key, needed only when there are several."""
    if "document" not in data:
        if len(documents) > 1:
            raise DataError(f"sources.yaml declares {len(documents)} documents ({', '.join(documents)}): say which "
                            "one this file quotes with a line document: <id> at its top", f"{rel}:1")
        return next(iter(documents))
    ident = data.pop("document")
    if not isinstance(ident, str) or ident not in documents:
        raise DataError(f"document {ident!r} is not declared in sources.yaml; valid: {', '.join(documents)}",
                        f"{rel}:{data.get(LINES, {}).get('document', 1)}")
    return ident


# What makes an entity one thing in every document that names it: where two declarations both give one of these,
# they must agree. Evidence, other spellings, places and notes are each declaration's own.
_SHARED_FIELDS = ("type", "zh", "en", "pinyin", "description_zh", "nbs", "mca", "wikidata", "gbt4754", "broader",
                  "date", "date_text")


def _cite(facts: Facts, entity: Entity) -> None:
    """Accept another declaration of an entity id when it is made in another document, as one entity cited by
    several documents; the same id twice in one document's files is a duplicate."""
    first = facts.entities[entity.id]
    for earlier in (first, *(c for c in facts.citations if c.id == entity.id)):
        if earlier.evidence.document == entity.evidence.document:
            raise DataError(f"duplicate id {entity.id!r} in entities (first declared at {earlier.origin}, for the "
                            "same document)", str(entity.origin))
    for name in _SHARED_FIELDS:
        mine, theirs = getattr(entity, name), getattr(first, name)
        if mine is not None and theirs is not None and mine != theirs:
            raise DataError(f"entity {entity.id!r} has {name} {mine!r} here but {theirs!r} at {first.origin}: an id "
                            "names one entity in every document, so its names and codes must agree", str(entity.origin))
    facts.citations.append(entity)
