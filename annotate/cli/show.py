"""`annotate show`: a document and its grounded annotations, in the terminal."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from annotate.schemas import Annotation
from annotate.store import Document, DocumentListing

from .common import DbOption, console, open_store

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
            console.print(_document_list(store.list_documents()))
            return
        document = store.find_document(doc)
        prediction = store.latest_prediction(document.id)
    _print_header(document)
    if prediction is None:
        console.print(Text(document.text))
        console.print("[yellow]no prediction yet: run `annotate preannotate`[/]")
        return
    annotation = Annotation.model_validate_json(prediction.annotation)
    console.print(
        f"prediction: [bold]{prediction.model_version}[/] "
        f"({prediction.hallucinations} hallucinated quotes dropped)"
    )
    console.print(highlighted(document.text, annotation))
    dropped = json.loads(prediction.hallucinated)
    if dropped:
        console.print("[yellow]quotes the model returned that are not in the text[/]:")
        for quote in dropped:
            console.print(f"  {quote['kind']}: {quote['quote']!r}", highlight=False)
    for table in (_actors(annotation), _claims(annotation), _stances(annotation)):
        console.print(table)
    if annotation.document:
        console.print(
            f"document stance toward [bold]{annotation.document.main_target}[/]: "
            f"[bold]{annotation.document.overall}[/]"
        )


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
    table = Table("actor", "type", "mentions", title="Actors", title_justify="left")
    for actor in annotation.actors:
        forms = sorted({m.text for m in actor.mentions})
        table.add_row(
            actor.canonical_name, actor.type, f"{len(actor.mentions)}: " + "; ".join(forms)
        )
    return table


def _claims(annotation: Annotation) -> Table:
    table = Table(
        "at",
        "speaker",
        "cue",
        "attribution",
        "check",
        "claim",
        title="Claims",
        title_justify="left",
    )
    for claim in annotation.claims:
        table.add_row(
            str(claim.span.start),
            claim.speaker,
            claim.cue.text if claim.cue else "",
            claim.attribution,
            "yes" if claim.check_worthy else "no",
            claim.span.text,
        )
    return table


def _stances(annotation: Annotation) -> Table:
    table = Table("holder", "target", "stance", "evidence", title="Stances", title_justify="left")
    for stance in annotation.stances:
        table.add_row(stance.holder, stance.target, stance.label, stance.evidence.text)
    return table


def _document_list(documents: Iterable[DocumentListing]) -> Table:
    table = Table("id", "file", "chars", "metadata")
    table.columns[0].no_wrap = table.columns[1].no_wrap = True
    for document in documents:
        meta = ", ".join(f"{k}={v}" for k, v in document.metadata.items() if k != "file" and v)
        name = Path(document.source).name
        table.add_row(document.id, name, str(document.chars), meta[:80])
    return table


def register(app: typer.Typer) -> None:
    app.command()(show)
