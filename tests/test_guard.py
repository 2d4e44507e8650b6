"""The query check against the engine: every attack that once passed, and thousands of generated variants, each
judged by ``guard.check_query`` and then run on Oxigraph (in this test process, which may use the network) with a
local listener standing in for the outside world. The check must let through no query that makes the engine
connect, and the two must agree on every variant: what the check refuses as SERVICE, the engine would fetch.
"""

import doctest
import itertools
import random
import socket
import threading

import pyoxigraph as ox
import pytest

from yuetang_kg.web import guard

VARIANTS = 6000


class Listener:
    """A TCP server on 127.0.0.1 that counts connections and closes each at once."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1  # before closing, so the engine sees the close only after the count
            connection.close()

    def close(self):
        self.socket.close()


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.close()


def bypass_corpus(url: str) -> list[str]:
    """Every input that got past the check before it judged the engine's text, and their relatives."""
    service = f"SERVICE <{url}> {{ ?a ?b ?c }}"
    hidden_behind = ["\r", "\r\n", "\f", "\v", "\u2028", "\u2029", "\x85", "\\u000a", "\\u000d", "\\U0000000A",
                     "\x1c", "\x1d", "\x1e", "\x00"]
    corpus = [f"SELECT * WHERE {{ # x{end} {service}\n}}" for end in hidden_behind]
    corpus += [
        f"SELECT * WHERE {{ SERVI\\u0043E <{url}> {{ }} }}",
        f'SELECT * WHERE {{ BIND("\\u0022 #" AS ?x) {service} }}',
        f"SELECT * WHERE {{ BIND('#\\'' AS ?x) {service} }}",
        f'SELECT * WHERE {{ BIND("""#"\n""" AS ?x) {service} }}',
        f"BASE <{url}> SELECT * {{ SERVICE <sparql> {{ }} }}",
        f"PREFIX p: <http://127.0.0.1:{url.split(':')[2].split('/')[0]}/> SELECT * {{ SERVICE p:sparql {{ }} }}",
        f"SELECT * {{ VALUES ?u {{ <{url}> }} SERVICE ?u {{ }} }}",
        f"SELECT * {{ SERVICE SILENT <{url}> {{ }} }}",
        f"SELECT * FROM <{url}> {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{url}> {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"ASK {{ FILTER EXISTS {{ {service} }} }}",
        f"ASK {{ FILTER NOT EXISTS {{ {service} }} }}",
        f"SELECT * {{ {{ SELECT * {{ {service} }} }} }}",
        f"CONSTRUCT {{ ?a ?b ?c }} WHERE {{ {service} }}",
        f"DESCRIBE ?a WHERE {{ {service} }}",
        f"SELECT * {{ OPTIONAL {{ {service} }} }}",
        f"SELECT * {{ {{ }} UNION {{ {service} }} }}",
        f"SELECT * {{ ?s ?p ?o MINUS {{ {service} }} }}",
        f"SELECT * {{ GRAPH ?g {{ {service} }} }}",
        f"LOAD <{url}>",
        f"LOAD SILENT <{url}> INTO GRAPH <urn:g>",
        f"INSERT {{ ?a ?b ?c }} WHERE {{ {service} }}",
        f"select * where {{ service <{url}> {{ }} }}",
        f"SELECT * WHERE {{ #\r\nSERVICE <{url}> {{ }} }}",
        f"SELECT * WHERE {{ <urn:a#> <urn:b> <urn:c> . # \r {service} }}",
    ]
    return corpus


