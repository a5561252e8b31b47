"""Out-of-band edits to the Notion stand-in, the way a person in the web editor makes them.

These bypass HTTP (so they do not appear in the request log or count against the rate
limit) but go through the same validation and bump edit times and editors like real edits:
``last_edited_by`` is the workspace user, not the integration's bot.
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING, Any

from prodops_sync.standins.notion_props import normalize_values, plain_text
from prodops_sync.standins.notion_schema import normalize_block, normalize_children

if TYPE_CHECKING:
    from prodops_sync.standins.notion import NotionStandin


class NotionWikiUser:
    """A human editor working in the Notion stand-in's workspace."""

    def __init__(self, standin: NotionStandin) -> None:
        self._s = standin

    @property
    def user_id(self) -> str:
        """The person's user id (shows up as ``last_edited_by``)."""
        return str(self._s.state["user_id"])

    def _done(self) -> None:
        self._s.persist()

    def _block(self, block_id: str) -> dict[str, Any]:
        block: dict[str, Any] = self._s.state["blocks"][str(uuid.UUID(block_id))]
        return block

    # ------------------------------------------------------------------ content
    def edit_text(self, block_id: str, text: str) -> None:
        """Replace a text block's content with plain ``text`` (formatting is lost)."""
        with self._s.lock:
            block = self._block(block_id)
            spec = normalize_block(
                {
                    block["type"]: {
                        **_request_form(block["data"]),
                        "rich_text": [{"text": {"content": text}}],
                    }
                },
                "wiki",
            )
            block["data"] = spec.data
            self._s.touch(block["id"], self.user_id)
        self._done()

    def edit_block(self, block_id: str, block_type_object: dict[str, Any]) -> None:
        """Replace a block's type object (request form, e.g. ``{"rich_text": [...]}``)."""
        with self._s.lock:
            block = self._block(block_id)
            spec = normalize_block({block["type"]: block_type_object}, "wiki")
            block["data"] = spec.data
            self._s.touch(block["id"], self.user_id)
        self._done()

    def insert_blocks(
        self, parent_id: str, blocks: list[dict[str, Any]], after: str | None = None
    ) -> list[str]:
        """Add blocks (request form) under a page or block; returns the new ids."""
        with self._s.lock:
            specs = normalize_children(blocks, "wiki", 0, self._s.title_of)
            ids = self._s.insert_blocks(
                str(uuid.UUID(parent_id)),
                specs,
                str(uuid.UUID(after)) if after else None,
                by=self.user_id,
            )
        self._done()
        return ids

    def add_paragraph(self, parent_id: str, text: str, after: str | None = None) -> str:
        """Type a new paragraph (at the end, or after block ``after``); returns its id."""
        return self.insert_blocks(
            parent_id, [{"paragraph": {"rich_text": [{"text": {"content": text}}]}}], after
        )[0]

    def add_image(self, parent_id: str, filename: str, data: bytes,
                  content_type: str = "image/png") -> str:
        """Paste an image at the end of a page (uploaded to Notion); returns the block id."""
        with self._s.lock:
            upload_id = self._s.upload_bytes(filename, data, content_type)
        return self.insert_blocks(
            parent_id, [{"image": {"type": "file_upload", "file_upload": {"id": upload_id}}}]
        )[0]

    def delete_block(self, block_id: str) -> None:
        """Delete a block (it goes to the trash)."""
        with self._s.lock:
            self._s.trash(str(uuid.UUID(block_id)), True, self.user_id)
        self._done()

    # ------------------------------------------------------------------ pages
    def set_title(self, page_id: str, title: str) -> None:
        """Rename a page (its title property, whatever it is called)."""
        with self._s.lock:
            page = self._s.state["pages"][str(uuid.UUID(page_id))]
            schema = self._s.page_schema(page)
            name = next(n for n, p in schema.items() if p["type"] == "title")
        self.set_properties(page_id, {name: {"title": [{"text": {"content": title}}]}})

    def set_properties(self, page_id: str, properties: dict[str, Any]) -> None:
        """Change property values (request form: ``{"Status": {"select": {"name": "x"}}}``)."""
        with self._s.lock:
            page = self._s.state["pages"][str(uuid.UUID(page_id))]
            schema = copy.deepcopy(self._s.page_schema(page))
            values = normalize_values(properties, schema, "wiki", self._s.title_of)
            ds_id = page["parent"].get("data_source_id")
            if ds_id:
                self._s.state["data_sources"][ds_id]["properties"].update(schema)
            page["values"].update(values)
            self._s.touch(page["id"], self.user_id)
        self._done()

    def create_page(
        self,
        parent_id: str | None,
        title: str,
        *,
        properties: dict[str, Any] | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        """Create a page under a page, a database / data source (a row), or ``None`` for a
        private workspace-level page that is NOT shared with the integration."""
        with self._s.lock:
            if parent_id is None:
                parent: dict[str, Any] = {"type": "workspace", "workspace": True}
                schema: dict[str, Any] = copy.deepcopy(self._s.page_schema({"parent": parent}))
            else:
                pid = str(uuid.UUID(parent_id))
                kind = self._s.kind_of(pid)
                if kind == "database":
                    pid = self._s.state["databases"][pid]["data_sources"][0]
                    kind = "data_source"
                if kind == "data_source":
                    parent = {
                        "type": "data_source_id",
                        "data_source_id": pid,
                        "database_id": self._s.state["data_sources"][pid]["database_id"],
                    }
                elif kind == "page":
                    parent = {"type": "page_id", "page_id": pid}
                else:
                    raise KeyError(f"no page, database or data source {parent_id}")
                schema = copy.deepcopy(self._s.page_schema({"parent": parent}))
            title_name = next(n for n, p in schema.items() if p["type"] == "title")
            raw = {title_name: {"title": [{"text": {"content": title}}]}, **(properties or {})}
            values = normalize_values(raw, schema, "wiki", self._s.title_of)
            if parent.get("data_source_id"):
                self._s.state["data_sources"][parent["data_source_id"]]["properties"].update(schema)
            specs = normalize_children(blocks or [], "wiki", 0, self._s.title_of)
            page_id = str(uuid.uuid4())
            self._s.insert_page(page_id, parent, values, by=self.user_id)
            if specs:
                self._s.insert_blocks(page_id, specs, by=self.user_id)
        self._done()
        return page_id

    def move_page(self, page_id: str, new_parent_page_id: str) -> None:
        """Drag a page under another page."""
        with self._s.lock:
            parent = {"type": "page_id", "page_id": str(uuid.UUID(new_parent_page_id))}
            self._s.relocate(str(uuid.UUID(page_id)), parent, self.user_id)
        self._done()

    def move_row(self, page_id: str, database_id: str) -> None:
        """Move a database row into another database ("Move to" in the page menu)."""
        with self._s.lock:
            db_id = str(uuid.UUID(database_id))
            if self._s.kind_of(db_id) == "data_source":
                db_id = self._s.state["data_sources"][db_id]["database_id"]
            source = self._s.state["databases"][db_id]["data_sources"][0]
            parent = {"type": "data_source_id", "data_source_id": source, "database_id": db_id}
            self._s.relocate(str(uuid.UUID(page_id)), parent, self.user_id)
        self._done()

    def move_database(self, database_id: str, new_parent_page_id: str | None) -> None:
        """Drag a (full-page) database under another page, or with ``None`` to a private
        page of the person's own that the integration cannot see."""
        with self._s.lock:
            db_id = str(uuid.UUID(database_id))
            database = self._s.state["databases"][db_id]
            self._s._unlink(db_id)
            if new_parent_page_id is None:
                database["parent"] = {"type": "workspace", "workspace": True}
            else:
                parent = str(uuid.UUID(new_parent_page_id))
                database["parent"] = {"type": "page_id", "page_id": parent}
                self._s._link_child(parent, db_id, None)
            self._s.touch(db_id, self.user_id)
        self._done()

    def archive_page(self, page_id: str, archived: bool = True) -> None:
        """Move a page (or database row) to the trash, or restore it."""
        with self._s.lock:
            self._s.trash(str(uuid.UUID(page_id)), archived, self.user_id)
        self._done()

    # ------------------------------------------------------------------ inspection
    def page_text(self, page_id: str) -> list[str]:
        """Plain text of a page's top-level live blocks, in order (for assertions)."""
        with self._s.lock:
            out = []
            for child in self._s._visible_children(str(uuid.UUID(page_id))):
                block = self._s.state["blocks"].get(child)
                if block is None:
                    out.append(f"[{self._s.title_of(child)}]")
                else:
                    out.append(plain_text(block["data"].get("rich_text", [])))
            return out


def _request_form(data: dict[str, Any]) -> dict[str, Any]:
    """Stored block data back to request form (drop response-only keys)."""
    out = {k: v for k, v in data.items() if k not in ("rich_text",)}
    if "caption" in out:
        out["caption"] = (
            [{"type": "text", "text": {"content": plain_text(out["caption"])}}]
            if out["caption"]
            else []
        )
    return out
