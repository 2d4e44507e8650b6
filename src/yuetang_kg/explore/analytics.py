"""Analytics on the NetworkX projection: finding entities by name, shortest connections with their evidence,
centrality, communities and ego networks.

Paths, centrality and communities ignore the direction of relations (七星村 is connected to 昭山镇 whether the
fact reads "七星村 lies in 昭山镇" or the other way round); a path remembers which way each hop was stated.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("a", label_zh="七星村", label_en="Qixing Village", pinyin_plain="qixing cun", slug="a", iri="x/a")
>>> resolve(g, "qixing")
'a'
"""

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice, pairwise

import networkx as nx

from ..errors import DataError
from .project import search_key

# Louvain is randomised; a fixed seed keeps `stats --graph` byte-identical between runs.
COMMUNITY_SEED = 20240722
# Exact betweenness runs a breadth-first search from every node: n × (n + m) steps, 0.45 M for one article but
# quadratic in the corpus. Past this many steps it is estimated from a fixed-seed sample of source nodes, as many
# as the budget allows (Brandes & Pich 2007), so that its time grows only with the size of the graph (about a
# second per million steps here).
BETWEENNESS_BUDGET = 2_000_000
MIN_BETWEENNESS_SOURCES = 16
EXACT, PREFIX, SUBSTRING = 0, 1, 2
# Shortest paths compared to find the best-evidenced ones; the article's graph rarely has more.
CANDIDATE_PATHS = 200


def names_of(attributes: dict) -> list[str]:
    """The names a node goes by: zh and en labels, pinyin with and without tones (other spellings apart)."""
    names = [attributes.get(k, "") for k in ("label_zh", "label_en", "pinyin", "pinyin_plain")]
    return [n for n in names if n]


def match_rank(attributes: dict, text: str) -> tuple[int, int, int] | None:
    """How well ``text`` names a node, best lowest: (EXACT, PREFIX or SUBSTRING; 0 for a name, 1 for another
    spelling (aka); length of the matching name), or None."""
    ids = (
        attributes.get("slug"),
        attributes.get("iri"),
        f"{attributes.get('kind')}/{attributes.get('slug')}",
    )
    if text.strip() in ids:
        return (EXACT, 0, 0)
    wanted = search_key(text)
    if not wanted:
        return None
    best = None
    spellings = [(0, n) for n in names_of(attributes)] + [(1, n) for n in attributes.get("aka", [])]
    for alias, name in spellings:
        key = search_key(name)
        rank = (
            EXACT
            if key == wanted
            else PREFIX
            if key.startswith(wanted)
            else SUBSTRING
            if wanted in key
            else None
        )
        if rank is not None and (best is None or (rank, alias, len(key)) < best):
            best = (rank, alias, len(key))
    return best


def find(graph: nx.MultiDiGraph, text: str, limit: int | None = None) -> list[tuple[str, tuple]]:
    """Nodes named by ``text`` (zh, en, pinyin with or without tones, other spellings, id) with their
    ``match_rank``, best first: exact matches, then prefixes, then substrings; names before other spellings;
    shorter names first."""
    found = sorted(
        (rank, node) for node, a in graph.nodes(data=True) if (rank := match_rank(a, text)) is not None
    )
    return [(node, rank) for rank, node in found[:limit]]


def describe(graph: nx.MultiDiGraph, node: str) -> str:
    """A node in one line: ``七星村 Qixing Village [place/zhaoshan-qixing-cun]``."""
    attributes = graph.nodes[node]
    return f"{attributes['label_zh']} {attributes['label_en']} [{attributes['kind']}/{attributes['slug']}]"


def resolve(graph: nx.MultiDiGraph, name: str, where: str = "name") -> str:
    """The one node ``name`` means: the node it names exactly, else the single best partial match (see
    ``find``); a tie, or no match, is a DataError that lists the candidates."""
    return choose(find(graph, name), name, where, lambda node: describe(graph, node))


def choose(found: list[tuple[str, tuple]], name: str, where: str, describe_node) -> str:
    """``resolve`` over the ranked matches ``found`` (``find``'s answer, or the explorer index's)."""
    if not found:
        raise DataError(f"no entity is named {name!r} (try zh, en, pinyin or an id)", where)
    exact = [node for node, rank in found if rank[0] == EXACT]
    best = exact or [node for node, rank in found if rank == found[0][1]]
    if len(best) == 1:
        return best[0]
    listed = "; ".join(describe_node(node) for node in best[:20])
    more = f"; … and {len(best) - 20} more" if len(best) > 20 else ""
    raise DataError(
        f"{name!r} names {len(best)} entities equally well, give one of their ids: {listed}{more}", where
    )


def resolution_note(graph: nx.MultiDiGraph, name: str, node: str) -> str | None:
    """When ``name`` was not an exact name of ``node``: which node it was taken as, and the other candidates."""
    return choice_note(find(graph, name), name, node, lambda n: describe(graph, n))


