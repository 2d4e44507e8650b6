"""JSON-LD: the published ``@context`` (made from the prefixes and the ontology) and compact, canonical dumps.

The context is JSON-LD 1.0 (no ``@version``, no ``@protected``) so that 1.0 processors such as Jena's
``--syntax=jsonld10`` read the dumps too. Every ykg class and property is a term named by its local name:
object properties coerce to IRIs, ``rdf:langString`` properties become language maps (``{"zh": …, "en": …}``),
xsd-typed ones carry their datatype; the common label and text-anchor properties of other vocabularies get
short terms as well. A prefix whose name is also a term (``unit``: QUDT units vs ``ykg:unit``) is left out,
because a 1.0 processor would read ``unit:X`` as a compact IRI on the term.

>>> from rdflib import Graph
>>> context = context_of(Graph())
>>> context["label"]
{'@id': 'rdfs:label', '@container': '@language'}
>>> context["ykg"]
'https://w3id.org/yuetang-kg/ontology#'
"""

import json
from collections.abc import Iterable
from json.encoder import encode_basestring as _string  # json.dumps of a str, ensure_ascii=False

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, XSD, Graph, URIRef

from ..namespaces import PREFIXES, YKG

# Short terms for the other vocabularies' properties that almost every node of the graph uses.
COMMON_TERMS = {
    "label": {"@id": "rdfs:label", "@container": "@language"},
    "comment": {"@id": "rdfs:comment", "@container": "@language"},
    "prefLabel": {"@id": "skos:prefLabel", "@container": "@language"},
    "altLabel": {"@id": "skos:altLabel", "@container": "@language"},
    "definition": {"@id": "skos:definition", "@container": "@language"},
    "title": {"@id": "dct:title", "@container": "@language"},
    "description": {"@id": "dct:description", "@container": "@language"},
    "broader": {"@id": "skos:broader", "@type": "@id"},
    "inScheme": {"@id": "skos:inScheme", "@type": "@id"},
    "exactMatch": {"@id": "skos:exactMatch", "@type": "@id"},
    "anchorOf": {"@id": "nif:anchorOf"},
    "beginIndex": {"@id": "nif:beginIndex", "@type": "xsd:nonNegativeInteger"},
    "endIndex": {"@id": "nif:endIndex", "@type": "xsd:nonNegativeInteger"},
    "referenceContext": {"@id": "nif:referenceContext", "@type": "@id"},
}

_RDF_TYPE, _XSD_STRING, _LANG_STRING = str(RDF.type), str(XSD.string), str(RDF.langString)
_OPEN, _QUOTE = ord("<"), ord('"')
_NO_TERMS: dict[str, str] = {}
_LANGUAGE_MAP = "@language"
_PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)


def _local(term: URIRef) -> str | None:
    return term[len(str(YKG)) :] if isinstance(term, URIRef) and term.startswith(str(YKG)) else None


def _property_term(ontology: Graph, prop: URIRef, name: str) -> dict:
    definition = {"@id": f"ykg:{name}"}
    if (prop, RDF.type, OWL.ObjectProperty) in ontology:
        definition["@type"] = "@id"
        return definition
    ranges = set(ontology.objects(prop, RDFS.range))
    if ranges == {RDF.langString}:
        definition["@container"] = "@language"
    elif len(ranges) == 1:
        (datatype,) = ranges
        if isinstance(datatype, URIRef) and datatype.startswith(str(XSD)) and datatype != XSD.string:
            definition["@type"] = f"xsd:{datatype[len(str(XSD)) :]}"
    return definition


