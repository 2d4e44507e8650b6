"""Views shown inline in notebooks: Jupyter, JupyterLab and VS Code.

pyvis' own notebook mode writes the page to a file and shows an ``<iframe src=file>``, which VS Code's
notebook cannot load (a blank cell). Here the whole self-contained page travels in the cell's output, as the
``srcdoc`` of a sandboxed iframe: its scripts run in an opaque origin, under the page's own
Content-Security-Policy (its inline scripts allowed by hash, nothing fetched), and nothing is written to disk.
"""

import html
from dataclasses import dataclass
from pathlib import Path

from ..files import write_text

HEIGHT = 640  # pixels: the view draws itself to the frame's height


@dataclass(frozen=True)
class InlineView:
    """One view page, shown inline by any front end that renders ``text/html`` outputs.

    >>> InlineView("t", "<p>a & b</p>")._repr_html_().split('"')[3]  # the srcdoc attribute
    '&lt;p&gt;a &amp; b&lt;/p&gt;'
    """

    title: str
    html: str
    height: int = HEIGHT

    def _repr_html_(self) -> str:
        # allow-scripts without allow-same-origin: the page runs, but cannot reach the notebook's origin
        return (
            f'<iframe title="{html.escape(self.title)}" srcdoc="{html.escape(self.html)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {int(self.height)}px; border: 0"></iframe>'
        )

    def save(self, path: Path) -> Path:
        """Write the page as a self-contained HTML file (UTF-8) that works offline."""
        write_text(Path(path), self.html)
        return Path(path)