# Pieces the generated variants are made of: something that might hide what follows from one parser but not the
# other, the keyword in every spelling, what stands between it and the IRI, how the IRI is written, and where the
# SERVICE stands.
HIDERS = [""] + [f"# c{end}" for end in ("\n", "\r", "\r\n", "\f", "\v", "\u2028", "\u2029", "\x85", "\\u000a",
                                          "\\u000d", "\\U0000000a", "\t")] + [
    'BIND("#" AS ?h) ', "BIND('#\\'' AS ?h) ", 'BIND("""#"\n""" AS ?h) ', "BIND('''#'\r''' AS ?h) ",
    'BIND("\\u0022#" AS ?h) ', 'BIND("\\"#" AS ?h) ', "?h <urn:x#y> ?g . ", "?h <urn:x#\r> ?g . ",
    "FILTER(?h < 3) # c\r", 'BIND("\\\\" AS ?h) # c\r',
]
KEYWORDS = ["SERVICE", "service", "Service", "sErViCe", "SERVICE SILENT", "service silent", "SERVI\\u0043E"]
GAPS = [" ", "\t", "\n", "\r", "\r\n", "\f", "\u00a0", "\u3000", "#c\n", "#c\r", ""]
IRIS = ["full", "prefixed", "relative", "variable"]
PLACES = ["{}", "OPTIONAL {{ {} }}", "{{ }} UNION {{ {} }}", "?s ?p ?o MINUS {{ {} }}", "FILTER EXISTS {{ {} }}",
          "FILTER NOT EXISTS {{ {} }}", "{{ SELECT * {{ {} }} }}", "GRAPH ?g {{ {} }}"]
FORMS = ["SELECT * WHERE {{ {} }}", "ASK {{ {} }}", "CONSTRUCT {{ ?a ?b ?c }} WHERE {{ {} }}"]


def variant(url: str, hider: str, keyword: str, gap: str, iri: str, place: str, form: str) -> str:
    base, _, path = url.rpartition("/")
    prologue = {"prefixed": f"PREFIX p: <{base}/>\n", "relative": f"BASE <{base}/>\n"}.get(iri, "")
    target = {"full": f"<{url}>", "prefixed": f"p:{path}", "relative": f"<{path}>", "variable": "?u"}[iri]
    values = f"VALUES ?u {{ <{url}> }} " if iri == "variable" else ""
    pattern = f"{values}{hider}{keyword}{gap}{target} {{ ?a ?b ?c }}"
    return prologue + form.format(place.format(pattern))


def generated(url: str, count: int) -> list[tuple[str, bool]]:
    """``count`` variants, each with whether evaluation must reach its SERVICE call: not when the engine may
    skip it by the standard (MINUS sharing no variable, a FILTER that fails first, an ASK already answered by
    the first branch of a UNION) or when its endpoint is a variable that the engine reads unbound there."""
    combos = list(itertools.product(HIDERS, KEYWORDS, GAPS, IRIS, PLACES, FORMS))
    chosen = random.Random(20241206).sample(combos, count)  # fixed seed: the same variants every run
    return [(variant(url, *combo), _reached(*combo)) for combo in chosen]


def _reached(hider, keyword, gap, iri, place, form) -> bool:
    asked_already = form.startswith("ASK") and "UNION" in place
    return iri != "variable" and "MINUS" not in place and "FILTER(" not in hider and not asked_already


def engine_store() -> ox.Store:
    """One triple in the default graph and one in a named graph, so that every pattern around the SERVICE call
    (``?s ?p ?o MINUS``, ``GRAPH ?g``) has something to match and the engine goes on to the call."""
    store = ox.Store()
    s, p, o = ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.NamedNode("urn:o")
    store.add(ox.Quad(s, p, o))
    store.add(ox.Quad(s, p, o, ox.NamedNode("urn:g")))
    return store


def engine_run(listener: Listener, text: str) -> tuple[bool, bool] | None:
    """What Oxigraph did running ``text``: whether it opened a connection, and whether it made or tried a
    SERVICE call (a connection, or an error about the service: ``SERVICE ?u`` with ``?u`` unbound at that
    point); None if it did not parse the text."""
    before = listener.connections
    tried = False
    try:
        answer = engine_store().query(text)
        if not isinstance(answer, (bool, ox.QueryBoolean)):
            list(answer)
    except SyntaxError:
        return None
    except (OSError, RuntimeError) as error:  # the listener closed the connection, or the call could not start
        tried = "service" in str(error).lower() or "http" in str(error).lower()
    connected = listener.connections > before
    return connected, connected or tried


