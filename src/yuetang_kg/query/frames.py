"""Query answers for Python: plain rows of Python values, or pandas DataFrames with typed columns.

A column's dtype follows the datatypes of its cells: integers as ``int64`` (``Int64`` when some rows have no
value), decimals and doubles as ``float64``, booleans as ``boolean``, dates, times and years as ``datetime64``,
everything else (IRIs, texts in any language, mixed columns) as strings. pandas is an optional extra
(``pip install yuetang-kg[pandas]``); ``rows`` needs nothing.

>>> from rdflib import Literal, URIRef, XSD
>>> from yuetang_kg.query.store import Result
>>> answer = Result("SELECT", ["place", "value"], [(URIRef("https://example.org/a"), Literal(269))])
>>> rows(answer)
[{'place': 'https://example.org/a', 'value': 269}]
"""

from collections.abc import Callable
from datetime import date, datetime

from rdflib import XSD, Literal
from rdflib.term import Node

from ..errors import DataError
from .store import Result

INTEGERS = frozenset(XSD[name] for name in (
    "integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long", "int",
    "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"))
FLOATS = frozenset({XSD.decimal, XSD.double, XSD.float})
# Lexical forms pandas reads as a point in time (a year as its first day).
TIMES = frozenset({XSD.date, XSD.dateTime, XSD.dateTimeStamp, XSD.gYear, XSD.gYearMonth})


def value(term: Node | None):
    """A cell as a Python value: an IRI or blank node as its text, a literal as its Python value (int,
    Decimal, float, bool, date, datetime or str), no value as None."""
    if term is None:
        return None
    if isinstance(term, Literal):
        python = term.toPython()
        # rdflib answers an ill-typed literal (or an unknown datatype) with the Literal itself
        return str(term) if isinstance(python, Literal) else python
    return str(term)


def rows(result: Result) -> list[dict]:
    """A SELECT answer as one dict per row (variable → Python value); an ASK answer as ``[{"answer": bool}]``."""
    if result.kind == "ASK":
        return [{"answer": result.boolean}]
    if result.kind != "SELECT":
        raise DataError(f"a {result.kind} query answers a graph, not rows: use a SELECT query", "query")
    return [dict(zip(result.variables, (value(term) for term in row))) for row in result.rows]


def _kind(term: Node | None) -> str | None:
    if term is None:
        return None
    if not isinstance(term, Literal) or term.language:
        return "text"
    if term.datatype in INTEGERS:
        return "integer"
    if term.datatype in FLOATS:
        return "float"
    if term.datatype == XSD.boolean:
        return "boolean"
    if term.datatype in TIMES:
        return "time"
    return "text"


def _column(pd, cells: list[Node | None]):
    kinds = {k for k in map(_kind, cells) if k is not None}
    missing = any(cell is None for cell in cells)
    if kinds == {"integer"}:
        return pd.array([None if c is None else int(c) for c in cells], dtype="Int64" if missing else "int64")
    if kinds <= {"integer", "float"} and kinds:
        return pd.array([None if c is None else float(c) for c in cells], dtype="float64")
    if kinds == {"boolean"}:
        return pd.array([None if c is None else bool(c.toPython()) for c in cells], dtype="boolean")
    if kinds == {"time"}:
        return pd.to_datetime([None if c is None else _instant(c) for c in cells])
    return pd.array([None if c is None else str(c) for c in cells], dtype="str")


def _instant(term: Literal) -> str:
    """The lexical form pandas reads: a gYear ``2024`` as ``2024-01-01``, a gYearMonth as its first day."""
    text = str(term)
    if term.datatype == XSD.gYear:
        return f"{text[:4]}-01-01"
    if term.datatype == XSD.gYearMonth:
        return f"{text[:7]}-01"
    python = term.toPython()
    return python.isoformat() if isinstance(python, date | datetime) else text


def frame(result: Result, label: Callable[[str], str | None] | None = None):
    """A SELECT answer as a pandas DataFrame with typed columns (see the module's docstring). With ``label``
    (an IRI → its label, or None), each column holding IRIs gets a ``<column>_label`` column beside it."""
    pd = pandas()
    if result.kind == "ASK":
        return pd.DataFrame({"answer": pd.array([result.boolean], dtype="boolean")})
    if result.kind != "SELECT":
        raise DataError(f"a {result.kind} query answers a graph, not a table: use a SELECT query", "query")
    columns = {}
    for index, name in enumerate(result.variables):
        cells = [row[index] for row in result.rows]
        columns[name] = _column(pd, cells)
        if label is not None and any(_kind(c) == "text" and not isinstance(c, Literal) for c in cells):
            labels = [None if c is None or isinstance(c, Literal) else label(str(c)) for c in cells]
            columns[f"{name}_label"] = pd.array(labels, dtype="str")
    return pd.DataFrame(columns, index=pd.RangeIndex(len(result.rows)))


def pandas():
    """The pandas module, or a DataError that says how to install it (it is an optional extra)."""
    try:
        import pandas as pd
    except ImportError:
        raise DataError("pandas is not installed: pip install 'yuetang-kg[pandas]', or ask for rows() instead",
                        "pandas") from None
    return pd
