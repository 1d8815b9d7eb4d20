"""IMAP FETCH responses read into Python values, and a mail's MIME tree from
its BODYSTRUCTURE (RFC 3501 7.4.2), so the poller can read a large mail part
by part (``imap.fetch_bounded``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from typing import Any


@dataclass
class MimePart:
    """One node of a mail's MIME tree as told by BODYSTRUCTURE: its IMAP
    ``section`` ("" for the whole mail, "1", "2.1", ...), media type,
    parameters (lower-case names), transfer encoding, encoded ``size``
    (bytes; 0 for multiparts) and disposition, with the sub-parts of a
    multipart in ``children``."""

    section: str
    maintype: str
    subtype: str
    params: dict[str, str]
    encoding: str = ""
    size: int = 0
    disposition: str = ""
    disposition_params: dict[str, str] = field(default_factory=dict)
    children: list[MimePart] = field(default_factory=list)

    @property
    def is_multipart(self) -> bool:
        """Whether this is a multipart (its content is its children)."""
        return self.maintype == "multipart"

    @property
    def filename(self) -> str:
        """The file name the sender gave (RFC 2183 ``filename``, else the
        RFC 2045 ``name`` parameter), RFC 2047 words decoded; empty when none."""
        raw = (
            self.disposition_params.get("filename")
            or self.params.get("name")
            or self.disposition_params.get("filename*", "").rpartition("'")[2]
        )
        try:
            return str(make_header(decode_header(raw)))[:200] if raw else ""
        except (LookupError, UnicodeError, ValueError):
            return raw[:200]

    @property
    def decoded_size(self) -> int:
        """The size of the content once decoded (bytes), estimated from the
        encoded size: base64 carries 57 bytes in 78 (a 76-character line
        and CRLF, RFC 2045 6.8), so the estimate errs low and the exact
        check after reading decides for a part near the limit."""
        if self.encoding == "base64":
            return self.size * 57 // 78
        return self.size

    def leaves(self) -> Iterator[MimePart]:
        """The non-multipart parts, depth first."""
        if self.is_multipart:
            for child in self.children:
                yield from child.leaves()
        else:
            yield self


_TOKEN = re.compile(rb'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|(\{\d+\})\s*$|([^\s()"]+))')


def parse_response(data: list[Any]) -> list[Any]:
    """imaplib's FETCH response (byte strings, and ``(text, literal)``
    tuples where the server sent a literal) as nested lists: quoted strings
    and atoms become ``str``, NIL ``None``, literals ``bytes``."""
    stack: list[list[Any]] = [[]]

    def tokens(chunk: bytes) -> None:
        position = 0
        while position < len(chunk):
            match = _TOKEN.match(chunk, position)
            if match is None or match.end() == position:
                break
            position = match.end()
            opening, closing, quoted, _literal, atom = match.groups()
            if opening:
                stack.append([])
            elif closing:
                if len(stack) > 1:
                    done = stack.pop()
                    stack[-1].append(done)
            elif quoted is not None:
                stack[-1].append(re.sub(rb"\\(.)", rb"\1", quoted).decode("utf-8", "replace"))
            elif atom is not None:
                text = atom.decode("ascii", "replace")
                stack[-1].append(None if text.upper() == "NIL" else text)

    for item in data:
        if isinstance(item, tuple):
            tokens(item[0])
            stack[-1].append(item[1])
        elif isinstance(item, bytes):
            tokens(item)
    return stack[0]


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def _params(value: Any) -> dict[str, str]:
    if not isinstance(value, list):
        return {}
    pairs = zip(value[::2], value[1::2], strict=False)
    return {_text(name).lower(): _text(v) for name, v in pairs}


def parse_structure(value: Any, section: str = "") -> MimePart:
    """A ``MimePart`` tree from a parsed BODYSTRUCTURE (RFC 3501 7.4.2).

    Raises ValueError when ``value`` is not a body structure."""
    if not isinstance(value, list) or not value:
        raise ValueError(f"not a BODYSTRUCTURE: {value!r}"[:200])
    if isinstance(value[0], list):
        count = next((i for i, v in enumerate(value) if not isinstance(v, list)), len(value))
        rest = value[count:]
        children = [
            parse_structure(child, f"{section}.{n}" if section else str(n))
            for n, child in enumerate(value[:count], 1)
        ]
        disposition = rest[2] if len(rest) > 2 and isinstance(rest[2], list) else None
        return MimePart(
            section=section,
            maintype="multipart",
            subtype=_text(rest[0]).lower() if rest else "mixed",
            params=_params(rest[1]) if len(rest) > 1 else {},
            disposition=_text(disposition[0]).lower() if disposition else "",
            children=children,
        )
    maintype, subtype = _text(value[0]).lower(), _text(value[1]).lower()
    # The extension data follows the lines count of text parts and the
    # envelope, body and lines of message/rfc822 parts.
    if maintype == "text":
        extension = 8
    elif (maintype, subtype) == ("message", "rfc822"):
        extension = 10
    else:
        extension = 7
    disposition = value[extension + 1] if len(value) > extension + 1 else None
    disposition = disposition if isinstance(disposition, list) and disposition else None
    return MimePart(
        section=section,
        maintype=maintype,
        subtype=subtype,
        params=_params(value[2]),
        encoding=_text(value[5]).lower(),
        size=int(_text(value[6]) or 0),
        disposition=_text(disposition[0]).lower() if disposition else "",
        disposition_params=_params(disposition[1]) if disposition and len(disposition) > 1 else {},
    )
