"""A query's answer as an HTTP body, in every format of the SPARQL 1.1 Protocol: SELECT and ASK results as JSON,
XML, CSV and TSV (the W3C result formats), CONSTRUCT and DESCRIBE graphs in the RDF formats of
``formats.FORMATS``. One table, ``ANSWER_FORMATS``, says which media types each query form can take.

A result cut at the row cap is never passed off as whole: JSON gets a top-level ``"truncated": true`` (readers
of SPARQL JSON ignore unknown keys), XML a ``<link href="urn:yuetang-kg:truncated"/>`` in its head, and the HTTP
layer adds a header for every format.

A SELECT answer from Oxigraph is written by the engine's own result writers (``write_table``): its TSV, as the
store kept it, read back and written in the format asked for, without a Python object per row. The client gets
the same answer as from ``write`` (``tests/test_web_answers.py`` compares both on every catalogue query), in other
bytes: JSON without spaces, XML without line breaks, TSV terms in their short Turtle form (``5`` for
``"5"^^xsd:integer``). XML is held to the same rules as below. CSV stays ours, from the engine's terms: the
engine's CSV writer does not quote an IRI that holds a comma, and our text fragments (``#char=5209,5228``) do.

>>> from yuetang_kg.query.store import Result
>>> print(write(Result("ASK", boolean=True), "application/sparql-results+json").decode())
{"head": {}, "boolean": true}
"""

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from ..errors import DataError
from ..literals import NOT_XML, find_forbidden
from ..publish.formats import FORMATS, Unrepresentable, serialize
from ..query.results import sparql_json
from ..query.store import Result, Table, to_rdflib
from .negotiation import NotAcceptable

TRUNCATED_LINK = "urn:yuetang-kg:truncated"
ROW_FORMS = frozenset({"SELECT", "ASK"})
GRAPH_FORMS = frozenset({"CONSTRUCT", "DESCRIBE"})


@dataclass(frozen=True)
class AnswerFormat:
    media_type: str
    names: tuple[str, ...]  # values of the ``format`` request parameter; none for an alias media type
    forms: frozenset[str]
    write: Callable[[Result], bytes]


def _json(result: Result) -> bytes:
    body = sparql_json(result)
    if result.truncated:  # before the rows: streaming readers (Oxigraph's) refuse anything after them
        body = {"head": body["head"], "truncated": True, **body}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _xml_text(text: str) -> str:
    # a raw carriage return would be read back as a line feed (XML's line-end normalization)
    return escape(text, {"\r": "&#13;"})


def _xml_term(term) -> str:
    if isinstance(term, URIRef):
        return f"<uri>{_xml_text(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{_xml_text(str(term))}</bnode>"
    attributes = ""
    if term.language:
        attributes = f" xml:lang={quoteattr(term.language)}"
    elif term.datatype:
        attributes = f" datatype={quoteattr(str(term.datatype))}"
    return f"<literal{attributes}>{_xml_text(str(term))}</literal>"


def _refuse_unwritable_xml(variables: list[str], rows) -> None:
    for row in rows:
        for variable, term in zip(variables, row):
            found = None if term is None else find_forbidden(str(term), NOT_XML)
            if found:
                raise NotAcceptable(f"the answer cannot be written as XML: ?{variable} holds {found[1]}, which XML "
                                    "1.0 cannot carry; ask for application/sparql-results+json, text/csv or "
                                    "text/tab-separated-values")


