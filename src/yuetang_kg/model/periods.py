"""Periods of observations and dates of events, as written in the facts (already resolved to calendar time),
and the two kinds of period that have no calendar dates because the source gives none: a yearly figure whose
year is not stated (``yearly``) and ``recent-years`` (近年来). A year the source does not give is never guessed.

>>> parse_period("2024-Q1")
Period(id='2024-Q1', start=datetime.date(2024, 1, 1), end=datetime.date(2024, 3, 31), kind='calendar')
>>> parse_period("2023..2024").end
datetime.date(2024, 12, 31)
>>> parse_period("yearly").start is None
True
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date

from ..errors import DataError
from ..literals import lexical_error

# The kinds of period without calendar dates, by their written form.
UNDATED = {"yearly": "yearly", "recent-years": "recent-years"}
_FORMS = "YYYY, YYYY-Qn, YYYY-MM, YYYY-MM-DD, YYYY..YYYY, yearly (每年, year not stated) or recent-years (近年来)"


@dataclass(frozen=True)
class Period:
    id: str
    start: date | None
    end: date | None
    kind: str = "calendar"


def _year(text: str) -> tuple[date, date]:
    year = int(text)
    return date(year, 1, 1), date(year, 12, 31)


def parse_period(text: str, where: str | None = None) -> Period:
    """A period from its written form; the id doubles as the IRI slug."""
    if text in UNDATED:
        return Period(text, None, None, UNDATED[text])
    try:
        if m := re.fullmatch(r"(\d{4})", text):
            start, end = _year(m[1])
        elif m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
            year, quarter = int(m[1]), int(m[2])
            last = quarter * 3
            start = date(year, last - 2, 1)
            end = date(year, last, calendar.monthrange(year, last)[1])
        elif m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            year, month = int(m[1]), int(m[2])
            start, end = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        elif m := re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            start = end = date.fromisoformat(text)
        elif m := re.fullmatch(r"(\d{4})\.\.(\d{4})", text):
            start, end = _year(m[1])[0], _year(m[2])[1]
            if start > end:
                raise ValueError("the span ends before it starts")
        else:
            raise ValueError("unrecognised form")
    except ValueError as error:
        raise DataError(f"bad period {text!r} ({error}); write {_FORMS}", where) from None
    return Period(text.replace("..", "-to-"), start, end)


def date_datatype(text: str, where: str | None = None) -> str:
    """The XSD datatype name for an event date: gYear, gYearMonth or date (a real day of the calendar).

    >>> date_datatype("2024-07")
    'gYearMonth'
    """
    for pattern, datatype in ((r"\d{4}", "gYear"), (r"\d{4}-\d{2}", "gYearMonth"), (r"\d{4}-\d{2}-\d{2}", "date")):
        if re.fullmatch(pattern, text) and lexical_error(text, datatype) is None:
            return datatype
    raise DataError(f"bad date {text!r}; write YYYY, YYYY-MM or YYYY-MM-DD (a real month and day)", where)
