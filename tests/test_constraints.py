"""Rules held by database constraints: every constraint maps to a Conflict
with its field and rule; usernames unique ignoring case, NAS addresses unique,
radcheck items once per username, IPv6 prefixes with one holder; the
migrations that introduce them stop on existing duplicates, naming them; CoA
only uses a NAS of the subscriber's tenant."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction

from ispstack.core import integrity
from ispstack.core.errors import Conflict
from ispstack.core.integrity import conflict_from_integrity_error, integrity_conflicts, rule_for
from ispstack.core.models import Job
from ispstack.network.models import Nas
from ispstack.network.nas import create_nas
from ispstack.radius.coa import send_disconnect
from ispstack.radius.models import CoaRequest, RadAcct, RadCheck
from ispstack.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db


def _project_models() -> list[Any]:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m.__module__.startswith("ispstack.")
    ]


def test_every_constraint_of_our_models_has_a_field_and_a_rule():
    declared = integrity._declared_rules()
    missing, unused = [], set(declared)
    for model in _project_models():
        for constraint in model._meta.constraints:
            unused.discard(constraint.name)
            if constraint.name not in declared:
                missing.append(f"{model._meta.label}: {constraint.name}")
    assert missing == [], "add a Rule to the app's constraints.py"
    assert unused == set(), "rules for constraints no model declares"
    for rule in integrity.rules().values():
        assert rule.message.strip()
        assert rule.field is None or rule.field.isidentifier()


def test_every_unique_check_and_exclusion_constraint_in_the_database_has_a_rule():
    """Walks what migrate really created on our tables (unique indexes included:
    conditional and expression unique constraints are indexes), so the
    names Django and PostgreSQL derive from fields are checked too."""
    tables = {m._meta.db_table for m in _project_models()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.relname FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid"
            " WHERE x.indisunique AND NOT x.indisprimary"
            " UNION SELECT conrelid::regclass::text, conname FROM pg_constraint"
            " WHERE contype IN ('c', 'x')"
        )
        found = [(table, name) for table, name in cursor.fetchall() if table in tables]
    assert len(found) > 100
    assert [name for _, name in found if rule_for(name) is None] == []


def _violate(sql: str, params: list[Any]) -> Conflict:
    with (
        pytest.raises(Conflict) as err,
        integrity_conflicts(),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    return err.value


def test_a_violation_answers_the_rules_field_and_message(tenant, make_subscription):
    sub = make_subscription(tenant)
    conflict = _violate(
        "UPDATE subscriptions_subscription SET billing_day = 40 WHERE id = %s", [sub.pk]
    )
    assert conflict.as_dict() == {
        "code": "conflict",
        "field": "billing_day",
        "detail": "must be between 1 and 31",
    }
    assert conflict.status_code == 409


def test_an_unknown_constraint_is_a_conflict_naming_it_and_a_null_names_the_column():
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO auth_group (name) VALUES ('twice')")
    unknown = _violate("INSERT INTO auth_group (name) VALUES ('twice')", [])
    assert unknown.as_dict() == {
        "code": "conflict",
        "field": None,
        "detail": "the change breaks the database rule 'auth_group_name_key'",
    }
    null = _violate("INSERT INTO auth_group (name) VALUES (NULL)", [])
    assert (null.field, null.message) == ("name", "is required")


def test_conflict_from_integrity_error_without_psycopg_detail_still_answers_409():
    conflict = conflict_from_integrity_error(IntegrityError("something"))
    assert (conflict.status_code, conflict.field) == (409, None)
    assert "something" in conflict.message


def test_usernames_differing_only_in_case_are_refused_by_the_database(tenant, make_subscription):
    first = make_subscription(tenant, username="Mixed.Case@isp.example")
    copy = Subscription.objects.get(pk=first.pk)
    copy.pk, copy.ip_address, copy.username = None, None, "mixed.case@ISP.example"
    with pytest.raises(Conflict) as err, integrity_conflicts(), transaction.atomic():
        copy.save()
    assert err.value.field == "username"
    assert "ignoring case" in err.value.message
    assert Subscription.objects.filter(username__iexact="mixed.case@isp.example").count() == 1


def test_a_nas_address_belongs_to_one_tenant_in_the_database(make_tenant):
    one, other = make_tenant(), make_tenant()
    create_nas(tenant=one, nasname="192.0.2.50", shortname="a", secret="s3cret-nas")
    with pytest.raises(Conflict) as err, integrity_conflicts(), transaction.atomic():
        Nas.objects.create(tenant=other, nasname="192.0.2.50", shortname="b", secret="x" * 8)
    assert err.value.field == "nasname"
    assert Nas.objects.filter(nasname="192.0.2.50").count() == 1


def test_radcheck_holds_each_item_once_per_username_ignoring_case(tenant):
    RadCheck.objects.create(tenant=tenant, username="Ann@isp.example", attribute="Auth-Type")
    with pytest.raises(Conflict) as err, integrity_conflicts(), transaction.atomic():
        RadCheck.objects.create(tenant=tenant, username="ann@isp.example", attribute="Auth-Type")
    assert err.value.field == "username"
    assert RadCheck.objects.count() == 1


def test_overlapping_prefixes_of_two_subscriptions_are_refused_by_the_database(
    tenant, make_subscription
):
    a, b = make_subscription(tenant), make_subscription(tenant)
    Subscription.objects.filter(pk=a.pk).update(delegated_ipv6_prefix="2001:db8:7::/48")
    with pytest.raises(Conflict) as err, integrity_conflicts(), transaction.atomic():
        Subscription.objects.filter(pk=b.pk).update(delegated_ipv6_prefix="2001:db8:7:100::/56")
    assert err.value.field == "delegated_ipv6_prefix"
    # framed and delegated prefixes are separate pools: the same block in each is no clash
    Subscription.objects.filter(pk=b.pk).update(framed_ipv6_prefix="2001:db8:7::/64")
    assert Subscription.objects.get(pk=b.pk).delegated_ipv6_prefix is None


def _migration(app: str, name: str) -> Any:
    return importlib.import_module(f"ispstack.{app}.migrations.{name}")


def _drop(model: type[models.Model], name: str) -> None:
    """Drop a constraint for this test's transaction, to plant the rows an older
    database could hold."""
    with connection.cursor() as cursor:
        # ALTER TABLE refuses to run with foreign-key checks still pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        constraint = next(c for c in model._meta.constraints if c.name == name)
        editor.remove_constraint(model, constraint)


def test_the_username_migration_stops_on_case_duplicates_and_names_them(tenant, make_subscription):
    a = make_subscription(tenant, username="Dup@isp.example")
    b = make_subscription(tenant, username="other@isp.example")
    _drop(Subscription, "subscriptions_username_ci_unique")
    Subscription.objects.filter(pk=b.pk).update(username="dup@ISP.example")
    with connection.schema_editor() as editor, pytest.raises(RuntimeError) as err:
        _migration("subscriptions", "0005_refuse_duplicate_usernames").refuse_duplicates(
            apps, editor
        )
    assert "usernames differing only in case: Dup@isp.example / dup@ISP.example" in str(err.value)
    Subscription.objects.filter(pk=b.pk).update(username="other@isp.example")
    with connection.schema_editor() as editor:
        _migration("subscriptions", "0005_refuse_duplicate_usernames").refuse_duplicates(
            apps, editor
        )
    assert Subscription.objects.filter(pk=a.pk).exists()


def test_the_nas_migration_stops_on_a_shared_address_and_names_the_nas(make_tenant):
    one, other = make_tenant(), make_tenant()
    Nas.objects.create(tenant=one, nasname="192.0.2.60", shortname="east", secret="x" * 8)
    _drop(Nas, "nas_nasname_unique")
    Nas.objects.create(tenant=other, nasname="192.0.2.60", shortname="west", secret="y" * 8)
    with connection.schema_editor() as editor, pytest.raises(RuntimeError) as err:
        _migration("radius", "0008_refuse_duplicate_nas_and_radcheck").refuse_duplicates(
            apps, editor
        )
    assert f"NAS address 192.0.2.60: east (tenant {one.pk}), west (tenant {other.pk})" in str(
        err.value
    )


def test_coa_never_uses_a_nas_of_another_tenant(make_tenant, tenant, make_subscription):
    """The session's NAS address is registered, but by another ISP: its secret
    must not sign a request acting on this tenant's subscriber."""
    sub = make_subscription(tenant)
    stranger = make_tenant()
    silent = Nas.objects.create(
        tenant=stranger, nasname="127.0.0.1", shortname="theirs", secret="x" * 8, coa_port=9
    )
    RadAcct.objects.create(
        acctsessionid="s-1",
        acctuniqueid="u-1",
        username=sub.username,
        nasipaddress="127.0.0.1",
    )
    job = Job.objects.create(
        tenant=tenant,
        kind="radius.disconnect",
        payload={"username": sub.username, "reason": "test"},
        next_attempt_at=sub.created_at,
    )
    send_disconnect(job)
    sent = CoaRequest.objects.get()
    assert (sent.status, sent.nas_id, sent.tenant_id) == ("no_nas", None, tenant.pk)
    assert sent.error == "no NAS of this ISP registered for 127.0.0.1"
    assert not CoaRequest.objects.filter(nas=silent).exists()
