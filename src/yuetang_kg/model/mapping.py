"""Curated facts → RDF: entities, relations and utterances with their evidence.

Every asserted triple is kept "truthy" (plain ``s p o``) for easy queries, and gets a statement node
(``rdf:Statement`` with ``rdf:subject/predicate/object``) that leads to the quoted span of the article
(``ykg:evidence`` → ``nif:anchorOf``, ``nif:beginIndex``, ``nif:endIndex``, ``nif:referenceContext``).
Observations are mapped by ``observations``.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from ..errors import DataError
from ..literals import lexical_error
from ..namespaces import NIF, PREFIXES, SCHEMA, WD, YKG, entity_iri, iri
from .facts import Evidence, Facts, Origin
from .ontology import Terms
from .periods import date_datatype
from .qualification import qualify
from .sources import Document

DATATYPES = {
    "string": None,
    "gYear": XSD.gYear,
    "gYearMonth": XSD.gYearMonth,
    "date": XSD.date,
    "integer": XSD.integer,
    "decimal": XSD.decimal,
    "boolean": XSD.boolean,
}
# BCP 47's shape, as RDF 1.1 and SPARQL read language tags
_LANGUAGE_TAG = re.compile(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*")


def plain_pinyin(pinyin: str) -> str:
    """Toneless lower-case pinyin for search: ``Wǔ'ài Cūn`` → ``wuai cun``."""
    decomposed = unicodedata.normalize("NFD", pinyin)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.lower().replace("'", "").replace("’", "").replace("-", "")


@dataclass
class Context:
    """What the mapping of one set of facts shares: the graph being written, the facts and the ontology terms."""

    graph: Graph
    facts: Facts
    terms: Terms
    spans: set[URIRef] = field(default_factory=set)

    def document_iri(self, document_id: str) -> URIRef:
        return iri("document", document_id)

    def document_of(self, evidence: Evidence, where: str) -> Document:
        """The document that a fact's file quotes (the only one when evidence names none)."""
        document = self.facts.documents.get(evidence.document or self.facts.default_document.id)
        if document is None:
            raise DataError(f"unknown document {evidence.document!r}", where)
        return document

    def span(self, evidence: Evidence, where: str) -> URIRef:
        """The span node of a quote, created once per distinct span."""
        document = self.document_of(evidence, where)
        found = document.find(evidence.quote, evidence.occurrence, where)
        node = URIRef(f"{self.document_iri(document.id)}#char={found.start},{found.end}")
        if node not in self.spans:
            self.spans.add(node)
            g = self.graph
            g.add((node, RDF.type, YKG.TextSpan))
            g.add((node, RDF.type, NIF.String))
            g.add((node, RDF.type, NIF.OffsetBasedString))
            g.add((node, NIF.beginIndex, Literal(found.start, datatype=XSD.nonNegativeInteger)))
            g.add((node, NIF.endIndex, Literal(found.end, datatype=XSD.nonNegativeInteger)))
            g.add((node, NIF.anchorOf, Literal(evidence.quote)))
            g.add((node, NIF.referenceContext, self.document_iri(document.id)))
        return node

    def attach_evidence(self, node: URIRef, evidence: Evidence, origin: Origin, note: str | None) -> None:
        """Hang the evidence, the place of curation and any curation note on a fact node."""
        g, where = self.graph, str(origin)
        if evidence.quote:
            g.add((node, YKG.evidence, self.span(evidence, where)))
        if evidence.reference:
            if evidence.reference not in self.facts.references:
                raise DataError(f"unknown reference {evidence.reference!r}; see sources.yaml", where)
            g.add((node, YKG.reference, iri("reference", evidence.reference)))
        g.add((node, YKG.curatedAt, Literal(str(origin))))
        if note:
            g.add((node, YKG.curationNote, Literal(note, lang="en")))

    def statement(self, s: URIRef, p: URIRef, o, evidence: Evidence, origin: Origin, note=None) -> URIRef:
        """Assert ``s p o`` and give it a statement node carrying its evidence."""
        self.graph.add((s, p, o))
        key = f"{s.n3()} {p.n3()} {o.n3()}".encode()
        node = iri("statement", hashlib.sha1(key).hexdigest()[:16])
        g = self.graph
        g.add((node, RDF.type, YKG.Statement))
        g.add((node, RDF.type, RDF.Statement))
        g.add((node, RDF.subject, s))
        g.add((node, RDF.predicate, p))
        g.add((node, RDF.object, o))
        self.attach_evidence(node, evidence, origin, note)
        return node

    def resolve(self, ident: str, where: str) -> URIRef:
        """The IRI of whatever a fact names by id."""
        facts = self.facts
        if ident in facts.entities:
            entity = facts.entities[ident]
            return entity_iri(entity.type, entity.id)
        for table, kind in (
            (facts.utterances, "utterance"),
            (facts.observations, "observation"),
            (facts.derived, "observation"),
            (facts.domains, "domain"),
            (facts.variables, "variable"),
        ):
            if ident in table:
                return iri(kind, ident)
        raise DataError(f"unknown id {ident!r}: no entity, utterance, observation or domain has it", where)


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)
    return graph


