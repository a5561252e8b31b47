"""Writing documents back into playbook files, the way a careful person would.

When pull changes a document, only what changed is rewritten: the YAML (front matter or a
YAML file) is updated with ruamel.yaml in round-trip mode, so comments, key order and quoting
of untouched keys survive; the body is written in canonical Markdown. Fields that conflict in
a three-way merge are written as git-style conflict blocks, which `validate` reports.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
import re
from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from prodops_sync.kinds import KindSpec
from prodops_sync.markdown import canonical
from prodops_sync.model import Document
from prodops_sync.playbook.loader import page_title
from prodops_sync.sync.merge import FieldConflict

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Indentation styles tried, in order, to reproduce a file's own style (mapping, sequence,
# offset): the common "- item" under a key indented by 2, and the flush "- item" style.
_INDENT_STYLES = ((2, 4, 2), (2, 2, 0))


def split_front_matter(text: str) -> tuple[str, str]:
    """Split a Markdown file into (front matter YAML, body). Missing front matter is ''."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return "", text
    return match.group(1) or "", text[match.end() :].lstrip("\n")


def _yaml(style: tuple[int, int, int]) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold long strings: a sync must not reflow text
    yaml.indent(mapping=style[0], sequence=style[1], offset=style[2])
    return yaml


def _dump(yaml: YAML, data: Any) -> str:
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def _to_yaml_value(value: Any) -> Any:
    """Plain values as ruamel should write them (ISO date strings back to dates)."""
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, list):
        return [_to_yaml_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_yaml_value(v) for k, v in value.items()}
    return value


def _plain(value: Any) -> Any:
    """A ruamel value as the plain data the loader produces (dates as ISO strings)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _updated(node: Any, value: Any) -> Any:
    """``node`` (a ruamel value) changed in place to hold ``value``, so that an edit to one
    item of a list or one key of a mapping rewrites only those lines (flow style, comments
    and key order of the rest are kept); anything else is replaced."""
    if _plain(node) == value:
        return node
    if isinstance(node, CommentedMap) and isinstance(value, dict):
        for key in [k for k in node if k not in value]:
            del node[key]
        for key, item in value.items():
            node[key] = _updated(node[key], item) if key in node else _to_yaml_value(item)
        return node
    if isinstance(node, CommentedSeq) and isinstance(value, list):
        old = [json.dumps(_plain(v), sort_keys=True, default=str) for v in node]
        new = [json.dumps(v, sort_keys=True, default=str) for v in value]
        ops = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
        for tag, i1, i2, j1, j2 in reversed(ops):
            if tag == "equal":
                continue
            paired = min(i2 - i1, j2 - j1)
            for offset in range(paired):
                node[i1 + offset] = _updated(node[i1 + offset], value[j1 + offset])
            for index in range(i2 - 1, i1 + paired - 1, -1):
                del node[index]
            for offset in range(paired, j2 - j1):
                node.insert(i1 + offset, _styled_like(node, value[j1 + offset]))
        return node
    return _to_yaml_value(value)


def _styled_like(seq: CommentedSeq, value: Any) -> Any:
    """A new item for ``seq``: a mapping whose lists are written in the flow style
    (``[a, b]``) that the same keys have in the item's siblings."""
    item = _to_yaml_value(value)
    if not isinstance(item, dict):
        return item
    flow = {
        key
        for sibling in seq
        if isinstance(sibling, CommentedMap)
        for key, sub in sibling.items()
        if isinstance(sub, CommentedSeq) and sub.fa.flow_style()
    }
    out = CommentedMap()
    for key, sub in item.items():
        if key in flow and isinstance(sub, list):
            styled = CommentedSeq(sub)
            styled.fa.set_flow_style()
            out[key] = styled
        else:
            out[key] = sub
    return out


