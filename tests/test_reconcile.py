"""The reconciliation service (/reconcile) against the JSON schemas of the W3C Reconciliation Service API 0.2
(tests/data/reconciliation-0.2, the version OpenRefine 3.x speaks), with names in hanzi, English and pinyin and a
batch of homonyms; bounded inputs refused with one line; CORS; the preview framable and script-free."""

import doctest
import json
from pathlib import Path

import networkx as nx
import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from starlette.testclient import TestClient

from yuetang_kg.explore import reconcile
from yuetang_kg.explore.index import INDEX_NAME, Index
from yuetang_kg.explore.project import search_key
from yuetang_kg.publish.describe import Release
from yuetang_kg.web.app import create_app
from yuetang_kg.web.site import Settings, Site

SCHEMAS = Path(__file__).parent / "data" / "reconciliation-0.2"
PUBLIC = "https://kg.example.org/"
QIXING, XIANGGANG = "place/zhaoshan-qixing-cun", "org/xianggang"


def schema(name: str) -> Draft7Validator:
    registry = Registry().with_resources(
        (document["$id"], Resource(document, DRAFT7))
        for document in (json.loads(path.read_text(encoding="utf-8")) for path in SCHEMAS.glob("*.json"))
    )
    return Draft7Validator(json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8")), registry=registry)


def valid(name: str, document) -> None:
    errors = sorted(schema(name).iter_errors(document), key=str)
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]]


@pytest.fixture(scope="module")
def client(built, catalogue, repo_paths):
    site = Site(built.out, catalogue, Settings(workers=1), viz=repo_paths.ontology.parent / "viz",
                release=Release(base_url=PUBLIC))
    # No lifespan: this part of the site needs no query worker.
    return TestClient(create_app(site))


def reconcile_batch(client, batch: dict, method: str = "POST") -> dict:
    valid("reconciliation-query-batch", batch)
    if method == "POST":  # as OpenRefine sends it: a form with the batch as JSON
        answer = client.post("/reconcile", data={"queries": json.dumps(batch, ensure_ascii=False)})
    else:
        answer = client.get("/reconcile", params={"queries": json.dumps(batch, ensure_ascii=False)})
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    body = answer.json()
    valid("reconciliation-result-batch", body)
    assert set(body) == set(batch)
    return body


def test_doctests():
    assert doctest.testmod(reconcile).failed == 0


def test_manifest_follows_the_schema_and_the_configured_base_url(client):
    answer = client.get("/reconcile", headers={"Host": "evil.example"})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"
    manifest = answer.json()
    valid("manifest", manifest)
    assert manifest["versions"] == ["0.2"]
    assert manifest["view"]["url"] == f"{PUBLIC}id/{{{{id}}}}"
    assert manifest["preview"]["url"].startswith(f"{PUBLIC}reconcile/preview?id=")
    assert "evil.example" not in answer.text
    assert {t["id"] for t in manifest["defaultTypes"]} >= {"Place", "Organization"}


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_the_four_names_find_their_entity_first_and_match(client, method):
    names = {"q0": "七星村", "q1": "Qixing Village", "q2": "qixing cun", "q3": "湘钢", "q4": "Qīxīng Cūn"}
    body = reconcile_batch(client, {key: {"query": name} for key, name in names.items()}, method)
    for key, name in names.items():
        first = body[key]["result"][0]
        assert first["id"] == (XIANGGANG if key == "q3" else QIXING), (name, first)
        assert first["match"] is True and first["score"] == 100
        assert not any(c["match"] for c in body[key]["result"][1:])
    assert body["q0"]["result"][0]["type"] == [{"id": "Village", "name": "Village (村)"}]


HOMONYMS = {
    # 长株潭 alone names several places equally: candidates, no match
    "bare": ({"query": "长株潭"}, None),
    "sanshi": ({"query": "长株潭三市"}, "place/changzhutan-sanshi"),
    "metro": ({"query": "长株潭都市圈"}, "place/changzhutan-dushiquan"),
    # the article writes the green heart with and without quotation marks
    "quoted": ({"query": "长株潭“绿心”"}, "place/changzhutan-lvxin"),
    "unquoted": ({"query": "长株潭绿心"}, "place/changzhutan-lvxin"),
    # an industry and a domain share the name 数字经济: only the type tells them apart
    "twins": ({"query": "数字经济"}, None),
    "typed": ({"query": "数字经济", "type": "Industry"}, "industry/digital-economy-industry"),
    # NBS 430304015 is 荷塘街道, MCA 430304015 is another subdistrict (双马街道): a bare code is no match
    "code": ({"query": "430304015"}, None),
    "nbs": ({"query": "430304015", "properties": [{"pid": "nbsStatCode", "v": "430304015"}]}, "place/hetang-jiedao"),
    "mca-own": ({"query": "荷塘街道", "properties": [{"pid": "mcaDivisionCode", "v": "430304013"}]},
                "place/hetang-jiedao"),
    "in-town": ({"query": "七星村", "type": ["Village"], "properties": [{"pid": "locatedIn", "v": "昭山镇"}]}, QIXING),
    "in-town-id": ({"query": "qixing cun", "properties": [{"pid": "locatedIn", "v": {"id": "place/zhaoshan-zhen"}}]},
                   QIXING),
}


