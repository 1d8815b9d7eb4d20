"""Typed events: handlers run in the publisher's transaction or after commit
through the outbox, in an order that does not depend on registration."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from django.db import transaction

from ispstack.billing.models import Invoice, SubscriptionBilling
from ispstack.billing.services import run_billing
from ispstack.collections.services import run_collections
from ispstack.core import events
from ispstack.core.models import Job
from ispstack.payments.events import AllocationApplied
from ispstack.payments.models import Payment
from ispstack.payments.services import record_payment
from ispstack.radius.models import RadCheck, RadUserGroup
from ispstack.subscriptions import events as sub_events
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.services import apply_plan

pytestmark = pytest.mark.django_db
D = dt.date


def _published_types() -> list[type[events.Event]]:
    return sorted(events._types.values(), key=lambda t: t.name)


def _plan(event_type: type[events.Event]) -> list[tuple[bool, str]]:
    return [
        (kind, entry.key)
        for kind in (True, False)
        for entry in events.handlers_of(event_type, in_transaction=kind)
    ]


def test_every_event_round_trips_through_json():
    """What the outbox stores and a webhook sends reads back as the same event."""
    for event_type in _published_types():
        values = {}
        for field in dataclasses.fields(event_type):
            if field.name in ("id", "occurred_at") or not field.init:
                continue
            hint = str(field.type)
            values[field.name] = (
                D(2026, 3, 1)
                if "date" in hint
                else [1, 2]
                if "list" in hint
                else "x"
                if "str" in hint
                else 7
            )
        event = event_type(**values)
        assert events.Event.from_json(event.to_json()) == event


def test_handler_order_does_not_depend_on_registration(monkeypatch):
    registered = list(events._subscriptions)
    expected = {t: _plan(t) for t in _published_types()}
    keep = next(k for _, k in expected[sub_events.SubscriptionReconnected] if "keep_state" in k)
    prorate = next(k for _, k in expected[sub_events.SubscriptionReconnected] if "on_reconn" in k)
    order = [k for _, k in expected[sub_events.SubscriptionReconnected]]
    assert order.index(keep) < order.index(prorate)  # the row first, then its proration
    for seed in range(20):
        shuffled = registered[:]
        random.Random(seed).shuffle(shuffled)
        monkeypatch.setattr(events, "_subscriptions", shuffled)
        assert {t: _plan(t) for t in _published_types()} == expected


def _story(tenant, make_subscription, make_plan, capture):
    """Sign-up, plan change, two bills, suspension for non-payment, payment."""
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    apply_plan(subscription=sub, plan=make_plan(tenant), effective=D(2026, 1, 16))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    run_collections(tenant=tenant, as_of=D(2026, 2, 28))
    suspended = Subscription.objects.get(pk=sub.pk).status
    due = sum(i.amount_due for i in Invoice.objects.filter(customer=sub.customer))
    with capture(execute=True):
        record_payment(tenant=tenant, customer=sub.customer, amount=due, received_on=D(2026, 3, 2))
    sub = Subscription.objects.get(pk=sub.pk)
    state = SubscriptionBilling.objects.get(subscription=sub)
    return (
        suspended,
        sub.status,
        str(due),
        sorted(str(i.total) for i in Invoice.objects.filter(customer=sub.customer)),
        (state.billed_through, state.next_bill_date),
        sorted(RadCheck.objects.filter(username=sub.username).values_list("attribute", "value")),
        RadUserGroup.objects.filter(username=sub.username).count(),
    )


def test_the_same_story_gives_the_same_rows_whatever_the_registration_order(
    make_tenant, make_subscription, make_plan, django_capture_on_commit_callbacks, monkeypatch
):
    registered = list(events._subscriptions)
    outcomes = []
    for order in (
        registered,
        registered[::-1],
        random.Random(7).sample(registered, len(registered)),
    ):
        monkeypatch.setattr(events, "_subscriptions", order)
        outcomes.append(
            _story(make_tenant(), make_subscription, make_plan, django_capture_on_commit_callbacks)
        )
    assert outcomes[0][:2] == ("suspended", "active")
    assert outcomes[1] == outcomes[0] and outcomes[2] == outcomes[0]


@pytest.fixture
def suspended_for_debt(tenant, make_subscription):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    run_collections(tenant=tenant, as_of=D(2026, 1, 26))
    sub = Subscription.objects.get(pk=sub.pk)
    assert (sub.status, sub.suspension_cause) == ("suspended", "non_payment")
    return sub


def test_reconnection_after_a_payment_runs_after_commit_through_the_outbox(
    tenant, suspended_for_debt, django_capture_on_commit_callbacks
):
    sub = suspended_for_debt
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record_payment(
            tenant=tenant, customer=sub.customer, amount="35.70", received_on=D(2026, 1, 28)
        )
        # The payment's transaction holds the payment only: the reconnection is queued.
        assert Subscription.objects.get(pk=sub.pk).status == "suspended"
        jobs = Job.objects.filter(kind=events.HANDLE_JOB)
        assert sorted(j.payload["handler"].rsplit(".", 2)[-2] for j in jobs) == [
            "dunning",
            "services",
        ]
        assert {j.payload["event"]["type"] for j in jobs} == {"allocation.applied"}
    for callback in callbacks:
        callback()
    sub = Subscription.objects.get(pk=sub.pk)
    assert (sub.status, sub.suspension_cause) == ("active", "")
    assert not RadCheck.objects.filter(username=sub.username, attribute="Auth-Type").exists()
    assert set(Job.objects.filter(kind=events.HANDLE_JOB).values_list("status", flat=True)) == {
        "done"
    }


def test_a_rolled_back_payment_queues_nothing(tenant, suspended_for_debt):
    sub = suspended_for_debt
    with pytest.raises(RuntimeError), transaction.atomic():
        record_payment(
            tenant=tenant, customer=sub.customer, amount="35.70", received_on=D(2026, 1, 28)
        )
        raise RuntimeError("the caller fails after the payment")
    assert not Payment.objects.filter(customer=sub.customer).exists()
    assert not Job.objects.filter(kind=events.HANDLE_JOB).exists()
    assert Subscription.objects.get(pk=sub.pk).status == "suspended"


def test_a_failing_after_commit_handler_is_retried_alone(
    tenant, suspended_for_debt, django_capture_on_commit_callbacks, monkeypatch
):
    calls = []

    def broken(event: AllocationApplied) -> None:
        calls.append(event.customer_id)
        raise ConnectionError("the downstream system is away")

    monkeypatch.setattr(events, "_subscriptions", list(events._subscriptions))
    events.subscribe(AllocationApplied, broken, in_transaction=False)
    sub = suspended_for_debt
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(
            tenant=tenant, customer=sub.customer, amount="35.70", received_on=D(2026, 1, 28)
        )
    assert calls == [sub.customer_id]
    assert Subscription.objects.get(pk=sub.pk).status == "active"  # the others ran
    failed = Job.objects.get(kind=events.HANDLE_JOB, payload__handler__endswith=".broken")
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert "the downstream system is away" in failed.last_error


def test_an_event_family_cannot_be_published(tenant):
    with pytest.raises(ValueError, match="family"):
        events.publish(
            sub_events.SubscriptionChanged(
                tenant_id=tenant.pk, subscription_id=1, effective=D(2026, 1, 1)
            )
        )


def _seen_by(seen: list):
    def each(event) -> None:
        seen.append(("each", event.name))  # publish_many calls the batch form instead

    def batch(events_) -> None:
        seen.append(("batch", [event.name for event in events_]))

    return each, batch


def test_publish_many_calls_a_batch_form_once_per_run_of_one_type(
    tenant, monkeypatch, django_capture_on_commit_callbacks
):
    from ispstack.collections.events import DunningStepExecuted

    monkeypatch.setattr(events, "_subscriptions", [])
    seen: list = []
    each, batch = _seen_by(seen)
    events.subscribe(events.Event, each, in_transaction=True, order=1, many=batch)
    events.subscribe(
        AllocationApplied, lambda e: seen.append(("one", e.name)), in_transaction=True, order=2
    )
    events.subscribe(DunningStepExecuted, _after, in_transaction=False)
    with pytest.raises(ValueError, match="in-transaction"):
        events.subscribe(events.Event, each, in_transaction=False, many=batch)

    def step(n: int) -> DunningStepExecuted:
        return DunningStepExecuted(
            tenant_id=tenant.pk,
            execution_id=n,
            customer_id=n,
            position=1,
            action="email",
            ok=True,
            detail="",
            executed_on=D(2026, 1, 16),
        )

    paid = AllocationApplied(tenant_id=tenant.pk, customer_id=1, on=D(2026, 1, 16))
    with django_capture_on_commit_callbacks(execute=False):
        events.publish_many([step(1), step(2), paid, step(3)])
    assert seen == [
        ("batch", ["dunning.step_executed", "dunning.step_executed"]),
        ("batch", ["allocation.applied"]),
        ("one", "allocation.applied"),
        ("batch", ["dunning.step_executed"]),
    ]
    queued = Job.objects.filter(tenant=tenant, kind=events.HANDLE_JOB).order_by("pk")
    assert [job.payload["event"]["data"]["execution_id"] for job in queued] == [1, 2, 3]


def _after(event) -> None:
    """An after-commit handler: publish_many queues one job per event for it."""
