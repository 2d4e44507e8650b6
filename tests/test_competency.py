"""The competency questions (tests/data/competency-questions.yaml): each is answered by catalogue queries, and
the answer must be the file's expected answer; each quote of a question is verbatim in the article and is
where the graph's evidence for the answer lies; for an `absent` question the graph must hold no answer.

How an expected answer is read (the file's own conventions): text in " (…)" explains and is not required, but
an answer may be what it names; 万 = 10⁴ and 亿 = 10⁸; "、" and " / " separate several answers. Names are
compared without quotation marks and spaces; a name in “…” or a space-separated part of an answer (强基固本 行动) is
enough, and so is a graph name of four or more characters inside the expected one (花卉苗木种植基地 in
高峰村400亩花卉苗木种植基地). Where an expected answer is English prose, the case restates it (`means`), in the graph's
terms, next to the original. Numbers are equal when the graph's value, rounded to the expected number's
decimals, is the expected number (computed 73.61% is the stated 73.6%)."""

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pytest
import yaml
from conftest import ROOT

QUESTIONS = {
    q["id"]: q
    for q in yaml.safe_load(
        (ROOT / "tests" / "data" / "competency-questions.yaml").read_text(encoding="utf-8")
    )["questions"]
}
ID = "https://w3id.org/yuetang-kg/id/"
YKG = "https://w3id.org/yuetang-kg/ontology#"
QIXING = ID + "place/zhaoshan-qixing-cun"
YUETANG = ID + "place/yuetang-qu"
CHENFENG_TO_ZONE = {"from": ID + "org/chenfeng-chanjiao", "to": ID + "place/yuetang-jingkaiqu"}


@dataclass(frozen=True)
class Lookup:
    """Rows of a catalogue query: run with `params`, kept where each `where` column equals the value (an IRI
    or a text) and each `contains` column contains the text; `columns` hold the answer."""

    query: str
    columns: tuple[str, ...]
    params: dict = field(default_factory=dict)
    where: dict = field(default_factory=dict)
    contains: dict = field(default_factory=dict)
    first: bool = False


@dataclass(frozen=True)
class Check:
    """One comparison: `mode` says how; `items` picks expected answers (all by default); `exact` also
    refuses answers that are not expected (off where the graph rightly knows more than the file lists). An
    `absent` check names a `control`: the same kind of lookup where the article does give a figure, which must
    find it."""

    mode: str  # labels | numbers | pairs | count | path | dates | absent
    lookups: tuple[Lookup, ...]
    items: tuple[int, ...] | None = None
    exact: bool = True
    means: tuple[str, ...] | None = None
    control: Lookup | None = None


def L(query, *columns, params=None, where=None, contains=None, first=False):
    return Lookup(query, columns, params or {}, where or {}, contains or {}, first)


def domain(slug):
    return {"domain": ID + "domain/" + slug}


