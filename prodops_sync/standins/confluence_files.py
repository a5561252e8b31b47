"""Page attachments in the Confluence stand-in (REST v1, the only API with uploads).

As documented for ``/rest/api/content/{id}/child/attachment``: ``POST`` adds attachments and
refuses a file name the page already has; ``PUT`` creates or adds a new version of the
attachment with that name; both take multipart/form-data with the content under ``file``
and need the header ``X-Atlassian-Token: no-check`` (XSRF protection, 403 without it);
``GET`` lists them (``filename`` filters). Content is served at
``/download/attachments/{page id}/{file name}``. Storage references an attachment of the
same page as ``<ri:attachment ri:filename="..."/>``.
"""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.wrappers import Request

from prodops_sync.standins.server import ApiError, Reply

MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024
"""Confluence's default attachment size limit."""


class ConfluenceFiles:
    """Mixed into :class:`~prodops_sync.standins.confluence.ConfluenceStandin`."""

    state: dict[str, Any]
    clock: Any

    def _record(self, cid: str, status: str = "current") -> dict[str, Any]:
        raise NotImplementedError

    def _files_error(self, status: int, message: str) -> ApiError:
        raise NotImplementedError

    def _attachments(self, cid: str) -> dict[str, Any]:
        record = self._record(cid)
        found: dict[str, Any] = record.setdefault("attachments", {})
        return found

    def _next_attachment_id(self) -> str:
        number = int(self.state.get("next_attachment", 900001))
        self.state["next_attachment"] = number + 1
        return f"att{number}"

    def render_attachment(self, cid: str, att: dict[str, Any]) -> dict[str, Any]:
        """An attachment content object as v1 returns it."""
        name = att["title"]
        return {
            "id": att["id"],
            "type": "attachment",
            "status": "current",
            "title": name,
            "version": {"number": att["version"], "minorEdit": True},
            "container": {"id": cid, "type": "page"},
            "metadata": {"mediaType": att["media_type"]},
            "extensions": {"mediaType": att["media_type"], "fileSize": att["size"],
                           "comment": att.get("comment", "")},
            "_links": {
                "download": f"/download/attachments/{cid}/{name}?version={att['version']}",
                "self": f"/rest/api/content/{att['id']}",
            },
        }

    def _upload(self, request: Request, cid: str, *, replace: bool) -> Reply:
        if request.headers.get("X-Atlassian-Token", "").lower() != "no-check":
            raise self._files_error(403, "XSRF check failed")
        attachments = self._attachments(cid)
        files = request.files.getlist("file")
        if not files:
            raise self._files_error(400, "At least one attachment file must be included.")
        out = []
        for sent in files:
            name = sent.filename or ""
            data = sent.read()
            if not name:
                raise self._files_error(400, "An attachment needs a file name.")
            if len(data) > MAX_ATTACHMENT_BYTES:
                raise self._files_error(
                    413, f"The attachment {name} is larger than {MAX_ATTACHMENT_BYTES} bytes."
                )
            existing = attachments.get(name)
            if existing is not None and not replace:
                raise self._files_error(
                    400, f"Cannot add a new attachment with same file name as an existing "
                    f"attachment: {name}"
                )
            att = existing or {"id": self._next_attachment_id(), "title": name, "version": 0}
            att.update(
                version=att["version"] + 1,
                media_type=sent.mimetype or "application/octet-stream",
                size=len(data),
                data=base64.b64encode(data).decode("ascii"),
                comment=request.form.get("comment", ""),
                when=self.clock.time(),
            )
            attachments[name] = att
            out.append(self.render_attachment(cid, att))
        return Reply(200, {"results": out, "start": 0, "limit": len(out), "size": len(out)})

    def create_attachment(self, request: Request, cid: str) -> Reply:
        return self._upload(request, cid, replace=False)

    def put_attachment(self, request: Request, cid: str) -> Reply:
        return self._upload(request, cid, replace=True)

    def list_attachments(self, request: Request, cid: str) -> Reply:
        wanted = request.args.get("filename")
        found = [
            self.render_attachment(cid, att)
            for name, att in sorted(self._attachments(cid).items())
            if wanted is None or name == wanted
        ]
        return Reply(200, {"results": found, "start": 0, "limit": len(found),
                           "size": len(found)})

    def download_attachment(self, request: Request, cid: str, name: str) -> Reply:
        att = self._attachments(cid).get(name)
        if att is None:
            raise self._files_error(404, f"No attachment {name} on content {cid}")
        return Reply(200, base64.b64decode(att["data"]), {"Content-Type": att["media_type"]})

    def add_attachment_bytes(self, cid: str, name: str, data: bytes, media_type: str) -> None:
        """Attach a file directly (the wiki-user helper dropping a file on a page)."""
        attachments = self._attachments(cid)
        att = attachments.get(name) or {"id": self._next_attachment_id(), "title": name,
                                        "version": 0}
        att.update(version=att["version"] + 1, media_type=media_type, size=len(data),
                   data=base64.b64encode(data).decode("ascii"), when=self.clock.time())
        attachments[name] = att
