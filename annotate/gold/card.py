"""The dataset card (README.md of an export), written from the data and the schema.

Field descriptions come from the Pydantic models' own descriptions, counts and
label distributions from the exported rows, figures from the agreement report:
nothing in the card is typed by hand, so it cannot drift from the data. The card
opens with the Hugging Face Hub's YAML front matter (licence, languages, tasks,
size, and ``configs:`` naming each split's file, so that
``datasets.load_dataset(folder)`` reads the Parquet files and nothing else).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from annotate.schemas import (
    DocumentMetadata,
    DocumentStance,
    GroundedActor,
    GroundedClaim,
    GroundedStance,
    Span,
)

from .adjudicate import __doc__ as ADJUDICATION_DOC

#: The categorical coefficients' columns, named as in agreement.json; each alpha's own
#: bootstrap interval in the column right after it (never one interval for two alphas).
CATEGORICAL = ("units", "observed_agreement", "cohen_kappa", "fleiss_kappa",
               "krippendorff_alpha_nominal", "krippendorff_alpha_nominal_ci95",
               "krippendorff_alpha_ordinal", "krippendorff_alpha_ordinal_ci95",
               "gwet_ac1")  # fmt: skip


@dataclass
class CardCounts:
    """What the card says about the rows, counted one row at a time (the rows are not kept)."""

    documents: int = 0
    mentions: int = 0
    claims: int = 0
    labels: dict[str, Counter[str]] = field(
        default_factory=lambda: {name: Counter() for name in
                                 ("actor type", "attribution", "check-worthy", "stance",
                                  "overall stance")}  # fmt: skip
    )

    #: the model versions that pre-annotated the rows
    model_versions: set[str] = field(default_factory=set)
    #: the ``language`` metadata of the rows, where they have one
    languages: set[str] = field(default_factory=set)

    def add(self, row: dict[str, Any]) -> None:
        self.documents += 1
        self.mentions += sum(len(a["mentions"]) for a in row["actors"])
        self.claims += len(row["claims"])
        self.labels["actor type"].update(a["type"] for a in row["actors"])
        self.labels["attribution"].update(c["attribution"] for c in row["claims"])
        self.labels["check-worthy"].update(str(c["check_worthy"]) for c in row["claims"])
        self.labels["stance"].update(s["label"] for s in row["stances"])
        self.labels["overall stance"][str(row["overall_stance"])] += 1
        self.model_versions.update(row["model_versions"])
        language = row["metadata"].get("language")
        if isinstance(language, str) and language:
            self.languages.add(language)

    def merge(self, other: CardCounts) -> None:
        """Add other rows' counts (the same as adding those rows here).

        The gold pass counts each exported row where it was made (in a worker),
        so the rows are never parsed again to write the card.
        """
        self.documents += other.documents
        self.mentions += other.mentions
        self.claims += other.claims
        for name, counts in other.labels.items():
            self.labels[name].update(counts)
        self.model_versions.update(other.model_versions)
        self.languages.update(other.languages)


@dataclass(frozen=True)
class Hub:
    """What the card's YAML says that the rows cannot: the licence the user gives
    (`annotate export --license`) and the languages they name (`--language`; by
    default the documents' ``language`` metadata, else English, the language the
    rule-based annotator and the prompt read)."""

    license: str = "unknown"
    languages: tuple[str, ...] = ()


#: The Hub's size categories: (upper bound, name), the last one open-ended.
#: the split of documents whose ties wait for a reviewer: in a folder of its own, so that
#: ``data/`` (every gold split) never holds them
UNRESOLVED = "unresolved"
SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"))  # fmt: skip


def size_category(rows: int) -> str:
    return next((name for bound, name in SIZES if rows < bound), "n>10M") if rows else "n<1K"


def hub_front_matter(
    name: str,
    hub: Hub,
    rows: CardCounts,
    splits: dict[str, int],
    tables: dict[str, Any] | None,
) -> str:
    """The card's YAML header: what the Hub shows and what `load_dataset(folder)` reads.

    Strings are written as JSON strings (valid YAML scalars), so any name quotes safely.
    """
    languages = hub.languages or tuple(sorted(rows.languages)) or ("en",)
    gold = [split for split in splits if split != UNRESOLVED]
    configs = [("default", [(split, f"data/{split}.parquet") for split in gold])]
    if UNRESOLVED in splits:
        configs.append((UNRESOLVED, [(UNRESOLVED, f"{UNRESOLVED}/{UNRESOLVED}.parquet")]))
    if tables is not None:
        configs += [(kind, [(kind, f"{kind}/{kind}.parquet")]) for kind in ("comparisons", "facts")]
    lines = ["---", f"pretty_name: {_q(name)}", f"license: {_q(hub.license)}", "language:",
             *[f"- {_q(code)}" for code in languages],
             "task_categories:", "- token-classification", "- text-classification",
             "tags:", "- news", "- claims", "- stance", "- attribution",
             "size_categories:", f"- {_q(size_category(rows.documents))}", "configs:"]  # fmt: skip
    for config, files in configs:
        lines += [f"- config_name: {_q(config)}", "  data_files:"]
        lines += [f"  - split: {_q(split)}\n    path: {_q(path)}" for split, path in files]
    return "\n".join([*lines, "---", "", ""])


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def dataset_card(
    name: str,
    version: str,
    rows: CardCounts,
    report: dict[str, Any],
    splits: dict[str, int],
    versions: dict[str, Any],
    seed: int,
) -> str:
    parts = [
        _header(name, version, rows, splits, seed),
        _loading(splits),
        _schema(),
        _distribution(rows),
        _annotators(report),
        _agreement(report),
        _model_vs_gold(report),
        _versions(versions),
        _limitations(),
    ]
    return "\n\n".join(parts) + "\n"


def figure(value: Any) -> str:
    """A figure for a table: three decimals, intervals in brackets, a dash for none."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return "[" + ", ".join(figure(v) for v in value) + "]"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _header(name: str, version: str, rows: CardCounts, splits: dict[str, int],
            seed: int) -> str:  # fmt: skip
    split_text = ", ".join(f"{k}: {v}" for k, v in splits.items())
    return (
        f"# {name} (version {version})\n\n"
        "News articles annotated for **actors, claims and stance**: who is named, what is\n"
        "claimed and by whom (with the reporting verb and the kind of attribution), which\n"
        "claims are check-worthy, and who stands for or against what. Pre-annotated by a\n"
        "model, corrected by human annotators in Label Studio, adjudicated into one gold\n"
        "record per document.\n\n"
        f"{rows.documents} documents ({split_text}"
        + (f"; split by document with seed {seed}" if len(splits) > 1 else "")
        + ")."
    )


