"""The reading rules of graph_data/README.md hold in the built graph: no containment the article does not state,
no year it does not give, tense and scope as data, every entity tied to another, and every body reachable from
the place it serves."""

import re

import pytest
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef

from yuetang_kg.explore.project import entity_nodes
from yuetang_kg.namespaces import ID, YKG
from yuetang_kg.query.store import open_store

GREEN_HEART = ID["place/changzhutan-lvxin"]
YUETANG = ID["place/yuetang-qu"]
PREFIXES = "PREFIX ykg: <https://w3id.org/yuetang-kg/ontology#>\n"
# Words that make a figure a yearly flow whose year the article does not give.
YEARLY = re.compile(r"每年|年产值|年平均|年均")


def ask(store, text: str) -> bool:
    return store.query(PREFIXES + text).boolean


@pytest.mark.parametrize("inside", ["org/xianggang", "org/xemc", "place/shuyuanlu-jiedao", "place/zhaoshan-qixing-cun"])
def test_nothing_lies_in_the_green_heart_through_the_district(store, inside):
    assert not ask(store, f"ASK {{ <{ID[inside]}> ykg:locatedIn+ <{GREEN_HEART}> }}")


def test_the_district_lies_in_the_green_heart_as_a_zone(store):
    assert ask(store, f"ASK {{ <{YUETANG}> ykg:inZone <{GREEN_HEART}> }}")
    assert ask(store, f"ASK {{ <{YUETANG}> ykg:inZone ?zone . ?zone ykg:locatedIn+ <{GREEN_HEART}> }}")


def test_the_district_governments_head_is_two_hops_from_the_district(store):
    result = store.query(
        PREFIXES + f"SELECT ?head WHERE {{ ?government ykg:jurisdiction <{YUETANG}> . ?head ykg:headOf ?government }}"
    )
    assert [str(row[0]) for row in result.rows] == [str(ID["person/zhou-guiling"])]


def test_the_two_hop_path_is_in_the_catalogue(store, catalogue):
    query = catalogue["entity_paths"]
    params = {"from": str(YUETANG), "to": str(ID["person/zhou-guiling"])}
    result = store.query(query.text, query.bindings(params))
    rows = [dict(zip(result.variables, row)) for row in result.rows]
    steps = {(str(r["s1Zh"]), str(r["o1Zh"]), str(r["s2Zh"]), str(r["o2Zh"])) for r in rows if int(r["hops"]) == 2}
    assert ("岳塘区人民政府", "岳塘区", "周贵玲", "岳塘区人民政府") in steps


def _years(period: str) -> set[int]:
    return {int(y) for y in re.findall(r"\d{4}", period)}


def _written_years(words: str, source_year: int) -> set[int]:
    """The years the article's words for a time give (graph_data/README.md, reading rules)."""
    if found := re.findall(r"(\d{4})年", words):
        return {int(y) for y in found}
    if "近两年" in words:
        return {source_year - 1, source_year}
    if any(w in words for w in ("去年", "一年前")):
        return {source_year - 1}
    return {source_year}  # 今年, 目前, 如今, …以来, a month without a year: the article's own year


def test_no_figure_carries_a_year_the_article_does_not_give(built):
    facts = built.facts
    source_year = int(facts.default_document.year)
    checked = 0
    for obs in facts.observations.values():
        words = obs.period_text or ""
        if YEARLY.search(obs.evidence.quote) or YEARLY.search(words):
            assert obs.period == "yearly", f"{obs.origin}: a yearly figure with no year given, dated {obs.period}"
            continue
        if obs.period in ("yearly", "recent-years"):
            continue
        assert _years(obs.period) == _written_years(words, source_year), (
            f"{obs.origin}: period {obs.period} does not follow {obs.period_text!r}"
        )
        if obs.period_text:
            assert obs.period_text in facts.default_document.text, f"{obs.origin}: {obs.period_text!r} not written"
        checked += 1
    assert checked > 30


def test_no_date_carries_a_year_the_article_does_not_give(built, graph):
    source_year = int(built.facts.default_document.year)
    dated = [e for e in built.facts.entities.values() if e.date]
    assert dated
    for event in dated:
        assert event.date_text, f"{event.origin}: a date without the article's words for it"
        assert _years(event.date) == _written_years(event.date_text, source_year), event.origin
    for relation in built.facts.relations:
        if relation.datatype in ("gYear", "gYearMonth", "date"):
            assert str(relation.value)[:4] in relation.evidence.quote, relation.origin


def test_no_entity_is_an_orphan(graph):
    """Every entity is related to another entity (or, for the author, to the article she wrote)."""
    entities = set(entity_nodes(graph))
    related = entities | set(graph.subjects(RDF.type, YKG.SourceDocument))
    assert len(entities) > 300
    orphans = [
        node
        for node in entities
        if not any(o in related and o != node for o in graph.objects(node, None))
        and not any(s in related and s != node for s in graph.subjects(None, node))
    ]
    assert orphans == []


