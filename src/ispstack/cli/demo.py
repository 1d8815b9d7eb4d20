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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, transaction
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
from ispstack.catalog.models import Plan
from ispstack.catalog.services import create_plan, create_tax_rate
from ispstack.cli import demo_network, demo_outages
from ispstack.cli.demo_mail import MailWorker
from ispstack.cli.demo_sales import sales_pipeline
from ispstack.collections.dunning import DEFAULT_SUSPEND_AFTER_DAYS, ensure_default_campaign
from ispstack.collections.models import (
    CollectionRun,
    DunningActionLog,
    DunningCampaign,
    DunningExecution,
    DunningStep,
    Reminder,
)
from ispstack.collections.services import run_collections
from ispstack.core import clock
from ispstack.core.models import AuditLog, Job, Sequence, Tenant, User
from ispstack.customers.models import Customer
from ispstack.customers.services import create_customer
from ispstack.network.models import IPAddress, IPPool, Nas, Onu
from ispstack.network.nas import create_nas
from ispstack.network.services import create_pool
from ispstack.notifications.models import EmailLog
from ispstack.payments.models import Allocation, Payment, PaymentMethod, Refund
from ispstack.payments.services import record_payment
from ispstack.provisioning.models import Lead, ServiceOrder
from ispstack.radius.models import (
    CoaRequest,
    RadAcct,
    RadCheck,
    RadPostAuth,
    RadReply,
    RadUserGroup,
)
from ispstack.subscriptions.models import OnuAssignment, Subscription, SubscriptionEvent
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
    now: dt.datetime | None = None
    behaviours: dict[str, int] = field(default_factory=dict)
    sales: dict[str, int] = field(default_factory=dict)
    outages: dict[str, int] = field(default_factory=dict)


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
        RadPostAuth.objects.filter(username__in=usernames).delete()
        CoaRequest.objects.filter(tenant=tenant).delete()
        demo_outages.reset(tenant)
        demo_network.reset(tenant)
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
            ServiceOrder,
            Lead,
            OnuAssignment,
            Onu,
        ):
            model.objects.filter(tenant=tenant).delete()
        Subscription.objects.filter(tenant=tenant).delete()
        demo_network.reset_after_subscriptions(tenant)
        for owned in (IPAddress, IPPool, Nas, Customer, Job, EmailLog, AuditLog, Sequence):
            owned.objects.filter(tenant=tenant).delete()
        from ispstack.catalog.models import TaxRate

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
    12 % never pay (suspended for good); the first never pays and the second
    pays late, so every screen has a suspended and an overdue customer.

    The business clock follows the simulation (``clock.simulated``): each
    day signs up and activates in the morning, bills, takes payments during
    the day, runs collections in the afternoon and folds the day's
    accounting in at night, so every timestamp the services write lies on the
    simulated day. The last day stops at 18:00 (or now, if earlier) with some
    subscribers online (open sessions). ``Summary.now`` is that instant.
    """
    rng = random.Random(seed)
    end = end or clock.today(tenant)
    start = clock.add_months(end.replace(day=1), -months)
    wall = clock.now()
    final = min(clock.start_of_day(tenant, end) + dt.timedelta(hours=18), wall)

    def at(day: dt.date, hours: float) -> dt.datetime:
        """``hours`` after the tenant's midnight of ``day``, never past the end."""
        return min(clock.start_of_day(tenant, day) + dt.timedelta(hours=hours), final)

    summary = Summary(start=start, end=end, currency=tenant.currency, now=final)
    with clock.simulated(at(start, 7)), _commits_unflushed(), MailWorker() as mail:
        # The ISP opened its books the morning the simulation starts.
        Tenant.objects.filter(pk=tenant.pk).update(created_at=clock.now())
        User.objects.filter(tenant=tenant).update(date_joined=clock.now())
        plans, pool = _catalog(tenant)
        nas = create_nas(
            tenant=tenant,
            nasname=DEMO_NAS_ADDRESS,
            shortname="cpt-bras-1",
            type="mikrotik",
            secret=secrets.token_urlsafe(12),
            coa_port=3799,
            description="Cape Town BRAS (demo)",
            actor="demo",
        )
        ensure_default_campaign(tenant)
        signups = _plan_signups(tenant, rng, subscribers, start, plans)
        for kind in (s.behaviour for s in signups):
            summary.behaviours[kind] = summary.behaviours.get(kind, 0) + 1
        summary.subscribers = len(signups)
        behaviour: dict[int, str] = {}
        pay_on: dict[int, dt.date] = {}
        day = start
        while day <= end:
            clock.move_to(at(day, 7))
            for signup in (s for s in signups if s.start_date == day):
                customer = _sign_up(tenant, signup, pool)
                behaviour[customer.pk] = signup.behaviour
            for sub in Subscription.objects.for_tenant(tenant).filter(
                status="pending", start_date__lte=day
            ):
                activate(subscription=sub, actor="demo", on=sub.start_date)
            clock.move_to(at(day, 8))
            run_billing(tenant=tenant, as_of=day)
            mail.drain()
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
                clock.move_to(at(day, rng.uniform(9, 16)))
                record_payment(
                    tenant=tenant,
                    customer=invoice.customer,
                    amount=invoice.amount_due,
                    received_on=day,
                    method=PaymentMethod.BANK_TRANSFER,
                    reference=f"EFT {invoice.number}",
                )
            clock.move_to(at(day, 17))
            run_collections(tenant=tenant, as_of=day)
            mail.drain()
            night = at(day, 23.5)
            clock.move_to(night)
            _simulate_accounting(tenant, day, rng, until=night, online=day == end)
            rollup()
            if day.day == 1 or day == end:
                progress(f"  simulated up to {day}")
            day += dt.timedelta(days=1)
        _record_disconnects(tenant, nas)
        demo_network.build_inventory(tenant, pool=pool, nas=nas, plans=plans)
        clock.move_to(at(end, 10))
        summary.sales = sales_pipeline(tenant, plans, pool)
        summary.outages = demo_outages.outages(tenant, now=final, drain=mail.drain)
        mail.finish()
    return _summarise(tenant, summary)


