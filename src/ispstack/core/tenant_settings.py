"""Per-app settings of a tenant, kept by the app whose policy they are.

The tenant row holds who the ISP is (name, currency, timezone, address);
how billing numbers its invoices or how RADIUS suspends a subscriber belongs
to billing and radius, which sit on higher floors than core. Each such app
keeps a settings model whose primary key is a one-to-one link to ``Tenant``
(``BillingSettings.tenant``, related name ``billing_settings``) and registers
it here from its ``AppConfig.ready`` with ``register``.

Every tenant has one row of each registered model: a ``post_save`` receiver
on ``Tenant`` creates them with their defaults when a tenant is created (the
admin, ``ispstack demo``, tests), and ``settings_of`` creates a missing one on
first read (a tenant inserted without the ORM's ``save``, such as a
``bulk_create``), so no caller ever has to remember.

Reads go through ``settings_of`` (each app wraps it as
``<app>.selectors.settings_for``): it returns the row cached on the tenant
instance by Django's reverse one-to-one accessor, so a billing run reading
the settings for every invoice of one tenant asks the database once. Code
that loads many rows with their tenant should ``select_related`` the
accessor too (``select_related("tenant__radius_settings")``), or all of them
(``related``), as the session's user does: it is read with its tenant's
settings (but those holding a secret) and cached with them
(``core.auth_cache``), so a console page or API call finds them without a
query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

if TYPE_CHECKING:
    from ispstack.core.models import Tenant

S = TypeVar("S", bound=models.Model)

_models: list[type[models.Model]] = []
# Those without a secret (``holds_secret``), decided once at registration:
# ``related`` is on the path of every request that reads its user.
_cacheable: list[type[models.Model]] = []


def register(model: type[models.Model]) -> None:
    """Make ``model`` (a model whose primary key ``tenant`` is a one-to-one
    link to ``Tenant``) one of the settings every tenant gets.

    Raises TypeError when ``model`` has no such key: its rows could not be
    found from the tenant.
    """
    from ispstack.core.models import Tenant

    pk = model._meta.pk
    if pk is None or pk.name != "tenant" or getattr(pk, "related_model", None) is not Tenant:
        raise TypeError(f"{model.__name__}'s primary key must be a one-to-one link to Tenant")
    if model not in _models:
        _models.append(model)
        if not holds_secret(model):
            _cacheable.append(model)
            # The session's user is cached with these (core.auth_cache): a
            # changed row must reach the next request.
            from django.db.models.signals import post_delete, post_save

            from ispstack.core import auth_cache

            for signal in (post_save, post_delete):
                signal.connect(
                    auth_cache.bump, sender=model, dispatch_uid=f"auth_cache.settings.{model}"
                )


def holds_secret(model: type[models.Model]) -> bool:
    """Whether ``model`` has an encrypted field (``core.fields.EncryptedTextField``,
    a password or API token): its rows are read from the database when
    asked, never kept in a cache, where the secret would sit decrypted."""
    from ispstack.core.fields import EncryptedTextField

    return any(isinstance(field, EncryptedTextField) for field in model._meta.get_fields())


def registered() -> list[type[models.Model]]:
    """The registered settings models, in registration (app loading) order."""
    return list(_models)


def related(prefix: str) -> list[str]:
    """The ``select_related`` paths that read the registered settings rows
    of the tenant at ``prefix`` (``"tenant"``: ``tenant__billing_settings``
    ...), so that ``settings_of`` finds them without a query; all but those
    holding a secret (``holds_secret``), as these paths are for the cached
    session user."""
    return [f"{prefix}__{accessor(model)}" for model in _cacheable]


def accessor(model: type[models.Model]) -> str:
    """The attribute of a ``Tenant`` that holds its ``model`` row (``billing_settings``)."""
    field = model._meta.get_field("tenant")
    return str(field.remote_field.get_accessor_name())  # type: ignore[union-attr]


def settings_of(tenant: Tenant, model: type[S]) -> S:
    """The ``model`` settings row of ``tenant``, created with the defaults if
    it is missing; cached on ``tenant`` for the instance's lifetime.

    Raises ValueError when ``tenant`` is not saved yet (it has no row to link).
    """
    if tenant.pk is None:
        raise ValueError("an unsaved tenant has no settings")
    name = accessor(model)
    try:
        cached: S = getattr(tenant, name)
        return cached
    except ObjectDoesNotExist:  # model.DoesNotExist: no row yet
        row, _created = model._default_manager.get_or_create(tenant=tenant)
        setattr(tenant, name, row)
        return row


def ensure_rows(tenant: Tenant) -> None:
    """Give ``tenant`` a row of every registered settings model it lacks."""
    for model in _models:
        settings_of(tenant, model)


def on_tenant_saved(sender: Any, instance: Tenant, created: bool, raw: bool, **_: Any) -> None:
    """``post_save`` receiver of ``Tenant``: a new tenant gets its settings
    rows with their defaults. Fixture loading (``raw``) brings its own rows."""
    if created and not raw:
        for model in _models:
            row = model._default_manager.create(tenant=instance)
            setattr(instance, accessor(model), row)
