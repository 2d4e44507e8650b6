"""The ASGI app factory: each part of the site contributes its routes."""

from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from . import catalogue_pages, downloads, explorer, sparql
from .site import Site

PARTS = (sparql, catalogue_pages, explorer, downloads)


def create_app(site: Site) -> Starlette:
    routes = [route for part in PARTS for route in part.routes(site)]

    @asynccontextmanager
    async def lifespan(app):
        await run_in_threadpool(site.workers.start)  # the query worker processes load the store
        try:
            yield
        finally:
            site.workers.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.site = site
    return app
