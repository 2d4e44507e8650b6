"""Which folders a command uses: the checkout's inside one, else the copy this installation carries (here, an
editable install: the checkout the package runs from), with folders given always winning."""

import doctest
from pathlib import Path

import pytest
from conftest import ROOT

from yuetang_kg import bundle
from yuetang_kg.workspace import default_paths, resolve_paths


def test_doctests():
    assert doctest.testmod(bundle).failed == 0


def test_inside_a_checkout_its_own_folders(tmp_path):
    (tmp_path / "graph_data").mkdir()
    paths = default_paths(tmp_path)
    assert (paths.data, paths.queries, paths.viz, paths.out) == (
        tmp_path / "graph_data", tmp_path / "queries", tmp_path / "viz", tmp_path / "dist")


def test_elsewhere_the_installed_copy(tmp_path):
    assert bundle.installed_root() == ROOT
    paths = default_paths(tmp_path)
    assert (paths.data, paths.ontology, paths.out) == (ROOT / "graph_data", ROOT / "ontology", ROOT / "dist")


def test_folders_given_win(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    paths = resolve_paths(data=Path("mine"), out=None)
    assert paths.data == Path("mine") and paths.ontology == ROOT / "ontology"
    with pytest.raises(TypeError, match="no folder role colour"):
        resolve_paths(colour=Path("x"))
