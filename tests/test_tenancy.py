"""Tenancy: every business table carries a tenant, and staff of tenant B can
neither read nor change tenant A's objects, through the API or the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from ispstack.network.models import Nas

pytestmark = pytest.mark.django_db

# Written by FreeRADIUS (attributed through the User-Name) or global by nature.
NO_TENANT = {
    "core.tenant",
    "radius.radacct",
    "radius.radacctarchive",
    "radius.radpostauth",
    "radius.nasreload",
    "usage.rollupstate",
    "usage.countedsession",
}
# FreeRADIUS tables we write: the tenant column is an extra, nullable column.
NULLABLE_TENANT = {
    "core.user",
    # A platform operator's API tokens, like the operator, belong to no tenant.
    "api.apitoken",
    "radius.radcheck",
    "radius.radreply",
    "radius.radgroupcheck",
    "radius.radgroupreply",
    "radius.radusergroup",
    "network.nas",
    # The job log: a run over every tenant at once belongs to none (the platform operator's).
    "core.jobexecution",
}


def _our_models():
    return [m for m in apps.get_models() if m.__module__.startswith("ispstack.")]


def test_every_business_table_has_a_tenant():
    missing, nullable = [], []
    for model in _our_models():
        label = model._meta.label_lower
        if label in NO_TENANT:
            continue
        try:
            field = model._meta.get_field("tenant")
        except Exception:  # noqa: BLE001
            missing.append(label)
            continue
        if field.null and label not in NULLABLE_TENANT:
            nullable.append(label)
    assert missing == []
    assert nullable == []


@pytest.fixture
def two_tenants(make_tenant, make_subscription, make_staff):
    """Tenant A with one of every kind of object, tenant B empty."""
    from ispstack.billing.services import run_billing
    from ispstack.collections.services import run_collections
    from ispstack.notifications.models import EmailLog
    from ispstack.payments.services import record_payment
    from ispstack.radius.models import RadAcct
    from ispstack.usage.services import rollup
    from ispstack.webhooks.models import WebhookEndpoint

    a, b = make_tenant(), make_tenant()
    from ispstack.api.tokens import create_token

    create_token(user=make_staff(a, "admin"), name="a's token")
    # Written directly: the service would resolve the host (SSRF guard).
    WebhookEndpoint.objects.create(
        tenant=a, url="https://hooks.example/ispstack", event_types=["invoices.issued"]
    )
    sub = make_subscription(a, start_date=dt.date(2026, 1, 1))
    payer = make_subscription(a, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=a, as_of=dt.date(2026, 1, 1))
    record_payment(tenant=a, customer=payer.customer, amount="35.70")
    from ispstack.billing.credit_notes import create_credit_note
    from ispstack.billing.models import Invoice
    from ispstack.payments.services import record_refund

    create_credit_note(invoice=Invoice.objects.get(customer=payer.customer), reason="outage")
    record_refund(tenant=a, customer=payer.customer, amount="10.00")
    from ispstack.billing.proration import add_charge

    add_charge(subscription=payer, description="Installation", amount="49.00")
    from ispstack.catalog.services import create_addon, create_bundle, create_promotion
    from ispstack.subscriptions.services import attach_addon, grant_promotion
    from tests.conftest import tenant_tax

    addon = create_addon(
        tenant=a, code="ip", name="Static IP", monthly_price="5", tax_rate=tenant_tax(a, "19")
    )
    attach_addon(subscription=payer, addon=addon)
    promo = create_promotion(tenant=a, code="half", name="Half", kind="percent", value="50")
    grant_promotion(subscription=payer, promotion=promo)
    create_bundle(
        tenant=a, code="b", name="B", discount_kind="percent", discount_value="5", addons=[addon]
    )
    from ispstack.core.models import ExchangeRate

    ExchangeRate.objects.create(tenant=a, currency="USD", day=dt.date(2026, 1, 1), rate="0.9")
    from ispstack.core.job_log import job_run

    with job_run("ispstack.billing.run_billing", tenant=a, arguments={"as_of": "2026-01-01"}):
        pass
    from ispstack.reports.models import MarketingSpend

    MarketingSpend.objects.create(tenant=a, month=dt.date(2026, 1, 1), amount="100.00")
    from ispstack.reports.models import ReportDelivery, ReportSchedule

    schedule = ReportSchedule.objects.create(
        tenant=a,
        report="mrr",
        frequency="daily",
        send_time=dt.time(7, 0),
        recipients=["owner@isp.example"],
    )
    ReportDelivery.objects.create(
        tenant=a,
        schedule=schedule,
        due_at=dt.datetime(2026, 1, 2, 6, 0, tzinfo=dt.UTC),
        period_start=dt.date(2025, 12, 1),
        period_end=dt.date(2025, 12, 31),
        recipients=["owner@isp.example"],
        filename="mrr-a-2026-01-02.xlsx",
        content=b"",
    )
    from django.core.files.base import ContentFile

    from ispstack.payments.methods import add_bank_account
    from ispstack.payments.statements import import_statement
    from ispstack.payments.transfers import submit_transfer
    from tests.test_payments_in import camt053

    add_bank_account(customer=sub.customer, iban="DE89370400440532013000", holder_name="A")
    submit_transfer(
        customer=sub.customer,
        amount="1.00",
        transferred_on=dt.date(2026, 1, 3),
        proof=ContentFile(b"%PDF", name="p.pdf"),
    )
    import_statement(tenant=a, data=camt053([("T1", "1.00", "CRDT", "?", "")]), filename="s")
    from ispstack.payments.direct_debit import create_batch
    from tests.tenant_settings import configure

    configure(
        a,
        sepa_creditor_id="DE98ZZZ09999999999",
        sepa_creditor_iban="DE89370400440532013000",
        sepa_creditor_bic="COBADEFFXXX",
    )
    add_bank_account(
        customer=sub.customer,
        iban="DE44500105175407324931",
        holder_name="A",
        mandate_reference="M-1",
        mandate_signed_on=dt.date(2025, 12, 1),
        primary=True,
    )
    create_batch(tenant=a, collection_date=dt.date(2026, 2, 1))
    from ispstack.radius.models import CoaRequest

    CoaRequest.objects.create(tenant=a, username=sub.username, kind="disconnect", status="ack")
    record_payment(tenant=a, customer=sub.customer, amount="5.00", received_on=dt.date(2026, 1, 2))
    run_collections(tenant=a, as_of=dt.date(2026, 1, 26))
    EmailLog.objects.create(tenant=a, to="x@example.net", subject="s", body="b", status="sent")
    from ispstack.notifications.models import SmsLog

    SmsLog.objects.create(tenant=a, to="+4930123", text="t", status="sent")
    now = dt.datetime.now(dt.UTC)
    RadAcct.objects.create(
        acctsessionid="s1",
        acctuniqueid="u1",
        username=sub.username,
        nasipaddress="192.0.2.1",
        acctstarttime=now,
        acctupdatetime=now,
        acctinputoctets=10,
        acctoutputoctets=20,
    )
    rollup()
    Nas.objects.create(tenant=a, nasname="192.0.2.1", shortname="bras-a", secret="s3cr3t")
    from ispstack.radius.models import AccessBlock, RateOverride

    AccessBlock.objects.create(tenant=a, username=sub.username, reason="blocked")
    RateOverride.objects.create(
        tenant=a, username=sub.username, upload_kbps=1, download_kbps=1, reason="fair use"
    )
    make_staff(a, "billing")
    from ispstack.usage.models import TopUp, TopUpOffer, UsageAlert

    offer = TopUpOffer.objects.create(
        tenant=a, name="Top-up A 10 GB", extra_bytes=10**10, price="5.00", currency=a.currency
    )
    TopUp.objects.create(
        tenant=a,
        subscription=sub,
        cycle_start=dt.date(2026, 1, 1),
        extra_bytes=10**9,
        offer=offer,
    )
    UsageAlert.objects.create(
        tenant=a,
        subscription=sub,
        cycle_start=dt.date(2026, 1, 1),
        threshold=80,
        used_bytes=8,
        allowance_bytes=10,
    )
    from ispstack.network.prefixes import create_prefix_pool
    from ispstack.usage.models import OverageCharge

    create_prefix_pool(
        tenant=a, name="pd-a", prefix="2001:db8:a::/48", assign_length=56, kind="delegated"
    )

    OverageCharge.objects.create(
        tenant=a,
        subscription=sub,
        cycle_start=dt.date(2026, 1, 1),
        cycle_end=dt.date(2026, 1, 31),
        used_bytes=12,
        allowance_bytes=10,
        excess_gigabytes="0.001",
        price_per_gb="2.00",
    )
    from ispstack.collections.dunning import create_campaign, run_dunning

    create_campaign(tenant=a, name="Dun", steps=[{"action": "sms"}])
    run_dunning(tenant=a, as_of=dt.date(2026, 3, 1))
    from ispstack.tickets.mail.mailboxes import create_mailbox
    from ispstack.tickets.models import TicketEmail
    from ispstack.tickets.services import open_ticket

    box = create_mailbox(
        tenant=a,
        name="Support",
        host="imap.example.net",
        port=993,
        username="support",
        password="imap-secret",
        support_address="support@a.example",
    )
    TicketEmail.objects.create(
        tenant=a,
        ticket=open_ticket(tenant=a, subject="by mail", source="email"),
        mailbox=box,
        direction="in",
        message_id="<m1@example.net>",
    )
    from ispstack.provisioning.orders import create_order
    from ispstack.provisioning.services import create_lead, schedule_survey

    lead = create_lead(tenant=a, name="Prospect A")
    schedule_survey(lead=lead, scheduled_at="2026-01-05T09:00:00+00:00")
    create_order(subscription=make_subscription(a, active=False), lead=lead)
    from ispstack.sales.services import add_line, create_quote

    add_line(quote=create_quote(tenant=a, lead=lead.pk), kind="plan", plan=sub.plan_id)
    from ispstack.sales.contracts import services as contracts
    from ispstack.sales.contracts.credits import issue_service_credit

    contract = contracts.create_contract(
        tenant=a,
        customer=sub.customer,
        subscriptions=[sub.pk],
        term_months=12,
        start_date=dt.date(2026, 1, 1),
    )
    contracts.activate_contract(contract=contract)
    issue_service_credit(contract=contract, month="2026-01-01", amount="1.00", reason="goodwill")
    from ispstack.sales.contracts.commitments import measure_month

    measure_month(contract, dt.date(2026, 1, 1))
    from ispstack.sales.models import DowngradeFee

    DowngradeFee.objects.create(
        tenant=a,
        contract=contract,
        subscription=sub,
        old_plan=sub.plan,
        new_plan=sub.plan,
        effective=dt.date(2026, 1, 15),
        amount="25.00",
        charge=add_charge(subscription=sub, description="Downgrade fee", amount="25.00"),
    )
    from tests.field_world import add_field_rows

    add_field_rows(a, make_staff(a, "technician"))
    from ispstack.tickets import services as tickets
    from ispstack.tickets.models import Holiday
    from tests.api_world import Inventory

    inventory = Inventory(a, sub, sub.plan)
    from ispstack.subscriptions.models import Subscription
    from ispstack.tickets.outages.services import declare_outage

    Subscription.objects.filter(pk=sub.pk).update(sector=inventory.sector)
    declare_outage(tenant=a, sector=inventory.sector, cause="power")
    team = tickets.create_team(tenant=a, name="Support")
    tickets.route_type(tenant=a, ticket_type="billing_issue", team=team)
    tickets.set_sla_policy(
        tenant=a, priority="low", first_response_minutes=480, resolution_minutes=4320
    )
    # Entered in the admin (no service writes holidays).
    Holiday.objects.create(tenant=a, day=dt.date(2026, 12, 24), name="Christmas Eve")
    tickets.save_canned_response(tenant=a, title="Hello", body="Hi!")
    from ispstack.portal.services import create_login

    create_login(customer=sub.customer, email="portal@a.example", password="pw-portal-123")
    # Portal host names are the platform operator's, entered in the admin.
    from ispstack.portal.models import PortalHost

    PortalHost.objects.create(tenant=a, host="my.a-isp.example")
    # The journal: the default chart, its mappings and the entries of the above.
    from ispstack.accounting.journal.runner import post_journal

    post_journal(tenant=a, through=dt.date(2100, 1, 1))
    # A fee spread over a term, and January's revenue recognised and closed.
    from ispstack.accounting.services import close_month, spread_charge
    from ispstack.billing.models import Charge

    spread_charge(charge=Charge.objects.filter(subscription=payer).first(), months=12)
    close_month(tenant=a, month=dt.date(2026, 1, 1))
    # The hotspot: a guest, the walled garden, a reported device and its
    # router's secret; a voucher plan, an agent and a batch of its vouchers.
    from ispstack.hotspot.vouchers import services as vouchers
    from tests.hotspot_world import CaptiveWorld

    CaptiveWorld(a, Nas.objects.get(tenant=a, shortname="bras-a"))
    vouchers.generate_batch(
        tenant=a,
        plan=vouchers.create_plan(
            tenant=a,
            code="hour",
            name="One hour",
            duration_seconds=3600,
            download_kbps=4096,
            upload_kbps=1024,
            price="1.00",
            tax_rate=tenant_tax(a, "15"),
        ),
        agent=vouchers.create_agent(tenant=a, name="Kiosk A"),
        count=2,
    )
    return a, b


API = [
    "customers",
    "tax-rates",
    "plans",
    "subscriptions",
    "invoices",
    "payments",
    "credit-notes",
    "refunds",
    "charges",
    "addons",
    "promotions",
    "bundles",
    "billing-runs",
    "payment-methods",
    "bank-transfers",
    "bank-statements",
    "statement-lines",
    "direct-debit-batches",
    "dunning-campaigns",
    "dunning-executions",
    "nas",
    "webhook-endpoints",
    "webhook-deliveries",
    "outages",
    "report-schedules",
]
API_MODELS = {
    "customers": "customers.customer",
    "tax-rates": "catalog.taxrate",
    "plans": "catalog.plan",
    "subscriptions": "subscriptions.subscription",
    "invoices": "billing.invoice",
    "payments": "payments.payment",
    "credit-notes": "billing.creditnote",
    "refunds": "payments.refund",
    "charges": "billing.charge",
    "addons": "catalog.addon",
    "promotions": "catalog.promotion",
    "bundles": "catalog.bundle",
    "billing-runs": "billing.billingrun",
    "payment-methods": "payments.customerpaymentmethod",
    "bank-transfers": "payments.banktransfer",
    "bank-statements": "payments.bankstatement",
    "statement-lines": "payments.statementline",
    "direct-debit-batches": "payments.directdebitbatch",
    "dunning-campaigns": "collections.dunningcampaign",
    "dunning-executions": "collections.dunningexecution",
    "nas": "network.nas",
    "webhook-endpoints": "webhooks.webhookendpoint",
    "webhook-deliveries": "webhooks.webhookdelivery",
    "outages": "tickets.outage",
    "report-schedules": "reports.reportschedule",
}


@pytest.mark.parametrize("endpoint", API)
def test_api_hides_other_tenants_objects(two_tenants, api_client_for, endpoint):
    a, b = two_tenants
    model = apps.get_model(API_MODELS[endpoint])
    theirs = model.objects.filter(tenant=a).first()
    assert theirs is not None
    mine_client, their_client = api_client_for(b), api_client_for(a)
    url = f"/api/v1/{endpoint}/"
    assert their_client.get(f"{url}{theirs.pk}/").status_code == 200
    listed = mine_client.get(url).json()
    assert listed["count"] == 0
    assert mine_client.get(f"{url}{theirs.pk}/").status_code == 404
    assert mine_client.patch(f"{url}{theirs.pk}/", {"name": "x"}, format="json").status_code in (
        404,
        405,
    )
    assert mine_client.delete(f"{url}{theirs.pk}/").status_code in (404, 405)


@pytest.mark.parametrize("action", ["activate", "suspend", "reconnect", "terminate"])
def test_api_cannot_act_on_other_tenants_subscriptions(two_tenants, api_client_for, action):
    from ispstack.subscriptions.models import Subscription

    a, b = two_tenants
    sub = Subscription.objects.filter(tenant=a).first()
    before = sub.status
    response = api_client_for(b).post(
        f"/api/v1/subscriptions/{sub.pk}/{action}/", {"reason": "hostile"}, format="json"
    )
    assert response.status_code == 404
    assert Subscription.objects.get(pk=sub.pk).status == before


def test_api_cannot_pay_or_sign_up_with_other_tenants_objects(two_tenants, api_client_for):
    from ispstack.customers.models import Customer
    from ispstack.payments.models import Payment

    a, b = two_tenants
    customer = Customer.objects.filter(tenant=a).first()
    client = api_client_for(b)
    paid = client.post(
        "/api/v1/payments/", {"customer": customer.pk, "amount": "10.00"}, format="json"
    )
    assert paid.status_code == 404
    by_number = client.post(
        "/api/v1/payments/",
        {"account_number": customer.account_number, "amount": "10.00"},
        format="json",
    )
    assert by_number.status_code == 404
    assert by_number.json()["field"] == "account"
    signup = client.post(
        "/api/v1/subscriptions/",
        {"customer": customer.pk, "plan": 1, "username": "x9@isp.example"},
        format="json",
    )
    assert signup.status_code == 404
    assert Payment.objects.filter(tenant=b).count() == 0


def _admin_models():
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        # Third-party admins (django-axes' lockouts, django-otp's devices) are
        # reached through model permissions that no tenant role grants.
        if not model.__module__.startswith("ispstack.") or label in NO_TENANT:
            continue
        yield label, model, model_admin


@pytest.mark.parametrize("label", [label for label, _, _ in _admin_models()])
def test_admin_hides_other_tenants_objects(two_tenants, make_staff, label):
    a, b = two_tenants
    model = apps.get_model(label)
    theirs = model.objects.filter(tenant=a).first()
    assert theirs is not None, f"fixture has no {label}"
    client = Client()
    client.force_login(make_staff(b, "admin"))
    info = (model._meta.app_label, model._meta.model_name)
    changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert changelist.status_code == 200
    assert theirs.pk not in [o.pk for o in changelist.context["cl"].result_list]
    change_url = reverse("admin:{}_{}_change".format(*info), args=[theirs.pk])
    response = client.get(change_url)
    assert response.status_code == 302  # "doesn't exist. Perhaps it was deleted?"
    client.post(change_url, {"name": "hijacked"})
    theirs_after = model.objects.get(pk=theirs.pk)
    assert str(theirs_after) == str(theirs)


def test_admin_shows_own_tenants_objects(two_tenants, make_staff):
    from ispstack.subscriptions.models import Subscription

    a, _ = two_tenants
    client = Client()
    client.force_login(make_staff(a, "admin"))
    response = client.get(reverse("admin:subscriptions_subscription_changelist"))
    assert (
        len(response.context["cl"].result_list)
        == Subscription.objects.filter(tenant=a).count()
        == 3  # two active, one pending with its service order
    )
