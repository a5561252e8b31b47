"""The Notion stand-in's HTML view (see :mod:`prodops_sync.standins.view`): the page tree
under the root page, and each page as Notion shows it: title, a properties table for
database rows, then its blocks (unknown block types as a placeholder naming the type)."""

from __future__ import annotations

from html import escape
from typing import Any

from werkzeug.wrappers import Request

from prodops_sync.standins.server import Reply
from prodops_sync.standins.view import (
    TreeNode,
    html_page,
    link,
    placeholder,
    render_tree,
    view_link,
)

LIST_TAGS = {"bulleted_list_item": "ul", "numbered_list_item": "ol"}
COLOURS = {"green", "yellow", "red", "blue", "purple"}


def rich_text_html(items: Any, prefix: str = "") -> str:
    """Escaped HTML of a rich text array: annotations, links and mentions."""
    if not isinstance(items, list):
        return ""
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        text = escape(str(item.get("plain_text", "")))
        mention = item.get("mention") if item.get("type") == "mention" else None
        if isinstance(mention, dict) and isinstance(mention.get("page"), dict):
            target = str(mention["page"].get("id"))
            label = view_link(prefix, target, str(item.get("plain_text", "")))
            text = f'<span class="mention">{label}</span>'
        elif item.get("href"):
            text = link(str(item["href"]), str(item.get("plain_text", "")))
        notes = item.get("annotations") or {}
        for flag, tag in (("code", "code"), ("bold", "strong"), ("italic", "em"),
                          ("strikethrough", "s"), ("underline", "u")):
            if notes.get(flag):
                text = f"<{tag}>{text}</{tag}>"
        out.append(text)
    return "".join(out)


