"""The Label Studio codec for comparisons: a `Verdict` on a claim pair <-> results.

A comparisons task shows two claims side by side, each in its own Text object
(``claim_a``, ``claim_b``) between the sentences around it. Its controls are
derived from the verdict schema (`annotate.schemas.compare`), as the main
project's are derived from the annotation schema:

* ``relation``: one of the schema's relations (same, contradicts, elaborates,
  unrelated), required;
* ``detail``: for a contradiction, the kind of detail (number, date, actor,
  place, polarity, other), shown only when "contradicts" is chosen;
* ``value_a`` / ``value_b``: the differing words, as a span labelled "differs"
  in each claim's text;
* ``rationale``: why, in a sentence (the judge's, or the annotator's note).

These control names are the FIELD names of the comparisons' agreement report
(``relation``, ``detail``) and of the export, so they are a contract. Offsets
are code points into the claim's quote, the convention of Label Studio's UI.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from annotate.schemas import DETAILS, RELATIONS, DifferingValues, Verdict

from .decode import ConversionError
from .regions import Result

#: The two Text objects (and task data keys) holding the claims' quotes.
CLAIM_A = "claim_a"
CLAIM_B = "claim_b"
#: Choice controls, their choices in the schema's order.
RELATION = "relation"
DETAIL = "detail"
CHOICES: dict[str, tuple[str, ...]] = {RELATION: RELATIONS, DETAIL: DETAILS}
#: The categorical fields of the comparisons' agreement report, in report order.
FIELDS = (RELATION, DETAIL)
#: Span controls marking the differing values, one per claim, and their one label.
VALUE_A = "value_a"
VALUE_B = "value_b"
VALUE_LABEL = "differs"
VALUES = {VALUE_A: CLAIM_A, VALUE_B: CLAIM_B}
RATIONALE = "rationale"


def verdict_results(
    verdict: Verdict, quote_a: str, quote_b: str, origin: str | None = "prediction"
) -> list[Result]:
    """Label Studio results showing `verdict` on the claims `quote_a` and `quote_b`.

    A differing value is marked where it first occurs in its claim; one the
    claim does not contain (a judge's paraphrase) is left unmarked.
    """
    results = [_choice(RELATION, verdict.relation, origin)]
    if verdict.detail is not None:
        results.append(_choice(DETAIL, verdict.detail, origin))
    if verdict.values is not None:
        for control, quote, value in (
            (VALUE_A, quote_a, verdict.values.a),
            (VALUE_B, quote_b, verdict.values.b),
        ):
            start = quote.find(value) if value else -1
            if start >= 0:
                results.append(_value_span(control, start, start + len(value), value, origin))
    if verdict.rationale:
        results.append(_result(RATIONALE, CLAIM_A, "textarea", {"text": [verdict.rationale]},
                               origin))  # fmt: skip
    return results


def verdict_prediction(
    verdict: Verdict, quote_a: str, quote_b: str, model_version: str, score: float
) -> Result:
    """A Label Studio prediction of the verdict: results, model version and score."""
    return {
        "model_version": model_version,
        "score": score,
        "result": verdict_results(verdict, quote_a, quote_b),
    }


def verdict_digest(verdict: Verdict, model_version: str) -> str:
    """What identifies the prediction a verdict makes: a changed verdict replaces it."""
    text = json.dumps([model_version, verdict.model_dump(mode="json")], sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def results_to_verdict(results: Iterable[Result], quote_a: str, quote_b: str) -> Verdict:
    """The `Verdict` an annotator gave; a `ConversionError` says why there is none.

    Only a contradiction keeps its detail and values (Label Studio may keep a
    hidden control's last choice after the relation changed). With several
    spans on one claim, the first in the text is the value.
    """
    found = list(results)
    relation = _chosen(found, RELATION)
    if relation is None:
        raise ConversionError(["no relation chosen"])
    contradicts = relation == "contradicts"
    try:
        return Verdict(
            relation=relation,
            detail=_chosen(found, DETAIL) if contradicts else None,
            values=_values(found, quote_a, quote_b) if contradicts else None,
            rationale=_text(found, RATIONALE),
        )
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise ConversionError([f"not a valid verdict: {reasons}"]) from None


# --------------------------------------------------------------------------


def _choice(control: str, value: str, origin: str | None) -> Result:
    return _result(control, CLAIM_A, "choices", {"choices": [value]}, origin)


def _value_span(control: str, start: int, end: int, text: str, origin: str | None) -> Result:
    value = {"start": start, "end": end, "text": text, "labels": [VALUE_LABEL]}
    return _result(control, VALUES[control], "labels", value, origin)


def _result(control: str, to_name: str, kind: str, value: dict[str, Any],
            origin: str | None) -> Result:  # fmt: skip
    result: Result = {"id": f"{control}-0", "from_name": control, "to_name": to_name,
                      "type": kind}  # fmt: skip
    if control in VALUES:
        result["id"] = f"{control}-{value['start']}"
    if origin:
        result["origin"] = origin
    result["value"] = value
    return result


def _chosen(results: list[Result], control: str) -> str | None:
    """The control's choice, checked against the schema's values."""
    for result in results:
        if result.get("from_name") == control:
            choices = (result.get("value") or {}).get("choices") or []
            if choices:
                value = str(choices[0])
                if value not in CHOICES[control]:
                    raise ConversionError([f"{control} {value!r} is not one of "
                                           f"{', '.join(CHOICES[control])}"])  # fmt: skip
                return value
    return None


def _text(results: list[Result], control: str) -> str:
    for result in results:
        if result.get("from_name") == control:
            text = (result.get("value") or {}).get("text") or []
            return " ".join(str(t).strip() for t in text if str(t).strip())
    return ""


def _values(results: list[Result], quote_a: str, quote_b: str) -> DifferingValues | None:
    """The first marked span in each claim; None unless both claims have one."""
    a = _first_span(results, VALUE_A, quote_a)
    b = _first_span(results, VALUE_B, quote_b)
    return DifferingValues(a=a, b=b) if a and b else None


def _first_span(results: list[Result], control: str, quote: str) -> str | None:
    spans = []
    for result in results:
        value = result.get("value") or {}
        if result.get("from_name") == control and "start" in value and "end" in value:
            start, end = int(value["start"]), int(value["end"])
            if not 0 <= start < end <= len(quote):
                raise ConversionError([f"{control} span {start}-{end} lies outside its claim "
                                       f"({len(quote)} characters)"])  # fmt: skip
            spans.append((start, end))
    if not spans:
        return None
    start, end = min(spans)
    return quote[start:end]


def source_key(side: str) -> str:
    """The task data key of a claim's outlet and date line ("a" or "b")."""
    return f"source_{side}"
