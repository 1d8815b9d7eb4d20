"""Model fields: PostgreSQL network types, clock-aware datetimes, money and
encrypted secrets."""

from __future__ import annotations

import functools
from typing import Any

from django.db import models


class ClockDateTimeField(models.DateTimeField):
    """A ``DateTimeField`` whose ``auto_now`` / ``auto_now_add`` read the
    business clock (``core.clock.now``), so rows written inside a simulation
    (``ispstack demo``) carry the simulated instant, not the wall clock's.

    The column is a plain ``DateTimeField`` to migrations: only the value
    Python fills in differs.
    """

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        if self.auto_now or (self.auto_now_add and add):
            from ispstack.core import clock

            value = clock.now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs


def money_field(**kwargs: Any) -> models.DecimalField:
    """A Decimal amount in currency units: 14 digits, 4 decimals (rounding to the
    currency's minor unit happens in ``core.money``, not in the column)."""
    return models.DecimalField(max_digits=14, decimal_places=4, **kwargs)


class CidrField(models.CharField):
    """A PostgreSQL ``cidr`` column (an IP network such as ``100.64.0.0/22``).

    Values are strings in Python; PostgreSQL itself refuses host bits set.
    """

    description = "IP network (PostgreSQL cidr)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 43)
        super().__init__(*args, **kwargs)

    def db_type(self, connection: Any) -> str:
        return "cidr"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        return None if value is None else str(value)

    def to_python(self, value: Any) -> str | None:
        return None if value is None else str(value)


class _NetworkLookup(models.Lookup):
    """A lookup whose right-hand side is an address or network as text, cast in
    SQL (not adapted as the column's type: an inet column's adapter refuses
    ``2001:db8::/32``)."""

    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, tuple[str, ...]]:
        return "%s", (str(value),)


@CidrField.register_lookup
class WithinNetwork(_NetworkLookup):
    """``field__within="2001:db8::/32"``: the network is inside the given one
    or equal to it (PostgreSQL's ``<<=`` on cidr, which GiST inet_ops indexes)."""

    lookup_name = "within"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} <<= {rhs}::cidr", (*lhs_params, *rhs_params)


@CidrField.register_lookup
class CoversNetwork(_NetworkLookup):
    """``field__covers="2001:db8:1::5"``: the network contains the given address
    or network, or equals it (PostgreSQL's ``>>=``, which GiST inet_ops indexes)."""

    lookup_name = "covers"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} >>= {rhs}::inet", (*lhs_params, *rhs_params)


class InetField(models.GenericIPAddressField):
    """A PostgreSQL ``inet`` column holding a host address, as a string in Python."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        return None if value is None else str(value).split("/")[0]


# ``address__within="100.64.0.0/22"``: the host is inside the network (``<<=``,
# which a B-tree on the column serves as a range scan).
InetField.register_lookup(WithinNetwork)


def _fernet() -> Any:
    """The MultiFernet that seals ``EncryptedTextField`` values.

    Keys come from ``settings.FIELD_ENCRYPTION_KEYS`` (url-safe base64 Fernet
    keys, newest first, so an old key still opens rows written before a
    rotation); without any, one key is derived from ``SECRET_KEY`` with
    HKDF-SHA256 (RFC 5869), so a fresh install encrypts without extra setup.
    Built once per set of keys, not on every read and write.
    """
    from django.conf import settings

    keys = tuple(getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or ())
    return _fernet_for(keys, settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...], secret_key: str) -> Any:
    import base64

    from cryptography.fernet import Fernet, MultiFernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if not keys:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"ispstack.field-encryption"
        ).derive(secret_key.encode())
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(key) for key in keys])


class EncryptedTextField(models.TextField):
    """A text secret (device password, adapter API token) stored encrypted at
    rest with Fernet (AES-128-CBC + HMAC-SHA256); Python sees the plain text.

    The column holds the Fernet token, so a database dump or a SQL read shows
    no secret; the value cannot be filtered or ordered on. An empty string
    stays empty (no secret set). Raises ``ValueError`` on read when no
    configured key opens the token (keys rotated without the old one).
    """

    description = "Text encrypted at rest (Fernet)"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return _fernet().encrypt(str(value).encode()).decode()

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        from cryptography.fernet import InvalidToken

        try:
            return _fernet().decrypt(value.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "an encrypted field could not be opened with the configured keys"
            ) from exc
