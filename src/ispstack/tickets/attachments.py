"""Checks of uploaded ticket attachments: size and type, the type read from
the file's first bytes (its signature), never from its name or the
uploader's Content-Type header."""

from __future__ import annotations

import os
from typing import Any

from ispstack.core.errors import InvalidInput

# File signatures ("magic numbers") of the types customers send; text is
# recognised as UTF-8 without NUL bytes.
_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"WEBP", 8, "image/webp"),
    (b"PK\x03\x04", 0, "application/zip"),
]

_HEAD = 4096


def sniff(head: bytes) -> str:
    """The MIME type of content starting with ``head`` (a few KB): one of the
    signatures above, ``text/plain`` for UTF-8 text without NUL bytes, else
    ``application/octet-stream``."""
    for signature, offset, mime in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if mime == "image/webp" and not head.startswith(b"RIFF"):
                continue
            return mime
    if b"\x00" not in head:
        try:
            # A multi-byte character may be cut at the end of the head.
            head.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3:
                return "text/plain"
    return "application/octet-stream"


def check(upload: Any, *, max_bytes: int, allowed: list[str]) -> tuple[str, int, str]:
    """``(filename, size in bytes, MIME type)`` of ``upload`` (a Django
    ``File``), after checking it.

    Raises InvalidInput naming ``file``: not a file, empty, larger than
    ``max_bytes``, or of a type (read from the content) not in ``allowed``.
    """
    if upload is None or not hasattr(upload, "read") or not hasattr(upload, "size"):
        raise InvalidInput("must be an uploaded file", field="file")
    size = int(upload.size or 0)
    if size == 0:
        raise InvalidInput("is empty", field="file")
    if size > max_bytes:
        raise InvalidInput(
            f"is {size} bytes; attachments may have at most {max_bytes} bytes", field="file"
        )
    upload.seek(0)
    head = upload.read(_HEAD)
    upload.seek(0)
    mime = sniff(head if isinstance(head, bytes) else head.encode())
    if mime not in allowed:
        raise InvalidInput(
            f"is {mime}, which is not allowed (allowed: {', '.join(allowed)})", field="file"
        )
    name = os.path.basename(str(getattr(upload, "name", "") or "attachment"))[:200]
    return name or "attachment", size, mime
