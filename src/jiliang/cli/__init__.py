"""The ``jiliang`` command: everything a user or operator runs.

Platform commands (``serve``, ``demo``, ``migrate``, ``createuser``, ``token``) live here; domain
sub-commands (``uncertainty``, ``dcc``, ``ledger``, ``draw``) live in sibling modules, each a
``typer.Typer`` registered below. Sub-command modules are imported lazily so ``jiliang --help``
stays fast and a broken optional dependency only affects its own command.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="jiliang",
    help="jiliang (计量) — open smart-metrology platform.",
    # a bare `jiliang` explains itself rather than starting a server (`jiliang serve` does that)
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

#: sub-command name → (module, help)
SUBCOMMANDS = {
    "uncertainty": ("jiliang.cli.uncertainty", "GUM uncertainty evaluation (LPU, Monte Carlo)."),
    "dcc": ("jiliang.cli.dcc", "Digital calibration certificates (PTB DCC XML)."),
    "ledger": ("jiliang.cli.ledger", "RFC 9162 transparency log of metrology records."),
    "draw": ("jiliang.cli.draw", "Verifiable double-random draws (双随机、一公开)."),
    "pki": ("jiliang.cli.pki", "Laboratory signing certificates: CA, enrolment, revocation."),
    "monitoring": (
        "jiliang.cli.monitoring",
        "Smart-meter remote error estimation (智能电能表远程误差估计) on Dask.",
    ),
}

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $JILIANG_DATA_DIR or ./jiliang-data)."
    ),
]


def _use_data_dir(data_dir: Path | None) -> Path:
    if data_dir is not None:
        os.environ["JILIANG_DATA_DIR"] = str(data_dir.expanduser().resolve())
    from jiliang.config import data_dir as configured

    return configured()


def setup_django(data_dir: Path | None = None) -> Path:
    """Point Django at the data directory and initialise it; returns the data directory."""
    path = _use_data_dir(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.platform.settings")
    import django

    django.setup()
    return path


def migrate_database(verbose: bool = False) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (one line), or ``None`` when it can.

    Binding a throw-away socket first turns waitress's 70-line ``OSError`` traceback, printed
    after "serving …", into one sentence printed before anything claims to serve.
    """
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot listen on {host!r}: {exc.strerror or exc}"
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # the same option waitress sets: a port left in TIME_WAIT by a stopped server is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} is in use on {host} — choose another with --port"
            if exc.errno == errno.EACCES:
                return f"port {port} on {host} needs privileges — choose one above 1023 with --port"
            if exc.errno == errno.EADDRNOTAVAIL:
                return f"{host} is not an address of this machine — choose another with --host"
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


@app.callback()
def _root() -> None:
    """jiliang (计量) — open smart-metrology platform. `jiliang serve` starts the web platform."""


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    threads: Annotated[int, typer.Option(help="Worker threads (per process).")] = 8,
    migrate: Annotated[bool, typer.Option(help="Apply database migrations first.")] = True,
    workers: Annotated[
        int,
        typer.Option(
            help="Server processes. 1: waitress (every platform). More, about one per CPU core: "
            "gunicorn with threaded workers (Linux, macOS)."
        ),
    ] = 1,
) -> None:
    """Serve the platform (waitress, or gunicorn with --workers > 1; static files via
    WhiteNoise)."""
    if not 0 < port < 65536:
        err_console.print(f"[red]error:[/red] --port must be 1–65535, not {port}", highlight=False)
        raise typer.Exit(2)
    if not 1 <= workers <= 64 or not 1 <= threads <= 256:
        err_console.print(
            "[red]error:[/red] --workers must be 1–64 and --threads 1–256", highlight=False
        )
        raise typer.Exit(2)
    if workers > 1 and sys.platform == "win32":
        err_console.print(
            "[red]error:[/red] --workers > 1 needs gunicorn, which does not run on Windows; "
            "run one process per port behind a proxy instead",
            highlight=False,
        )
        raise typer.Exit(2)
    if problem := port_problem(host, port):
        err_console.print(f"[red]error:[/red] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    path = setup_django(data_dir)
    if migrate:
        migrate_database()
    console.print(f"[bold]jiliang[/bold] serving http://{host}:{port}/  (data: {path})")
    if workers > 1:
        _exec_gunicorn(host, port, workers, threads)
    from waitress import serve as waitress_serve

    from jiliang.platform.wsgi import application

    waitress_serve(application, host=host, port=port, threads=threads, ident="jiliang")


def _exec_gunicorn(host: str, port: int, workers: int, threads: int) -> NoReturn:
    """Replace this process by gunicorn's master, ``workers`` threaded processes (gthread).

    Exec rather than embed: the workers import the application themselves, so nothing this
    process opened (the migration's database connection, the log) is shared across a fork.
    The data directory and settings module reach them through the environment.
    """
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--bind",
        f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--keep-alive",
        "5",
        "--graceful-timeout",
        "30",
        "jiliang.platform.wsgi:application",
    ]
    sys.stdout.flush()
    os.execv(sys.executable, argv)


