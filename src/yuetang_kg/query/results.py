"""Query results on the command line and over HTTP: table, CSV, TSV and SPARQL 1.1 JSON."""

import csv
import io
import json
import unicodedata

from rdflib import BNode, Literal, URIRef

from ..errors import DataError
from .store import Result

ROW_FORMATS = ("table", "csv", "tsv", "json")


def _plain(term) -> str:
    """A cell as a reader wants it: the IRI, or the literal's text."""
    return "" if term is None else str(term)


def _json_term(term) -> dict:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    cell = {"type": "literal", "value": str(term)}
    if isinstance(term, Literal) and term.language:
        cell["xml:lang"] = term.language
    elif isinstance(term, Literal) and term.datatype:
        cell["datatype"] = str(term.datatype)
    return cell


def sparql_json(result: Result) -> dict:
    if result.kind == "ASK":
        return {"head": {}, "boolean": result.boolean}
    bindings = [
        {var: _json_term(term) for var, term in zip(result.variables, row) if term is not None}
        for row in result.rows
    ]
    return {"head": {"vars": result.variables}, "results": {"bindings": bindings}}


def _table(result: Result) -> str:
    header = result.variables
    # A table row is one line: the article's line breaks (税\n\n收) are shown as ⏎ so the columns hold.
    cells = [[_plain(t).replace("\n", "⏎") for t in row] for row in result.rows]
    widths = [max([_width(h)] + [_width(row[i]) for row in cells]) for i, h in enumerate(header)]
    lines = [_pad_row(header, widths), "  ".join("-" * w for w in widths)]
    lines += [_pad_row(row, widths) for row in cells]
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    if text.isascii():  # most cells (IRIs, numbers, English): no need to look at each character
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad_row(row: list[str], widths: list[int]) -> str:
    return "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths)).rstrip()


def format_rows(result: Result, fmt: str) -> str:
    """A SELECT or ASK result as text in one of ROW_FORMATS."""
    if fmt not in ROW_FORMATS:
        raise DataError(f"unknown format {fmt!r}; valid: {', '.join(ROW_FORMATS)}", "--format")
    if fmt == "json":
        return json.dumps(sparql_json(result), ensure_ascii=False, indent=2) + "\n"
    if result.kind == "ASK":
        return ("true" if result.boolean else "false") + "\n"
    if fmt == "table":
        return _table(result)
    out = io.StringIO()
    writer = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
    writer.writerow(result.variables)
    writer.writerows([_plain(t) for t in row] for row in result.rows)
    return out.getvalue()
