import pytest

from yuetang_kg.errors import DataError
from yuetang_kg.model.sources import Document, occurrences

TEXT = "湘潭市岳塘区，位于长株潭。岳塘区因工业而兴。"


def doc() -> Document:
    return Document("d", TEXT, title_zh="t", title_en="t", author=None, year=2024, path="article.txt")


def test_offsets_are_code_points_end_exclusive():
    span = doc().find("因工业而兴")
    assert TEXT[span.start : span.end] == "因工业而兴"
    assert (span.start, span.end) == (16, 21)


def test_ambiguous_quote_is_refused_with_its_offsets():
    with pytest.raises(DataError, match=r"occurs 2 times .*at code points 3, 13"):
        doc().find("岳塘区", where="f.yaml:3")


def test_occurrence_picks_one():
    assert doc().find("岳塘区", occurrence=2).start == 13


def test_missing_quote_names_place_and_closest_passage():
    with pytest.raises(DataError) as error:
        doc().find("岳塘区因农业而兴", where="facts/x.yaml:7")
    assert "facts/x.yaml:7" in str(error.value)
    assert "岳塘区因工业而兴" in str(error.value)


def test_occurrences_include_overlaps():
    assert occurrences("aaa", "aa") == [0, 1]
