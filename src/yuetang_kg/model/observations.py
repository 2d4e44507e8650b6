"""Numbers as observations, the Data Commons / Data Cube way: what is measured, about what, when, the value as
the article writes it and normalised, the unit, and the article's approximation qualifier; plus the figures
derived from them (changes, rates, sums), each linked to its inputs.
"""

import re
from decimal import ROUND_HALF_EVEN, Decimal

from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import SKOS

from ..errors import DataError
from ..namespaces import QUDT, UNIT, YKG, iri
from .facts import Derived, Observation
from .mapping import Context
from .periods import Period, parse_period
from .qualification import qualify

# The article's approximation words and the ontology's qualifier individuals.
QUALIFIERS = {
    "余": "qualifier-yu",
    "多": "qualifier-duo",
    "近": "qualifier-jin",
    "超": "qualifier-chao",
    "约": "qualifier-yue",
    "达": "qualifier-da",
    "以上": "qualifier-yishang",
    "来": "qualifier-lai",
}

DERIVATIONS = {"difference", "percent_change", "sum"}

# Words that make a figure a yearly flow; unless the article names the year, its period is ``yearly``.
YEARLY_WORDS = re.compile(r"每年|年产值|年平均|年均")


def _decimal(value: Decimal) -> Literal:
    """An xsd:decimal literal in canonical form (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return Literal(text, datatype=XSD.decimal)


def map_units(ctx: Context) -> None:
    g = ctx.graph
    for unit in ctx.facts.units.values():
        node = iri("unit", unit.id)
        g.add((node, RDF.type, YKG.Unit))
        g.add((node, RDFS.label, Literal(unit.zh, lang="zh")))
        g.add((node, RDFS.label, Literal(unit.en, lang="en")))
        g.add((node, YKG.symbol, Literal(unit.symbol)))
        if unit.qudt:
            g.add((node, SKOS.exactMatch, UNIT[unit.qudt]))
        if unit.factor is not None:
            g.add((node, QUDT.conversionMultiplier, _decimal(Decimal(unit.factor))))


def map_variables(ctx: Context) -> None:
    g = ctx.graph
    for variable in ctx.facts.variables.values():
        node = iri("variable", variable.id)
        g.add((node, RDF.type, YKG.StatisticalVariable))
        g.add((node, RDFS.label, Literal(variable.zh, lang="zh")))
        g.add((node, RDFS.label, Literal(variable.en, lang="en")))
        g.add((node, SKOS.definition, Literal(variable.definition, lang="en")))


def _period(ctx: Context, period: Period) -> URIRef:
    node = iri("period", period.id)
    g = ctx.graph
    g.add((node, RDF.type, YKG.Period))
    g.add((node, RDFS.label, Literal(period.id)))
    g.add((node, YKG.periodKind, YKG[f"periodkind-{period.kind}"]))
    if period.start is not None:
        g.add((node, YKG.startDate, Literal(period.start.isoformat(), datatype=XSD.date)))
        g.add((node, YKG.endDate, Literal(period.end.isoformat(), datatype=XSD.date)))
    return node


def _check_stated(obs: Observation, where: str) -> None:
    if obs.multiplier <= 0 or obs.multiplier.log10() % 1 != 0:
        raise DataError(f"multiplier {obs.multiplier} is not a positive power of ten: write 1, 10000 (万) or "
                        "100000000 (亿) …", where)
    if obs.stated not in (obs.evidence.quote or ""):
        raise DataError(f"stated {obs.stated!r} is not part of the quote", where)
    if re.search(r"\d", obs.stated):
        written = format(obs.value.normalize(), "f")
        if written not in obs.stated.replace(",", ""):
            raise DataError(f"value {written} does not appear in the stated figure {obs.stated!r}", where)
    if obs.qualifier is not None and obs.qualifier not in QUALIFIERS:
        raise DataError(f"unknown qualifier {obs.qualifier!r}; valid: {' '.join(QUALIFIERS)}", where)
    if obs.qualifier is not None and obs.qualifier not in obs.stated and obs.qualifier not in obs.evidence.quote:
        raise DataError(f"qualifier {obs.qualifier!r} is not in the quote", where)


def _name(ctx: Context, node: URIRef, lang: str) -> str:
    """A node's label in one language, as mapped so far (variables and entities are mapped first)."""
    for label in ctx.graph.objects(node, RDFS.label):
        if label.language == lang:
            return str(label)
    return str(node).rsplit("/", 1)[-1]


def _label(ctx: Context, node: URIRef, about: str, variable: str, period: str) -> None:
    subject = ctx.resolve(about, "")
    var = iri("variable", variable)
    zh = f"{_name(ctx, subject, 'zh')}·{_name(ctx, var, 'zh')}（{period}）"
    en = f"{_name(ctx, var, 'en')} of {_name(ctx, subject, 'en')} ({period})"
    ctx.graph.add((node, RDFS.label, Literal(zh, lang="zh")))
    ctx.graph.add((node, RDFS.label, Literal(en, lang="en")))


def _common(ctx: Context, node: URIRef, about: URIRef, variable: URIRef, unit: str, period: Period, where: str):
    g = ctx.graph
    if unit not in ctx.facts.units:
        raise DataError(f"unknown unit {unit!r}; see graph_data/vocab/units.yaml", where)
    g.add((node, YKG.observationAbout, about))
    g.add((node, YKG.variableMeasured, variable))
    g.add((node, YKG.unit, iri("unit", unit)))
    g.add((node, YKG.period, _period(ctx, period)))


