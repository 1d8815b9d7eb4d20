"""The NOC screens of the staff console: online sessions (uptime, bytes with
gigawords, rates over the last interim interval, Disconnect), why a login
fails (each diagnosis), the CoA log with Error-Cause, and the NAS list with
its last accounting; as each role and as another tenant's staff."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from ispstack.console.selectors.noc import bit_rate, session_rate
from ispstack.core import clock
from ispstack.core.models import AuditLog, Job
from ispstack.network.nas import create_nas
from ispstack.radius.models import CoaRequest, RadAcct, RadPostAuth
from ispstack.radius.services import set_access_block
from ispstack.subscriptions import services as subscriptions
from ispstack.usage.models import DailyUsage
from tests.tenant_settings import configure

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
PAGES = ["/staff/noc/sessions/", "/staff/noc/auth/", "/staff/noc/coa/", "/staff/noc/nas/"]
_ids = itertools.count(1)
_addresses = itertools.count(10)


def nas_of(tenant: Any, name: str = "") -> Any:
    n = next(_addresses)
    return create_nas(
        tenant=tenant,
        nasname=f"192.0.2.{n}",
        shortname=name or f"bras-{n}",
        secret="nas-secret-very-private",
        type="mikrotik",
    )


def acct(username: str, nas: Any, **values: Any) -> RadAcct:
    """A radacct row as FreeRADIUS's stock queries write it."""
    n = next(_ids)
    row = {
        "acctsessionid": f"sess-{n}",
        "acctuniqueid": f"uniq-{n}-{username}",
        "username": username,
        "nasipaddress": nas.nasname if hasattr(nas, "nasname") else nas,
        "acctstarttime": clock.now() - dt.timedelta(hours=1),
        "acctinterval": 300,
        "acctinputoctets": 0,
        "acctoutputoctets": 0,
    }
    row.update(values)
    return RadAcct.objects.create(**row)


@pytest.fixture
def world(make_tenant, make_staff, make_subscription):
    tenant = make_tenant()
    other = make_tenant()
    nas = nas_of(tenant, "bras-north")
    sub = make_subscription(tenant)
    stranger = make_subscription(other)
    other_nas = nas_of(other, "bras-other")
    return SimpleNamespace(
        tenant=tenant,
        other=other,
        nas=nas,
        other_nas=other_nas,
        sub=sub,
        stranger=stranger,
        staff=lambda role, t=tenant: make_staff(t, role),
    )


def page(client: Client, user: Any, url: str, **params: Any) -> str:
    client.force_login(user)
    answer = client.get(url, params)
    assert answer.status_code == 200, answer.status_code
    return answer.content.decode()


# Online sessions -----------------------------------------------------------


def test_an_online_session_shows_nas_customer_uptime_bytes_with_gigawords_and_live_rate(
    client: Client, world
):
    now = clock.now()
    first = now - dt.timedelta(minutes=5)
    session = acct(
        world.sub.username,
        world.nas,
        acctstarttime=now - dt.timedelta(hours=2, minutes=5, seconds=10),
        acctupdatetime=first,
        acctinputoctets=10_000_000,
        acctoutputoctets=1 << 32,  # Acct-Output-Gigawords 1, Acct-Output-Octets 0
        framedipaddress="100.64.1.7",
        framedipv6prefix="2001:db8:1::",
    )
    # The next interim update, as FreeRADIUS's stock query writes it: 37.5 MB
    # up and 375 MB down in 300 s.
    RadAcct.objects.filter(pk=session.pk).update(
        acctupdatetime=first + dt.timedelta(seconds=300),
        acctinputoctets=10_000_000 + 37_500_000,
        acctoutputoctets=(1 << 32) + 375_000_000,
    )
    html = page(client, world.staff("noc"), "/staff/noc/sessions/")
    assert world.sub.username in html
    assert f"/staff/customers/{world.sub.customer_id}/" in html
    assert world.sub.customer.name in html
    assert "bras-north" in html and world.nas.nasname in html
    assert "100.64.1.7" in html and "2001:db8:1::" in html
    assert f"2{NBSP}h 5{NBSP}min" in html  # uptime
    assert f"4.7{NBSP}GB" in html  # (1 << 32) + 375,000,000 octets down
    assert f"47.5{NBSP}MB" in html  # up
    assert f"10{NBSP}Mbit/s / 1{NBSP}Mbit/s" in html  # 375 MB * 8 / 300 s, 37.5 MB * 8 / 300 s


