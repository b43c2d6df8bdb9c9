"""The endpoint's settings: declared once, their limits held in code, one option group for typer."""

from __future__ import annotations

from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from annotate.cli.llm_options import ENDPOINT_OPTIONS, endpoint_options
from annotate.errors import ConfigurationError
from annotate.llm import EndpointSettings


def test_a_declared_limit_holds_for_settings_made_in_code() -> None:
    with pytest.raises(ConfigurationError, match="--concurrency must be at least 1, not 0"):
        EndpointSettings(concurrency=0)
    with pytest.raises(ConfigurationError, match="--max-cost must be at least 0.0"):
        EndpointSettings(max_cost=-1.0)
    assert EndpointSettings(max_retries=0, max_cost=None).max_retries == 0


def _app(received: list[EndpointSettings]) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @endpoint_options(without=("max_cost",), max_tokens=1024, after={"model": ("first",)})
    def command(
        settings: EndpointSettings = ENDPOINT_OPTIONS,
        first: Annotated[int, typer.Option(help="The command's own.")] = 0,
        last: Annotated[int, typer.Option(help="The command's own too.")] = 0,
    ) -> None:
        received.append(settings)
        typer.echo(f"{first} {last}")

    return app


def test_the_group_hands_the_command_one_settings_object() -> None:
    received: list[EndpointSettings] = []
    done = CliRunner().invoke(
        _app(received), ["--rpm", "5", "--first", "1", "--last", "2", "--prices", "p.toml"]
    )
    assert done.exit_code == 0, done.output
    assert done.output.split() == ["1", "2"]
    (settings,) = received
    assert (settings.rpm, settings.max_tokens, str(settings.prices)) == (5, 1024, "p.toml")
    assert settings.concurrency == 8 and settings.max_cost is None


def test_the_options_keep_their_order_limits_and_what_was_left_out() -> None:
    names = [p.name for p in typer.main.get_command(_app([])).params]
    assert names[:4] == ["model", "first", "concurrency", "rpm"]
    assert names.index("prices") < names.index("last") and "max_cost" not in names
    received: list[EndpointSettings] = []
    for refused in (["--concurrency", "0"], ["--max-retries", "-1"]):
        assert CliRunner().invoke(_app(received), refused).exit_code == 2, "typer's own range check"
    assert not received
