"""Free pages' keys from the wiki's page tree, and the file names of wiki-made pages."""

from __future__ import annotations

import unicodedata

import pytest

from prodops_sync.model import Document
from prodops_sync.pages import child_key, folder_of, page_depth, parent_key, stem_of
from prodops_sync.remotes.base import RemoteEntry
from prodops_sync.sync.files import page_stem
from prodops_sync.sync.pagetree import assign_page_keys

ROOT = "R"


def entry(page_id: str, title: str, parent: str = ROOT) -> RemoteEntry:
    return RemoteEntry(page_id, None, "page", title, "m", parent=parent)


def page(key: str, title: str) -> Document:
    return Document(key, "page", {"title": title})


@pytest.mark.parametrize(
    ("key", "parent", "folder", "stem", "depth"),
    [
        ("pages/glossary", None, "pages", "glossary", 0),
        ("pages/guides/index", None, "pages", "guides", 0),
        ("pages/guides/setup", "pages/guides/index", "pages/guides", "setup", 1),
        ("pages/a/b/index", "pages/a/index", "pages/a", "b", 1),
        ("pages/a/b/c", "pages/a/b/index", "pages/a/b", "c", 2),
        ("pages/index", None, "pages", "index", 0),
    ],
)
def test_tree_helpers(key: str, parent: str | None, folder: str, stem: str, depth: int) -> None:
    assert parent_key(key, "pages") == parent
    assert folder_of(key, "pages") == folder
    assert stem_of(key, "pages") == stem
    assert page_depth(key, "pages") == depth


def test_child_keys() -> None:
    assert child_key(None, "faq", "pages", has_children=False) == "pages/faq"
    assert child_key("pages/guides/index", "faq", "pages", has_children=True) == \
        "pages/guides/faq/index"
    assert child_key("pages/setup", "step", "pages", has_children=False) == "pages/setup/step"


@pytest.mark.parametrize(
    ("title", "stem"),
    [
        ("Getting Started", "getting-started"),
        ("Über uns: Team & Rollen", "über-uns-team-rollen"),
        ("オンボーディング ガイド", "オンボーディング-ガイド"),
        ("../../etc/passwd", "etc-passwd"),
        ("CON", "con-page"),
        ("Index", "index-page"),
        ("   ", "untitled"),
        (".hidden", "hidden"),
        ("evil\u202egnp.md", "evil-gnp-md"),  # a bidi override cannot disguise the name
        ("zero\u200bwidth", "zero-width"),
        ("a/b\\c:d*e?f", "a-b-c-d-e-f"),
        ("x" * 200, "x" * 80),
    ],
)
def test_page_stem_is_readable_and_safe(title: str, stem: str) -> None:
    assert page_stem(title) == stem


def test_page_stem_is_stable_under_normalisation() -> None:
    title = "Café résumé"
    assert page_stem(unicodedata.normalize("NFD", title)) == page_stem(
        unicodedata.normalize("NFC", title)) == "café-résumé"


def test_known_pages_keep_their_file_and_follow_moves_only_when_asked() -> None:
    entries = [entry("g", "Guides"), entry("o", "Onboarding (renamed)", parent="r"),
               entry("r", "Runbooks")]
    known = {"g": "pages/guides/index", "o": "pages/guides/onboarding",
             "r": "pages/runbooks/index"}
    stay = assign_page_keys(entries, root_id=ROOT, root="pages", known=known, local={},
                            follow_moves=False)
    assert stay.keys == known and stay.moves == {}
    move = assign_page_keys(entries, root_id=ROOT, root="pages", known=known, local={},
                            follow_moves=True)
    assert move.keys["o"] == "pages/runbooks/onboarding"  # the file name stays
    assert move.moves == {"pages/runbooks/onboarding": "pages/guides/onboarding"}


def test_a_leaf_page_that_gets_children_becomes_a_folder_page() -> None:
    entries = [entry("s", "Setup"), entry("n", "New step", parent="s")]
    tree = assign_page_keys(entries, root_id=ROOT, root="pages", known={"s": "pages/setup"},
                            local={}, follow_moves=True)
    assert tree.keys == {"s": "pages/setup/index", "n": "pages/setup/new-step"}
    assert tree.moves == {"pages/setup/index": "pages/setup"}


def test_unknown_pages_are_matched_by_title_under_the_same_parent() -> None:
    local = {"pages/faq": page("pages/faq", "FAQ"), "pages/guides/index":
             page("pages/guides/index", "Guides"), "pages/guides/faq":
             page("pages/guides/faq", "FAQ")}
    entries = [entry("g", "Guides"), entry("f2", "FAQ", parent="g"), entry("f1", "FAQ")]
    tree = assign_page_keys(entries, root_id=ROOT, root="pages", known={}, local=local,
                            follow_moves=False)
    assert tree.keys == {"g": "pages/guides/index", "f2": "pages/guides/faq", "f1": "pages/faq"}


def test_new_pages_get_unique_names_among_siblings() -> None:
    local = {"pages/faq": page("pages/faq", "Questions")}
    entries = [entry("a", "FAQ"), entry("b", "faq")]
    tree = assign_page_keys(entries, root_id=ROOT, root="pages", known={}, local=local,
                            follow_moves=False)
    assert sorted(tree.keys.values()) == ["pages/faq-2", "pages/faq-3"]


def test_pages_outside_the_tree_and_cycles_are_left_out() -> None:
    entries = [entry("a", "A", parent="elsewhere"), entry("b", "B", parent="c"),
               entry("c", "C", parent="b")]
    tree = assign_page_keys(entries, root_id=ROOT, root="pages", known={}, local={},
                            follow_moves=False)
    assert tree.keys == {}
