"""Charts of the indicators, drawn on the server as inline SVG (no chart library, nothing fetched).

Two kinds: every before/after series of the graph (observations linked by ``ykg:previousObservation``, with
the figures derived from them), and the comparisons that ``viz/charts.yaml`` defines by variable and subject.
Each bar carries the article's own figure (``2632万元``), its period, unit and qualifier; each chart lists the
source sentence of every bar beside it.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from markupsafe import Markup, escape

from ..bundle import CHARTS_FILE
from ..errors import DataError
from ..explore.project import kind_and_slug
from ..explore.views import read_definitions
from .resources import local_path

_KEYS = {"name", "title_zh", "title_en", "variables", "about"}
WIDTH, LABEL_W, BAR_W, ROW_H = 760, 250, 330, 30
FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"


@dataclass(frozen=True)
class Comparison:
    name: str
    title_zh: str
    title_en: str
    variables: tuple[str, ...] = ()
    about: tuple[str, ...] = ()


def load_comparisons(folder: Path) -> list[Comparison]:
    """The comparisons of ``charts.yaml``; a bad entry raises DataError naming the file and the chart."""
    path = Path(folder) / CHARTS_FILE
    document = read_definitions(path, "chart definitions")
    entries = document.get("comparisons") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise DataError("expected a mapping with a list comparisons:", str(path))
    found = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: comparison {number}"
        if (
            not isinstance(entry, dict)
            or not {"name", "title_zh", "title_en"} <= set(entry)
            or set(entry) - _KEYS
        ):
            raise DataError(
                f"a comparison has name, title_zh, title_en, variables and/or about; valid keys: "
                f"{', '.join(sorted(_KEYS))}",
                where,
            )
        if not entry.get("variables") and not entry.get("about"):
            raise DataError("a comparison selects by variables:, about: or both", where)
        found.append(
            Comparison(
                entry["name"],
                entry["title_zh"],
                entry["title_en"],
                tuple(entry.get("variables") or ()),
                tuple(entry.get("about") or ()),
            )
        )
    return found


@dataclass
class Chart:
    name: str
    title_zh: str
    title_en: str
    kind: str  # "before-after" or "comparison"
    panels: list[list[dict]]  # bars (observations) grouped by unit
    notes: list[dict] = field(default_factory=list)  # derived and checking figures of a before/after series

    @property
    def about(self) -> set[str]:
        return {bar["about"] for panel in self.panels for bar in panel}

    @property
    def documents(self) -> set[str]:
        """The source documents its figures are quoted from."""
        return {span["document"] for panel in self.panels for bar in panel for span in bar["evidence"]}


def _slug(iri: str) -> str:
    parts = kind_and_slug(iri)
    return parts[1] if parts else iri


def _series(observations: dict[str, dict]) -> list[list[dict]]:
    """Chains of observations linked by ``previous``, oldest first."""
    earlier = {o["previous"] for o in observations.values() if o["previous"]}
    chains = []
    for head in sorted(iri for iri, o in observations.items() if o["previous"] and iri not in earlier):
        chain, iri = [], head
        while iri in observations and iri not in chain:
            chain.append(iri)
            iri = observations[iri]["previous"]
        chains.append([observations[i] for i in reversed(chain)])
    return chains


def charts(observations: list[dict], comparisons: list[Comparison], about_labels) -> list[Chart]:
    """The charts of a graph's observations (``project.observations``); ``about_labels(iri)`` gives the
    (zh, en) names of what an observation is about."""
    by_iri = {
        o["iri"]: {
            **o,
            "about_zh": about_labels(o["about"])[0],
            "about_en": about_labels(o["about"])[1],
            "href": local_path(o["iri"]),
        }
        for o in observations
    }
    deriving: dict[str, list[dict]] = {}  # an observation's derived figures, so that each chain looks up its own
    for o in by_iri.values():
        if o["derived_from"]:
            deriving.setdefault(o["derived_from"][0], []).append(o)
    found = []
    for chain in _series(by_iri):
        members = {o["iri"] for o in chain}
        candidates = [o for member in chain for o in deriving.get(member["iri"], [])]
        derived = sorted((o for o in candidates if set(o["derived_from"]) <= members), key=lambda o: o["iri"])
        checked = [by_iri[o["compares_with"]] for o in derived if o["compares_with"] in by_iri]
        last = chain[-1]
        found.append(
            Chart(
                f"series-{_slug(last['iri'])}",
                f"{last['about_zh']} · {last['variable_zh']}",
                f"{last['variable_en']} of {last['about_en']}",
                "before-after",
                [chain],
                derived + checked,
            )
        )
    for comparison in comparisons:
        chosen = [
            o
            for o in by_iri.values()
            if not o["derived"]
            and (not comparison.variables or _slug(o["variable"]) in comparison.variables)
            and (not comparison.about or _slug(o["about"]) in comparison.about)
        ]
        if chosen:
            panels: dict[str, list[dict]] = {}
            for o in sorted(
                chosen, key=lambda o: (o["evidence"][0]["begin"] if o["evidence"] else 0, o["iri"])
            ):
                panels.setdefault(o["unit"], []).append(o)
            found.append(
                Chart(
                    comparison.name,
                    comparison.title_zh,
                    comparison.title_en,
                    "comparison",
                    list(panels.values()),
                )
            )
    return found


def _number(value: str) -> float:
    return float(Decimal(value)) if value else 0.0


def bar_label(bar: dict, chart: Chart) -> str:
    """What a bar is: the period for a series, subject and variable for a comparison."""
    if chart.kind == "before-after":
        return bar["period"] + (f"（{bar['period_text']}）" if bar["period_text"] else "")
    return f"{bar['about_zh']} · {bar['variable_zh']}"


def svg(chart: Chart, panel: list[dict]) -> Markup:
    """One panel (bars of one unit) as an inline SVG: label, bar to scale, the article's figure and period."""
    top = max((_number(b["value"]) for b in panel), default=0.0) or 1.0
    height = ROW_H * len(panel) + 10
    title = escape(f"{chart.title_zh} · {chart.title_en} ({panel[0]['unit_zh']})")
    rows = []
    for index, bar in enumerate(panel):
        y = 5 + index * ROW_H
        width = max(2.0, BAR_W * _number(bar["value"]) / top)
        label = bar_label(bar, chart)
        short = label if len(label) <= 16 else label[:15] + "…"
        figure = f"{bar['stated'] or bar['value']} · {bar['period']}"
        rows.append(
            Markup(
                "<g><title>{full}</title>"
                '<text x="{lx}" y="{ty}" text-anchor="end">{short}</text>'
                '<rect x="{bx}" y="{y}" width="{w:.1f}" height="{h}" fill="{color}"/>'
                '<text x="{fx:.1f}" y="{ty}">{figure}</text></g>'
            ).format(
                full=f"{label}: {figure}",
                lx=LABEL_W - 8,
                ty=y + ROW_H * 0.6,
                short=short,
                bx=LABEL_W,
                y=y + 4,
                w=width,
                h=ROW_H - 10,
                color="#90a4ae" if bar["derived"] else "#42a5f5",
                fx=LABEL_W + width + 6,
                figure=figure,
            )
        )
    return Markup(
        '<svg class="chart" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{font}" '
        'font-size="13" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>{rows}</svg>'
    ).format(w=WIDTH, h=height, font=FONT, title=title, rows=Markup("").join(rows))
