"""The rules of a tenant's portal branding: colours that white text stays
readable on, logos that are only images, locales Babel knows, host names.

Each check raises Django's ``ValidationError`` naming what is wrong, so the
admin shows it on the field; the model's ``clean`` calls them (see
``PortalBranding`` and ``PortalHost``).

Colour contrast follows WCAG 2.2 (success criterion 1.4.3, contrast minimum,
level AA: 4.5:1 for normal text), with relative luminance as WCAG defines it
for sRGB. The portal writes white text on the primary colour (the top bar)
and on the accent colour (buttons), so both must reach 4.5:1 against white.
"""

from __future__ import annotations

import io
import re
from typing import Any, Literal

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

#: WCAG 2.2 SC 1.4.3 (AA) for normal-size text.
MIN_CONTRAST = 4.5
#: The largest logo side in pixels (a header logo needs a few hundred; this
#: also keeps a decompression bomb from being accepted).
MAX_LOGO_SIDE = 4096

LogoKind = Literal["png", "jpeg", "svg"]
CONTENT_TYPES: dict[str, str] = {"png": "image/png", "jpeg": "image/jpeg", "svg": "image/svg+xml"}
_EXTENSIONS: dict[str, LogoKind] = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "svg": "svg"}

_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

# SVG elements that run script, embed other documents or load from elsewhere.
_SVG_FORBIDDEN = {
    "script",
    "foreignobject",
    "iframe",
    "embed",
    "object",
    "handler",
    "listener",
    "set",
    "animate",
    "animatemotion",
    "animatetransform",
}
_SVG_NS = "http://www.w3.org/2000/svg"


