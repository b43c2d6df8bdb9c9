"""The endpoint's options, one group shared by every command that calls a model.

The settings are declared once, with their help texts and limits, in
`annotate.llm.settings.EndpointSettings`; `endpoint_options` turns them into a
command's options and hands the command one `EndpointSettings` built from what
was given. typer reads a command's parameters from its signature, so the
decorated command shows typer the settings' options in place of its
``settings`` parameter (``__signature__``), with the command's own defaults.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

import typer

from annotate.llm import Price, PriceChoice
from annotate.llm.settings import EndpointSettings, Flag, flags
from annotate.preannotate.budget import (
    DEFAULT_MAX_CONSECUTIVE_FAILURES as DEFAULT_MAX_CONSECUTIVE_FAILURES,
)
from annotate.preannotate.budget import budget_price

#: The name of the parameter a command receives its settings in.
SETTINGS = "settings"
#: The default of that parameter: typer never sees it, the options' values replace it.
ENDPOINT_OPTIONS = EndpointSettings()

Command = Callable[..., None]

#: The circuit breaker of every command that sends documents to the endpoint
#: (`preannotate`, `batch collect`), declared once.
MaxConsecutiveFailuresOption = Annotated[
    int,
    typer.Option(
        min=1,
        help="Stop after this many documents in a row fail to reach the endpoint "
        "(5xx, timeouts, dropped connections after the retries); exit status 3.",
    ),
]


def endpoint_options(
    *,
    without: Sequence[str] = (),
    after: Mapping[str, Sequence[str]] | None = None,
    **defaults: Any,
) -> Callable[[Command], Command]:
    """Give a command the settings' options, less `without`, defaulting to `defaults`.

    The options stand where the command's ``settings`` parameter stands, in
    the settings' order; `after` puts some of the command's own options right
    after a setting's in --help (`eval`'s --prompt after --model).
    """
    options = [_as_option(*setting, defaults) for setting in flags() if setting[0] not in without]
    if unknown := set(defaults) - {option.name for option in options}:
        raise TypeError(f"no such option among the settings: {sorted(unknown)}")

    def decorate(command: Command) -> Command:
        @functools.wraps(command)
        def with_settings(**given: Any) -> None:
            values = {option.name: given.pop(option.name, option.default) for option in options}
            command(**given, settings=EndpointSettings(**values))

        parameters = _spliced(inspect.signature(command, eval_str=True), options, after or {})
        with_settings.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        with_settings.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_settings

    return decorate


def _as_option(name: str, hint: Any, flag: Flag, defaults: dict[str, Any]) -> inspect.Parameter:
    """One setting as the parameter typer makes an option of."""
    option = typer.Option(help=flag.help, min=flag.min, show_default=flag.show_default)
    return inspect.Parameter(
        name,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        default=defaults.get(name, getattr(ENDPOINT_OPTIONS, name)),
        annotation=Annotated[hint, option],
    )


def _spliced(
    own: inspect.Signature, options: list[inspect.Parameter], after: Mapping[str, Sequence[str]]
) -> list[inspect.Parameter]:
    """The command's parameters with the options in place of ``settings``, `after` honoured."""
    moved = {name for names in after.values() for name in names}
    parameters: list[inspect.Parameter] = []
    for parameter in own.parameters.values():
        if parameter.name == SETTINGS:
            for option in options:
                parameters += [
                    option,
                    *(own.parameters[name] for name in after.get(option.name, ())),
                ]
        elif parameter.name not in moved:
            parameters.append(parameter)
    return parameters


def job_price(
    provider: str, model: str, settings: EndpointSettings, *, spending: bool = True
) -> PriceChoice:
    """What a job's tokens cost: the rules are free; a model as its settings' prices say.

    A budget (``--max-cost``) for a job that will spend needs a known price
    (`budget_price` says so, as a `ConfigurationError`).
    """
    if provider != "openai":
        return PriceChoice(Price(0.0, 0.0), "free: runs locally, no LLM calls")
    price = settings.price_of(model)
    if spending and settings.max_cost is not None:
        budget_price(price.price, model)
    return price