def test_homonyms_are_told_apart_by_type_and_properties_or_left_unmatched(client):
    body = reconcile_batch(client, {key: query for key, (query, _) in HOMONYMS.items()})
    for key, (query, expected) in HOMONYMS.items():
        result = body[key]["result"]
        assert result, key
        if expected is None:
            assert not any(c["match"] for c in result), (key, result[:3])
        else:
            assert result[0]["id"] == expected and result[0]["match"], (key, result[:3])
    assert {c["id"] for c in body["bare"]["result"]} >= {"place/changzhutan-sanshi", "place/changzhutan-dushiquan"}
    assert body["code"]["result"][0]["id"] == "place/hetang-jiedao"


def test_disagreeing_type_or_properties_lower_or_drop_a_candidate(client):
    body = reconcile_batch(client, {
        "town": {"query": "七星村", "type": "Town"},
        "mca": {"query": "430304015", "properties": [{"pid": "mcaDivisionCode", "v": "430304015"}]},
        "elsewhere": {"query": "七星村", "properties": [{"pid": "locatedIn", "v": "荷塘街道"}]},
        "limit": {"query": "七星", "limit": 2},
    })
    assert body["town"]["result"] == []
    assert body["mca"]["result"][0]["score"] < 90 and not body["mca"]["result"][0]["match"]
    assert body["elsewhere"]["result"][0]["id"] == QIXING and not body["elsewhere"]["result"][0]["match"]
    assert len(body["limit"]["result"]) == 2


def test_suggest_services_follow_their_schemas(client):
    entities = client.get("/reconcile/suggest/entity", params={"prefix": "七星"}).json()
    valid("suggest-entities-response", entities)
    assert entities["result"][0]["id"] == QIXING
    assert client.get("/reconcile/suggest/entity", params={"prefix": "七星", "cursor": "1"}).json()["result"][0] \
        == entities["result"][1]
    types = client.get("/reconcile/suggest/type", params={"prefix": "vill"}).json()
    valid("suggest-types-response", types)
    assert types["result"][0] == {"id": "Village", "name": "Village (村)"}
    properties = client.get("/reconcile/suggest/property", params={"prefix": "code"}).json()
    valid("suggest-properties-response", properties)
    assert {p["id"] for p in properties["result"]} == {"nbsStatCode", "mcaDivisionCode"}


def test_preview_is_a_framable_card_that_runs_nothing(client):
    answer = client.get("/reconcile/preview", params={"id": QIXING})
    assert answer.status_code == 200 and "七星村" in answer.text
    assert f'href="{PUBLIC}id/{QIXING}"' in answer.text and "<script" not in answer.text
    policy = answer.headers["content-security-policy"]
    assert "frame-ancestors *" in policy and "default-src 'none'" in policy and "script-src" not in policy
    assert "x-frame-options" not in answer.headers
    assert client.get("/reconcile/preview", params={"id": "place/nowhere"}).status_code == 404


@pytest.mark.parametrize("queries, message", [
    ("{", "parameter queries: not JSON"),
    ("[]", "parameter queries: a JSON object of queries by key"),
    (json.dumps({f"q{i}": {"query": "x"} for i in range(51)}), "parameter queries: at most 50 queries per batch, got 51"),
    (json.dumps({"q0": {"query": "x" * 201}}), "queries['q0'].query: at most 200 characters, got 201"),
    (json.dumps({"q0": {"query": "x", "colour": "red"}}), "queries['q0']: unknown key 'colour'"),
    (json.dumps({"q0": {"query": "x", "limit": 0}}), "queries['q0'].limit: a number from 1 to 100"),
    (json.dumps({"q0": {"type": "Village"}}), "queries['q0']: give 'query' or 'properties'"),
    (json.dumps({"q0": {"query": "x", "type": ["T"] * 11}}), "queries['q0'].type: at most 10 items, got 11"),
    (json.dumps({"q0": {"query": "x", "properties": [{"pid": "colour", "v": "red"}]}}),
     "queries['q0'].properties[0].pid: unknown property 'colour'"),
    (json.dumps({"q0": {"query": "x", "properties": [{"pid": "locatedIn", "v": [{"name": "no id"}]}]}}),
     "queries['q0'].properties[0].v.id: expected a string, got NoneType"),
])
def test_bad_batches_get_one_line_400s(client, queries, message):
    answer = client.post("/reconcile", data={"queries": queries})
    assert answer.status_code == 400
    assert answer.text.startswith(message) and answer.text.count("\n") == 1, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"


