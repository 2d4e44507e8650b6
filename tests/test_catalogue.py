"""The query catalogue: every query is documented, standard SPARQL 1.1 with a stable order, gives the same
answer on both embedded stores and finds something in the real graph (an audit query, tagged `audit`, finds
nothing: it looks for errors); the header parser refuses bad headers, naming the line."""

import re

import pytest
from conftest import ROOT, comparable, comparable_answer
from rdflib import Literal, URIRef
from rdflib.plugins.sparql import prepareQuery

from yuetang_kg.errors import DataError
from yuetang_kg.query.catalogue import PARAM_KINDS, VIEWS, Param, load_catalogue, parse_query_file
from yuetang_kg.query.store import open_store

NAMES = sorted(path.stem for path in (ROOT / "queries").glob("*.rq"))


def without_comments(text: str) -> str:
    """The query text without comment lines (the header and the why-comments)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


@pytest.fixture(scope="module")
def rdflib_store(built):
    return open_store("rdflib", built.graph, built.ontology)


def test_the_catalogue_is_large_enough(catalogue):
    assert len(catalogue) >= 30
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name) for name in catalogue)


@pytest.mark.parametrize("name", NAMES)
def test_query(name, catalogue, store, rdflib_store):
    query = catalogue[name]
    # documented: both titles, a description, tags and a view
    assert query.title_zh and re.search(r"[\u4e00-\u9fff]", query.title_zh), name
    assert query.title_en and query.title_en.isascii(), name
    assert len(query.description) > 40 and query.tags and query.view in VIEWS
    # standard SPARQL 1.1: rdflib parses it, every prefix is declared in the file (Oxigraph knows none by
    # default) and the only prefixed functions are XSD casts, never an engine's extension functions
    text = without_comments(query.text)
    parsed = prepareQuery(query.text)
    declared = set(re.findall(r"PREFIX\s+([\w-]*):", text))
    used = set(
        re.findall(r"(?<![\w<\"#?])([A-Za-z][\w-]*):[A-Za-z_]", re.sub(r"<[^>]*>|\"[^\"]*\"", "", text))
    )
    assert used <= declared, f"{name}: undeclared prefixes {used - declared}"
    assert set(re.findall(r"\b([A-Za-z][\w-]*):\w+\s*\(", text)) <= {"xsd"}, name
    assert "WHERE" in text
    if parsed.algebra.name == "SelectQuery":
        assert "ORDER BY" in text, f"{name}: a SELECT needs an ORDER BY for a stable order"
        # Oxigraph binds a parameter only if the SELECT clause names its variable
        projected = {str(v) for v in parsed.algebra["PV"]}
        assert {p.name for p in query.params} <= projected, name
    # the same answer on both embedded stores, in the same order, and not an empty one on the real graph
    bindings = query.bindings({})
    answers = [store.query(query.text, bindings), rdflib_store.query(query.text, bindings)]
    assert comparable_answer(answers[0]) == comparable_answer(answers[1])
    assert [tuple(map(comparable, row)) for row in answers[0].rows] == [
        tuple(map(comparable, row)) for row in answers[1].rows
    ], f"{name}: the stores order the rows differently: ORDER BY leaves ties or mixes kinds of term"
    if "audit" in query.tags:
        # an audit query looks for errors of meaning: on the real graph it finds none
        assert not answers[0].rows, f"{name} finds errors in the real graph: {answers[0].rows[:5]}"
    else:
        assert comparable_answer(answers[0]), f"{name} finds nothing in the real graph"


def write(tmp_path, header: str, body: str = "SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x\n"):
    path = tmp_path / "bad_query.rq"
    path.write_text(header + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "header, line, message",
    [
        ("#+ title: 标题 | Title\n#+ colour: red\n", 2, "key one of"),
        ("#+ title: 标题 | Title\n#+ view pie\n", 2, "key one of"),
        ("#+ view: pie\n", 1, "view must be one of table, graph, chart, timeline"),
        ("#+ title: 标题 | Title\n#+ param: place place -\n", 2, "KIND in"),
        ("#+ param: place\n", 1, "write '#+ param: NAME KIND DEFAULT description'"),
    ],
)
def test_header_errors_name_the_file_and_line(tmp_path, header, line, message):
    path = write(tmp_path, header)
    with pytest.raises(DataError, match=re.escape(message)) as error:
        parse_query_file(path)
    assert str(error.value).startswith(f"{path}:{line}:")


def test_header_is_read(tmp_path):
    path = write(
        tmp_path,
        "#+ title: 标题 | A title\n#+ description: What it does.\n#+ tags: a, b ,\n"
        "#+ view: chart\n#+ param: place iri - the place to start from\n"
        "#+ param: n integer 3 how many\n",
    )
    query = parse_query_file(path)
    assert (query.name, query.title_zh, query.title_en, query.tags, query.view) == (
        "bad_query",
        "标题",
        "A title",
        ("a", "b"),
        "chart",
    )
    assert query.params == (
        Param("place", "iri", None, "the place to start from"),
        Param("n", "integer", "3", "how many"),
    )


def test_an_empty_folder_is_refused(tmp_path):
    with pytest.raises(DataError, match="no .rq files found"):
        load_catalogue(tmp_path)


@pytest.mark.parametrize(
    "kind, value, expected",
    [
        (
            "iri",
            "https://w3id.org/yuetang-kg/id/place/yuetang-qu",
            URIRef("https://w3id.org/yuetang-kg/id/place/yuetang-qu"),
        ),
        ("iri", "urn:x-test:1", URIRef("urn:x-test:1")),
        ("integer", "12", Literal(12)),
        ("zh", "七星村", Literal("七星村", lang="zh")),
        ("string", "qixing cun", Literal("qixing cun")),
    ],
)
def test_param_terms(kind, value, expected):
    term = Param("x", kind, None, "").term(value)
    assert term == expected and type(term) is type(expected)
    assert getattr(term, "language", None) == getattr(expected, "language", None)


@pytest.mark.parametrize(
    "kind, value",
    [
        ("iri", "qixing"),
        ("iri", "https://w3id.org/a b"),
        ("iri", "https://w3id.org/a>"),
        ("iri", "<https://w3id.org/a>"),
        ("iri", 'https://w3id.org/"a"'),
        ("integer", "twelve"),
        ("integer", "1.5"),
    ],
)
def test_bad_param_values_name_the_parameter(kind, value):
    with pytest.raises(DataError, match=r"^parameter x: expected an") as error:
        Param("x", kind, None, "").term(value)
    assert repr(value) in str(error.value)


def test_param_kinds_are_the_documented_ones():
    assert PARAM_KINDS == ("iri", "string", "zh", "integer")


def test_bindings_refuse_unknown_and_missing_parameters(catalogue, tmp_path):
    query = catalogue["place_ancestors"]
    with pytest.raises(
        DataError, match=r"query place_ancestors has no parameter nope \(valid: kind, place\)"
    ):
        query.bindings({"nope": "1"})
    assert query.bindings({})["place"] == URIRef(query.params[0].default)
    needy = parse_query_file(
        write(
            tmp_path,
            "#+ param: place iri - the place\n",
            "SELECT ?place WHERE { ?place ?p ?o } ORDER BY ?place\n",
        )
    )
    with pytest.raises(DataError, match=r"needs -p place VALUE \(the place\)"):
        needy.bindings({})


def test_entity_card_answers_as_its_join_form_for_every_entity(catalogue, store):
    """entity_card looks the types of an incoming property up with OPTIONAL + BOUND, which Oxigraph plans from
    the bound property (995× faster at 1.5M triples); the answer must be the plain join's, row for row."""
    query = catalogue["entity_card"]
    rewritten = "    OPTIONAL { ?property a ?propertyKind }\n    FILTER(BOUND(?propertyKind) && "
    assert rewritten in query.text
    join_form = query.text.replace(rewritten, "    ?property a ?propertyKind .\n    FILTER(")
    entities = [row[0] for row in store.query(
        "SELECT DISTINCT ?e WHERE { ?e a ?k FILTER(STRSTARTS(STR(?e), 'https://w3id.org/yuetang-kg/id/')) }").rows]
    assert len(entities) > 300
    for entity in entities:
        bindings = {"entity": entity}
        answer = store.query(query.text, bindings).rows
        assert answer == store.query(join_form, bindings).rows, entity
        assert answer, entity


