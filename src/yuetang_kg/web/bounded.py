r"""Queries whose shape bounds their cost, which the server answers itself, without a worker.

A worker exists to stop a query that runs too long or grows too big, and to keep a query whose check missed
something from reaching the network (see ``workers``). The exchange with it is most of a cheap query's cost
(benchmarks/README.md). Some queries need none of that, by their shape alone:

    PREFIX p: <…>            (any number, each declared once)
    SELECT ?a ?b | *         (variables only, no expression, no DISTINCT)
    WHERE { s p o }          (one triple pattern of IRIs, prefixed names and distinct variables, ``a``)
    LIMIT n OFFSET m         (n ≤ 100, m ≤ 1,000; OFFSET optional)

Oxigraph answers such a query by reading one of its indexes from the pattern's constants on, and stops after
``m + n`` entries: no join, no filter that could scan the store for a match that never comes (a variable used
twice in the pattern is such a filter, so it is not accepted), no sort, no path. Nothing in it can name another
server. The text must match that grammar whole, and the grammar is written here with no help from a SPARQL
parser, so that what is judged is the text the engine runs: anything else (a comment, a literal, a blank node,
a second pattern, a relative IRI, a longer text) goes to a worker as before. Matched, the text passes the
guard's check unchanged: ``check`` gives the same ``guard.Checked`` as ``guard.check_query`` (tested).

>>> check("SELECT ?s WHERE { ?s a <https://w3id.org/yuetang-kg/ontology#Village> } LIMIT 10").limit
10
>>> check("SELECT ?s WHERE { ?s ?p ?s } LIMIT 10") is None  # the same variable twice: a scan for equal terms
True
"""

import re

from .guard import Checked, Malformed, normal_form

MAX_ROWS = 100
MAX_OFFSET = 1_000
MAX_CHARS = 2_000  # the grammar holds no nesting, and a short text is matched in microseconds

_WS, _WS1 = r"[ \t\n]*", r"[ \t\n]+"
_IRI = r"<[A-Za-z][A-Za-z0-9+.-]*:[^<>\"{}|^`\\\x00-\x20]*>"  # absolute: no BASE to resolve against
_PREFIX = r"(?:[A-Za-z](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?:"
_PNAME = _PREFIX + r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?"
_VAR = r"[?$][A-Za-z0-9_]+"
_TERM = f"(?:{_VAR}|{_IRI}|{_PNAME})"
_NUMBER = r"[0-9]{1,7}"
_QUERY = re.compile(
    f"{_WS}(?P<prologue>(?:(?i:PREFIX){_WS1}{_PREFIX}{_WS}{_IRI}{_WS})*)"
    f"(?i:SELECT){_WS}(?P<projection>\\*|{_VAR}(?:{_WS1}{_VAR})*){_WS}(?:(?i:WHERE){_WS})?"
    f"\\{{{_WS}(?P<s>{_TERM}){_WS1}(?P<p>{_TERM}|a){_WS1}(?P<o>{_TERM}){_WS}(?:\\.{_WS})?\\}}{_WS}"
    f"(?:(?i:LIMIT){_WS1}(?P<limit>{_NUMBER})(?:{_WS1}(?i:OFFSET){_WS1}(?P<offset>{_NUMBER}))?"
    f"|(?i:OFFSET){_WS1}(?P<offset_first>{_NUMBER}){_WS1}(?i:LIMIT){_WS1}(?P<limit_last>{_NUMBER})){_WS}"
)
_DECLARED = re.compile(f"(?i:PREFIX){_WS1}({_PREFIX})")
_USED = re.compile(f"^({_PREFIX})")


def check(text: str) -> Checked | None:
    """The guard's ``Checked`` of ``text`` when its shape bounds its cost (see the module's note), else None."""
    if len(text) > MAX_CHARS:
        return None
    try:
        text = normal_form(text)
    except Malformed:  # the guard's words, from the worker
        return None
    found = _QUERY.fullmatch(text)
    if found is None:
        return None
    limit = int(found["limit"] or found["limit_last"])
    offset = int(found["offset"] or found["offset_first"] or 0)
    declared = _DECLARED.findall(found["prologue"])
    pattern = [found[part] for part in "spo"]
    variables = [term[1:] for term in pattern if term[0] in "?$"]
    projected = [term[1:] for term in found["projection"].split()] if found["projection"] != "*" else []
    used = {m.group(1) for term in pattern if term[0] not in "?$<" and (m := _USED.match(term))}
    if (limit > MAX_ROWS or offset > MAX_OFFSET or len(set(declared)) < len(declared) or not used <= set(declared)
            or len(set(variables)) < len(variables) or len(set(projected)) < len(projected)):
        return None
    return Checked("SELECT", text, limit)
