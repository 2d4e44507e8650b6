"""What a literal may hold: the XSD lexical forms of the datatypes curated facts may use, and the characters
that every output format can carry.

XML 1.0 (RDF/XML, SPARQL XML results) cannot hold every character an RDF literal may: its ``Char`` production
leaves out U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, the surrogates and U+FFFE/U+FFFF, not even as
character references. Curated data is held to a stricter set still (``CURATED_FORBIDDEN``), so that nothing
built from it is ever refused by an XML writer.

>>> lexical_error("MMXIX", "gYear")
"'MMXIX' is not an xsd:gYear (write YYYY, e.g. 2019)"
>>> lexical_error("2024-02-29", "date") is None
True
>>> find_forbidden("line\\u2028break")
(4, 'U+2028 LINE SEPARATOR')
"""

import calendar
import re
import unicodedata

# Characters outside XML 1.0's Char production (§2.2).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Curated text may hold none of those, nor what XML 1.0 §2.2 asks authors to avoid (DEL and the C1 controls,
# U+0085 among them, and the noncharacters), nor line and paragraph separators and U+FEFF: invisible in an
# editor, and read as line ends or a byte order mark by some tools. A line break is written \n.
CURATED_FORBIDDEN = re.compile(
    "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\x7f-\x9f\u2028\u2029\ufeff\ufdd0-\ufdef"
    + "".join(chr(plane << 16 | end) for plane in range(1, 17) for end in (0xFFFE, 0xFFFF))
    + "]"
)

_YEAR = r"-?(?:[1-9][0-9]{3,}|0[0-9]{3})"
_ZONE = r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
# The lexical spaces of XSD 1.1 Part 2, for the datatypes that graph_data/README.md allows, with an example of
# each. Jena's riot is the reference (tests/test_literals.py checks that it refuses what these refuse); unlike
# riot, surrounding white space is refused too, since an RDF lexical form is the string itself.
LEXICAL_FORMS = {
    "string": (re.compile(r".*", re.DOTALL), "any text"),
    "gYear": (re.compile(rf"(?P<year>{_YEAR}){_ZONE}"), "YYYY, e.g. 2019"),
    "gYearMonth": (re.compile(rf"(?P<year>{_YEAR})-(?P<month>0[1-9]|1[0-2]){_ZONE}"), "YYYY-MM, e.g. 2024-07"),
    "date": (
        re.compile(rf"(?P<year>{_YEAR})-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12][0-9]|3[01]){_ZONE}"),
        "YYYY-MM-DD, a day of the calendar, e.g. 2024-07-22",
    ),
    "integer": (re.compile(r"[+-]?[0-9]+"), "digits with an optional sign, e.g. 42"),
    "decimal": (re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"), "digits with an optional point, e.g. 48.47"),
    "boolean": (re.compile(r"true|false|1|0"), "true, false, 1 or 0"),
}


def lexical_error(text: str, datatype: str) -> str | None:
    """Why ``text`` is not in the lexical space of ``xsd:<datatype>`` (a key of LEXICAL_FORMS), or None."""
    pattern, form = LEXICAL_FORMS[datatype]
    found = pattern.fullmatch(text)
    if found and "day" in found.groupdict():
        year, month, day = int(found["year"]), int(found["month"]), int(found["day"])
        # XSD 1.1 counts a year 0 (1 BCE), a leap year like every year divisible by 400
        last = 29 if month == 2 and calendar.isleap(year) else calendar.mdays[month]
        if day > last:
            found = None
    return None if found else f"{text!r} is not an xsd:{datatype} (write {form})"


def describe(char: str) -> str:
    """A character by its code point and, where it has one, its name: ``U+2028 LINE SEPARATOR``."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def find_forbidden(text: str, pattern: re.Pattern = CURATED_FORBIDDEN) -> tuple[int, str] | None:
    """The offset and description of the first character of ``text`` that ``pattern`` forbids, or None."""
    found = pattern.search(text)
    return None if found is None else (found.start(), describe(found.group()))
