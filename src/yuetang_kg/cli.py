"""The ``yuetang-kg`` command: thin commands over the library. Data goes to stdout, progress to stderr."""

import json
import math
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

# Only what every command's options need is imported here; each command imports the rest, so that a command
# pays for no other command's modules (`query` answers in well under a second, most of it Python's start).
from .errors import DataError
from .publish.describe import DEFAULT_BASE_URL
from .publish.export import WHAT
from .publish.formats import FORMATS
from .query.results import ROW_FORMATS
from .query.store import STORES
from .web.settings import Settings
from .workspace import Paths, resolve_paths

CONNECTIONS = 256  # open connections and requests at once; uvicorn answers more with 503
UPSTREAM_ANSWER_MB = 64  # serve --endpoint: room for --max-rows rows of long literals, yet parsed in a moment


def progress(message: str) -> None:
    click.echo(message, err=True)


class Command(click.Group):
    """Turns the library's DataError into one line on stderr and exit code 1, and a bad option or argument into
    one line and exit code 2 (not click's usage block): never a traceback."""

    def main(self, *args, **kwargs):
        kwargs.pop("standalone_mode", None)
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as error:
            hint = f" (see {error.ctx.command_path} --help)" if error.ctx else ""
            click.echo(f"error: {error.format_message()}{hint}", err=True)
            sys.exit(2)
        except click.ClickException as error:
            click.echo(f"error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("stopped", err=True)
            sys.exit(130)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DataError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)


# Folders default to the checkout's when run inside one, else to the copy this installation carries (workspace).
INSTALLED = "else the installed copy"


def folder_option(name: str, folder: str, help: str, dest: str | None = None):
    return click.option(name, *([dest] if dest else []), type=click.Path(path_type=Path), default=None,
                        show_default=f"./{folder} in a checkout, {INSTALLED}", help=help)


def path_options(function):
    for option in reversed(
        [
            folder_option("--data", "graph_data", "Folder of curated facts (sources.yaml, vocab/, facts/)."),
            folder_option("--ontology", "ontology", "Folder holding yuetang.ttl and shapes.ttl."),
            folder_option("--out", "dist", "Build output folder."),
        ]
    ):
        function = option(function)
    return function


def positive_seconds(ctx, param, value: float) -> float:
    """A timeout option's value: a finite number of seconds above zero (click's float takes nan and inf)."""
    if not (math.isfinite(value) and value > 0):
        raise DataError(f"give a number of seconds above 0, not {value}", f"--{param.name}")
    return value


def queries_option(function):
    return folder_option("--queries", "queries", "Folder of .rq files.", "queries_dir")(function)


def viz_option(function):
    return folder_option("--viz", "viz", "Folder holding views.yaml (read by serve and viz) and charts.yaml (read "
                         "by build, which draws the charts).", "viz_dir")(function)


def paths_from(data: Path | None, ontology: Path | None, out: Path | None, queries: Path | None = None,
               viz: Path | None = None) -> Paths:
    return resolve_paths(data=data, ontology=ontology, out=out, queries=queries, viz=viz)


@click.group(cls=Command)
@click.version_option(package_name="yuetang-kg")
def main():
    """yuetang-kg: the Yuetang District knowledge graph — build it, query it, serve it, explore it."""


@main.command("build")
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True,
              help="Where the app serves the graph: the dataset description's links to /sparql and /downloads/.")
@viz_option
@path_options
def build_command(base_url, viz_dir, data, ontology, out):
    """Build the graph from the curated facts, validate it with SHACL and write it to --out (./dist wherever it
    runs): data and ontology in every RDF format, the JSON-LD context, the VoID + DCAT description (void.ttl) and
    the ontology's HTML page; and what serve reads: the query store and the explorer's index (its charts drawn
    from --viz's charts.yaml)."""
    from .build import build

    paths = paths_from(data, ontology, out or Path("dist"), viz=viz_dir)
    out = paths.out
    result = build(paths.data, paths.ontology, out, progress=progress, base_url=base_url, viz=paths.viz)
    for cls, count in result.report["classes"].items():
        progress(f"  {cls:24} {count}")
    progress(f"built {result.report['triples']} triples into {out}")


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="ttl", show_default=True,
              help="RDF format (trig and nq keep the data and the ontology in named graphs).")