def test_rate_is_the_last_interval_or_the_average_since_start_and_never_negative():
    start = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC)
    row = SimpleNamespace(
        acctstarttime=start,
        acctupdatetime=start + dt.timedelta(seconds=600),
        acctstoptime=None,
        acctinputoctets=3_000_000,
        acctoutputoctets=60_000_000,
        previnputoctets=None,
        prevoutputoctets=None,
        prevupdatetime=None,
    )
    since_start = session_rate(row)
    assert since_start is not None
    assert since_start.download_bps == 60_000_000 * 8 / 600
    assert since_start.upload_bps == 3_000_000 * 8 / 600
    row.prevupdatetime = start + dt.timedelta(seconds=300)
    row.previnputoctets, row.prevoutputoctets = 2_000_000, 50_000_000
    last = session_rate(row)
    assert last is not None and last.seconds == 300
    assert last.download_bps == 10_000_000 * 8 / 300
    row.prevoutputoctets = 70_000_000  # counters restarted on the NAS
    assert session_rate(row) is None
    row.prevoutputoctets, row.acctstoptime = 50_000_000, start + dt.timedelta(seconds=700)
    assert session_rate(row) is None
    assert bit_rate(850_000) == f"850{NBSP}kbit/s"
    assert bit_rate(12_340_000) == f"12.3{NBSP}Mbit/s"
    assert bit_rate(1_050_000_000) == f"1.05{NBSP}Gbit/s"


def test_the_trigger_keeps_the_counters_from_before_each_update(world):
    session = acct(world.sub.username, world.nas, acctupdatetime=clock.now(), acctinputoctets=5)
    later = clock.now() + dt.timedelta(minutes=5)
    RadAcct.objects.filter(pk=session.pk).update(acctupdatetime=later, acctinputoctets=9)
    session.refresh_from_db()
    assert (session.previnputoctets, session.acctinputoctets) == (5, 9)
    # An update that does not move the update time (a Stop in the same second) keeps them.
    RadAcct.objects.filter(pk=session.pk).update(acctinputoctets=12)
    session.refresh_from_db()
    assert session.previnputoctets == 5


def test_history_filters_online_only_by_default_then_nas_username_and_days(
    client: Client, world, make_subscription
):
    other_sub = make_subscription(world.tenant)
    second_nas = nas_of(world.tenant, "bras-south")
    acct(world.sub.username, world.nas, acctsessionid="open-one")
    acct(
        world.sub.username,
        world.nas,
        acctsessionid="closed-one",
        acctstarttime=clock.now() - dt.timedelta(days=3),
        acctstoptime=clock.now() - dt.timedelta(days=3) + dt.timedelta(hours=1),
        acctsessiontime=3600,
        acctterminatecause="User-Request",
        framedipaddress="100.64.3.3",
    )
    acct(other_sub.username, second_nas, acctsessionid="south-one")
    noc = world.staff("noc")
    html = page(client, noc, "/staff/noc/sessions/")
    assert world.sub.username in html and other_sub.username in html
    assert "100.64.3.3" not in html  # the closed session is history, not online
    history = page(client, noc, "/staff/noc/sessions/", state="all", username=world.sub.username)
    assert "100.64.3.3" in history and other_sub.username not in history
    south = page(client, noc, "/staff/noc/sessions/", state="all", nas=second_nas.pk)
    assert other_sub.username in south and world.sub.username not in south
    # Days are the tenant's: near midnight UTC and local dates differ.
    day = (clock.today(world.tenant) - dt.timedelta(days=2)).isoformat()
    older = page(client, noc, "/staff/noc/sessions/", state="all", started_before=day)
    assert world.sub.username in older and other_sub.username not in older
    newer = page(client, noc, "/staff/noc/sessions/", state="all", started_after=day)
    assert "100.64.3.3" not in newer and other_sub.username in newer