CASES = {
    "Q01": [Check("labels", (L("place_development_focus", "industryZh", params={"place": QIXING}),))],
    "Q02": [
        Check(
            "labels",
            (L("industry_actors", "actorZh", params={"industry": ID + "industry/yellow-peach-growing"}),),
        )
    ],
    "Q04": [
        Check(
            "labels",
            (
                L(
                    "industry_actors",
                    "actorZh",
                    params={"industry": ID + "industry/smart-greenhouse-agriculture"},
                ),
                L("introductions", "introducedZh", where={"introducer": ID + "place/hetang-zhengjiang-cun"}),
            ),
        )
    ],
    "Q07": [
        Check(
            "labels",
            (
                L(
                    "places_within",
                    "innerZh",
                    params={"place": ID + "place/hetang-jiedao", "kind": YKG + "Village"},
                ),
            ),
        )
    ],
    "Q08": [
        Check("labels", (L("place_ancestors", "ancestorZh", params={"place": QIXING, "kind": YKG + "Town"}),))
    ],
    "Q10": [
        Check(
            "labels",
            tuple(
                L(
                    "place_ancestors",
                    "ancestorZh",
                    params={"place": ID + "place/xintang-xintangcun-xiaoqu", "kind": YKG + kind},
                )
                for kind in ("Community", "Subdistrict")
            ),
        )
    ],
    "Q12": [
        Check(
            "labels",
            (
                L(
                    "place_ancestors",
                    "ancestorZh",
                    params={"place": ID + "place/trade-city", "kind": YKG + "DevelopmentZone"},
                ),
                L(
                    "entity_card",
                    "value",
                    params={"entity": ID + "place/trade-city"},
                    where={"property": YKG + "operatingSince"},
                ),
            ),
        )
    ],
    "Q16": [
        Check("numbers", (L("product_specs", "value", where={"aspectZh": "电池容量"}),), items=(0,)),
        # "over 2900 kWh": the article's approximation word 超
        Check(
            "labels",
            (L("product_specs", "qualifier", where={"aspectZh": "电池容量"}),),
            items=(0,),
            means=("超",),
        ),
        Check("labels", (L("product_specs", "spec", where={"aspectZh": "特点"}),), items=(1,), exact=False),
    ],
    "Q17": [
        Check(
            "labels",
            (
                L("products_by_enterprise", "productZh", where={"enterprise": ID + "org/xianggang"}),
                L(
                    "products_by_enterprise",
                    "awardZh",
                    where={"enterprise": ID + "org/xianggang", "awardKind": YKG + "Certification"},
                ),
            ),
        )
    ],
    "Q19": [Check("pairs", (L("products_by_enterprise", "enterpriseZh", "productZh"),))],
    "Q20": [
        Check(
            "numbers",
            (
                L(
                    "observation_changes",
                    "oldValue",
                    "newValue",
                    "difference",
                    "percentChange",
                    "statedChange",
                    where={"subject": ID + "place/trade-city"},
                ),
            ),
        )
    ],
    "Q21": [
        Check(
            "numbers",
            (
                L(
                    "observation_changes",
                    "oldValue",
                    "newValue",
                    "difference",
                    "percentChange",
                    "statedChange",
                    where={"subject": ID + "group/yuetang-xiaoqu-dangzuzhi"},
                ),
            ),
        )
    ],
    # The graph knows more governance initiatives than the eight the file names (党建引领, 清理标牌 …).
    "Q24": [
        Check(
            "labels",
            tuple(
                L("initiatives_by_domain", "initiativeZh", params=domain(d))
                for d in ("grassroots-governance", "party-building", "burden-reduction", "urban-renewal")
            ),
            exact=False,
        )
    ],
    "Q26": [
        Check(
            "labels",
            (
                L("village_projects", "projectZh"),
                L("initiatives_by_domain", "initiativeZh", params=domain("urban-agriculture")),
            ),
            exact=False,
        )
    ],
    "Q28": [
        Check(
            "labels",
            (
                L(
                    "initiative_parts",
                    "partZh",
                    params={"initiative": ID + "initiative/yuetang-digital-economy-plan"},
                ),
            ),
        )
    ],
    "Q29": [
        Check(
            "pairs",
            (
                L(
                    "initiative_focus",
                    "initiativeZh",
                    "focusZh",
                    where={"partOf": ID + "initiative/yuetang-dushi-nongye-path"},
                ),
            ),
        )
    ],
    "Q31": [
        Check(
            "labels", (L("industries", "zh", where={"broader": ID + "industry/yuetang-sida-chanye-bankuai"}),)
        )
    ],
    "Q33": [
        Check(
            "pairs", (L("utterances", "speakerZh", "roleZh", contains={"words": "这十来天正是果果关键期"}),)
        )
    ],
    "Q35": [Check("labels", (L("officials", "postZh", where={"person": ID + "person/zeng-zhijun"}),))],
    "Q36": [
        Check(
            "labels",
            (
                L("officials", "personZh", where={"postZh": "区长"}),
                L(
                    "officials",
                    "postZh",
                    where={"person": ID + "person/zhou-guiling", "bodyKind": YKG + "PartyOrganization"},
                ),
            ),
        )
    ],
    "Q38": [
        Check("labels", (L("utterances", "speakerZh", contains={"words": "农家乐30余家"}),), items=(0,)),
        Check(
            "numbers",
            (L("stated_figures", "value", where={"speaker": ID + "person/qixing-dangzongzhi-fuzeren"}),),
            items=(1,),
        ),
    ],
    # the question asks for the five “新”: the goals of his words whose names carry one
    "Q40": [
        Check(
            "labels",
            (
                L(
                    "utterance_topics",
                    "topicZh",
                    contains={"topicZh": "“新"},
                    where={"utterance": ID + "utterance/zeng-zhijun-2024-closing", "topicKind": YKG + "Goal"},
                ),
            ),
        )
    ],
    "Q44": [
        Check(
            "count",
            (L("villages_count", "villages"), L("entities_by_class", "zh", params={"kind": YKG + "Village"})),
        )
    ],
    "Q45": [
        Check(
            "count",
            (
                L("counts_per_class", "instances", where={"class": YKG + "Subdistrict"}),
                L("entities_by_class", "zh", params={"kind": YKG + "Subdistrict"}),
            ),
        )
    ],
    "Q47": [
        Check(
            "numbers", (L("derived_observations", "value", where={"subject": YUETANG, "derivation": "sum"}),)
        )
    ],
    # 全国农民工工作督察亮点清单, also in the employment paragraph, is Yuetang's too (for 农民工市民化).
    "Q49": [
        Check(
            "labels",
            (L("awards_in_context", "awardZh", params=domain("employment"), where={"recipient": YUETANG}),),
            exact=False,
        )
    ],
    "Q51": [Check("labels", (L("awards_in_context", "awardZh", params=domain("education")),))],
    "Q55": [
        # "first in Xiangtan for six consecutive years",
        # "rated A-grade region in last year's (2023) assessment"
        Check(
            "labels",
            (L("awards_in_context", "awardZh", params=domain("health"), where={"recipient": YUETANG}),),
            means=("全市第一", "A等地区"),
        ),
        Check(
            "numbers",
            (
                L(
                    "observations",
                    "value",
                    params={"entity": YUETANG},
                    where={"variable": ID + "variable/basic-public-health-years-first"},
                ),
            ),
            means=("6",),
        ),
        Check(
            "labels",
            (L("events_timeline", "date", where={"event": ID + "event/jbgw-kaohe-2023"}),),
            items=(1,),
            means=("2023",),
        ),
    ],
    "Q57": [
        Check("labels", (L("site_areas", "villageZh", first=True),)),
        Check("numbers", (L("site_areas", "area", first=True),), means=("400",)),
    ],
    "Q60": [
        Check(
            "path",
            (
                L(
                    "place_path",
                    "childZh",
                    "parentZh",
                    params={"from": QIXING, "to": ID + "place/changzhutan-lvxin"},
                ),
            ),
            means=(
                "七星村 → 昭山镇",
                "七星村 → 长株潭“绿心”禁止开发区",
                "长株潭“绿心”禁止开发区 → 长株潭都市圈生态绿心",
                "岳塘区 → 长株潭“绿心”中心区域",
                "长株潭“绿心”中心区域 → 长株潭都市圈生态绿心",
            ),
        )
    ],
    "Q62": [
        Check(
            "path",
            (L("entity_paths", "s1Zh", "o1Zh", "s2Zh", "o2Zh", params=CHENFENG_TO_ZONE),),
            means=("晨丰产教 → 岳塘国际商贸城", "岳塘国际商贸城 → 岳塘经开区"),
        ),
        Check("labels", (L("entity_paths", "p1Zh", params=CHENFENG_TO_ZONE),), means=("入驻",)),
    ],
    "Q65": [
        Check(
            "numbers",
            (
                L(
                    "observations",
                    "value",
                    params={"entity": YUETANG},
                    where={"variable": ID + "variable/resident-population"},
                ),
            ),
        )
    ],
    "Q66": [
        Check(
            "numbers",
            (
                L(
                    "observations",
                    "value",
                    params={"entity": YUETANG},
                    where={"variable": ID + "variable/residential-compound-count"},
                ),
                L("observations", "value", params={"entity": ID + "group/yuetang-shifan-xiaoqu"}),
            ),
        )
    ],
    "Q68": [
        Check("numbers", (L("observations", "value", params={"entity": ID + "group/yuetang-linzhang"}),))
    ],
    "Q69": [
        Check(
            "numbers",
            (L("observations", "value", params={"entity": ID + "initiative/yuetang-huahui-miaomu-xiangmu"}),),
        )
    ],
    "Q71": [
        Check("numbers", (L("observations", "value", params={"entity": ID + "initiative/kuozeng-xuewei"}),))
    ],
    # who took part or where, for each English description
    "Q73": [
        Check(
            "dates",
            (L("events_timeline", "date", "participantZh", "placeZh"),),
            means=("湘电集团", "习近平", "湘钢", "高家组高家果木专业合作社黄桃基地"),
        )
    ],
    "Q75": [Check("labels", (L("source_document", "authorZh"),))],
    "Q76": [
        Check(
            "absent",
            (
                L("observations", "value", params={"entity": QIXING}, contains={"variableZh": "人口"}),
                L("place_facts", "objectZh", params={"place": QIXING}, contains={"objectZh": "人口"}),
                L(
                    "indicator_by_variable",
                    "value",
                    params={"variable": ID + "variable/resident-population"},
                    where={"subject": QIXING},
                ),
            ),
            control=L("observations", "value", params={"entity": YUETANG}, contains={"variableZh": "人口"}),
        )
    ],
    "Q78": [
        Check(
            "absent",
            (
                L("observations", "value", params={"entity": YUETANG}, contains={"variableZh": "生产总值"}),
                L(
                    "observations",
                    "value",
                    params={"entity": YUETANG},
                    where={"unitSymbol": "CNY"},
                    contains={"period": "2023"},
                ),
                L("entity_search", "entity", params={"text": "GDP"}),
            ),
            control=L(
                "observations",
                "value",
                params={"entity": ID + "place/trade-city"},
                where={"unitSymbol": "CNY"},
                contains={"period": "2023"},
            ),
        )
    ],
}

