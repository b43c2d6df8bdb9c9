"""The LLM judge's answer schema is its validator (issue 17, part 5).

Strict structured outputs guarantee an answer valid under the schema sent, and
nothing more: whatever instance comes back must validate. These tests check
the schema against OpenAI's strict-mode rules with a checker written here
(independent of `strict_json_schema`), then draw many instances with
Hypothesis (`instances`, a strategy built here from the schema, independent
of the fake server's generator; hypothesis-jsonschema 0.23 no longer runs on
current Hypothesis) and validate each one: every instance of the union is a
verdict with nothing dropped, and every instance of the old flat schema
(detail and values allowed with any relation: a server that ignores the
union) is one too, its unused fields dropped and counted, save a
contradiction without its detail.
"""

from __future__ import annotations

import json
import random
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from annotate.schemas import DETAILS, RELATIONS, Extraction, Verdict, strict_json_schema
from annotate.schemas.compare import COMPATIBLE_RELATIONS, VerdictAnswer
from annotate.testing.schema_instances import UnsupportedSchema, random_instance

ANSWER_SCHEMA = strict_json_schema(VerdictAnswer)
#: The schema the judge sent before the union: detail and values with any relation.
FLAT_SCHEMA = strict_json_schema(Verdict)
#: Keywords strict structured outputs accept (of those this tool could emit).
STRICT_KEYWORDS = frozenset(
    {"type", "properties", "required", "additionalProperties", "items", "enum", "anyOf",
     "$ref", "$defs", "description"}
)  # fmt: skip
EXAMPLES = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def strict_mode_problems(schema: dict[str, Any]) -> list[str]:
    """What OpenAI's strict mode would refuse in `schema` (empty when nothing)."""
    problems = []
    if schema.get("type") != "object" or "anyOf" in schema:
        problems.append("the root must be an object, not a union")
    problems += _node_problems(schema, schema, "(root)")
    return problems


def _node_problems(node: Any, root: dict[str, Any], where: str) -> list[str]:
    if isinstance(node, list):
        return [p for i, item in enumerate(node) for p in _node_problems(item, root, where)]
    if not isinstance(node, dict):
        return []
    found = [f"{where}: {k!r} is not accepted" for k in set(node) - STRICT_KEYWORDS]
    if "$ref" in node and len(node) > 1:
        found.append(f"{where}: $ref with other keywords")
    if node.get("type") == "object":
        properties = list(node.get("properties", {}))
        if node.get("additionalProperties") is not False:
            found.append(f"{where}: additionalProperties must be false")
        if node.get("required") != properties:
            found.append(f"{where}: every property must be required, in order")
    if "anyOf" in node:
        found += _union_problems(node["anyOf"], root, where)
    for key, value in node.items():
        if key in ("properties", "$defs"):
            for name, child in value.items():
                found += _node_problems(child, root, f"{where}.{name}")
        elif key in ("items", "anyOf"):
            found += _node_problems(value, root, f"{where}.{key}")
    return found


