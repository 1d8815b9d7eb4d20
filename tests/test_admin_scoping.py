"""The admin keeps a tenant's staff inside their tenant: list filters (a
subscription's plan, a dunning execution's campaign, ...), foreign-key and
many-to-many choices and the rows themselves show only their tenant's.

Every registered ModelAdmin derives from ``core.admin_base.TenantAdminMixin``;
the walk opens every changelist (with its filter sidebar) and every add page
as a staff user of tenant A, with tenant B's rows named so that any leak is
found by grepping the page.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from ispstack.catalog.models import AddOn, Plan, Promotion, TaxRate
from ispstack.collections.models import DunningCampaign
from ispstack.core.admin_base import TenantAdminMixin, TenantRelatedFieldListFilter
from ispstack.core.roles import ROLES
from ispstack.customers.models import Customer
from ispstack.network.models import IPPool, Nas
from tests.api_world import World

pytestmark = pytest.mark.django_db

MARK = "zebramark"
# Django's own tables that have no tenant: groups are the shared role names.
SHARED = {"auth.group"}
# Login lockouts and one-time-password devices: the platform operator's
# screens; no role grants a permission on them.
PLATFORM_APPS = {"axes", "otp_totp"}


def test_every_model_admin_uses_the_tenant_mechanism():
    unscoped = [
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if model._meta.label_lower not in SHARED
        and model._meta.app_label not in PLATFORM_APPS
        and not isinstance(model_admin, TenantAdminMixin)
    ]
    assert unscoped == []
    assert not PLATFORM_APPS & {app for apps in ROLES.values() for app in apps}


def _mark_tenant(world: World) -> None:
    """Give tenant B's rows names that only B has."""
    tenant = world.tenant
    tenant.name = f"{MARK} ISP"
    tenant.save()
    for model, field in [
        (Plan, "name"),
        (AddOn, "name"),
        (Promotion, "name"),
        (TaxRate, "name"),
        (DunningCampaign, "name"),
        (Customer, "name"),
        (IPPool, "name"),
    ]:
        for row in model.objects.filter(tenant=tenant):
            setattr(row, field, f"{MARK} {row.pk}")
            row.save(update_fields=[field])
    Nas.objects.filter(tenant=tenant).update(shortname=f"{MARK}-nas")


@pytest.fixture
def two_worlds(make_tenant, make_plan, make_subscription):
    factories = {"plan": make_plan, "subscription": make_subscription}
    own = World(make_tenant(), APIClient(), factories, nas_address="192.0.2.10")
    other = World(make_tenant(), APIClient(), factories, nas_address="192.0.2.11")
    own.add_rows_behind_every_route()
    other.add_rows_behind_every_route()
    _mark_tenant(other)
    return own, other


def _pages(model: Any) -> list[str]:
    info = (model._meta.app_label, model._meta.model_name)
    pages = [reverse("admin:{}_{}_changelist".format(*info))]
    with contextlib.suppress(NoReverseMatch):
        pages.append(reverse("admin:{}_{}_add".format(*info)))
    return pages


def test_admin_pages_show_no_other_tenants_names(two_worlds, make_staff):
    own, other = two_worlds
    staff = make_staff(own.tenant, "admin")
    client = Client()
    client.force_login(staff)
    leaks, opened, filters = [], 0, 0
    for model in admin.site._registry:
        if model._meta.label_lower in SHARED:
            continue
        for url in _pages(model):
            response = client.get(url)
            if response.status_code == 403:  # no add page for service-written rows
                continue
            assert response.status_code == 200, (url, response.status_code)
            opened += 1
            if MARK in response.content.decode():
                leaks.append(url)
            if "cl" in (response.context or {}):
                filters += sum(
                    isinstance(spec, TenantRelatedFieldListFilter)
                    for spec in response.context["cl"].filter_specs
                )
    assert leaks == []
    assert opened > 50
    # Subscriptions by plan, dunning executions by campaign, addresses by pool...
    assert filters >= 4


def test_the_plan_filter_lists_own_plans_only(two_worlds, make_staff):
    own, other = two_worlds
    client = Client()
    client.force_login(make_staff(own.tenant, "admin"))
    response = client.get(reverse("admin:subscriptions_subscription_changelist"))
    plan_filter = next(
        spec
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "field_path", "") == "plan"
    )
    offered = {pk for pk, _name in plan_filter.lookup_choices}
    assert offered == set(Plan.objects.filter(tenant=own.tenant).values_list("pk", flat=True))
    assert not offered & set(Plan.objects.filter(tenant=other.tenant).values_list("pk", flat=True))


def test_the_platform_operator_sees_every_tenant(two_worlds, make_staff):
    _own, other = two_worlds
    client = Client()
    client.force_login(make_staff(None, role="", is_superuser=True))
    response = client.get(reverse("admin:subscriptions_subscription_changelist"))
    assert MARK in response.content.decode()