def choice_note(found: list[tuple[str, tuple]], name: str, node: str, describe_node) -> str | None:
    """``resolution_note`` over the ranked matches ``found``."""
    if found and found[0][1][0] == EXACT:
        return None
    others = [describe_node(n) for n, _ in found if n != node]
    listed = "; ".join(others[:8]) + (f"; … and {len(others) - 8} more" if len(others) > 8 else "")
    return f"{name!r} taken as {describe_node(node)}" + (f" (other matches: {listed})" if others else "")


@dataclass(frozen=True)
class Hop:
    """One step of a path: from ``source`` to ``target`` over a relation stated ``forward`` (source p target)
    or backward (target p source)."""

    source: str
    target: str
    forward: bool
    relation: dict


def undirected(graph: nx.MultiDiGraph) -> nx.Graph:
    """The simple undirected graph of the projection, nodes and edges in the projection's order."""
    simple = nx.Graph()
    simple.add_nodes_from(graph.nodes)
    simple.add_edges_from((a, b) for a, b in graph.edges() if a != b)
    return simple


def _hop(graph: nx.MultiDiGraph, source: str, target: str) -> Hop:
    """The relation to show for a step: evidenced ones first, then those stated in the walking direction."""
    options = [(True, data) for data in graph.get_edge_data(source, target, default={}).values()]
    options += [(False, data) for data in graph.get_edge_data(target, source, default={}).values()]
    forward, relation = min(options, key=lambda o: (not o[1]["evidence"], not o[0], o[1]["predicate"]))
    return Hop(source, target, forward, relation)


def shortest_paths(
    graph: nx.MultiDiGraph, source: str, target: str, limit: int = 1, simple: nx.Graph | None = None
) -> list[list[Hop]]:
    """Up to ``limit`` shortest connections between two nodes, each a list of hops, those whose every hop is
    backed by a quote first; [] when the nodes are not connected. ``simple`` is ``undirected(graph)`` when the
    caller keeps one (the web app does, rather than rebuild it per request)."""
    simple = undirected(graph) if simple is None else simple
    try:
        candidates = list(islice(nx.all_shortest_paths(simple, source, target), max(limit, CANDIDATE_PATHS)))
    except nx.NetworkXNoPath:
        return []
    paths = [[_hop(graph, a, b) for a, b in pairwise(path)] for path in candidates]
    paths.sort(key=lambda hops: sum(not hop.relation["evidence"] for hop in hops))
    return paths[:limit]


def on_shortest_paths(adjacency, source: str, target: str, max_visited: int) -> set[str] | None:
    """The nodes on every shortest undirected path between ``source`` and ``target``, found breadth first with
    ``adjacency(nodes) -> {node: neighbours}`` (the explorer's index answers it a level at a time): an empty set
    when they are not connected, None when more than ``max_visited`` nodes were reached first."""
    depth, parents, frontier = {source: 0}, {source: set()}, [source]
    while frontier and target not in depth:
        if len(depth) > max_visited:
            return None
        around = adjacency(frontier)
        reached = []
        for node in frontier:
            for other in sorted(around.get(node, ())):
                if other not in depth:
                    depth[other], parents[other] = depth[node] + 1, {node}
                    reached.append(other)
                elif depth[other] == depth[node] + 1:
                    parents[other].add(node)
        frontier = reached
    if target not in depth:
        return set()
    found, stack = set(), [target]
    while stack:
        node = stack.pop()
        if node not in found:
            found.add(node)
            stack.extend(parents[node])
    return found


def format_path(graph: nx.MultiDiGraph, hops: list[Hop]) -> str:
    """A path as readable lines: each hop ``A —relation (en)→ B`` with its evidence quote and offsets."""
    lines = []
    for number, hop in enumerate(hops, start=1):
        a, b = graph.nodes[hop.source]["label_zh"], graph.nodes[hop.target]["label_zh"]
        relation = f"{hop.relation['label_zh']} ({hop.relation['label_en']})"
        arrow = f"—{relation}→" if hop.forward else f"←{relation}—"
        lines.append(f"{number}. {a} {arrow} {b}")
        for span in hop.relation["evidence"]:
            lines.append(f"     “{span['quote']}” [chars {span['begin']}–{span['end']}]")
        for reference in hop.relation["references"]:
            lines.append(f"     reference: {reference['label_en']}")
    return "\n".join(lines)


def path_as_data(graph: nx.MultiDiGraph, hops: list[Hop]) -> list[dict]:
    """A path as JSON-ready data."""
    return [
        {
            "from": graph.nodes[h.source]["iri"],
            "from_zh": graph.nodes[h.source]["label_zh"],
            "to": graph.nodes[h.target]["iri"],
            "to_zh": graph.nodes[h.target]["label_zh"],
            "direction": "forward" if h.forward else "backward",
            **{k: h.relation[k] for k in ("predicate", "label_zh", "label_en", "evidence", "references")},
        }
        for h in hops
    ]


def neighbours(graph: nx.MultiDiGraph, node: str) -> set[str]:
    """The nodes related to ``node`` in either direction."""
    return set(graph.succ[node]) | set(graph.pred[node])


