"""The view definitions of viz/views.yaml and the offline HTML pages `viz` writes from them (the pages are
opened in a real browser by test_browser.py)."""

import re

import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, Graph, Literal

from yuetang_kg.cli import main
from yuetang_kg.errors import DataError
from yuetang_kg.explore import views
from yuetang_kg.explore.project import to_networkx
from yuetang_kg.namespaces import ID, YKG

XSS = "<img src=x onerror=window.__xss=1>"


@pytest.fixture(scope="module")
def view_set(repo_paths):
    return views.load_views(repo_paths.data.parent / "viz")


@pytest.fixture(scope="module")
def written(projection, view_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("viz")
    return views.write_views(projection, view_set, out) + views.write_views(
        projection, view_set, out, ["ego"], "七星村"
    )


def test_the_required_views_are_defined(view_set):
    assert {
        "whole",
        "admin",
        "village-industries",
        "enterprises-products",
        "initiatives-domains",
        "people-posts",
        "ego",
    } <= set(view_set.views)


def test_every_view_shows_only_its_relations_and_classes(projection, view_set):
    for view in view_set.views.values():
        center = views.center_of(projection, view, "七星村")
        part = views.select(projection, view, center)
        assert part.number_of_nodes() > 0, view.name
        for a, b, data in part.edges(data=True):
            if view.edges:
                assert data["name"] in view.edges, (view.name, data["name"])
                assert not view.source or set(part.nodes[a]["classes"]) & set(view.source), (view.name, a)
                assert not view.target or set(part.nodes[b]["classes"]) & set(view.target), (view.name, b)


def test_administrative_hierarchy_nests_the_village(projection, view_set):
    part = views.select(projection, view_set.views["admin"])
    names = {data["label_zh"] for _, data in part.nodes(data=True)}
    assert {"七星村", "昭山镇", "岳塘区", "湘潭市"} <= names


def test_views_are_self_contained_utf8_and_deterministic(written, projection, view_set, tmp_path):
    names = {p.name for p in written}
    assert {f"{v}.html" for v in view_set.views if v != "ego"} | {
        "ego-zhaoshan-qixing-cun.html",
        "index.html",
    } <= names
    for path in written:
        page = path.read_bytes().decode("utf-8")  # fails unless UTF-8
        assert not re.search(
            r"""<(script|link|img|iframe)\b[^>]*(src|href)\s*=\s*["']?(https?:)?//""", page
        ), path
        assert "cdn.jsdelivr" not in page and "cdnjs" not in page
        assert 'http-equiv="Content-Security-Policy"' in page
        if path.name != "index.html":
            assert "vis.Network" in page and 'id="view-search"' in page and 'class="legend"' in page
    again = views.write_views(projection, view_set, tmp_path, ["admin"])
    assert again[0].read_bytes() == next(p for p in written if p.name == "admin.html").read_bytes()


def test_legend_lists_every_class_shown(projection, view_set):
    part = views.select(projection, view_set.views["village-industries"])
    nodes, _, legend = views.vis_data(part, view_set)
    assert {e["type"] for e in legend} == {part.nodes[n]["type"] for n in part.nodes}
    colours = {(e["color"], e["shape"]) for e in legend}
    assert {(n["color"], n["shape"]) for n in nodes} <= colours


def test_hover_shows_labels_type_and_evidence(projection, view_set):
    village = next(n for n, d in projection.nodes(data=True) if d["label_zh"] == "七星村")
    nodes, edges, _ = views.vis_data(views.select(projection, view_set.views["ego"], village), view_set)
    title = next(n["title"] for n in nodes if n["id"] == village)
    assert title.startswith("七星村 · Qixing Village\nQīxīng Cūn\n类型 type: 村 · village\n证据 evidence: “")
    assert all("“" in e["title"] or "reference" in e["title"] for e in edges)


def hostile_projection():
    graph = Graph()
    a, b = ID["place/a"], ID["place/b"]
    for node, label in ((a, XSS), (b, '<a href="javascript:window.__xss=2">x</a>')):
        graph.add((node, RDF.type, YKG.Village))
        graph.add((node, RDFS.label, Literal(label, lang="zh")))
        graph.add((node, RDFS.label, Literal("</script><script>window.__xss=3</script>", lang="en")))
    graph.add((a, YKG.locatedIn, b))
    return to_networkx(graph)


def test_hostile_labels_are_never_markup(view_set):
    page = views.render(hostile_projection(), view_set, view_set.views["whole"])
    assert XSS not in page and "<a href=" not in page and "<script>window.__xss" not in page
    assert "div.popup" not in page  # pyvis' innerHTML tooltip stays off even with "href" in a title
    assert "\\u003cimg src=x onerror=window.__xss=1\\u003e" in page  # the label is data, escaped for <script>


def test_a_hostile_view_title_is_escaped(tmp_path, repo_paths):
    source = (repo_paths.data.parent / "viz" / "views.yaml").read_text(encoding="utf-8")
    (tmp_path / "views.yaml").write_text(
        source.replace("title_zh: 全图", f"title_zh: '{XSS}'"), encoding="utf-8"
    )
    hostile = views.load_views(tmp_path)
    page = views.render(hostile_projection(), hostile, hostile.views["whole"])
    assert "<h1>&lt;img src=x onerror=window.__xss=1&gt; · The whole graph</h1>" in page


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("name: whole\n", "name: whole\n    colour: red\n", r"view 1 \(whole\): unknown key\(s\) colour"),
        (
            'Village: {color: "#66bb6a", shape: dot}',
            "Village: {color: green, shape: dot}",
            "style Village: colour must",
        ),
        ("ego: {radius: 1}", "ego: {radius: 0}", r"ego is \{radius: N\}"),
        ("name: admin\n", "name: whole\n", "duplicate view name 'whole'"),
    ],
)
def test_bad_definitions_name_the_file_and_view(tmp_path, repo_paths, old, new, message):
    source = (repo_paths.data.parent / "viz" / "views.yaml").read_text(encoding="utf-8")
    assert old in source
    (tmp_path / "views.yaml").write_text(source.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataError, match=message) as error:
        views.load_views(tmp_path)
    assert "views.yaml" in str(error.value)


def test_viz_command(cli_paths, repo_paths, tmp_path):
    options = [*cli_paths, "--viz", str(repo_paths.data.parent / "viz")]
    runner = CliRunner()
    result = runner.invoke(main, ["viz", "ego", "--entity", "七星村", "-o", str(tmp_path), *options])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ego-zhaoshan-qixing-cun.html", "index.html"]
    assert "七星村" in (tmp_path / "ego-zhaoshan-qixing-cun.html").read_text(encoding="utf-8")
    missing = runner.invoke(main, ["viz", "ego", "-o", str(tmp_path), *options])
    assert missing.exit_code == 1 and "give --entity NAME" in missing.stderr
    unknown = runner.invoke(main, ["viz", "nothing", "-o", str(tmp_path), *options])
    assert unknown.exit_code == 1 and "no view named nothing; valid: whole, admin" in unknown.stderr
