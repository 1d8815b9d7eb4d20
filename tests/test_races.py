"""Two writers at once, each on its own database connection: two payments on
one invoice, two sign-ups with one username, two billing runs of one tenant,
two sign-ups drawing from one pool. Nothing is allocated twice, no update is
lost, and the loser gets a clear Conflict (409 through the API).

``run_at_once`` starts the racers together; a ``Rendezvous`` wrapped around a
service step holds each racer there until the other arrives too (both have
passed their checks, neither has written) or is blocked on a lock the first
holds (waiting longer would deadlock), so each test hits the window it
means to, every time.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models import Count, Sum
from rest_framework.test import APIClient

from ispstack.billing import writer
from ispstack.billing.models import BillingRun, Invoice, InvoiceLine
from ispstack.billing.services import run_billing
from ispstack.core.errors import Conflict
from ispstack.core.models import AuditLog
from ispstack.network.models import IPAddress
from ispstack.network.prefixes import create_prefix_pool
from ispstack.payments.models import Allocation, Payment
from ispstack.payments.services import open_invoices, record_payment
from ispstack.radius import services as radius
from ispstack.radius.models import RadCheck, RadUserGroup
from ispstack.subscriptions import services as subscriptions
from ispstack.subscriptions.models import PlanChange, Subscription
from ispstack.subscriptions.services import create_subscription, schedule_plan

pytestmark = pytest.mark.django_db(transaction=True)
D = dt.date
TIMEOUT = 20


def run_at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread (so on its own connection, closed at
    the end), released together; returns each result or the exception raised."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def race(i: int, call: Callable[[], Any]) -> None:
        try:
            start.wait(TIMEOUT)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 2)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return results


class Rendezvous:
    """A point each of ``parties`` racers reaches before any goes on, unless
    another connection is waiting for a lock (a racer blocked behind the one
    that arrived: both are where the test wants them)."""

    def __init__(self, parties: int = 2) -> None:
        self.parties = parties
        self.arrived = 0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            self.arrived += 1
        deadline = time.monotonic() + TIMEOUT
        while self.arrived < self.parties and not _someone_waits_for_a_lock():
            assert time.monotonic() < deadline, "the other racer never came"
            time.sleep(0.01)

    def around(self, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.wait()
            return func(*args, **kwargs)

        return wrapper


def _someone_waits_for_a_lock() -> bool:
    # pg_locks is read live on each query, even inside a transaction.
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted)")
        return bool(cursor.fetchone()[0])


def _outcomes(results: list[Any]) -> list[str]:
    return sorted(type(r).__name__ for r in results)


@pytest.fixture
def billed(tenant, make_subscription):
    """A subscriber with one open invoice of 35.70 (30.00 + 19 % VAT)."""
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    return sub


def test_two_payments_at_once_on_one_invoice_allocate_exactly_what_is_due(tenant, billed):
    invoice = Invoice.objects.get(customer=billed.customer)
    assert invoice.total == Decimal("35.70")

    def pay(amount: str) -> Any:
        return lambda: record_payment(
            tenant=tenant, customer=billed.customer, amount=amount, received_on=D(2026, 1, 5)
        )

    results = run_at_once(pay("20.00"), pay("25.00"))
    assert _outcomes(results) == ["Payment", "Payment"]

    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.status, invoice.amount_paid) == ("paid", Decimal("35.70"))
    allocated = Allocation.objects.filter(invoice=invoice)
    assert allocated.aggregate(s=Sum("amount"))["s"] == Decimal("35.70")
    payments = Payment.objects.filter(customer=billed.customer)
    assert payments.aggregate(s=Sum("unallocated"))["s"] == Decimal("9.30")
    for payment in payments:
        used = Allocation.objects.filter(payment=payment).aggregate(s=Sum("amount"))["s"]
        assert used + payment.unallocated == payment.amount


def test_one_payment_reference_recorded_twice_at_once_is_a_conflict_for_the_second(
    tenant, billed, monkeypatch
):
    """Both pass the reference check before either commits; the unique index
    decides, and the loser gets the rule, not a database error."""
    # Held after the payment row is written: the other racer has checked the
    # reference by then and waits for the customer's lock.
    monkeypatch.setattr(
        "ispstack.payments.services.open_invoices", Rendezvous().around(open_invoices)
    )

    def pay() -> Any:
        return record_payment(
            tenant=tenant,
            customer=billed.customer,
            amount="35.70",
            received_on=D(2026, 1, 5),
            method="card",
            reference="ch_same_charge",
        )

    results = run_at_once(pay, pay)
    assert _outcomes(results) == ["Conflict", "Payment"]
    conflict = next(r for r in results if isinstance(r, Conflict))
    assert conflict.field == "reference"
    assert conflict.message == (
        "is recorded already: a reference is unique per ISP and payment method"
    )
    assert Payment.objects.count() == 1
    invoice = Invoice.objects.get(customer=billed.customer)
    assert (invoice.status, invoice.amount_paid) == ("paid", Decimal("35.70"))


def _signup(tenant: Any, customer: Any, plan: Any, **extra: Any) -> Callable[[], Any]:
    return lambda: create_subscription(
        tenant=tenant,
        customer=customer,
        plan=plan,
        password="s3cret-pw",
        start_date=D(2026, 1, 1),
        **extra,
    )


@pytest.mark.parametrize(
    "usernames",
    [("same@isp.example", "same@isp.example"), ("Case@isp.example", "case@ISP.example")],
    ids=["same", "differing-in-case"],
)
def test_two_signups_with_one_username_at_once_one_wins_the_other_gets_a_conflict(
    tenant, make_customer, make_plan, make_pool, monkeypatch, usernames
):
    # Held after validation: both found the username free.
    monkeypatch.setattr(
        subscriptions, "assign_prefixes", Rendezvous().around(subscriptions.assign_prefixes)
    )
    plan, pool = make_plan(tenant), make_pool(tenant)
    results = run_at_once(
        *(
            _signup(tenant, make_customer(tenant), plan, username=name, pool=pool)
            for name in usernames
        )
    )
    assert _outcomes(results) == ["Conflict", "Subscription"]
    conflict = next(r for r in results if isinstance(r, Conflict))
    assert conflict.as_dict() == {
        "code": "conflict",
        "field": "username",
        "detail": "is taken: a username is unique across all ISPs, ignoring case "
        "(FreeRADIUS has one namespace)",
    }
    assert Subscription.objects.count() == 1
    # the loser's address went back with its rolled-back transaction
    assert IPAddress.objects.count() == 1


def test_two_signups_at_once_through_the_api_answer_201_and_409(
    tenant, make_customer, make_plan, api_client_for, monkeypatch
):
    monkeypatch.setattr(
        subscriptions, "assign_prefixes", Rendezvous().around(subscriptions.assign_prefixes)
    )
    plan = make_plan(tenant)
    clients: list[APIClient] = [api_client_for(tenant), api_client_for(tenant)]

    def post(client: APIClient, username: str) -> Any:
        customer = make_customer(tenant)
        body = {"customer": customer.pk, "plan": plan.pk, "username": username}
        return lambda: client.post("/api/v1/subscriptions/", body, format="json")

    responses = run_at_once(
        post(clients[0], "Api@isp.example"), post(clients[1], "api@isp.example")
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json() == {
        "code": "conflict",
        "field": "username",
        "detail": "is taken: a username is unique across all ISPs, ignoring case "
        "(FreeRADIUS has one namespace)",
    }


def test_two_signups_at_once_from_one_ipv4_and_one_ipv6_pool_get_distinct_addresses(
    tenant, make_customer, make_plan, make_pool, monkeypatch
):
    monkeypatch.setattr(
        subscriptions, "assign_prefixes", Rendezvous().around(subscriptions.assign_prefixes)
    )
    plan, pool = make_plan(tenant), make_pool(tenant, cidr="100.64.77.0/29")
    prefixes = create_prefix_pool(
        tenant=tenant,
        name="pd",
        prefix="2001:db8:500::/48",
        assign_length=56,
        kind="delegated",
    )
    results = run_at_once(
        *(
            _signup(
                tenant,
                make_customer(tenant),
                plan,
                username=f"pool{n}@isp.example",
                pool=pool,
                delegated_ipv6_pool=prefixes.pk,
            )
            for n in (1, 2)
        )
    )
    assert _outcomes(results) == ["Subscription", "Subscription"]
    subs = list(Subscription.objects.select_related("ip_address").order_by("ip_address__address"))
    assert [s.ip_address.address for s in subs] == ["100.64.77.1", "100.64.77.2"]
    assert {s.delegated_ipv6_prefix for s in subs} == {
        "2001:db8:500::/56",
        "2001:db8:500:100::/56",
    }


def test_two_billing_runs_of_one_tenant_at_once_bill_each_period_once(
    tenant, make_subscription, make_plan, monkeypatch
):
    """The loser waits for the winner's chunk (the tenant's billing lock),
    finds every subscription's billing state moved on, writes nothing and
    finishes as a run of 0 invoices; a plan change due that day is applied
    by one of them."""
    subs = [make_subscription(tenant, start_date=D(2026, 1, 1)) for _ in range(3)]
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    faster = make_plan(tenant, download_kbps=100000, monthly_price="45.00")
    schedule_plan(subscription=subs[0], plan=faster, effective=D(2026, 2, 1))
    # Both runs listed the scheduled change, and both drafted the chunk,
    # before either writes.
    monkeypatch.setattr(subscriptions, "apply_plan", Rendezvous().around(subscriptions.apply_plan))
    monkeypatch.setattr(writer, "write_drafts", Rendezvous().around(writer.write_drafts))

    def bill() -> BillingRun:
        return run_billing(tenant=tenant, as_of=D(2026, 2, 1))

    results = run_at_once(bill, bill)
    assert _outcomes(results) == ["BillingRun", "BillingRun"]
    assert sorted(run.invoices_created for run in results) == [0, 3]
    assert all(run.status == "done" for run in results)

    lines = InvoiceLine.objects.filter(kind="recurring", period_start=D(2026, 2, 1))
    per_subscription = lines.values("subscription").annotate(n=Count("id"))
    assert sorted((row["subscription"], row["n"]) for row in per_subscription) == sorted(
        (s.pk, 1) for s in subs
    )
    assert Invoice.objects.filter(issue_date=D(2026, 2, 1)).count() == 3
    assert PlanChange.objects.get(subscription=subs[0]).status == "applied"
    assert Subscription.objects.get(pk=subs[0].pk).plan_id == faster.pk
    assert AuditLog.objects.filter(action="subscription.change_plan").count() == 1


def test_two_rewrites_of_one_subscribers_radius_rows_at_once_leave_one_set(
    tenant, make_subscription, monkeypatch
):
    """Each rewrite deletes the rows and writes them anew; the second waits for
    the first (the username's lock), so it deletes what the first wrote
    instead of adding a second password beside it."""
    sub = make_subscription(tenant)
    # Held after the delete, before the write: the other rewrite has deleted
    # too, or waits to.
    monkeypatch.setattr(radius, "_write", Rendezvous().around(radius._write))

    def rewrite() -> None:
        radius.sync_subscription(Subscription.objects.get(pk=sub.pk))

    assert run_at_once(rewrite, rewrite) == [None, None]
    checks = RadCheck.objects.filter(username=sub.username)
    assert sorted(checks.values_list("attribute", flat=True)) == ["Cleartext-Password"]
    assert RadUserGroup.objects.filter(username=sub.username).count() == 1