def ego(graph: nx.MultiDiGraph, node: str, radius: int = 1) -> nx.MultiDiGraph:
    """The node, everything within ``radius`` relations of it (either direction), and the relations among them."""
    if node not in graph:
        raise DataError(f"no entity {node!r} in the graph", "entity")
    # Breadth first by hand: networkx's ego_graph(undirected=True) deep-copies the whole graph on every call.
    reached, frontier = {node}, {node}
    for _ in range(radius):
        frontier = {n for f in frontier for n in neighbours(graph, f)} - reached
        reached |= frontier
    return graph.subgraph(sorted(reached)).copy()


def _entry(attributes: dict, **figures) -> dict:
    return {
        "iri": attributes["iri"],
        "label_zh": attributes["label_zh"],
        "label_en": attributes["label_en"],
        **figures,
    }


def betweenness_sources(simple: nx.Graph, budget: int = BETWEENNESS_BUDGET) -> int:
    """How many source nodes betweenness is computed from: every node (exact) while that stays within
    ``budget`` search steps, else as many as fit (at least a few).

    >>> line = nx.path_graph(100)  # 100 nodes, 99 edges
    >>> betweenness_sources(line), betweenness_sources(line, budget=10_000), betweenness_sources(line, budget=100)
    (100, 50, 16)
    """
    nodes = simple.number_of_nodes()
    fitting = budget // max(1, nodes + simple.number_of_edges())
    return min(nodes, max(fitting, MIN_BETWEENNESS_SOURCES))


def centrality(graph: nx.MultiDiGraph, top: int = 10, budget: int = BETWEENNESS_BUDGET,
               seed: int = COMMUNITY_SEED, simple: nx.Graph | None = None) -> dict:
    """The ``top`` nodes by degree (distinct neighbours) and by betweenness centrality, and how betweenness was
    found: exactly, or estimated from ``sources`` nodes drawn with ``seed`` (see ``betweenness_sources``)."""
    simple = undirected(graph) if simple is None else simple
    return _centrality(simple, graph.nodes.__getitem__, top, budget, seed)


def _centrality(simple: nx.Graph, attributes, top: int, budget: int, seed: int) -> dict:
    sources = betweenness_sources(simple, budget)
    exact = sources == simple.number_of_nodes()
    betweenness = nx.betweenness_centrality(simple, k=None if exact else sources, seed=None if exact else seed)
    by_degree = sorted(simple.nodes, key=lambda n: (-simple.degree(n), n))[:top]
    by_betweenness = sorted(simple.nodes, key=lambda n: (-betweenness[n], n))[:top]
    method = {"method": "exact"} if exact else {"method": "sampled", "sources": sources, "seed": seed}
    return {
        "degree": [_entry(attributes(n), degree=simple.degree(n)) for n in by_degree],
        "betweenness": [_entry(attributes(n), betweenness=round(betweenness[n], 4)) for n in by_betweenness],
        "betweenness_method": {**method, "nodes": simple.number_of_nodes()},
    }


def communities(graph: nx.MultiDiGraph, seed: int = COMMUNITY_SEED, simple: nx.Graph | None = None) -> list[list[str]]:
    """Louvain communities (fixed seed), largest first; members by degree, then IRI. Louvain takes time close to
    linear in the edges, but runs in Python: seconds at a hundred articles, so the build finds them once and
    keeps them in the explorer's index."""
    simple = undirected(graph) if simple is None else simple
    return in_order(simple, nx.community.louvain_communities(simple, seed=seed))


def in_order(simple: nx.Graph, found: Iterable[Iterable[str]]) -> list[list[str]]:
    """Communities largest first, members by degree, then IRI: the order of ``communities``, for communities
    found before (those the explorer's index keeps)."""
    ordered = [sorted(c, key=lambda n: (-simple.degree(n), n)) for c in found]
    return sorted(ordered, key=lambda c: (-len(c), c[0]))


def summary(graph: nx.MultiDiGraph, top: int = 10, seed: int = COMMUNITY_SEED) -> dict:
    """Counts, centrality and communities of the projection, as JSON-ready data (the undirected graph made once)."""
    simple = undirected(graph)
    return graph_summary(simple, graph.number_of_edges(), communities(graph, seed, simple), graph.nodes.__getitem__,
                         top, seed)


def graph_summary(simple: nx.Graph, edges: int, found: list[list[str]], attributes, top: int = 10,
                  seed: int = COMMUNITY_SEED) -> dict:
    """``summary`` from what it needs of the projection: its undirected graph, its number of relations, its
    communities (``communities``) and ``attributes(node)``, a node's iri and labels at least; the explorer's index
    holds them all, so that the projection's data need not be read."""
    components = sorted((len(c) for c in nx.connected_components(simple)), reverse=True)
    return {
        "nodes": simple.number_of_nodes(),
        "edges": edges,
        "density": round(nx.density(simple), 6),
        "components": len(components),
        "largest_component": components[0] if components else 0,
        "centrality": _centrality(simple, attributes, top, BETWEENNESS_BUDGET, seed),
        "communities": [{"size": len(c), "members": [_entry(attributes(n)) for n in c[:top]]} for c in found],
    }
