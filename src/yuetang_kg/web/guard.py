r"""What the public endpoint refuses before running a query: updates (LOAD among them), SERVICE calls and
FROM / FROM NAMED clauses, and text that does not parse.

The endpoint is read-only and never reaches the network: an update would change the shared store, SERVICE and
LOAD fetch from other servers, and FROM asks the engine to fetch a graph by its IRI (rdflib does exactly that).
Checked with rdflib's SPARQL parser, which tells a query from an update and keeps the parse tree to walk.

The check must judge the text the engine runs, and two parsers read some characters differently: Oxigraph ends
a ``#`` comment at a carriage return as the standard says, rdflib only at a line feed, so a SERVICE hidden
behind ``\r`` passed rdflib's check and ran on Oxigraph. So ``check_query`` first brings the text to a normal
form in which the two cannot differ (line ends as ``\n``; no ``\u`` escape, which the standard unescapes before
parsing and parsers apply in different places; no control character or line separator that some reader takes
for a line end) and returns that text: the checked text is the text the engine runs.

>>> check_query("SELECT * WHERE { ?s ?p ?o }").form
'SELECT'
>>> try:
...     check_query("DELETE WHERE { ?s ?p ?o }")
... except Refused as error:
...     print(error)
this endpoint is read-only: SPARQL updates (DELETE WHERE) are refused
>>> check_query("ASK { # a comment\r ?s ?p ?o }").text
'ASK { # a comment\n ?s ?p ?o }'
"""

import re
from dataclasses import dataclass

from pyparsing import ParseBaseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}
# Update operations by their grammar names, to name them in the refusal.
_UPDATE_NAMES = {
    "Load": "LOAD", "Clear": "CLEAR", "Drop": "DROP", "Create": "CREATE", "Add": "ADD", "Move": "MOVE",
    "Copy": "COPY", "InsertData": "INSERT DATA", "DeleteData": "DELETE DATA", "DeleteWhere": "DELETE WHERE",
    "Modify": "DELETE/INSERT",
}


class Malformed(ValueError):
    """The text is not SPARQL; the message gives the parser's words and the line and column."""


class Refused(ValueError):
    """Valid SPARQL that this endpoint does not run."""


@dataclass(frozen=True)
class Checked:
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    text: str  # the normal form that was checked: run this, never the text as received
    limit: int | None = None  # the query's own LIMIT (outermost), which bounds its answer


# Characters outside the normal form: C0 controls but tab and line feed, DEL, C1 controls (U+0085 among them),
# the Unicode line and paragraph separators, and the non-characters U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
# Exactly what makes Oxigraph unescape: a backslash followed by u or U, wherever it stands.
_CODEPOINT_ESCAPE = re.compile(r"\\[uU]")


def normal_form(text: str) -> str:
    r"""The text with line ends as ``\n``; Malformed if it holds a codepoint escape or a forbidden character.

    >>> normal_form("SELECT *\r\nWHERE {}\r")
    'SELECT *\nWHERE {}\n'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for pattern, what in ((_CODEPOINT_ESCAPE, "a codepoint escape (\\u or \\U)"), (_FORBIDDEN, None)):
        found = pattern.search(text)
        if found:
            line = text.count("\n", 0, found.start()) + 1
            column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
            name = what or f"the character U+{ord(found.group()):04X}"
            raise Malformed(f"malformed query at line {line}, column {column}: {name} is not accepted here; "
                            "write the character itself (inside strings, \\t \\n \\r are fine)")
    return text


def check_query(text: str) -> Checked:
    """The normal form and query form (SELECT, ASK, CONSTRUCT or DESCRIBE) of a query this endpoint may run.

    Raises Refused for updates, SERVICE and FROM / FROM NAMED, Malformed for text that is not SPARQL.
    """
    text = normal_form(text)
    try:
        parsed = parseQuery(text)
    except ParseBaseException as error:
        _refuse_if_update(text)
        raise Malformed(f"malformed query at line {error.lineno}, column {error.col}: {error.msg}") from None
    except RecursionError:
        raise Malformed("malformed query: groups and expressions are nested too deeply") from None
    prologue, query = parsed
    declared = {_prefix(decl) for decl in prologue if decl.name == "PrefixDecl"}
    undeclared = sorted({_prefix(node) for node in _nodes(query) if node.name == "pname"} - declared)
    if undeclared:  # the engines report it by a list of expected characters; name the prefix instead
        names = " ".join(f"{u}:" for u in undeclared)
        raise Malformed(f"malformed query: undeclared prefix {names} (add PREFIX {undeclared[0]}: <…>)")
    if "datasetClause" in query:
        raise Refused("FROM and FROM NAMED are refused: this endpoint answers from its own dataset only and "
                      "never fetches graphs by IRI; use GRAPH <iri> { … } to pick a named graph")
    if any(node.name == "ServiceGraphPattern" for node in _nodes(query)):
        raise Refused("SERVICE is refused: this endpoint never sends queries to other servers")
    return Checked(FORMS[query.name], text, _limit(query))


def _limit(query) -> int | None:
    # ``CompValue.get`` answers a missing key with the key itself: ask with ``in``.
    if "limitoffset" not in query or "limit" not in query["limitoffset"]:
        return None
    return int(query["limitoffset"]["limit"])


def _refuse_if_update(text: str) -> None:
    try:
        update = parseUpdate(text)
    except (ParseBaseException, RecursionError):
        return
    if not update.request:  # empty text and a bare prologue are valid (empty) updates: report them as malformed
        return
    operations = ", ".join(dict.fromkeys(_UPDATE_NAMES.get(op.name, op.name) for op in update.request))
    raise Refused(f"this endpoint is read-only: SPARQL updates ({operations}) are refused")


def _prefix(node: CompValue) -> str:
    # The empty prefix (":x") has no "prefix" key, and CompValue.get answers the key's name for a missing key.
    return node["prefix"] if "prefix" in node else ""  # noqa: SIM401


def _nodes(tree):
    """Every CompValue of a parse tree, depth first."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)) or hasattr(item, "asList"):
            stack.extend(item)