def test_htmx_refresh_gets_the_table_fragment_only(client: Client, world):
    acct(world.sub.username, world.nas)
    client.force_login(world.staff("noc"))
    full = client.get("/staff/noc/sessions/").content.decode()
    assert 'hx-trigger="every 10s"' in full and "<html" in full
    fragment = client.get("/staff/noc/sessions/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and world.sub.username in fragment


def test_sessions_page_in_bounded_queries_and_pages_by_key(
    client: Client, world, make_subscription, django_assert_max_num_queries
):
    for _ in range(60):
        acct(make_subscription(world.tenant, active=False).username, world.nas)
    client.force_login(world.staff("noc"))
    with django_assert_max_num_queries(12):
        html = client.get("/staff/noc/sessions/").content.decode()
    assert html.count("<tr") == 51  # header + 50 rows
    next_link = html.split('<nav class="pagination"')[1].split('href="')[1].split('"')[0]
    rest = client.get("/staff/noc/sessions/" + next_link.replace("&amp;", "&")).content.decode()
    assert rest.count("<tr") == 11


def test_noc_disconnects_a_session_with_confirmation_audited_and_queued(client: Client, world):
    session = acct(world.sub.username, world.nas)
    noc = world.staff("noc")
    client.force_login(noc)
    confirm = client.get(f"/staff/noc/sessions/{session.pk}/disconnect/")
    assert confirm.status_code == 200 and "Disconnect now" in confirm.content.decode()
    answer = client.post(f"/staff/noc/sessions/{session.pk}/disconnect/", {"reason": "line test"})
    assert answer.status_code == 302
    job = Job.objects.get(kind="radius.disconnect")
    assert job.payload["username"] == world.sub.username and job.tenant_id == world.tenant.pk
    log = AuditLog.objects.get(action="subscription.disconnect")
    assert log.actor == noc and log.reason == "line test"


def test_support_reads_sessions_but_may_not_disconnect(client: Client, world):
    session = acct(world.sub.username, world.nas)
    support = world.staff("support")
    html = page(client, support, "/staff/noc/sessions/")
    assert world.sub.username in html and "Disconnect" not in html
    assert client.post(f"/staff/noc/sessions/{session.pk}/disconnect/").status_code == 403
    assert not Job.objects.filter(kind="radius.disconnect").exists()


# Roles and tenancy ----------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_billing_sees_none_of_the_noc_screens(client: Client, world, url):
    client.force_login(world.staff("billing"))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["noc", "admin", "support"])
def test_noc_admin_and_support_open_every_noc_screen_and_see_the_menu(client: Client, world, role):
    user = world.staff(role)
    for url in PAGES:
        html = page(client, user, url)
        assert "Why a login fails" in html and "CoA log" in html


def test_billing_has_no_network_menu(client: Client, world):
    html = page(client, world.staff("billing"), "/staff/")
    assert "/staff/noc/" not in html


def test_another_tenants_staff_see_none_of_the_rows(client: Client, world):
    session = acct(world.sub.username, world.nas, framedipaddress="100.64.9.9")
    RadPostAuth.objects.create(username=world.sub.username, reply="Access-Reject", password="x")
    CoaRequest.objects.create(
        tenant=world.tenant,
        nas=world.nas,
        username=world.sub.username,
        kind="disconnect",
        status="nak",
        error="Session-Context-Not-Found",
    )
    outsider = world.staff("noc", world.other)
    for url, params in (
        ("/staff/noc/sessions/", {"state": "all"}),
        ("/staff/noc/auth/", {"username": world.sub.username}),
        ("/staff/noc/coa/", {}),
        ("/staff/noc/nas/", {}),
    ):
        html = page(client, outsider, url, **params)
        assert world.sub.username not in html.replace(f'value="{world.sub.username}"', "")
        assert "bras-north" not in html and "100.64.9.9" not in html
        assert "Access-Reject" not in html
    assert client.get(f"/staff/noc/sessions/{session.pk}/disconnect/").status_code == 404
    assert client.post(f"/staff/noc/sessions/{session.pk}/disconnect/").status_code == 404
    assert client.get(f"/staff/noc/nas/{world.nas.pk}/reveal/").status_code == 404
    assert client.post(f"/staff/noc/nas/{world.nas.pk}/reveal/").status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"before": "abc"},
        {"before": "99999999999999999999999999"},
        {"before": "-5"},
        {"state": "evil"},
        {"nas": "abc"},
        {"nas": "99999999999"},
        {"started_after": "not-a-date"},
        {"started_before": "2026-13-45"},
        {"username": "x" * 5000},
        {"username": "' OR 1=1 --\x00"},
        {"status": "evil", "kind": "other", "sent_after": "yesterday"},
        {"page": "abc", "sort": "evil"},
    ],
)
def test_hostile_query_params_never_break_a_page(client: Client, world, params):
    acct(world.sub.username, world.nas)
    client.force_login(world.staff("noc"))
    for url in PAGES:
        assert client.get(url, params).status_code == 200, (url, params)