def _loading(splits: dict[str, int]) -> str:
    gold = [split for split in splits if split != UNRESOLVED]
    first = gold[0]
    files = ", ".join(f'"{s}": "data/{s}.parquet"' for s in gold)
    return (
        "## Loading\n\n"
        "From this folder (or its Hub repository, by its name):\n\n"
        "```python\n"
        "import pandas as pd\n"
        'frame = pd.read_parquet("data")  # every split; one: '
        f'pd.read_parquet("data/{first}.parquet")\n\n'
        "from datasets import load_dataset\n"
        'dataset = load_dataset(".")  # the splits the configs above name\n'
        f'dataset = load_dataset("parquet", data_files={{{files}}})\n'
        "```\n\n"
        "Offsets are Python code-point offsets into `text`: `text[start:end]` is the span.\n"
        "`data/` holds Parquet only; the same rows are in `jsonl/data/*.jsonl`, and "
        "`manifest.json` lists every file's SHA-256."
        + (
            f"\n\nDocuments whose ties wait for a reviewer are in `{UNRESOLVED}/` "
            f'(config `{UNRESOLVED}`: `load_dataset(".", "{UNRESOLVED}")`), never in `data/`.'
            if UNRESOLVED in splits
            else ""
        )
    )


def _fields(model: type[BaseModel], prefix: str) -> list[str]:
    return [
        f"| `{prefix}{name}` | {info.description or ''} |"
        for name, info in model.model_fields.items()
    ]


def _span_meaning() -> str:
    return "; ".join(f"`{n}`: {i.description}" for n, i in Span.model_fields.items())