def update_yaml(original: str, fields: dict[str, Any], key_order: Sequence[str] = ()) -> str:
    """Return ``original`` YAML updated to hold exactly ``fields``, touching only the keys
    whose values changed (comments and order of the rest are kept). New keys are appended
    in ``key_order`` (the schema's property order) when given."""
    style = _INDENT_STYLES[0]
    data: Any = None
    if original.strip():
        for candidate in _INDENT_STYLES:
            data = _yaml(candidate).load(original)
            if _dump(_yaml(candidate), data) == original:
                style = candidate
                break
    if not isinstance(data, CommentedMap):
        data = CommentedMap()
    for name in [k for k in data if k not in fields]:
        del data[name]
    order = {name: i for i, name in enumerate(key_order)}
    new_names = sorted((k for k in fields if k not in data), key=lambda k: order.get(k, len(order)))
    for name, value in fields.items():
        if name in data and _plain(data[name]) == value:
            continue
        data[name] = _updated(data[name], value) if name in data else _to_yaml_value(value)
    # Keep newly added keys in schema order after the existing ones.
    for name in new_names:
        data.move_to_end(name)
    return _dump(_yaml(style), data)


def _field_lines(yaml_text: str, name: str) -> tuple[int, int] | None:
    """(start, end) line indexes of top-level key ``name`` in ``yaml_text``."""
    lines = yaml_text.splitlines(keepends=True)
    start = None
    for i, line in enumerate(lines):
        if start is None:
            if re.match(rf"^{re.escape(name)}\s*:", line):
                start = i
        elif line.strip() and not line.startswith((" ", "\t", "#", "-")):
            return start, i
    return (start, len(lines)) if start is not None else None


def _mark_field_conflicts(
    yaml_text: str, conflicts: Sequence[FieldConflict], remote_label: str
) -> str:
    """Wrap each conflicting top-level field in git-style conflict markers."""
    yaml = _yaml(_INDENT_STYLES[0])
    for conflict in conflicts:
        span = _field_lines(yaml_text, conflict.name)
        local = (
            _dump(yaml, {conflict.name: _to_yaml_value(conflict.local)})
            if conflict.local_present
            else ""
        )
        remote = (
            _dump(yaml, {conflict.name: _to_yaml_value(conflict.remote)})
            if conflict.remote_present
            else ""
        )
        block = f"<<<<<<< local\n{local}=======\n{remote}>>>>>>> {remote_label}\n"
        lines = yaml_text.splitlines(keepends=True)
        if span is None:
            lines.append(block)
        else:
            lines[span[0] : span[1]] = [block]
        yaml_text = "".join(lines)
    return yaml_text


def render_document(
    doc: Document,
    kind: KindSpec,
    original: str | None = None,
    *,
    key_order: Sequence[str] = (),
    conflicts: Sequence[FieldConflict] = (),
    remote_label: str = "remote",
) -> str:
    """The file text for ``doc``: ``original`` (the file as it is now, if any) updated with
    the document's fields and body."""
    if kind.is_page:
        return _render_page(doc, original)
    if kind.format_of(doc.path) == "yaml":
        yaml_text = update_yaml(original or "", doc.fields, key_order)
        return _mark_field_conflicts(yaml_text, conflicts, remote_label)
    front, _body = split_front_matter(original or "")
    yaml_text = update_yaml(front, doc.fields, key_order)
    yaml_text = _mark_field_conflicts(yaml_text, conflicts, remote_label)
    body = doc.body
    if "<<<<<<< " not in body:
        body = canonical(body)
    text = f"---\n{yaml_text}---\n"
    if body:
        text += "\n" + body
    return text


def _render_page(doc: Document, original: str | None) -> str:
    """A free page's file: front matter only when the file had some or the title differs
    from the one the page would get without it (its first heading, else its file name)."""
    front, _body = split_front_matter(original or "")
    body = doc.body if "<<<<<<< " in doc.body else canonical(doc.body)
    title = doc.fields.get("title")
    if not front.strip() and title == page_title(body, doc.key):
        return body
    yaml_text = update_yaml(front, {"title": title}, ["title"])
    return f"---\n{yaml_text}---\n" + (f"\n{body}" if body else "")