def verdict(text: str):
    """The check's word on ``text``: ("run", the text to run), ("service", …), ("refused", …) or ("malformed", …)."""
    try:
        checked = guard.check_query(text)
    except guard.Refused as error:
        return ("service" if "SERVICE" in str(error) else "refused", str(error))
    except guard.Malformed as error:
        return ("malformed", str(error))
    return ("run", checked.text)


def test_doctests():
    assert doctest.testmod(guard).failed == 0


def test_normal_form_names_the_place_of_what_it_refuses():
    with pytest.raises(guard.Malformed, match="line 2, column 3: the character U\\+2028"):
        guard.normal_form("ASK\n{ \u2028 }")
    with pytest.raises(guard.Malformed, match=r"line 1, column 15: a codepoint escape"):
        guard.normal_form('ASK { FILTER("\\u0041") }')


def test_deep_nesting_is_malformed_not_a_crash():
    with pytest.raises(guard.Malformed, match="nested too deeply"):
        guard.check_query("SELECT * WHERE " + "{" * 300 + "}" * 300)
    with pytest.raises(guard.Malformed, match="nested too deeply"):
        guard.check_query("SELECT (" + "(" * 400 + "1" + ")" * 400 + " AS ?x) {}")


def test_the_bypass_corpus_is_refused_and_nothing_connects(listener):
    for text in bypass_corpus(listener.url):
        kind, detail = verdict(text)
        if kind == "run":
            assert engine_run(listener, detail) in (None, (False, False)), f"let through: {text!r}"
        assert kind != "run" or "DESCRIBE" in text, f"not refused: {text!r}"


def test_check_and_engine_agree_on_generated_variants(listener):
    """Critical: a variant the check lets through never makes the engine call a service. Agreement: a variant
    the check refuses as SERVICE makes the engine call one when run. Variants refused for their characters
    (the normal form) never reach any parser."""
    variants = generated(listener.url, VARIANTS)
    assert len({text for text, _ in variants}) == VARIANTS
    let_through, disagreements, tally = [], [], {"run": 0, "service": 0, "refused": 0, "malformed": 0}
    for text, reached in variants:
        kind, detail = verdict(text)
        tally[kind] += 1
        if kind == "run":
            if engine_run(listener, detail) not in (None, (False, False)):
                let_through.append(text)
        elif kind == "service" and reached and engine_run(listener, guard.normal_form(text)) in (None, (False, False)):
            disagreements.append(text)
    assert let_through == [], f"{len(let_through)} fetching queries passed the check, e.g. {let_through[:3]!r}"
    assert disagreements == [], f"{len(disagreements)} refused but harmless, e.g. {disagreements[:3]!r}"
    # The corpus exercises every verdict: refused SERVICE calls, refused characters, and queries that run.
    assert tally["service"] > VARIANTS / 5 and tally["malformed"] > VARIANTS / 10, tally


@pytest.mark.parametrize(("text", "limit"), [
    ("SELECT * WHERE { ?s ?p ?o }", None),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 7", 7),
    ("SELECT * WHERE { ?s ?p ?o } OFFSET 3 LIMIT 9", 9),
    ("SELECT * WHERE { ?s ?p ?o } ORDER BY ?s OFFSET 5", None),
    ("SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 2 } }", None),  # a subquery's bounds only itself
    ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 4", 4),
    ("ASK {}", None),
])
def test_the_check_reads_the_query_s_own_limit(text, limit):
    """What lets a worker skip counting rows (``workers.answer``): only the outermost LIMIT bounds the answer."""
    assert guard.check_query(text).limit == limit
