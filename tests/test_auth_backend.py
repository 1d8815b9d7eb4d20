"""The staff authentication backend: the same permissions as Django's
ModelBackend, in fewer queries (``core.auth_backend``)."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from ispstack.core.auth_backend import RoleModelBackend

pytestmark = pytest.mark.django_db


def test_permissions_of_user_and_roles_in_one_query(
    make_tenant, make_staff, django_assert_num_queries
):
    tenant = make_tenant()
    user = make_staff(tenant, role="support")
    own = Permission.objects.get(content_type__app_label="billing", codename="add_charge")
    user.user_permissions.add(own)
    expected = ModelBackend().get_all_permissions(user)
    fresh = type(user).objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        got = RoleModelBackend().get_all_permissions(fresh)
    assert got == expected
    assert "billing.add_charge" in got and "customers.change_customer" in got
    assert "billing.add_creditnote" not in got


def test_inactive_user_holds_none_and_superuser_holds_all(make_tenant, make_staff):
    tenant = make_tenant()
    user = make_staff(tenant, role="admin")
    user.is_active = False
    assert RoleModelBackend().get_all_permissions(user) == set()
    user.is_active = True
    user.is_superuser = True
    assert len(RoleModelBackend().get_all_permissions(user)) == Permission.objects.count()


def test_session_user_comes_with_tenant(make_tenant, make_staff, django_assert_num_queries):
    tenant = make_tenant()
    user = make_staff(tenant, role="billing")
    with django_assert_num_queries(1):
        loaded = RoleModelBackend().get_user(user.pk)
        assert loaded.tenant.slug == tenant.slug
    user.is_active = False
    user.save()
    assert RoleModelBackend().get_user(user.pk) is None
    assert RoleModelBackend().get_user(10**9) is None