ARTICLE = (ROOT / "graph_data" / "source" / "yuetang-article.txt").read_text(encoding="utf-8")
EXPLANATION = re.compile(r"\s+\(([^()]*)\)")
NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(万|亿)?")
SCALE = {"": 1, "万": 10**4, "亿": 10**8}


def run(lookup: Lookup, store, catalogue) -> list[dict]:
    query = catalogue[lookup.query]
    result = store.query(query.text, query.bindings(lookup.params))
    rows = [dict(zip(result.variables, row)) for row in result.rows]
    rows = [
        row
        for row in rows
        if all(str(row.get(column)) == value for column, value in lookup.where.items())
        and all(text in str(row.get(column) or "") for column, text in lookup.contains.items())
    ]
    return rows[:1] if lookup.first else rows


def norm(text) -> str:
    return re.sub(r"[\s“”‘’\"']", "", str(text))


def matches(answer, expected: str) -> bool:
    """An answer names an expected item: see the module docstring."""
    found = norm(answer)
    alternatives = {
        norm(expected),
        *(norm(q) for q in re.findall(r"“([^”]+)”", expected)),
        *map(norm, expected.split()),
    }
    return found in alternatives or (len(found) >= 4 and found in norm(expected))


def required_and_explained(items: list[str]) -> tuple[list[str], list[str]]:
    """The required text of each expected item and the explanations in its parentheses."""
    return [EXPLANATION.sub("", item).strip() for item in items], [
        e for item in items for e in EXPLANATION.findall(item)
    ]


