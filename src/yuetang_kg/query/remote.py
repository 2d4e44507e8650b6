"""Remote SPARQL 1.1 engines (Oxigraph server, Virtuoso, Fuseki …): upload through the Graph Store Protocol,
query through SPARQLWrapper (a POSTed form), answers as the same ``store.Result`` as the embedded stores.
Every exchange is bounded as a whole by its timeout (``deadline``): SPARQLWrapper's own timeout bounds each
socket read only, so a server sending a byte a second held a query for minutes; here SPARQLWrapper builds the
request and reads the answer, and ``deadline.exchange`` carries it (``BoundedWrapper``).

Parameters on a remote engine: the SPARQL 1.1 Protocol has no way to send variable bindings, so a catalogue
query's parameters are bound by inserting ``VALUES (?a ?b) { (<term> <term>) }`` at the start of the query's
outermost WHERE group, and of each sub-SELECT that projects them (``bind_values``). The terms are the validated parameter values written by rdflib's
``n3()``, so nothing typed by a user lands in the query text raw. The embedded stores bind natively instead.

``--graph`` on a remote query is sent as the protocol's ``default-graph-uri``, which Oxigraph and Virtuoso both
honour; Virtuoso's default graph otherwise is the union of every graph, its system graphs included.
"""

import base64
import io
import json
import re
import urllib.request
from pathlib import Path
from urllib.parse import urlencode
from urllib.response import addinfourl

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper import TURTLE as TURTLE_FORMAT

from ..errors import DataError
from .deadline import Answer, check_url, exchange
from .sparql_text import bind_values, query_form, strip_comments
from .store import Result, capped

RESULTS_JSON = ("application/sparql-results+json", "application/json")
TURTLE = ("text/turtle", "application/x-turtle", "application/turtle", "application/n-triples")


class Incomplete(DataError):
    """The engine stopped the query at its own time limit and answered 200 with part of the result: Virtuoso's
    "anytime" queries, flagged only by the ``X-SQL-State`` header."""

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

    def __init__(self, endpoint: str, graph: str | None = None, timeout_s: float = 30.0, max_bytes: int | None = None):
        self.endpoint = check_url(endpoint, "--endpoint")
        self.graph = graph
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes  # of an answer's body: past it, deadline.TooLarge

    def query(self, sparql: str, bindings: dict[str, Node] | None = None, max_rows: int | None = None) -> Result:
        text = strip_comments(bind_values(sparql, bindings or {}))
        kind = query_form(text)
        if kind is None:
            raise DataError("only SELECT, ASK, CONSTRUCT and DESCRIBE queries run on a remote endpoint", "query")
        graph_answer = kind in ("CONSTRUCT", "DESCRIBE")
        body = self._fetch(text, TURTLE if graph_answer else RESULTS_JSON)
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

    def _fetch(self, text: str, media_types: tuple[str, ...]) -> bytes:
        """POST the query (long catalogue queries would overflow a GET URL) and return the body of its answer,
        which must be a 200 in one of ``media_types``."""
        wrapper = BoundedWrapper(self.endpoint, self.timeout_s, media_types, self.max_bytes)
        wrapper.setQuery(text)
        wrapper.queryType = query_form(text)  # our reading, not SPARQLWrapper's regular expression (strip_comments)
        wrapper.setMethod(POST)
        if self.graph:
            wrapper.addDefaultGraph(self.graph)
        wrapper.setReturnFormat(TURTLE_FORMAT if media_types == TURTLE else JSON)
        return wrapper.query().response.read()