# Lookups that Oxigraph 0.5 evaluates row by row, each with the join it stands for. A group of three or more
# patterns, or one whose estimate passes its bound, it reads whole before joining; a single pattern, with the rest
# in OPTIONALs nested in it, it looks up from what the row binds (benchmarks/README.md, catalogue queries).
# - a span's quote, offsets and document, one OPTIONAL each, from a span bound by a single pattern;
SPAN_LOOKUP = re.compile(r"OPTIONAL \{ (\?\w+ nif:(?:anchorOf|beginIndex|endIndex|referenceContext) \?\w+) \}")
# - a statement found from its subject, its predicate and object (and its span's document) compared in a FILTER:
#   in an OPTIONAL, the fields looked up one OPTIONAL each and the evidence in an OPTIONAL of its own;
EQUALITY = r"(?:\?\w+ = \S+|sameTerm\(\?\w+, \S+\))"
STATEMENT_IN_OPTIONAL = re.compile(
    r"(?m)^(?P<i> *)(?P<st>\?\w+) rdf:subject (?P<s>\S+) \.\n"
    r"(?P<fields>(?:(?P=i)OPTIONAL \{ (?P=st) rdf:(?:predicate|object) \?\w+ \}\n)+)"
    r"(?:(?P=i)OPTIONAL \{\n(?P<evidence>(?:(?P=i)  .*\n)+?)(?P=i)\}\n)?"
    rf"(?P=i)FILTER\((?P<condition>{EQUALITY}(?: && {EQUALITY})*)\)\n"
)
#   in a group, the fields as plain patterns;
STATEMENT_IN_GROUP = re.compile(
    r"(?m)^(?P<i> *)(?P<pattern>\?\w+ rdf:subject \S+ ; rdf:predicate \?\w+(?: ; rdf:object \S+)? \.\n)"
    rf"(?P=i)FILTER\((?P<condition>{EQUALITY}(?: && {EQUALITY})*)\)\n"
)
# - an entity's label, in an OPTIONAL nested after the one pattern that binds the entity.
LABEL_LOOKUP = re.compile(
    r'(?m)^(?P<pattern> {4,}\S+ \S+ (?P<v>\?\w+) \.\n)(?P<i> +)OPTIONAL \{ ((?P=v) rdfs:label \?\w+ \. '
    r'FILTER\(LANG\(\?\w+\) = "\w+"\)) \}\n'
)
LOOKUPS = (SPAN_LOOKUP, STATEMENT_IN_OPTIONAL, STATEMENT_IN_GROUP, LABEL_LOOKUP)
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
YKGSH = "https://w3id.org/yuetang-kg/shapes#"


