"""core.json_rows: instances built from rows a statement returned as JSON
hold what the ORM loads for the same rows (decimals to the last digit,
aware datetimes, dates, addresses with a prefix)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.core import clock, json_rows
from ispstack.radius.models import RadAcct

pytestmark = pytest.mark.django_db


def _as_json(model) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT json_agg(r)::text FROM (SELECT * FROM {model._meta.db_table}"
            f" ORDER BY {model._meta.pk.column}) r"
        )
        return cursor.fetchone()[0]


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_invoices_and_sessions_read_as_json_equal_the_orms(
    tenant, make_customer, make_subscription
):
    customer = make_customer(tenant, name="Thandi")
    make_subscription(tenant, customer=customer, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    RadAcct.objects.create(
        acctsessionid="s1",
        acctuniqueid="u1",
        username="thandi",
        nasipaddress="10.0.0.1",
        acctstarttime=clock.now(),
        framedipaddress="100.64.0.9",
        acctinputoctets=123456789012,
    )
    # FreeRADIUS writes prefixes; the ORM's address field cannot.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE radacct SET framedipv6prefix = '2001:db8:1::/64'")
    for model in (Invoice, RadAcct):
        from_orm = [_fields(row) for row in model.objects.order_by("pk")]
        built = json_rows.instances(model, _as_json(model))
        assert from_orm and [_fields(row) for row in built] == from_orm
        assert all(not row._state.adding for row in built)
    invoice = json_rows.instances(Invoice, _as_json(Invoice))[0]
    assert str(invoice.total) == str(Invoice.objects.get(pk=invoice.pk).total)


def test_no_rows_are_no_instances():
    assert json_rows.instances(Invoice, None) == [] and json_rows.loads("[]") == []


def test_the_services_read_in_one_prepared_statement_equal_the_orms(
    tenant, make_customer, make_subscription, make_pool, django_assert_num_queries, settings
):
    from ispstack.billing.selectors import estimate_list
    from ispstack.network.services import allocate_address
    from ispstack.portal import selectors
    from ispstack.subscriptions.models import Subscription

    customer = make_customer(tenant, name="Thandi")
    with_ip = make_subscription(tenant, customer=customer, start_date=dt.date(2026, 1, 1))
    with_ip.ip_address = allocate_address(pool=make_pool(tenant), assigned_to="thandi")
    with_ip.save(update_fields=["ip_address"])
    make_subscription(tenant, customer=customer, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    make_subscription(tenant, customer=customer, start_date=dt.date(2026, 2, 1))
    make_subscription(tenant, start_date=dt.date(2026, 1, 1))  # another customer's
    from_orm = list(selectors.subscriptions_of(customer).order_by("pk"))

    def tree(sub: Subscription) -> list:
        state = getattr(sub, "billing_state", None)
        return [
            _fields(sub),
            _fields(sub.plan),
            _fields(sub.plan.tax_rate),
            state and _fields(state),
            sub.ip_address and _fields(sub.ip_address),
        ]

    for prepared in (True, False):
        settings.DB_PREPARED_STATEMENTS = prepared
        with django_assert_num_queries(1):
            built = estimate_list(customer)
            assert [tree(s) for s in built] == [tree(s) for s in from_orm]
    assert len(built) == 3
    from django.test.utils import CaptureQueriesContext

    settings.DB_PREPARED_STATEMENTS = True
    with CaptureQueriesContext(connection) as logged:
        estimate_list(customer)
    # The query log shows the prepared statement with its parameters.
    (query,) = logged.captured_queries
    assert f"s.customer_id = {customer.pk} AND s.tenant_id = {tenant.pk}" in query["sql"]
    assert built[0].ip_address is not None and built[0].billing_state is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%json_build_array%"],
        )
        assert cursor.fetchone()[0] == 1