def context_of(ontology: Graph) -> dict:
    """The ``@context`` object for ``ontology``'s terms, deterministic for a given ontology."""
    terms: dict[str, object] = {}
    for cls in set(ontology.subjects(RDF.type, OWL.Class)) | set(ontology.subjects(RDF.type, RDFS.Class)):
        if name := _local(cls):
            terms[name] = f"ykg:{name}"
    for kind in _PROPERTY_TYPES:
        for prop in ontology.subjects(RDF.type, kind):
            if name := _local(prop):
                terms[name] = _property_term(ontology, prop, name)
    for name, definition in COMMON_TERMS.items():
        terms.setdefault(name, definition)
    prefixes = {prefix: str(namespace) for prefix, namespace in PREFIXES.items() if prefix not in terms}
    return dict(sorted({**prefixes, **terms}.items()))


def context_document(ontology: Graph) -> bytes:
    """The published context file: ``{"@context": …}`` as UTF-8 JSON."""
    return _dump({"@context": context_of(ontology)})


def _canonical(value, key: str | None = None):
    """Arrays sorted (RDF values are sets) except ``@list`` arrays, whose order is the data."""
    if isinstance(value, dict):
        return {k: _canonical(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(item) for item in value]
        return items if key == "@list" else sorted(items, key=_sort_key)
    return value


def _sort_key(value) -> str:
    if isinstance(value, str):  # most items: the C encoder's own string writer, the same text
        return _string(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _dump(document: dict) -> bytes:
    """``json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)`` and a line feed, written here:
    the json module writes indented JSON in pure Python, which takes minutes at a million triples."""
    out: list[str] = []
    _write(document, "\n", out.append)
    out.append("\n")
    return "".join(out).encode("utf-8")


def _write(value, newline: str, write) -> None:
    if isinstance(value, str):
        write(_string(value))
    elif isinstance(value, dict | list) and value:
        # A string member is written in the same call as its key or comma: most values are strings, and a call
        # per value was most of the writing's time.
        inner = newline + "  "
        separator = inner
        if isinstance(value, dict):
            write("{")
            for key in sorted(value):
                item = value[key]
                if type(item) is str:
                    write(separator + _string(key) + ": " + _string(item))
                else:
                    write(separator + _string(key) + ": ")
                    _write(item, inner, write)
                separator = "," + inner
            write(newline + "}")
        else:
            write("[")
            for item in value:
                if type(item) is str:
                    write(separator + _string(item))
                else:
                    write(separator)
                    _write(item, inner, write)
                separator = "," + inner
            write(newline + "]")
    else:
        write(json.dumps(value))


def compact(graph: Graph, context: dict) -> bytes:
    """``graph`` as compact JSON-LD with ``context`` inlined, nodes sorted by ``@id``, byte-identical per graph.

    The context is inlined rather than referenced by URL so that the dump reads offline in every processor.
    """
    return document(nodes_of(graph, context), context)


def document(nodes: list[dict], context: dict) -> bytes:
    """The dump of compact ``nodes`` under ``context``, whose arrays are sorted (``_canonical``; ``nodes_of`` and
    ``Compactor`` give them so): nodes sorted, keys sorted, UTF-8."""
    canonical = list(nodes)
    ids = [node.get("@id") for node in canonical]
    if all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids) and all(min(n) == "@id" for n in canonical):
        # Nodes with distinct ids, each written "@id" first, differ first in their id: sorting by the written id
        # gives the order of the whole written nodes (``_sort_key``) without writing each node twice.
        canonical.sort(key=lambda node: _string(node["@id"]))
    else:
        canonical.sort(key=_sort_key)
    return _dump({"@context": context, "@graph": canonical})


def nodes_of(graph: Graph, context: dict) -> list[dict]:
    """``graph`` compacted by rdflib's JSON-LD writer, which knows RDF lists (the ontology's OWL unions): the
    node objects of its ``@graph``, their arrays sorted."""
    written = json.loads(graph.serialize(format="json-ld", context=context, encoding="utf-8"))
    if "@graph" in written:
        return [_canonical(node) for node in written["@graph"]]
    node = {k: v for k, v in written.items() if k != "@context"}  # rdflib writes a lone node without @graph
    return [_canonical(node)] if node else []


class Compactor:
    """Compact JSON-LD node objects written straight from the engine's N-Triples lines (``ntriples``), a node per
    subject: what rdflib's writer does for the data, without its in-memory graph (minutes and gigabytes at a
    million triples), nor a Python object per term (seconds).

    Each value goes under the context's term that fits it (an IRI under a term coercing to ``@id``, a language
    string in a language map, a typed literal under the term of its datatype, anything else under a term without
    coercion), else under the predicate's compact IRI as an explicit value object, so that the document expands
    to the same triples. Lexical forms are kept as strings: "28"^^xsd:decimal stays "28".

    >>> compactor = Compactor(context_of(Graph()))
    >>> line = f'<https://w3id.org/yuetang-kg/id/place/x> <{RDFS.label}> "岳塘"@zh .'.encode()
    >>> compactor.nodes([line])
    [{'@id': 'https://w3id.org/yuetang-kg/id/place/x', 'label': {'zh': '岳塘'}}]
    """

    def __init__(self, context: dict):
        prefixes = {name: iri for name, iri in context.items() if isinstance(iri, str) and iri.endswith(("#", "/"))}
        self._prefixes = {iri: name for name, iri in prefixes.items()}

        def expand(compact_iri: str) -> str:
            prefix, _, local = compact_iri.partition(":")
            return prefixes[prefix] + local if prefix in prefixes else compact_iri

        self._classes = {expand(value): name for name, value in context.items()
                         if isinstance(value, str) and name not in prefixes}
        self._compacted: dict[str, str] = {}  # IRI → as written: an IRI recurs as object on many nodes
        self._rules: dict[tuple, tuple[str, object]] = {}
        self._terms: dict[str, dict[str, str]] = {}  # predicate IRI → {value shape → term}
        for name, definition in context.items():
            if isinstance(definition, dict):
                coerced = definition.get("@type")
                shape = ("@language" if definition.get("@container") == "@language"
                         else "@plain" if coerced is None else expand(coerced) if coerced != "@id" else "@id")
                if "@container" not in definition or shape == "@language":
                    self._terms.setdefault(expand(definition["@id"]), {}).setdefault(shape, name)

    def _compact_iri(self, iri: str) -> str:
        """``prefix:name`` when the IRI's namespace (up to its last ``#``, else ``/``, else ``:``) is a prefix of the
        context, as rdflib's writer shortens IRIs; else the IRI."""
        compacted = self._compacted.get(iri)
        if compacted is None:
            compacted = self._compacted[iri] = self._shorten(iri)
        return compacted

    def _shorten(self, iri: str) -> str:
        for delimiter in "#/:":
            at = iri.rfind(delimiter)
            if at > -1:
                prefix = self._prefixes.get(iri[: at + 1])
                return f"{prefix}:{iri[at + 1 :]}" if prefix else iri
        return iri

    def _entry(self, predicate: str, term: bytes) -> tuple[str, object, str | None]:
        """The key a value (a term as the lines write it) goes under, the value, and its language when it goes into
        a language map."""
        if term[0] != _QUOTE:  # an IRI or a blank node
            iri = self._compact_iri(term[1:-1].decode("utf-8")) if term[0] == _OPEN else term.decode("utf-8")
            key, form = self._rule(predicate, None, None)
            return key, {"@id": iri} if form else iri, None
        value, language, datatype = _literal(term)
        key, form = self._rule(predicate, language, datatype)
        if form is None:
            return key, value, None
        if form is _LANGUAGE_MAP:
            return key, value, language
        return key, {"@value": value, form[0]: form[1]}, None

    def _rule(self, predicate: str, language: str | None, datatype: str | None) -> tuple[str, object]:
        """Where a value of ``predicate`` goes (an IRI when it has no datatype), and in which form: as it is
        (None), in a language map, as a node reference (an IRI's, True), or as a value object (the pair to write
        beside ``@value``). The same for every value of a predicate, language and datatype: found once."""
        rule = self._rules.get((predicate, language, datatype))
        if rule is None:
            rule = self._rules[predicate, language, datatype] = self._find_rule(predicate, language, datatype)
        return rule

    def _find_rule(self, predicate: str, language: str | None, datatype: str | None) -> tuple[str, object]:
        terms = self._terms.get(predicate, _NO_TERMS)
        fallback = terms.get("@plain") or self._compact_iri(predicate)
        if datatype is None:
            return (terms["@id"], None) if "@id" in terms else (fallback, True)
        if language:
            return (terms["@language"], _LANGUAGE_MAP) if "@language" in terms else (fallback, ("@language", language))
        if datatype in terms:
            return terms[datatype], None
        if datatype == _XSD_STRING:
            return fallback, None
        return fallback, ("@type", self._compact_iri(datatype))

    def nodes(self, lines: Iterable[bytes]) -> list[dict]:
        """The node objects of N-Triples ``lines`` as Oxigraph writes them, their arrays sorted as ``_canonical``
        sorts them. Only arrays are sorted, in place: the nodes' other values hold none, and copying a million
        nodes to sort a few arrays cost seconds."""
        found = self._unsorted(lines)
        for node in found:
            for value in node.values():
                if isinstance(value, list):
                    value.sort(key=_sort_key)
                elif isinstance(value, dict):  # a language map's arrays (a value object holds none)
                    for texts in value.values():
                        if isinstance(texts, list):
                            texts.sort(key=_sort_key)
        return found

    def _unsorted(self, lines: Iterable[bytes]) -> list[dict]:
        found: dict[bytes, dict] = {}
        predicates: dict[bytes, str] = {}
        subject = node = None
        for line in lines:
            # ``S P O .`` with single spaces; neither an IRI nor a blank node holds a space (``ntriples``)
            cut = line.index(b" ")
            if line[:cut] != subject:
                subject = line[:cut]
                node = found.get(subject)
                if node is None:
                    node_id = subject[1:-1].decode("utf-8") if subject[0] == _OPEN else subject.decode("utf-8")
                    node = found[subject] = {"@id": node_id}
            after = line.index(b" ", cut + 1)
            predicate = predicates.get(line[cut:after])
            if predicate is None:
                predicate = predicates[line[cut:after]] = line[cut + 2 : after - 1].decode("utf-8")
            term = line[after + 1 : -2]
            if predicate == _RDF_TYPE and term[0] == _OPEN:
                kind = term[1:-1].decode("utf-8")
                _add(node, "@type", self._classes.get(kind) or self._compact_iri(kind))
                continue
            key, value, language = self._entry(predicate, term)
            if language is None:
                _add(node, key, value)
            else:
                _add(node.setdefault(key, {}), language, value)
        return list(found.values())


def _literal(term: bytes) -> tuple[str, str | None, str]:
    """A literal as the lines write it: its lexical form, language and datatype. Oxigraph escapes only with a
    backslash, so a literal without one is its text between the quotes; the others are read by the engine."""
    if b"\\" in term:
        (triple,) = ox.parse(b"<urn:x:s> <urn:x:p> " + term + b" .", format=ox.RdfFormat.N_TRIPLES)
        literal = triple.object
        return literal.value, literal.language, literal.datatype.value
    end = term.rindex(b'"')
    value, suffix = term[1:end].decode("utf-8"), term[end + 1 :]
    if suffix[:1] == b"@":
        return value, suffix[1:].decode("ascii"), _LANG_STRING
    return value, None, suffix[3:-1].decode("utf-8") if suffix else _XSD_STRING


def _add(holder: dict, key: str, value) -> None:
    """A value under ``key``: alone, or in an array once there are several."""
    if key not in holder:
        holder[key] = value
    elif isinstance(holder[key], list):
        holder[key].append(value)
    else:
        holder[key] = [holder[key], value]