# Why a login fails -----------------------------------------------------------


def findings(client: Client, user: Any, username: str) -> str:
    return page(client, user, "/staff/noc/auth/", username=username)


def test_login_page_shows_attempts_check_and_reply_without_the_password(client: Client, world):
    world.sub.nas = world.nas
    RadPostAuth.objects.create(username=world.sub.username, reply="Access-Accept", password="pw")
    html = findings(client, world.staff("support"), world.sub.username)
    assert "Access-Accept" in html
    assert "Cleartext-Password" in html and "(set)" in html
    assert "s3cret-pw" not in html
    assert "Framed-IP-Address" in html and world.sub.ip_address.address in html
    assert "Mikrotik-Rate-Limit" in html or "WISPr" in html or "Rate" in html
    assert "The last login was accepted." in html


def test_diagnosis_unknown_username(client: Client, world):
    html = findings(client, world.staff("noc"), "nobody-here")
    assert "No subscription has this username." in html
    assert "no radcheck row" in html


def test_diagnosis_wrong_password_from_post_auth(client: Client, world):
    RadPostAuth.objects.create(username=world.sub.username, reply="Access-Reject", password="guess")
    html = findings(client, world.staff("noc"), world.sub.username)
    assert "Wrong password" in html
    assert "guess" not in html


def test_a_chap_reject_is_not_called_a_wrong_password(client: Client, world):
    RadPostAuth.objects.create(
        username=world.sub.username, reply="Access-Reject", password="0x01abcdef"
    )
    assert "Wrong password" not in findings(client, world.staff("noc"), world.sub.username)


def test_diagnosis_suspended_rejected_or_walled_garden(client: Client, world):
    subscriptions.suspend(subscription=world.sub, reason="unpaid")
    html = findings(client, world.staff("noc"), world.sub.username)
    assert "Subscription suspended: logins are rejected" in html
    assert "Auth-Type" in html
    configure(world.tenant, suspension_mode="walled_garden")
    subscriptions.reconnect(subscription=world.sub)
    subscriptions.suspend(subscription=world.sub, reason="unpaid")
    assert "walled garden" in findings(client, world.staff("noc"), world.sub.username)


def test_diagnosis_data_cap_used_up_and_blocked(
    client: Client, world, make_subscription, make_plan
):
    plan = make_plan(world.tenant, data_cap_bytes=1_000_000_000, cap_policy="block")
    sub = make_subscription(world.tenant, plan=plan)
    DailyUsage.objects.create(
        tenant=world.tenant,
        subscription=sub,
        day=clock.today(world.tenant),
        input_octets=100_000_000,
        output_octets=1_000_000_000,
    )
    set_access_block(subscription=sub, reason="data cap reached")
    html = findings(client, world.staff("noc"), sub.username)
    assert "Data cap used up this cycle" in html
    assert "Logins refused: data cap reached." in html


def test_diagnosis_nas_not_registered(client: Client, world):
    acct(world.sub.username, "198.51.100.77")
    html = findings(client, world.staff("noc"), world.sub.username)
    assert "NAS not registered" in html and "198.51.100.77" in html


def test_diagnosis_expired(client: Client, world):
    subscriptions.terminate(
        subscription=world.sub, reason="moved", on=clock.today(world.tenant) - dt.timedelta(days=1)
    )
    html = findings(client, world.staff("noc"), world.sub.username)
    assert "Expired: the service ended" in html


def test_login_page_in_bounded_queries(client: Client, world, django_assert_max_num_queries):
    for n in range(30):
        RadPostAuth.objects.create(
            username=world.sub.username, reply="Access-Reject", password=str(n)
        )
    client.force_login(world.staff("noc"))
    with django_assert_max_num_queries(25):
        html = client.get("/staff/noc/auth/", {"username": world.sub.username}).content.decode()
    assert html.count("Access-Reject") == 20


# CoA log ----------------------------------------------------------------------


