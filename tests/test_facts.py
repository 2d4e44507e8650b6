"""Curated facts that are broken in every way we know: each must give one line on stderr naming the right file and
line, exit code 1, no traceback, and nothing written to the output folder.

Each case is a small mutation of one facts file, ``BASE``, added to a copy of ``graph_data``; ``BASE`` as it
stands validates (``test_the_base_file_is_valid``), so the mutation alone is what each case is refused for.
"""

import codecs
import re

import pytest
from click.testing import CliRunner
from conftest import ROOT

from yuetang_kg.cli import main

FILE = "facts/99-corruption-test.yaml"
BASE = """\
# A facts file that the corruption tests start from: valid as it stands.
entities:
  - id: test-village
    type: Village
    zh: 七星村
    en: Test Village
    pinyin: Qīxīng Cūn
    descriptive: true
    quote: 昭山镇七星村地处长株潭
    in: yuetang-qu
relations:
  - {s: test-village, p: operatingSince, value: "2019", datatype: gYear, quote: 2019年投入运营的岳塘国际商贸城}
  - {s: test-village, p: engagedIn, o: rural-tourism, quote: 昭山镇七星村牢牢牵住乡村旅游“牛鼻子”，加强景点建设}
variables:
  - {id: test-variable, zh: 测试变量, en: test variable, definition: A variable that the tests declare.}
observations:
  - id: test-observation
    about: test-village
    variable: test-variable
    value: 48.47
    multiplier: 10000
    unit: person
    qualifier: null
    period: "2024"
    stated: 48.47万人
    quote: 常住人口48.47万人
"""
UTTERANCE = "utterances:\n  - {id: test-words, speaker: test-variable, text: 七星村, quote: 昭山镇七星村地处长株潭}\n"
DERIVED = "derived:\n  - {id: test-sum, kind: sum, inputs: [test-observation, no-such-observation]}\n"
DATATYPED = '  - {s: test-village, p: operatingSince, value: "2019", datatype: gYear, quote: 2019年投入运营的岳塘国际商贸城}'


