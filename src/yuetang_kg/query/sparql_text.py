"""SPARQL text read as tokens (comments, strings, IRIs, groups), without a parser: the query's form, its text
without comments, and parameters bound by a ``VALUES`` block written into the outermost WHERE group, and into
every sub-SELECT that hands the parameter's variable out to it.

Binding by ``VALUES`` serves two ends. The SPARQL 1.1 Protocol cannot carry bindings, so a remote engine needs
them in the text; and Oxigraph plans a query with a VALUES block by its indexes, while a value given as a
``substitution`` hides it from the planner (an entity lookup 995× slower at 1.5M triples). The terms are the
validated parameter values written by rdflib's ``n3()``, so nothing typed by a user lands in the text raw; the
query check (``web.guard``) then judges the bound text, which is the text the engine runs. Oxigraph evaluates a
sub-SELECT on its own before joining it, so a block outside it would not bound it: ``place_ancestors`` walked
up from every place of a corpus before it kept the one asked for. Bound inside
too, where the sub-SELECT projects the variable as it is (not as an alias) and has no LIMIT or OFFSET, it answers
the rows it would have kept, no others.
"""

import re
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.term import Node

from ..errors import DataError

_TOKENS = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                  |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<open>\{) | (?P<close>\}) | (?P<paren>[()])
      | (?P<word>[?$]?[^\W\d][\w-]*(?::[\w.-]*)?|:[\w.-]*)
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IRI_FORBIDDEN = set('<>"{}|^`\\')


def writable_iri(text: str) -> bool:
    """Whether ``text`` can be written as an IRIREF (``<…>``): no space, control character or ``<>"{}|^`\\``.

    >>> writable_iri("https://w3id.org/yuetang-kg/id/a"), writable_iri("x> } SERVICE <y"), writable_iri("a\x01")
    (True, False, False)
    """
    return bool(text) and not (_IRI_FORBIDDEN & set(text)) and min(map(ord, text)) > 0x20


def strip_comments(text: str) -> str:
    r"""The query without its comments (a catalogue query's ``#+`` header among them), strings and IRIs intact.

    A remote engine has no use for them, and some tools guess the query form with a regular expression that
    skips only every other comment line (SPARQLWrapper: a header line saying "describes" made it ask for RDF).

    >>> strip_comments('# SELECT\nASK { ?s ?p "#1" } # done')
    '\nASK { ?s ?p "#1" } '
    """
    return "".join("" if t.lastgroup == "comment" else t.group() for t in _TOKENS.finditer(text))


def query_form(text: str) -> str | None:
    r"""SELECT, ASK, CONSTRUCT or DESCRIBE: the first such keyword outside comments, strings and IRIs.

    >>> query_form("# DESCRIBE\nPREFIX ex: <http://e/select#> SELECT * { ?s ex:ask ?o }")
    'SELECT'
    """
    for token in _TOKENS.finditer(text):
        if token.lastgroup == "word" and token.group().upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return token.group().upper()
    return None


def where_group_start(text: str) -> int:
    """The offset just after the ``{`` that opens the query's outermost WHERE group.

    >>> text = "PREFIX ex: <http://e/where#> CONSTRUCT { ?s ex:where ?o } WHERE { ?s ?p ?o }"
    >>> text[:where_group_start(text)]
    'PREFIX ex: <http://e/where#> CONSTRUCT { ?s ex:where ?o } WHERE {'
    """
    form, where_seen, template, braces, parens = None, False, "none", 0, 0
    for token in _TOKENS.finditer(text):
        kind, value = token.lastgroup, token.group()
        if kind == "paren" and braces == 0:
            parens += 1 if value == "(" else -1
        elif kind == "word" and braces == 0 and parens == 0:
            upper = value.upper()
            if form is None and upper in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
                form = upper
            elif upper == "WHERE":
                where_seen = True
        elif kind == "open":
            if braces == 0 and parens == 0:
                if form == "CONSTRUCT" and template == "none" and where_seen:
                    raise DataError("parameters cannot be bound in the short form CONSTRUCT WHERE { … }; write "
                                    "CONSTRUCT { … } WHERE { … }", "query")
                if form == "CONSTRUCT" and template == "none":
                    template = "open"
                else:
                    return token.end()
            braces += 1
        elif kind == "close":
            braces -= 1
            if braces == 0 and template == "open":
                template = "done"
    raise DataError("no WHERE group found to bind the parameters in", "query")


