"""HTTP content negotiation: pick the best of the media types a response can take from an ``Accept`` header
(RFC 9110 §12.5.1: q-values, ``type/*`` and ``*/*`` ranges, the most specific range deciding), or from an
explicit ``format`` request parameter, which wins over the header.

>>> choose(["application/sparql-results+json", "text/csv"], "text/csv;q=0.9, application/*;q=0.5")
'text/csv'
>>> choose(["text/turtle", "application/n-triples"], None)
'text/turtle'
"""

from collections.abc import Mapping, Sequence


class NotAcceptable(ValueError):
    """No offered media type is acceptable; the message lists what is on offer."""


def parse_accept(header: str) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their q-values, parameters other than q dropped.

    >>> parse_accept("text/html, application/xml;q=0.9, */*;q=0.8")
    [('text/html', 1.0), ('application/xml', 0.9), ('*/*', 0.8)]
    """
    ranges = []
    for part in header.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if "/" not in media:
            continue  # not a media range: ignore it, as browsers and servers do
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((media.lower(), q))
    return ranges


def quality(media_type: str, ranges: list[tuple[str, float]]) -> float:
    """How much the client wants ``media_type``: the q of the most specific range that matches it."""
    kind = media_type.partition("/")[0]
    best, specificity = 0.0, -1
    for media, q in ranges:
        r_kind, _, r_sub = media.partition("/")
        if media == media_type:
            level = 2
        elif r_kind == kind and r_sub == "*":
            level = 1
        elif media == "*/*":
            level = 0
        else:
            continue
        if level > specificity:
            best, specificity = q, level
    return best


def choose(offers: Sequence[str], accept: str | None, fmt: str | Sequence[str] | None = None,
           names: Mapping[str, str] | None = None) -> str:
    """The media type to answer with, from ``offers`` (best first when the client has no preference).

    ``fmt`` (one value or several) names formats (keys of ``names``, e.g. ``csv``) or media types, comma-separated
    lists allowed; when given, the first that is on offer decides alone. SPARQLWrapper, for one, sends
    ``format=tsv&format=text/tab-separated-values``.

    >>> choose(["text/turtle"], "*/*", ["rdf+xml", "turtle"], {"turtle": "text/turtle"})
    'text/turtle'
    """
    if fmt:
        values = [fmt] if isinstance(fmt, str) else list(fmt)
        wanted = [(names or {}).get(v.strip().lower(), v.strip().lower()) for value in values for v in value.split(",")]
        for media_type in wanted:
            if media_type in offers:
                return media_type
        valid = ", ".join(sorted({n for n, m in (names or {}).items() if m in offers} | set(offers)))
        raise NotAcceptable(f"format {', '.join(values)} is not available here; valid: {valid}")
    if not accept or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    scored = [(quality(offer, ranges), -index, offer) for index, offer in enumerate(offers)]
    best_q, _, best = max(scored)
    if best_q <= 0:
        raise NotAcceptable(f"none of the accepted media types ({accept}) is available here; "
                            f"available: {', '.join(offers)}")
    return best