def substituted(text: str, condition: str) -> str:
    """``text`` with each ``?variable = term`` or ``sameTerm(?variable, term)`` of ``condition`` (joined by
    ``&&``) written as the term."""
    for equality in condition.split(" && "):
        found = re.fullmatch(r"(\?\w+) = (\S+)|sameTerm\((\?\w+), (\S+)\)", equality)
        variable, term = found[1] or found[3], found[2] or found[4]
        text = re.sub(re.escape(variable) + r"(?!\w)", term, text)
    return text


def join_form(text: str) -> str:
    """The query as the plain join that its lookups stand for, as the catalogue wrote it before they were."""

    def statement_in_optional(found: re.Match) -> str:
        fields = re.sub(r"OPTIONAL \{ (.*) \}", r"\1 .", found["fields"])
        block = f"{found['i']}{found['st']} rdf:subject {found['s']} .\n{fields}{found['evidence'] or ''}"
        return substituted(block, found["condition"])

    text = STATEMENT_IN_OPTIONAL.sub(statement_in_optional, text)
    text = STATEMENT_IN_GROUP.sub(lambda found: found["i"] + substituted(found["pattern"], found["condition"]), text)
    text = LABEL_LOOKUP.sub(lambda found: f"{found['pattern']}{found['i']}{found[4]}\n", text)
    return SPAN_LOOKUP.sub(r"\1 .", text)


def test_join_form_undoes_a_statement_lookup():
    lookup = ("  OPTIONAL {\n    ?st rdf:subject ?a .\n    OPTIONAL { ?st rdf:predicate ?stP }\n"
              "    OPTIONAL { ?st rdf:object ?stO }\n    OPTIONAL {\n      ?st ykg:evidence ?span .\n"
              "      OPTIONAL { ?span nif:anchorOf ?quote }\n    }\n    FILTER(?stP = ykg:p && ?stO = ?b)\n  }\n")
    assert join_form(lookup) == ("  OPTIONAL {\n    ?st rdf:subject ?a .\n    ?st rdf:predicate ykg:p .\n"
                                 "    ?st rdf:object ?b .\n      ?st ykg:evidence ?span .\n"
                                 "      ?span nif:anchorOf ?quote .\n  }\n")
    grouped = "  ?t rdf:subject ?e ; rdf:predicate ?tP ; rdf:object ?tO .\n  FILTER(sameTerm(?tP, rdf:type) && ?tO = ?k)\n"
    assert join_form(grouped) == "  ?t rdf:subject ?e ; rdf:predicate rdf:type ; rdf:object ?k .\n"