def _xml(result: Result) -> bytes:
    """SPARQL XML results. An answer holding a character that XML 1.0 cannot carry (U+0000, most C0 controls,
    U+FFFE, U+FFFF, surrogates; see ``literals``) has no XML form at all: it is refused as not acceptable, naming
    the formats that can carry it, rather than written ill-formed or altered."""
    _refuse_unwritable_xml(result.variables, result.rows)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
             "<head>"]
    lines += [f"<variable name={quoteattr(v)}/>" for v in result.variables]
    if result.truncated:
        lines.append(f'<link href="{TRUNCATED_LINK}"/>')
    lines.append("</head>")
    if result.kind == "ASK":
        lines.append(f"<boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        lines.append("<results>")
        for row in result.rows:
            cells = "".join(
                f"<binding name={quoteattr(var)}>{_xml_term(term)}</binding>"
                for var, term in zip(result.variables, row)
                if term is not None
            )
            lines.append(f"<result>{cells}</result>")
        lines.append("</results>")
    lines.append("</sparql>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _csv_cell(term) -> str:
    """SPARQL 1.1 CSV: IRIs and literals as plain strings, blank nodes as ``_:label``."""
    if term is None:
        return ""
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _tsv_cell(term) -> str:
    """SPARQL 1.1 TSV: every term in Turtle syntax, tabs and line breaks escaped."""
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    text = term.n3()
    if isinstance(term, Literal):
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _rows(result: Result) -> tuple[list[str], list[list]]:
    # ASK has no CSV/TSV form in the standard; we follow Jena, whose readers expect a one-cell _askResult.
    if result.kind == "ASK":
        return ["_askResult"], [[Literal(bool(result.boolean))]]
    return result.variables, result.rows


def _csv(result: Result) -> bytes:
    header, rows = _rows(result)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # the standard asks for CRLF line ends
    writer.writerow(header)
    writer.writerows([_csv_cell(term) for term in row] for row in rows)
    return out.getvalue().encode("utf-8")


def _tsv(result: Result) -> bytes:
    header, rows = _rows(result)
    lines = ["\t".join(f"?{v}" for v in header)] if result.kind != "ASK" else ["\t".join(header)]
    lines += ["\t".join(_tsv_cell(term) for term in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _graph_writer(fmt) -> Callable[[Result], bytes]:
    def write_graph(result: Result) -> bytes:
        try:
            return serialize(result.graph, fmt)
        except Unrepresentable as error:  # the answer exists, only not in this format
            raise NotAcceptable(str(error)) from None

    return write_graph


ANSWER_FORMATS = (
    AnswerFormat("application/sparql-results+json", ("json",), ROW_FORMS, _json),
    AnswerFormat("application/sparql-results+xml", ("xml",), ROW_FORMS, _xml),
    AnswerFormat("text/csv", ("csv",), ROW_FORMS, _csv),
    AnswerFormat("text/tab-separated-values", ("tsv",), ROW_FORMS, _tsv),
    # Generic types that many clients send alone.
    AnswerFormat("application/json", (), ROW_FORMS, _json),
    AnswerFormat("application/xml", (), ROW_FORMS, _xml),
    # Graph formats by our name (ttl), rdflib's (turtle) and the media subtype (turtle, ld+json): SPARQLWrapper
    # sends format=json-ld, format=rdf+xml.
    *(AnswerFormat(f.media_type, tuple(dict.fromkeys((f.name, f.rdflib, f.media_type.split("/")[1]))),
                   GRAPH_FORMS, _graph_writer(f)) for f in FORMATS.values() if not f.quads),
)
_BY_MEDIA_TYPE = {f.media_type: f for f in ANSWER_FORMATS}


def offers(form: str) -> list[str]:
    """The media types a query form's answer can take, the default first."""
    return [f.media_type for f in ANSWER_FORMATS if form in f.forms]


def format_names(form: str) -> dict[str, str]:
    """``format`` parameter values and the media types they stand for."""
    return {name: f.media_type for f in ANSWER_FORMATS if form in f.forms for name in f.names}


_ENGINE_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
# The formats in which the engine's own writing of a whole SELECT answer is the answer as is (``write_table`` rewrites
# XML and CSV, and a cut answer's JSON).
WRITTEN_AS_IS = {media_type: fmt for media_type, fmt in _ENGINE_FORMATS.items() if fmt != ox.QueryResultsFormat.XML}
# What XML 1.0 cannot carry, as the engine writes it in UTF-8 (which has no surrogates): C0 controls but tab,
# line feed and carriage return, U+FFFE and U+FFFF.
_NOT_XML_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")


def _csv_of_table(table: Table) -> bytes:
    """CSV by our writer, from the engine's terms: the engine's CSV writer leaves a comma in an IRI unquoted
    (``…#char=5209,5228`` would read as two cells)."""
    solutions = ox.parse_query_results(table.tsv, ox.QueryResultsFormat.TSV)
    variables = [v.value for v in solutions.variables]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # the standard asks for CRLF line ends
    writer.writerow(variables)
    writer.writerows([_csv_engine_cell(solution[v]) for v in variables] for solution in solutions)
    return out.getvalue().encode("utf-8")


def _csv_engine_cell(term) -> str:
    if term is None:
        return ""
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value


def write_table(table: Table, media_type: str) -> bytes:
    """The body of a SELECT answer kept as the engine's TSV, in ``media_type`` (one that ``offers`` gives for
    SELECT), by the engine's writers."""
    if media_type == "text/csv":
        return _csv_of_table(table)
    fmt = _ENGINE_FORMATS[media_type]
    if fmt == ox.QueryResultsFormat.TSV:
        return table.tsv
    body = ox.parse_query_results(table.tsv, ox.QueryResultsFormat.TSV).serialize(format=fmt)
    if fmt == ox.QueryResultsFormat.JSON and table.truncated:
        body = body.replace(b',"results":', b',"truncated":true,"results":', 1)  # as in _json; the head is first
    elif fmt == ox.QueryResultsFormat.XML:
        if _NOT_XML_BYTES.search(body):  # rare: read the rows to name the variable
            solutions = ox.parse_query_results(table.tsv, ox.QueryResultsFormat.TSV)
            variables = [v.value for v in solutions.variables]
            _refuse_unwritable_xml(variables, ([to_rdflib(s[v]) for v in variables] for s in solutions))
        # The engine writes a carriage return as itself, which XML readers take for a line feed; markup holds none.
        body = body.replace(b"\r", b"&#13;")
        if table.truncated:
            body = body.replace(b"</head>", f'<link href="{TRUNCATED_LINK}"/></head>'.encode(), 1)
    return body


def write(result: Result, media_type: str) -> bytes:
    """The body of ``result`` in ``media_type`` (one that ``offers`` gives for its form), UTF-8."""
    try:
        return _BY_MEDIA_TYPE[media_type].write(result)
    except UnicodeEncodeError as error:  # rdflib's engine reads "\\uD800" in a query as a lone surrogate
        raise DataError(f"the answer holds U+{ord(error.object[error.start]):04X}, a lone surrogate, which is not "
                        "Unicode text: no format can carry it") from None
