"""Packs the wheel as the whole product: besides the code, it carries the project's folders and the built graph
(``yuetang_kg/dataset/``, see ``src/yuetang_kg/bundle.py``) and YASGUI (``web/static/vendor/``), so that an
installed ``yuetang-kg serve`` works from any folder. ``make wheel`` vendors YASGUI, builds the graph, then
builds the wheel; building a wheel without them fails here, naming what to run. Editable installs read the
checkout itself and copy nothing.

Everything else about the package is in ``pyproject.toml``.
"""

import importlib.util
import json
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
FIX = "run `make wheel` (it vendors YASGUI and builds the graph first)"


def load_bundle():
    """``yuetang_kg.bundle`` by its path: importing the package would need its dependencies, absent here."""
    spec = importlib.util.spec_from_file_location("yuetang_kg_bundle", ROOT / "src" / "yuetang_kg" / "bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithDataset(build_py):
    def run(self):
        super().run()
        if not self.editable_mode:
            self.pack_dataset(Path(self.build_lib) / "yuetang_kg")

    def pack_dataset(self, package: Path) -> None:
        bundle = load_bundle()
        for name in ("yasgui.min.js", "yasgui.min.css"):
            if not (package / "web" / "static" / "vendor" / name).is_file():
                raise SystemExit(f"src/yuetang_kg/web/static/vendor/{name} is missing: {FIX}")
        out = ROOT / bundle.FOLDERS["out"]
        try:
            report = json.loads((out / bundle.REPORT_NAME).read_text(encoding="utf-8"))
            outputs = report["outputs"]
        except (OSError, ValueError, KeyError) as error:
            raise SystemExit(f"{out / bundle.REPORT_NAME}: no readable build report ({error}); {FIX}") from None
        data, ontology = ROOT / bundle.FOLDERS["data"], ROOT / bundle.FOLDERS["ontology"]
        if bundle.inputs_hash(data, ontology) != report.get("inputs_sha256"):
            raise SystemExit(f"{out} was built from other inputs than {data} and {ontology} hold now; {FIX}")
        for name in bundle.build_files(report):
            if name in outputs and bundle.file_sha256(out / name) != outputs[name]:
                raise SystemExit(f"{out / name} differs from what the build wrote; {FIX}")
        target = package / bundle.DATASET
        shutil.rmtree(target, ignore_errors=True)
        for role, folder in bundle.FOLDERS.items():
            if role != "out":
                shutil.copytree(ROOT / folder, target / folder)
        (target / bundle.FOLDERS["out"]).mkdir(parents=True)
        for name in bundle.build_files(report, out):
            (target / bundle.FOLDERS["out"] / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(out / name, target / bundle.FOLDERS["out"] / name)


setup(cmdclass={"build_py": BuildWithDataset})
