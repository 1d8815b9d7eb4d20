"""Dunning campaigns as data: trigger, steps with delays, exclusions,
late fees, suspension, a payment that recovers, a promise to pay, stats."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from decimal import Decimal

import pytest

from ispstack.billing.models import Charge, Invoice
from ispstack.billing.services import run_billing
from ispstack.collections.dunning import campaign_stats, create_campaign, promise_to_pay
from ispstack.collections.models import DunningActionLog, DunningCampaign, DunningExecution
from ispstack.collections.services import run_collections
from ispstack.core import outbox
from ispstack.core.errors import InvalidInput, InvalidTransition
from ispstack.core.models import Job
from ispstack.customers.models import Customer
from ispstack.customers.services import update_customer
from ispstack.payments.services import record_payment
from ispstack.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def campaign(tenant):
    return create_campaign(
        tenant=tenant,
        name="Standard",
        trigger_after_days=3,
        minimum_amount="10.00",
        exclude_tags=["vip"],
        steps=[
            {
                "delay_days": 0,
                "action": "email",
                "config": {"subject": "{account}: {amount} overdue"},
            },
            {"delay_days": 4, "action": "late_fee", "config": {"amount": "5.00"}},
            {"delay_days": 3, "action": "suspend"},
        ],
    )


@pytest.fixture
def overdue_sub(tenant, make_subscription):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))  # 35.70 due 15 Jan
    return sub


def _days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def test_a_campaign_runs_its_steps_on_their_days(tenant, campaign, overdue_sub, smtp_server):
    for day in _days(D(2026, 1, 16), D(2026, 1, 30)):
        run_collections(tenant=tenant, as_of=day)
    outbox.drain()
    execution = DunningExecution.objects.get(customer=overdue_sub.customer)
    assert execution.started_on == D(2026, 1, 18)  # 3 days past due
    assert [(log.action, log.executed_on) for log in DunningActionLog.objects.all()] == [
        ("email", D(2026, 1, 18)),
        ("late_fee", D(2026, 1, 22)),
        ("suspend", D(2026, 1, 25)),
    ]
    assert execution.status == "completed"
    assert Charge.objects.get(subscription=overdue_sub).amount == Decimal("5.00")
    assert Subscription.objects.get(pk=overdue_sub.pk).status == "suspended"
    assert Customer.objects.get(pk=overdue_sub.customer_id).status == "suspended"
    assert [m["Subject"] for m in smtp_server.messages if "overdue" in m["Subject"]] == [
        f"{overdue_sub.customer.account_number}: 35.70 EUR overdue"
    ]


def test_the_nightly_run_reconnects_under_a_campaign_too(tenant, campaign, overdue_sub):
    """Payments recorded without the balance event (e.g. a bank import
    replayed) are caught by the nightly pass, campaigns or not."""
    for day in _days(D(2026, 1, 16), D(2026, 1, 26)):
        run_collections(tenant=tenant, as_of=day)
    assert Subscription.objects.get(pk=overdue_sub.pk).status == "suspended"
    Invoice.objects.filter(customer=overdue_sub.customer).update(status="paid")
    run = run_collections(tenant=tenant, as_of=D(2026, 1, 27))
    assert run.reconnected == 1
    assert Subscription.objects.get(pk=overdue_sub.pk).status == "active"


def test_a_payment_recovers_the_execution_and_stops_its_steps(
    tenant, campaign, overdue_sub, django_capture_on_commit_callbacks
):
    run_collections(tenant=tenant, as_of=D(2026, 1, 18))
    with django_capture_on_commit_callbacks(execute=True):  # recovers after commit
        record_payment(
            tenant=tenant, customer=overdue_sub.customer, amount="35.70", received_on=D(2026, 1, 20)
        )
    execution = DunningExecution.objects.get()
    assert (execution.status, execution.recovered_amount) == ("recovered", Decimal("35.70"))
    for day in _days(D(2026, 1, 21), D(2026, 1, 30)):
        run_collections(tenant=tenant, as_of=day)
    assert DunningActionLog.objects.count() == 1
    stats = campaign_stats(campaign)
    assert (
        stats["started"],
        stats["recovered"],
        stats["recovery_rate"],
        stats["average_days_to_pay"],
    ) == (1, 1, Decimal("1.0000"), 2.0)


def test_exclusions_and_minimum_amount(tenant, campaign, overdue_sub, make_subscription, make_plan):
    update_customer(customer=overdue_sub.customer, tags=["vip"])
    small = make_subscription(
        tenant, plan=make_plan(tenant, monthly_price="5.00"), start_date=D(2026, 1, 1)
    )
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    run_collections(tenant=tenant, as_of=D(2026, 1, 20))
    assert not DunningExecution.objects.exists()  # a VIP, and 5.95 is under the minimum
    assert Subscription.objects.get(pk=small.pk).status == "active"


def test_one_promise_to_pay_pauses_the_campaign(tenant, campaign, overdue_sub):
    run_collections(tenant=tenant, as_of=D(2026, 1, 18))
    execution = promise_to_pay(execution=DunningExecution.objects.get(), until=D(2026, 1, 28))
    with pytest.raises(InvalidTransition):
        promise_to_pay(execution=execution, until=D(2026, 2, 5))
    for day in _days(D(2026, 1, 19), D(2026, 1, 28)):
        run_collections(tenant=tenant, as_of=day)
    assert DunningActionLog.objects.count() == 1  # paused
    run_collections(tenant=tenant, as_of=D(2026, 1, 29))
    assert DunningActionLog.objects.count() == 2


def test_webhook_step_posts_to_the_tenants_endpoint(tenant, overdue_sub, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the SSRF guard's exception
    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.handle_request, daemon=True).start()
    create_campaign(
        tenant=tenant,
        name="Hooked",
        steps=[{"action": "webhook", "config": {"url": f"http://127.0.0.1:{server.server_port}/"}}],
    )
    run_collections(tenant=tenant, as_of=D(2026, 1, 16))
    outbox.drain()
    server.server_close()
    assert received == [
        {
            "customer": overdue_sub.customer.account_number,
            "overdue": "35.7000",
            "campaign": "Hooked",
            "step": 1,
        }
    ]


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ([], "steps"),
        ([{"action": "pray"}], "steps[0].action"),
        ([{"action": "late_fee"}], "steps[0].config.amount"),
        ([{"action": "webhook", "config": {"url": "ftp://x"}}], "steps[0].config.url"),
        (
            [{"action": "webhook", "config": {"url": "https://x.example/" + "a" * 2000}}],
            "steps[0].config.url",
        ),
        ([{"action": "email"}] * 21, "steps"),
        # A template may use {name}, {amount} and {account}, bare: anything else
        # fails (or runs for ever) when the step runs.
        ([{"action": "sms", "config": {"text": "{balance} is due"}}], "steps[0].config.text"),
        ([{"action": "sms", "config": {"text": "{} is due"}}], "steps[0].config.text"),
        (
            [{"action": "email", "config": {"subject": "{name.__class__}"}}],
            "steps[0].config.subject",
        ),
        ([{"action": "email", "config": {"body": "{amount:>999999999}"}}], "steps[0].config.body"),
        ([{"action": "email", "config": {"body": "{amount!r}"}}], "steps[0].config.body"),
        ([{"action": "email", "config": {"body": "pay {amount"}}], "steps[0].config.body"),
        ([{"action": "email", "config": {"subject": 5}}], "steps[0].config.subject"),
        ([{"action": "email", "config": {"subject": "x" * 301}}], "steps[0].config.subject"),
        # A parameter of another action would be ignored: a typo, refused.
        ([{"action": "email", "config": {"text": "hello"}}], "steps[0].config.text"),
        ([{"action": "suspend", "config": {"amount": "5.00"}}], "steps[0].config.amount"),
    ],
)
def test_campaign_bad_input(tenant, steps, field):
    with pytest.raises(InvalidInput) as err:
        create_campaign(tenant=tenant, name="x", steps=steps)
    assert err.value.field == field
    assert not DunningCampaign.objects.exists()


def test_a_bad_sms_template_stops_no_collections_run(
    tenant, make_subscription, make_customer, settings
):
    settings.SMS_BACKEND = "http"  # the step only queues the SMS
    customer = make_customer(tenant, phone="+49301234567")
    make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    with pytest.raises(InvalidInput):
        create_campaign(
            tenant=tenant, name="Text", steps=[{"action": "sms", "config": {"text": "{due}"}}]
        )
    create_campaign(
        tenant=tenant,
        name="Text",
        steps=[{"action": "sms", "config": {"text": "{{ref}} {account}: {amount}"}}],
    )
    run = run_collections(tenant=tenant, as_of=D(2026, 1, 16))
    assert run.dunning_steps == 1
    assert DunningActionLog.objects.get().ok is True


def test_a_campaign_through_the_api_keeps_the_late_fee_in_the_currency(tenant, api_client_for):
    response = api_client_for(tenant).post(
        "/api/v1/dunning-campaigns/",
        {
            "name": "Fees",
            "minimum_amount": "10",
            "steps": [
                {"action": "email", "config": {"subject": "{account} overdue"}},
                {"delay_days": 7, "action": "late_fee", "config": {"amount": "5"}},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["minimum_amount"] == "10.0000"
    assert [s["config"] for s in response.json()["steps"]] == [
        {"subject": "{account} overdue"},
        {"amount": "5.00"},
    ]
    as_number = api_client_for(tenant).post(
        "/api/v1/dunning-campaigns/",
        {"name": "Fee", "steps": [{"action": "late_fee", "config": {"amount": 5}}]},
        format="json",
    )
    assert as_number.status_code == 201, as_number.json()
    assert as_number.json()["steps"][0]["config"] == {"amount": "5.00"}
    refused = api_client_for(tenant).post(
        "/api/v1/dunning-campaigns/",
        {"name": "Fees", "steps": [{"action": "late_fee", "config": {"amount": "5.001"}}]},
        format="json",
    )
    assert (refused.status_code, refused.json()["field"]) == (400, "steps[0].config.amount")
    assert DunningCampaign.objects.count() == 2


def _admin_campaign(client, step, tags="[]"):
    return client.post(
        "/admin/collections/dunningcampaign/add/",
        {
            "name": "Admin",
            "trigger_after_days": "1",
            "minimum_amount": "0",
            "exclude_tags": tags,
            "priority": "0",
            "is_active": "on",
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-0-position": "1",
            "steps-0-delay_days": "0",
            **{f"steps-0-{key}": value for key, value in step.items()},
        },
    )


def test_the_admin_checks_a_step_as_the_api_does(tenant, client, make_staff):
    client.force_login(make_staff(tenant, "admin"))
    refused = _admin_campaign(client, {"action": "sms", "config": '{"text": "{due}"}'})
    assert refused.status_code == 200  # the form again, with the error
    assert b"may use only the placeholders" in refused.content
    assert not DunningCampaign.objects.exists()
    not_a_list = _admin_campaign(client, {"action": "suspend", "config": "{}"}, tags="5")
    assert b"must be a list of tags" in not_a_list.content
    assert not DunningCampaign.objects.exists()
    saved = _admin_campaign(client, {"action": "late_fee", "config": '{"amount": "5"}'})
    assert saved.status_code == 302
    assert DunningCampaign.objects.get().steps.get().config == {"amount": "5.00"}


def test_a_webhook_step_into_the_network_is_not_sent(tenant, overdue_sub):
    """The dunning webhook goes through the webhooks SSRF guard: loopback is
    refused (and retried, in case the setting changes) without a request."""
    create_campaign(
        tenant=tenant,
        name="Inside",
        steps=[{"action": "webhook", "config": {"url": "http://127.0.0.1:9/"}}],
    )
    run_collections(tenant=tenant, as_of=D(2026, 1, 16))
    outbox.drain()
    job = Job.objects.get(kind="collections.dunning_webhook")
    assert (job.status, job.attempts) == ("pending", 1)
    assert "private or reserved address" in job.last_error


def test_each_late_customer_starts_the_highest_priority_campaign_that_applies_once(
    tenant, campaign, overdue_sub, make_subscription, make_tenant
):
    create_campaign(
        tenant=tenant,
        name="Large debts",
        priority=5,
        minimum_amount="100.00",
        steps=[{"delay_days": 0, "action": "email"}],
    )
    create_campaign(
        tenant=tenant,
        name="Everyone",
        priority=3,
        trigger_after_days=0,
        exclude_tags=["vip"],
        steps=[{"delay_days": 0, "action": "email"}],
    )
    vip = make_subscription(tenant, start_date=D(2026, 1, 1))
    update_customer(customer=vip.customer, tags=["vip", "press"])
    other = make_tenant()
    elsewhere = make_subscription(other, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    run_billing(tenant=other, as_of=D(2026, 1, 1))
    run_collections(tenant=tenant, as_of=D(2026, 1, 20))
    started = {
        e.customer_id: (e.campaign.name, e.status, e.outstanding_amount)
        for e in DunningExecution.objects.filter(tenant=tenant).select_related("campaign")
    }
    # 35.70 is under Large debts' minimum; Everyone outranks Standard. Both
    # leave VIPs out, and a tenant with campaigns of its own has no default.
    assert started == {overdue_sub.customer_id: ("Everyone", "completed", Decimal("35.70"))}
    assert not DunningExecution.objects.filter(customer=elsewhere.customer).exists()
    # The campaign ran its course for this debt: the next run starts none again.
    run_collections(tenant=tenant, as_of=D(2026, 1, 21))
    assert DunningExecution.objects.filter(customer=overdue_sub.customer).count() == 1


def _late_customers(tenant, make_subscription, count):
    """``count`` customers with a phone whose first invoice (35.70, due 15
    January) is unpaid, and a campaign doing all four message steps on its
    first day, with a webhook endpoint subscribed to the steps."""
    from ispstack.webhooks.models import WebhookEndpoint

    for _ in range(count):
        sub = make_subscription(tenant, start_date=D(2026, 1, 1))
        update_customer(customer=sub.customer, phone="+27821234567")
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    create_campaign(
        tenant=tenant,
        name="Messages",
        steps=[
            {"action": "reminder"},
            {"action": "email"},
            {"action": "sms"},
            {"action": "webhook", "config": {"url": "https://hooks.example.com/dunning"}},
        ],
    )
    WebhookEndpoint.objects.create(
        tenant=tenant, url="https://hooks.example.com/events", event_types=["dunning.step_executed"]
    )


def _written(tenant):
    from ispstack.collections.models import Reminder
    from ispstack.webhooks.models import WebhookDelivery

    logs = DunningActionLog.objects.filter(tenant=tenant)
    return {
        "steps": sorted(logs.values_list("execution__customer__account_number", "position", "ok")),
        "reminders": Reminder.objects.filter(tenant=tenant).count(),
        "jobs": sorted(
            Job.objects.filter(tenant=tenant, kind__startswith="collections.").values_list(
                "kind", flat=True
            )
        ),
        "deliveries": WebhookDelivery.objects.filter(tenant=tenant).count(),
        "completed": DunningExecution.objects.filter(tenant=tenant, status="completed").count(),
    }


def test_a_run_steps_many_customers_with_the_statements_of_a_few(
    make_tenant, make_subscription, settings, monkeypatch
):
    """Message steps are written a chunk of executions at a time: eight late
    customers cost the queries of two, and chunks of three write what one
    chunk writes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ispstack.collections import dunning_steps

    settings.SMS_BACKEND = "http"  # the step only queues the SMS
    few, many, chunked = make_tenant(), make_tenant(), make_tenant()
    for tenant, count in ((few, 2), (many, 8), (chunked, 8)):
        _late_customers(tenant, make_subscription, count)
    queries = []
    for tenant in (few, many):
        with CaptureQueriesContext(connection) as captured:
            run_collections(tenant=tenant, as_of=D(2026, 1, 16))
        queries.append(len(captured))
    assert queries[0] == queries[1]
    monkeypatch.setattr(dunning_steps, "CHUNK", 3)
    run_collections(tenant=chunked, as_of=D(2026, 1, 16))

    written = _written(many)
    assert len(written["steps"]) == 8 * 4 and all(ok for *_, ok in written["steps"])
    assert written["reminders"] == 8 and written["deliveries"] == 8 * 4
    assert written["completed"] == 8
    assert written["jobs"] == sorted(
        ["collections.send_reminder", "collections.dunning_email"] * 8
        + ["collections.dunning_sms", "collections.dunning_webhook"] * 8
    )
    shape = {key: value for key, value in written.items() if key != "steps"}
    chunked_written = _written(chunked)
    assert {key: value for key, value in chunked_written.items() if key != "steps"} == shape
    assert [s[1:] for s in chunked_written["steps"]] == [s[1:] for s in written["steps"]]