class BoundedWrapper(SPARQLWrapper):
    """SPARQLWrapper whose HTTP exchange is bounded as a whole and whose answer is checked for what it is: a 200
    in one of ``media_types``, not a login page, not Virtuoso's partial "anytime" result."""

    def __init__(self, endpoint: str, timeout_s: float, media_types: tuple[str, ...], max_bytes: int | None = None):
        super().__init__(endpoint)
        self.timeout_s = timeout_s
        self.media_types = media_types
        self.max_bytes = max_bytes

    def _query(self):
        request = self._createRequest()
        answer = exchange(request, self.timeout_s, self.endpoint, self.max_bytes)
        if answer.status != 200:
            raise DataError(f"the endpoint refused the query: HTTP {answer.status}: {answer.excerpt()}",
                            self.endpoint)
        if answer.media_type not in self.media_types:
            raise DataError(f"the endpoint answered {answer.media_type or 'a body of no type'}, not "
                            f"{self.media_types[0]} (a login page or a proxy's error?): {answer.excerpt()[:100]}",
                            self.endpoint)
        # Virtuoso's "anytime" queries answer a timeout with 200 and partial results, flagged only here.
        if answer.headers.get("X-SQL-State") == "S1TAT":
            raise Incomplete(f"the endpoint returned incomplete results: {answer.headers.get('X-SQL-Message')}",
                             self.endpoint)
        return addinfourl(io.BytesIO(answer.body), answer.headers, request.full_url, answer.status), self.returnFormat


def graph_store_url(store_url: str, graph: str | None) -> str:
    """The Graph Store Protocol URL of a graph (``?graph=IRI``) or of the default graph (``?default``).

    >>> graph_store_url("http://127.0.0.1:7878/store", "https://w3id.org/yuetang-kg/graph")
    'http://127.0.0.1:7878/store?graph=https%3A%2F%2Fw3id.org%2Fyuetang-kg%2Fgraph'
    """
    query = urlencode({"graph": graph}) if graph else "default"
    return f"{store_url}{'&' if '?' in store_url else '?'}{query}"


def _head(url: str, headers: dict, timeout_s: float) -> tuple[int, str]:
    """The status of a bodiless request, and the authentication challenge of a 401."""
    answer = exchange(urllib.request.Request(url, method="HEAD", headers=headers), timeout_s, url)
    return answer.status, answer.headers.get("WWW-Authenticate", "")


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
    url = graph_store_url(check_url(store_url, "--endpoint"), graph)
    method = "PUT" if replace else "POST"
    # N-Triples is a subset of Turtle: sent as text/turtle, every Graph Store accepts it.
    body = b"".join(g.serialize(format="nt", encoding="utf-8") for g in graphs)
    headers = {"Content-Type": "text/turtle; charset=utf-8", **_authorization(url, method, credentials, timeout_s)}
    answer = exchange(urllib.request.Request(url, data=body, method=method, headers=headers), timeout_s, url)
    _check_stored(answer, url)
    return answer.status


def upload_files(files: list[Path], store_url: str, graph: str | None = None, replace: bool = True,
                 credentials: tuple[str, str] | None = None, timeout_s: float = 60.0) -> int:
    """Send N-Triples files as ``upload`` sends graphs, streamed from disk (a corpus's dump need not fit in
    memory, nor be parsed): the first file replaces the graph (or adds to it), the others add to it."""
    url = graph_store_url(check_url(store_url, "--endpoint"), graph)
    status = 0
    for number, path in enumerate(files):
        method = "PUT" if replace and number == 0 else "POST"
        headers = {"Content-Type": "text/turtle; charset=utf-8", "Content-Length": str(path.stat().st_size),
                   **_authorization(url, method, credentials, timeout_s)}
        with path.open("rb") as body:
            answer = exchange(urllib.request.Request(url, data=body, method=method, headers=headers), timeout_s, url)
        _check_stored(answer, url)
        status = answer.status
    return status


def _check_stored(answer: Answer, url: str) -> None:
    """Refuse an answer that does not say the graph was stored: the Graph Store Protocol answers 200, 201 or 204,
    with no body or a short status message, never a web page (a login page or a proxy's error answers 200 too)."""
    if answer.status not in (200, 201, 204):
        raise DataError(f"the graph store answered {answer.status}: {answer.excerpt()}", url)
    start = answer.body[:1000].lstrip().lower()
    html = answer.media_type in ("text/html", "application/xhtml+xml") or start.startswith((b"<!doctype html", b"<html"))
    if html and start:  # Virtuoso answers 201 as text/html with an empty body
        title = re.search(r"<title[^>]*>([^<]*)", answer.body[:5000].decode("utf-8", "replace"), re.IGNORECASE)
        page = f"an HTML page ({' '.join(title[1].split())!r})" if title else "an HTML page"
        raise DataError(f"the graph store answered {answer.status} with {page}, not a Graph Store Protocol answer "
                        "(a login page? check --endpoint and the credentials): nothing is known to be stored", url)
