"""The curated facts of ``graph_data/``: read from YAML, checked for shape, with the file and line of each.

Everything here is plain data; turning it into RDF is the job of ``mapping``.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from .errors import DataError
from .sources import Document, load_document

LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping and reads decimals exactly."""


def _mapping_with_line(loader, node):
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


def _exact_decimal(loader, node):
    return Decimal(loader.construct_scalar(node).replace("_", ""))


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)
_LineLoader.add_constructor("tag:yaml.org,2002:float", _exact_decimal)


@dataclass(frozen=True)
class Origin:
    """Where a fact is curated: a repository-relative file and a line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Evidence:
    """Why a fact holds: a quote of a document (``occurrence`` picks one of several) or an external reference."""

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

    def ids(self) -> dict[str, Origin]:
        """Every id that a fact may point to, with where it is declared."""
        tables = (self.entities, self.observations, self.derived, self.utterances, self.variables)
        return {key: item.origin for table in tables for key, item in table.items()}


# Field names of each section: (class, required, optional). YAML keys that differ from field names are renamed.
_RENAMED = {"in": "parent", "partOf": "part_of"}
_EVIDENCE_KEYS = {"quote", "occurrence", "reference", "document"}
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
_VOCAB_SECTIONS = {"units": (Unit, {"id", "zh", "en", "symbol"}), "domains": (Domain, {"id", "zh", "en"})}


def read_yaml(path: Path, root: Path) -> tuple[dict, str]:
    """Parse one YAML file; a syntax error names the file and line."""
    rel = _relative(path, root)
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_LineLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{rel}:{mark.line + 1}" if mark else rel
        raise DataError(f"invalid YAML: {error.problem}", where) from None
    except OSError as error:
        raise DataError(f"cannot read: {error.strerror}", rel) from None
    if data is None:
        return {}, rel
    if not isinstance(data, dict):
        raise DataError("expected a mapping of sections at the top level", rel)
    data.pop(LINE, None)
    return data, rel


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path("graph_data") / path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _build(cls, required: set, item: object, rel: str, section: str):
    if not isinstance(item, dict):
        raise DataError(f"each item of {section} must be a mapping, got {item!r}", rel)
    origin = Origin(rel, item.pop(LINE, 0))
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
    if "evidence" in cls.__dataclass_fields__:
        evidence = Evidence(**evidence_fields)
        if not evidence.quote and not evidence.reference:
            raise DataError(f"{section} item needs a quote (or a reference)", where)
        if evidence.quote is not None and not isinstance(evidence.quote, str):
            raise DataError(f"quote must be a string, got {evidence.quote!r}", where)
        kwargs["evidence"] = evidence
    elif evidence_fields:
        raise DataError(f"{section} items take no {', '.join(sorted(evidence_fields))}", where)
    for key in ("value", "multiplier", "factor"):
        if key in kwargs and isinstance(kwargs[key], int) and cls is not Relation:
            kwargs[key] = Decimal(kwargs[key])
    for key in ("period", "date"):
        if kwargs.get(key) is not None:
            kwargs[key] = str(kwargs[key])
    try:
        return cls(origin=origin, **kwargs)
    except TypeError as error:
        raise DataError(str(error), where) from None


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
    for entry in sources.get("documents") or []:
        where = f"{rel}:{entry.pop(LINE, 0)}"
        document = load_document(root, entry, where)
        facts.documents[document.id] = document
    if not facts.documents:
        raise DataError("no documents declared", rel)
    for entry in sources.get("references") or []:
        reference = _build(Reference, {"id", "title_en", "title_zh"}, entry, rel, "references")
        facts.references[reference.id] = reference

    seen: dict[str, Origin] = {}
    for path in sorted((root / "vocab").glob("*.yaml")):
        data, rel = read_yaml(path, root)
        for section, items in data.items():
            if section not in _VOCAB_SECTIONS:
                raise DataError(f"unknown section {section!r}; valid: {', '.join(_VOCAB_SECTIONS)}", rel)
            cls, required = _VOCAB_SECTIONS[section]
            for raw in items or []:
                item = _build(cls, required, raw, rel, section)
                _add(getattr(facts, section), item, section, seen)

    paths = sorted((root / "facts").glob("*.yaml"))
    if not paths:
        raise DataError("no facts files found", str(root / "facts"))
    for path in paths:
        data, rel = read_yaml(path, root)
        facts.files.append(rel)
        for section, items in data.items():
            if section not in _SECTIONS:
                raise DataError(f"unknown section {section!r}; valid: {', '.join(_SECTIONS)}", rel)
            cls, required = _SECTIONS[section]
            for raw in items or []:
                item = _build(cls, required, raw, rel, section)
                if section == "relations":
                    facts.relations.append(item)
                else:
                    _add(getattr(facts, section), item, section, seen)
    return facts