@app.command("migrate")
def migrate_cmd(data_dir: DataDir = None) -> None:
    """Create or upgrade the database schema."""
    setup_django(data_dir)
    migrate_database(verbose=True)


@app.command()
def createuser(
    username: str,
    role: Annotated[str, typer.Option(help="admin, regulator, lab_staff, enterprise, inspector")],
    organisation: Annotated[str | None, typer.Option(help="Organisation credit code.")] = None,
    region: Annotated[str | None, typer.Option(help="GB/T 2260 region code (regulators).")] = None,
    password: Annotated[
        str | None, typer.Option(help="Password (default: prompt).", envvar="JILIANG_PASSWORD")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a user with a role, organisation and region."""
    setup_django(data_dir)
    from jiliang.platform.accounts.services import UserSetupError, create_user

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(username, password, role, organisation=organisation, region=region)
    except UserSetupError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(f"created user [bold]{user.username}[/bold] ({role})")


@app.command()
def token(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    data_dir: DataDir = None,
) -> None:
    """Issue an API bearer token for a user (printed once)."""
    setup_django(data_dir)
    from django.contrib.auth import get_user_model

    from jiliang.platform.accounts.models import ApiToken

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        err_console.print(f"[red]error:[/red] no user {username!r}")
        raise typer.Exit(2)
    _token, key = ApiToken.issue(user, name)
    console.print(key)


@app.command()
def demo(
    data_dir: DataDir = None,
    size: Annotated[
        int, typer.Option(help="Number of instruments (up to 1 000 000).", min=100, max=1_000_000)
    ] = 20_000,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed builds the same region.")
    ] = 2035,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the platform when built.")
    ] = True,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    force: Annotated[bool, typer.Option(help="Rebuild even if the data dir has a demo.")] = False,
    audit: Annotated[
        bool,
        typer.Option(
            "--audit/--no-audit",
            help="Write an audit entry (and log leaf) per row; --no-audit for benchmark sizes.",
        ),
    ] = True,
) -> None:
    """Build a deterministic synthetic demo region and serve it."""
    if serve_after and (problem := port_problem(host, port)):
        # before a build of minutes, not after it
        err_console.print(f"[red]error:[/red] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    # Demo labs sign under a throw-away test CA (production: `jiliang pki`, docs/security.md).
    os.environ.setdefault("JILIANG_PKI_AUTO_ENROL", "1")
    path = setup_django(data_dir)
    migrate_database()
    from jiliang.platform.demo import DEMO_LOGINS, DEMO_PASSWORD, DemoExists, build_demo

    try:
        report = build_demo(size=size, seed=seed, force=force, console=console, audit=audit)
    except DemoExists as exc:
        console.print(f"[yellow]{exc}[/yellow] (use --force to rebuild)")
    else:
        console.print(report.summary())
        for note in report.notes:
            console.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    console.print(f"demo logins (password [bold]{DEMO_PASSWORD}[/bold]): {', '.join(DEMO_LOGINS)}")
    if serve_after:
        serve(data_dir=path, host=host, port=port, threads=8, migrate=False)


def _register_subcommands() -> None:
    for name, (module, help_text) in SUBCOMMANDS.items():
        try:
            sub = importlib.import_module(module).app
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue  # the module is not part of this build
        app.add_typer(sub, name=name, help=help_text)


_register_subcommands()


def main() -> None:
    app()
