"""The ontology's HTML documentation: one self-contained page (inline CSS, no script, nothing fetched), with
one section per term whose ``id`` is the term's local name, so ``…/ontology#Village`` opens at its section.

Made here rather than with pyLODE: pyLODE 3.3 writes its output in a different order from run to run (its
embedded JSON-LD), writes cache files into its own installed package, and its current releases need
Python 3.12. This generator sorts everything and reads only the graph.

>>> from rdflib import Graph
>>> page = ontology_html(Graph().parse(data="@prefix ykg: <https://w3id.org/yuetang-kg/ontology#> . "
...     "@prefix owl: <http://www.w3.org/2002/07/owl#> . ykg:Village a owl:Class .", format="turtle"))
>>> 'id="Village"' in page
True
"""

from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, select_autoescape
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, SKOS

from ..namespaces import ONTOLOGY_IRI, PREFIXES, SCHEMA, YKG
from .export import file_name
from .formats import FORMATS

# Shown as the head of a term's section rather than in its table of other statements.
_HEADLINE = {RDF.type, RDFS.label, SKOS.definition, RDFS.comment, RDFS.isDefinedBy}
SECTIONS = (
    ("classes", "Classes 类", OWL.Class),
    ("object-properties", "Object properties 对象属性", OWL.ObjectProperty),
    ("datatype-properties", "Datatype properties 数据属性", OWL.DatatypeProperty),
)
OTHER_SECTION = ("individuals", "Concept schemes and individuals 概念体系与个体")


@dataclass
class Value:
    """An object as the page shows it: ``text``, a link ``href`` if it has one, a language tag if a literal."""

    text: str
    href: str | None = None
    lang: str | None = None


@dataclass
class Term:
    iri: str
    anchor: str
    labels: list[Value]
    definitions: list[Value]
    kinds: list[Value]
    rows: list[tuple[Value, list[Value]]] = field(default_factory=list)


class _Renderer:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.prefixes = sorted(((str(ns), p) for p, ns in PREFIXES.items()), key=lambda item: -len(item[0]))

    def compact(self, iri: URIRef) -> str:
        for namespace, prefix in self.prefixes:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace):]}"
        return str(iri)

    def value(self, node) -> Value:
        if isinstance(node, Literal):
            lang = node.language
            suffix = f" ^^{self.compact(node.datatype)}" if node.datatype else ""
            return Value(str(node) + suffix, lang=lang)
        if isinstance(node, BNode):
            return Value(self.blank(node))
        if node.startswith(str(YKG)) and (node, None, None) in self.graph:
            return Value(self.compact(node), href="#" + node[len(str(YKG)) :])
        return Value(self.compact(node), href=str(node))

    def blank(self, node: BNode) -> str:
        """A blank node in Turtle-like text: lists as ``( … )``, others as ``[ p o ; … ]``."""
        if (node, RDF.first, None) in self.graph:
            return "( " + " ".join(self.inline(item) for item in Collection(self.graph, node)) + " )"
        pairs = sorted((self.compact(p), self.inline(o)) for p, o in self.graph.predicate_objects(node))
        return "[ " + " ; ".join(f"{p} {o}" for p, o in pairs) + " ]"

    def inline(self, node) -> str:
        """A term inside a blank node's text: literals quoted, as in Turtle."""
        return f'"{node}"' if isinstance(node, Literal) else self.value(node).text

    def values(self, node, prop) -> list[Value]:
        return sorted((self.value(o) for o in self.graph.objects(node, prop)), key=_value_key)

    def term(self, node: URIRef) -> Term:
        g = self.graph
        anchor = node[len(str(YKG)) :] if node.startswith(str(YKG)) else self.compact(node)
        rows = []
        for prop in sorted(set(g.predicates(node)) - _HEADLINE, key=self.compact):
            rows.append((self.value(prop), self.values(node, prop)))
        for label, inverse in (
            ("subclasses", RDFS.subClassOf),
            ("subproperties", RDFS.subPropertyOf),
            ("domain of", RDFS.domain),
            ("range of", RDFS.range),
            ("in the domain of", SCHEMA.domainIncludes),
            ("in the range of", SCHEMA.rangeIncludes),
        ):
            found = sorted((self.value(s) for s in g.subjects(inverse, node)), key=_value_key)
            if found:
                rows.append((Value(label), found))
        return Term(
            iri=str(node),
            anchor=anchor,
            labels=self.values(node, RDFS.label),
            definitions=self.values(node, SKOS.definition) + self.values(node, RDFS.comment),
            kinds=self.values(node, RDF.type),
            rows=rows,
        )


def _value_key(value: Value) -> tuple:
    return (value.lang != "en", value.lang or "", value.text)


def ontology_html(ontology: Graph, downloads: str = "") -> str:
    """The documentation page; ``downloads`` is where links to the ontology's files point (``/downloads/``)."""
    renderer = _Renderer(ontology)
    placed: set[URIRef] = set()
    sections = []
    for anchor, title, kind in SECTIONS:
        members = sorted(
            n for n in set(ontology.subjects(RDF.type, kind)) if isinstance(n, URIRef) and n not in placed
        )
        placed.update(members)
        sections.append((anchor, title, [renderer.term(n) for n in members]))
    others = sorted(
        n for n in set(ontology.subjects()) if isinstance(n, URIRef) and n not in placed and n != ONTOLOGY_IRI
    )
    sections.append((*OTHER_SECTION, [renderer.term(n) for n in others]))
    header = renderer.term(ONTOLOGY_IRI)
    header.rows = [row for row in header.rows if row[0].text not in ("dct:title", "dct:description")]
    files = [(name, downloads + file_name("ontology", fmt), fmt.media_type) for name, fmt in FORMATS.items()]
    environment = Environment(
        loader=PackageLoader("yuetang_kg.publish", "templates"), autoescape=select_autoescape(["html"]),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    return environment.get_template("ontology.html").render(
        ontology=header,
        titles=renderer.values(ONTOLOGY_IRI, DCTERMS.title),
        descriptions=renderer.values(ONTOLOGY_IRI, DCTERMS.description),
        sections=sections,
        files=files,
    )
