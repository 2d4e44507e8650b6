"""The ASGI app factory: each part of the site contributes its routes.

``/sparql`` is answered before the middleware and the router: it is the one route under load, and the stack cost a
cheap query more of the server's time than the exchange with its worker (``sparql.Endpoint`` sets the security
headers itself; see benchmarks/README.md).
"""

from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware

from . import catalogue_pages, downloads, explorer, reconcile, sparql
from .headers import SecurityHeaders
from .site import Site

PARTS = (sparql, catalogue_pages, explorer, downloads, reconcile)


class SiteApp(Starlette):
    def __init__(self, sparql_endpoint, **options):
        super().__init__(**options)
        self.sparql_endpoint = sparql_endpoint

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == "/sparql":
            return await self.sparql_endpoint(scope, receive, send)
        await super().__call__(scope, receive, send)


def create_app(site: Site) -> Starlette:
    routes = [route for part in PARTS for route in part.routes(site)]

    @asynccontextmanager
    async def lifespan(app):
        await run_in_threadpool(site.workers.start)  # the query worker processes load the store
        await run_in_threadpool(explorer.prepare, site)  # the explorer's projection and indexes, before any visitor
        try:
            yield
        finally:
            site.workers.close()

    endpoint = next(route.app for route in routes if route.path == "/sparql")
    app = SiteApp(endpoint, routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)])
    # A slash redirect would write the client's Host header into Location: public URLs come from configuration.
    app.router.redirect_slashes = False
    app.state.site = site
    return app
