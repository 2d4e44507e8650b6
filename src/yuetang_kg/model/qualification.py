"""What the source says about when, where and how far a stated fact holds, as data on its statement node:
its status (former, current, planned, about to happen), the scope of a superlative (world, country, province,
city), whether its object is one item of a list the source leaves open with 等, and whether the source leaves
unclear who states it. Without these, tense and scope live only in the quote and a query cannot see them.

>>> check_choice("status", "former", STATUSES, "f.yaml:3")
'status-former'
>>> check_choice("scope", "town", SCOPES, "f.yaml:3")
Traceback (most recent call last):
...
yuetang_kg.errors.DataError: f.yaml:3: unknown scope 'town'; valid: world, country, province, city
"""

from rdflib import XSD, Graph, Literal, URIRef

from ..errors import DataError
from ..namespaces import YKG

# The YAML words and the ontology's individuals (ykg:StatusScheme, ykg:ScopeScheme).
STATUSES = {
    "former": "status-former",
    "current": "status-current",
    "planned": "status-planned",
    "imminent": "status-imminent",
}
SCOPES = {
    "world": "scope-world",
    "country": "scope-country",
    "province": "scope-province",
    "city": "scope-city",
}


def check_choice(field: str, value, choices: dict[str, str], where: str) -> str:
    """The ontology individual for a YAML word, or an error naming the valid words."""
    if value not in choices:
        raise DataError(f"unknown {field} {value!r}; valid: {', '.join(choices)}", where)
    return choices[value]


def check_flag(field: str, value, where: str) -> bool:
    if not isinstance(value, bool):
        raise DataError(f"{field} is true or false, got {value!r}", where)
    return value


def qualify(
    g: Graph,
    node: URIRef,
    where: str,
    status=None,
    scope=None,
    open_list=None,
    attribution_unclear=None,
) -> None:
    """Hang the qualifications given in the facts on a statement (or observation) node."""
    if status is not None:
        g.add((node, YKG.status, YKG[check_choice("status", status, STATUSES, where)]))
    if scope is not None:
        g.add((node, YKG.scope, YKG[check_choice("scope", scope, SCOPES, where)]))
    if open_list is not None and check_flag("open_list", open_list, where):
        g.add((node, YKG.openList, Literal(True, datatype=XSD.boolean)))
    if attribution_unclear is not None and check_flag("attribution_unclear", attribution_unclear, where):
        g.add((node, YKG.attributionUnclear, Literal(True, datatype=XSD.boolean)))