DEMO_NAS_ADDRESS = "100.64.3.254"


@contextmanager
def _commits_unflushed() -> Iterator[None]:
    """Inside the block this connection's commits return before their WAL
    reaches the disk (PostgreSQL's ``synchronous_commit = off``): the
    simulation commits some ten thousand small transactions, each of which
    would wait for a flush, and a demo lost to a crash is made again by
    running it again. Nothing else is relaxed: a commit is still atomic."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        # A failed block inside a caller's transaction (a test's) left it
        # aborted: the rollback ahead undoes the SET, and a RESET would
        # only hide the error.
        if not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


@dataclass
class _Signup:
    name: str
    email: str
    phone: str
    billing_line: str
    service_line: str
    latitude: Decimal
    longitude: Decimal
    plan: Plan
    username: str
    billing_day: int
    start_date: dt.date
    behaviour: str


def _catalog(tenant: Tenant) -> tuple[list[Plan], IPPool]:
    """The demo ISP's VAT, three fibre plans and its address pool."""
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
    return plans, pool


def _plan_signups(
    tenant: Tenant, rng: random.Random, count: int, start: dt.date, plans: list[Plan]
) -> list[_Signup]:
    """Who signs up when, on which plan, and how they will pay (seeded)."""
    signups = []
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        billing_line = f"{rng.randint(1, 200)} {rng.choice(STREETS)}"
        phone = f"+2782{rng.randint(1000000, 9999999)}"
        service_line = f"{rng.randint(1, 200)} {rng.choice(STREETS)}"
        latitude = Decimal("-33.92") + Decimal(rng.randint(-500, 500)) / 10000
        longitude = Decimal("18.42") + Decimal(rng.randint(-500, 500)) / 10000
        plan = rng.choice(plans)
        billing_day = rng.choice([1, 5, 25, 30])
        start_date = start + dt.timedelta(days=rng.randint(0, 27))
        roll = rng.random()
        kind = "prompt" if roll < 0.70 else "late" if roll < 0.88 else "never"
        # The first two sign up on day one: one never pays, one pays late.
        if n < 2:
            kind, start_date = ("never", "late")[n], start
        signups.append(
            _Signup(
                name=f"{first} {last}",
                email=f"{first.lower()}.{last.lower().replace(' ', '')}{n}@example.net",
                phone=phone,
                billing_line=billing_line,
                service_line=service_line,
                latitude=latitude,
                longitude=longitude,
                plan=plan,
                username=f"{tenant.slug}-{n + 1:04d}@demofibre.net",
                billing_day=billing_day,
                start_date=start_date,
                behaviour=kind,
            )
        )
    return signups


def _sign_up(tenant: Tenant, signup: _Signup, pool: IPPool) -> Customer:
    """The customer and its subscription, through the services a clerk's sign-up uses."""
    customer = create_customer(
        tenant=tenant,
        name=signup.name,
        email=signup.email,
        phone=signup.phone,
        billing_address_line1=signup.billing_line,
        billing_city="Cape Town",
        billing_postal_code="8001",
        billing_country="ZA",
        service_address_line1=signup.service_line,
        service_city="Cape Town",
        service_postal_code="8001",
        service_country="ZA",
        service_latitude=signup.latitude,
        service_longitude=signup.longitude,
    )
    create_subscription(
        tenant=tenant,
        customer=customer,
        plan=signup.plan,
        pool=pool,
        username=signup.username,
        billing_day=signup.billing_day,
        start_date=signup.start_date,
    )
    return customer


