"""The main job against a real FreeRADIUS 3.2 reading our tables with its stock
queries: sign-up -> Access-Accept, non-payment -> Access-Reject, payment ->
Access-Accept again; accounting -> radacct -> daily usage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.collections.services import run_collections
from ispstack.core import clock
from ispstack.payments.services import record_payment
from ispstack.radius.models import RadAcct, RadPostAuth
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.services import terminate
from ispstack.usage.selectors import usage_between
from ispstack.usage.services import rollup

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]


def test_signup_nonpayment_and_payment_as_freeradius_sees_them(
    freeradius, make_tenant, make_subscription, make_plan, run_on_commit
):
    tenant = make_tenant(invoice_net_days=14)
    plan = make_plan(tenant, download_kbps=50000, upload_kbps=10000, monthly_price="30.00")
    sub = make_subscription(
        tenant, plan=plan, password="pppoe-pass", start_date=dt.date(2026, 1, 1), billing_day=1
    )

    accepted = freeradius.authenticate(sub.username, "pppoe-pass")
    assert accepted.code == "Access-Accept"
    assert accepted.attributes["Framed-IP-Address"] == sub.ip_address.address
    assert accepted.attributes["Mikrotik-Rate-Limit"] == "10M/50M"
    assert freeradius.authenticate(sub.username, "not-the-password").code == "Access-Reject"

    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    invoice = Invoice.objects.get(customer=sub.customer)
    assert invoice.due_date == dt.date(2026, 1, 15)

    run_collections(tenant=tenant, as_of=dt.date(2026, 1, 25))  # 10 days past due: not yet
    assert Subscription.objects.get(pk=sub.pk).status == "active"
    run_collections(tenant=tenant, as_of=dt.date(2026, 1, 26))  # 11 days: suspended
    assert Subscription.objects.get(pk=sub.pk).status == "suspended"
    assert freeradius.authenticate(sub.username, "pppoe-pass").code == "Access-Reject"

    record_payment(
        tenant=tenant,
        account_number=sub.customer.account_number,
        amount=invoice.total,
        received_on=dt.date(2026, 1, 27),
        reference="EFT-1",
    )
    assert Subscription.objects.get(pk=sub.pk).status == "active"
    again = freeradius.authenticate(sub.username, "pppoe-pass")
    assert again.code == "Access-Accept"
    assert again.attributes["Mikrotik-Rate-Limit"] == "10M/50M"

    replies = list(
        RadPostAuth.objects.filter(username=sub.username)
        .order_by("id")
        .values_list("reply", flat=True)
    )
    assert replies == ["Access-Accept", "Access-Reject", "Access-Reject", "Access-Accept"]

    terminate(subscription=Subscription.objects.get(pk=sub.pk), reason="moved away")
    assert freeradius.authenticate(sub.username, "pppoe-pass").code == "Access-Reject"


def test_accounting_lands_in_radacct_and_daily_usage_counts_gigawords(
    freeradius, tenant, make_subscription
):
    sub = make_subscription(tenant, password="pppoe-pass")
    base = {
        "User-Name": sub.username,
        "Acct-Session-Id": "sess-0001",
        "NAS-IP-Address": "127.0.0.1",
        "Framed-IP-Address": sub.ip_address.address,
    }

    def acct(
        status: str, seconds: int, octets_in: int, giga_in: int, octets_out: int, giga_out: int
    ) -> str:
        return freeradius.request(
            "acct",
            {
                **base,
                "Acct-Status-Type": status,
                "Acct-Session-Time": seconds,
                "Acct-Input-Octets": octets_in,
                "Acct-Input-Gigawords": giga_in,
                "Acct-Output-Octets": octets_out,
                "Acct-Output-Gigawords": giga_out,
            },
        ).code

    assert acct("Start", 0, 0, 0, 0, 0) == "Accounting-Response"
    assert acct("Interim-Update", 60, 1000, 0, 5000, 1) == "Accounting-Response"
    rollup()
    assert acct("Interim-Update", 60, 1000, 0, 5000, 1) == "Accounting-Response"  # replayed
    rollup()
    assert acct("Stop", 120, 3000, 1, 7000, 2) == "Accounting-Response"
    rollup()
    rollup()

    row = RadAcct.objects.get(acctsessionid="sess-0001")
    assert row.acctstoptime is not None
    assert row.acctinputoctets == 2**32 + 3000
    assert row.acctoutputoctets == 2 * 2**32 + 7000
    today = clock.today(tenant)
    usage = usage_between(sub, today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    assert usage == {
        "input_octets": 2**32 + 3000,
        "output_octets": 2 * 2**32 + 7000,
        "total_octets": 3 * 2**32 + 10000,
    }
    assert Decimal(usage["total_octets"]) > Decimal(4 * 2**30)  # over 4 GiB: gigawords counted


def test_support_sees_sessions_and_why_a_login_fails_and_stale_sessions_close(
    freeradius, tenant, make_subscription, api_client_for
):
    from ispstack.core import clock
    from ispstack.radius.selectors import open_session
    from ispstack.radius.sessions import close_stale_sessions

    sub = make_subscription(tenant, password="pppoe-pass")
    assert freeradius.authenticate(sub.username, "typo").code == "Access-Reject"
    assert (
        freeradius.request(
            "acct",
            {
                "User-Name": sub.username,
                "Acct-Session-Id": "stale-1",
                "Acct-Status-Type": "Start",
                "NAS-IP-Address": "127.0.0.1",
                "Acct-Interim-Interval": 60,
            },
        ).code
        == "Accounting-Response"
    )
    client = api_client_for(tenant, role="support")
    attempts = client.get(f"/api/v1/subscriptions/{sub.pk}/auth-attempts/").json()
    assert [a["reply"] for a in attempts] == ["Access-Reject"]
    sessions = client.get(f"/api/v1/subscriptions/{sub.pk}/sessions/").json()
    assert [(s["acctsessionid"], s["acctstoptime"]) for s in sessions] == [("stale-1", None)]
    assert open_session(sub) is not None

    assert close_stale_sessions(now=clock.now()) == 0  # not silent long enough yet
    assert close_stale_sessions(now=clock.now() + dt.timedelta(minutes=16)) == 1
    assert open_session(sub) is None
    closed = RadAcct.objects.get(acctsessionid="stale-1")
    assert closed.acctterminatecause == "Stale-Session"