class NotionView:
    """Mixed into :class:`~prodops_sync.standins.notion.NotionStandin`."""

    state: dict[str, Any]

    def _visible_children(self, parent_id: str) -> list[str]:
        raise NotImplementedError

    def view_index(self, request: Request) -> Reply:
        """``GET /``: the page tree."""
        root = self.state["root_page_id"]
        return html_page("Notion stand-in", self._tree_html(),
                         f"<h1>Notion stand-in</h1><p>Pages shared with the integration, as "
                         f"Notion shows them. Start at {view_link('', root, 'the root page')}."
                         f"</p>")

    def view_page(self, request: Request, vid: str) -> Reply:
        """``GET /view/<id>``: one page (or database) as Notion shows it."""
        if vid in self.state["databases"]:
            return html_page("Database", self._tree_html(), self._database_html(vid))
        page = self.state["pages"].get(vid)
        if page is None:
            return html_page("Not found", self._tree_html(),
                             f"<h1>Not found</h1><p>No page {escape(vid)}.</p>")
        title = self._title(vid)
        parts = [f"<h1>{escape(title)}</h1>"]
        if page.get("in_trash"):
            parts.append(placeholder("in the trash"))
        parts.append(self._properties_html(page))
        parts.append(self._blocks_html(vid))
        return html_page(title, self._tree_html(), "".join(parts))

    # -- tree --------------------------------------------------------------------------
    def _tree_html(self) -> str:
        return render_tree([self._node(self.state["root_page_id"])], "")

    def _node(self, object_id: str) -> TreeNode:
        if object_id in self.state["databases"]:
            db = self.state["databases"][object_id]
            rows = [self._node(p) for p, page in self.state["pages"].items()
                    if page["parent"].get("database_id") == object_id and not page["in_trash"]]
            return TreeNode(object_id, _plain(db.get("title")) or "Untitled", "database",
                            sorted(rows, key=lambda n: n.title))
        kids = []
        for child in self._visible_children(object_id):
            if child in self.state["pages"] or child in self.state["databases"]:
                kids.append(self._node(child))
        return TreeNode(object_id, self._title(object_id), "", kids)

    def _title(self, page_id: str) -> str:
        page = self.state["pages"].get(page_id)
        if page is None:
            return "Untitled"
        for value in page.get("values", {}).values():
            if isinstance(value, list) and value and isinstance(value[0], dict) \
                    and "plain_text" in value[0]:
                return _plain(value) or "Untitled"
        return "Untitled"

    # -- properties --------------------------------------------------------------------
    def _properties_html(self, page: dict[str, Any]) -> str:
        source = self.state["data_sources"].get(page["parent"].get("data_source_id", ""))
        if source is None:
            return ""
        rows = []
        for name, prop in source["properties"].items():
            if prop["type"] == "title":
                continue
            value = page.get("values", {}).get(name)
            rows.append(f"<tr><th>{escape(name)}</th>"
                        f'<td class="lines">{self._value_html(prop["type"], value)}</td></tr>')
        return f'<table class="props">{"".join(rows)}</table>' if rows else ""

    def _value_html(self, ptype: str, value: Any) -> str:
        if value is None or value == [] or value == "":
            return '<span class="kind">Empty</span>'
        if ptype in ("rich_text", "title"):
            return rich_text_html(value)
        if ptype in ("select", "status") and isinstance(value, dict):
            return _lozenge(value)
        if ptype == "multi_select" and isinstance(value, list):
            return "".join(_lozenge(v) for v in value if isinstance(v, dict))
        if ptype == "relation" and isinstance(value, list):
            return ", ".join(view_link("", str(v.get("id")), self._title(str(v.get("id"))))
                             for v in value if isinstance(v, dict))
        if ptype == "url" and isinstance(value, str):
            return link(value, value)
        if ptype == "checkbox":
            return "☑" if value else "☐"
        if ptype == "date" and isinstance(value, dict):
            end = f" → {escape(str(value['end']))}" if value.get("end") else ""
            return escape(str(value.get("start", ""))) + end
        return escape(str(value))

    def _database_html(self, db_id: str) -> str:
        db = self.state["databases"][db_id]
        title = _plain(db.get("title")) or "Untitled"
        node = self._node(db_id)
        rows = "".join(f"<li>{view_link('', n.id or '', n.title)}</li>" for n in node.children)
        return f"<h1>{escape(title)}</h1><p class=\"kind\">Database</p><ul>{rows}</ul>"

    # -- blocks ------------------------------------------------------------------------
    def _blocks_html(self, parent_id: str) -> str:
        out: list[str] = []
        open_list: str | None = None
        for child in self._visible_children(parent_id):
            block = self.state["blocks"].get(child)
            if block is None:
                if child in self.state["pages"] or child in self.state["databases"]:
                    out.append(f"<p>📄 {view_link('', child, self._title(child))}</p>")
                continue
            tag = LIST_TAGS.get(block["type"])
            if tag != open_list:
                if open_list:
                    out.append(f"</{open_list}>")
                if tag:
                    out.append(f"<{tag}>")
                open_list = tag
            out.append(self._block_html(block))
        if open_list:
            out.append(f"</{open_list}>")
        return "".join(out)

    def _block_html(self, block: dict[str, Any]) -> str:
        btype, data = block["type"], block.get("data") or {}
        text = rich_text_html(data.get("rich_text"))
        kids = self._blocks_html(block["id"])
        if btype == "paragraph":
            return f"<p>{text}</p>{kids}"
        if btype in ("heading_1", "heading_2", "heading_3"):
            level = int(btype[-1]) + 1  # the page title is the h1
            return f"<h{level}>{text}</h{level}>{kids}"
        if btype in LIST_TAGS:
            return f"<li>{text}{kids}</li>"
        if btype == "to_do":
            box = "☑" if data.get("checked") else "☐"
            return f"<p>{box} {text}</p>{kids}"
        if btype == "toggle":
            return f"<details><summary>{text}</summary>{kids}</details>"
        if btype == "quote":
            return f"<blockquote>{text}{kids}</blockquote>"
        if btype == "callout":
            return f'<div class="callout">{text}{kids}</div>'
        if btype == "code":
            language = escape(str(data.get("language", "")))
            return f'<pre title="{language}"><code>{text}</code></pre>'
        if btype == "divider":
            return "<hr>"
        if btype == "equation":
            return f"<pre>{escape(str(data.get('expression', '')))}</pre>"
        if btype == "table":
            return f"<table>{kids}</table>"
        if btype == "table_row":
            cells = data.get("cells") or []
            return "<tr>" + "".join(
                f'<td class="lines">{rich_text_html(c)}</td>' for c in cells) + "</tr>"
        if btype in ("bookmark", "embed", "link_preview"):
            url = str(data.get("url", ""))
            return f"<p>🔗 {link(url, url)}</p>"
        if btype in ("image", "file", "pdf", "video", "audio"):
            name = _file_label(data)
            return f"<p>{placeholder(f'{btype}: {name}')}</p>"
        if btype in ("child_page", "child_database"):
            return f"<p>📄 {view_link('', block['id'], str(data.get('title', 'Untitled')))}</p>"
        if btype in ("column_list", "column", "synced_block"):
            return f"<div>{kids}</div>"
        return f"<p>{placeholder(f'{btype} block')}</p>{kids}"


def _plain(items: Any) -> str:
    if not isinstance(items, list):
        return ""
    return "".join(str(i.get("plain_text", "")) for i in items if isinstance(i, dict))


def _lozenge(option: dict[str, Any]) -> str:
    colour = str(option.get("color", "default"))
    css = colour if colour in COLOURS else ""
    return f'<span class="lozenge {css}">{escape(str(option.get("name", "")))}</span>'


def _file_label(data: dict[str, Any]) -> str:
    for source in ("external", "file", "file_upload"):
        inner = data.get(source)
        if isinstance(inner, dict):
            return str(data.get("name") or inner.get("url") or inner.get("id") or source)
    return "file"