def map_documents(ctx: Context) -> None:
    g = ctx.graph
    for document in ctx.facts.documents.values():
        node = ctx.document_iri(document.id)
        g.add((node, RDF.type, YKG.SourceDocument))
        g.add((node, RDF.type, NIF.Context))
        g.add((node, RDFS.label, Literal(document.title_zh, lang="zh")))
        g.add((node, RDFS.label, Literal(document.title_en, lang="en")))
        g.add((node, DCTERMS.title, Literal(document.title_zh, lang="zh")))
        g.add((node, DCTERMS.title, Literal(document.title_en, lang="en")))
        g.add((node, DCTERMS.date, Literal(str(document.year), datatype=XSD.gYear)))
        g.add((node, DCTERMS.language, Literal(document.language)))
        g.add((node, NIF.isString, Literal(document.text)))
        g.add((node, YKG.sha256, Literal(document.sha256)))
        g.add((node, YKG.filePath, Literal(document.path)))
        if document.author:
            author = ctx.resolve(document.author, f"graph_data/sources.yaml: author of {document.id}")
            g.add((node, DCTERMS.creator, author))
            g.add((node, SCHEMA.author, author))
    for reference in ctx.facts.references.values():
        node = iri("reference", reference.id)
        g.add((node, RDF.type, YKG.Reference))
        g.add((node, RDFS.label, Literal(reference.title_zh, lang="zh")))
        g.add((node, RDFS.label, Literal(reference.title_en, lang="en")))


def _labels(g: Graph, node: URIRef, zh: str, en: str) -> None:
    g.add((node, RDFS.label, Literal(zh, lang="zh")))
    g.add((node, RDFS.label, Literal(en, lang="en")))
    g.add((node, SKOS.prefLabel, Literal(zh, lang="zh")))
    g.add((node, SKOS.prefLabel, Literal(en, lang="en")))


