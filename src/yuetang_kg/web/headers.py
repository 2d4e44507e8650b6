"""Security headers on every answer of the app, set in one place so that no page can forget them.

Every HTML page runs only the site's own script files (no inline script, no ``eval``), may not be framed by
another site, and no answer may be sniffed into another type. A page that needs another policy sets its own
``Content-Security-Policy`` (the pyvis views allow their inline scripts by hash, never ``'unsafe-inline'``);
``frame-ancestors`` is added to it when missing, and only a page whose own policy allows framing (the
reconciliation preview, which OpenRefine shows in a frame) goes without ``X-Frame-Options: DENY``. Answers that
are not HTML get a policy that runs nothing, in case a browser is led to open one as a document.
"""

from starlette.datastructures import MutableHeaders

# Inline styles stay allowed: vis-network and the charts position elements with style attributes.
SITE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# What the middleware gives an answer that is not a page, for an endpoint answering without it (``sparql``).
DATA_HEADERS = {**ALWAYS, "Content-Security-Policy": DATA_CSP}


def with_frame_ancestors(policy: str) -> str:
    """A page's own policy, made unframeable if it does not say otherwise.

    >>> with_frame_ancestors("default-src 'none'")
    "default-src 'none'; frame-ancestors 'none'"
    """
    return policy if "frame-ancestors" in policy else f"{policy}; frame-ancestors 'none'"


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP answer."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                own = headers.get("content-security-policy")
                # A page whose own policy lets others frame it (the reconciliation preview) must not be denied
                # by the older header, which browsers would otherwise obey alongside it.
                frameable = own is not None and "frame-ancestors 'none'" not in with_frame_ancestors(own)
                for name, value in ALWAYS.items():
                    if not (frameable and name == "X-Frame-Options"):
                        headers.setdefault(name, value)
                if own is not None:
                    headers["Content-Security-Policy"] = with_frame_ancestors(own)
                elif headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = SITE_CSP
                else:
                    headers["Content-Security-Policy"] = DATA_CSP
            await send(message)

        await self.app(scope, receive, send_with_headers)