@dataclass
class _SubSelect:
    """A ``{ SELECT … WHERE { … } … }`` inside the query, as read so far."""

    parent: "_SubSelect | None"
    depth: int  # braces open around its SELECT keyword
    projected: set[str] = field(default_factory=set)
    parens: int = 0
    opens: int = -1  # the offset just after the ``{`` of its WHERE group
    state: str = "projection"  # then "group", "modifiers", "done"
    limited: bool = False

    def passes(self, name: str) -> bool:
        """Whether the variable ``name`` of the enclosing query is this sub-SELECT's variable of that name."""
        inside = self.parent is None or self.parent.passes(name)
        return inside and name in self.projected and not self.limited


def sub_selects(text: str) -> list[_SubSelect]:
    """The sub-SELECTs of a query, outermost first, each with the variables it projects as they are.

    >>> [(s.projected, s.limited) for s in sub_selects("SELECT * { { SELECT ?a (1 AS ?b) { ?a ?p ?c } LIMIT 1 } }")]
    [({'a'}, True)]
    """
    found: list[_SubSelect] = []
    braces = 0
    for token in _TOKENS.finditer(text):
        kind, value = token.lastgroup, token.group()
        reading = next((s for s in reversed(found) if s.state == "projection"), None)
        if reading is not None:
            if kind == "paren":
                reading.parens += 1 if value == "(" else -1
            elif kind == "word" and value[0] in "?$" and reading.parens == 0:
                reading.projected.add(value[1:])
        if kind == "word" and braces > 0 and value.upper() == "SELECT":
            within = next((s for s in reversed(found) if s.state == "group"), None)
            found.append(_SubSelect(within, braces))
        elif kind == "word" and value.upper() in ("LIMIT", "OFFSET"):
            for select in found:
                if select.state == "modifiers" and braces == select.depth:
                    select.limited = True
        elif kind == "open":
            braces += 1
            if reading is not None and reading.parens == 0:
                reading.state, reading.opens = "group", token.end()
        elif kind == "close":
            braces -= 1
            for select in found:
                if select.state == "group" and braces == select.depth:
                    select.state = "modifiers"
                elif select.state == "modifiers" and braces == select.depth - 1:
                    select.state = "done"
    return found


def bind_values(text: str, bindings: dict[str, Node]) -> str:
    """The query with its parameters bound by a VALUES block at the start of the outermost WHERE group, and of
    each sub-SELECT that projects the parameter's variable (without LIMIT or OFFSET).

    >>> bind_values("SELECT ?l WHERE { ?x rdfs:label ?l }", {"x": URIRef("https://w3id.org/yuetang-kg/id/a")})
    'SELECT ?l WHERE { VALUES (?x) { (<https://w3id.org/yuetang-kg/id/a>) } ?x rdfs:label ?l }'
    >>> bind_values("SELECT * { { SELECT ?x { ?x ?p ?o } } ?x ?q ?l }", {"x": URIRef("urn:x:a")})
    'SELECT * { VALUES (?x) { (<urn:x:a>) } { SELECT ?x { VALUES (?x) { (<urn:x:a>) } ?x ?p ?o } } ?x ?q ?l }'
    """
    if not bindings:
        return text
    names, terms = [], []
    for name, term in bindings.items():
        if not _VARIABLE.fullmatch(name):
            raise DataError(f"not a SPARQL variable name: {name!r}", "-p")
        if isinstance(term, URIRef) and not writable_iri(str(term)):
            raise DataError(f"not an IRI: {str(term)!r}", f"parameter {name}")
        if not isinstance(term, (URIRef, Literal)):
            raise DataError(f"only IRIs and literals can be bound, not {term!r}", f"parameter {name}")
        names.append(name)
        terms.append(term.n3())

    def block(kept) -> str:
        return f" VALUES ({' '.join(f'?{names[i]}' for i in kept)}) {{ ({' '.join(terms[i] for i in kept)}) }}"

    blocks = [(where_group_start(text), block(range(len(names))))]
    for select in sub_selects(text):
        kept = [i for i, name in enumerate(names) if select.passes(name)]
        if kept:
            blocks.append((select.opens, block(kept)))
    for at, written in sorted(blocks, reverse=True):
        text = text[:at] + written + text[at:]
    return text