def map_observations(ctx: Context) -> None:
    g = ctx.graph
    for obs in ctx.facts.observations.values():
        where = str(obs.origin)
        _check_stated(obs, where)
        if obs.variable not in ctx.facts.variables:
            raise DataError(f"unknown variable {obs.variable!r}: declare it under variables:", where)
        node = iri("observation", obs.id)
        g.add((node, RDF.type, YKG.Observation))
        period = parse_period(obs.period, where)
        if period.kind == "calendar" and YEARLY_WORDS.search(obs.evidence.quote or "") and not re.search(
            r"\d{4}年", obs.period_text or ""
        ):
            raise DataError(
                f"the quote says the figure recurs every year but names no year: write period: yearly, not {obs.period}",
                where,
            )
        _common(ctx, node, ctx.resolve(obs.about, where), iri("variable", obs.variable), obs.unit, period, where)
        g.add((node, YKG.value, _decimal(obs.value * obs.multiplier)))
        g.add((node, YKG.statedValue, _decimal(obs.value)))
        g.add((node, YKG.multiplier, _decimal(obs.multiplier)))
        g.add((node, YKG.statedText, Literal(obs.stated, lang="zh")))
        g.add((node, YKG.isDerived, Literal(False)))
        if obs.qualifier:
            g.add((node, YKG.qualifier, YKG[QUALIFIERS[obs.qualifier]]))
        if obs.period_text:
            g.add((node, YKG.periodText, Literal(obs.period_text, lang="zh")))
        if obs.previous:
            if obs.previous not in ctx.facts.observations:
                raise DataError(f"previous {obs.previous!r} is not an observation", where)
            g.add((node, YKG.previousObservation, iri("observation", obs.previous)))
        _label(ctx, node, obs.about, obs.variable, obs.period)
        qualify(g, node, where, attribution_unclear=obs.attribution_unclear)
        ctx.attach_evidence(node, obs.evidence, obs.origin, obs.note)


def compute(kind: str, values: list[Decimal]) -> Decimal:
    """The derived figure: b − a, (b − a) / a × 100 rounded to two places, or the sum.

    >>> compute("percent_change", [Decimal(26320000), Decimal(81570000)])
    Decimal('209.92')
    """
    if kind == "sum":
        return sum(values, Decimal(0))
    first, last = values[0], values[-1]
    if kind == "difference":
        return last - first
    return ((last - first) / first * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def _derived_variable(ctx: Context, derived: Derived, inputs: list[Observation], where: str) -> str:
    """The variable a derived figure measures: declared, or made from its inputs' variable."""
    if derived.variable:
        if derived.variable not in ctx.facts.variables:
            raise DataError(f"unknown variable {derived.variable!r}", where)
        return derived.variable
    names = {obs.variable for obs in inputs}
    if len(names) != 1:
        raise DataError("inputs measure different variables: declare variable:", where)
    base = ctx.facts.variables[names.pop()]
    if derived.kind == "sum":
        return base.id
    suffix, zh, en = {
        "difference": ("change", "变化量", "change in"),
        "percent_change": ("percent-change", "变化率", "percent change in"),
    }[derived.kind]
    ident = f"{base.id}-{suffix}"
    node = iri("variable", ident)
    g = ctx.graph
    g.add((node, RDF.type, YKG.StatisticalVariable))
    g.add((node, RDFS.label, Literal(base.zh + zh, lang="zh")))
    g.add((node, RDFS.label, Literal(f"{en} {base.en}", lang="en")))
    g.add((node, SKOS.definition, Literal(f"The {en} {base.en}, computed from two observations.", lang="en")))
    return ident


def map_derived(ctx: Context) -> None:
    g, facts = ctx.graph, ctx.facts
    for derived in facts.derived.values():
        where = str(derived.origin)
        if derived.kind not in DERIVATIONS:
            raise DataError(f"unknown kind {derived.kind!r}; valid: {', '.join(sorted(DERIVATIONS))}", where)
        missing = [i for i in derived.inputs if i not in facts.observations]
        if missing or len(derived.inputs) < 2:
            raise DataError(f"inputs must be two or more stated observations; unknown: {missing}", where)
        inputs = [facts.observations[i] for i in derived.inputs]
        abouts = {obs.about for obs in inputs}
        units = {obs.unit for obs in inputs}
        if len(abouts) != 1 or len(units) != 1:
            raise DataError("inputs must share their subject (about) and unit", where)
        values = [obs.value * obs.multiplier for obs in inputs]
        periods = [parse_period(obs.period, where) for obs in inputs]
        first, last = periods[0], periods[-1]
        if first != last and (first.start is None or last.start is None):
            raise DataError("inputs of different periods must have calendar periods: a span needs dates", where)
        period = first if first == last else Period(f"{first.id}-to-{last.id}", first.start, last.end)
        unit = "percent" if derived.kind == "percent_change" else units.pop()
        variable = _derived_variable(ctx, derived, inputs, where)
        node = iri("observation", derived.id)
        about = abouts.pop()
        g.add((node, RDF.type, YKG.DerivedObservation))
        _common(ctx, node, ctx.resolve(about, where), iri("variable", variable), unit, period, where)
        g.add((node, YKG.value, _decimal(compute(derived.kind, values))))
        g.add((node, YKG.derivation, Literal(derived.kind)))
        g.add((node, YKG.isDerived, Literal(True)))
        for obs in inputs:
            g.add((node, YKG.derivedFrom, iri("observation", obs.id)))
        if derived.compares_with:
            g.add((node, YKG.comparesWith, ctx.resolve(derived.compares_with, where)))
        _label(ctx, node, about, variable, period.id)
        g.add((node, YKG.curatedAt, Literal(where)))
        if derived.note:
            g.add((node, YKG.curationNote, Literal(derived.note, lang="en")))
