"""Confluence page titles for playbook documents (pure, no I/O).

Confluence titles are unique per space, playbook titles are not: a ritual and a template may
both be called "Weekly Product Update". A document whose title is taken in the space gets a
deterministic, reversible suffix naming its collection: ``Weekly Product Update
(Templates)``. Reading strips one such suffix of the page's own collection, so

    doc_title(page_title(t, c, taken), c) == t    for every t, c and taken

(a document whose own title already ends in `` (C)`` always gets the suffix, so that
stripping never eats a suffix the user typed).

Which of several same-titled documents keeps the bare title is decided by
:class:`PageTitles`, independently of the order pages are created in: the document whose
page already holds the bare title keeps it; otherwise, the document whose collection comes
first in the kinds registry (then the smaller key). Links between documents
are written with these same titles (the adapter wraps the engine's resolver with
:class:`TitleResolver`), so a link to a page that is created later in the same run already
carries the title that page will get.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from prodops_sync.kinds import KindSpec, active
from prodops_sync.links import LinkResolver


def page_title(doc_title: str, collection: str, taken_titles: Collection[str]) -> str:
    """The page title for a document titled ``doc_title`` in ``collection``, given the
    titles other pages hold (or will hold) in the space."""
    suffix = f" ({collection})"
    if doc_title in taken_titles or doc_title.endswith(suffix):
        return doc_title + suffix
    return doc_title


def doc_title(title: str, collection: str) -> str:
    """The document title a page titled ``title`` in ``collection`` stands for (the inverse
    of :func:`page_title`)."""
    suffix = f" ({collection})"
    if title.endswith(suffix) and len(title) > len(suffix):
        return title[: -len(suffix)]
    return title


def kind_of_key(key: str) -> KindSpec | None:
    """The kind of the document with ``key`` (keys are paths without their suffix)."""
    return active().for_key(key)


def _rank(collection: str, key: str) -> tuple[int, str]:
    kinds = active().kinds
    order = next((i for i, k in enumerate(kinds) if k.collection == collection), len(kinds))
    return order, key


class PageTitles:
    """Decides page titles for documents from what the space and the playbook hold.

    ``pages`` (key -> current page title) are the playbook's existing pages; ``reserved`` are
    titles held by pages that are not documents (the parent page, collection pages, pages
    elsewhere in the space that a create ran into); ``doc_titles`` (key -> title) are the
    titles of every document the run knows (local and remote).
    """

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.reserved: set[str] = set()
        self.doc_titles: Mapping[str, str] = {}

    def taken_by_others(self, key: str) -> set[str]:
        """Titles pages other than ``key``'s hold in the space."""
        taken = {t for k, t in self.pages.items() if k != key}
        return taken | self.reserved

    def title_for(self, key: str, title: str, collection: str) -> str:
        """The page title document ``key`` (titled ``title``, in ``collection``) should
        have."""
        others = self.taken_by_others(key)
        own = self.pages.get(key)
        if own is not None and own not in others and doc_title(own, collection) == title:
            return own  # stable: keep what the page holds
        if title not in others and not title.endswith(f" ({collection})"):
            rank = _rank(collection, key)
            for other, other_title in self.doc_titles.items():
                if other == key or other in self.pages or other_title != title:
                    continue
                kind = kind_of_key(other)
                if kind is not None and _rank(kind.collection, other) < rank:
                    return page_title(title, collection, {title})
        return page_title(title, collection, others)

    def predicted(self, key: str) -> str | None:
        """The page title ``key`` has or will get, from the titles the run knows."""
        kind = kind_of_key(key)
        title = self.doc_titles.get(key)
        if kind is None or title is None:
            return self.pages.get(key)
        return self.title_for(key, title, kind.collection)

    def key_for(self, title: str, candidates: Iterable[str] = ()) -> str | None:
        """The document key whose page has (or will have) ``title``."""
        for key, known in self.pages.items():
            if known == title:
                return key
        for key in candidates:
            if self.predicted(key) == title:
                return key
        return None


class TitleResolver:
    """Wraps the engine's resolver so links use page titles (with suffixes) both ways."""

    def __init__(self, inner: LinkResolver | None, titles: PageTitles) -> None:
        self.inner = inner
        self.titles = titles
        known = getattr(inner, "titles", None)
        if isinstance(known, Mapping):
            # The engine's and MappingResolver's key -> document title table: every document
            # the run knows, so same-titled documents not created yet are ranked correctly.
            titles.doc_titles = known

    def url_for(self, key: str) -> str | None:
        return self.inner.url_for(key) if self.inner is not None else None

    def key_for_url(self, url: str) -> str | None:
        return self.inner.key_for_url(url) if self.inner is not None else None

    def title_for(self, key: str) -> str | None:
        predicted = self.titles.predicted(key)
        if predicted is not None:
            return predicted
        return self.inner.title_for(key) if self.inner is not None else None

    def key_for_title(self, title: str) -> str | None:
        key = self.titles.key_for(title, self.titles.doc_titles)
        if key is not None:
            return key
        return self.inner.key_for_title(title) if self.inner is not None else None

    def asset_ref(self, asset_key: str) -> str | None:
        ref = getattr(self.inner, "asset_ref", None)
        return ref(asset_key) if ref is not None else None

    def asset_for_remote(self, ref: str, name: str) -> str | None:
        lookup = getattr(self.inner, "asset_for_remote", None)
        return lookup(ref, name) if lookup is not None else None