def _schema() -> str:
    lines = [
        "## Columns",
        "",
        "| column | meaning |",
        "| --- | --- |",
        "| `id` | Document id: the first 16 hex digits of the SHA-256 of `text`. |",
        "| `text` | The article as ingested (newlines normalized). |",
        "| `source` | Where it came from: the file or feed it was ingested from. |",
        "| `metadata` | Its metadata, one field each (null where a document has none): |",
        *_fields(DocumentMetadata, "metadata."),
        "| `metadata.*` | Any other field of the feed or folder manifest, in name order; "
        "typed when all its values share a type, else text (nested values as JSON). |",
        "| `actors` | The actors, each with: |",
        *_fields(GroundedActor, "actors."),
        "| `claims` | The claims, each with: |",
        *_fields(GroundedClaim, "claims."),
        "| `stances` | The stances, each with: |",
        *_fields(GroundedStance, "stances."),
        "| span (`start`, `end`, `text`) | " + _span_meaning() + " |",
        f"| `main_target` | {DocumentStance.model_fields['main_target'].description} |",
        f"| `overall_stance` | {DocumentStance.model_fields['overall'].description} |",
        "| `annotators` | Label Studio users whose annotations made the gold. |",
        "| `adjudication` | `reviewer`, `majority`, `single` or `review` (see below). |",
        "| `contested`, `ties` | Whether annotators disagreed; the items they split evenly "
        "on (resolved by a reviewer, or in split `unresolved` until one does). |",
        "| `model_versions` | Model versions that pre-annotated the document. |",
    ]
    return "\n".join(lines)


def _distribution(rows: CardCounts) -> str:
    lines = ["## Label distribution", "", "| field | counts |", "| --- | --- |"]
    for name, counts in rows.labels.items():
        text = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "—"
        lines.append(f"| {name} | {text} |")
    lines += ["", f"{rows.mentions} actor mentions, {rows.claims} claims in all."]
    return "\n".join(lines)


def _annotators(report: dict[str, Any]) -> str:
    adjudication = report.get("adjudication", {})
    policy_text = (ADJUDICATION_DOC or "").split("Policies:", 1)[-1].strip()
    return (
        "## Annotators and adjudication\n\n"
        f"Annotators: {', '.join(report['annotators'])}.\n\n"
        f"Policy `{adjudication.get('policy')}`; gold records by method: "
        f"{adjudication.get('methods')}; {adjudication.get('contested')} contested, "
        f"{adjudication.get('with_ties')} with ties. " + _ties(report) + "\n\n" + policy_text
    )


def _ties(report: dict[str, Any]) -> str:
    """How the ties were resolved, and where the waiting ones are."""
    ties = report.get("adjudication", {}).get("ties", {})
    reviewed = ties.get("review", {"documents": 0, "items": 0})
    waiting = ties.get("waiting_for_review", {"documents": 0, "items": 0})
    return (
        f"Ties resolved by a reviewer: {reviewed['items']} items in {reviewed['documents']} "
        f"documents; waiting for review: {waiting['items']} items in {waiting['documents']} "
        "documents (split `unresolved`, outside the gold; model-vs-gold leaves out their "
        "tied items and scores the rest)."
    )


