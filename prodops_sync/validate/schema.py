"""JSON Schema validation of document fields, with errors mapped back to file positions."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from prodops_sync.kinds import Registry, active
from prodops_sync.model import Document
from prodops_sync.playbook.loader import positions_of
from prodops_sync.playbook.problems import Problem, json_path

_MAX_REPR = 80


def validator_for(kind: str) -> Draft202012Validator:
    """A cached 2020-12 validator for ``kind`` of the current registry, checking ``format``
    (dates) too."""
    return _validator(active(), kind)


@cache
def _validator(registry: Registry, kind: str) -> Draft202012Validator:
    # Keyed by registry too: two playbooks may each declare a kind "okr" with its own schema.
    return Draft202012Validator(
        registry.schema(kind), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


TAG_PATTERN = "^[^,]+$"
"""The item pattern of ``x-tags`` lists (tags, names, roles): no commas."""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def _message(error: ValidationError) -> str:
    """A one-line message that never dumps a whole document."""
    expected: Any = error.validator_value
    schema: Any = error.schema
    if error.validator == "enum":
        allowed = ", ".join(repr(v) for v in expected)
        return f"{_short(error.instance)} is not one of [{allowed}]"
    if error.validator == "format" and expected == "date":
        return f"{_short(error.instance)} is not a date (use YYYY-MM-DD)"
    if error.validator == "type":
        return f"{_short(error.instance)} is not of type {expected!r}"
    if error.validator == "pattern" and isinstance(schema, dict) and "x-ref" in schema:
        return (f"{_short(error.instance)} is not a {schema['x-ref']} key "
                f"(expected a path like {str(expected).strip('^$')})")
    if error.validator == "pattern" and expected == TAG_PATTERN:
        return (f"{_short(error.instance)} holds a comma; entries of this list become tags "
                "(Notion multi-select options), which cannot: make each one its own entry")
    return error.message if len(error.message) <= 200 else error.message[:197] + "..."


def _leaf_errors(error: ValidationError) -> list[ValidationError]:
    # For oneOf/anyOf the interesting errors are in the context; our schemas have none, but
    # keep the best-match behaviour in case a schema grows one.
    return [error] if not error.context else [min(error.context, key=lambda e: len(e.path))]


def schema_problems(doc: Document) -> list[Problem]:
    """Validate ``doc.fields`` against its kind's schema; one problem per violation.

    Positions point at the offending value, at the unexpected key for
    ``additionalProperties``, and at the enclosing mapping for missing ``required`` fields.
    """
    file = doc.path or doc.key
    problems: list[Problem] = []
    errors = sorted(validator_for(doc.kind).iter_errors(doc.fields),
                    key=lambda e: [str(part) for part in e.absolute_path])
    if not errors:
        return problems
    positions = positions_of(doc)  # worked out only for a document with a problem
    for top in errors:
        for error in _leaf_errors(top):
            path = tuple(error.absolute_path)
            schema: Any = error.schema
            if error.validator == "additionalProperties" and isinstance(error.instance, dict):
                allowed = set(schema.get("properties", {}))
                for extra in sorted(k for k in error.instance if k not in allowed):
                    line, col = positions.of_key((*path, extra))
                    known = ", ".join(sorted(allowed))
                    problems.append(Problem(file, line, col, json_path((*path, extra)),
                                            f"unknown field {extra!r} (allowed: {known})",
                                            "error", "schema"))
                continue
            if error.validator == "required":
                line, col = positions.of_value(path)
                missing = error.message.split("'")[1] if "'" in error.message else ""
                field = json_path((*path, missing)) if missing else json_path(path)
                problems.append(Problem(file, line, col, field, error.message, "error", "schema"))
                continue
            line, col = positions.of_value(path)
            problems.append(Problem(file, line, col, json_path(path), _message(error), "error",
                                    "schema"))
    return problems