@click.option("--what", type=click.Choice(list(WHAT)), default="data", show_default=True,
              help="The instance data, the ontology, or both.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True), default="-",
              help="File to write (atomically); '-' is stdout.")
@path_options
def export_command(fmt, what, output, data, ontology, out):
    """Export the graph in one RDF format to stdout or a file (from the build in --out, else built in memory)."""
    from .files import write_atomic
    from .workspace import load_exporter

    exporter = load_exporter(paths_from(data, ontology, out), FORMATS[fmt].quads, progress)
    payload = exporter.export(what, FORMATS[fmt])
    if str(output) == "-":
        click.echo(payload, nl=False)  # bytes go to the binary stdout unchanged
    else:
        write_atomic(output, payload)
        progress(f"wrote {len(payload)} bytes to {output}")


@main.command("validate")
@path_options
def validate_command(data, ontology, out):
    """Check the curated facts (quotes, ids, SHACL) without writing anything."""
    from .build import build_graph

    paths = paths_from(data, ontology, out)
    _, graph, _ = build_graph(paths.data, paths.ontology)
    progress(f"valid: {len(graph)} triples, every quote found, SHACL conforms")


@main.command("stats")
@click.option("--graph", "with_graph", is_flag=True,
              help="Add the entity graph's counts, centrality and (Louvain, fixed seed) communities.")
@path_options
def stats_command(with_graph, data, ontology, out):
    """Counts of the graph: triples and instances per class, as JSON on stdout."""
    from .workspace import load_counts, load_graph_summary

    paths = paths_from(data, ontology, out)
    stats = load_counts(paths, progress)
    if with_graph:
        stats["graph"] = load_graph_summary(paths, progress)
    click.echo(json.dumps(stats, ensure_ascii=False, indent=2))


