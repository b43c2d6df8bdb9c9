"""Numbered schema migrations for the SQLite store.

Each migration is a function registered in order; `migrate` applies the ones a
database has not seen and records them in ``_migrations``. A database created
by an older release is brought forward on open, never rebuilt, so nothing a
user has paid for (LLM calls, annotations) is lost on upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from annotate.errors import StoreError

from .connection import StoreConnection

if TYPE_CHECKING:  # imported by `StoreConnection.sqlite_utils` when a migration runs
    from sqlite_utils import Database

Migration = Callable[["Database"], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def _create(db: Database, table: str, columns: str, **options: Any) -> None:
    """Create `table` with `columns`, written ``name`` (text) or ``name:int``/``name:float``.

    The early migrations' tables, each in a line or few as the later ones' SQL is,
    made by sqlite_utils with `options` (its ``pk``, ``foreign_keys``) as they were.
    """
    types = {"str": str, "int": int, "float": float}
    spec = (column.partition(":") for column in columns.split())
    db.table(table).create({name: types[kind or "str"] for name, _, kind in spec}, **options)


def migration(func: Migration) -> Migration:
    MIGRATIONS.append((func.__name__, func))
    return func


@migration
def m001_initial(db: Database) -> None:
    _create(db, "documents", "id content_hash source metadata text chars:int ingested_at", pk="id")
    _create(db, "runs", "id:int provider model model_version prompt_version schema_version params "
            "concurrency:int started_at finished_at status documents:int predicted:int failed:int "
            "cached_calls:int llm_calls:int requests:int prompt_tokens:int completion_tokens:int "
            "cost_usd:float spans:int hallucinations:int", pk="id")  # fmt: skip
    _create(db, "llm_calls", "key run_id:int document_id model prompt_version schema_version "
            "params_hash chunk_start:int chunk_end:int response prompt_tokens:int "
            "completion_tokens:int requests:int reasks:int cost_usd:float duration_ms:int "
            "created_at", pk="key")  # fmt: skip
    by_run = [("document_id", "documents", "id"), ("run_id", "runs", "id")]
    _create(db, "predictions", "id:int document_id run_id:int provider model model_version "
            "prompt_version schema_version params_hash annotation spans:int hallucinations:int "
            "hallucinated created_at", pk="id", foreign_keys=by_run)  # fmt: skip
    db.table("predictions").create_index(
        ["document_id", "model_version", "prompt_version", "schema_version", "params_hash"],
        unique=True,
    )
    _create(db, "failures", "id:int run_id:int document_id reason detail created_at", pk="id",
            foreign_keys=by_run)  # fmt: skip
    db.table("failures").create_index(["run_id"])
    db.table("llm_calls").create_index(["document_id"])


@migration
def m002_label_studio(db: Database) -> None:
    """Where each document went in Label Studio, and what annotators did there."""
    db.table("studio_tasks").create(
        {"server": str, "project_id": int, "document_id": str, "task_id": int, "pushed_at": str},
        pk=("server", "project_id", "document_id"),
    )
    db.table("studio_tasks").create_index(["server", "project_id", "task_id"], unique=True)
    _create(db, "studio_predictions", "server project_id:int prediction_id:int task_id:int "
            "model_version pushed_at", pk=("server", "project_id", "prediction_id"))  # fmt: skip
    _create(db, "annotations", "server project_id:int annotation_id:int task_id:int document_id "
            "annotator annotator_id:int created_at updated_at lead_time:float was_cancelled:int "
            "ground_truth:int result annotation error pulled_at",
            pk=("server", "project_id", "annotation_id"))  # fmt: skip
    db.table("annotations").create_index(["document_id"])


@migration
def m003_gold_pass_index(db: Database) -> None:
    """The gold pass reads annotations in (document, annotator, time) order: an index gives it."""
    db.table("annotations").create_index(
        ["document_id", "annotator", "updated_at", "annotation_id"],
        index_name="annotations_gold_order",
    )


@migration
def m004_gold(db: Database) -> None:
    """Each document's gold, kept with what it was made from.

    The gold pass re-judges a document only when its inputs (annotations,
    predictions, policy, the gold code's version) changed since; `annotate
    export` after `annotate agreement` reads the gold instead of making it again,
    and later stages (fact comparison) read gold claims from here.
    """
    _create(db, "gold", "document_id inputs method annotators contested:int ties problems task_ids "
            "annotation measures made_at", pk="document_id")  # fmt: skip


@migration
def m005_valid_annotations_index(db: Database) -> None:
    """The gold pass's order, over valid annotations only (a partial index).

    Its queries filter on ``annotation is not null and was_cancelled = 0``; with
    the filter in the index they never read the annotations' JSON to find which
    rows qualify (listing the annotated documents read every annotation before).
    """
    db.execute("drop index if exists annotations_gold_order")
    db.execute(
        "create index annotations_valid_order on annotations "
        "(document_id, annotator, updated_at, annotation_id) "
        "where annotation is not null and was_cancelled = 0"
    )


@migration
def m006_comparisons(db: Database) -> None:
    """`annotate compare` runs, their judged candidate pairs, and the verdicts worth keeping.

    `verdicts` holds every pair a comparison judged, in the order judged (what
    people verify in Label Studio); it is appended to, never looked up by key,
    so hundreds of thousands of pairs go in at disk speed. `verdict_cache`
    keeps a paid judge's answers by a digest of the judge, its settings and both
    claims, so that a re-run asks nothing it has asked before.
    """
    _create(db, "comparisons", "id:int judge origin params started_at finished_at status counts",
            pk="id")  # fmt: skip
    _create(db, "verdicts", "comparison_id:int key judge a_doc a_start:int a_end:int b_doc "
            "b_start:int b_end:int relation detail value_pair rationale similarity:float "
            "created_at", foreign_keys=[("comparison_id", "comparisons", "id")])  # fmt: skip
    db.execute("create index verdicts_by_comparison on verdicts (comparison_id)")
    db.execute(
        "create table verdict_cache (judge text, key text, relation text, detail text, "
        "value_pair text, rationale text, created_at text, primary key (judge, key)) "
        "without rowid"
    )


@migration
def m007_annotation_regions(db: Database) -> None:
    """Each pulled annotation's codec regions, kept beside it with the codec version.

    Pull stores them as it converts an annotation; the gold pass reads them
    instead of validating and encoding every annotation again. Rows pulled
    before (or by another codec version) get them at the next pull.
    """
    db.execute("alter table annotations add column regions text")
    db.execute("alter table annotations add column regions_codec text")


@migration
def m008_annotation_regions_index(db: Database) -> None:
    """Which valid annotations have regions of which codec version, as an index.

    After every pull, the annotations without current regions get them; the
    index finds them without reading every annotation's row.
    """
    db.execute(
        "create index annotations_regions_codec on annotations (regions_codec) "
        "where annotation is not null and was_cancelled = 0"
    )


@migration
def m009_comparison_verification(db: Database) -> None:
    """Comparisons verified by people: their tasks, answers, adjudicated verdicts, facts.

    `comparison_tasks` maps each claim pair to its Label Studio task (a pair is
    never sent twice) and the judge's verdict its prediction shows;
    `comparison_annotations` holds every annotator's answer as pulled;
    `verified_verdicts` the verdict adjudicated from them (made again from the
    answers by the gold pass); `facts` the facts of the last finished comparison,
    with how far people verified them, for the export.
    """
    db.execute(
        "create table comparison_tasks (server text, project_id integer, pair_key text, "
        "a_doc text, a_start integer, a_end integer, b_doc text, b_start integer, "
        "b_end integer, task_id integer, prediction_id integer, prediction_digest text, "
        "relation text, pushed_at text, primary key (server, project_id, pair_key))"
    )
    db.execute(
        "create table comparison_annotations (server text, project_id integer, "
        "annotation_id integer, task_id integer, pair_key text, a_doc text, a_start integer, "
        "a_end integer, b_doc text, b_start integer, b_end integer, annotator text, "
        "annotator_id integer, created_at text, updated_at text, lead_time float, "
        "was_cancelled integer, ground_truth integer, result text, verdict text, error text, "
        "pulled_at text, primary key (server, project_id, annotation_id))"
    )
    db.execute("create index comparison_annotations_by_pair on comparison_annotations "
               "(pair_key, annotator, updated_at)")  # fmt: skip
    db.execute(
        "create table verified_verdicts (pair_key text primary key, a_doc text, "
        "a_start integer, a_end integer, b_doc text, b_start integer, b_end integer, "
        "verdict text, status text, method text, answers text, task_ids text, tie integer, "
        "made_at text)"
    )
    db.execute(
        "create table facts (comparison_id integer, id text, proposition text, claims text, "
        "sources text, status text, contradicts text, primary key (comparison_id, id))"
    )


@migration
def m010_run_stops_and_prices(db: Database) -> None:
    """Why a pre-annotation run stopped early, and the prices it was costed at.

    `stop_reason` is set when a run ends ``stopped`` (budget reached, endpoint
    down, refused key): the documents it did not reach stay pending. The prices
    (USD per 1M tokens) are NULL when the model had none, so a cost of 0 is told
    apart from a cost nobody knows.
    """
    db.execute("alter table runs add column stop_reason text")
    db.execute("alter table runs add column price_input float")
    db.execute("alter table runs add column price_output float")


@migration
def m011_batches(db: Database) -> None:
    """The batch route: batches submitted through a Batch API, their documents and requests.

    `batches` keeps the provider's batch id (NULL between recording and
    creating it), the job it answers, its files and last status, and when it
    was collected; `batch_requests` keeps each request's ``custom_id`` (the
    cache key of the online call it stands for) and, once the batch ended, its
    answer, until collection moved the valid ones into the call cache.
    """
    db.execute(
        "create table batches (id integer primary key, batch_id text unique, "
        "input_file_id text, model text, model_version text, prompt_version text, "
        "schema_version text, params_hash text, params text, max_chunk_chars integer, "
        "requests integer, documents integer, bytes integer, status text, "
        "completed integer default 0, failed integer default 0, output_file_id text, "
        "error_file_id text, results_saved integer default 0, collect_run_id integer, "
        "submitted_at text, updated_at text, collected_at text)"
    )
    db.execute(
        "create table batch_documents (batch integer references batches (id), "
        "document_id text, primary key (batch, document_id))"
    )
    db.execute("create index batch_documents_by_document on batch_documents (document_id)")
    db.execute(
        "create table batch_requests (batch integer references batches (id), custom_id text, "
        "document_id text, chunk_start integer, chunk_end integer, status integer, body text, "
        "error text, primary key (batch, custom_id))"
    )


@migration
def m012_leases(db: Database) -> None:
    """Who holds what while several processes share one store (see `leases`).

    `holders` are the live processes (pid, host, a lease their heartbeat keeps
    renewing); `document_claims` the documents a pre-annotation run has taken
    for a job; `job_locks` the jobs only one process may run at a time (a push
    or pull per Label Studio project). A holder's rows go with it.
    """
    db.execute(
        "create table holders (id integer primary key, pid integer, host text, what text, "
        "started_at text, lease_until float)"
    )
    db.execute(
        "create table document_claims (document_id text, model_version text, "
        "prompt_version text, schema_version text, params_hash text, holder integer, "
        "state text, claimed_at text, primary key (document_id, model_version, "
        "prompt_version, schema_version, params_hash))"
    )
    db.execute("create index document_claims_by_holder on document_claims (holder)")
    db.execute("create table job_locks (name text primary key, holder integer, acquired_at text)")


@migration
def m013_evaluations(db: Database) -> None:
    """`annotate eval`: a model and prompt scored against the kept gold (see `evaluations`).

    One row per evaluation: the job it scored (model, prompt and schema
    versions, parameters), the prompt's name, the documents with gold and how
    many of them had a prediction, the overall and per-field precision / recall /
    F1 and the counts they come from (JSON), and what the predictions cost: USD,
    tokens, requests and the calls' seconds, summed over the scored documents.
    """
    db.execute(
        "create table evaluations (id integer primary key, run_id integer, provider text, "
        "model text, model_version text, prompt_version text, prompt_name text, "
        "schema_version text, params_hash text, gold_documents integer, scored integer, "
        "failed integer, precision float, recall float, f1 float, fields text, counts text, "
        "cost_usd float, priced integer, prompt_tokens integer, completion_tokens integer, "
        "requests integer, call_seconds float, created_at text)"
    )


@migration
def m014_run_holders(db: Database) -> None:
    """The holder (process, lease) of each pre-annotation run.

    A run killed with SIGKILL never records its end and read ``running``
    forever; with its holder known, a ``running`` run whose holder is gone or
    dead is reported ``killed``, with the counts read from what it stored.
    """
    db.execute("alter table runs add column holder_id integer")


@migration
def m015_rows_by_run(db: Database) -> None:
    """Predictions and calls by run: a killed run is counted from its rows (`Store.runs`).

    Without them `annotate runs` scanned both tables, prediction JSON and answers
    included, for each killed run: 2.4 s per killed run on a 100,000-document store.
    """
    db.execute("create index if not exists predictions_by_run on predictions (run_id)")
    db.execute("create index if not exists llm_calls_by_run on llm_calls (run_id)")


@migration
def m016_reviews(db: Database) -> None:
    """The review of ties (issue 21): review tasks, and reviewers' answers (see `reviews`).

    `review_tasks` maps each document sent for review to its task, with the ties it
    was sent for; `reviews` holds every reviewer's answer as pulled, in the shape of
    `annotations` (without regions: a review is read once, as a document's gold).
    """
    db.execute(
        "create table review_tasks (server text, project_id integer, document_id text, "
        "task_id integer, ties text, pushed_at text, primary key (server, project_id, "
        "document_id))"
    )
    db.execute(
        "create table reviews (server text, project_id integer, annotation_id integer, "
        "task_id integer, document_id text, annotator text, annotator_id integer, "
        "created_at text, updated_at text, lead_time float, was_cancelled integer, "
        "ground_truth integer, result text, annotation text, error text, pulled_at text, "
        "primary key (server, project_id, annotation_id))"
    )
    db.execute("create index reviews_by_document on reviews (document_id, updated_at)")


@migration
def m017_pair_reviews(db: Database) -> None:
    """The review of claim pairs' tied verdicts (issue 21): their tasks and reviewers' answers.

    A review project of pairs has the comparisons' labeling config, not the documents':
    `pair_review_tasks` maps each pair sent for review to its task, with what the
    annotators split on (``relation`` or ``detail``); `pair_reviews` holds every
    reviewer's answer as pulled, in the shape of `comparison_annotations` (see `reviews`).
    """
    db.execute(
        "create table pair_review_tasks (server text, project_id integer, pair_key text, "
        "a_doc text, a_start integer, a_end integer, b_doc text, b_start integer, "
        "b_end integer, task_id integer, ties text, pushed_at text, "
        "primary key (server, project_id, pair_key))"
    )
    db.execute(
        "create table pair_reviews (server text, project_id integer, annotation_id integer, "
        "task_id integer, pair_key text, a_doc text, a_start integer, a_end integer, "
        "b_doc text, b_start integer, b_end integer, annotator text, annotator_id integer, "
        "created_at text, updated_at text, lead_time float, was_cancelled integer, "
        "ground_truth integer, result text, verdict text, error text, pulled_at text, "
        "primary key (server, project_id, annotation_id))"
    )
    db.execute("create index pair_reviews_by_pair on pair_reviews (pair_key, updated_at)")


def migrate(db: StoreConnection) -> list[str]:
    """Apply pending migrations in order; return the names applied.

    A database that records a migration this release does not know was written
    by a newer annotate: it is refused rather than written with an older idea
    of its tables. Migrations are given sqlite-utils' `Database` on the store's
    connection, loaded only when one is pending.
    """
    db.execute("create table if not exists _migrations (name text primary key, applied_at text)")
    done = {str(row[0]) for row in db.execute("select name from _migrations")}
    unknown = sorted(done - {name for name, _ in MIGRATIONS})
    if unknown:
        raise StoreError(
            f"{_file_of(db)} was written by a newer annotate (migration {unknown[-1]}): "
            "upgrade annotate to use it"
        )
    applied = []
    for name, func in MIGRATIONS:
        if name in done:
            continue
        with db.conn:
            # Two commands opening one store at once: the second waits for the
            # first's migration, then finds it applied instead of applying it again.
            db.conn.execute("BEGIN IMMEDIATE")
            if db.execute("select 1 from _migrations where name = ?", [name]).fetchone():
                continue
            func(db.sqlite_utils)
            db.execute("insert into _migrations values (?, ?)", [name, now()])
        applied.append(name)
    return applied


def _file_of(db: StoreConnection) -> str:
    """The file behind `db`, for messages (``the database`` when in memory)."""
    row = db.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row and row[2] else "the database"


def now() -> str:
    """UTC timestamp in ISO 8601, the one format used across the store."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")
