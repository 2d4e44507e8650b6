"""Bounds on what a request may ask of the explorer's endpoints: one short text parameter, no control
characters, numbers in a range. A refusal is a ``BadInput``, answered ``400`` with one line that says what
would be valid (never echoing the input, which may be 100 kB or hold line breaks).

>>> text(QueryParams("q=七星"), "q")
'七星'
>>> text(QueryParams("q=%20%20"), "q")
Traceback (most recent call last):
...
yuetang_kg.web.inputs.BadInput: q is empty: give some text, e.g. q=七星
"""

import unicodedata

from starlette.datastructures import QueryParams
from starlette.responses import PlainTextResponse

MAX_TEXT = 200  # characters: the longest name of the graph is far shorter
MAX_QUERY_STRING = 4096  # bytes of a whole URL query string of these endpoints


class BadInput(ValueError):
    """A parameter out of bounds."""


def check_query_string(query_string: str) -> None:
    if len(query_string) > MAX_QUERY_STRING:
        raise BadInput(f"the query string is over {MAX_QUERY_STRING} bytes")


def text(params: QueryParams, name: str, example: str = "七星", required: bool = True) -> str:
    """A text parameter, stripped: present (when required), at most MAX_TEXT characters, no control character."""
    value = params.get(name, "")
    if len(value) > MAX_TEXT:
        raise BadInput(f"{name} is longer than {MAX_TEXT} characters")
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Cs")), None)
    if bad is not None:
        raise BadInput(f"{name} contains the control character U+{ord(bad):04X}; give plain text")
    value = value.strip()
    if required and not value:
        raise BadInput(f"{name} is empty: give some text, e.g. {name}={example}")
    return value


def integer(params: QueryParams, name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within [low, high]."""
    value = params.get(name)
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise BadInput(f"{name} must be a whole number from {low} to {high}")
    return int(value)


def choice(params: QueryParams, name: str, options: tuple[str, ...]) -> str | None:
    value = params.get(name) or None
    if value is not None and value not in options:
        raise BadInput(f"{name} must be one of {', '.join(options)}")
    return value


def refusal(error: BadInput) -> PlainTextResponse:
    return PlainTextResponse(f"{error}\n", 400)
