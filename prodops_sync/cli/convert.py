"""`prodops-sync convert`: convert one document between Markdown and a wiki format.

Converters are looked up in :data:`CONVERTERS` by ``(from, to)``; each format module adds
its own pair, so adding Confluence is one entry per direction.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from collections.abc import Callable
from typing import Any

import click
import yaml

from prodops_sync.kinds import BUILTIN
from prodops_sync.markdown import canonical

FORMATS = ("markdown", "notion", "confluence")
_ISO_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_FRONT_MATTER = re.compile(r"\A---\n(.*?\n)?---\n", re.S)

Converter = Callable[[str, "str | None", str], str]
"""(input text, kind or None, file name) -> output text."""


class ConvertError(Exception):
    """Bad input for a conversion (reported as one line, exit 1)."""


YAML_SUFFIXES = (".yaml", ".yml")


def _fields(yaml_text: str, name: str, line_offset: int = 0) -> dict[str, Any]:
    """Parse fields with the playbook's own YAML reader (duplicate keys and alias bombs are
    refused, dates kept as ISO strings), reporting the file position of any problem."""
    from prodops_sync.playbook import PlaybookError, parse_yaml

    try:
        fields, _positions = parse_yaml(yaml_text, name, line_offset)
    except PlaybookError as exc:
        raise ConvertError(f"line {exc.line}, column {exc.column}: {exc.message}") from exc
    if fields is None:
        return {}
    if not isinstance(fields, dict):
        raise ConvertError("the fields must be a YAML mapping")
    return _iso(fields)


def split_front_matter(text: str, name: str = "-") -> tuple[dict[str, Any] | None, str]:
    """``(fields, body)``; fields is None when the text has no front matter. A YAML
    playbook file (``name`` ending in .yaml) is all fields and no body."""
    if name.endswith(YAML_SUFFIXES):
        return _fields(text, name), ""
    match = _FRONT_MATTER.match(text)
    if not match:
        return None, text
    return _fields(match.group(1) or "", name, line_offset=1), text[match.end():]


def infer_kind(name: str) -> str | None:
    """The playbook kind of a file from its path (``.../rituals/x.md`` -> ``ritual``)."""
    from pathlib import PurePath

    from prodops_sync.kinds import kind_for_path

    parts = PurePath(name).parts
    for tail in (parts[-2:], parts[-1:]):
        kind = kind_for_path("/".join(tail)) if tail else None
        if kind is not None:
            return kind.name
    return None


def _iso(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


def _dates(value: Any) -> Any:
    # ISO dates are kept as strings in the model; write them as YAML dates, as people do.
    if isinstance(value, dict):
        return {k: _dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v) for v in value]
    if isinstance(value, str) and _ISO_DATE.match(value):
        return datetime.date.fromisoformat(value)
    return value


def with_front_matter(fields: dict[str, Any], body: str) -> str:
    """A Markdown document with ``fields`` as YAML front matter, in canonical form."""
    if not fields:
        return canonical(body)
    front = yaml.safe_dump(_dates(fields), sort_keys=False, allow_unicode=True, width=10_000)
    return canonical(f"---\n{front}---\n\n{body}")


def _schema(kind: str) -> dict[str, Any]:
    from prodops_sync.schemas import load_schema

    return load_schema(kind)


def markdown_to_notion(text: str, kind: str | None, name: str = "-") -> str:
    """Markdown (optionally with front matter) -> Notion JSON: a block array, or with
    ``kind`` a ``{"properties": ..., "children": [...]}`` object for pages.create."""
    from prodops_sync.formats.notion.blocks import to_blocks
    from prodops_sync.formats.notion.fieldblocks import render_section
    from prodops_sync.formats.notion.properties import fields_to_properties

    fields, body = split_front_matter(text, name)
    blocks = to_blocks(body)
    if kind is None:
        return json.dumps(blocks, ensure_ascii=False, indent=2)
    schema = _schema(kind)
    properties = fields_to_properties(fields or {}, schema)
    children = [*render_section(fields or {}, schema), *blocks]  # lists of objects: tables
    return json.dumps({"properties": properties, "children": children}, ensure_ascii=False,
                      indent=2)


def notion_to_markdown(text: str, kind: str | None, name: str = "-") -> str:
    """Notion JSON (a block array, an API list response ``{"results": [...]}``, or a page
    object with ``children`` and ``properties``) -> canonical Markdown."""
    from prodops_sync.formats.notion.blocks import from_blocks
    from prodops_sync.formats.notion.fieldblocks import read_section, split_section
    from prodops_sync.formats.notion.properties import properties_to_fields

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConvertError(f"not JSON: line {exc.lineno}: {exc.msg}") from exc
    properties: dict[str, Any] = {}
    if isinstance(data, dict):
        properties = data.get("properties") or {}
        data = data.get("children", data.get("results"))
    if not isinstance(data, list) or not all(isinstance(b, dict) and "type" in b for b in data):
        raise ConvertError("expected a JSON array of Notion block objects")
    schema = _schema(kind) if kind is not None else {}
    tables, data = split_section(data, schema)
    try:
        body = from_blocks(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConvertError(f"invalid block: {exc}") from exc
    if kind is None or not (properties or tables):
        return body
    fields = properties_to_fields(properties, schema)
    problems: list[str] = []
    fields.update(read_section(tables, schema, problems))
    return with_front_matter(fields, body)


def markdown_to_confluence(text: str, kind: str | None, name: str = "-") -> str:
    """Markdown -> Confluence storage XHTML; with ``kind`` the front matter becomes the
    page-properties macro at the top of the page."""
    from prodops_sync.formats.confluence import StorageFormatError, to_storage
    from prodops_sync.formats.confluence.properties import collection_label, fields_to_storage

    try:
        if kind is None and not name.endswith(YAML_SUFFIXES):
            return to_storage(canonical(text)) + "\n"
        fields, body = split_front_matter(text, name)
        if kind is None:
            raise ConvertError("a YAML playbook file needs --kind (or a playbook path)")
        props = fields_to_storage(fields or {}, _schema(kind), label=collection_label(kind))
        return props + to_storage(canonical(body)) + "\n"
    except StorageFormatError as exc:
        raise ConvertError(exc.reason) from exc


def confluence_to_markdown(text: str, kind: str | None, name: str = "-") -> str:
    """Confluence storage XHTML -> canonical Markdown; with ``kind`` a page-properties macro
    at the top becomes front matter."""
    from prodops_sync.formats.confluence import StorageFormatError, from_storage
    from prodops_sync.formats.confluence.properties import fields_from_storage, split_page

    try:
        if kind is None:
            return from_storage(text)
        props, body = split_page(text)
        fields = fields_from_storage(props, _schema(kind)) if props else {}
        return with_front_matter(fields, from_storage(body))
    except StorageFormatError as exc:
        where = f"line {exc.line}, column {exc.column}: " if exc.line else ""
        raise ConvertError(where + exc.reason) from exc


CONVERTERS: dict[tuple[str, str], Converter] = {
    ("markdown", "notion"): markdown_to_notion,
    ("notion", "markdown"): notion_to_markdown,
    ("markdown", "confluence"): markdown_to_confluence,
    ("confluence", "markdown"): confluence_to_markdown,
}


@click.command("convert")
@click.option("--from", "source", type=click.Choice(FORMATS), required=True,
              help="Input format.")
@click.option("--to", "target", type=click.Choice(FORMATS), required=True, help="Output format.")
@click.option("--kind", type=click.Choice(sorted(BUILTIN.by_name)), default=None,
              help="Playbook kind: front matter converts to/from properties with its schema.")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def convert(source: str, target: str, kind: str | None, file: Any) -> None:
    """Convert FILE (or - for stdin) from one format to another and print the result.

    A YAML playbook file (release tiers, risks.yaml) converts as fields only; its kind is
    taken from its path when --kind is not given.

    \b
    prodops-sync convert --from markdown --to notion playbook/charter.md
    prodops-sync convert --from notion --to markdown blocks.json
    """
    converter = CONVERTERS.get((source, target))
    if converter is None:
        click.echo(f"convert: no converter from {source} to {target}", err=True)
        sys.exit(2)
    name = getattr(file, "name", "-")
    if kind is None and source == "markdown" and name.endswith(YAML_SUFFIXES):
        kind = infer_kind(name)
    try:
        text = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        click.echo(f"{name}: cannot read: {exc}", err=True)
        sys.exit(2)
    try:
        output = converter(text, kind, name)
    except ConvertError as exc:
        click.echo(f"{name}: {exc}", err=True)
        sys.exit(1)
    click.echo(output, nl=not output.endswith("\n"))
