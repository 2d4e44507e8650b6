"""The dataset bundle: the project's folders and the build's files, as a checkout holds them and as an installed
wheel carries them (``yuetang_kg/dataset/``), and the build report that says which build files belong to it.

The build report (``build-report.json``, written last by ``build``) records the hash of every file the build
wrote and of its inputs. The wheel carries exactly the files the report lists, and the report: a file that a
later build writes (an on-disk store, an index) joins the wheel by being listed there, with no other change.

Standard library only: ``setup.py`` loads this file by its path to pack a wheel, before any dependency is
installed.
"""

import hashlib
from pathlib import Path

REPORT_NAME = "build-report.json"
# The checkout's folders, by role: curated inputs, ontology, query catalogue, view definitions, build output.
FOLDERS = {"data": "graph_data", "ontology": "ontology", "queries": "queries", "viz": "viz", "out": "dist"}
# The chart definitions in the viz folder: drawn into the build's index, so hashed into its report too.
CHARTS_FILE = "charts.yaml"
# The inputs whose content the report hashes: a change to any of them makes a build stale.
INPUT_SUFFIXES = frozenset({".yaml", ".ttl", ".txt"})
# Where the wheel puts the folders, inside the package.
DATASET = "dataset"


def inputs_hash(graph_data: Path, ontology_dir: Path) -> str:
    """A content hash of every input file, in a stable order, for the build report and the dataset description."""
    digest = hashlib.sha256()
    for folder in (Path(graph_data), Path(ontology_dir)):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in INPUT_SUFFIXES):
            digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_files(report: dict, out: Path | None = None) -> list[str]:
    """The build files that belong to the bundle, by path inside the build folder ``out``: every file the report
    lists, the report itself, and the files of the on-disk query store (which RocksDB names itself, so they are
    read from ``out`` rather than the report).

    >>> build_files({"outputs": {"yuetang.nt": "…", "void.ttl": "…"}})
    ['build-report.json', 'void.ttl', 'yuetang.nt']
    """
    store = []
    if out is not None and "store" in report:
        folder = Path(out) / report["store"]["folder"]
        store = [p.relative_to(out).as_posix() for p in folder.rglob("*") if p.is_file()]
    index = [report["index"]["file"]] if "index" in report else []
    return sorted([*report["outputs"], *store, *index, REPORT_NAME])


def installed_root() -> Path | None:
    """The folder holding the project's folders for this installation: the copy the wheel carries, else the
    checkout this package is imported from (an editable install), else None."""
    package = Path(__file__).resolve().parent
    for root in (package / DATASET, package.parent.parent):
        if (root / FOLDERS["data"]).is_dir() and (root / FOLDERS["ontology"]).is_dir():
            return root
    return None