@main.command("path")
@click.argument("source")
@click.argument("target")
@click.option("--limit", type=int, default=1, show_default=True, help="How many shortest connections to show.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@path_options
def path_command(source, target, limit, fmt, data, ontology, out):
    """How SOURCE and TARGET are connected: the shortest chains of relations between two entities (named in zh,
    en, pinyin with or without tones, or by id), each hop with its relation and the evidence quote."""
    from .explore import analytics
    from .workspace import load_projection

    projection = load_projection(paths_from(data, ontology, out), progress)
    start = analytics.resolve(projection, source, "SOURCE")
    end = analytics.resolve(projection, target, "TARGET")
    for name, node in ((source, start), (target, end)):
        note = analytics.resolution_note(projection, name, node)
        if note:
            progress(note)
    found = analytics.shortest_paths(projection, start, end, limit)
    if not found:
        raise DataError(f"{analytics.describe(projection, start)} and {analytics.describe(projection, end)} "
                        "are not connected", "path")
    if fmt == "json":
        click.echo(json.dumps([analytics.path_as_data(projection, hops) for hops in found], ensure_ascii=False,
                              indent=2))
        return
    head = f"{analytics.describe(projection, start)} → {analytics.describe(projection, end)}"
    click.echo("\n\n".join(f"{head}: {len(hops)} hop(s)\n{analytics.format_path(projection, hops)}" for hops in found))


@main.command("viz")
@click.argument("view", required=False)
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write the HTML files into [default: OUT/viz].")
@click.option("--entity", help="The entity an ego view is drawn around: a name (zh, en, pinyin) or an id.")
@viz_option
@path_options
def viz_command(view, output, entity, viz_dir, data, ontology, out):
    """Write the interactive views of viz/views.yaml as self-contained HTML files that work offline.

    VIEW names one view (default: every view that needs no --entity); `viz ego --entity 七星村` draws the
    neighbourhood of one entity. An index.html links every view file of the folder."""
    from .explore.views import load_views, write_views
    from .workspace import load_projection

    paths = paths_from(data, ontology, out, viz=viz_dir)
    written = write_views(load_projection(paths, progress), load_views(paths.viz), output or (out or Path("dist")) / "viz",
                          [view] if view else None, entity)
    for path in written:
        progress(f"wrote {path}")


@main.command("queries")
@queries_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def queries_command(queries_dir, fmt):
    """List the query catalogue: name, parameters and title."""
    from .query.catalogue import load_catalogue

    catalogue = load_catalogue(resolve_paths(queries=queries_dir).queries)
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
@queries_option
@click.option("--endpoint", metavar="URL",
              help="Run on this remote SPARQL 1.1 endpoint (e.g. http://127.0.0.1:7878/query) instead of --store.")
@click.option("--graph", metavar="IRI", help="With --endpoint: query this named graph as the default graph.")
@click.option("--timeout", type=float, default=30.0, show_default=True, callback=positive_seconds,
              help="With --endpoint: seconds the whole request may take (sending, waiting and reading).")
@path_options
def query_command(name_or_file, expression, params, fmt, store, queries_dir, endpoint, graph, timeout,
                  data, ontology, out):
    """Run a catalogue query by NAME, a .rq FILE, or -e SPARQL; '-' reads the query from stdin.

    With --endpoint the query runs on a remote engine; -p values are then bound by a VALUES block (see README).
    """
    from .query.catalogue import load_catalogue, parse_query_file
    from .query.results import format_rows

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
            folder = resolve_paths(queries=queries_dir).queries
            if path.suffix == ".rq" and path.exists():
                query = parse_query_file(path)
            elif name_or_file in {file.stem for file in folder.glob("*.rq")}:
                query = parse_query_file(folder / f"{name_or_file}.rq")  # only this one read, not the catalogue
            else:
                load_catalogue(folder)  # says so if the folder holds no query at all
                raise DataError(f"no query named {name_or_file!r}; see yuetang-kg queries", "query")
            text, bindings = query.text, query.bindings(dict(params))
    if graph and not endpoint:
        raise DataError("--graph names a graph on a remote endpoint: give --endpoint too", "--graph")
    if endpoint:
        from .query.remote import RemoteStore

        result = RemoteStore(endpoint, graph, timeout).query(text, bindings)
    else:
        from .query.store import OxigraphStore, open_store
        from .workspace import built_store, load_graphs

        paths = paths_from(data, ontology, out, queries_dir)
        on_disk = built_store(paths) if store == "oxigraph" else None
        if on_disk is not None:  # opened in milliseconds, whatever the size of the graph
            result = OxigraphStore.read_only(on_disk).query(text, bindings)
        else:
            data_graph, onto = load_graphs(paths, progress)
            result = open_store(store, data_graph, onto).query(text, bindings)
    if result.kind == "CONSTRUCT":
        click.echo(result.graph.serialize(format="turtle"), nl=False)
    else:
        click.echo(format_rows(result, fmt), nl=False)


def finite(ctx, param, value):
    """Click's FloatRange lets NaN through (every comparison with it is false); refuse it and infinity."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number")
    return value


def base_url_option(ctx, param, value):
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise click.BadParameter(f"{value!r} is not an http(s) URL like https://example.org/kg/")
    return value if value.endswith("/") else value + "/"


def check_endpoint_options(ctx: click.Context, endpoint: str | None) -> None:
    """Refuse the serve options that only one way of answering queries reads, when given for the other."""
    given = {param.opts[0] for param in ctx.command.params
             if ctx.get_parameter_source(param.name) not in (None, click.core.ParameterSource.DEFAULT)}
    if endpoint and (clashing := sorted(given & {"--memory-limit", "--no-sandbox"})):
        raise DataError("no query runs here with --endpoint (the engine answers them): there is no worker to "
                        "limit or sandbox; leave it out", ", ".join(clashing))
    if not endpoint and (clashing := sorted(given & {"--graph", "--max-answer-mb"})):
        raise DataError("only bounds the queries sent to a remote engine: give --endpoint too", ", ".join(clashing))


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--base-url", callback=base_url_option,
              help="Public URL of the site, for the links it writes (default: http://HOST:PORT/); set it behind "
                   "a reverse proxy. Never taken from the request's Host header.")
@click.option("--timeout", type=click.FloatRange(0.1, 3600), callback=finite, default=Settings.timeout_s,
              show_default=True, help="Seconds a query may run, its wait for a worker included (with --endpoint: "
                                      "the whole exchange with the engine).")
@click.option("--max-rows", type=click.IntRange(1, 10_000_000), default=Settings.max_rows, show_default=True,
              help="Rows (or triples) per answer; longer answers are cut and flagged.")
@click.option("--workers", type=click.IntRange(1, 64), default=Settings.workers, show_default=True,
              help="Query worker processes (with --endpoint: queries sent to the engine at once).")
@click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes sharing the port, each with its own --workers, queue and limits: one per core "
                   "uses the machine.")
@click.option("--memory-limit", "memory_mb", type=click.IntRange(256, 1 << 20), default=Settings.memory_mb,
              show_default=True, help="MiB of address space per query worker; a query needing more is stopped.")
@click.option("--queue", type=click.IntRange(0, 10_000), default=Settings.queue, show_default=True,
              help="Queries that may wait for a worker; more are answered 503 with Retry-After.")
@click.option("--queue-wait", type=click.FloatRange(0, 600), callback=finite, default=Settings.queue_wait_s,
              show_default=True, help="Seconds a query may wait for a worker before it is answered 503.")
@click.option("--per-client", type=click.IntRange(1, 1000), default=Settings.per_client, show_default=True,
              help="Queries one client address may have running or waiting.")
@click.option("--client-timeout", type=click.FloatRange(0.5, 600), callback=finite, default=10.0, show_default=True,
              help="Seconds a client may take to send a request's head (line and headers), or its body.")
@click.option("--no-sandbox", is_flag=True,
              help="Run the query workers even where they cannot be cut off from the network (not Linux, or no "
                   "namespaces allowed); only the query check then keeps SERVICE from fetching.")
@click.option("--forwarded-allow-ips", metavar="IPS",
              help="Proxies whose X-Forwarded-For names the client (comma-separated), for the per-client share.")
@click.option("--endpoint", metavar="URL",
              help="Answer /sparql and the catalogue pages from this remote SPARQL 1.1 endpoint (e.g. "
                   "http://127.0.0.1:7878/query, after yuetang-kg load) instead of the build's store. No query then "
                   "runs here, so no worker process is started or sandboxed; the build folder still serves the "
                   "explorer, the charts and the downloads.")
@click.option("--graph", "graph_iri", metavar="IRI",
              help="With --endpoint: the named graph the data was loaded into, queried as the default graph.")
@click.option("--max-answer-mb", type=click.IntRange(1, 1 << 14), default=UPSTREAM_ANSWER_MB, show_default=True,
              help="With --endpoint: MiB an engine's answer may have; a larger one is answered 503.")
@queries_option
@viz_option
@path_options
def serve_command(host, port, base_url, timeout, max_rows, workers, processes, memory_mb, queue, queue_wait, per_client,
                  client_timeout,
                  no_sandbox,
                  forwarded_allow_ips, endpoint, graph_iri, max_answer_mb, queries_dir, viz_dir, data, ontology, out):
    """Serve the SPARQL endpoint (/sparql), the query catalogue (/queries, /query), the explorer and the
    downloads (/downloads/, /ontology). See the README's Deploying section for what it guarantees.

    With --endpoint the queries run on a remote engine (Oxigraph server, Virtuoso …) holding the graph: the
    recipe for a graph too big for one machine is in the README.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from .query.catalogue import load_catalogue
    from .query.remote import RemoteStore
    from .web.app import Served, create_app
    from .web.connections import bounded_protocol
    from .web.workers import WorkerFailed
    from .workspace import check_build, served_release

    check_endpoint_options(click.get_current_context(), endpoint)
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        raise DataError(f"cannot listen on {host!r}: {error}", "--host") from None
    if endpoint:
        RemoteStore(endpoint, graph_iri, timeout).query("ASK {}")  # an engine that cannot answer stops us here
    paths = paths_from(data, ontology, out, queries_dir, viz_dir)
    check_build(paths)  # the server reads the build folder (store, index, files); it parses nothing
    settings = Settings(timeout_s=timeout, max_rows=max_rows, workers=workers, memory_mb=memory_mb, queue=queue,
                        queue_wait_s=queue_wait,
                        per_client=per_client, sandbox=not no_sandbox,
                        client_timeout_s=client_timeout)
    shown = f"[{host}]" if ":" in host else host
    base_url = base_url or f"http://{shown}:{port}/"
    release = served_release(paths, base_url)  # for /downloads/void.ttl and the service description
    upstream = (endpoint, graph_iri, workers, queue, per_client, queue_wait, max_answer_mb * 2**20) if endpoint else None
    served = Served(paths.out, load_catalogue(paths.queries), settings, release, paths.viz, upstream, os.getpid())
    site = served.site()
    try:
        site.workers.start()
    except WorkerFailed as error:
        raise DataError(f"{error}; where the platform cannot cut workers off from the network, --no-sandbox runs "
                        "them anyway", "--no-sandbox") from None
    if endpoint:
        progress(f"queries go to {endpoint} ({f'graph {graph_iri}' if graph_iri else 'its default graph'}); no query "
                 "worker runs here")
    else:
        progress(f"query workers: {site.workers.isolation}")
    in_processes = f" in {processes} processes" if processes > 1 else ""
    progress(f"serving {site.triples()} triples on http://{shown}:{port}/{in_processes} "
             f"(SPARQL endpoint /sparql, catalogue /queries, editor /query, files /downloads/); Ctrl-C stops")
    # ws: no page speaks WebSocket; a client asking to upgrade gets plain HTTP, whatever libraries are installed.
    # No access log: at this log level it is never shown, and building each line cost every request.
    options = {"host": host, "port": port, "log_level": "warning", "http": bounded_protocol(client_timeout),
               "access_log": False, "ws": "none", "timeout_keep_alive": 5, "limit_concurrency": CONNECTIONS,
               "timeout_graceful_shutdown": 1, "proxy_headers": forwarded_allow_ips is not None,
               "forwarded_allow_ips": forwarded_allow_ips}
    try:
        if processes == 1:
            uvicorn.run(create_app(site), **options)
            return
    finally:
        site.workers.close()  # with --processes, they only showed that workers start here: each process has its own
    config = uvicorn.Config(served.process_app, factory=True, workers=processes, **options)
    Multiprocess(config, sockets=[config.bind_socket()]).run()


@main.command("load")
@click.option("--endpoint", metavar="URL", required=True,
              help="Graph Store Protocol URL: Oxigraph http://HOST:PORT/store, Virtuoso "
                   "http://HOST:PORT/sparql-graph-crud-auth.")
@click.option("--graph", metavar="IRI", help="Named graph to load into (default: the default graph).")
@click.option("--append", is_flag=True, help="POST (add to the graph) instead of PUT (replace it).")
@click.option("--user", help="User name for Digest or Basic authentication.")
@click.option("--password", envvar="YUETANG_KG_PASSWORD", help="Password (or set YUETANG_KG_PASSWORD).")
@click.option("--timeout", type=float, default=60.0, show_default=True, callback=positive_seconds,
              help="Seconds each request to the store may take as a whole.")
@path_options
def load_command(endpoint, graph, append, user, password, timeout, data, ontology, out):
    """Upload the graph and the ontology to a remote store through the SPARQL Graph Store Protocol."""
    if (user is None) != (password is None):
        raise DataError("give --user and --password together", "--user")
    from .query.remote import upload, upload_files
    from .workspace import check_build, load_graphs

    paths = paths_from(data, ontology, out)
    credentials = (user, password) if user else None
    into = f"into {graph or 'the default graph'} at {endpoint}"
    if paths.built_graph.exists():  # the build's dumps, streamed as they are: a corpus is never parsed here
        report = check_build(paths)
        files = [paths.built_graph, paths.out / "ontology.nt"]
        status = upload_files(files, endpoint, graph, replace=not append, credentials=credentials, timeout_s=timeout)
        progress(f"loaded {report['triples']} triples and the ontology {into} (HTTP {status})")
        return
    data_graph, onto = load_graphs(paths, progress)
    status = upload([data_graph, onto], endpoint, graph, replace=not append, credentials=credentials,
                    timeout_s=timeout)
    progress(f"loaded {len(data_graph) + len(onto)} triples {into} (HTTP {status})")
