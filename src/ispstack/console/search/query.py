"""What a search box's text can mean: the text itself, an IP address or
network, a phone number, the digits of an IBAN.

``parse_query`` never raises: hostile or malformed input (NUL bytes, 10,000
characters, ``999.1.1.1/99``) becomes a shorter, clean text whose derived
forms are left empty when they don't apply.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field

import phonenumbers

MAX_QUERY_LENGTH = 100
"""Characters of the query kept; longer input is cut (no identifier or name is longer)."""

MIN_FRAGMENT_LENGTH = 3
"""Shortest text searched as a fragment inside names (shorter: exact and prefix only);
trigram indexes cannot serve fewer than three characters."""

_IBAN_DIGITS = re.compile(r"^\d{4,34}$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_PHONE_CHARS = re.compile(r"^\+?[\d\s().-]{6,20}$")


@dataclass(frozen=True)
class SearchQuery:
    """A query, parsed.

    ``text``: the cleaned text (control characters removed, whitespace
    collapsed, at most ``MAX_QUERY_LENGTH`` characters); ``truncated``: the
    input was longer. ``network``: the IP address or network the text names
    (an address is a /32 or /128), or None. ``phones``: E.164 forms the text
    may be (``082 123 4567`` read in the tenant's country). ``iban``: the text
    as an IBAN without spaces, or "". ``iban_digits``: 4 or more trailing
    digits of an IBAN typed alone, or "". ``identified``: an earlier
    search already found what the text names (an invoice number, an IP
    address, usernames beginning with a text with digits), so fragment and
    fuzzy searches can be skipped.
    """

    text: str
    truncated: bool = False
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    phones: tuple[str, ...] = field(default=())
    iban: str = ""
    iban_digits: str = ""
    identified: bool = False

    @property
    def upper(self) -> str:
        """The text in capitals (identifiers are stored so)."""
        return self.text.upper()

    @property
    def is_address(self) -> bool:
        """The text is a single IP address (not a wider network)."""
        return self.network is not None and self.network.prefixlen == self.network.max_prefixlen

    @property
    def has_digit(self) -> bool:
        """The text holds a digit (document numbers and references do)."""
        return any(ch.isdigit() for ch in self.text)

    @property
    def looks_like_name(self) -> bool:
        """Worth a fuzzy search among names: long enough, no digit, no ``@``."""
        return self.wants_fragments and not self.has_digit and "@" not in self.text

    @property
    def wants_fragments(self) -> bool:
        """Worth a search for fragments: long enough, not already identified."""
        return self.fragment_ok and not self.identified

    @property
    def fragment_ok(self) -> bool:
        """Long enough to look for inside names and emails."""
        return len(self.text) >= MIN_FRAGMENT_LENGTH


def clean_text(raw: str) -> tuple[str, bool]:
    """``raw`` without control characters (NUL included), whitespace collapsed,
    cut to ``MAX_QUERY_LENGTH``; and whether it was cut."""
    # Cut first so a 10 MB query costs no more than a short one.
    raw = raw[: MAX_QUERY_LENGTH * 4]
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in unicodedata.normalize("NFC", raw)
        if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    text = " ".join(kept.split())
    return text[:MAX_QUERY_LENGTH].strip(), len(text) > MAX_QUERY_LENGTH


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if not text or len(text) > 49 or " " in text:
        return None
    try:
        # strict=False: "100.64.1.7/24" means the /24 the address is in.
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _phones(text: str, region: str) -> tuple[str, ...]:
    if not _PHONE_CHARS.match(text):
        return ()
    digits = re.sub(r"\D", "", text)
    candidates = [text]
    if not text.startswith("+"):
        # "27821234567": a number typed with its country code but no "+".
        candidates.append(f"+{digits}")
    found: list[str] = []
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region.upper() or None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in found:
                found.append(e164)
    return tuple(found)


def parse_query(raw: str, region: str = "") -> SearchQuery:
    """Parse the search box's ``raw`` text; ``region`` (ISO 3166 alpha-2, the
    tenant's country) reads phone numbers typed without a country code.
    Never raises."""
    text, truncated = clean_text(raw or "")
    if not text:
        return SearchQuery(text="", truncated=truncated)
    compact = text.replace(" ", "").upper()
    return SearchQuery(
        text=text,
        truncated=truncated,
        network=_network(text),
        phones=_phones(text, region),
        iban=compact if _IBAN.match(compact) else "",
        iban_digits=compact if _IBAN_DIGITS.match(compact) else "",
    )