def test_coa_log_names_error_cause_counts_attempts_and_filters(client: Client, world):
    for _ in range(2):
        CoaRequest.objects.create(
            tenant=world.tenant,
            nas=world.nas,
            username=world.sub.username,
            acct_session_id="s-1",
            kind="disconnect",
            status="nak",
            error="Session-Context-Not-Found",
        )
    CoaRequest.objects.create(
        tenant=world.tenant,
        nas=world.nas,
        username="acked-user",
        acct_session_id="s-2",
        kind="coa",
        status="ack",
    )
    noc = world.staff("noc")
    html = page(client, noc, "/staff/noc/coa/")
    assert "503 Session-Context-Not-Found" in html
    assert "bras-north" in html and "Disconnect-Request" in html
    assert '<td class="num">2</td>' in html  # the second Disconnect for session s-1
    naks = page(client, noc, "/staff/noc/coa/", status="nak")
    assert "acked-user" not in naks and world.sub.username in naks
    acks = page(client, noc, "/staff/noc/coa/", status="ack", nas=world.nas.pk)
    assert "acked-user" in acks and "503" not in acks


def test_coa_log_in_bounded_queries(client: Client, world, django_assert_max_num_queries):
    for n in range(40):
        CoaRequest.objects.create(
            tenant=world.tenant, nas=world.nas, username=f"u{n}", kind="coa", status="ack"
        )
    client.force_login(world.staff("noc"))
    with django_assert_max_num_queries(12):
        assert client.get("/staff/noc/coa/").status_code == 200


# NAS list -------------------------------------------------------------------------


def test_nas_list_shows_last_accounting_online_count_and_silence(
    client: Client, world, django_assert_max_num_queries
):
    now = clock.now()
    acct(world.sub.username, world.nas, acctupdatetime=now - dt.timedelta(minutes=2))
    acct("someone-else", world.nas, acctupdatetime=now - dt.timedelta(minutes=1))
    silent = nas_of(world.tenant, "bras-silent")
    acct(
        "quiet-user",
        silent,
        acctstarttime=now - dt.timedelta(hours=3),
        acctupdatetime=now - dt.timedelta(minutes=40),
    )
    nas_of(world.tenant, "bras-new")
    for _ in range(5):
        nas_of(world.tenant)
    client.force_login(world.staff("noc"))
    with django_assert_max_num_queries(10):
        html = client.get("/staff/noc/nas/").content.decode()
    north = html.split("bras-north")[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in north and "reporting" in north
    assert "no accounting for 40 min" in html.split("bras-silent")[1].split("</tr>")[0]
    assert "no accounting yet" in html.split("bras-new")[1].split("</tr>")[0]
    assert "nas-secret-very-private" not in html
    assert "Reveal" in html


def test_nas_secret_is_revealed_only_with_the_permission_and_audited(client: Client, world):
    support = world.staff("support")
    html = page(client, support, "/staff/noc/nas/")
    assert "bras-north" in html and "Reveal" not in html and "nas-secret" not in html
    assert client.post(f"/staff/noc/nas/{world.nas.pk}/reveal/").status_code == 403
    noc = world.staff("noc")
    client.force_login(noc)
    assert "nas-secret" not in client.get(f"/staff/noc/nas/{world.nas.pk}/reveal/").content.decode()
    shown = client.post(f"/staff/noc/nas/{world.nas.pk}/reveal/")
    assert "nas-secret-very-private" in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    log = AuditLog.objects.get(action="nas.reveal_secret")
    assert log.actor == noc and "nas-secret" not in str(log.after)


def test_the_platform_operator_reads_every_tenants_sessions_but_acts_in_none(
    client: Client, world, make_staff
):
    mine = acct(world.sub.username, world.nas)
    acct(world.stranger.username, world.other_nas)
    operator = make_staff(None, role="", is_superuser=True)
    html = page(client, operator, "/staff/noc/sessions/")
    assert world.sub.username in html and world.stranger.username in html
    assert "bras-north" in html and "bras-other" in html
    assert client.post(f"/staff/noc/sessions/{mine.pk}/disconnect/").status_code == 404
    nas = page(client, operator, "/staff/noc/nas/")
    assert "bras-north" in nas and "bras-other" in nas and "Reveal" not in nas


def test_a_session_silent_for_two_intervals_has_its_rate_flagged(client: Client, world):
    now = clock.now()
    acct(
        world.sub.username,
        world.nas,
        acctstarttime=now - dt.timedelta(hours=1),
        acctupdatetime=now - dt.timedelta(minutes=25),
        acctoutputoctets=1_000_000,
    )
    html = page(client, world.staff("noc"), "/staff/noc/sessions/")
    assert "no update for 25 min" in html
