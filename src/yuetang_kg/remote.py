"""Remote SPARQL 1.1 engines (Oxigraph server, Virtuoso, Fuseki …): upload through the Graph Store Protocol,
query through SPARQLWrapper, answers as the same ``store.Result`` as the embedded stores.

Parameters on a remote engine: the SPARQL 1.1 Protocol has no way to send variable bindings, so a catalogue
query's parameters are bound by inserting ``VALUES (?a ?b) { (<term> <term>) }`` at the start of the query's
outermost WHERE group (``bind_values``). The terms are the validated parameter values written by rdflib's
``n3()``, so nothing typed by a user lands in the query text raw. The embedded stores bind natively instead.

``--graph`` on a remote query is sent as the protocol's ``default-graph-uri``, which Oxigraph and Virtuoso both
honour; Virtuoso's default graph otherwise is the union of every graph, its system graphs included.
"""

import base64
import json
import re
import urllib.error
import urllib.request
from urllib.parse import urlencode

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from .errors import DataError
from .store import Result, capped

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
_IRI_FORBIDDEN = set('<>"{}|^`\\ \t\n\r')


def strip_comments(text: str) -> str:
    r"""The query without its comments (a catalogue query's ``#+`` header among them), strings and IRIs intact.

    SPARQLWrapper guesses the query form with a regular expression that skips only every other comment line
    (a header line saying "describes" makes it ask for RDF), and a remote engine has no use for them.

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


def bind_values(text: str, bindings: dict[str, Node]) -> str:
    """The query with its parameters bound by a VALUES block at the start of the outermost WHERE group.

    >>> bind_values("SELECT ?l WHERE { ?x rdfs:label ?l }", {"x": URIRef("https://w3id.org/yuetang-kg/id/a")})
    'SELECT ?l WHERE { VALUES (?x) { (<https://w3id.org/yuetang-kg/id/a>) } ?x rdfs:label ?l }'
    """
    if not bindings:
        return text
    names, terms = [], []
    for name, term in bindings.items():
        if not _VARIABLE.fullmatch(name):
            raise DataError(f"not a SPARQL variable name: {name!r}", "-p")
        if isinstance(term, URIRef) and _IRI_FORBIDDEN & set(str(term)):
            raise DataError(f"not an IRI: {str(term)!r}", f"parameter {name}")
        if not isinstance(term, (URIRef, Literal)):
            raise DataError(f"only IRIs and literals can be bound, not {term!r}", f"parameter {name}")
        names.append(f"?{name}")
        terms.append(term.n3())
    at = where_group_start(text)
    block = f" VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"
    return text[:at] + block + text[at:]


def _term(cell: dict) -> Node:
    kind, value = cell["type"], cell["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if "xml:lang" in cell:
        return Literal(value, lang=cell["xml:lang"])
    if "datatype" in cell:  # "typed-literal" too: the SPARQL 1.0 JSON that Virtuoso still writes
        return Literal(value, datatype=URIRef(cell["datatype"]))
    return Literal(value)


class RemoteStore:
    """A SPARQL 1.1 endpoint answering like the embedded stores (``query(sparql, bindings, max_rows)``)."""

    name = "remote"

    def __init__(self, endpoint: str, graph: str | None = None, timeout_s: float = 30.0):
        self.endpoint = endpoint
        self.graph = graph
        self.timeout_s = timeout_s

    def query(self, sparql: str, bindings: dict[str, Node] | None = None, max_rows: int | None = None) -> Result:
        text = strip_comments(bind_values(sparql, bindings or {}))
        kind = query_form(text)
        if kind is None:
            raise DataError("only SELECT, ASK, CONSTRUCT and DESCRIBE queries run on a remote endpoint", "query")
        wrapper = SPARQLWrapper(self.endpoint)
        wrapper.setQuery(text)
        wrapper.queryType = kind  # our reading, not SPARQLWrapper's regular expression (see strip_comments)
        wrapper.setMethod(POST)  # long catalogue queries would overflow a GET URL
        wrapper.setTimeout(max(1, round(self.timeout_s)))
        if self.graph:
            wrapper.addDefaultGraph(self.graph)
        graph_answer = kind in ("CONSTRUCT", "DESCRIBE")
        wrapper.setReturnFormat(TURTLE if graph_answer else JSON)
        body = self._fetch(wrapper)
        if graph_answer:
            graph = Graph()
            try:
                graph.parse(data=body.decode("utf-8"), format="turtle")
            except Exception as error:  # noqa: BLE001 - rdflib raises several parser exception types
                raise DataError(f"the endpoint's Turtle does not parse (cut off?): {error}", self.endpoint) from None
            triples, truncated = capped(iter(graph), max_rows)
            kept = Graph()
            for triple in triples:
                kept.add(triple)
            return Result("CONSTRUCT", graph=kept, truncated=truncated)
        try:
            answer = json.loads(body)
        except ValueError:  # Oxigraph answers a timeout with a 200 whose body is cut off
            raise DataError("the endpoint's answer is cut off (a timeout on its side?)", self.endpoint) from None
        if "boolean" in answer:
            return Result("ASK", boolean=bool(answer["boolean"]))
        variables = answer["head"]["vars"]
        rows, truncated = capped(iter(answer["results"]["bindings"]), max_rows)
        return Result(
            "SELECT",
            variables=variables,
            rows=[tuple(_term(row[v]) if v in row else None for v in variables) for row in rows],
            truncated=truncated,
        )

    def _fetch(self, wrapper: SPARQLWrapper) -> bytes:
        try:
            response = wrapper.query().response
            body = response.read()
        except SPARQLWrapperException as error:
            raise DataError(f"the endpoint refused the query: {error}", self.endpoint) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise DataError(f"cannot reach the endpoint: {error}", self.endpoint) from None
        # Virtuoso's "anytime" queries answer a timeout with 200 and partial results, flagged only here.
        if response.headers.get("X-SQL-State") == "S1TAT":
            raise DataError(f"the endpoint returned incomplete results: {response.headers.get('X-SQL-Message')}",
                            self.endpoint)
        return body


def graph_store_url(store_url: str, graph: str | None) -> str:
    """The Graph Store Protocol URL of a graph (``?graph=IRI``) or of the default graph (``?default``).

    >>> graph_store_url("http://127.0.0.1:7878/store", "https://w3id.org/yuetang-kg/graph")
    'http://127.0.0.1:7878/store?graph=https%3A%2F%2Fw3id.org%2Fyuetang-kg%2Fgraph'
    """
    query = urlencode({"graph": graph}) if graph else "default"
    return f"{store_url}{'&' if '?' in store_url else '?'}{query}"


def _head(url: str, headers: dict, timeout_s: float) -> tuple[int, str]:
    """The status of a bodiless request, and the authentication challenge of a 401."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD", headers=headers), timeout=timeout_s):
            return 200, ""
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("WWW-Authenticate", "")


