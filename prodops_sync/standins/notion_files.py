"""Notion's File Upload API in the stand-in, and Notion-hosted files with expiring URLs.

As documented (developers.notion.com, "Uploading small files"): ``POST /v1/file_uploads``
creates a pending upload, ``POST /v1/file_uploads/{id}/send`` takes the content as
multipart/form-data under the ``file`` key (single part: at most 20 MB), and a block then
references it as ``{"type": "file_upload", "file_upload": {"id": ...}}``. Reading the block
gives back a Notion-hosted file: ``{"type": "file", "file": {"url": <signed URL>,
"expiry_time": ...}}`` whose URL expires after an hour. The stand-in signs URLs with an HMAC
and serves them under ``/files/`` without authentication, like S3 does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Request

from prodops_sync.standins.server import ApiError, Reply

MAX_SINGLE_PART_BYTES = 20 * 1024 * 1024
URL_LIFETIME_SECONDS = 3600
UPLOAD_LIFETIME_SECONDS = 3600
MEDIA_TYPES = ("image", "video", "pdf", "file", "audio")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


def _error(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, {"object": "error", "status": status, "code": code,
                             "message": message})


class NotionFiles:
    """Mixed into :class:`~prodops_sync.standins.notion.NotionStandin`."""

    state: dict[str, Any]
    url: str

    def _now(self) -> float:
        raise NotImplementedError

    def _body(self, request: Request) -> dict[str, Any]:
        raise NotImplementedError

    def current_bot(self) -> str:
        raise NotImplementedError

    def _uploads(self) -> dict[str, Any]:
        uploads: dict[str, Any] = self.state.setdefault("file_uploads", {})
        return uploads

    def render_upload(self, upload: dict[str, Any]) -> dict[str, Any]:
        """A file upload object as Notion returns it."""
        pending = upload["status"] == "pending"
        answer = {
            "object": "file_upload",
            "id": upload["id"],
            "created_time": _iso(upload["created"]),
            "created_by": {"id": self.current_bot(), "type": "bot"},
            "last_edited_time": _iso(upload["edited"]),
            "expiry_time": _iso(upload["created"] + UPLOAD_LIFETIME_SECONDS) if pending else None,
            "archived": False,
            "in_trash": False,
            "status": upload["status"],
            "filename": upload["filename"],
            "content_type": upload["content_type"],
            "content_length": upload["content_length"],
            "request_id": str(uuid.uuid4()),
        }
        if pending:  # the SDK types it as an optional string: absent, never null
            answer["upload_url"] = f"{self.url}/v1/file_uploads/{upload['id']}/send"
        return answer

    # -- handlers --------------------------------------------------------------------------

    def create_file_upload(self, request: Request) -> Reply:
        body = self._body(request)
        mode = body.get("mode", "single_part")
        if mode != "single_part":
            raise _error(400, "validation_error",
                         f"body.mode: the stand-in supports single_part uploads, not {mode!r}.")
        for name in ("filename", "content_type"):
            if name in body and not isinstance(body[name], str):
                raise _error(400, "validation_error", f"body.{name} should be a string.")
        now = self._now()
        upload: dict[str, Any] = {
            "id": str(uuid.uuid4()), "created": now, "edited": now, "status": "pending",
            "filename": body.get("filename"), "content_type": body.get("content_type"),
            "content_length": None, "data": None,
        }
        self._uploads()[upload["id"]] = upload
        return Reply(200, self.render_upload(upload))

    def _upload(self, upload_id: str) -> dict[str, Any]:
        try:
            key = str(uuid.UUID(upload_id))
        except ValueError:
            raise _error(400, "validation_error",
                         f"path.file_upload_id should be a valid uuid, instead was "
                         f"`\"{upload_id}\"`.") from None
        upload = self._uploads().get(key)
        if upload is None:
            raise _error(404, "object_not_found",
                         f"Could not find file_upload with ID: {key}.")
        return upload

    def get_file_upload(self, request: Request, upload_id: str) -> Reply:
        return Reply(200, self.render_upload(self._upload(upload_id)))

    def send_file_upload(self, request: Request, upload_id: str) -> Reply:
        upload = self._upload(upload_id)
        if upload["status"] != "pending":
            raise _error(400, "validation_error",
                         f"File upload {upload['id']} is {upload['status']}; only a pending "
                         "upload can be sent.")
        if not (request.content_type or "").startswith("multipart/form-data"):
            raise _error(400, "validation_error",
                         "Content-Type should be multipart/form-data for this endpoint.")
        sent = request.files.get("file")
        if sent is None:
            raise _error(400, "validation_error", "body.file should be defined.")
        data = sent.read()
        if len(data) > MAX_SINGLE_PART_BYTES:
            raise _error(400, "validation_error",
                         f"The file is {len(data)} bytes; single-part uploads are limited to "
                         f"{MAX_SINGLE_PART_BYTES} bytes (20 MB).")
        upload["filename"] = upload["filename"] or sent.filename or "file"
        upload["content_type"] = (
            upload["content_type"] or sent.mimetype or "application/octet-stream"
        )
        upload["content_length"] = len(data)
        upload["data"] = base64.b64encode(data).decode("ascii")
        upload["status"] = "uploaded"
        upload["edited"] = self._now()
        return Reply(200, self.render_upload(upload))

    def download_file(self, request: Request, upload_id: str, name: str) -> Reply:
        """A Notion-hosted file (S3 in real Notion): no auth, a signature that expires."""
        upload = self._uploads().get(upload_id)
        expires = request.args.get("X-Amz-Expires-At", "")
        signature = request.args.get("X-Amz-Signature", "")
        if upload is None or upload["data"] is None or not hmac.compare_digest(
            signature, self._signature(upload_id, expires)
        ):
            return Reply(403, {"Code": "AccessDenied", "Message": "Access Denied"})
        if not expires.isdigit() or int(expires) < self._now():
            return Reply(403, {"Code": "AccessDenied", "Message": "Request has expired"})
        return Reply(200, base64.b64decode(upload["data"]),
                     {"Content-Type": upload["content_type"] or "application/octet-stream"})

    # -- blocks ----------------------------------------------------------------------------

    def _signature(self, upload_id: str, expires: str) -> str:
        secret = str(self.state.get("bot_id", "")).encode()
        return hmac.new(secret, f"{upload_id}:{expires}".encode(), hashlib.sha256).hexdigest()

    def attach_media(self, data: dict[str, Any], path: str) -> dict[str, Any]:
        """Block data referencing a file upload as stored: the upload must be uploaded."""
        if data.get("type") != "file_upload":
            return data
        upload = self._upload(str((data.get("file_upload") or {}).get("id", "")))
        if upload["status"] != "uploaded":
            raise _error(400, "validation_error",
                         f"{path}.file_upload.id: file upload {upload['id']} is "
                         f"{upload['status']}; send its content before attaching it.")
        stored = {k: v for k, v in data.items() if k not in ("type", "file_upload")}
        stored["type"] = "file"
        stored["file"] = {"upload_id": upload["id"]}
        if "name" in stored or data.get("name") is not None:
            stored["name"] = data.get("name") or upload["filename"]
        return stored

    def render_media(self, data: dict[str, Any]) -> dict[str, Any]:
        """Block data as read: a Notion-hosted file gets a fresh URL that expires."""
        hosted = data.get("file")
        if data.get("type") != "file" or not isinstance(hosted, dict) or "upload_id" not in hosted:
            return data
        upload = self._uploads().get(hosted["upload_id"], {})
        expires = str(int(self._now()) + URL_LIFETIME_SECONDS)
        name = quote(str(upload.get("filename") or "file"), safe="")
        url = (
            f"{self.url}/files/{hosted['upload_id']}/{name}?X-Amz-Expires-At={expires}"
            f"&X-Amz-Signature={self._signature(hosted['upload_id'], expires)}"
        )
        return {**data, "file": {"url": url, "expiry_time": _iso(int(expires))}}

    def upload_bytes(self, filename: str, data: bytes, content_type: str) -> str:
        """Store an uploaded file directly (the wiki-user helper pasting an image)."""
        now = self._now()
        upload_id = str(uuid.uuid4())
        self._uploads()[upload_id] = {
            "id": upload_id, "created": now, "edited": now, "status": "uploaded",
            "filename": filename, "content_type": content_type, "content_length": len(data),
            "data": base64.b64encode(data).decode("ascii"),
        }
        return upload_id
