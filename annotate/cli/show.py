"""`annotate show`: a document and its grounded annotations, in the terminal."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from textwrap import shorten
from typing import Annotated

import typer
from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from annotate.schemas import Annotation
from annotate.store import Document, DocumentListing

from .common import DbOption, console, open_store, report_table, styled

ACTOR_STYLE = "bold cyan"
CLAIM_STYLE = "underline"
CUE_STYLE = "bold magenta"


def show(
    doc: Annotated[
        str | None,
        typer.Argument(
            help="Document id (or a prefix of it), source path or the start of its file name; "
            "omit to list."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Show a document with its latest prediction: highlighted text, actors, claims, stance."""
    with open_store(db) as store:
        if doc is None:
            console.print(_document_list(store.documents.listing()))
            return
        document = store.documents.find(doc)
        prediction = store.predictions.latest(document.id)
    _print_header(document)
    if prediction is None:
        console.print(Text(document.text))
        console.print(styled("[yellow]no prediction yet: run `annotate preannotate`[/]"))
        return
    annotation = Annotation.model_validate_json(prediction.annotation)
    console.print(
        styled("prediction: [bold]{}[/] ({} hallucinated quotes dropped)",
               prediction.model_version, prediction.hallucinations)
    )  # fmt: skip
    console.print(highlighted(document.text, annotation))
    dropped = json.loads(prediction.hallucinated)
    if dropped:
        console.print(styled("[yellow]quotes the model returned that are not in the text[/]:"))
        for quote in dropped:
            console.print(f"  {quote['kind']}: {quote['quote']!r}", highlight=False)
    for part in (_actors(annotation), _claims(annotation), _stances(annotation)):
        console.print(part)
    if annotation.document:
        console.print(
            styled("document stance toward [bold]{}[/]: [bold]{}[/]",
                   annotation.document.main_target, annotation.document.overall)
        )  # fmt: skip


def _print_header(document: Document) -> None:
    meta = ", ".join(f"{k}: {v}" for k, v in document.metadata.items() if v not in (None, ""))
    console.rule(f"{document.id}  {document.source}")
    if meta:
        console.print(meta, highlight=False)


def highlighted(text: str, annotation: Annotation) -> Text:
    """The text with actor mentions, claims and cues styled in place."""
    rich_text = Text(text)
    for claim in annotation.claims:
        rich_text.stylize(CLAIM_STYLE, claim.span.start, claim.span.end)
        if claim.cue:
            rich_text.stylize(CUE_STYLE, claim.cue.start, claim.cue.end)
    for actor in annotation.actors:
        for mention in actor.mentions:
            rich_text.stylize(ACTOR_STYLE, mention.start, mention.end)
    return rich_text


def _actors(annotation: Annotation) -> Table:
    table = report_table("actor", "type", "mentions", title="Actors")
    for actor in annotation.actors:
        forms = sorted({m.text for m in actor.mentions})
        table.add_row(
            actor.canonical_name, actor.type, f"{len(actor.mentions)}: " + "; ".join(forms)
        )
    return table


def _claims(annotation: Annotation) -> Group:
    """Each claim as its fields on one line and its words below: a claim is too long for a
    table cell at 80 columns without cutting its words."""
    lines: list[Text | Padding] = [Text("Claims", style="italic")]
    for claim in annotation.claims:
        cue = f" · cue “{claim.cue.text}”" if claim.cue else ""
        worthy = "check-worthy" if claim.check_worthy else "not check-worthy"
        lines.append(Text(f"{claim.span.start:>6}  {claim.speaker}{cue} · {claim.attribution} · "
                          f"{worthy}", style="bold"))  # fmt: skip
        lines.append(Padding(Text(claim.span.text), (0, 0, 0, 8)))
    return Group(*lines)


def _stances(annotation: Annotation) -> Group:
    lines: list[Text | Padding] = [Text("Stances", style="italic")]
    for stance in annotation.stances:
        lines.append(Text(f"{stance.evidence.start:>6}  {stance.holder} · {stance.label} · "
                          f"toward {stance.target}", style="bold"))  # fmt: skip
        lines.append(Padding(Text(stance.evidence.text), (0, 0, 0, 8)))
    return Group(*lines)


def _document_list(documents: Iterable[DocumentListing]) -> Table:
    table = report_table("id", "file", "chars", "metadata")
    table.columns[0].no_wrap = table.columns[1].no_wrap = True
    for document in documents:
        meta = ", ".join(f"{k}={v}" for k, v in document.metadata.items() if k != "file" and v)
        name = Path(document.source).name
        table.add_row(document.id, name, str(document.chars), shorten(meta, 80, placeholder=" …"))
    return table


def register(app: typer.Typer) -> None:
    app.command()(show)
