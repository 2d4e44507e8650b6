"""yuetang-kg: the Yuetang District knowledge graph, for Python and notebooks.

``yuetang_kg.open()`` returns the graph (``KnowledgeGraph``): catalogue queries and SPARQL as pandas DataFrames
with typed columns or as plain rows, shortest paths between entities, the NetworkX graph, and views shown inline
in notebooks. The command line is ``yuetang-kg`` (or ``python -m yuetang_kg``).

The package is grouped by stage, the way the data flows: ``model`` (facts → RDF), ``publish`` (the files of a
build), ``query`` (stores, catalogue, answers), ``explore`` (the projection, its index and views) and ``web`` (the
app). Above them: ``build`` and ``workspace``, which wire the stages together, and the two faces, ``cli`` and
``knowledge_graph``; below them, the ground every stage may import: ``errors``, ``files``, ``literals``,
``namespaces`` and ``bundle``. No import runs back up.

The names below are imported on first use: the query workers import this package too, and each of them should
hold only what answering SPARQL needs.
"""

from importlib import import_module
from importlib.metadata import version

__version__ = version("yuetang-kg")
__all__ = ["DataError", "InlineView", "KnowledgeGraph", "__version__", "open"]

_HOMES = {"DataError": "errors", "InlineView": "explore.inline", "KnowledgeGraph": "knowledge_graph",
          "open": "knowledge_graph"}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