def several(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"、| / ", text) if part.strip()]


def numbers(text: str) -> list[Decimal]:
    return [Decimal(n.replace(",", "")) * SCALE[unit] for n, unit in NUMBER.findall(text)]


def same_number(found: Decimal, expected: Decimal) -> bool:
    places = max(0, -expected.normalize().as_tuple().exponent)
    return found.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) == expected


def values(rows: list[dict], columns: tuple[str, ...]) -> list:
    return [row[c] for row in rows for c in columns if row.get(c) is not None]


def check_set(answers: list, expected: list, explained: list, same, exact: bool, qid: str) -> None:
    """Every expected item is among the answers (`same` compares one answer with one item); with `exact`,
    every answer is an expected item or one that an explanation names."""
    assert answers, f"{qid}: no answer"
    for item in expected:
        assert any(same(a, item) for a in answers), (
            f"{qid}: {item!r} is not among {sorted(map(str, answers))}"
        )
    if exact:
        for a in answers:
            assert any(same(a, item) for item in expected + explained), f"{qid}: unexpected answer {a!r}"


def expected_pairs(items: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        left, right = re.split(r" → | — ", item, maxsplit=1)
        pairs += [(left, part) for part in several(right)]
    return pairs


def check_pairs(rows_by_lookup, check: Check, items: list[str], qid: str) -> None:
    found = {(str(row[l.columns[0]]), str(row[l.columns[1]])) for l, rows in rows_by_lookup for row in rows}
    expected = expected_pairs(items)
    for left, right in expected:
        assert any(matches(a, left) and matches(b, right) for a, b in found), (
            f"{qid}: {left} → {right} not in {found}"
        )
    if check.exact:
        for a, b in found:
            assert any(matches(a, l) and matches(b, r) for l, r in expected), (
                f"{qid}: unexpected pair {a} → {b}"
            )


def check_path(rows_by_lookup, check: Check, items: list[str], qid: str) -> None:
    edges = set()
    for lookup, rows in rows_by_lookup:
        for row in rows:
            cells = [row.get(c) for c in lookup.columns]
            edges |= {
                (str(a), str(b)) for a, b in zip(cells[::2], cells[1::2]) if a is not None and b is not None
            }
    nodes = {n for edge in edges for n in edge}
    for name in re.findall(r"[\u4e00-\u9fff“”]+", " ".join(required_and_explained(items)[0])):
        assert any(matches(n, name) for n in nodes), f"{qid}: {name} is not on the path {sorted(edges)}"
    for edge in check.means:
        a, b = edge.split(" → ")
        assert (a, b) in edges, f"{qid}: no step {edge} in {sorted(edges)}"


def check_dates(rows_by_lookup, check: Check, items: list[str], qid: str) -> None:
    ((lookup, rows),) = rows_by_lookup
    dates = [d for d, _ in (item.split(": ", 1) for item in items)]
    year = dates[0][:4]
    # the events dated to the month or the day in that year, in the order the query gives them
    timeline = list(
        dict.fromkeys(str(r["date"]) for r in rows if str(r.get("date") or "").startswith(year + "-"))
    )
    assert timeline == dates, f"{qid}: {timeline} != {dates}"
    for date, who in zip(dates, check.means):
        names = values([r for r in rows if str(r.get("date")) == date], lookup.columns[1:])
        assert any(matches(n, who) for n in names), f"{qid}: {who} not in the events of {date}: {names}"


def spans(rows_by_lookup) -> list[tuple[int, int]]:
    """The evidence offsets in the answer rows: columns begin/end, or xBegin/xEnd."""
    found = []
    for _, rows in rows_by_lookup:
        for row in rows:
            for column, value in row.items():
                if value is not None and (column == "begin" or column.endswith("Begin")):
                    end = row.get("end" if column == "begin" else column[: -len("Begin")] + "End")
                    if end is not None:
                        found.append((int(value), int(end)))
    return found


def occurrences(quote: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(quote), ARTICLE)]


