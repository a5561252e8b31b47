"""Canonical Markdown -> Confluence storage XHTML (``to_storage``).

Walks the markdown-it token tree of :func:`prodops_sync.markdown.parse` and writes the
storage form the Confluence editor itself writes (``<p>`` inside list items and table cells,
``<br />``, ``ac:structured-macro`` for code and panels). Markdown-only distinctions with no
visible meaning in Confluence (a loose list, an angle-bracket autolink) are kept in ``class``
attributes and macro parameters so that :func:`from_storage` can restore them exactly.
docs/formats/confluence.md lists every construct.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence

from markdown_it.tree import SyntaxTreeNode

from prodops_sync.assets import asset_key_for_href
from prodops_sync.formats.confluence import placeholders
from prodops_sync.formats.confluence.conventions import (
    ALERT_TO_MACRO,
    CLASS_AUTOLINK,
    CLASS_HTML,
    CLASS_LINK,
    CLASS_LOOSE,
    CLASS_UNDERSCORE,
    FRONT_MATTER_TITLE,
    HTML_BLOCK_TITLE,
    MD_INFO_PARAM,
    bare_autolink,
)
from prodops_sync.formats.confluence.xml import (
    StorageFormatError,
    cdata,
    escape_attr,
    escape_text,
    parse_storage,
)
from prodops_sync.links import LinkResolver, split_href
from prodops_sync.markdown import parse

_CHECKBOX = re.compile(r'<input class="task-list-item-checkbox"( checked="checked")? ')
_BR = re.compile(r"<br\s*/?>\Z", re.IGNORECASE)


def to_storage(
    markdown: str, *, current_key: str = "", resolver: LinkResolver | None = None
) -> str:
    """Render canonical Markdown as Confluence storage XHTML (a well-formed fragment).

    ``current_key`` is the key of the document being written (relative links are resolved
    from it); ``resolver`` maps linked playbook documents to page titles, so links become
    ``ac:link`` + ``ri:page`` and survive page renames. Raises :class:`StorageFormatError`
    when placeholders in the Markdown were edited into something that is not well-formed.
    """
    writer = _Writer(current_key, resolver)
    tree = SyntaxTreeNode(parse(markdown))
    out = writer.blocks(tree.children)
    if writer.raw_used:
        # Placeholders are written back verbatim; make sure edits left them balanced.
        check_placeholders(out, page=current_key)
    return out


def to_storage_blocks(
    markdown: str, *, current_key: str = "", resolver: LinkResolver | None = None
) -> list[str]:
    """The storage fragment of every top-level block of ``markdown``, in order, rendered in
    the context of the whole document (task ids, adjacent lists). A fragment may be
    unbalanced on its own (a container placeholder's opening half); the caller checks the
    body it assembles (:func:`check_placeholders`)."""
    writer = _Writer(current_key, resolver)
    return [writer.block(node) for node in SyntaxTreeNode(parse(markdown)).children]


def check_placeholders(storage: str, *, page: str = "") -> None:
    """Refuse a body whose placeholders were edited into something not well-formed."""
    try:
        parse_storage(storage, page=page)
    except StorageFormatError as exc:
        raise StorageFormatError(
            "Confluence placeholders were edited into malformed XHTML "
            f"({exc.args[0].split(': ', 1)[-1]})",
            page=page,
        ) from None


class _Writer:
    """One conversion: carries the link context and the task-id counter."""

    def __init__(self, current_key: str, resolver: LinkResolver | None) -> None:
        self.current_key = current_key
        self.resolver = resolver
        self.raw_used = False
        self.task_texts: Counter[str] = Counter()

    # -- blocks ---------------------------------------------------------------------------

    def blocks(self, nodes: Sequence[SyntaxTreeNode]) -> str:
        return "".join(self.block(n) for n in nodes)

    def block(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind == "paragraph":
            return f"<p>{self.inline(node)}</p>"
        if kind == "heading":
            return f"<{node.tag}>{self.inline(node)}</{node.tag}>"
        if kind in ("bullet_list", "ordered_list"):
            return self.list(node)
        if kind == "blockquote":
            return f"<blockquote>{self.blocks(node.children)}</blockquote>"
        if kind == "gfm_alert":
            return self.alert(node)
        if kind in ("fence", "code_block"):
            return self.code(node.content, node.info.strip() if kind == "fence" else "")
        if kind == "hr":
            return "<hr />"
        if kind == "table":
            return self.table(node)
        if kind == "html_block":
            return self.html_block(node.content)
        if kind == "front_matter":
            return self.code(node.content + "\n", "yaml", title=FRONT_MATTER_TITLE)
        raise StorageFormatError(f"unsupported Markdown block {kind!r}", page=self.current_key)

    def code(self, content: str, info: str, *, title: str = "") -> str:
        """The ``code`` macro: language parameter, CDATA body (``]]>`` split across sections)."""
        body = content[:-1] if content.endswith("\n") else content
        # An empty block has no body at all, so that it differs from one blank line.
        body_xml = f"<ac:plain-text-body>{cdata(body)}</ac:plain-text-body>" if content else ""
        language, _, rest = info.partition(" ")
        params = ""
        if title:
            params += f'<ac:parameter ac:name="title">{escape_text(title)}</ac:parameter>'
        if language:
            params += f'<ac:parameter ac:name="language">{escape_text(language)}</ac:parameter>'
        if rest:
            params += f'<ac:parameter ac:name="{MD_INFO_PARAM}">{escape_text(info)}</ac:parameter>'
        return (
            '<ac:structured-macro ac:name="code" ac:schema-version="1">'
            f"{params}{body_xml}"
            "</ac:structured-macro>"
        )

    def html_block(self, content: str) -> str:
        found = placeholders.read(content)
        if found is not None:
            self.raw_used = True
            return found[1]
        # Raw HTML is never passed through: it is shown as code and restored on the way back.
        return self.code(content, "html", title=HTML_BLOCK_TITLE)

    def alert(self, node: SyntaxTreeNode) -> str:
        alert = str(node.meta.get("title", "NOTE")).upper()
        macro, title = ALERT_TO_MACRO.get(alert, ALERT_TO_MACRO["NOTE"])
        param = (
            f'<ac:parameter ac:name="title">{escape_text(title)}</ac:parameter>' if title else ""
        )
        return (
            f'<ac:structured-macro ac:name="{macro}" ac:schema-version="1">{param}'
            f"<ac:rich-text-body>{self.blocks(node.children)}</ac:rich-text-body>"
            "</ac:structured-macro>"
        )

    def list(self, node: SyntaxTreeNode) -> str:
        items = node.children
        checks = [_checkbox(item) for item in items]
        loose = any(
            child.type == "paragraph" and not child.hidden
            for item in items
            for child in item.children
        )
        # Confluence task lists have no loose form; a loose one keeps literal boxes.
        if node.type == "bullet_list" and items and not loose and None not in checks:
            return self.task_list(node)
        tag = "ul" if node.type == "bullet_list" else "ol"
        attrs = ""
        if tag == "ol":
            start = int(node.attrs.get("start", 1) or 1)
            if start != 1:
                attrs += f' start="{start}"'
        if loose:
            attrs += f' class="{CLASS_LOOSE}"'
        return (
            f"<{tag}{attrs}>"
            + "".join(f"<li>{self.blocks(i.children)}</li>" for i in items)
            + f"</{tag}>"
        )

    def task_list(self, node: SyntaxTreeNode) -> str:
        out = ["<ac:task-list>"]
        for item in node.children:
            checked = _checkbox(item)
            first, *rest = item.children
            body = self.inline(first, skip_checkbox=True).lstrip(" ")
            text = first.children[0].content if first.children else ""
            out.append(
                f"<ac:task><ac:task-id>{self.task_id(text)}</ac:task-id>"
                f"<ac:task-status>{'complete' if checked else 'incomplete'}</ac:task-status>"
                f"<ac:task-body>{body}{self.blocks(rest)}</ac:task-body></ac:task>"
            )
        out.append("</ac:task-list>")
        return "".join(out)

    def task_id(self, text: str) -> int:
        """A deterministic task id: from the page key, the task's text and its occurrence,
        so that adding or removing other tasks leaves the ids of the rest unchanged."""
        n = self.task_texts[text]
        self.task_texts[text] += 1
        digest = hashlib.sha256(f"{self.current_key}\0{text}\0{n}".encode()).hexdigest()
        return int(digest[:8], 16) % 900_000_000 + 100_000_000

    def table(self, node: SyntaxTreeNode) -> str:
        rows: list[tuple[str, SyntaxTreeNode]] = []
        for section in node.children:
            cell = "th" if section.type == "thead" else "td"
            rows.extend((cell, tr) for tr in section.children)
        out = ["<table><tbody>"]
        for i, (cell, tr) in enumerate(rows):
            contents = [self.inline(c.children[0]) if c.children else "" for c in tr.children]
            if i == 0 and cell == "th" and not any(contents) and len(rows) > 1:
                continue  # an all-empty header row: the table had none in Confluence
            out.append("<tr>")
            for c, inner in zip(tr.children, contents, strict=True):
                style = str(c.attrs.get("style", ""))
                align = style.split(":", 1)[1] if style.startswith("text-align:") else ""
                p_attr = f' style="text-align: {align};"' if align else ""
                para = f"<p{p_attr}>{inner}</p>" if inner else f"<p{p_attr} />"
                out.append(f"<{cell}>{para}</{cell}>")
            out.append("</tr>")
        out.append("</tbody></table>")
        return "".join(out)

    # -- inline ---------------------------------------------------------------------------

    def inline(self, node: SyntaxTreeNode, *, skip_checkbox: bool = False) -> str:
        """Render the inline children of a paragraph/heading/cell (``node`` holds one
        ``inline`` child)."""
        inline = node.children[0] if node.children and node.children[0].type == "inline" else node
        children = list(inline.children)
        if skip_checkbox and children and children[0].type == "html_inline":
            children = children[1:]
        return self.inlines(children)

    def inlines(self, nodes: Sequence[SyntaxTreeNode]) -> str:
        return "".join(
            "" if _is_separator(nodes, i) else self.span(n) for i, n in enumerate(nodes)
        )

    def span(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind in ("text", "text_special"):
            return escape_text(node.content)
        if kind == "softbreak":
            return "\n"
        if kind == "hardbreak":
            return "<br />"
        if kind in ("em", "strong"):
            attr = f' class="{CLASS_UNDERSCORE}"' if node.markup.startswith("_") else ""
            return f"<{kind}{attr}>{self.inlines(node.children)}</{kind}>"
        if kind == "s":
            return f"<s>{self.inlines(node.children)}</s>"
        if kind == "code_inline":
            found = placeholders.read_inline(node.content)
            if found is not None:
                self.raw_used = True
                return found[1]
            return f"<code>{escape_text(node.content)}</code>"
        if kind == "link":
            return self.link(node)
        if kind == "gfm_autolink":
            href = str(node.attrs.get("href", ""))
            return f'<a href="{escape_attr(href)}">{self.inlines(node.children)}</a>'
        if kind == "image":
            return self.image(node)
        if kind == "html_inline":
            return self.html_inline(node.content)
        raise StorageFormatError(f"unsupported Markdown inline {kind!r}", page=self.current_key)

    def link(self, node: SyntaxTreeNode) -> str:
        href = str(node.attrs.get("href", ""))
        title = str(node.attrs.get("title", "") or "")
        body = self.inlines(node.children)
        if node.markup == "autolink":
            return f'<a href="{escape_attr(href)}" class="{CLASS_AUTOLINK}">{body}</a>'
        attachment = self.attachment_for(href)
        only_text = len(node.children) == 1 and node.children[0].type == "text"
        if attachment is not None and not title and only_text:
            text = node.children[0].content.replace("]]>", "]]]]><![CDATA[>")
            return (
                f'<ac:link><ri:attachment ri:filename="{escape_attr(attachment)}" />'
                f"<ac:plain-text-link-body><![CDATA[{text}]]></ac:plain-text-link-body>"
                "</ac:link>"
            )
        target = split_href(self.current_key, href)
        if target is not None and not title and self.resolver is not None:
            page_title = self.resolver.title_for(target[0])
            if page_title is not None:
                anchor = f' ac:anchor="{escape_attr(target[2])}"' if target[2] else ""
                link_body = f"<ac:link-body>{body}</ac:link-body>" if body else ""
                return (
                    f'<ac:link{anchor}><ri:page ri:content-title="{escape_attr(page_title)}" />'
                    f"{link_body}</ac:link>"
                )
        attrs = f'href="{escape_attr(href)}"'
        if title:
            attrs += f' title="{escape_attr(title)}"'
        only_text = len(node.children) == 1 and node.children[0].type == "text"
        if only_text and bare_autolink(node.children[0].content) == href:
            attrs += f' class="{CLASS_LINK}"'  # would otherwise read back as a bare URL
        return f"<a {attrs}>{body}</a>"

    def attachment_for(self, href: str) -> str | None:
        """The attachment file name of the uploaded playbook asset ``href`` points at."""
        key = asset_key_for_href(self.current_key, href)
        ref = getattr(self.resolver, "asset_ref", None)
        return ref(key) if key is not None and ref is not None else None

    def image(self, node: SyntaxTreeNode) -> str:
        src = str(node.attrs.get("src", ""))
        alt = "".join(_plain(c) for c in node.children)
        title = str(node.attrs.get("title", "") or "")
        attrs = f' ac:alt="{escape_attr(alt)}"' if alt else ""
        if title:
            attrs += f' ac:title="{escape_attr(title)}"'
        attachment = self.attachment_for(src)
        if attachment is not None:
            return (
                f'<ac:image{attrs}><ri:attachment ri:filename="{escape_attr(attachment)}" />'
                "</ac:image>"
            )
        return f'<ac:image{attrs}><ri:url ri:value="{escape_attr(src)}" /></ac:image>'

    def html_inline(self, content: str) -> str:
        found = placeholders.read(content)
        if found is not None:
            self.raw_used = True
            return found[1]
        if _BR.match(content):
            return "<br />"
        checkbox = _CHECKBOX.match(content)
        if checkbox is not None:  # a task item in a list Confluence cannot make a task list
            return "[x]" if checkbox.group(1) else "[ ]"
        return f'<span class="{CLASS_HTML}">{escape_text(content)}</span>'


def _is_separator(nodes: Sequence[SyntaxTreeNode], i: int) -> bool:
    """True for the empty comment the reader puts between two touching code spans."""
    return (
        nodes[i].type == "html_inline"
        and nodes[i].content == placeholders.SEPARATOR
        and 0 < i < len(nodes) - 1
        and nodes[i - 1].type == "code_inline"
        and nodes[i + 1].type == "code_inline"
    )


def _checkbox(item: SyntaxTreeNode) -> bool | None:
    """For a task-list item: whether it is checked; None for an ordinary item."""
    if not item.children or item.children[0].type != "paragraph":
        return None
    para = item.children[0]
    inline = para.children[0] if para.children else None
    if inline is None or not inline.children or inline.children[0].type != "html_inline":
        return None
    m = _CHECKBOX.match(inline.children[0].content)
    if m is None:
        return None
    return bool(m.group(1))


def _plain(node: SyntaxTreeNode) -> str:
    """Plain text of an inline subtree (for image alt text)."""
    if node.type in ("text", "text_special", "code_inline"):
        return node.content
    if node.type in ("softbreak", "hardbreak"):
        return "\n"
    return "".join(_plain(c) for c in node.children)