def _simulate_accounting(
    tenant: Tenant, day: dt.date, rng: random.Random, *, until: dt.datetime, online: bool
) -> None:
    """One accounting session per active subscriber, as FreeRADIUS would store
    it, with the login (radpostauth) that opened it; every session lies before
    ``until``. With ``online`` a third of them are still open (an interim
    update a few minutes ago), the subscribers online now."""
    morning = clock.start_of_day(tenant, day) + dt.timedelta(hours=6)
    sessions, logins = [], []
    for n, sub in enumerate(
        Subscription.objects.for_tenant(tenant).filter(status="active").select_related("ip_address")
    ):
        still_open = online and n % 3 == 0
        if still_open:
            # Online now: logged in hours ago (the day may have just begun),
            # the last interim update a few minutes before ``until``.
            begin = until - dt.timedelta(minutes=rng.randint(90, 20 * 60))
            seconds = int((until - begin).total_seconds()) - rng.randint(60, 240)
        else:
            begin = min(morning + dt.timedelta(minutes=rng.randint(0, 180)), until)
            left = max(int((until - begin).total_seconds()) - 60, 0)
            seconds = min(rng.randint(3600, 16 * 3600), left)
        last_seen = begin + dt.timedelta(seconds=seconds)
        sessions.append(
            RadAcct(
                acctsessionid=f"{day:%Y%m%d}-{sub.pk}",
                acctuniqueid=f"demo-{day:%Y%m%d}-{sub.pk}",
                username=sub.username,
                nasipaddress=DEMO_NAS_ADDRESS,
                nasportid=f"pppoe-{sub.pk}",
                nasporttype="Ethernet",
                framedipaddress=sub.ip_address.address if sub.ip_address else None,
                framedprotocol="PPP",
                callingstationid=f"02:de:00:{sub.pk // 65536 % 256:02x}:"
                f"{sub.pk // 256 % 256:02x}:{sub.pk % 256:02x}",
                acctstarttime=begin,
                acctupdatetime=last_seen,
                acctstoptime=None if still_open else last_seen,
                acctsessiontime=seconds,
                acctinterval=300 if still_open else None,
                acctinputoctets=rng.randint(50, 900) * 10**6,
                acctoutputoctets=rng.randint(1, 12) * 10**9 + rng.randint(0, 10**9),
                acctterminatecause=None if still_open else "User-Request",
            )
        )
        logins.append(
            RadPostAuth(
                username=sub.username,
                reply="Access-Accept",
                callingstationid=sessions[-1].callingstationid,
                authdate=begin,
            )
        )
    # A suspended subscriber trying to log in on the last day: refused.
    if online:
        for sub in Subscription.objects.for_tenant(tenant).filter(status="suspended")[:3]:
            logins.append(RadPostAuth(username=sub.username, reply="Access-Reject", authdate=until))
    RadAcct.objects.bulk_create(sessions)
    RadPostAuth.objects.bulk_create(logins)


def _record_disconnects(tenant: Tenant, nas: Nas) -> None:
    """The NAS's answers to the Disconnect-Requests of suspensions for
    non-payment: the demo's NAS is not on a network, so the request the
    suspension queued found no open session (each day's sessions closed at
    night); this records what a NAS acknowledges when one is online."""
    # Every suspension of the demo is one for non-payment (dunning).
    for event in SubscriptionEvent.objects.for_tenant(tenant).filter(to_status="suspended")[:5]:
        sub = event.subscription
        with clock.simulated(event.created_at):
            CoaRequest.objects.create(
                tenant=tenant,
                nas=nas,
                username=sub.username,
                acct_session_id=f"{event.effective_date:%Y%m%d}-{sub.pk}",
                kind=CoaRequest.Kind.DISCONNECT,
                status=CoaRequest.Status.ACK,
                answered_at=clock.now(),
                session_closed=True,
            )


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
    # The demo suspends only for non-payment (the dunning campaign's step).
    summary.suspensions = events.filter(to_status="suspended").count()
    summary.reconnections = events.filter(from_status="suspended", to_status="active").count()
    summary.reminders = Reminder.objects.for_tenant(tenant).count()
    summary.emails = EmailLog.objects.for_tenant(tenant).filter(status="sent").count()
    usage = DailyUsage.objects.for_tenant(tenant).aggregate(
        i=Sum("input_octets"), o=Sum("output_octets")
    )
    summary.usage_bytes = (usage["i"] or 0) + (usage["o"] or 0)
    summary.pdf_dir = str(settings.MEDIA_ROOT / "invoices")
    return summary
