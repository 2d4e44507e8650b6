"""examples/walkthrough.ipynb runs top to bottom in a real Jupyter kernel, every cell without an error, and shows
what it promises (tables, a path, an inline view)."""

from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOK = ROOT / "examples" / "walkthrough.ipynb"


@pytest.fixture(scope="module")
def executed(built, tmp_path_factory):
    """The notebook run in a folder laid out as a checkout whose build is the session's (so that it loads that
    build instead of building again); outputs stay in memory, the committed file keeps none."""
    folder = tmp_path_factory.mktemp("notebook")
    for name in ("graph_data", "ontology", "queries", "viz"):
        (folder / name).symlink_to(ROOT / name)
    (folder / "dist").symlink_to(Path(built.outputs[0].parent))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


def test_the_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.get("outputs") and cell.get("execution_count") is None
               for cell in notebook.cells if cell.cell_type == "code")


def test_every_cell_runs_and_shows_its_result(executed):
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.outputs for cell in code), [cell.source[:40] for cell in code if not cell.outputs]
    errors = [output for cell in code for output in cell.outputs if output.output_type == "error"]
    assert not errors
    html = [output.data["text/html"] for cell in code for output in cell.outputs if "text/html" in output.get("data", {})]
    assert any("七星村" in table and "<table" in table for table in html)
    assert "<iframe" in html[-1] and 'sandbox="allow-scripts"' in html[-1]
