"""The Confluence stand-in's HTML view (see :mod:`prodops_sync.standins.view`): the space's
page tree, and each page's storage body rendered as Confluence shows it: page-properties
(``details``) tables, status lozenges, info/note/warning panels, code blocks, page links,
tables; other macros as a placeholder naming them. Storage is rebuilt from an allowlist of
tags, never copied, so nothing in a page body reaches the browser unescaped."""

from __future__ import annotations

from html import escape
from typing import Any

from werkzeug.wrappers import Request

from prodops_sync.formats.confluence.xml import Element, StorageFormatError, parse_storage
from prodops_sync.standins.server import Reply
from prodops_sync.standins.view import TreeNode, html_page, link, placeholder, render_tree

#: Storage (XHTML) tags kept as they are, without any attribute.
PLAIN_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "b", "em", "i", "u",
    "s", "del", "code", "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td",
    "br", "hr", "sub", "sup", "span", "div",
})
VOID_TAGS = frozenset({"br", "hr"})
PANELS = {"info", "note", "warning", "tip", "panel"}
LOZENGE_COLOURS = {"green": "green", "yellow": "yellow", "red": "red", "blue": "blue",
                   "purple": "purple"}


class ConfluenceView:
    """Mixed into :class:`~prodops_sync.standins.confluence.ConfluenceStandin`."""

    state: dict[str, Any]

    def view_index(self, request: Request) -> Reply:
        """``GET /`` (Cloud: ``/wiki/``): the space's page tree."""
        return html_page("Confluence stand-in", self._tree_html(),
                         "<h1>Confluence stand-in</h1><p>The pages of the space, as "
                         "Confluence shows them. Pick one on the left.</p>")

    def view_page(self, request: Request, vid: str) -> Reply:
        """``GET /view/<id>``: one page's storage body as Confluence renders it."""
        record = self.state["contents"].get(vid)
        if record is None or record.get("type") != "page":
            return html_page("Not found", self._tree_html(),
                             f"<h1>Not found</h1><p>No page {escape(vid)}.</p>")
        title = str(record.get("title", ""))
        body = self._storage_html(str(record.get("body", "")), vid)
        status = record.get("status")
        banner = placeholder(f"status: {status}") if status != "current" else ""
        labels = "".join(f'<span class="lozenge">{escape(str(label))}</span>'
                         for label in record.get("labels", []))
        return html_page(title, self._tree_html(),
                         f"<h1>{escape(title)}</h1>{banner}<p>{labels}</p>{body}")

    # -- tree --------------------------------------------------------------------------
    def _tree_html(self) -> str:
        pages = [c for c in self.state["contents"].values()
                 if c.get("type") == "page" and c.get("status") == "current"]
        by_parent: dict[str | None, list[dict[str, Any]]] = {}
        for page in pages:
            by_parent.setdefault(page.get("parent"), []).append(page)

        def nodes(parent: str | None) -> list[TreeNode]:
            kids = sorted(by_parent.get(parent, []), key=lambda p: (p.get("position", 0),
                                                                      str(p.get("title"))))
            return [TreeNode(str(p["id"]), str(p.get("title", "")), "", nodes(str(p["id"])))
                    for p in kids]

        ids = {str(p["id"]) for p in pages}
        roots = [p for p in pages if p.get("parent") not in ids]
        tops = [TreeNode(str(p["id"]), str(p.get("title", "")), "", nodes(str(p["id"])))
                for p in sorted(roots, key=lambda p: str(p.get("title")))]
        return render_tree(tops, self._view_prefix())

    def _view_prefix(self) -> str:
        return "/wiki" if getattr(self, "flavor", "datacenter") == "cloud" else ""

    # -- storage -----------------------------------------------------------------------
    def _storage_html(self, storage: str, page_id: str) -> str:
        try:
            root = parse_storage(storage, page=page_id).root
        except StorageFormatError as exc:
            return placeholder(f"unreadable storage: {exc.reason}")
        return self._children_html(root)

    def _children_html(self, element: Element) -> str:
        return "".join(escape(c) if isinstance(c, str) else self._element_html(c)
                       for c in element.children)

    def _element_html(self, el: Element) -> str:
        tag = el.tag
        if tag in PLAIN_TAGS:
            if tag in VOID_TAGS:
                return f"<{tag}>"
            span = _span(el) if tag in ("td", "th") else ""
            return f"<{tag}{span}>{self._children_html(el)}</{tag}>"
        if tag == "a":
            return link(el.attrs.get("href", ""), el.text())
        if tag == "ac:link":
            return self._page_link(el)
        if tag == "ac:structured-macro":
            return self._macro_html(el)
        if tag == "ac:image":
            ref = el.first("ri:attachment") or el.first("ri:url")
            name = (ref.attrs.get("ri:filename") or ref.attrs.get("ri:value", "")) if ref else ""
            return placeholder(f"image: {name}")
        if tag in ("ac:task-list",):
            return f"<ul>{self._children_html(el)}</ul>"
        if tag == "ac:task":
            done = (el.first("ac:task-status") or Element("x", {})).text() == "complete"
            body = el.first("ac:task-body")
            return f"<li>{'☑' if done else '☐'} {self._children_html(body) if body else ''}</li>"
        if tag in ("ac:emoticon",):
            return escape(el.attrs.get("ac:emoji-fallback", ""))
        if tag in ("time",):
            return escape(el.attrs.get("datetime", ""))
        return placeholder(tag)

    def _page_link(self, el: Element) -> str:
        page = el.first("ri:page")
        body = el.first("ac:link-body") or el.first("ac:plain-text-link-body")
        if page is None:
            return placeholder("link")
        title = page.attrs.get("ri:content-title", "")
        text = body.text() if body is not None else title
        for record in self.state["contents"].values():
            if record.get("type") == "page" and record.get("title") == title:
                return (f'<a href="{escape(self._view_prefix())}/view/'
                        f'{escape(str(record["id"]))}">{escape(text)}</a>')
        return f'<span class="kind">{escape(text)} (no such page)</span>'

    def _macro_html(self, el: Element) -> str:
        name = el.attrs.get("ac:name", "")
        params = {p.attrs.get("ac:name", ""): p.text() for p in el.elements("ac:parameter")}
        body = el.first("ac:rich-text-body")
        inner = self._children_html(body) if body is not None else ""
        if name == "details":
            return f'<div class="props"><p class="kind">Page properties</p>{inner}</div>'
        if name == "status":
            colour = LOZENGE_COLOURS.get(params.get("colour", "").lower(), "")
            return f'<span class="lozenge {colour}">{escape(params.get("title", ""))}</span>'
        if name in PANELS:
            return f'<div class="callout">{inner}</div>'
        if name in ("code", "noformat"):
            plain = el.first("ac:plain-text-body")
            code = escape(plain.text() if plain is not None else "")
            language = escape(params.get("language", ""))
            return f'<pre title="{language}"><code>{code}</code></pre>'
        if name == "expand":
            return f"<details><summary>{escape(params.get('title', 'Expand'))}</summary>" \
                   f"{inner}</details>"
        if name == "detailssummary":
            return placeholder("page properties report (a table of the child pages' properties)")
        return placeholder(f"{name} macro") + inner


def _span(el: Element) -> str:
    out = ""
    for attr in ("colspan", "rowspan"):
        value = el.attrs.get(attr, "")
        if value.isdigit() and 0 < int(value) <= 100:
            out += f' {attr}="{value}"'
    return out
