"""Service orders: the workflow from a pending subscription to active and
billed, resumable after a crash, with dry run and cancellation."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connections

from ispstack.billing.models import Invoice
from ispstack.core import clock
from ispstack.core.errors import InvalidTransition
from ispstack.core.models import Job, Tenant
from ispstack.network.models import IPAddress
from ispstack.provisioning import orders, steps
from ispstack.provisioning.adapters.base import AdapterError, Adapters
from ispstack.provisioning.choices import OrderStatus, StepStatus
from ispstack.provisioning.models import OrderStep, ServiceOrder
from ispstack.radius.models import RadCheck, RadReply, RadUserGroup
from ispstack.subscriptions.models import Subscription, SubscriptionEvent, SubscriptionStatus
from tests.provisioning_fakes import FakeAcs, FakeIpam

pytestmark = pytest.mark.django_db


def step_of(order: ServiceOrder, name: str) -> OrderStep:
    return OrderStep.objects.get(order=order, name=name)


@pytest.fixture
def new_order(
    tenant: Tenant, make_subscription: Callable[..., Subscription], make_pool: Callable[..., Any]
) -> Callable[..., ServiceOrder]:
    def make(**extra: Any) -> ServiceOrder:
        pool = extra.pop("pool", None) or make_pool(tenant)
        sub = make_subscription(tenant, active=False, pool=None)
        return orders.create_order(subscription=sub, pool=pool, **extra)

    return make


def test_order_runs_every_step_to_an_active_billed_subscription(
    tenant: Tenant, new_order: Callable[..., ServiceOrder], run_on_commit: Any
) -> None:
    order = new_order()
    result = orders.advance(order=order, adapters=Adapters())
    assert result.status == OrderStatus.COMPLETED
    statuses = dict(order.steps.values_list("name", "status"))
    assert statuses == {
        "survey_ok": "skipped",
        "allocate": "done",
        "radius": "done",
        "installation": "done",
        "cpe": "skipped",
        "activate": "done",
        "welcome": "done",
    }
    sub = Subscription.objects.get(pk=order.subscription_id)
    assert sub.status == SubscriptionStatus.ACTIVE
    assert sub.start_date == clock.today(tenant)
    assert sub.ip_address is not None
    assert (
        RadCheck.objects.filter(username=sub.username, attribute="Cleartext-Password").count() == 1
    )
    assert RadReply.objects.get(username=sub.username, attribute="Framed-IP-Address").value == (
        sub.ip_address.address
    )
    # Billing starts on the activation day: the first (prorated) period is invoiced.
    invoice = Invoice.objects.get(customer_id=sub.customer_id)
    assert invoice.lines.filter(period_start=clock.today(tenant)).exists()
    appointment = ServiceOrder.objects.get(pk=order.pk).appointment_at
    assert appointment == steps.installation_slot(tenant)
    local = appointment.astimezone(ZoneInfo(tenant.timezone))
    assert (local.date() - clock.today(tenant), local.hour) == (dt.timedelta(days=3), 10)
    assert Job.objects.filter(kind=steps.WELCOME_JOB, payload={"order_id": order.pk}).count() == 1


def test_crash_after_each_side_effect_then_rerun_gives_one_of_everything(
    tenant: Tenant, new_order: Callable[..., ServiceOrder], monkeypatch: Any
) -> None:
    order = new_order(cpe_serial="SN-1")
    acs = FakeAcs(online={"SN-1"})
    ipam = FakeIpam()
    adapters = Adapters(ipam=ipam, acs=acs)
    for name, step in list(steps.STEPS.items()):
        if step_of(order, name).status == StepStatus.SKIPPED:
            continue

        def crashing(o: Any, a: Any, actor: Any, _run: Any = step.run) -> Any:
            _run(o, a, actor)
            raise RuntimeError("killed")

        monkeypatch.setitem(steps.STEPS, name, steps.Step(step.plan, crashing))
        orders.advance(order=order, adapters=adapters)
        monkeypatch.setitem(steps.STEPS, name, step)
        crashed = step_of(order, name)
        assert (name, crashed.status) == (name, StepStatus.PENDING)
        assert crashed.status == StepStatus.PENDING
        assert "killed" in crashed.last_error
        # A kill -9 leaves the claimed step running; the next run takes it up.
        OrderStep.objects.filter(pk=crashed.pk).update(status=StepStatus.RUNNING)
        assert orders.run_step(order.pk, name, adapters=adapters, force=True) == StepStatus.DONE
    order = orders.advance(order=order, adapters=adapters)
    assert order.status == OrderStatus.COMPLETED
    sub = Subscription.objects.get(pk=order.subscription_id)
    assert IPAddress.objects.filter(assigned_to=sub.username).count() == 1
    assert len(ipam.given) == 1
    assert RadCheck.objects.filter(username=sub.username).count() == 1
    assert RadUserGroup.objects.filter(username=sub.username).count() == 1
    assert SubscriptionEvent.objects.filter(subscription=sub, to_status="active").count() == 1
    assert Job.objects.filter(kind=steps.WELCOME_JOB).count() == 1
    assert acs.tagged["SN-1"][1] == order.wifi_ssid


def test_device_not_informed_keeps_cpe_pending_and_retried(
    new_order: Callable[..., ServiceOrder],
) -> None:
    order = new_order(cpe_serial="SN-2")
    acs = FakeAcs()
    orders.advance(order=order, adapters=Adapters(acs=acs))
    cpe = step_of(order, "cpe")
    assert cpe.status == StepStatus.PENDING
    assert cpe.next_attempt_at is not None and cpe.next_attempt_at > clock.now()
    # Not due yet: advancing again does not try.
    orders.advance(order=order, adapters=Adapters(acs=acs))
    assert step_of(order, "cpe").attempts == 1
    acs.online.add("SN-2")
    done = orders.retry(order=order, adapters=Adapters(acs=acs))
    assert done.status == OrderStatus.COMPLETED
    assert step_of(order, "cpe").attempts == 2


def test_backoff_grows_exponentially(new_order: Callable[..., ServiceOrder]) -> None:
    order = new_order(cpe_serial="SN-3")
    acs = FakeAcs(fail=AdapterError("timeout", system="genieacs"))
    delays = []
    for _ in range(3):
        orders.advance(order=order, adapters=Adapters(acs=acs), force=True)
        cpe = step_of(order, "cpe")
        assert cpe.next_attempt_at is not None
        delays.append((cpe.next_attempt_at - clock.now()).total_seconds())
    assert delays[0] < delays[1] < delays[2]
    assert cpe.status == StepStatus.PENDING


def test_non_retryable_adapter_error_blocks_with_the_reason(
    new_order: Callable[..., ServiceOrder],
) -> None:
    order = new_order()
    ipam = FakeIpam(
        fail=AdapterError("prefix 100.64.0.0/24 not found", system="netbox", retryable=False)
    )
    orders.advance(order=order, adapters=Adapters(ipam=ipam))
    allocate = step_of(order, "allocate")
    assert allocate.status == StepStatus.BLOCKED
    assert "netbox" in allocate.last_error and "not found" in allocate.last_error
    assert step_of(order, "radius").status == StepStatus.PENDING
    assert not IPAddress.objects.filter(assigned_to=order.subscription.username).exists()


def test_exhausted_pool_blocks_naming_the_pool(
    tenant: Tenant, new_order: Callable[..., ServiceOrder], make_pool: Callable[..., Any]
) -> None:
    pool = make_pool(tenant, cidr="100.127.9.0/30")
    first = new_order(pool=pool)
    second = new_order(pool=pool)
    third = new_order(pool=pool)
    for order in (first, second):
        orders.advance(order=order, adapters=Adapters())
    orders.advance(order=third, adapters=Adapters())
    allocate = step_of(third, "allocate")
    assert allocate.status == StepStatus.BLOCKED
    assert allocate.last_error.startswith("pool:")
    assert Subscription.objects.get(pk=third.subscription_id).ip_address is None


def test_address_taken_in_pool_blocks_naming_the_address(
    tenant: Tenant, new_order: Callable[..., ServiceOrder], make_pool: Callable[..., Any]
) -> None:
    pool = make_pool(tenant, cidr="100.127.10.0/29")
    IPAddress.objects.create(tenant=tenant, pool=pool, address="100.127.10.1", assigned_to="other")
    order = new_order(pool=pool)
    orders.advance(order=order, adapters=Adapters(ipam=FakeIpam(answer="100.127.10.1")))
    allocate = step_of(order, "allocate")
    assert allocate.status == StepStatus.BLOCKED
    assert allocate.last_error.startswith("ip_address:")


def test_dry_run_lists_actions_and_writes_nothing(
    tenant: Tenant, new_order: Callable[..., ServiceOrder]
) -> None:
    order = new_order(cpe_serial="SN-9")
    counts = (IPAddress.objects.count(), RadCheck.objects.count(), Job.objects.count())
    plan = orders.dry_run(order=order, adapters=Adapters(acs=FakeAcs()))
    assert [p["step"] for p in plan][:3] == ["survey_ok", "allocate", "radius"]
    by_step = {p["step"]: p["actions"] for p in plan}
    assert any("allocate the lowest free address" in a for a in by_step["allocate"])
    assert any("SN-9" in a for a in by_step["cpe"])
    assert counts == (IPAddress.objects.count(), RadCheck.objects.count(), Job.objects.count())
    assert set(order.steps.values_list("status", flat=True)) <= {"pending", "skipped"}
    assert order.steps.filter(attempts__gt=0).count() == 0
    assert Subscription.objects.get(pk=order.subscription_id).status == "pending"


def test_completed_order_is_not_cancelled(
    tenant: Tenant, new_order: Callable[..., ServiceOrder]
) -> None:
    order = orders.advance(order=new_order(), adapters=Adapters())
    assert order.status == OrderStatus.COMPLETED
    with pytest.raises(InvalidTransition):
        orders.cancel(order=order, reason="too late", adapters=Adapters())


def test_cancel_open_order_releases_address_and_terminates(
    tenant: Tenant, new_order: Callable[..., ServiceOrder]
) -> None:
    order = new_order(cpe_serial="SN-6")
    acs = FakeAcs()
    ipam = FakeIpam()
    adapters = Adapters(acs=acs, ipam=ipam)
    orders.advance(order=order, adapters=adapters)
    assert step_of(order, "cpe").status == StepStatus.PENDING
    sub = Subscription.objects.get(pk=order.subscription_id)
    assert sub.ip_address is not None and ipam.given
    cancelled = orders.cancel(order=order, reason="customer withdrew", adapters=adapters)
    assert cancelled.status == OrderStatus.CANCELLED
    sub = Subscription.objects.get(pk=sub.pk)
    assert sub.status == SubscriptionStatus.TERMINATED
    assert sub.ip_address is None
    assert not IPAddress.objects.filter(assigned_to=sub.username).exists()
    assert not ipam.given
    assert not RadCheck.objects.filter(username=sub.username).exists()
    # A cancelled order does not move again.
    orders.advance(order=order, adapters=adapters)
    assert step_of(order, "cpe").attempts == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_orders_at_once_never_share_an_address(
    make_tenant: Callable[..., Tenant],
    make_subscription: Callable[..., Subscription],
    make_pool: Callable[..., Any],
) -> None:
    tenant = make_tenant()
    pool = make_pool(tenant, cidr="100.126.0.0/24")
    made = [
        orders.create_order(
            subscription=make_subscription(tenant, active=False, pool=None), pool=pool
        )
        for _ in range(20)
    ]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def work(order: ServiceOrder) -> None:
        try:
            barrier.wait()
            orders.run_step(order.pk, "allocate", adapters=Adapters())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(o,)) for o in made]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert OrderStep.objects.filter(name="allocate", status="done").count() == 20
    addresses = list(
        Subscription.objects.filter(service_order__in=made).values_list(
            "ip_address__address", flat=True
        )
    )
    assert None not in addresses
    assert len(set(addresses)) == 20


def test_the_outbox_advances_a_converted_order_and_retries_a_waiting_step(
    tenant: Tenant,
    make_plan: Callable[..., Any],
    make_pool: Callable[..., Any],
    monkeypatch: Any,
    run_on_commit: Any,
) -> None:
    from ispstack.core import outbox
    from ispstack.provisioning import services

    acs = FakeAcs()
    monkeypatch.setattr(steps, "adapters_for", lambda tenant: Adapters(acs=acs))
    lead = services.create_lead(
        tenant=tenant, name="Ada", email="ada@example.net", plan=make_plan(tenant)
    )
    survey = services.schedule_survey(lead=lead, scheduled_at="2026-01-05T09:00:00+00:00")
    services.complete_survey(survey=survey, outcome="serviceable")
    order = services.convert_lead(
        lead=lead, username="ada@isp.example", pool=make_pool(tenant), cpe_serial="SN-7"
    )
    # Queued, not run inside the conversion.
    assert step_of(order, "allocate").attempts == 0
    outbox.drain()
    cpe = step_of(order, "cpe")
    assert cpe.status == StepStatus.PENDING and step_of(order, "allocate").status == "done"
    follow_up = Job.objects.get(kind=orders.ADVANCE_JOB, status="pending")
    assert follow_up.next_attempt_at == cpe.next_attempt_at
    acs.online.add("SN-7")
    with clock.simulated(cpe.next_attempt_at + dt.timedelta(seconds=1)):
        outbox.drain()
    assert ServiceOrder.objects.get(pk=order.pk).status == OrderStatus.COMPLETED
    assert acs.tagged["SN-7"][0] == order.subscription.plan.code


def test_with_technicians_the_installation_step_books_a_visit_and_waits_for_it(
    tenant: Tenant,
    new_order: Callable[..., ServiceOrder],
    make_staff: Callable[..., Any],
    run_on_commit: Any,
) -> None:
    """A tenant with technicians dispatches the installation: the order books
    one visit, waits (pending, not failed) however often it is advanced, and
    goes on to activation when the technician completes the visit."""
    from ispstack.core import outbox
    from ispstack.tickets.field import services as field
    from ispstack.tickets.models import Appointment, Skill

    technician = field.save_technician(
        tenant=tenant, actor=None, user=make_staff(tenant, "admin"), skills=list(Skill.values)
    )
    order = new_order()
    day = clock.today(tenant) + dt.timedelta(days=3)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    local = dt.datetime.combine(day, dt.time(10), tzinfo=ZoneInfo(tenant.timezone))
    ServiceOrder.objects.filter(pk=order.pk).update(appointment_at=local.astimezone(dt.UTC))
    order.refresh_from_db()

    for _ in range(2):
        result = orders.advance(order=order, adapters=Adapters(), force=True)
        assert result.status == OrderStatus.OPEN
        step = step_of(order, "installation")
        assert step.status == StepStatus.PENDING
        assert "waiting for installation visit" in step.last_error
    visit = Appointment.objects.get(subscription_id=order.subscription_id)
    assert visit.technician_id == technician.pk and visit.starts_at == local
    assert step_of(order, "activate").status == StepStatus.PENDING
    assert Subscription.objects.get(pk=order.subscription_id).status == SubscriptionStatus.PENDING

    field.transition_appointment(appointment=visit, actor=None, action="set_out")
    field.transition_appointment(appointment=visit, actor=None, action="arrive")
    field.complete_appointment(appointment=visit, actor=None, notes="ONT mounted")
    outbox.drain()

    assert ServiceOrder.objects.get(pk=order.pk).status == OrderStatus.COMPLETED
    assert step_of(order, "installation").result["appointment"] == visit.pk
    assert Subscription.objects.get(pk=order.subscription_id).status == SubscriptionStatus.ACTIVE
    assert Appointment.objects.filter(subscription_id=order.subscription_id).count() == 1


def test_the_routers_dry_run_commands_are_kept_on_the_step(
    tenant: Tenant, new_order: Callable[..., ServiceOrder], run_on_commit: Any
) -> None:
    """MikroTik in dry run (the default) sends nothing; the radius step keeps
    what it would have sent, the PPPoE password masked."""
    from ispstack.provisioning.adapters.mikrotik import MikroTikRouter

    router = MikroTikRouter(host="127.0.0.1", port=1, username="api", password="x", dry_run=True)
    order = new_order()
    orders.advance(order=order, adapters=Adapters(router=router))
    commands = step_of(order, "radius").result["router"]
    sub = Subscription.objects.get(pk=order.subscription_id)
    assert any("/ppp/secret" in c and sub.username in c for c in commands)
    assert not any(sub.password in c for c in commands)
    assert all("password=***" in c for c in commands if "/ppp/secret" in c)