def normalise_colour(value: str) -> str:
    """``#ABC`` or ``abc`` or ``#aabbcc`` as ``#aabbcc``; raises ValueError otherwise."""
    match = _HEX.match((value or "").strip())
    if not match:
        raise ValueError(value)
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return f"#{digits}"


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance (0 black .. 1 white) of a ``#rrggbb`` colour."""
    hexa = normalise_colour(colour)[1:]
    channels = []
    for i in (0, 2, 4):
        c = int(hexa[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio (1 .. 21) of white text on ``colour``."""
    return (1.0 + 0.05) / (relative_luminance(colour) + 0.05)


def check_colour(value: str, label: str) -> str:
    """``value`` as ``#rrggbb`` when it is a hex colour white text reads on at
    ``MIN_CONTRAST`` or more; ValidationError naming ``label`` otherwise."""
    try:
        colour = normalise_colour(value)
    except ValueError:
        raise ValidationError(
            _("The %(label)s must be a hex colour such as #0b5cad."),
            code="invalid",
            params={"label": label},
        ) from None
    ratio = contrast_with_white(colour)
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            _(
                "White text on the %(label)s %(colour)s has a contrast of %(ratio).2f:1; "
                "WCAG AA needs at least 4.5:1. Choose a darker colour."
            ),
            code="contrast",
            params={"label": label, "colour": colour, "ratio": ratio},
        )
    return colour


def check_locale(value: str) -> str:
    """A locale such as ``de-DE`` or ``en_ZA`` as Babel names it (``de_DE``);
    ValidationError when Babel has no such locale."""
    raw = (value or "").strip().replace("-", "_")
    try:
        return str(Locale.parse(raw))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValidationError(
            _("%(value)s is not a locale (write it as language_COUNTRY, e.g. de_DE)."),
            code="invalid",
            params={"value": value},
        ) from None


def check_host(value: str) -> str:
    """A host name (``my.example-isp.net``) in lower case, without scheme,
    port or path; ValidationError for anything else, an IP address included
    (a tenant's portal is found by its own DNS name)."""
    host = (value or "").strip().lower().rstrip(".")
    labels = host.split(".")
    if (
        len(host) > 253
        or len(labels) < 2
        or not all(_HOST_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValidationError(
            _("%(value)s is not a host name such as my.example-isp.net (no scheme, port or path)."),
            code="invalid",
            params={"value": value},
        )
    return host


def logo_kind(head: bytes) -> LogoKind | None:
    """The logo kind that a file's first bytes show (None: not a logo we take)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<?xml") or text.startswith(b"<svg") or text.startswith(b"<!--"):
        return "svg"
    return None


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_logo")


def check_logo(upload: Any) -> LogoKind:
    """The kind of an uploaded logo (PNG, JPEG or SVG) after checking it.

    Refused (ValidationError): more than ``PORTAL_LOGO_MAX_BYTES``; a name
    whose extension is not ``.png``, ``.jpg``, ``.jpeg`` or ``.svg``; content
    that is not what the extension says; a PNG or JPEG that Pillow cannot
    read or larger than ``MAX_LOGO_SIDE`` pixels a side; an SVG with a
    document type (entities), script, event handlers, embedded documents,
    animation or a reference to anything outside the file.
    """
    limit = settings.PORTAL_LOGO_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _refuse(
            _("The logo is %(size)d bytes; at most %(limit)d bytes are allowed.")
            % {"size": size, "limit": limit}
        )
    name = str(getattr(upload, "name", "") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    expected = _EXTENSIONS.get(extension)
    if expected is None:
        raise _refuse(_("The logo must be a PNG, JPEG or SVG file (.png, .jpg, .jpeg, .svg)."))
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    if len(data) > limit:
        raise _refuse(_("The logo is larger than %(limit)d bytes.") % {"limit": limit})
    if logo_kind(data[:64]) != expected:
        raise _refuse(
            _("The logo's content is not a %(kind)s image, as its name says.")
            % {"kind": expected.upper()}
        )
    if expected == "svg":
        check_svg(data)
    else:
        _check_raster(data, expected)
    return expected


def _check_raster(data: bytes, kind: LogoKind) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = (image.format or "").lower()
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _refuse(_("The logo is not a readable image.")) from None
    if fmt != kind:
        raise _refuse(_("The logo's content is not the image its name says."))
    if width > MAX_LOGO_SIDE or height > MAX_LOGO_SIDE:
        raise _refuse(
            _("The logo is %(w)d x %(h)d pixels; at most %(max)d a side.")
            % {"w": width, "h": height, "max": MAX_LOGO_SIDE}
        )


def check_svg(data: bytes) -> None:
    """Refuse an SVG that could do more than draw itself (ValidationError):
    a DOCTYPE or entity, a processing instruction other than the XML
    declaration, a root that is not ``<svg>``, forbidden elements
    (``_SVG_FORBIDDEN``), ``on*`` event attributes, ``javascript:`` anywhere,
    links (``href``) other than to the file's own fragments, and styles that
    import or load ``url(...)`` from outside the file."""
    from lxml import etree

    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise _refuse(_("The SVG logo has a document type or entities; remove them."))
    if b"javascript:" in lowered.replace(b" ", b""):
        raise _refuse(_("The SVG logo holds a script (javascript:); remove it."))
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        raise _refuse(_("The SVG logo is not well-formed XML.")) from None
    if root.tag != f"{{{_SVG_NS}}}svg":
        raise _refuse(_("The SVG logo's root element is not <svg>."))
    for node in root.iter():
        if isinstance(node, etree._ProcessingInstruction):
            raise _refuse(_("The SVG logo has a processing instruction; remove it."))
        if not isinstance(node.tag, str):  # comments
            continue
        local = etree.QName(node).localname.lower()
        if local in _SVG_FORBIDDEN:
            raise _refuse(
                _(
                    "The SVG logo has a <%(element)s> element (script, embedded content or "
                    "animation); upload one without it."
                )
                % {"element": etree.QName(node).localname}
            )
        for attribute, value in node.attrib.items():
            name = etree.QName(attribute).localname.lower()
            if name.startswith("on"):
                raise _refuse(
                    _("The SVG logo has an event handler (%(name)s), which is a script; remove it.")
                    % {"name": name}
                )
            if name == "href" and not value.strip().startswith("#"):
                raise _refuse(
                    _(
                        "The SVG logo links to %(value)s; only references inside the file "
                        "(#id) are allowed."
                    )
                    % {"value": value[:80]}
                )
            if name == "style" and _loads_outside(value):
                raise _refuse(_("The SVG logo's style loads from outside the file."))
        if local == "style" and _loads_outside(node.text or ""):
            raise _refuse(_("The SVG logo's style loads from outside the file."))


def _loads_outside(css: str) -> bool:
    text = css.lower().replace(" ", "")
    if "@import" in text:
        return True
    return any(not part.lstrip("'\"").startswith("#") for part in text.split("url(")[1:])


_PHONE = re.compile(r"^\+?[0-9 ()\-/.]{3,40}$")


def is_phone(value: str) -> bool:
    """Whether ``value`` reads as a phone number (digits and the usual
    separators, an optional leading ``+``), shown as written."""
    return bool(_PHONE.match(value.strip())) and sum(c.isdigit() for c in value) >= 3