def replaced(old: str, new: str):
    """A mutation of BASE: one string replaced by another (which must be there)."""

    def mutate(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return mutate


def ill_typed(value: str, datatype: str):
    return replaced(DATATYPED, DATATYPED.replace('"2019"', f'"{value}"').replace("gYear", datatype))


# (case, mutation of BASE (text → text or bytes), the line expected: a number or a string whose first line in the
# mutated file it is, fragments of the message)
CASES = [
    ("bad YAML syntax", replaced("en: Test Village", "en: Test: Village"), "en: Test: Village",
     ["invalid YAML", "mapping values are not allowed"]),
    ("tab indentation", replaced("    type: Village", "\ttype: Village"), "\ttype", ["indent with spaces"]),
    ("duplicate id", replaced("id: test-village", "id: zhaoshan-qixing-cun"), "- id: zhaoshan",
     ["duplicate id 'zhaoshan-qixing-cun'", "first declared at graph_data/facts/00-core.yaml:"]),
    ("duplicate key", replaced("    en: Test Village\n", "    en: Test Village\n    en: Village\n"), "en: Village",
     ["duplicate key 'en'"]),
    ("unknown type", replaced("type: Village", "type: Vilage"), "- id: test-village", ["unknown type 'Vilage'"]),
    ("unknown property", replaced("p: operatingSince", "p: operatingSinse"), "operatingSinse",
     ["unknown property 'operatingSinse'"]),
    ("unknown unit", replaced("unit: person", "unit: persons"), "- id: test-observation",
     ["unknown unit 'persons'", "vocab/units.yaml"]),
    ("unknown variable", replaced("variable: test-variable", "variable: no-such-variable"), "- id: test-observation",
     ["unknown variable 'no-such-variable'", "declare it under variables:"]),
    ("unknown section", replaced("relations:", "relation:"), "relation:", ["unknown section 'relation'", "valid:"]),
    ("unknown field", replaced("pinyin:", "pinyn:"), "- id: test-village", ["unknown field(s) pinyn", "pinyin"]),
    ("quote not in the article", replaced("quote: 昭山镇七星村地处长株潭", "quote: 昭山镇七星村地处长株谭"),
     "- id: test-village", ["quote not found", "closest passage: ", "七星村地处长株"]),
    ("ambiguous quote", replaced("quote: 昭山镇七星村地处长株潭", "quote: 七星村"), "- id: test-village",
     ["occurs", "add occurrence: 1.."]),
    ("occurrence out of range", replaced("quote: 昭山镇七星村地处长株潭", "quote: 昭山镇七星村地处长株潭\n    occurrence: 2"),
     "- id: test-village", ["occurrence 2", "1 time(s)"]),
    ("missing required field", replaced("    en: Test Village\n", ""), "- id: test-village",
     ["entities item is missing en"]),
    ("list instead of a string", replaced("zh: 七星村", "zh: [七星村]"), "zh: [", ["zh must be a string, got a list"]),
    ("string instead of a list", lambda text: text + DERIVED.replace("[test-observation, no-such-observation]",
                                                                     "test-observation"),
     "- {id: test-sum", ["inputs must be a list of strings, got a string"]),
    ("section not a list", replaced("variables:\n  - {", "variables: {"), "variables:",
     ["variables must be a list of items"]),
    ("bad id characters", replaced("id: test-village", "id: Test_Village"), "id: Test_Village",
     ["id 'Test_Village' must be lowercase ASCII words joined by '-'"]),
    ("dangling subject", replaced("{s: test-village, p: operatingSince", "{s: no-such-place, p: operatingSince"),
     "no-such-place", ["unknown id 'no-such-place'"]),
    ("dangling object", replaced("o: rural-tourism", "o: no-such-industry"), "no-such-industry",
     ["unknown id 'no-such-industry'"]),
    ("dangling about", replaced("about: test-village", "about: no-such-place"), "- id: test-observation",
     ["unknown id 'no-such-place'"]),
    ("dangling in", replaced("in: yuetang-qu", "in: no-such-town"), "- id: test-village", ["unknown id 'no-such-town'"]),
    ("dangling derived input", lambda text: text + DERIVED, "- {id: test-sum", ["unknown: ['no-such-observation']"]),
    ("speaker not an entity", lambda text: text + UTTERANCE, "- {id: test-words",
     ["speaker 'test-variable' is not an entity id"]),
    ("bad period", replaced('period: "2024"', 'period: "2024-13"'), "- id: test-observation",
     ["bad period '2024-13'", "YYYY-MM"]),
    ("bad event date", replaced("    in: yuetang-qu\n", '    in: yuetang-qu\n    date: "2024-02-30"\n'), "- id: test-village",
     ["bad date '2024-02-30'", "a real month and day"]),
    ("bad multiplier", replaced("multiplier: 10000", "multiplier: 12345"), "- id: test-observation",
     ["multiplier 12345 is not a positive power of ten"]),
    ("non-numeric multiplier", replaced("multiplier: 10000", "multiplier: 万"), "multiplier:",
     ["multiplier must be a number, got a string '万'"]),
    ("bad qualifier", replaced("qualifier: null", "qualifier: 大约"), "- id: test-observation",
     ["unknown qualifier '大约'", "valid: 余 多"]),
    ("non-numeric value", replaced("value: 48.47", "value: 四十八点四七"), "    value:",
     ["value must be a number, got a string '四十八点四七'"]),
    ("boolean as a value", replaced("value: 48.47", "value: yes"), "    value:", ["value must be a number, got a boolean"]),
    ("not a finite value", replaced("value: 48.47", "value: .nan"), "    value:", [".nan is not a finite number"]),
    ("ill-typed gYear", ill_typed("MMXIX", "gYear"), "operatingSince", ["'MMXIX' is not an xsd:gYear"]),
    ("ill-typed gYearMonth", ill_typed("2024-13", "gYearMonth"), "operatingSince",
     ["'2024-13' is not an xsd:gYearMonth"]),
    ("ill-typed date", ill_typed("2023-02-29", "date"), "operatingSince", ["'2023-02-29' is not an xsd:date"]),
    ("ill-typed integer", ill_typed("12a", "integer"), "operatingSince", ["'12a' is not an xsd:integer"]),
    ("ill-typed decimal", ill_typed("1,5", "decimal"), "operatingSince", ["'1,5' is not an xsd:decimal"]),
    ("ill-typed boolean", ill_typed("yes", "boolean"), "operatingSince", ["'yes' is not an xsd:boolean"]),
    ("unknown datatype", ill_typed("2019", "year"), "operatingSince", ["unknown datatype 'year'"]),
    ("bad language tag", replaced('value: "2019", datatype: gYear', 'value: "2019", lang: zh CN'), "operatingSince",
     ["lang 'zh CN' is not a language tag"]),
    ("escaped control character", replaced("en: Test Village", 'en: "Test\\x01Village"'), "en: \"Test",
     ["U+0001", "may not be in curated text"]),
    ("escaped NUL", replaced("en: Test Village", 'en: "Test\\0Village"'), "en: \"Test", ["U+0000"]),
    ("escaped noncharacter", replaced("en: Test Village", 'en: "Test\\uFFFEVillage"'), "en: \"Test", ["U+FFFE"]),
    ("raw line separator", replaced("en: Test Village", "en: Test\u2028Village"), "en: Test",
     ["U+2028 LINE SEPARATOR at column 13"]),
    ("raw next line", replaced("en: Test Village", "en: Test\u0085Village"), "en: Test", ["U+0085 at column 13"]),
    ("YAML alias", replaced("zh: 七星村\n    en: Test Village", "zh: &name 七星村\n    en: *name"), "en: *name",
     ["YAML alias *name is not allowed"]),
    ("latin-1 byte", lambda text: text.replace("Test Village", "Café Village").encode("latin-1", "replace"),
     "Caf", ["byte 0xE9 at column 12 is not UTF-8"]),
    ("byte order mark", lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), 1, ["byte order mark"]),
    ("empty file", lambda text: "", 1, ["holds no data"]),
    ("only comments", lambda text: text.splitlines()[0] + "\n", 1, ["holds no data"]),
    ("not a mapping of sections", lambda text: "- entities\n", 1, ["expected a mapping of sections"]),
]


