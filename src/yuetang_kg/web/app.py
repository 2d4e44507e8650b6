"""The ASGI app factory: each part of the site contributes its routes.

``/sparql`` is answered before the middleware and the router: it is the one route under load, and the stack cost a
cheap query more of the server's time than the exchange with its worker (``sparql.Endpoint`` sets the security
headers itself; see benchmarks/README.md).
"""

import os
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware

from ..publish.describe import Release
from . import catalogue_pages, downloads, explorer, reconcile, sandbox, sparql
from .headers import SecurityHeaders
from .settings import Settings
from .site import Site
from .upstream import Upstream

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


@dataclass(frozen=True)
class Served:
    """What ``serve`` serves, in a form that crosses to other processes: each process of ``serve --processes``
    makes its own site from it (its own query workers, queue and indexes, over the one build)."""

    build: Path
    catalogue: dict
    settings: Settings
    release: Release
    viz: Path
    upstream: tuple | None = None  # ``Upstream``'s arguments: each process has its own client of the engine
    supervisor: int | None = None  # the process that starts the server processes

    def site(self) -> Site:
        upstream = Upstream(*self.upstream) if self.upstream else None
        return Site(self.build, self.catalogue, settings=self.settings, release=self.release, viz=self.viz,
                    upstream=upstream)

    def process_app(self) -> Starlette:
        """The app of one server process, made there (uvicorn calls it): the process dies with the one that started
        it, as its query workers die with it, even when that one is killed with -9."""
        sandbox.die_with_parent()
        if os.getppid() != self.supervisor:  # it died before the signal was armed
            sys.exit(1)
        return create_app(self.site())
