"""Voucher codes: the alphabet rule and random draws.

Codes are read off a printed card and typed on a phone, so the alphabet
leaves out characters that look alike in common fonts (0/O/Q/D, 1/I/L, and
every lower-case letter: l/1, o/0); what is left by default is 29 symbols.
Codes are drawn with ``secrets`` (a CSPRNG): a code is a password.
"""

from __future__ import annotations

import math
import secrets

from ispstack.core.errors import InvalidInput

DEFAULT_ALPHABET = "23456789ABCEFGHJKMNPRSTUVWXYZ"
LOOK_ALIKES = frozenset("0OQD1IL")
MIN_ALPHABET = 16
MIN_LENGTH = 6
MAX_LENGTH = 24
MAX_BATCH = 100_000
# A guesser who tries a million codes should hit a sold one with odds below
# one in a thousand: the code space is at least 10^9 times the batch.
SPACE_PER_CODE = 10**9


def check_alphabet(alphabet: str) -> str:
    """``alphabet`` when it is at least ``MIN_ALPHABET`` distinct upper-case
    letters and digits with no look-alike (``LOOK_ALIKES``).

    Raises InvalidInput naming ``alphabet``.
    """
    if len(set(alphabet)) != len(alphabet):
        raise InvalidInput("must not repeat a character", field="alphabet")
    bad = sorted(c for c in alphabet if not (c.isascii() and (c.isupper() or c.isdigit())))
    if bad:
        raise InvalidInput(
            f"only upper-case letters A-Z and digits, not {''.join(bad)!r}", field="alphabet"
        )
    alike = sorted(LOOK_ALIKES.intersection(alphabet))
    if alike:
        raise InvalidInput(
            f"leave out the look-alike characters {''.join(alike)}", field="alphabet"
        )
    if len(alphabet) < MIN_ALPHABET:
        raise InvalidInput(f"needs at least {MIN_ALPHABET} characters", field="alphabet")
    return alphabet


def check_prefix(prefix: str) -> str:
    """An optional prefix of up to 8 characters from A-Z, 0-9 and ``-``."""
    if len(prefix) > 8 or any(
        not (c.isascii() and (c.isupper() or c.isdigit() or c == "-")) for c in prefix
    ):
        raise InvalidInput("up to 8 characters A-Z, 0-9 and -", field="prefix")
    return prefix


def check_length(code_length: int, alphabet: str, count: int) -> int:
    """``code_length`` between ``MIN_LENGTH`` and ``MAX_LENGTH`` that gives at
    least ``SPACE_PER_CODE`` codes per voucher of the batch. Raises InvalidInput."""
    if not MIN_LENGTH <= code_length <= MAX_LENGTH:
        raise InvalidInput(f"must be between {MIN_LENGTH} and {MAX_LENGTH}", field="code_length")
    if code_length * math.log(len(alphabet)) < math.log(SPACE_PER_CODE * count):
        needed = math.ceil(math.log(SPACE_PER_CODE * count) / math.log(len(alphabet)))
        raise InvalidInput(
            f"too short to resist guessing for {count} vouchers: at least {needed}",
            field="code_length",
        )
    return code_length


def draw(count: int, *, prefix: str, alphabet: str, length: int) -> list[str]:
    """``count`` random codes (duplicates possible; the caller's insert drops them).

    Random bytes from ``secrets`` are mapped onto the alphabet in C
    (``bytes.translate``): a byte ``b`` below the largest multiple of the
    alphabet's size is ``alphabet[b % size]``, the others are dropped, so
    every character is equally likely (rejection sampling) and 100,000
    codes take milliseconds rather than a million Python calls.
    """
    size = len(alphabet)
    limit = 256 - 256 % size
    table = bytes(ord(alphabet[b % size]) for b in range(256))
    dropped = bytes(range(limit, 256))
    need = count * length
    chars = bytearray()
    while len(chars) < need:
        chars += secrets.token_bytes(need - len(chars) + 64).translate(table, dropped)
    text = chars[:need].decode("ascii")
    return [prefix + text[i * length : (i + 1) * length] for i in range(count)]
