import csv
import io
import json
import unicodedata

from rdflib import XSD, Literal, URIRef

from yuetang_kg.query.results import format_rows
from yuetang_kg.query.store import Result

RESULT = Result(
    "SELECT",
    variables=["s", "quote", "n"],
    rows=[
        (URIRef("https://w3id.org/yuetang-kg/id/place/yuetang-qu"), Literal("税\n\n收", lang="zh"), None),
        (URIRef("urn:x"), Literal("七星村"), Literal("3", datatype=XSD.integer)),
    ],
)


def test_table_keeps_one_line_per_row_and_aligns_cjk():
    lines = format_rows(RESULT, "table").splitlines()
    assert len(lines) == 2 + len(RESULT.rows)
    assert "税⏎⏎收" in lines[2]
    # the third column starts at the same display column on every row: CJK characters count double
    assert display_width(lines[3][: lines[3].rindex("3")]) == display_width(lines[0][: lines[0].rindex("n")])


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_csv_and_tsv_keep_the_text_exact():
    rows = list(csv.reader(io.StringIO(format_rows(RESULT, "csv"))))
    assert rows[0] == ["s", "quote", "n"]
    assert rows[1][1] == "税\n\n收" and rows[1][2] == ""
    assert format_rows(RESULT, "tsv").splitlines()[0] == "s\tquote\tn"


def test_json_is_sparql_results_with_language_and_datatype():
    body = json.loads(format_rows(RESULT, "json"))
    first, second = body["results"]["bindings"]
    assert first["quote"] == {"type": "literal", "value": "税\n\n收", "xml:lang": "zh"}
    assert "n" not in first
    assert second["n"]["datatype"] == str(XSD.integer)
    assert json.loads(format_rows(Result("ASK", boolean=True), "json")) == {"head": {}, "boolean": True}