@pytest.mark.parametrize("name", [name for name in NAMES if any(lookup.search(
    (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8")) for lookup in LOOKUPS)])
def test_lookups_answer_as_the_join_does(name, catalogue, store):
    """What the lookups assume holds (see the test below and the queries' NOTE comments): every ykg:evidence object
    is a span with exactly one quote, start, end and document; a triple has at most one statement, with exactly one
    predicate and object; an entity has exactly one Chinese label. So the answer is the plain join's, row for row."""
    query = catalogue[name]
    joined = join_form(query.text)
    assert joined != query.text
    assert not any(lookup.search(joined) for lookup in LOOKUPS)
    bindings = query.bindings({})
    assert store.query(query.text, bindings).rows == store.query(joined, bindings).rows


def test_the_invariants_the_lookups_rely_on_are_shapes(built):
    """The shapes that the build checks say what the lookups assume: relaxing one must fail here, pointing at the
    queries that rely on it (their NOTE comments)."""
    from collections import Counter

    from rdflib import RDF, RDFS, Graph, Namespace
    from rdflib.namespace import DCTERMS

    sh = Namespace("http://www.w3.org/ns/shacl#")
    ykg = Namespace("https://w3id.org/yuetang-kg/ontology#")
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")

    def counts(shape) -> dict:
        return {str(shapes.value(prop, sh.path)): (shapes.value(prop, sh.minCount), shapes.value(prop, sh.maxCount))
                for prop in shapes.objects(shape, sh.property)}

    graph = built.graph
    once = (Literal(1), Literal(1))
    # a span: one quote, start, end and document
    usage = next(shapes.subjects(sh.targetObjectsOf, ykg.evidence))
    assert (usage, sh["class"], ykg.TextSpan) in shapes
    span_counts = counts(next(shapes.subjects(sh.targetClass, ykg.TextSpan)))
    spans = set(graph.objects(None, ykg.evidence))
    assert spans
    for local in ("anchorOf", "beginIndex", "endIndex", "referenceContext"):
        assert span_counts[NIF + local] == once, local
        assert all(len(list(graph.objects(span, URIRef(NIF + local)))) == 1 for span in spans), local
    # a statement: one subject, predicate and object; whatever has an rdf:subject is a statement; and a triple has
    # at most one statement (its IRI is the triple's hash, mapping.statement)
    statement_counts = counts(next(shapes.subjects(sh.targetClass, ykg.Statement)))
    for field in (RDF.subject, RDF.predicate, RDF.object):
        assert statement_counts[str(field)] == once, field
    statements = set(graph.subjects(RDF.subject, None))
    assert statements and all((statement, RDF.type, ykg.Statement) in graph for statement in statements)
    triples = Counter((graph.value(st, RDF.subject), graph.value(st, RDF.predicate), graph.value(st, RDF.object))
                      for st in statements)
    assert max(triples.values()) == 1
    # an entity (what ykg:locatedIn, ykg:tenantOf and ykg:subOrganizationOf lead to among them, a document's
    # author): one Chinese and one English label
    entity_shape = next(shapes.subjects(sh.targetClass, ykg.Organization))
    for kind in (ykg.Place, ykg.Person):
        assert (entity_shape, sh.targetClass, kind) in shapes
    for language, local in (("zh", "ChineseLabel"), ("en", "EnglishLabel")):
        label = URIRef(YKGSH + local)
        assert (entity_shape, sh.property, label) in shapes
        assert (shapes.value(label, sh.qualifiedMinCount), shapes.value(label, sh.qualifiedMaxCount)) == once
        entities = {o for p in (ykg.locatedIn, ykg.tenantOf, ykg.subOrganizationOf, DCTERMS.creator)
                    for o in graph.objects(None, p)}
        assert entities
        assert all(sum(1 for name in graph.objects(e, RDFS.label) if name.language == language) == 1
                   for e in entities), language
