"""The ``yuetang-kg`` command: thin commands over the library. Data goes to stdout, progress to stderr."""

import json
import sys
from pathlib import Path

import click

from .build import build, build_graph, class_counts
from .catalogue import load_catalogue, parse_query_file
from .errors import DataError
from .results import ROW_FORMATS, format_rows
from .store import STORES, open_store
from .workspace import Paths, load_graphs


def progress(message: str) -> None:
    click.echo(message, err=True)


class Command(click.Group):
    """Turns the library's DataError into one line on stderr and exit code 1, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DataError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)


def path_options(function):
    for option in reversed(
        [
            click.option("--data", type=click.Path(path_type=Path), default="graph_data", show_default=True,
                         help="Folder of curated facts (sources.yaml, vocab/, facts/)."),
            click.option("--ontology", type=click.Path(path_type=Path), default="ontology", show_default=True,
                         help="Folder holding yuetang.ttl and shapes.ttl."),
            click.option("--out", type=click.Path(path_type=Path), default="dist", show_default=True,
                         help="Build output folder."),
        ]
    ):
        function = option(function)
    return function


def paths_from(data: Path, ontology: Path, out: Path, queries: Path = Path("queries")) -> Paths:
    return Paths(data=data, ontology=ontology, out=out, queries=queries)


@click.group(cls=Command)
@click.version_option(package_name="yuetang-kg")
def main():
    """yuetang-kg: the Yuetang District knowledge graph — build it, query it, serve it, explore it."""


@main.command("build")
@path_options
def build_command(data, ontology, out):
    """Build the graph from the curated facts, validate it with SHACL and write it to --out."""
    result = build(data, ontology, out, progress=progress)
    for cls, count in result.report["classes"].items():
        progress(f"  {cls:24} {count}")
    progress(f"built {result.report['triples']} triples into {out}")


@main.command("validate")
@path_options
def validate_command(data, ontology, out):
    """Check the curated facts (quotes, ids, SHACL) without writing anything."""
    _, graph, _ = build_graph(data, ontology)
    progress(f"valid: {len(graph)} triples, every quote found, SHACL conforms")


@main.command("stats")
@path_options
def stats_command(data, ontology, out):
    """Counts of the graph: triples and instances per class, as JSON on stdout."""
    graph, _ = load_graphs(paths_from(data, ontology, out), progress)
    click.echo(json.dumps({"triples": len(graph), "classes": class_counts(graph)}, ensure_ascii=False, indent=2))


@main.command("queries")
@click.option("--queries", "queries_dir", type=click.Path(path_type=Path), default="queries", show_default=True,
              help="Folder of .rq files.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def queries_command(queries_dir, fmt):
    """List the query catalogue: name, parameters and title."""
    catalogue = load_catalogue(queries_dir)
    if fmt == "json":
        listing = [
            {"name": q.name, "title_zh": q.title_zh, "title_en": q.title_en, "description": q.description,
             "tags": list(q.tags), "view": q.view,
             "params": [{"name": p.name, "kind": p.kind, "default": p.default} for p in q.params]}
            for q in catalogue.values()
        ]
        click.echo(json.dumps(listing, ensure_ascii=False, indent=2))
        return
    width = max(len(name) for name in catalogue)
    for query in catalogue.values():
        params = " ".join(f"-p {p.name}" for p in query.params)
        click.echo(f"{query.name:{width}}  {query.title_zh} | {query.title_en}" + (f"  [{params}]" if params else ""))


@main.command("query")
@click.argument("name_or_file", required=False)
@click.option("-e", "--expression", help="SPARQL text to run instead of a catalogue query.")
@click.option("-p", "--param", "params", multiple=True, type=(str, str), metavar="NAME VALUE",
              help="Bind a query parameter (repeatable).")
@click.option("--format", "fmt", type=click.Choice(ROW_FORMATS), default="table", show_default=True)
@click.option("--store", type=click.Choice(sorted(STORES)), default="oxigraph", show_default=True,
              help="Embedded store to answer with.")
@click.option("--queries", "queries_dir", type=click.Path(path_type=Path), default="queries", show_default=True)
@path_options
def query_command(name_or_file, expression, params, fmt, store, queries_dir, data, ontology, out):
    """Run a catalogue query by NAME, a .rq FILE, or -e SPARQL; '-' reads the query from stdin."""
    if (name_or_file is None) == (expression is None):
        raise DataError("give a query NAME, a FILE, '-' or -e SPARQL (one of them)", "query")
    if expression is not None:
        text, bindings = expression, {}
        if params:
            raise DataError("-p binds parameters of catalogue queries only", "-p")
    else:
        if name_or_file == "-":
            text, bindings = sys.stdin.read(), {}
        else:
            path = Path(name_or_file)
            if path.suffix == ".rq" and path.exists():
                query = parse_query_file(path)
            else:
                catalogue = load_catalogue(queries_dir)
                if name_or_file not in catalogue:
                    raise DataError(f"no query named {name_or_file!r}; see yuetang-kg queries", "query")
                query = catalogue[name_or_file]
            text, bindings = query.text, query.bindings(dict(params))
    graph, onto = load_graphs(paths_from(data, ontology, out, queries_dir), progress)
    result = open_store(store, graph, onto).query(text, bindings)
    if result.kind == "CONSTRUCT":
        click.echo(result.graph.serialize(format="turtle"), nl=False)
    else:
        click.echo(format_rows(result, fmt), nl=False)
