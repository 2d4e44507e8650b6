"""The Python API (``yuetang_kg.open``): catalogue queries and SPARQL as typed DataFrames or plain rows,
parameters by keyword (entity names for IRIs), paths, the NetworkX graph, inline views; the public surface."""

import doctest
import html
import re
import time

import pandas as pd
import pytest
from conftest import require_binary
from rdflib import XSD, BNode, Literal, URIRef

import yuetang_kg
from yuetang_kg.errors import DataError
from yuetang_kg.explore import inline
from yuetang_kg.query import frames
from yuetang_kg.query.store import Result

QIXING = "https://w3id.org/yuetang-kg/id/place/zhaoshan-qixing-cun"


@pytest.fixture(scope="module")
def kg(built, repo_paths):
    return yuetang_kg.open(data=repo_paths.data, ontology=repo_paths.ontology, out=built.outputs[0].parent,
                           queries=repo_paths.queries, viz=repo_paths.ontology.parent / "viz")


def test_the_public_api_is_pinned():
    assert yuetang_kg.__all__ == ["DataError", "InlineView", "KnowledgeGraph", "__version__", "open"]
    for name in yuetang_kg.__all__:
        assert getattr(yuetang_kg, name) is not None
    assert yuetang_kg.DataError is DataError
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        yuetang_kg.nothing  # noqa: B018


@pytest.mark.parametrize("module", [frames, inline])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def test_village_industries_has_numeric_columns(kg):
    table = kg.query("village_industries")
    assert len(table) > 10
    assert table["begin"].dtype == "int64" and table["end"].dtype == "int64"
    assert table["place"].dtype == "str" and table["place"].str.startswith("https://").all()
    assert QIXING in set(table["place"])


def test_before_after_figures_are_floats_and_missing_offsets_nullable(kg):
    changes = kg.query("observation_changes")
    assert changes["newValue"].dtype == "float64" and changes["percentChange"].dtype == "float64"
    # Not every change is stated by the article: its offsets are missing there, so the column is nullable.
    assert changes["statedBegin"].dtype == "Int64" and changes["statedBegin"].isna().any()
    assert ((changes["oldValue"] == 2632e4) & (changes["newValue"] == 8157e4)).any()


def test_column_types_follow_the_datatypes():
    iri, blank = URIRef("https://example.org/a"), BNode("b")
    result = Result("SELECT", ["i", "n", "d", "b", "t", "m", "s"], [
        (iri, Literal(1), Literal("1.5", datatype=XSD.decimal), Literal(True),
         Literal("2024", datatype=XSD.gYear), Literal(2), Literal("x", lang="zh")),
        (blank, None, Literal(2), Literal(False), Literal("2024-06-01", datatype=XSD.date), Literal("y"), None),
    ])
    table = frames.frame(result)
    assert dict(table.dtypes.astype(str)) == {"i": "str", "n": "Int64", "d": "float64", "b": "boolean",
                                             "t": "datetime64[us]", "m": "str", "s": "str"}
    assert list(table["t"]) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-06-01")]
    assert frames.rows(result)[1] == {"i": "b", "n": None, "d": 2, "b": False,
                                      "t": Literal("2024-06-01", datatype=XSD.date).toPython(), "m": "y", "s": None}


def test_labels_in_a_chosen_language(kg):
    english = kg.query("place_ancestors", place=QIXING, labels="en")
    chinese = kg.query("place_ancestors", place=QIXING, labels="zh")
    assert "place_label" in english and "place_label" not in kg.query("place_ancestors", place=QIXING)
    assert set(english["place_label"]) == {"Qixing Village"} and set(chinese["place_label"]) == {"七星村"}
    with pytest.raises(DataError, match="labels: labels are in zh or en, got 'fr'"):
        kg.query("place_ancestors", labels="fr")


def test_parameters_by_keyword_take_names_for_iris(kg):
    by_name, by_iri = kg.query("place_ancestors", place="七星村"), kg.query("place_ancestors", place=QIXING)
    assert by_name.equals(by_iri) and len(by_name) > 0
    path = kg.query("place_path", from_="七星村", to="湘潭市")
    assert len(path) > 0
    with pytest.raises(DataError, match="has no parameter nowhere"):
        kg.query("place_ancestors", nowhere="x")
    with pytest.raises(DataError, match="no query named 'nothing'"):
        kg.query("nothing")


def test_sparql_and_plain_rows(kg):
    count = kg.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert count["n"].dtype == "int64" and count["n"][0] == len(kg.data) + len(kg.ontology)
    assert kg.sparql("ASK { ?s ?p ?o }")["answer"].tolist() == [True]
    rows = kg.rows("village_industries")
    assert isinstance(rows[0]["begin"], int) and rows[0]["place"].startswith("https://")
    assert kg.rows("place_ancestors", place="七星村") == kg.rows("place_ancestors", place=QIXING)
    with pytest.raises(DataError, match="keyword parameters bind catalogue queries only"):
        kg.rows("SELECT * WHERE { ?s ?p ?o }", place="x")
    with pytest.raises(DataError, match="answers a graph"):
        kg.sparql("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1")


def test_path_and_networkx(kg):
    hops = kg.path("七星村", "长株潭")
    assert hops[0]["from"] == QIXING and hops[-1]["to_zh"].startswith("长株潭")
    assert all(hop["evidence"] or hop["references"] for hop in hops)
    assert kg.networkx.nodes[QIXING]["label_zh"] == "七星村"


def test_view_shows_inline_as_a_sandboxed_self_contained_page(kg):
    view = kg.view("ego", entity="七星村")
    cell = view._repr_html_()
    frame = re.fullmatch(r'<iframe title="[^"]*" srcdoc="([^"]*)" sandbox="allow-scripts" style="[^"]*"></iframe>',
                         cell)
    assert frame, cell[:200]
    page = html.unescape(frame.group(1))
    assert page == view.html and "七星村" in page
    # The page keeps its own policy: inline scripts by hash only, nothing fetched from anywhere.
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', page)
    with pytest.raises(DataError, match="no view named 'nowhere'"):
        kg.view("nowhere")


def test_view_saves_a_file(kg, tmp_path):
    path = kg.view("admin").save(tmp_path / "admin.html")
    assert path.read_text(encoding="utf-8") == kg.view("admin").html


def test_inline_view_draws_in_a_browser_frame(kg, tmp_path):
    """The cell's HTML, as a notebook front end puts it in its page: the sandboxed frame draws the graph and
    nothing is fetched from anywhere (the VS Code case: no file behind the frame)."""
    chromium = require_binary("chromium")
    from playwright.sync_api import sync_playwright

    host = tmp_path / "notebook.html"
    cell = kg.view("ego", entity="七星村")._repr_html_()
    host.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>{cell}</body></html>',
                    encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                                       "--disable-background-networking"])
        try:
            page = browser.new_page()
            fetched = []
            page.on("request", lambda request: fetched.append(request.url))
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(host.as_uri())
            frame = next(f for f in page.frames if f is not page.main_frame)
            deadline = time.monotonic() + 30
            while not frame.evaluate("() => Boolean(window.yuetangView && window.yuetangView.ready)"):
                assert time.monotonic() < deadline, "the view never settled in its frame"
                page.wait_for_timeout(50)
            drawn = frame.evaluate("""() => {
              const canvas = document.querySelector('#mynetwork canvas');
              const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
              let count = 0;
              for (let i = 0; i < data.length; i += 4) if (data[i + 3] && data[i] < 240) count++;
              return count;
            }""")
        finally:
            browser.close()
    assert drawn > 2000 and not errors
    assert fetched == [host.as_uri()]
