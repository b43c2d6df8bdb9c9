"""`annotate studio start|stop|status`: the local Label Studio server."""

from __future__ import annotations

from typing import Annotated

import typer

from annotate.studio import server
from annotate.studio.connection import KEY_ENV, URL_ENV

from .common import console, styled

studio_app = typer.Typer(
    help="Run the local Label Studio (its own venv, SQLite, 127.0.0.1 only).",
    no_args_is_help=True,
)


@studio_app.command("start")
def start(
    port: Annotated[
        int | None, typer.Option(help="Port on 127.0.0.1 (default: 8080, else a free one).")
    ] = None,
) -> None:
    """Start the local Label Studio (installing it on first use) and print its URL and login.

    The first start creates an admin with a generated password and API token,
    stored in .annotate/studio/config.json (readable by you only).
    """
    config = server.start(port=port)
    console.print(styled("Label Studio is running at [bold]{}[/]", config.url), highlight=False)
    console.print(f"login: {config.username}  password: {config.password}", highlight=False)
    console.print(f"(saved in {server.StudioPaths.default().config})", highlight=False)


@studio_app.command("stop")
def stop() -> None:
    """Stop the local Label Studio started by `annotate studio start`."""
    if server.stop():
        console.print("Label Studio stopped")
    else:
        console.print("Label Studio was not running")


@studio_app.command("status")
def status() -> None:
    """Say whether the local Label Studio runs, where, and whether its API token works."""
    paths = server.StudioPaths.default()
    config = server.StudioConfig.load(paths.config)
    if config is None:
        console.print("no local Label Studio yet: run `annotate studio start`")
    elif server.is_running(config):
        token = "works" if server.token_works(config) else "[red]is refused[/]"
        console.print(styled("running at {} (pid {}); API token " + token, config.url, config.pid))
    else:
        console.print(f"stopped (last at {config.url}); `annotate studio start` starts it")
    console.print(
        f"push and pull use {URL_ENV} and {KEY_ENV} instead when both are set", highlight=False
    )


def register(app: typer.Typer) -> None:
    app.add_typer(studio_app, name="studio")
