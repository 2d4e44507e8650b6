import doctest
from datetime import date

import pytest

from yuetang_kg.errors import DataError
from yuetang_kg.model import periods
from yuetang_kg.model.periods import date_datatype, parse_period


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024", date(2024, 1, 1), date(2024, 12, 31)),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-12-31", date(2023, 12, 31), date(2023, 12, 31)),
        ("2023..2024", date(2023, 1, 1), date(2024, 12, 31)),
    ],
)
def test_periods(text, start, end):
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["2024-Q5", "last year", "2024-13", "2025..2024"])
def test_bad_period_names_the_forms(text):
    with pytest.raises(DataError, match="YYYY-Qn"):
        parse_period(text, "f.yaml:1")


@pytest.mark.parametrize("text", ["yearly", "recent-years"])
def test_periods_whose_year_the_source_does_not_give_have_no_dates(text):
    period = parse_period(text)
    assert (period.start, period.end, period.kind) == (None, None, text)


def test_doctests():
    assert doctest.testmod(periods).failed == 0


def test_date_datatypes():
    assert [date_datatype(d) for d in ("2024", "2024-02", "2024-07-22")] == ["gYear", "gYearMonth", "date"]