def line_of(content: bytes, expected) -> int:
    if isinstance(expected, int):
        return expected
    lines = content.decode("utf-8", "replace").split("\n")
    return next(number for number, line in enumerate(lines, 1) if expected in line)


def run(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    return result.exit_code, result.stdout, result.stderr


def refused_with_one_line(args: list, where: str, fragments: list[str]) -> None:
    code, stdout, stderr = run(*args)
    assert (code, stdout) == (1, ""), stderr
    *progress, error = stderr.splitlines()
    assert all(line.startswith("reading facts from ") for line in progress), stderr  # build says what it reads
    assert error.startswith(f"error: {where}: "), stderr
    for fragment in fragments:
        assert fragment in error, error


@pytest.fixture
def corrupt(data_copy):
    """Write a facts file into the copy of graph_data; returns the path for the message's file:line."""

    def write(content: str | bytes) -> str:
        (data_copy / FILE).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return f"graph_data/{FILE}"

    return write


def test_the_base_file_is_valid(corrupt, data_copy):
    corrupt(BASE)
    code, _, stderr = run("validate", "--data", data_copy, "--ontology", ROOT / "ontology")
    assert code == 0, stderr


@pytest.mark.parametrize("case, mutate, expected_line, fragments", CASES, ids=[case[0] for case in CASES])
def test_corrupt_facts_are_refused_naming_file_and_line(corrupt, data_copy, tmp_path, case, mutate, expected_line,
                                                        fragments):
    content = mutate(BASE)
    content = content.encode("utf-8") if isinstance(content, str) else content
    where = f"{corrupt(content)}:{line_of(content, expected_line)}"
    ontology = ROOT / "ontology"
    refused_with_one_line(["validate", "--data", data_copy, "--ontology", ontology], where, fragments)
    out = tmp_path / "dist"
    refused_with_one_line(["build", "--data", data_copy, "--ontology", ontology, "--out", out], where, fragments)
    assert not out.exists()  # a refused build writes nothing


def test_at_least_eighteen_kinds_of_corruption():
    assert len({case for case, *_ in CASES}) >= 18


@pytest.mark.parametrize("mutate, where, fragments", [
    (lambda path: path.write_bytes(b""), "graph_data/facts/00-core.yaml:1", ["holds no data"]),
    (lambda path: path.write_bytes(path.read_bytes().rstrip(b"\n") + b"\n# caf\xe9\n"),
     "graph_data/facts/00-core.yaml:{last}", ["byte 0xE9 at column 6 is not UTF-8"]),
], ids=["emptied", "latin-1 byte appended"])
def test_a_damaged_facts_file_is_blamed_on_itself(data_copy, mutate, where, fragments):
    """An emptied file must not be reported as the ids that other files no longer find in it."""
    path = data_copy / "facts" / "00-core.yaml"
    mutate(path)
    where = where.format(last=path.read_bytes().count(b"\n"))
    refused_with_one_line(["validate", "--data", data_copy, "--ontology", ROOT / "ontology"], where, fragments)


def test_the_source_document_is_held_to_the_same_characters(data_copy):
    article = data_copy / "source" / "yuetang-article.txt"
    article.write_bytes(article.read_bytes() + "\u0001\n".encode("utf-8"))
    sources = data_copy / "sources.yaml"
    sources.write_text(re.sub(r"\n    sha256: \w+", "", sources.read_text(encoding="utf-8")), encoding="utf-8")
    lines = article.read_bytes().count(b"\n")
    refused_with_one_line(["validate", "--data", data_copy, "--ontology", ROOT / "ontology"],
                          f"graph_data/source/yuetang-article.txt:{lines}", ["U+0001", "source document"])


def test_a_document_entry_without_its_file_is_named(data_copy):
    sources = data_copy / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    sources.write_text(text.replace("    file: source/yuetang-article.txt\n", ""), encoding="utf-8")
    line = next(n for n, l in enumerate(text.splitlines(), 1) if l.startswith("  - id: "))
    refused_with_one_line(["validate", "--data", data_copy, "--ontology", ROOT / "ontology"],
                          f"graph_data/sources.yaml:{line}", ["document is missing file"])


def test_every_case_mutates_the_base():
    """A mutation that changes nothing would pass as a case while testing the base file."""
    for case, mutate, *_ in CASES:
        assert mutate(BASE) not in (BASE, BASE.encode("utf-8")), case
