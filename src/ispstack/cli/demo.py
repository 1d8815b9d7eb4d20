"""The demo ISP: sample data and a simulation of three months, day by day.

Every step goes through the same services an ISP uses: sign-up, activation,
billing runs, payments, collections runs, the usage rollup. Accounting that
FreeRADIUS would write is simulated as one radacct session per active
subscriber and day.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Sum

from ispstack.billing.models import (
    OPEN_STATUSES,
    BillingRun,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from ispstack.billing.selectors import settings_for as billing_settings
from ispstack.billing.services import run_billing
from ispstack.catalog.services import create_plan, create_tax_rate
from ispstack.collections.dunning import DEFAULT_SUSPEND_AFTER_DAYS
from ispstack.collections.models import (
    CollectionRun,
    DunningActionLog,
    DunningCampaign,
    DunningExecution,
    DunningStep,
    Reminder,
)
from ispstack.collections.services import run_collections
from ispstack.core import clock, outbox
from ispstack.core.models import AuditLog, Job, Sequence, Tenant, User
from ispstack.customers.models import Customer
from ispstack.customers.services import create_customer
from ispstack.network.models import IPAddress, IPPool
from ispstack.network.services import create_pool
from ispstack.notifications.models import EmailLog
from ispstack.payments.models import Allocation, Payment, PaymentMethod, Refund
from ispstack.payments.services import record_payment
from ispstack.radius.models import RadAcct, RadCheck, RadReply, RadUserGroup
from ispstack.subscriptions.models import Subscription, SubscriptionEvent
from ispstack.subscriptions.services import activate, create_subscription
from ispstack.usage.models import CountedSession, DailyUsage
from ispstack.usage.services import rollup

FIRST = [
    "Thabo",
    "Lerato",
    "Sipho",
    "Naledi",
    "Johan",
    "Anika",
    "Pieter",
    "Zanele",
    "Ayesha",
    "Kagiso",
    "Mandla",
    "Refilwe",
    "Chris",
    "Fatima",
    "Willem",
    "Nomsa",
    "Tshepo",
    "Lindiwe",
]
LAST = [
    "Mokoena",
    "Naidoo",
    "van der Merwe",
    "Dlamini",
    "Botha",
    "Khumalo",
    "Pillay",
    "Smith",
    "Nkosi",
    "Pretorius",
    "Molefe",
    "Jacobs",
    "Ndlovu",
    "Coetzee",
    "Sithole",
    "Adams",
]
STREETS = [
    "Main Road",
    "Church Street",
    "Long Street",
    "Kloof Street",
    "Beach Road",
    "Voortrekker Road",
    "Jan Smuts Avenue",
]


@dataclass
class Summary:
    """What the simulation did, for the printed report."""

    start: dt.date
    end: dt.date
    subscribers: int = 0
    invoices: int = 0
    invoiced: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    overdue: Decimal = Decimal(0)
    suspended_now: int = 0
    suspensions: int = 0
    reconnections: int = 0
    reminders: int = 0
    emails: int = 0
    usage_bytes: int = 0
    currency: str = ""
    pdf_dir: str = ""
    behaviours: dict[str, int] = field(default_factory=dict)


def reset_tenant(slug: str) -> None:
    """Delete a tenant and everything it owns (the demo runs on a clean slate)."""
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        return
    usernames = list(Subscription.objects.filter(tenant=tenant).values_list("username", flat=True))
    with transaction.atomic():
        sessions = RadAcct.objects.filter(username__in=usernames)
        CountedSession.objects.filter(radacctid__in=sessions.values("radacctid")).delete()
        sessions.delete()
        for model in (
            Allocation,
            Refund,
            Payment,
            Reminder,
            CollectionRun,
            DunningActionLog,
            DunningExecution,
            DunningStep,
            DunningCampaign,
            CreditNoteLine,
            CreditNote,
            InvoiceLine,
            Invoice,
            BillingRun,
            DailyUsage,
            SubscriptionEvent,
            RadCheck,
            RadReply,
            RadUserGroup,
        ):
            model.objects.filter(tenant=tenant).delete()
        Subscription.objects.filter(tenant=tenant).delete()
        for owned in (IPAddress, IPPool, Customer, Job, EmailLog, AuditLog, Sequence):
            owned.objects.filter(tenant=tenant).delete()
        from ispstack.catalog.models import Plan, TaxRate

        Plan.objects.filter(tenant=tenant).delete()
        TaxRate.objects.filter(tenant=tenant).delete()
        User.objects.filter(tenant=tenant).delete()
        tenant.delete()


def create_demo_tenant(slug: str = "demo") -> tuple[Tenant, str]:
    """A sample South African ISP (ZAR, VAT 15 %) and its admin login.

    Returns (tenant, password).
    """
    reset_tenant(slug)
    tenant = Tenant.objects.create(
        name="Demo Fibre",
        slug=slug,
        timezone="Africa/Johannesburg",
        currency="ZAR",
        country="ZA",
        legal_name="Demo Fibre (Pty) Ltd",
        tax_number="4123456789",
        address="12 Long Street\n8001 Cape Town\nSouth Africa",
        email="billing@demofibre.example",
        bank_details="Demo Bank, account 1234567890, branch 250655",
    )
    password = secrets.token_urlsafe(9)
    user = User.objects.create_user(
        username=f"{slug}-admin",
        password=password,
        is_staff=True,
        tenant=tenant,
        email="noc@demofibre.example",
    )
    user.groups.add(Group.objects.get(name="admin"))
    return tenant, password


def simulate(
    tenant: Tenant,
    *,
    subscribers: int = 50,
    months: int = 3,
    seed: int = 7,
    end: dt.date | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Summary:
    """Sign up ``subscribers`` and live ``months`` months, one day at a time.

    Behaviour per subscriber (seeded): 70 % pay within the payment terms,
    18 % pay 12-25 days after the due date (suspended, then reconnected),
    12 % never pay (suspended for good).
    """
    rng = random.Random(seed)
    end = end or clock.today(tenant)
    start = clock.add_months(end.replace(day=1), -months)
    summary = Summary(start=start, end=end, currency=tenant.currency)
    vat = create_tax_rate(tenant=tenant, name="VAT", rate="15")
    plans = [
        create_plan(
            tenant=tenant,
            code="fibre-20",
            name="Fibre 20/5",
            download_kbps=20000,
            upload_kbps=5000,
            monthly_price="299.00",
            tax_rate=vat,
        ),
        create_plan(
            tenant=tenant,
            code="fibre-50",
            name="Fibre 50/10",
            download_kbps=50000,
            upload_kbps=10000,
            monthly_price="499.00",
            tax_rate=vat,
        ),
        create_plan(
            tenant=tenant,
            code="fibre-100",
            name="Fibre 100/20",
            download_kbps=100000,
            upload_kbps=20000,
            monthly_price="799.00",
            tax_rate=vat,
            data_cap_bytes=2 * 10**12,
        ),
    ]
    pool = create_pool(
        tenant=tenant, name="PPPoE static", cidr="100.64.0.0/22", gateway="100.64.0.1"
    )
    behaviour: dict[int, str] = {}
    for n in range(subscribers):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        customer = create_customer(
            tenant=tenant,
            name=f"{first} {last}",
            email=f"{first.lower()}.{last.lower().replace(' ', '')}{n}@example.net",
            phone=f"+2782{rng.randint(1000000, 9999999)}",
            billing_address_line1=f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            billing_city="Cape Town",
            billing_postal_code="8001",
            billing_country="ZA",
            service_address_line1=f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            service_city="Cape Town",
            service_postal_code="8001",
            service_country="ZA",
            service_latitude=Decimal("-33.92") + Decimal(rng.randint(-500, 500)) / 10000,
            service_longitude=Decimal("18.42") + Decimal(rng.randint(-500, 500)) / 10000,
        )
        create_subscription(
            tenant=tenant,
            customer=customer,
            plan=rng.choice(plans),
            pool=pool,
            username=f"{tenant.slug}-{n + 1:04d}@demofibre.net",
            billing_day=rng.choice([1, 5, 25, 30]),
            start_date=start + dt.timedelta(days=rng.randint(0, 27)),
        )
        roll = rng.random()
        behaviour[customer.pk] = "prompt" if roll < 0.70 else "late" if roll < 0.88 else "never"
        summary.behaviours[behaviour[customer.pk]] = (
            summary.behaviours.get(behaviour[customer.pk], 0) + 1
        )
        summary.subscribers += 1
    pay_on: dict[int, dt.date] = {}
    day = start
    while day <= end:
        for sub in Subscription.objects.for_tenant(tenant).filter(
            status="pending", start_date__lte=day
        ):
            activate(subscription=sub, actor="demo", on=sub.start_date)
        run_billing(tenant=tenant, as_of=day)
        outbox.drain()
        for invoice in (
            Invoice.objects.for_tenant(tenant)
            .filter(status__in=OPEN_STATUSES, issue_date=day)
            .exclude(pk__in=pay_on.keys())
        ):
            kind = behaviour[invoice.customer_id]
            if kind == "prompt":
                pay_on[invoice.pk] = day + dt.timedelta(
                    days=rng.randint(1, billing_settings(tenant).invoice_net_days)
                )
            elif kind == "late":
                pay_on[invoice.pk] = invoice.due_date + dt.timedelta(
                    days=rng.randint(DEFAULT_SUSPEND_AFTER_DAYS + 2, 25)
                )
        for invoice in Invoice.objects.for_tenant(tenant).filter(
            status__in=OPEN_STATUSES, pk__in=[k for k, v in pay_on.items() if v == day]
        ):
            record_payment(
                tenant=tenant,
                customer=invoice.customer,
                amount=invoice.amount_due,
                received_on=day,
                method=PaymentMethod.BANK_TRANSFER,
                reference=f"EFT {invoice.number}",
            )
        run_collections(tenant=tenant, as_of=day)
        outbox.drain()
        _simulate_accounting(tenant, day, rng)
        rollup()
        if day.day == 1 or day == end:
            progress(f"  simulated up to {day}")
        day += dt.timedelta(days=1)
    return _summarise(tenant, summary)


def _simulate_accounting(tenant: Tenant, day: dt.date, rng: random.Random) -> None:
    """One accounting session per active subscriber, as FreeRADIUS would store it."""
    begin = clock.start_of_day(tenant, day) + dt.timedelta(hours=6)
    rows = []
    for sub in (
        Subscription.objects.for_tenant(tenant).filter(status="active").select_related("ip_address")
    ):
        seconds = rng.randint(3600, 16 * 3600)
        rows.append(
            RadAcct(
                acctsessionid=f"{day:%Y%m%d}-{sub.pk}",
                acctuniqueid=f"demo-{day:%Y%m%d}-{sub.pk}",
                username=sub.username,
                nasipaddress="100.64.3.254",
                framedipaddress=sub.ip_address.address if sub.ip_address else None,
                acctstarttime=begin,
                acctupdatetime=begin + dt.timedelta(seconds=seconds),
                acctstoptime=begin + dt.timedelta(seconds=seconds),
                acctsessiontime=seconds,
                acctinputoctets=rng.randint(50, 900) * 10**6,
                acctoutputoctets=rng.randint(1, 12) * 10**9 + rng.randint(0, 10**9),
                acctterminatecause="User-Request",
            )
        )
    RadAcct.objects.bulk_create(rows)


def _summarise(tenant: Tenant, summary: Summary) -> Summary:
    invoices = Invoice.objects.for_tenant(tenant).exclude(status=InvoiceStatus.VOID)
    summary.invoices = invoices.count()
    summary.invoiced = invoices.aggregate(s=Sum("total"))["s"] or Decimal(0)
    summary.paid = invoices.aggregate(s=Sum("amount_paid"))["s"] or Decimal(0)
    overdue = invoices.filter(status__in=OPEN_STATUSES, due_date__lt=summary.end)
    summary.overdue = sum((i.amount_due for i in overdue), Decimal(0))
    subs = Subscription.objects.for_tenant(tenant)
    summary.suspended_now = subs.filter(status="suspended").count()
    events = SubscriptionEvent.objects.for_tenant(tenant)
    summary.suspensions = events.filter(
        to_status="suspended", reason__startswith="non-payment"
    ).count()
    summary.reconnections = events.filter(from_status="suspended", to_status="active").count()
    summary.reminders = Reminder.objects.for_tenant(tenant).count()
    summary.emails = EmailLog.objects.for_tenant(tenant).filter(status="sent").count()
    usage = DailyUsage.objects.for_tenant(tenant).aggregate(
        i=Sum("input_octets"), o=Sum("output_octets")
    )
    summary.usage_bytes = (usage["i"] or 0) + (usage["o"] or 0)
    summary.pdf_dir = str(settings.MEDIA_ROOT / "invoices")
    return summary
