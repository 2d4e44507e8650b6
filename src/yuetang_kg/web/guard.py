"""What the public endpoint refuses before running a query: updates (LOAD among them), SERVICE calls and
FROM / FROM NAMED clauses, and text that does not parse.

The endpoint is read-only and never reaches the network: an update would change the shared store, SERVICE and
LOAD fetch from other servers, and FROM asks the engine to fetch a graph by its IRI (rdflib does exactly that).
Checked with rdflib's SPARQL parser, which tells a query from an update and keeps the parse tree to walk.

>>> check_query("SELECT * WHERE { ?s ?p ?o }")
'SELECT'
>>> try:
...     check_query("DELETE WHERE { ?s ?p ?o }")
... except Refused as error:
...     print(error)
this endpoint is read-only: SPARQL updates (DELETE WHERE) are refused
"""

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


def check_query(text: str) -> str:
    """The query form (SELECT, ASK, CONSTRUCT or DESCRIBE) of a query this endpoint may run.

    Raises Refused for updates, SERVICE and FROM / FROM NAMED, Malformed for text that is not SPARQL.
    """
    try:
        parsed = parseQuery(text)
    except ParseBaseException as error:
        _refuse_if_update(text)
        raise Malformed(f"malformed query at line {error.lineno}, column {error.col}: {error.msg}") from None
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
    return FORMS[query.name]


def _refuse_if_update(text: str) -> None:
    try:
        update = parseUpdate(text)
    except ParseBaseException:
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