def _code(g: Graph, node: URIRef, value: dict | None, code: URIRef, vintage: URIRef, where: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or not {"code", "vintage"} <= value.keys():
        raise DataError("an official code is written {code: \"…\", vintage: \"…\"}", where)
    g.add((node, code, Literal(str(value["code"]))))
    g.add((node, vintage, Literal(str(value["vintage"]))))


def map_vocabularies(ctx: Context) -> None:
    g = ctx.graph
    for domain in ctx.facts.domains.values():
        node = iri("domain", domain.id)
        g.add((node, RDF.type, YKG.Domain))
        g.add((node, RDF.type, SKOS.Concept))
        g.add((node, SKOS.inScheme, YKG.DomainScheme))
        g.add((node, SKOS.topConceptOf, YKG.DomainScheme))
        _labels(g, node, domain.zh, domain.en)


def map_entities(ctx: Context) -> None:
    g, facts = ctx.graph, ctx.facts
    # an entity cited by several documents is mapped once per declaration: the shared fields agree (facts._cite),
    # so they give the same triples, and each declaration adds its own evidence, places and other spellings
    for entity in facts.declarations():
        where = str(entity.origin)
        cls = ctx.terms.check_class(entity.type, where)
        node = entity_iri(entity.type, entity.id)
        document = ctx.document_of(entity.evidence, where)
        if not entity.descriptive and entity.zh not in document.text:
            raise DataError(
                f"zh name {entity.zh!r} is not written so in {document.path}; fix it or set descriptive: true", where
            )
        ctx.statement(node, RDF.type, cls, entity.evidence, entity.origin, entity.note)
        _labels(g, node, entity.zh, entity.en)
        for alias in entity.aka:
            g.add((node, SKOS.altLabel, Literal(alias, lang="zh")))
        if entity.pinyin:
            g.add((node, YKG.pinyin, Literal(entity.pinyin)))
            g.add((node, YKG.pinyinPlain, Literal(plain_pinyin(entity.pinyin))))
        if entity.description_zh:
            g.add((node, YKG.descriptionZh, Literal(entity.description_zh, lang="zh")))
        _code(g, node, entity.nbs, YKG.nbsStatCode, YKG.nbsStatCodeVintage, where)
        _code(g, node, entity.mca, YKG.mcaDivisionCode, YKG.mcaDivisionCodeVintage, where)
        if entity.wikidata:
            g.add((node, SKOS.exactMatch, WD[entity.wikidata]))
        if entity.type == "Industry":
            g.add((node, RDF.type, SKOS.Concept))
            g.add((node, SKOS.inScheme, YKG.IndustryScheme))
            if entity.gbt4754:
                g.add((node, YKG.gbt4754Code, Literal(str(entity.gbt4754))))
            if entity.broader:
                ctx.statement(node, SKOS.broader, ctx.resolve(entity.broader, where), entity.evidence, entity.origin)
            else:
                g.add((node, SKOS.topConceptOf, YKG.IndustryScheme))
        elif entity.gbt4754 or entity.broader:
            raise DataError("gbt4754 and broader are for industries only", where)
        if entity.date:
            datatype = XSD[date_datatype(entity.date, where)]
            ctx.statement(node, YKG.date, Literal(entity.date, datatype=datatype), entity.evidence, entity.origin)
        if entity.date_text:
            g.add((node, YKG.dateText, Literal(entity.date_text, lang="zh")))
        # status: qualifies where the entity lies or belongs, as of the quote, not what it is
        if entity.parent:
            placed = ctx.statement(
                node, YKG.locatedIn, ctx.resolve(entity.parent, where), entity.evidence, entity.origin
            )
            qualify(g, placed, where, entity.status)
        if entity.part_of:
            target = ctx.resolve(entity.part_of, where)
            belongs = ctx.statement(node, YKG.subOrganizationOf, target, entity.evidence, entity.origin)
            qualify(g, belongs, where, entity.status)
        if entity.status and not (entity.parent or entity.part_of):
            raise DataError("status qualifies in: or partOf:; this entity has neither", where)


def map_relations(ctx: Context) -> None:
    for relation in ctx.facts.relations:
        where = str(relation.origin)
        literal = relation.o is None
        if literal == (relation.value is None):
            raise DataError("a relation has either o: (an entity id) or value: (a literal)", where)
        subject = ctx.resolve(relation.s, where)
        if relation.p == "broader":
            predicate = SKOS.broader
        else:
            predicate = ctx.terms.check_property(relation.p, literal, where)
        if literal:
            if relation.datatype not in DATATYPES and relation.datatype is not None:
                raise DataError(f"unknown datatype {relation.datatype!r}; valid: {', '.join(DATATYPES)}", where)
            datatype = DATATYPES.get(relation.datatype or "string")
            if relation.lang and datatype is not None:
                raise DataError("a literal has either lang: or a datatype, not both", where)
            if relation.lang is not None and not _LANGUAGE_TAG.fullmatch(relation.lang):
                raise DataError(f"lang {relation.lang!r} is not a language tag (e.g. zh, en, zh-Hans)", where)
            lexical = str(relation.value)
            problem = lexical_error(lexical, relation.datatype or "string")
            if problem:  # an ill-typed literal would be published, and refused by strict readers such as riot
                raise DataError(problem, where)
            obj = Literal(lexical, lang=relation.lang, datatype=datatype)
        else:
            obj = ctx.resolve(relation.o, where)
        node = ctx.statement(subject, predicate, obj, relation.evidence, relation.origin, relation.note)
        qualify(
            ctx.graph, node, where, relation.status, relation.scope, relation.open_list, relation.attribution_unclear
        )


def map_utterances(ctx: Context) -> None:
    g = ctx.graph
    for utterance in ctx.facts.utterances.values():
        where = str(utterance.origin)
        node = iri("utterance", utterance.id)
        if utterance.text not in (utterance.evidence.quote or ""):
            raise DataError("the words (text:) must be part of the quote", where)
        if utterance.speaker not in ctx.facts.entities:
            raise DataError(f"speaker {utterance.speaker!r} is not an entity id (a person or organization)", where)
        speaker = ctx.resolve(utterance.speaker, where)
        g.add((node, RDF.type, YKG.Utterance))
        g.add((node, YKG.speaker, speaker))
        g.add((speaker, YKG.said, node))
        g.add((node, YKG.text, Literal(utterance.text, lang="zh")))
        name = ctx.facts.entities[utterance.speaker]
        short = utterance.text if len(utterance.text) <= 24 else utterance.text[:24] + "…"
        g.add((node, RDFS.label, Literal(f"{name.zh}：“{short}”", lang="zh")))
        g.add((node, RDFS.label, Literal(f"Words of {name.en}: “{short}”", lang="en")))
        if utterance.verb:
            g.add((node, YKG.verb, Literal(utterance.verb, lang="zh")))
        for target in utterance.about:
            g.add((node, YKG.about, ctx.resolve(target, where)))
        ctx.attach_evidence(node, utterance.evidence, utterance.origin, utterance.note)

