"""What a literal may hold: the XSD lexical forms, checked against Jena's riot, and the characters of XML 1.0,
checked against a real XML parser (expat) over every code point."""

import doctest
import xml.parsers.expat
from datetime import date, timedelta

import pytest
from rdflib import XSD

from yuetang_kg import literals
from yuetang_kg.literals import CURATED_FORBIDDEN, LEXICAL_FORMS, NOT_XML, lexical_error
from yuetang_kg.model import mapping

# Every code point of the Basic Multilingual Plane, and from each other plane its first, its last two
# (noncharacters) and one ordinary character.
CODE_POINTS = list(range(0x10000)) + [
    plane << 16 | low for plane in range(1, 17) for low in (0x0000, 0x1234, 0xFFFD, 0xFFFE, 0xFFFF)
]


def test_doctests():
    assert doctest.testmod(literals).failed == 0


def test_every_datatype_of_the_facts_has_its_lexical_space():
    assert set(LEXICAL_FORMS) == set(mapping.DATATYPES)


def _candidates() -> list[tuple[str, str]]:
    """Lexical forms to judge: the edges of each datatype, and every day of a leap and a common year."""
    forms = {
        "gYear": ["2019", "MMXIX", "0000", "0001", "12019", "02019", "-2019", "+2019", "2019Z", "2019+08:00",
                  "2019+14:00", "2019+14:01", "2019-13:59", "201", "2019.0", "", "二〇一九"],
        "gYearMonth": ["2024-13", "2024-00", "2024-1", "2024-12", "2024-12Z", "2024-07-22", "202407"],
        "date": ["2024-1-01", "2024-01-01Z", "0000-01-01", "1900-02-29", "2000-02-29", "2024-00-10",
                 "2024-01-32", "2024/01/01", "24-01-01"],
        "integer": ["12", "+12", "-0", "1.0", "12a", "", "00012", "1e3", "１２", "1_000"],
        "decimal": ["1.5", ".5", "5.", "+.5", "1e3", "-0.0", ".", "1,5", "NaN", "INF", "", "+", "48.47"],
        "boolean": ["true", "false", "1", "0", "True", "yes", "", "TRUE", "2"],
    }
    pairs = [(datatype, text) for datatype, texts in forms.items() for text in texts]
    for year in (2023, 2024):
        pairs += [("date", f"{year}-{month:02d}-{day:02d}") for month in range(1, 13) for day in range(28, 33)]
    start = date(2023, 1, 1)
    pairs += [("date", (start + timedelta(days)).isoformat()) for days in range(0, 731, 37)]
    return pairs


def test_lexical_forms_are_judged_as_jena_judges_them(riot, tmp_path):
    """riot --validate warns, with the line, about each literal whose form is not in its datatype's space."""
    pairs = _candidates()
    path = tmp_path / "candidates.nt"
    path.write_text("".join(f'<https://example.org/s> <https://example.org/p> "{text}"^^<{XSD[datatype]}> .\n'
                            for datatype, text in pairs), encoding="utf-8")
    done = riot("--validate", str(path))
    refused_by_riot = {int(line.split("[line: ")[1].split(",")[0]) for line in done.stderr.splitlines()
                       if "not valid for datatype" in line}
    assert refused_by_riot, done.stderr  # the reference does refuse some: else the comparison proves nothing
    ours = {number for number, (datatype, text) in enumerate(pairs, 1) if lexical_error(text, datatype)}
    assert ours == refused_by_riot, [pairs[n - 1] for n in ours ^ refused_by_riot]


@pytest.mark.parametrize("text", [" 2019", "2019 ", "2019\n"])
def test_surrounding_white_space_is_refused_though_riot_collapses_it(text):
    assert lexical_error(text, "gYear")


def _expat_accepts(document: bytes) -> bool:
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(document, True)
    except xml.parsers.expat.ExpatError:
        return False
    return True


def test_not_xml_is_what_an_xml_parser_refuses():
    """For every code point: expat refuses it raw and as a character reference exactly when NOT_XML matches it.
    (Surrogates cannot be written in UTF-8 at all, and & and < raw are markup, so only their references are
    tried.)"""
    disagreements = []
    for point in CODE_POINTS:
        char = chr(point)
        raw = not 0xD800 <= point <= 0xDFFF and char not in "&<"
        accepted = _expat_accepts(f"<a>&#{point};</a>".encode()) and (
            not raw or _expat_accepts(f"<a>{char}</a>".encode())
        )
        if accepted == bool(NOT_XML.fullmatch(char)):
            disagreements.append(f"U+{point:04X}")
    assert disagreements == []


def test_curated_text_is_held_to_less_than_xml():
    refused = [point for point in CODE_POINTS if CURATED_FORBIDDEN.fullmatch(chr(point))]
    assert all(CURATED_FORBIDDEN.fullmatch(chr(point)) for point in CODE_POINTS if NOT_XML.fullmatch(chr(point)))
    for point in (0x7F, 0x85, 0x9F, 0x2028, 0x2029, 0xFEFF, 0xFDD0, 0x1FFFE, 0x10FFFF):
        assert point in refused, hex(point)
    for allowed in "\t\n\r 七«€\u00a0\U00020000":
        assert not CURATED_FORBIDDEN.fullmatch(allowed), repr(allowed)
