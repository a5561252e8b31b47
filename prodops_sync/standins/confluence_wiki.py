"""Out-of-band edits to the Confluence stand-in, the way a person in the editor makes them.

Each edit validates like the API does, creates a new page version authored by the wiki user
(not the API user) at the stand-in clock's time, and is not in the request log.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from prodops_sync.standins.confluence_storage import check_storage

if TYPE_CHECKING:
    from prodops_sync.standins.confluence import ConfluenceStandin

WIKI_USER = "wiki.editor"


class ConfluenceWikiUser:
    """A human editor working in the Confluence stand-in."""

    def __init__(self, standin: ConfluenceStandin) -> None:
        self._s = standin
        self.name = WIKI_USER

    def _page(self, page_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self._s.state["contents"][str(page_id)]
        return record

    def edit_body(self, page_id: str, storage: str, *, message: str = "") -> int:
        """Replace a page's storage body; returns the new version number."""
        check_storage(storage)
        with self._s.lock:
            record = self._page(page_id)
            record["body"] = storage
            self._s.new_version(record, by=self.name, message=message)
            number = int(record["versions"][-1]["number"])
        self._s.persist()
        return number

    def append_paragraph(self, page_id: str, text: str) -> int:
        """Type a paragraph at the end of a page; returns the new version number."""
        with self._s.lock:
            body = self._page(page_id)["body"]
        return self.edit_body(page_id, body + f"<p>{escape(text)}</p>")

    def add_image(self, page_id: str, filename: str, data: bytes,
                  media_type: str = "image/png") -> int:
        """Drop an image on a page, as the editor does: attach the file, then show it at
        the end of the body; returns the new version number."""
        with self._s.lock:
            self._s.add_attachment_bytes(page_id, filename, data, media_type)
            body = self._page(page_id)["body"]
        image = f'<ac:image><ri:attachment ri:filename="{escape(filename)}" /></ac:image>'
        return self.edit_body(page_id, body + f"<p>{image}</p>")

    def replace_text(self, page_id: str, old: str, new: str) -> int:
        """Change some text in the page body (as typed: ``new`` is escaped)."""
        with self._s.lock:
            body = self._page(page_id)["body"]
        if escape(old) not in body:
            raise ValueError(f"{old!r} is not in page {page_id}")
        return self.edit_body(page_id, body.replace(escape(old), escape(new), 1))

    def set_title(self, page_id: str, title: str) -> int:
        """Rename a page; returns the new version number."""
        with self._s.lock:
            record = self._page(page_id)
            if self._s.title_taken(record["space"], title, except_id=record["id"]):
                raise ValueError(f"title {title!r} is taken in space {record['space']}")
            record["title"] = title
            self._s.new_version(record, by=self.name)
            number = int(record["versions"][-1]["number"])
        self._s.persist()
        return number

    def create_page(
        self,
        title: str,
        body: str = "<p></p>",
        *,
        parent_id: str | None = None,
        space: str | None = None,
    ) -> str:
        """Create a page (under ``parent_id``, default the space home page); returns its id."""
        check_storage(body)
        with self._s.lock:
            key = space or self._s.space_key
            if self._s.title_taken(key, title):
                raise ValueError(f"title {title!r} is taken in space {key}")
            parent = parent_id or self._s.state["spaces"][key]["homepage"]
            record = self._s.insert_content(key, title, body, str(parent), by=self.name)
        self._s.persist()
        return str(record["id"])

    def move_page(self, page_id: str, new_parent_id: str) -> int:
        """Drag a page under another page; returns the new version number."""
        with self._s.lock:
            record = self._page(page_id)
            record["parent"] = str(new_parent_id)
            self._s.new_version(record, by=self.name)
            number = int(record["versions"][-1]["number"])
        self._s.persist()
        return number

    def delete_page(self, page_id: str) -> None:
        """Move a page to the trash."""
        with self._s.lock:
            self._s.trash(self._page(page_id))
        self._s.persist()

    def set_property(self, page_id: str, key: str, value: Any) -> None:
        """Set a content property (e.g. by a macro or an app), bumping its version."""
        with self._s.lock:
            record = self._page(page_id)
            now = self._s.clock.time()
            prop = record["properties"].get(key)
            if prop is None:
                record["properties"][key] = self._s._new_property(key, value, now)
            else:
                prop.update(value=value, version=prop["version"] + 1, when=now)
        self._s.persist()

    def add_label(self, page_id: str, label: str) -> None:
        """Add a label to a page."""
        with self._s.lock:
            labels = self._page(page_id)["labels"]
            if label.lower() not in labels:
                labels.append(label.lower())
        self._s.persist()

    def body(self, page_id: str) -> str:
        """The current storage body (for assertions)."""
        with self._s.lock:
            return str(self._page(page_id)["body"])

    def version(self, page_id: str) -> int:
        """The current version number (for assertions)."""
        with self._s.lock:
            return int(self._page(page_id)["versions"][-1]["number"])