def test_the_trade_citys_former_business_reads_as_former(store, catalogue):
    query = catalogue["village_industries"]
    result = store.query(query.text, query.bindings({}))
    rows = [dict(zip(result.variables, row)) for row in result.rows]
    trade_city = {str(r["industryZh"]): r["status"] for r in rows if r["place"] == ID["place/trade-city"]}
    for former in ("家电百货", "酒水副食零售批发", "传统业态"):
        assert trade_city[former] == YKG["status-former"], former
    for current in ("新媒体", "数字化营销"):
        assert trade_city[current] == YKG["status-current"], current


def test_what_is_about_to_happen_or_planned_is_not_stated_as_done(graph):
    campus = ID["org/xianggang-sanxiao-dongping-xiaoqu"]
    opening = [s for s in graph.subjects(RDF.subject, campus) if graph.value(s, RDF.object) == Literal("即将投入使用", lang="zh")]
    assert [graph.value(s, YKG.status) for s in opening] == [YKG["status-imminent"]]
    planned = set(graph.subjects(YKG.status, YKG["status-planned"]))
    assert {graph.value(s, RDF.object) for s in planned} >= {ID["initiative/chanxueyan-xietong-chuangxin"]}


def test_open_lists_and_superlative_scopes_are_data(graph):
    open_items = {graph.value(s, RDF.object) for s in graph.subjects(YKG.openList, Literal(True))}
    assert {ID["industry/new-materials"], ID["industry/new-energy"]} <= open_items
    scopes = {graph.value(s, RDF.object): graph.value(s, YKG.scope) for s in graph.subjects(YKG.scope, None)}
    assert scopes[ID["award/shijie-shoutaitao"]] == YKG["scope-world"]
    assert scopes[ID["award/award-jbgw-quanshi-diyi"]] == YKG["scope-city"]


def test_plans_goals_strategies_and_campaigns_share_a_class(graph, ontology_graph):
    kinds = ("Plan", "Goal", "Strategy", "Campaign")
    assert all((YKG[k], RDFS.subClassOf, YKG.Agenda) in ontology_graph for k in kinds)
    assert all(any(graph.subjects(RDF.type, YKG[k])) for k in kinds)


@pytest.fixture(scope="module")
def ontology_graph(built):
    return built.ontology


def test_the_cooperative_is_not_said_to_be_founded_by_the_village(graph):
    village, cooperative = ID["place/hetang-zhifang-cun"], ID["org/gaojia-guomu-hezuoshe"]
    assert (village, YKG.established, cooperative) not in graph
    assert (village, YKG.established, ID["place/gaojia-huangtao-jidi"]) in graph
    assert isinstance(village, URIRef)


def _statement(graph, s, p, o):
    return next(n for n in graph.subjects(RDF.subject, s) if (n, RDF.predicate, p) in graph and (n, RDF.object, o) in graph)


def _damage_zone(g):
    g.add((YUETANG, YKG.locatedIn, GREEN_HEART))


def _damage_parent(g):
    g.remove((ID["org/yuetang-qu-zhengfu"], YKG.jurisdiction, None))


def _damage_period(g):
    g.set((ID["period/2024"], YKG.startDate, Literal("2025-01-01", datatype=XSD.date)))


def _damage_year(g):
    observation = ID["observation/wuai-collective-income-increase-yearly"]
    g.set((observation, YKG.period, ID["period/2024"]))


def _damage_tense(g):
    statement = _statement(g, ID["place/trade-city"], YKG.engagedIn, ID["industry/household-appliances-department-store"])
    g.remove((statement, YKG.status, None))


def _damage_label(g):
    group = ID["group/dpcc-sanjia-danwei"]
    for label in [l for l in g.objects(group, RDFS.label) if l.language == "zh"]:
        g.remove((group, RDFS.label, label))
    g.add((group, RDFS.label, Literal("单位", lang="zh")))


DAMAGES = {
    "audit_zone_containment": _damage_zone,
    "audit_missing_parents": _damage_parent,
    "audit_future_periods": _damage_period,
    "audit_guessed_years": _damage_year,
    "audit_unmarked_tense": _damage_tense,
    "audit_short_labels": _damage_label,
}


def test_every_audit_query_has_a_damage(catalogue):
    assert {name for name, q in catalogue.items() if "audit" in q.tags} == set(DAMAGES)


@pytest.mark.parametrize("name", sorted(DAMAGES))
def test_an_audit_query_finds_the_error_it_looks_for(name, built, catalogue):
    damaged = Graph()
    damaged += built.graph
    DAMAGES[name](damaged)
    query = catalogue[name]
    store = open_store("oxigraph", damaged, built.ontology)
    assert store.query(query.text, query.bindings({})).rows, f"{name} misses the damage"