def test_other_bounds(client):
    assert client.post("/reconcile", data={"extend": "{}"}).status_code == 400
    big = client.post("/reconcile", content=b"queries=" + b"x" * 100_001,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413 and big.text.count("\n") == 1
    assert client.get("/reconcile/suggest/entity", params={"prefix": "x" * 201}).status_code == 400
    assert client.get("/reconcile/suggest/type", params={"cursor": "-1"}).status_code == 400
    preflight = client.options("/reconcile", headers={"Origin": "https://openrefine.example",
                                                       "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and "POST" in preflight.headers["access-control-allow-methods"]


class ScanningReconciler:
    """The matcher as it was before it read the index: every entity of the projection scanned for every query.
    The service must answer as it did (``test_the_index_answers_as_the_scan_did``)."""

    def __init__(self, projection):
        self.entities, by_node = {}, {}
        for node, a in projection.nodes(data=True):
            names = [(search_key(a[k]), reconcile.EXACT) for k in ("label_zh", "label_en", "pinyin", "pinyin_plain")
                     if a.get(k)] + [(search_key(alias), reconcile.ALIAS) for alias in a.get("aka", [])]
            by_node[node] = {"id": f"{a['kind']}/{a['slug']}", "names": [(k, s) for k, s in names if k],
                             "classes": a.get("classes", []), "name": a["label_zh"] or a["label_en"],
                             "codes": {p["name"]: str(p["value"]) for p in a["properties"] if p["name"] in reconcile.CODES}}
        containers = nx.DiGraph((u, v) for u, v, d in projection.edges(data=True)
                                if d.get("name") in reconcile.CONTAINMENT and u != v)
        for node, entity in by_node.items():
            above = nx.descendants(containers, node) if node in containers else set()
            entity["within"] = {k for up in above for k, _ in by_node[up]["names"]} | {by_node[up]["id"] for up in above}
            self.entities[entity["id"]] = entity

    def reconcile(self, request) -> list[tuple[str, float]]:
        key, scored = search_key(request.text), []
        for e in self.entities.values():
            if request.types and not set(request.types) & set(e["classes"]):
                continue
            best = max((s for name, exact in e["names"] if (s := reconcile.rank(key, name, exact)) is not None),
                       default=None)
            if request.text.strip() in e["codes"].values():
                best = max(best or 0.0, reconcile.CODE)
            if best is not None:
                for pid, values in request.properties:
                    if pid == "locatedIn":
                        best += 10 if ({search_key(v) for v in values} | set(values)) & e["within"] else -30
                    else:
                        best += 10 if e["codes"].get(pid) in {v.strip() for v in values} else -30
                scored.append((max(0.0, min(100.0, best)), e["id"]))
        return [(i, round(s, 1)) for s, i in sorted(scored, key=lambda item: (-item[0], item[1]))[: request.limit]]


def scan_requests(projection) -> list[reconcile.Request]:
    """Every entity's names whole, their beginnings and inner parts, its codes, each with and without a type and
    with a place or a code that agrees or not; and texts that match nothing."""
    texts, coded = {"zz-nothing", "村", "qi", " 七星村 "}, []
    for _, a in projection.nodes(data=True):
        for name in filter(None, (a["label_zh"], a["label_en"], a["pinyin"], *a["aka"])):
            texts |= {name, name[:2], name[1:3]}
        coded += [(p["name"], str(p["value"])) for p in a["properties"] if p["name"] in reconcile.CODES]
    requests = [reconcile.Request(t, (), (), limit) for t in sorted(texts) for limit in (3, 100)]
    requests += [reconcile.Request(t, types) for t in sorted(texts)[::5] for types in (("Village",), ("Place", "Organization"))]
    requests += [reconcile.Request(t, (), (("locatedIn", place),)) for t in sorted(texts)[::3]
                 for place in (("昭山镇",), ("place/yuetang-qu", "湘潭"), ("荷塘街道",))]
    requests += [reconcile.Request(code, (), ((pid, (code,)),)) for pid, code in coded]
    requests += [reconcile.Request(code, (), ((other, (code,)),)) for pid, code in coded for other in reconcile.CODES]
    return requests


def test_the_index_answers_as_the_scan_did(built, projection):
    index = Index(built.out / INDEX_NAME)
    matcher, scan = reconcile.Reconciler(index), ScanningReconciler(projection)
    requests = scan_requests(projection)
    assert len(requests) > 1000
    for request in requests:
        found = matcher.reconcile(request)
        assert [(c.id, c.score) for c in found] == scan.reconcile(request), request
    assert any(matcher.reconcile(r)[0].match for r in requests if matcher.reconcile(r))
    index.close()


def test_the_first_query_reads_the_index_not_the_projection(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the reconciliation service loaded the whole projection")

    monkeypatch.setattr(Index, "projection", refuse)
    monkeypatch.setattr(Index, "all_nodes", refuse)
    client.app.state.site.prepared.pop("reconcile", None)
    assert reconcile_batch(client, {"q0": {"query": "七星村"}})["q0"]["result"][0]["id"] == QIXING
