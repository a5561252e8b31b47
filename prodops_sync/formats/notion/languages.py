"""Fenced-code info strings ⇄ Notion code-block languages.

Notion accepts a fixed list of languages (the ``language`` enum of the code block). A fence
whose info string is exactly the Markdown name of a Notion language maps to it with no
caption. Any other info string (an alias such as ``py``, an unknown language, extra words
such as ``python title="x.py"``) is kept verbatim in the code block's caption, and the
language is the best match (or ``plain text``): the caption makes it recoverable, and a
person reading the page sees what the author wrote.
"""

from __future__ import annotations

import re

NOTION_LANGUAGES: tuple[str, ...] = (
    "abap", "abc", "agda", "arduino", "ascii art", "assembly", "bash", "basic", "bnf", "c",
    "c#", "c++", "clojure", "coffeescript", "coq", "css", "dart", "dhall", "diff", "docker",
    "ebnf", "elixir", "elm", "erlang", "f#", "flow", "fortran", "gherkin", "glsl", "go",
    "graphql", "groovy", "haskell", "hcl", "html", "idris", "java", "javascript", "json",
    "julia", "kotlin", "latex", "less", "lisp", "livescript", "llvm ir", "lua", "makefile",
    "markdown", "markup", "matlab", "mathematica", "mermaid", "nix", "notion formula",
    "objective-c", "ocaml", "pascal", "perl", "php", "plain text", "powershell", "prolog",
    "protobuf", "purescript", "python", "r", "racket", "reason", "ruby", "rust", "sass",
    "scala", "scheme", "scss", "shell", "smalltalk", "solidity", "sql", "swift", "toml",
    "typescript", "vb.net", "verilog", "vhdl", "visual basic", "webassembly", "xml", "yaml",
    "java/c/c++/c#",
)
"""Notion's code-block language enum (API 2025-09-03)."""

PLAIN = "plain text"

# Notion language -> the info string written in Markdown, where it differs from the name.
_MARKDOWN_NAME: dict[str, str] = {
    "plain text": "",
    "ascii art": "ascii-art",
    "llvm ir": "llvm",
    "notion formula": "notion-formula",
    "visual basic": "vb",
    "vb.net": "vbnet",
}

# Common Markdown aliases -> Notion language (used when the info string is not a canonical
# name; the caption then keeps the alias).
_ALIASES: dict[str, str] = {
    "py": "python", "python3": "python", "js": "javascript", "jsx": "javascript",
    "mjs": "javascript", "ts": "typescript", "tsx": "typescript", "sh": "shell",
    "zsh": "shell", "console": "shell", "shell-session": "shell", "yml": "yaml",
    "md": "markdown", "dockerfile": "docker", "cs": "c#", "csharp": "c#", "cpp": "c++",
    "cxx": "c++", "hpp": "c++", "h": "c", "objc": "objective-c", "rb": "ruby", "rs": "rust",
    "kt": "kotlin", "kts": "kotlin", "golang": "go", "tex": "latex", "text": PLAIN,
    "txt": PLAIN, "plaintext": PLAIN, "ps1": "powershell", "pwsh": "powershell",
    "proto": "protobuf", "tf": "hcl", "terraform": "hcl", "make": "makefile", "jsonc": "json",
    "json5": "json", "svg": "xml", "xhtml": "html", "htm": "html", "fs": "f#",
    "fsharp": "f#", "ml": "ocaml", "clj": "clojure", "ex": "elixir", "exs": "elixir",
    "erl": "erlang", "hs": "haskell", "pl": "perl", "wasm": "webassembly", "vue": "html",
}

_BY_MARKDOWN_NAME: dict[str, str] = {
    _MARKDOWN_NAME.get(lang, lang): lang for lang in NOTION_LANGUAGES if lang != PLAIN
}


def markdown_name(language: str) -> str:
    """The info string a Notion ``language`` is written as in Markdown (``""`` for plain)."""
    return _MARKDOWN_NAME.get(language, language)


_CAPTION = re.compile(r'^(?P<name>\S+) caption="(?P<caption>(?:[^"\\]|\\.)*)"$')


def _quote(caption: str) -> str:
    return caption.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _unquote(quoted: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], quoted)


def to_notion(info: str) -> tuple[str, str]:
    """Map a fence info string to ``(notion_language, caption)``; caption is ``""`` when the
    info string is exactly the language's Markdown name. ``<name> caption="…"`` (how a
    caption written in Notion comes back) gives that language and exactly that caption."""
    info = info.strip()
    if not info:
        return PLAIN, ""
    if info in _BY_MARKDOWN_NAME:
        return _BY_MARKDOWN_NAME[info], ""
    quoted = _CAPTION.match(info)
    if quoted and (quoted["name"] in _BY_MARKDOWN_NAME or quoted["name"] == "text"):
        return _BY_MARKDOWN_NAME.get(quoted["name"], PLAIN), _unquote(quoted["caption"])
    first = info.split()[0].lower()
    language = _BY_MARKDOWN_NAME.get(first) or _ALIASES.get(first) or PLAIN
    return language, info


def from_notion(language: str, caption: str) -> str:
    """The fence info string for a Notion code block with ``language`` and ``caption``.

    A caption that :func:`to_notion` would give back from itself (the info string a Git
    author wrote, such as ``py`` or ``python title=x.py``) is written as it is. Any other
    caption (one a wiki user wrote) is kept after the language name as ``caption="…"``,
    so that it comes back exactly, without the language name in it."""
    name = markdown_name(language)
    if not caption:
        return name
    if "\n" not in caption and caption == caption.strip() and to_notion(caption) == (
        language, caption
    ):
        return caption
    return f'{name or "text"} caption="{_quote(caption)}"'
