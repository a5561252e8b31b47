"""The stand-ins' read-only HTML view: what a person would see in the wiki, before any real
workspace is involved (``GET /`` lists the page tree, ``GET /view/<id>`` shows one page).

Everything shown comes from wiki content, which is untrusted: every string is escaped, links
are kept only for ``http(s)``/``mailto`` URLs, images are not loaded (a placeholder names
them), and each answer carries a Content-Security-Policy that forbids scripts and remote
loads, so a mistake in escaping still cannot run anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlsplit

from prodops_sync.standins.server import Reply

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"
STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;display:flex;color:#1f2328}
nav{flex:none;width:18rem;padding:1rem;background:#f6f8fa;min-height:100vh;box-sizing:border-box}
nav ul{list-style:none;padding-left:1rem;margin:0} nav>ul{padding-left:0}
main{padding:1rem 2rem;max-width:60rem;flex:1}
table{border-collapse:collapse;margin:.5rem 0} td,th{border:1px solid #d0d7de;padding:.3rem .6rem;
vertical-align:top;text-align:left} th{background:#f6f8fa}
table.props th{width:12rem;font-weight:600} td.lines{white-space:pre-wrap}
.lozenge{display:inline-block;padding:0 .4rem;border-radius:3px;font-size:.8rem;font-weight:600;
text-transform:uppercase;background:#dfe1e6;margin-right:.2rem}
.lozenge.green{background:#abf5d1}.lozenge.yellow{background:#fff0b3}.lozenge.red{background:#ffbdad}
.lozenge.blue{background:#b3d4ff}.lozenge.purple{background:#eae6ff}
.callout{border-left:4px solid #0969da;background:#ddf4ff;padding:.5rem 1rem;margin:.5rem 0}
.placeholder{border:1px dashed #8c959f;color:#57606a;padding:.2rem .5rem;font-size:.85rem;
display:inline-block;margin:.2rem 0}
.mention{color:#0969da} .kind{color:#57606a;font-size:.8rem}
pre{background:#f6f8fa;padding:.6rem;overflow:auto}
"""


@dataclass
class TreeNode:
    """One entry of the page tree: its id (None: not a page, e.g. a database), its title, its
    kind label and its children."""

    id: str | None
    title: str
    kind: str = ""
    children: list[TreeNode] = field(default_factory=list)


def safe_href(url: str) -> str | None:
    """``url`` if it is an absolute http(s) or mailto URL, else None (no ``javascript:``)."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https", "mailto") else None


def link(url: str, text: str) -> str:
    """An escaped link, or the escaped text alone when the URL is not safe to follow."""
    href = safe_href(url)
    if href is None:
        return escape(text)
    return f'<a href="{escape(href)}" rel="noreferrer noopener">{escape(text)}</a>'


def view_link(view_prefix: str, page_id: str, text: str) -> str:
    """A link to another page of this view."""
    return f'<a href="{escape(view_prefix)}/view/{escape(page_id)}">{escape(text)}</a>'


def placeholder(label: str) -> str:
    """A visible box for content the view does not render (unknown blocks or macros)."""
    return f'<span class="placeholder">[{escape(label)}]</span>'


def render_tree(nodes: Iterable[TreeNode], view_prefix: str) -> str:
    """Nested lists of the page tree, each page linked to its view."""
    items = []
    for node in nodes:
        label = (view_link(view_prefix, node.id, node.title) if node.id
                 else escape(node.title))
        kind = f' <span class="kind">{escape(node.kind)}</span>' if node.kind else ""
        sub = render_tree(node.children, view_prefix) if node.children else ""
        items.append(f"<li>{label}{kind}{sub}</li>")
    return f"<ul>{''.join(items)}</ul>"


def html_page(title: str, tree: str, main: str) -> Reply:
    """A whole HTML answer: the tree on the left, ``main`` (already escaped HTML) right."""
    document = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><nav>{tree}</nav><main>{main}</main></body></html>"
    )
    return Reply(200, document.encode("utf-8"), {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
    })
