import doctest

import pytest

from yuetang_kg.errors import DataError
from yuetang_kg.model import qualification
from yuetang_kg.model.qualification import SCOPES, STATUSES, check_choice, check_flag


def test_doctests():
    assert doctest.testmod(qualification).failed == 0


@pytest.mark.parametrize("word", sorted(STATUSES))
def test_every_status_word_names_an_individual(word):
    assert check_choice("status", word, STATUSES, "f.yaml:1") == f"status-{word}"


def test_an_unknown_scope_lists_the_valid_ones():
    with pytest.raises(DataError, match=r"^f\.yaml:7: unknown scope 'town'; valid: world, country, province, city$"):
        check_choice("scope", "town", SCOPES, "f.yaml:7")


@pytest.mark.parametrize("value", ["true", 1, None])
def test_a_flag_is_a_boolean(value):
    with pytest.raises(DataError, match="open_list is true or false"):
        check_flag("open_list", value, "f.yaml:2")
