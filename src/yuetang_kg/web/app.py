"""The ASGI app factory: each part of the site contributes its routes."""

from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware

from . import catalogue_pages, downloads, explorer, reconcile, sparql
from .headers import SecurityHeaders
from .site import Site

PARTS = (sparql, catalogue_pages, explorer, downloads, reconcile)


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

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)])
    # A slash redirect would write the client's Host header into Location: public URLs come from configuration.
    app.router.redirect_slashes = False
    app.state.site = site
    return app