def _agreement(report: dict[str, Any]) -> str:
    lines = [
        "## Inter-annotator agreement",
        "",
        "Computed by `annotate agreement` (details in `agreement.json`, under the same "
        "names): units coded by fewer than two annotators excluded; Cohen's kappa averaged "
        "over annotator pairs; Krippendorff's alpha nominal, and ordinal for the ordinal "
        "`overall_stance`, each followed by its own percentile bootstrap 95% interval "
        "(`_ci95`, units resampled); F1 with its interval (documents resampled).",
        "",
        _categorical_head(),
    ]
    spans = [
        "",
        "| field | F1 exact | F1 exact 95% CI | F1 partial | F1 partial 95% CI |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, scores in report["fields"].items():
        if "units" in scores:
            lines.append(_categorical_row(name, scores))
        elif "f1_exact" in scores:
            spans.append(
                f"| {name} | {figure(scores['f1_exact'])} | {figure(scores['f1_exact_ci95'])} "
                f"| {figure(scores['f1_partial'])} | {figure(scores['f1_partial_ci95'])} |"
            )
        elif "f1" in scores:
            spans.append(f"| {name} | | | {figure(scores['f1'])} | {figure(scores['f1_ci95'])} |")
    return "\n".join(lines + spans)


def _categorical_head() -> str:
    return "| field | " + " | ".join(CATEGORICAL) + " |\n| --- |" + " --- |" * len(CATEGORICAL)


def _categorical_row(name: str, scores: dict[str, Any]) -> str:
    return f"| {name} | " + " | ".join(figure(scores.get(k)) for k in CATEGORICAL) + " |"


def _model_vs_gold(report: dict[str, Any]) -> str:
    left_out = report.get("model_vs_gold_left_out", {})
    lines = ["## Pre-annotations against the gold", "",
             "Scored on resolved items only: of the "
             f"{left_out.get('documents', 0)} documents ({left_out.get('tied_items', 0)} tied "
             "items) waiting for review, the tied items are left out of both sides (a "
             "prediction of a tied item counts neither for nor against the model) and the "
             "agreed items are scored.",
             ""]  # fmt: skip
    for version, fields in report.get("model_vs_gold", {}).items():
        fates = report.get("pre_annotations", {}).get(version, {})
        lines += [
            f"`{version}`: of {fates.get('pre_annotated_regions')} pre-annotated regions, "
            f"kept {figure(fates.get('share_kept'))}, "
            f"edited {figure(fates.get('share_edited'))}, "
            f"deleted {figure(fates.get('share_deleted'))}.",
            "",
            "| field | precision | recall | F1 |",
            "| --- | --- | --- | --- |",
        ]
        for name, scores in fields.items():
            lines.append(
                f"| {name} | {figure(scores['precision'])} | {figure(scores['recall'])} "
                f"| {figure(scores['f1'])} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip()


def _versions(versions: dict[str, Any]) -> str:
    models = ", ".join(f"`{v}`" for v in versions["model_versions"]) or "—"
    return (
        "## Versions\n\n"
        f"Schema version `{versions['schema_version']}`, prompt version "
        f"`{versions['prompt_version']}`, model versions {models}."
    )


def _limitations() -> str:
    return (
        "## Limitations\n\n"
        "- Agreement is measured on the documents that at least two annotators annotated; "
        "with few documents the intervals are wide.\n"
        "- A tie is never decided by annotator order: a document whose annotators split "
        "evenly waits in split `unresolved` (its tied items in `ties`) until a reviewer "
        "settles it, and model-vs-gold leaves out its tied items (its agreed items are "
        "scored).\n"
        "- Pre-annotations shape what annotators look at; the kept/edited/deleted shares "
        "indicate how much.\n"
        "- The corpus is what was ingested: outlets, languages and periods are not balanced "
        "unless the collection was."
    )


def comparisons_card(
    tables: dict[str, Any] | None,
    verified: dict[str, Any] | None,
    judge_scores: dict[str, Any] | None,
) -> str:
    """The card's section on compared facts; empty when nothing was compared."""
    if tables is None:
        return ""
    lines = [
        "",
        "## Comparisons across outlets",
        "",
        f"Comparison {tables['comparison']} by judge `{tables['judge']}`: {tables['pairs']} "
        f"claim pairs in `comparisons/comparisons.parquet` (by status: "
        f"{_statuses(tables['pair_statuses'])}), {tables['facts']} facts in "
        f"`facts/facts.parquet` ({_statuses(tables['fact_statuses'])}). A pair is verified "
        "when people's verdicts agree (or a reviewer or a single annotator gave it), "
        "contested when they disagree (the majority decides; a tie is flagged and "
        "never decided by who answered: it waits for a reviewer, `resolution` \"waiting for "
        "review\", until one settles it, `resolution` \"review\"); unverified pairs carry "
        "the judge's verdict only." + _pair_ties(verified),
    ]
    if verified is not None:
        lines += ["", f"Agreement on {verified['pairs']} pairs answered by "
                      f"{len(verified['annotators'])} annotators:", "",
                  _categorical_head()]  # fmt: skip
        lines += [_categorical_row(name, scores) for name, scores in verified["fields"].items()]
    if judge_scores is not None:
        lines += ["", _judge_scores(judge_scores)]
    return "\n".join(lines) + "\n"


def _pair_ties(verified: dict[str, Any] | None) -> str:
    """How the pairs' tied verdicts were resolved (`gold.verdicts`)."""
    ties = ((verified or {}).get("adjudication") or {}).get("ties")
    if not ties:
        return ""
    return (f" Tied verdicts resolved by a reviewer: {ties.get('review', 0)}; waiting for "
            f"review: {ties.get('waiting_for_review', 0)}.")  # fmt: skip


def _statuses(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {status}" for status, count in counts.items()) or "none"


def _judge_scores(scores: dict[str, Any]) -> str:
    """The judge against people's verdicts (`annotate compare --eval`)."""
    lines = [f"The judge against people's verdicts on {scores.get('pairs')} pairs "
             "(`annotate compare --eval`):", "",
             "| relation | precision | recall | F1 | support |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for name, value in (scores.get("relations") or {}).items():
        if isinstance(value, dict) and "precision" in value:
            lines.append(f"| {name} | {figure(value.get('precision'))} | "
                         f"{figure(value.get('recall'))} | {figure(value.get('f1'))} | "
                         f"{figure(value.get('support'))} |")  # fmt: skip
    return "\n".join(lines)