def _union_problems(variants: list[dict[str, Any]], root: dict[str, Any], where: str) -> list[str]:
    """Objects in a union must not share identical first keys: each is told by its first."""
    objects = [_resolve(v, root) for v in variants]
    objects = [o for o in objects if o.get("type") == "object"]
    firsts = [next(iter(o["properties"].items())) for o in objects if o.get("properties")]
    if len(firsts) < 2:
        return []
    tags: list[set[Any]] = []
    for name, schema in firsts:
        if name != firsts[0][0] or "enum" not in schema:
            return [f"{where}: the union's objects do not start with one tag"]
        tags.append(set(schema["enum"]))
    overlap = any(a & b for i, a in enumerate(tags) for b in tags[i + 1 :])
    return [f"{where}: the union's tags overlap"] if overlap else []


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def instances(schema: dict[str, Any], node: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """Every instance of `schema` (strict mode's subset), as a Hypothesis strategy."""
    node = schema if node is None else node
    if "$ref" in node:
        return instances(schema, _resolve(node, schema))
    if "anyOf" in node:
        return st.one_of([instances(schema, variant) for variant in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "object":
        fields = {name: instances(schema, child) for name, child in node["properties"].items()}
        return st.fixed_dictionaries(fields)
    if kind == "string":
        return st.text()
    if kind == "null":
        return st.none()
    raise AssertionError(f"no strategy for {node!r}")


# ---------------------------------------------------------------- the schema


def test_the_answer_schema_meets_strict_mode() -> None:
    assert strict_mode_problems(ANSWER_SCHEMA) == []
    verdict = ANSWER_SCHEMA["properties"]["verdict"]
    assert len(verdict["anyOf"]) == 2, "the union is what strict mode enforces"


def test_the_checker_finds_what_strict_mode_refuses() -> None:
    """The checker is worth something: the old flat schema passes, broken ones do not."""
    assert strict_mode_problems(FLAT_SCHEMA) == []
    assert strict_mode_problems(strict_json_schema(Extraction)) == []
    bare_union = {"$defs": ANSWER_SCHEMA["$defs"], **ANSWER_SCHEMA["properties"]["verdict"]}
    assert "the root must be an object, not a union" in strict_mode_problems(bare_union)
    loose = json.loads(json.dumps(ANSWER_SCHEMA))
    loose["$defs"]["Compatible"]["required"] = ["relation"]
    loose["$defs"]["Contradiction"]["properties"]["relation"]["enum"].append("same")
    loose["properties"]["verdict"]["oneOf"] = loose["properties"]["verdict"].pop("anyOf")
    problems = " | ".join(strict_mode_problems(loose))
    assert "every property must be required" in problems and "'oneOf'" in problems
    loose["properties"]["verdict"]["anyOf"] = loose["properties"]["verdict"].pop("oneOf")
    assert "tags overlap" in " | ".join(strict_mode_problems(loose))


def test_the_union_covers_every_relation_and_detail() -> None:
    """One source of truth: the union's tags are `Relation`'s, its details `Detail`'s."""
    defs = ANSWER_SCHEMA["$defs"]
    contradiction = defs["Contradiction"]["properties"]
    compatible = defs["Compatible"]["properties"]
    tags = contradiction["relation"]["enum"] + compatible["relation"]["enum"]
    assert sorted(tags) == sorted(RELATIONS) and len(tags) == len(RELATIONS)
    assert tuple(compatible["relation"]["enum"]) == COMPATIBLE_RELATIONS
    assert tuple(contradiction["detail"]["enum"]) == DETAILS
    assert list(compatible) == ["relation", "rationale"], "no detail where none can be"


# ---------------------------------------------------------------- any instance validates


@EXAMPLES
@given(instances(ANSWER_SCHEMA))
def test_every_instance_of_the_schema_is_a_verdict(instance: dict[str, Any]) -> None:
    answer = VerdictAnswer.model_validate_json(json.dumps(instance))
    assert answer.unused_fields == 0
    verdict = answer.to_verdict()
    sent = instance["verdict"]
    assert (verdict.relation, verdict.rationale) == (sent["relation"], sent["rationale"])
    if sent["relation"] == "contradicts":
        assert verdict.detail == sent["detail"]
        values = verdict.values.model_dump() if verdict.values else None
        assert values == sent["values"]


@EXAMPLES
@given(instances(FLAT_SCHEMA))
def test_an_answer_that_ignores_the_union_loses_only_unused_fields(
    instance: dict[str, Any],
) -> None:
    """Flat, unwrapped, detail and values with any relation: a verdict, what is unused counted."""
    relation = instance["relation"]
    if relation == "contradicts" and instance["detail"] is None:
        with pytest.raises(ValidationError, match="detail"):
            VerdictAnswer.model_validate_json(json.dumps(instance))
        return
    for shape in (instance, {"verdict": instance}):
        answer = VerdictAnswer.model_validate_json(json.dumps(shape))
        verdict = answer.to_verdict()
        assert verdict.relation == relation and verdict.rationale == instance["rationale"]
        if relation == "contradicts":
            assert answer.unused_fields == 0 and verdict.detail == instance["detail"]
        else:
            filled = (instance["detail"] is not None) + (instance["values"] is not None)
            assert answer.unused_fields == filled
            assert verdict.detail is None and verdict.values is None


@pytest.mark.parametrize(
    "answer",
    [
        {"verdict": {"relation": "contradicts", "values": None, "rationale": "r"}},
        {"verdict": {"relation": "same", "rationale": "r", "confidence": 0.9}},
        {"verdict": {"relation": "disagrees", "rationale": "r"}},
        {"verdict": {"relation": "same"}},
        {"relation": "same", "rationale": "r", "verdict": None},
        [],
    ],
    ids=["contradiction-without-detail", "unknown-key", "unknown-relation", "no-rationale",
         "null-verdict", "not-an-object"],
)  # fmt: skip
def test_what_the_union_does_not_allow_is_still_refused(answer: Any) -> None:
    with pytest.raises(ValidationError):
        VerdictAnswer.model_validate_json(json.dumps(answer))


# ---------------------------------------------------------------- the fake server's generator


def test_the_fake_servers_instances_are_valid_under_the_schema() -> None:
    """Its answers are what a schema-following server may send, checked by `jsonschema`."""
    validator = jsonschema.Draft202012Validator(ANSWER_SCHEMA)
    drawn = [random_instance(ANSWER_SCHEMA, random.Random(seed)) for seed in range(300)]
    assert all(validator.is_valid(instance) for instance in drawn)
    relations = {instance["verdict"]["relation"] for instance in drawn}
    assert relations == set(RELATIONS), "every variant and tag is drawn"
    assert any(i["verdict"].get("values") is None for i in drawn if "detail" in i["verdict"])
    assert any(i["verdict"].get("values") for i in drawn if "detail" in i["verdict"])


def test_ignoring_unions_fills_fields_the_relation_does_not_use() -> None:
    validator = jsonschema.Draft202012Validator(ANSWER_SCHEMA)
    drawn = [
        random_instance(ANSWER_SCHEMA, random.Random(seed), ignore_unions=True)
        for seed in range(200)
    ]
    unused = [VerdictAnswer.model_validate(instance).unused_fields for instance in drawn]
    assert sum(unused) > 100 and not all(validator.is_valid(i) for i in drawn)


def test_the_generator_refuses_what_it_does_not_follow() -> None:
    with pytest.raises(UnsupportedSchema, match="oneOf"):
        random_instance({"oneOf": [{"type": "string"}]}, random.Random(0))
    with pytest.raises(UnsupportedSchema, match="additional"):
        random_instance({"type": "object", "properties": {}}, random.Random(0))