def test_every_question_has_a_case():
    assert set(QUESTIONS) == set(CASES)


@pytest.mark.parametrize("qid", sorted(QUESTIONS))
def test_competency_question(qid, store, catalogue):
    question, evidence = QUESTIONS[qid], []
    for check in CASES[qid]:
        rows_by_lookup = [(lookup, run(lookup, store, catalogue)) for lookup in check.lookups]
        evidence += rows_by_lookup
        all_items = [
            question["expected_answer"][i] for i in (check.items or range(len(question["expected_answer"])))
        ]
        items = list(check.means) if check.means and check.mode in ("labels", "numbers") else all_items
        required, explained = required_and_explained(items)
        answers = [v for lookup, rows in rows_by_lookup for v in values(rows, lookup.columns)]
        if check.mode == "labels":
            check_set(
                answers,
                [p for r in required for p in several(r)],
                [p for e in explained for p in several(e)],
                matches,
                check.exact,
                qid,
            )
        elif check.mode == "numbers":
            check_set(
                [Decimal(str(a)) for a in answers],
                [n for r in required for n in numbers(r)],
                [n for e in explained for n in numbers(e)],
                same_number,
                check.exact,
                qid,
            )
        elif check.mode == "pairs":
            check_pairs(rows_by_lookup, check, required, qid)
        elif check.mode == "path":
            check_path(rows_by_lookup, check, all_items, qid)
        elif check.mode == "dates":
            check_dates(rows_by_lookup, check, all_items, qid)
        elif check.mode == "count":
            (count_lookup, count_rows), (names_lookup, names_rows) = rows_by_lookup
            count, names = required[0].split(": ", 1)
            assert [int(v) for v in values(count_rows, count_lookup.columns)] == [int(count)], qid
            found = sorted({str(v) for v in values(names_rows, names_lookup.columns)})
            assert found == sorted(names.split(", ")), qid
        elif check.mode == "absent":
            assert question["answer_type"] == "absent"
            assert all(not rows for _, rows in rows_by_lookup), f"{qid}: the graph answers {rows_by_lookup}"
            assert run(check.control, store, catalogue), f"{qid}: the control lookup finds nothing either"
        else:
            raise AssertionError(f"unknown mode {check.mode}")
    found_spans = spans(evidence)
    for quote in question.get("quotes") or []:
        starts = occurrences(quote)
        assert starts, f"{qid}: quote not in the article: {quote!r}"
        # the graph's evidence for the answer lies in the quoted passage, or holds it
        assert any(
            (b <= s and s + len(quote) <= e) or (s <= b and e <= s + len(quote))
            for s in starts
            for b, e in found_spans
        ), f"{qid}: no evidence of the answer at {quote!r} (evidence spans: {sorted(found_spans)})"
