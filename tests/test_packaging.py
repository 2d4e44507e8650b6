"""The wheel is the whole product: built from this checkout (with the session's build and the vendored YASGUI),
installed with its pandas extra into a fresh virtual environment, it serves every kind of page from a folder
that is no checkout, `pip check` is clean, and `yuetang_kg.open()` answers typed DataFrames. Also: every module
the package imports is a declared dependency, the licences are in the metadata, and the versions agree.

The fresh environment installs the wheel's dependencies from the package index, as a user's would."""

import ast
import email
import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, free_port, stop, wait_for_http

from yuetang_kg import bundle

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
ROUTES = ["/", "/query", "/queries/village_industries", "/id/place/zhaoshan-qixing-cun", "/charts", "/views",
          "/views/admin", "/downloads/", "/sparql?query=ASK%7B%7D", "/reconcile", "/static/vendor/yasgui.min.js"]
ISSUED = r'<http://purl.org/dc/terms/issued> "[^"]*"\^\^[\w:]+'


def run(*args, cwd: Path | None = None, timeout: float = 600) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, f"{' '.join(map(str, args))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(built, tmp_path_factory) -> Path:
    """The wheel of a copy of this checkout whose dist/ is the session's build (a checkout's own dist/ may be
    missing or stale); built with this environment's setuptools, without a build environment of its own."""
    source = tmp_path_factory.mktemp("checkout")
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE", "LICENSE-DATA.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("src", *[folder for role, folder in bundle.FOLDERS.items() if role != "out"]):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    shutil.copytree(built.outputs[0].parent, source / "dist")
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", out,
        source)
    (found,) = out.glob("yuetang_kg-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel and its pandas extra installed; its bin/ folder."""
    folder = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", folder)
    run(folder / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        f"{wheel}[pandas]")
    return folder / "bin"


def test_the_wheel_carries_the_build_the_inputs_yasgui_and_the_licences(wheel, built):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = email.message_from_string(archive.read(next(n for n in names if n.endswith("/METADATA")))
                                             .decode("utf-8"))
    dataset = f"yuetang_kg/{bundle.DATASET}"
    assert {f"{dataset}/dist/{name}" for name in bundle.build_files(built.report)} <= names
    assert {f"{dataset}/{folder}/{path.relative_to(ROOT / folder).as_posix()}"
            for role, folder in bundle.FOLDERS.items() if role != "out"
            for path in (ROOT / folder).rglob("*") if path.is_file()} <= names
    assert {"yuetang_kg/web/static/vendor/yasgui.min.js", "yuetang_kg/web/static/vendor/yasgui.min.css"} <= names
    assert metadata["License-Expression"] == "MIT AND CC-BY-4.0"
    assert set(metadata.get_all("License-File")) == {"LICENSE", "LICENSE-DATA.md"}
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)


def test_pip_check_is_clean_and_the_commands_say_their_version(venv, tmp_path):
    run(venv / "python", "-m", "pip", "check", cwd=tmp_path)
    version = PYPROJECT["project"]["version"]
    assert run(venv / "yuetang-kg", "--version", cwd=tmp_path).strip() == f"yuetang-kg, version {version}"
    assert run(venv / "python", "-m", "yuetang_kg", "--version", cwd=tmp_path).strip().endswith(version)


def test_serve_from_any_folder_answers_every_kind_of_page(venv, built, tmp_path):
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([venv / "yuetang-kg", "serve", "--port", str(port)], cwd=tmp_path, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            wait_for_http(f"http://127.0.0.1:{port}/", 120, process, log_path)
            for route in ROUTES:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{route}", timeout=30) as answer:
                    assert answer.status == 200, route
                    assert answer.read(), route
            # the description is dated as the build dated it, though no git history comes with the wheel
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/downloads/void.ttl", timeout=30) as answer:
                served = re.findall(ISSUED, answer.read().decode("utf-8"))
        finally:
            stop(process)
    assert list(tmp_path.iterdir()) == [log_path]  # nothing written where it runs
    built_description = (built.outputs[0].parent / "void.ttl").read_text(encoding="utf-8")
    assert served and served == re.findall(ISSUED, built_description)
    assert "xsd:date" in served[0]


def test_open_answers_typed_dataframes_from_any_folder(venv, tmp_path):
    script = ("import yuetang_kg; t = yuetang_kg.open().query('village_industries'); "
              "print(t['begin'].dtype, t['end'].dtype, len(t))")
    begin, end, count = run(venv / "python", "-c", script, cwd=tmp_path).split()
    assert (begin, end) == ("int64", "int64") and int(count) > 10


def imported_modules() -> dict[str, str]:
    """Top-level modules the package imports, each with one file that imports it."""
    found = {}
    for path in sorted((ROOT / "src" / "yuetang_kg").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_import_is_a_declared_dependency():
    runtime = {requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}
    optional = {requirement_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["pandas"]}
    distributions = importlib.metadata.packages_distributions()
    undeclared = []
    for module, where in imported_modules().items():
        if module in sys.stdlib_module_names or module == "yuetang_kg":
            continue
        owners = {name.lower().replace("_", "-") for name in distributions.get(module, [module])}
        if not owners & (runtime | optional):
            undeclared.append(f"{where} imports {module} (from {', '.join(sorted(owners))})")
    assert not undeclared, undeclared
    imported = {name.lower().replace("_", "-") for module in imported_modules()
                for name in distributions.get(module, [])}
    # uvicorn imports these itself, when installed: the HTTP parser that web.connections' protocol is built on,
    # and the event loop serve runs on. Declared so that they are installed; never imported by our code.
    through_uvicorn = {"httptools", "uvloop"}
    assert all(importlib.util.find_spec(name) for name in through_uvicorn)
    assert runtime - imported == through_uvicorn, "declared but never imported"


def test_versions_agree():
    version = PYPROJECT["project"]["version"]
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    ontology = (ROOT / "ontology" / "yuetang.ttl").read_text(encoding="utf-8")
    assert re.search(r'^version: "([^"]+)"$', citation, re.MULTILINE).group(1) == version
    assert re.search(r'owl:versionInfo "([^"]+)"', ontology).group(1) == version
    assert f"## {version}" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert importlib.metadata.version("yuetang-kg") == version
