"""``jointsim serve``: the educator's dashboard over a results store, and its accounts
(``jointsim serve adduser``)."""

from __future__ import annotations

from pathlib import Path

import typer

from simulator.cli import app
from simulator.errors import InputError

serve_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                        help="The educator's dashboard (a local web site) over a results "
                        "database.")
app.add_typer(serve_app, name="serve")

DB_HELP = ("Results database: a SQLAlchemy URL (postgresql://user@host/db) or a SQLite file "
           "path (default: ./results.sqlite, as 'assess --out .' writes).")


def _open_store(db: str | None):
    from importlib.util import find_spec

    missing = [m for m in ("flask", "waitress", "argon2", "sqlalchemy", "jinja2")
               if find_spec(m) is None]
    if missing:
        raise InputError(f"the dashboard needs {', '.join(missing)}: install them with "
                         "pip install 'jointsim[hub]'")
    from scoring.store import Store, database_url

    return Store(database_url(db, Path.cwd()))


@serve_app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    port: int = typer.Option(8750, "--port", help="TCP port (1024-65535)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (default: "
                             "this machine only; 0.0.0.0 for the whole network)."),
    scenarios: Path | None = typer.Option(None, "--scenarios", help="Folder of the "
                                          "assessor's scenario files that imported logs are "
                                          "graded with and replays use (default: the "
                                          "shipped scenarios)."),
    trust: list[Path] = typer.Option(None, "--trust", help="Public key (.pub from 'jointsim "
                                     "keys init'); when given, imports store only logs "
                                     "signed by a --trust key. Repeatable."),
    uploads: Path = typer.Option(Path("hub_uploads"), "--uploads", help="Folder where "
                                 "logs imported from the browser are kept."),
) -> None:
    """Serve the dashboard: trainees, attempts, learning curves and CUSUM, session reports with
    a replay of the attempt, the scenario library, imports of logs from the browser, and CSV
    exports. Sign in with an account made by 'serve adduser'."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = db
        return
    if not 1024 <= port <= 65535:
        raise InputError(f"port {port} is outside 1024-65535", field="--port")
    if scenarios is not None and not scenarios.is_dir():
        raise InputError("not a folder of scenario files", path=scenarios, field="--scenarios")
    import waitress

    from scoring.hub import create_app
    from simulator.integrity import trusted_keys

    keys = trusted_keys(trust)
    store = _open_store(db)
    try:
        server = waitress.create_server(create_app(store, scenarios=scenarios, trusted=keys,
                                                   uploads=uploads),
                                        host=host, port=port, threads=4)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another "
                         "port with --port or address with --host", field="--port") from None
    print(f"jointsim hub on http://{host}:{port}/ over {store.url} (Ctrl+C stops it)")
    try:
        server.run()
    finally:
        server.close()
        store.close()


@serve_app.command()
def adduser(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Account name; a trainee's is the trainee name "
                               "their sessions are stored under."),
    role: str = typer.Option(..., "--role", help="educator (sees everyone) or trainee "
                             "(sees only their own records)."),
) -> None:
    """Create (or reset the password of) a dashboard account; asks for the password twice
    (from a pipe: reads it from the first line)."""
    import sys

    from scoring.hub.accounts import Accounts, check_role

    check_role(role)
    store = _open_store(ctx.obj)
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    Accounts(store.engine).add(name, role, password)
    print(f"account {name!r} ({role}) saved in {store.url}")
