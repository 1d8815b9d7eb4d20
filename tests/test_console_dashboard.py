"""The console's dashboard: its figures, hand-computed from the rows made here,
what each role sees of them, and that another tenant's rows never count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from ispstack.billing.models import BillingRun, Invoice, InvoiceStatus
from ispstack.catalog.services import create_promotion
from ispstack.collections.models import CollectionRun
from ispstack.console.selectors.dashboard import dashboard
from ispstack.core import clock, display
from ispstack.core.models import Job
from ispstack.radius.models import CoaRequest, RadAcct
from ispstack.subscriptions.models import SuspensionCause
from ispstack.subscriptions.services import grant_promotion, suspend, terminate

pytestmark = pytest.mark.django_db

D = Decimal


def _invoice(tenant, customer, number, total, due, *, paid="0", status=InvoiceStatus.ISSUED):
    return Invoice.objects.create(
        tenant=tenant,
        customer=customer,
        number=number,
        status=status,
        currency=tenant.currency,
        issue_date=due - dt.timedelta(days=14),
        due_date=due,
        subtotal=D(total),
        total=D(total),
        amount_paid=D(paid),
    )


def _session(username, *, open_=True):
    now = clock.now()
    return RadAcct.objects.create(
        acctsessionid=f"s-{username}-{open_}",
        acctuniqueid=f"u-{username}-{open_}",
        username=username,
        nasipaddress="192.0.2.1",
        acctstarttime=now - dt.timedelta(hours=1),
        acctstoptime=None if open_ else now,
    )


def _coa(tenant, status, *, age=dt.timedelta(hours=1)):
    request = CoaRequest.objects.create(
        tenant=tenant, username="someone", kind=CoaRequest.Kind.DISCONNECT, status=status
    )
    CoaRequest.objects.filter(pk=request.pk).update(created_at=clock.now() - age)


def _job(tenant, status, *, due_ago=dt.timedelta(0)):
    return Job.objects.create(
        tenant=tenant,
        kind="billing.send_invoices",
        status=status,
        next_attempt_at=clock.now() - due_ago,
    )


@pytest.fixture
def world(make_tenant, make_plan, make_subscription, make_customer):
    """Tenant ``mine`` with subscriptions, overdue invoices, sessions, CoA
    requests, jobs and runs; tenant ``other`` with one of each that must never count."""
    mine, other = make_tenant(country="DE"), make_tenant()
    today = clock.today(mine)
    old = make_subscription(
        mine, plan=make_plan(mine, monthly_price="30.00"), start_date=today - dt.timedelta(days=60)
    )
    new = make_subscription(
        mine, plan=make_plan(mine, monthly_price="50.00"), start_date=today - dt.timedelta(days=5)
    )
    promo = create_promotion(tenant=mine, code="ten-off", name="10 %", kind="percent", value="10")
    grant_promotion(subscription=new, promotion=promo, start_date=today - dt.timedelta(days=5))
    late = make_subscription(
        mine, plan=make_plan(mine, monthly_price="40.00"), start_date=today - dt.timedelta(days=90)
    )
    suspend(
        subscription=late,
        reason="unpaid",
        cause=SuspensionCause.NON_PAYMENT,
        on=today - dt.timedelta(days=10),
    )
    gone = make_subscription(
        mine, plan=make_plan(mine, monthly_price="20.00"), start_date=today - dt.timedelta(days=90)
    )
    terminate(subscription=gone, reason="moved away", on=today - dt.timedelta(days=20))
    make_subscription(mine, active=False, start_date=today)  # pending: never counts

    customer = make_customer(mine)
    _invoice(mine, customer, "A-1", "100.00", today - dt.timedelta(days=10))
    _invoice(mine, customer, "A-2", "100.00", today - dt.timedelta(days=45), paid="40.00")
    _invoice(mine, customer, "A-3", "25.00", today - dt.timedelta(days=100))
    _invoice(
        mine,
        customer,
        "A-4",
        "80.00",
        today - dt.timedelta(days=50),
        paid="80.00",
        status=InvoiceStatus.PAID,
    )
    _invoice(mine, customer, "A-5", "70.00", today)  # due today: not overdue yet

    _session(old.username.upper())  # FreeRADIUS may report another case
    _session(new.username, open_=False)

    for status in (CoaRequest.Status.NAK, CoaRequest.Status.TIMEOUT, CoaRequest.Status.ACK):
        _coa(mine, status)
    _coa(mine, CoaRequest.Status.NAK, age=dt.timedelta(hours=30))

    _job(mine, Job.Status.FAILED)
    _job(mine, Job.Status.PENDING, due_ago=dt.timedelta(hours=1))
    _job(mine, Job.Status.PENDING, due_ago=dt.timedelta(minutes=1))
    _job(mine, Job.Status.DONE, due_ago=dt.timedelta(hours=2))

    BillingRun.objects.create(
        tenant=mine,
        as_of=today,
        status=BillingRun.Status.DONE,
        invoices_created=13,
        subscriptions_seen=13,
        totals={"EUR": "390.00"},
        finished_at=clock.now(),
    )
    CollectionRun.objects.create(tenant=mine, as_of=today, reminders_sent=2, suspended=1)

    # The other tenant: every kind of row, none of which may count for mine.
    theirs = make_subscription(
        other,
        plan=make_plan(other, monthly_price="999.00"),
        start_date=today - dt.timedelta(days=60),
    )
    suspend(
        subscription=make_subscription(other), reason="unpaid", cause=SuspensionCause.NON_PAYMENT
    )
    _invoice(other, make_customer(other), "B-1", "999.00", today - dt.timedelta(days=20))
    _session(theirs.username)
    _coa(other, CoaRequest.Status.NAK)
    _job(other, Job.Status.FAILED)
    BillingRun.objects.create(tenant=other, as_of=today + dt.timedelta(days=1))
    return mine, other


def test_the_figures_are_those_of_the_tenants_rows(world, make_staff):
    mine, _other = world
    cards = dashboard(make_staff(mine, "admin"))
    # Now: 30.00 + (50.00 - 10 %) ; 30 days ago: 30.00 + 40.00 (not yet suspended)
    # + 20.00 (terminated 20 days ago); the new one had not started.
    assert cards["mrr"]["now"].subscribers == 2
    assert cards["mrr"]["now"].mrr == {"EUR": D("75.00")}
    assert cards["mrr"]["before"].subscribers == 3
    assert cards["mrr"]["before"].mrr == {"EUR": D("90.00")}
    assert cards["mrr"]["change"] == {"EUR": D("-15.00")}
    assert cards["mrr"]["subscribers_change"] == -1
    overdue = cards["overdue"]
    assert (overdue.count, overdue.amounts) == (3, {"EUR": D("185.00")})
    assert [(b.key, b.count, b.amounts) for b in overdue.buckets] == [
        ("1-30", 1, {"EUR": D("100.00")}),
        ("31-60", 1, {"EUR": D("60.00")}),
        ("61-90", 0, {}),
        ("90+", 1, {"EUR": D("25.00")}),
    ]
    assert cards["suspended"] == 1
    assert cards["sessions"] == 1
    assert cards["coa"] == 2
    assert (cards["jobs"].failed, cards["jobs"].late) == (1, 1)
    assert cards["billing_run"].invoices_created == 13
    assert cards["collections_run"].reminders_sent == 2


def test_the_page_shows_each_card_with_a_link_to_its_list(world, make_staff, client: Client):
    mine, _other = world
    client.force_login(make_staff(mine, "admin"))
    page = client.get("/staff/").content.decode()
    assert display.money(D("75.00"), "EUR", "DE") in page
    assert "-" + display.money(D("15.00"), "EUR", "DE") in page
    assert display.money(D("185.00"), "EUR", "DE") in page
    assert display.money(D("999.00"), "EUR", "DE") not in page
    for link in (
        "/staff/subscriptions/?status=active",
        "/staff/invoices/?status=overdue",
        "/staff/invoices/?status=overdue&amp;days_past_due=31-60",
        "/staff/subscriptions/?status=suspended&amp;suspension_cause=non_payment",
        "/staff/sessions/?state=online",
        "/staff/coa/?status=failed",
        "/staff/jobs/?status=failed",
        "/staff/runs/billing/",
    ):
        assert link in page, link
    assert 'data-bucket="31-60">1 · ' in page


def test_the_dashboard_reads_in_a_bounded_number_of_queries(
    world,
    make_staff,
    make_subscription,
    make_customer,
    client: Client,
    django_assert_max_num_queries,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mine, _other = world
    client.force_login(make_staff(mine, "admin"))
    client.get("/staff/")  # warm the session and permission caches
    with django_assert_max_num_queries(20), CaptureQueriesContext(connection) as first:
        assert client.get("/staff/").status_code == 200
    # More rows of every kind: not one query more.
    customer = make_customer(mine)
    for n in range(5):
        sub = make_subscription(mine)
        _session(sub.username)
        _invoice(mine, customer, f"C-{n}", "10.00", clock.today(mine) - dt.timedelta(days=70))
    with CaptureQueriesContext(connection) as second:
        assert client.get("/staff/").status_code == 200
    assert len(second) == len(first)


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            "billing",
            {"mrr", "overdue", "suspended", "billing_run", "collections_run"},
            {"sessions", "coa", "jobs"},
        ),
        (
            "noc",
            {"subscribers", "sessions", "coa", "jobs", "suspended"},
            {"mrr", "overdue", "billing_run", "collections_run"},
        ),
        ("support", {"subscribers", "mrr", "overdue", "sessions", "coa", "billing_run"}, {"jobs"}),
    ],
)
def test_each_role_sees_only_the_cards_of_what_it_may_read(
    world, make_staff, client: Client, role, shown, hidden
):
    mine, _other = world
    client.force_login(make_staff(mine, role))
    page = client.get("/staff/").content.decode()
    for card in shown:
        assert f'data-card="{card}"' in page, card
    for card in hidden:
        assert f'data-card="{card}"' not in page, card
    if role == "noc":
        assert "€" not in page  # no money at all


def test_staff_of_another_tenant_count_only_their_own_rows(world, make_staff):
    _mine, other = world
    cards = dashboard(make_staff(other, "admin"))
    assert cards["mrr"]["now"].mrr == {"EUR": D("999.00")}
    assert cards["overdue"].count == 1
    assert (cards["suspended"], cards["sessions"], cards["coa"]) == (1, 1, 1)
    assert (cards["jobs"].failed, cards["jobs"].late) == (1, 0)
    assert cards["collections_run"] is None


def test_the_platform_operator_sees_every_tenant_per_currency(
    world, make_tenant, make_staff, make_plan, make_subscription, client: Client
):
    rand = make_tenant(currency="ZAR", country="ZA")
    make_subscription(rand, plan=make_plan(rand, monthly_price="499.00", currency="ZAR"))
    operator = make_staff(None, "", is_superuser=True)
    client.force_login(operator)
    answer = client.get("/staff/")
    assert answer.status_code == 200
    cards = dashboard(operator)
    assert cards["mrr"]["now"].mrr == {"EUR": D("1074.00"), "ZAR": D("499.00")}


def test_an_empty_tenant_gets_zeros_not_an_error(make_tenant, make_staff, client: Client):
    client.force_login(make_staff(make_tenant(), "admin"))
    page = client.get("/staff/?page=abc&sort=evil")
    assert page.status_code == 200
    assert "never ran" in page.content.decode()


def test_a_subscription_without_a_logged_transition_is_active_from_its_start(
    tenant, make_subscription
):
    """Rows written before the lifecycle log (imports, old databases) have no
    transition: one active now counts as active from its start date on."""
    from ispstack.subscriptions.models import Subscription, SubscriptionEvent
    from ispstack.subscriptions.selectors import active_on

    today = clock.today(tenant)
    started = make_subscription(tenant, start_date=today - dt.timedelta(days=40))
    later = make_subscription(tenant, start_date=today - dt.timedelta(days=10))
    SubscriptionEvent.objects.filter(subscription__in=[started, later]).delete()
    subs = Subscription.objects.filter(tenant=tenant)
    assert list(active_on(subs, today - dt.timedelta(days=30))) == [started]
    assert set(active_on(subs, today)) == {started, later}
    Subscription.objects.filter(pk=started.pk).update(status="suspended")
    assert list(active_on(subs, today - dt.timedelta(days=30))) == []
