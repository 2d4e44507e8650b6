"""The one layout of the site: a Jinja environment over the package's templates, shared by the catalogue, the
editor and the explorer, so that every page has the same navigation, search, fonts and footer (``base.html``).

Pages get no policy of their own: ``headers.SecurityHeaders`` gives every HTML answer the site's CSP, which runs
only the site's script files, so templates pass data to scripts as ``application/json`` blocks.
"""

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse

from ..explore import views
from . import charts


def environment() -> Environment:
    env = Environment(loader=PackageLoader("yuetang_kg.web", "templates"), autoescape=select_autoescape())
    env.globals["legend_html"] = lambda entries: Markup(views.legend_html(entries))
    env.globals["svg"] = charts.svg
    env.globals["bar_label"] = charts.bar_label
    return env


class Pages:
    """Renders the site's templates into HTML answers."""

    def __init__(self):
        self.env = environment()

    def page(self, name: str, status: int = 200, headers: dict | None = None, **context) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(name).render(**context), status, headers=headers)

    def error(self, message: str, status: int) -> HTMLResponse:
        return self.page("explorer_error.html", status, message=message)
