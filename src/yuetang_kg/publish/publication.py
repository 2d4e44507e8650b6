"""The published files of a graph: the dumps in every format, the JSON-LD context, the VoID + DCAT description
and the ontology's documentation. Each is made on first request and kept; the build writes them all into its
output folder and the web app serves them under ``/downloads/``, the same bytes for the same graphs.
"""

from collections.abc import Callable
from pathlib import Path

from rdflib import Graph

from ..files import write_atomic
from .describe import Release, describe
from .export import Exporter, file_name, published_exports, render
from .formats import FORMATS
from .jsonld import context_document
from .ontology_docs import ontology_html

CONTEXT_FILE = "context.jsonld"
DESCRIPTION_FILE = "void.ttl"
ONTOLOGY_DOCS_FILE = "ontology.html"


class Publication:
    """The files for ``data`` and ``ontology``; ``downloads`` is the URL prefix the HTML links to the files by."""

    def __init__(self, data: Graph, ontology: Graph, release: Release, downloads: str = ""):
        self.data, self.ontology, self.release = data, ontology, release
        self._made: dict[str, bytes] = {}
        self._makers: dict[str, tuple[str, Callable[[], bytes]]] = {}
        exporter = Exporter(data, ontology)
        for what, fmt in published_exports():
            self._makers[file_name(what, fmt)] = (fmt.media_type, _export_maker(exporter, what, fmt))
        self._makers[CONTEXT_FILE] = (FORMATS["jsonld"].media_type, lambda: context_document(ontology))
        self._makers[DESCRIPTION_FILE] = (FORMATS["ttl"].media_type, self._description)
        self._makers[ONTOLOGY_DOCS_FILE] = ("text/html", lambda: ontology_html(ontology, downloads).encode("utf-8"))

    def names(self) -> list[str]:
        return list(self._makers)

    def media_type(self, name: str) -> str:
        return self._makers[name][0]

    def get(self, name: str) -> bytes:
        """The bytes of the file ``name``; KeyError for a name that is not published."""
        if name not in self._made:
            self._made[name] = self._makers[name][1]()
        return self._made[name]

    def _description(self) -> bytes:
        dumps = {fmt.name: self.get(file_name("data", fmt)) for fmt in FORMATS.values()}
        return render(describe(self.data, self.ontology, self.release, dumps), FORMATS["ttl"], {})

    def write(self, out: Path, progress: Callable[[str], None] = lambda message: None) -> list[Path]:
        """Write every file into ``out`` (each atomically); returns their paths."""
        written = []
        for name in self.names():
            path = Path(out) / name
            write_atomic(path, self.get(name))
            written.append(path)
            progress(f"wrote {path}")
        return written


def _export_maker(exporter: Exporter, what: str, fmt) -> Callable[[], bytes]:
    return lambda: exporter.export(what, fmt)
