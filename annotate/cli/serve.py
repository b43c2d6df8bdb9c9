"""`annotate serve`: the model in Label Studio's loop, as its ML backend.

Runs until interrupted (Ctrl-C or SIGTERM), logging one line per request on
stderr (never a header, body or query string: see `workflows.backend_http`).
"""

from __future__ import annotations

import ipaddress
import logging
import signal
import sys
from typing import Annotated, Any

import typer

from annotate.llm import EndpointSettings
from annotate.preannotate.providers import default_provider_name, make_provider
from annotate.studio.ml_backend import PASSWORD_ENV, USER_ENV, auth_from_environment
from annotate.workflows.backend import Backend
from annotate.workflows.backend_http import make_server
from annotate.workflows.loop_predict import DEFAULT_WAIT_S

from .common import DbOption, console, fail, open_store, styled
from .llm_options import ENDPOINT_OPTIONS, endpoint_options, job_price
from .preannotate import ProviderOption

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9090


@endpoint_options()
def serve_command(
    provider: ProviderOption = None,
    settings: EndpointSettings = ENDPOINT_OPTIONS,
    host: Annotated[
        str,
        typer.Option(
            help=f"Address to listen on. Off 127.0.0.1, {USER_ENV} and {PASSWORD_ENV} must "
            "be set: Label Studio then sends them (HTTP basic auth).",
        ),
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = DEFAULT_PORT,
    wait: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Seconds a predict request waits for the predictions being made before it "
            "answers with those ready; the rest are added to the project when made. Keep it "
            "well under Label Studio's ML_TIMEOUT_PREDICT (100 s).",
        ),
    ] = DEFAULT_WAIT_S,
    db: DbOption = None,
) -> None:
    """Serve predictions to Label Studio as its ML backend, until interrupted.

    A task opened without a prediction gets one; "Retrieve predictions" answers at once
    from the store and the call cache, and adds the rest to the project when made.
    Predictions are made as `annotate preannotate` makes them (same provider options,
    cache and store; each batch a run in `annotate runs`). Annotations submitted in Label
    Studio reach the store through the project's webhook. Connect it with
    `annotate push --ml-backend URL`.
    """
    auth = auth_from_environment()
    if auth is None and not _loopback(host):
        raise fail(
            f"--host {host} is reachable from other machines: set {USER_ENV} and "
            f"{PASSWORD_ENV} (basic auth), or serve on 127.0.0.1"
        )
    name = provider or default_provider_name()
    chosen = make_provider(name, settings)
    price = job_price(name, chosen.model, settings, spending=False).price
    with open_store(db, create=True) as store:
        path = store.path
    backend = Backend(
        path, chosen, concurrency=settings.concurrency, wait=wait, price=price, auth=auth
    )
    try:
        server = make_server(host, port, backend, auth)
    except OSError as exc:
        message = f"cannot listen on {host}:{port} ({exc.strerror}): choose another --port"
        raise fail(message) from None
    _log_requests()
    url = f"http://{host}:{server.server_address[1]}"
    console.print(styled("provider [bold]{}[/], model_version [bold]{}[/]", name,
                         chosen.model_version))  # fmt: skip
    console.print(f"serving at {url}; connect it with `annotate push --ml-backend {url}`",
                  highlight=False, soft_wrap=True)  # fmt: skip
    signal.signal(signal.SIGTERM, _interrupt)
    backend.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        backend.stop()
    console.print("stopped")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def _log_requests() -> None:
    """One line per request and per run on stderr (`workflows.backend_http` writes them)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("annotate.serve")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