def _authorization(url: str, method: str, credentials: tuple[str, str] | None, timeout_s: float) -> dict:
    """The Authorization header for a request with a body, answered to a challenge fetched with a bodiless HEAD
    and checked with another.

    A server that refuses a request (Virtuoso, asking for credentials or refusing wrong ones) closes the
    connection while the body is still being sent: a large upload would end in a broken pipe, not in a 401.
    """
    status, challenge = _head(url, {}, timeout_s)
    if status != 401:
        return {}  # the upload itself will say what else may be wrong
    if credentials is None:
        raise DataError("the graph store asks for a user name and password (HTTP 401): give --user and "
                        "--password", url)
    scheme, _, parameters = challenge.partition(" ")
    if scheme.lower() == "basic":
        token = base64.b64encode(":".join(credentials).encode("utf-8")).decode("ascii")

        def answer(request_method: str) -> str:
            return f"Basic {token}"
    elif scheme.lower() == "digest":
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, *credentials)
        digest = urllib.request.HTTPDigestAuthHandler(passwords)
        fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(parameters))

        def answer(request_method: str) -> str:
            return f"Digest {digest.get_authorization(urllib.request.Request(url, method=request_method), fields)}"
    else:
        raise DataError(f"cannot answer the graph store's authentication challenge {challenge!r}", url)
    if _head(url, {"Authorization": answer("HEAD")}, timeout_s)[0] == 401:
        raise DataError("the graph store refused the user name or password (HTTP 401)", url)
    return {"Authorization": answer(method)}


def upload(graphs: list[Graph], store_url: str, graph: str | None = None, replace: bool = True,
           credentials: tuple[str, str] | None = None, timeout_s: float = 60.0) -> int:
    """Send the graphs through the Graph Store Protocol: PUT (replace the graph) or POST (add to it).

    ``credentials`` answer a Digest or Basic challenge (Virtuoso's ``/sparql-graph-crud-auth`` asks Digest).
    Returns the HTTP status; raises DataError naming the URL when the server refuses.
    """
    url = graph_store_url(store_url, graph)
    method = "PUT" if replace else "POST"
    # N-Triples is a subset of Turtle: sent as text/turtle, every Graph Store accepts it.
    body = b"".join(g.serialize(format="nt", encoding="utf-8") for g in graphs)
    try:
        headers = {"Content-Type": "text/turtle; charset=utf-8",
                   **_authorization(url, method, credentials, timeout_s)}
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace").strip()[:300]
        raise DataError(f"the graph store answered {error.code} {error.reason}: {detail}", url) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise DataError(f"cannot reach the graph store: {error}", url) from None
