"""Plan change requests: a customer asks in the portal (the plans they may
pick with the monthly price difference and the effective date), the back
office approves or rejects in the console or the staff API, billing's
scheduled plan change applies it on its day with the new rate in RADIUS,
the customer is emailed at each step, and every decision is audited.
Another customer's ids answer 404; bad input names its field and writes
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from ispstack.billing.models import Charge, CreditNote, LineKind
from ispstack.billing.services import change_plan, run_billing
from ispstack.catalog.services import update_plan
from ispstack.core import clock, outbox
from ispstack.core.models import AuditLog
from ispstack.portal.models import PlanChangeRequest, PlanChangeState
from ispstack.portal.plan_changes import services
from ispstack.portal.services import create_login
from ispstack.radius.selectors import effective_reply
from ispstack.subscriptions.models import PlanChange, Subscription
from tests.tenant_settings import configure

pytestmark = pytest.mark.django_db
D = dt.date
PASSWORD = "Portal-pass-2026"
MID_MARCH = dt.datetime(2026, 3, 15, 12, tzinfo=dt.UTC)
APRIL = dt.datetime(2026, 4, 1, 8, tzinfo=dt.UTC)


@pytest.fixture
def simulated():
    """The business clock at 15 March 2026 (moved on with ``clock.move_to``)."""
    with clock.simulated(MID_MARCH):
        yield


@pytest.fixture
def world(simulated, tenant, make_tenant, make_customer, make_subscription, make_plan):
    """Our customer on a 30.00 plan (billed through 31 March) with a portal
    login; plans to choose from; a neighbour, another tenant and their plans."""
    plans = {
        "basic": make_plan(tenant, name="Basic 50", monthly_price="30.00"),
        "fast": make_plan(
            tenant,
            name="Fast 100",
            monthly_price="60.00",
            download_kbps=100000,
            upload_kbps=20000,
        ),
        "lite": make_plan(tenant, name="Lite 20", monthly_price="20.00", download_kbps=20000),
        "retired": make_plan(tenant, name="Retired 10", monthly_price="10.00"),
        "dollars": make_plan(tenant, name="Dollar 200", monthly_price="70.00", currency="USD"),
    }
    update_plan(plan=plans["retired"], is_active=False)
    customer = make_customer(tenant, name="Thandi Mokoena", email="accounts@example.net")
    sub = make_subscription(tenant, customer=customer, plan=plans["basic"])
    neighbour_sub = make_subscription(tenant, plan=plans["basic"])
    other_tenant = make_tenant(slug="othernet", name="Other Net")
    foreign_plan = make_plan(other_tenant, name="Foreign 500", monthly_price="40.00")
    foreign_sub = make_subscription(other_tenant, plan=foreign_plan)
    for month in (1, 2, 3):
        run_billing(tenant=tenant, as_of=D(2026, month, 1))
    user = create_login(customer=customer, email="thandi@example.net", password=PASSWORD)
    return {
        "tenant": tenant,
        "plans": plans,
        "customer": customer,
        "sub": sub,
        "user": user,
        "neighbour_sub": neighbour_sub,
        "foreign_plan": foreign_plan,
        "foreign_sub": foreign_sub,
    }


def _portal(client, world):
    answer = client.post(
        f"/my/{world['tenant'].slug}/login/", {"login": "thandi@example.net", "password": PASSWORD}
    )
    assert answer.status_code == 302
    return f"/my/{world['tenant'].slug}"


def _form_url(world, sub=None):
    return f"/my/{world['tenant'].slug}/services/{(sub or world['sub']).pk}/change-plan/"


def _mails_to(address):
    outbox.drain()
    return [m for m in mail.outbox if address in m.to]


def _submit(world, plan, timing="next_cycle"):
    return services.submit_request(
        user=world["user"], subscription=world["sub"], plan=plan.pk, timing=timing
    )


# The customer's side.


def test_the_form_lists_the_plans_with_price_difference_and_date_and_submits(client, world):
    base = _portal(client, world)
    service_page = client.get(f"{base}/services/{world['sub'].pk}/").content.decode()
    assert _form_url(world) in service_page and "Change plan" in service_page

    page = client.get(_form_url(world)).content.decode()
    assert "Fast 100" in page and "+€30.00" in page
    assert "Lite 20" in page and "-€10.00" in page
    assert "from 2026-04-01" in page
    # Not the current plan, not a retired one, not another currency or tenant.
    for absent in ("Retired 10", "Dollar 200", "Foreign 500"):
        assert absent not in page
    assert 'value="now"' not in page

    answer = client.post(_form_url(world), {"plan": world["plans"]["fast"].pk})
    assert answer.status_code == 302
    request = PlanChangeRequest.objects.get()
    assert (request.state, request.from_plan, request.to_plan) == (
        PlanChangeState.SUBMITTED,
        world["plans"]["basic"],
        world["plans"]["fast"],
    )
    assert (request.monthly_difference, request.currency) == (Decimal("30.00"), "EUR")
    assert request.effective_date == D(2026, 4, 1) and request.requested_by == world["user"]
    shown = client.get(answer.url).content.decode()
    assert "Submitted" in shown and "Cancel this request" in shown
    assert "Submitted" in client.get(f"{base}/services/{world['sub'].pk}/").content.decode()
    assert AuditLog.objects.filter(
        action="plan_change_request.submit", actor_label="portal:thandi@example.net"
    ).exists()
    [message] = _mails_to("thandi@example.net")
    assert "received" in message.subject and "Fast 100" in message.body
    assert "+€30.00" in message.body and "2026-04-01" in message.body
    # One open request per service.
    again = client.post(_form_url(world), {"plan": world["plans"]["lite"].pk})
    assert again.status_code == 409 and "open plan change request" in again.content.decode()
    assert PlanChangeRequest.objects.count() == 1


def test_another_customers_or_tenants_service_and_request_answer_404(client, world):
    _portal(client, world)
    for sub in (world["neighbour_sub"], world["foreign_sub"]):
        assert client.get(_form_url(world, sub)).status_code == 404
        answer = client.post(_form_url(world, sub), {"plan": world["plans"]["fast"].pk})
        assert answer.status_code == 404
    assert not PlanChangeRequest.objects.exists()
    neighbour_user = create_login(
        customer=world["neighbour_sub"].customer, email="n@example.net", password=PASSWORD
    )
    theirs = services.submit_request(
        user=neighbour_user, subscription=world["neighbour_sub"], plan=world["plans"]["fast"].pk
    )
    cancel = client.post(f"/my/{world['tenant'].slug}/plan-changes/{theirs.pk}/cancel/")
    assert cancel.status_code == 404
    assert PlanChangeRequest.objects.get(pk=theirs.pk).state == PlanChangeState.SUBMITTED


@pytest.mark.parametrize(
    ("posted", "field"),
    [
        ({"plan": "999999"}, "plan"),
        ({"plan": "abc"}, "plan"),
        ({}, "plan"),
        ("foreign", "plan"),
        ("current", "plan"),
        ("retired", "plan"),
        ("dollars", "plan"),
        ("now", "timing"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(client, world, posted, field):
    _portal(client, world)
    plans = world["plans"]
    body = (
        {
            "foreign": {"plan": world["foreign_plan"].pk},
            "current": {"plan": plans["basic"].pk},
            "retired": {"plan": plans["retired"].pk},
            "dollars": {"plan": plans["dollars"].pk},
            "now": {"plan": plans["fast"].pk, "timing": "now"},
        }.get(posted, posted)
        if isinstance(posted, str)
        else posted
    )
    audits = AuditLog.objects.count()
    answer = client.post(_form_url(world), body)
    assert answer.status_code == 400
    assert f"{field}: " in answer.content.decode()
    assert not PlanChangeRequest.objects.exists()
    assert AuditLog.objects.count() == audits
    assert _mails_to("thandi@example.net") == []


def test_a_move_the_contract_forbids_is_refused_to_the_customer_not_to_the_clerk(client, world):
    """Under a contract that allows only upgrades during its term, a
    downgrade request is refused at once, naming the plan and the contract;
    an upgrade is still taken."""
    from ispstack.sales.contracts import services as contracts

    contract = contracts.create_contract(
        tenant=world["tenant"],
        customer=world["customer"].pk,
        subscriptions=[world["sub"].pk],
        term_months=24,
        start_date=D(2026, 1, 1),
        plan_change_rule="upgrade_only",
    )
    contracts.activate_contract(contract=contract, signed_on=D(2026, 1, 1))
    _portal(client, world)
    answer = client.post(_form_url(world), {"plan": world["plans"]["lite"].pk})
    assert answer.status_code == 409
    assert f"contract {contract.number} allows only upgrades" in answer.content.decode()
    assert not PlanChangeRequest.objects.exists()
    assert _submit(world, world["plans"]["fast"]).to_plan == world["plans"]["fast"]


def test_the_customer_cancels_a_submitted_request_but_not_a_decided_one(client, world, make_staff):
    base = _portal(client, world)
    request = _submit(world, world["plans"]["lite"])
    assert client.post(f"{base}/plan-changes/{request.pk}/cancel/").status_code == 302
    assert PlanChangeRequest.objects.get(pk=request.pk).state == PlanChangeState.CANCELLED
    assert AuditLog.objects.filter(action="plan_change_request.cancel").exists()
    # A cancelled request is closed: the customer may ask again.
    second = _submit(world, world["plans"]["fast"])
    services.approve_request(request=second, actor=make_staff(world["tenant"], "billing"))
    refused = client.post(f"{base}/plan-changes/{second.pk}/cancel/")
    assert refused.status_code == 409
    assert PlanChangeRequest.objects.get(pk=second.pk).state == PlanChangeState.APPROVED


# The back office.


def test_approval_schedules_the_change_and_the_billing_run_applies_it_with_the_new_rate(
    client, world, make_staff
):
    sub, fast = world["sub"], world["plans"]["fast"]
    assert effective_reply(sub.username)["Mikrotik-Rate-Limit"] == ["10M/50M"]
    request = _submit(world, fast)
    clerk = make_staff(world["tenant"], "billing")
    client.force_login(clerk)
    queue = client.get("/staff/plan-changes/?state=submitted").content.decode()
    assert "Thandi Mokoena" in queue and "+€30.00" in queue
    page = client.get(f"/staff/plan-changes/{request.pk}/").content.decode()
    assert "Approve for 2026-04-01" in page

    answer = client.post(f"/staff/plan-changes/{request.pk}/approve/")
    assert answer.status_code == 302
    request.refresh_from_db()
    change = PlanChange.objects.get(subscription=sub)
    assert request.state == PlanChangeState.APPROVED and request.plan_change == change
    assert (change.status, change.to_plan, change.effective_date) == (
        PlanChange.Status.SCHEDULED,
        fast,
        D(2026, 4, 1),
    )
    assert request.decided_by == clerk
    assert Subscription.objects.get(pk=sub.pk).plan == world["plans"]["basic"]
    assert AuditLog.objects.filter(action="plan_change_request.approve", actor=clerk).exists()
    [_submitted, approved] = _mails_to("thandi@example.net")
    assert "approved" in approved.subject and "2026-04-01" in approved.body

    clock.move_to(APRIL)
    run_billing(tenant=world["tenant"], as_of=D(2026, 4, 1))
    request.refresh_from_db()
    assert request.state == PlanChangeState.APPLIED and request.applied_at is not None
    assert Subscription.objects.get(pk=sub.pk).plan == fast
    assert effective_reply(sub.username)["Mikrotik-Rate-Limit"] == ["20M/100M"]
    assert AuditLog.objects.filter(action="plan_change_request.applied").exists()
    applied = _mails_to("thandi@example.net")[-1]
    assert "active" in applied.subject and "Fast 100" in applied.body
    assert "Applied" in client.get("/staff/plan-changes/?state=applied").content.decode()


def test_a_rejection_needs_a_reason_and_tells_the_customer(client, world, make_staff):
    request = _submit(world, world["plans"]["lite"])
    clerk = make_staff(world["tenant"], "billing")
    client.force_login(clerk)
    missing = client.post(f"/staff/plan-changes/{request.pk}/reject/", {"reason": "  "})
    assert missing.status_code == 400 and "This field is required" in missing.content.decode()
    assert PlanChangeRequest.objects.get(pk=request.pk).state == PlanChangeState.SUBMITTED
    assert not AuditLog.objects.filter(action="plan_change_request.reject").exists()

    answer = client.post(
        f"/staff/plan-changes/{request.pk}/reject/",
        {"reason": "Lite is not sold at your address"},
    )
    assert answer.status_code == 302
    request.refresh_from_db()
    assert (request.state, request.reason, request.decided_by) == (
        PlanChangeState.REJECTED,
        "Lite is not sold at your address",
        clerk,
    )
    assert not PlanChange.objects.exists()
    log = AuditLog.objects.get(action="plan_change_request.reject")
    assert log.actor == clerk and log.reason == "Lite is not sold at your address"
    rejected = _mails_to("thandi@example.net")[-1]
    assert "declined" in rejected.subject and "not sold at your address" in rejected.body
    # Decided: no second decision.
    again = client.post(f"/staff/plan-changes/{request.pk}/approve/", follow=True)
    assert "rejected, not submitted" in again.content.decode()
    assert not PlanChange.objects.exists()


def test_a_customer_who_switched_plan_change_emails_off_gets_none(world, make_staff):
    from ispstack.notifications.services import set_preferences

    set_preferences(
        customer=world["sub"].customer, choices={"plan_change": {"email": False, "sms": False}}
    )
    request = _submit(world, world["plans"]["lite"])
    services.reject_request(
        request=request, reason="Not sold here", actor=make_staff(world["tenant"], "billing")
    )
    assert PlanChangeRequest.objects.get(pk=request.pk).state == PlanChangeState.REJECTED
    assert _mails_to("thandi@example.net") == []


def test_support_sees_the_queue_but_cannot_decide_and_noc_sees_nothing(client, world, make_staff):
    request = _submit(world, world["plans"]["fast"])
    client.force_login(make_staff(world["tenant"], "support"))
    assert client.get("/staff/plan-changes/").status_code == 200
    assert "Approve for" not in client.get(f"/staff/plan-changes/{request.pk}/").content.decode()
    assert client.post(f"/staff/plan-changes/{request.pk}/approve/").status_code == 403
    reject = client.post(f"/staff/plan-changes/{request.pk}/reject/", {"reason": "no"})
    assert reject.status_code == 403
    client.force_login(make_staff(world["tenant"], "noc"))
    assert client.get("/staff/plan-changes/").status_code == 403
    # Another tenant's staff: 404, never the request.
    client.force_login(make_staff(world["foreign_sub"].tenant, "billing"))
    assert client.get(f"/staff/plan-changes/{request.pk}/").status_code == 404
    assert client.post(f"/staff/plan-changes/{request.pk}/approve/").status_code == 404
    assert PlanChangeRequest.objects.get(pk=request.pk).state == PlanChangeState.SUBMITTED


# Instant upgrades.


def test_an_instant_upgrade_applies_at_once_with_a_prorated_charge(client, world):
    configure(world["tenant"], instant_plan_upgrades=True)
    sub, fast = world["sub"], world["plans"]["fast"]
    _portal(client, world)
    assert client.post(_form_url(world), {"plan": fast.pk}).status_code == 302
    request = PlanChangeRequest.objects.get()
    assert request.state == PlanChangeState.APPLIED and request.decided_by is None
    assert request.effective_date == D(2026, 3, 15)
    assert Subscription.objects.get(pk=sub.pk).plan == fast
    assert request.plan_change.status == PlanChange.Status.APPLIED
    assert effective_reply(sub.username)["Mikrotik-Rate-Limit"] == ["20M/100M"]
    # 15..31 March: 17 of 31 days at 60.00 charged, the old plan's credited.
    charge = Charge.objects.get(subscription=sub, kind=LineKind.PRORATION, plan=fast)
    assert (charge.amount, charge.period_start, charge.period_end) == (
        Decimal("32.90"),
        D(2026, 3, 15),
        D(2026, 3, 31),
    )
    assert CreditNote.objects.filter(customer=world["customer"]).exists()
    assert AuditLog.objects.filter(action="plan_change_request.approve").exists()
    subjects = [m.subject for m in _mails_to("thandi@example.net")]
    assert any("received" in s for s in subjects) and any("active" in s for s in subjects)


def test_a_downgrade_waits_for_approval_even_with_instant_upgrades(client, world):
    configure(world["tenant"], instant_plan_upgrades=True)
    _portal(client, world)
    assert client.post(_form_url(world), {"plan": world["plans"]["lite"].pk}).status_code == 302
    request = PlanChangeRequest.objects.get()
    assert request.state == PlanChangeState.SUBMITTED
    assert Subscription.objects.get(pk=world["sub"].pk).plan == world["plans"]["basic"]
    assert not PlanChange.objects.exists()


def test_a_change_now_where_the_tenant_allows_it_is_applied_on_approval(client, world, make_staff):
    configure(world["tenant"], portal_plan_change_now=True)
    _portal(client, world)
    page = client.get(_form_url(world)).content.decode()
    assert 'value="now"' in page and "from 2026-03-15" in page
    client.post(_form_url(world), {"plan": world["plans"]["lite"].pk, "timing": "now"})
    request = PlanChangeRequest.objects.get()
    assert request.state == PlanChangeState.SUBMITTED
    services.approve_request(request=request, actor=make_staff(world["tenant"], "billing"))
    request.refresh_from_db()
    assert request.state == PlanChangeState.APPLIED
    assert Subscription.objects.get(pk=world["sub"].pk).plan == world["plans"]["lite"]


# The staff API.


def test_the_staff_api_lists_approves_and_rejects_and_checks_the_permission(world, api_client_for):
    fast, lite = world["plans"]["fast"], world["plans"]["lite"]
    request = _submit(world, fast)
    support = api_client_for(world["tenant"], "support")
    assert support.get("/api/v1/plan-change-requests/").status_code == 200
    assert support.post(f"/api/v1/plan-change-requests/{request.pk}/approve/").status_code == 403
    assert (
        api_client_for(world["tenant"], "noc").get("/api/v1/plan-change-requests/").status_code
        == 403
    )

    billing = api_client_for(world["tenant"], "billing")
    listed = billing.get("/api/v1/plan-change-requests/", {"state": "submitted"}).json()
    assert [row["id"] for row in listed["results"]] == [request.pk]
    assert listed["results"][0]["monthly_difference"] == "30.0000"
    approved = billing.post(f"/api/v1/plan-change-requests/{request.pk}/approve/")
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["state"] == "approved" and body["effective_date"] == "2026-04-01"
    assert PlanChange.objects.get(pk=body["plan_change"]).status == PlanChange.Status.SCHEDULED
    twice = billing.post(f"/api/v1/plan-change-requests/{request.pk}/approve/")
    assert (twice.status_code, twice.json()["field"]) == (409, "state")

    # The billing run applies it; then a downgrade is asked for and rejected.
    clock.move_to(APRIL)
    run_billing(tenant=world["tenant"], as_of=D(2026, 4, 1))
    other = _submit(world, lite)
    url = f"/api/v1/plan-change-requests/{other.pk}/reject/"
    missing = billing.post(url, {}, format="json")
    assert (missing.status_code, missing.json()["field"]) == (400, "reason")
    blank = billing.post(url, {"reason": " "}, format="json")
    assert (blank.status_code, blank.json()["field"]) == (400, "reason")
    assert PlanChangeRequest.objects.get(pk=other.pk).state == PlanChangeState.SUBMITTED
    rejected = billing.post(url, {"reason": "contract term"}, format="json")
    assert rejected.json()["state"] == "rejected"
    foreign = api_client_for(world["foreign_sub"].tenant, "billing")
    assert foreign.post(f"/api/v1/plan-change-requests/{request.pk}/approve/").status_code == 404
    assert foreign.get("/api/v1/plan-change-requests/").json()["results"] == []


def test_a_staff_plan_change_in_between_does_not_apply_the_request(world, make_staff):
    """A plan changed by staff directly (a newer schedule cancels the
    approved one) leaves the request approved, not applied."""
    request = _submit(world, world["plans"]["fast"])
    services.approve_request(request=request, actor=make_staff(world["tenant"], "billing"))
    change_plan(subscription=world["sub"], plan=world["plans"]["lite"], when="now")
    request.refresh_from_db()
    assert request.state == PlanChangeState.APPROVED


def test_a_staff_schedule_replacing_the_approved_change_cancels_the_request(world, make_staff):
    """The back office schedules another plan for the same subscription: the
    approved request's billing change is replaced, so the request is
    cancelled (with the reason) and the customer may ask again."""
    request = _submit(world, world["plans"]["fast"])
    services.approve_request(request=request, actor=make_staff(world["tenant"], "billing"))
    change_plan(subscription=world["sub"], plan=world["plans"]["lite"], when="next_cycle")
    request.refresh_from_db()
    assert request.state == PlanChangeState.CANCELLED
    assert "replaced by another plan change" in request.reason
    assert request.plan_change.status == PlanChange.Status.CANCELLED
    assert AuditLog.objects.filter(action="plan_change_request.cancel", object_id=str(request.pk))

    again = _submit(world, world["plans"]["fast"])
    assert again.state == PlanChangeState.SUBMITTED
