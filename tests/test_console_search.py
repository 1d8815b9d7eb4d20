"""The console's global search: one box finds a customer by whatever a clerk
has at hand (account, name, email, phone, RADIUS username, IP address or
prefix, invoice / credit-note number, payment reference, IBAN digits), groups
the hits by kind with exact matches first, shows each role only what it may
read, never crosses tenants, and answers hostile input with a clear page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db.models import GenericIPAddressField, Value
from django.db.models.functions import Cast
from django.test import Client

from ispstack.billing.credit_notes import create_credit_note
from ispstack.billing.models import CreditNote, Invoice
from ispstack.billing.services import run_billing
from ispstack.console.links import customer_url
from ispstack.console.search import MAX_QUERY_LENGTH, parse_query, search
from ispstack.core import clock
from ispstack.customers.models import Customer
from ispstack.payments.methods import add_bank_account
from ispstack.payments.services import record_payment
from ispstack.radius.models import RadAcct
from ispstack.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db

D = dt.date
IBAN = "DE89370400440532013000"
EVERY_GROUP = {
    "accounts",
    "customers",
    "subscriptions",
    "addresses",
    "invoices",
    "credit_notes",
    "payments",
    "bank_accounts",
}


@dataclass
class World:
    tenant: Any
    customer: Customer
    sub: Subscription
    invoice: Invoice
    credit_note: CreditNote
    payment_reference: str


def _world(tenant, make_customer, make_subscription, make_pool, *, tag: str) -> World:
    """A subscriber of ``tenant`` with everything search can find: phone, a
    pool address, IPv6 prefixes, an invoice, a credit note, a payment and a
    bank account."""
    customer = make_customer(
        tenant,
        name=f"Thandiwe Mokoena {tag}",
        email=f"thandiwe.{tag}@example.net",
        phone="+27821234567" if tag == "alpha" else "+27831112222",
    )
    n = 1 if tag == "alpha" else 2
    sub = make_subscription(
        tenant,
        customer=customer,
        username=f"mokoena-{tag}@fibre.example",
        pool=make_pool(tenant, cidr=f"100.{64 + n}.7.0/24"),
        framed_ipv6_prefix=f"2001:db8:{n}:1::/64",
        delegated_ipv6_prefix=f"2001:db8:{n}:100::/56",
        start_date=D(2026, 1, 1),
    )
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    invoice = Invoice.objects.get(customer=customer)
    credit_note = create_credit_note(invoice=invoice, reason="Outage in January")
    reference = f"EFT-{tag.upper()}-778899"
    record_payment(
        tenant=tenant,
        customer=customer,
        amount="10.00",
        received_on=D(2026, 1, 5),
        reference=reference,
    )
    add_bank_account(
        customer=customer,
        iban=IBAN if tag == "alpha" else "GB82WEST12345698765432",
        holder_name=customer.name,
        mandate_reference=f"MNDT-{tag}",
        mandate_signed_on=D(2026, 1, 1),
    )
    return World(tenant, customer, sub, invoice, credit_note, reference)


@pytest.fixture
def alpha(make_tenant, make_customer, make_subscription, make_pool) -> World:
    return _world(
        make_tenant(country="ZA", currency="ZAR"),
        make_customer,
        make_subscription,
        make_pool,
        tag="alpha",
    )


@pytest.fixture
def beta(make_tenant, make_customer, make_subscription, make_pool) -> World:
    return _world(
        make_tenant(country="ZA", currency="ZAR"),
        make_customer,
        make_subscription,
        make_pool,
        tag="beta",
    )


def _groups(user, text: str) -> dict[str, list[Any]]:
    return {group.key: group.hits for group in search(user, text).groups}


def _page(client: Client, text: str, **extra: str) -> str:
    answer = client.get("/staff/search/", {"q": text, **extra})
    assert answer.status_code == 200
    return answer.content.decode()


def _finds(user, text: str, kind: str, world: World) -> bool:
    url = customer_url(world.customer.pk)
    return any(hit.url == url for hit in _groups(user, text).get(kind, []))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("account", "accounts"),
        ("Thandiwe Mokoena alpha", "customers"),
        ("mokoena alp", "customers"),
        ("thandiwe.alpha@example.net", "customers"),
        ("+27821234567", "accounts"),
        ("082 123 4567", "accounts"),
        ("27821234567", "accounts"),
        ("MOKOENA-ALPHA@fibre.example", "subscriptions"),
        ("mokoena-alpha", "subscriptions"),
        ("pool-address", "addresses"),
        ("100.65.7.0/24", "addresses"),
        ("2001:db8:1:1::42", "addresses"),
        ("2001:db8:1:1::/64", "addresses"),
        ("2001:db8:1:1a0::", "addresses"),
        ("2001:db8:1::/48", "addresses"),
        ("invoice", "invoices"),
        ("credit_note", "credit_notes"),
        ("EFT-ALPHA-778899", "payments"),
        ("eft-alpha-778899", "payments"),
        ("3000", "bank_accounts"),
        ("0532013000", "bank_accounts"),
        ("DE89 3704 0044 0532 0130 00", "bank_accounts"),
    ],
)
def test_each_kind_finds_the_customer(alpha, make_staff, text, kind):
    admin = make_staff(alpha.tenant, "admin")
    text = {
        "account": alpha.customer.account_number,
        "pool-address": alpha.sub.ip_address.address,
        "invoice": alpha.invoice.number,
        "credit_note": alpha.credit_note.number,
    }.get(text, text)
    assert _finds(admin, text, kind, alpha)


def test_results_link_to_the_customer_page_and_never_show_the_whole_iban(
    client: Client, alpha, make_staff
):
    client.force_login(make_staff(alpha.tenant, "admin"))
    page = _page(client, "3000")
    assert f'href="/staff/customers/{alpha.customer.pk}/"' in page
    assert "Bank ***3000" in page
    assert "0532013000" not in page and IBAN not in page


def test_an_exact_match_comes_before_prefix_and_fragment_matches(tenant, make_customer, make_staff):
    for name in ("Sipho Nkosi Holdings", "Nkosi", "Anele Nkosinathi", "Nkosi Trading"):
        make_customer(tenant, name=name)
    hits = _groups(make_staff(tenant, "admin"), "nkosi")["customers"]
    assert [hit.title for hit in hits] == [
        "Nkosi",
        "Nkosi Trading",
        "Anele Nkosinathi",
        "Sipho Nkosi Holdings",
    ]
    assert [hit.rank for hit in hits] == [0, 1, 2, 2]


def test_a_misspelt_name_is_found_by_trigram_similarity(tenant, make_customer, make_staff):
    make_customer(tenant, name="Johannes Vermeulen")
    hits = _groups(make_staff(tenant, "admin"), "Vermeulan")["customers"]
    assert [hit.title for hit in hits] == ["Johannes Vermeulen"]


def test_the_group_with_an_exact_hit_comes_first(
    tenant, make_staff, make_customer, make_subscription
):
    make_customer(tenant, name="Sipho Dlamini")
    make_subscription(tenant, username="dlamini")
    groups = search(make_staff(tenant, "admin"), "Dlamini").groups
    assert [group.key for group in groups] == ["subscriptions", "customers"]


def test_a_username_found_exactly_leaves_out_fragments_of_names(alpha, make_staff, make_customer):
    make_customer(alpha.tenant, name=f"{alpha.sub.username} fan club")
    groups = search(make_staff(alpha.tenant, "admin"), alpha.sub.username).groups
    assert [group.key for group in groups] == ["subscriptions"]


@pytest.mark.parametrize(
    "text",
    [
        "name",
        "username",
        "ip",
        "prefix",
        "invoice",
        "credit_note",
        "reference",
        "iban_digits",
        "phone",
    ],
)
def test_staff_of_another_tenant_never_find_the_customer(alpha, beta, make_staff, text):
    text = {
        "name": "Thandiwe Mokoena alpha",
        "username": alpha.sub.username,
        "ip": alpha.sub.ip_address.address,
        "prefix": "2001:db8:1:100::1",
        "invoice": alpha.invoice.number,
        "credit_note": alpha.credit_note.number,
        "reference": alpha.payment_reference,
        "iban_digits": "0532013000",
        "phone": "0821234567",
    }[text]
    other = make_staff(beta.tenant, "admin")
    assert not any(
        hit.url == customer_url(alpha.customer.pk)
        for hits in _groups(other, text).values()
        for hit in hits
    )
    # Both tenants number from 1: beta's own invoice may answer, alpha's never.
    assert _finds(make_staff(alpha.tenant, "admin"), text, _kind_of(text, alpha), alpha)


def _kind_of(text: str, world: World) -> str:
    return {
        world.sub.username: "subscriptions",
        world.sub.ip_address.address: "addresses",
        "2001:db8:1:100::1": "addresses",
        world.invoice.number: "invoices",
        world.credit_note.number: "credit_notes",
        world.payment_reference: "payments",
        "0532013000": "bank_accounts",
        "0821234567": "accounts",
    }.get(text, "customers")


def test_the_search_page_of_another_tenant_shows_nothing_of_alpha(
    client: Client, alpha, beta, make_staff
):
    client.force_login(make_staff(beta.tenant, "support"))
    page = _page(client, alpha.sub.username)
    assert "Thandiwe Mokoena alpha" not in page
    assert "Nothing found" in page


def test_the_platform_operator_finds_every_tenants_customers(alpha, beta, make_staff):
    operator = make_staff(None, "", is_superuser=True)
    titles = {hit.title for hit in _groups(operator, "Thandiwe Mokoena")["customers"]}
    assert titles == {"Thandiwe Mokoena alpha", "Thandiwe Mokoena beta"}


@pytest.mark.parametrize(
    ("role", "groups"),
    [
        ("admin", EVERY_GROUP),
        ("billing", EVERY_GROUP),
        ("support", EVERY_GROUP),
        ("noc", {"accounts", "customers", "subscriptions", "addresses"}),
    ],
)
def test_each_role_sees_only_the_groups_it_may_read(alpha, make_staff, role, groups):
    user = make_staff(alpha.tenant, role)
    seen: set[str] = set()
    for text in (
        "Thandiwe Mokoena alpha",
        alpha.customer.account_number,
        alpha.sub.username,
        alpha.sub.ip_address.address,
        alpha.invoice.number,
        alpha.credit_note.number,
        alpha.payment_reference,
        "0532013000",
    ):
        seen |= set(_groups(user, text))
    assert seen == groups


def test_a_user_without_payment_permission_sees_no_payments_on_the_page(
    client: Client, alpha, make_staff
):
    client.force_login(make_staff(alpha.tenant, "noc"))
    page = _page(client, alpha.payment_reference)
    assert "Nothing found" in page
    page = _page(client, alpha.invoice.number)
    assert "Nothing found" in page


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "x" * 10_000,
        "\x00",
        "Thandiwe\x00Mokoena",
        "%",
        "_",
        "%%__",
        "'",
        "' OR 1=1 --",
        "\\",
        "Ünïcödé ✓ 株式会社",
        "😀" * 50,
        "999.1.1.1/99",
        "2001:db8::/129",
        "::",
        "0.0.0.0/0",
        "+",
        "++27 82",
        "ab",
    ],
)
def test_hostile_input_gets_a_clear_page(client: Client, alpha, make_staff, text):
    client.force_login(make_staff(alpha.tenant, "admin"))
    page = _page(client, text)
    assert "Search" in page
    partial = client.get("/staff/search/", {"q": text, "partial": "1"})
    assert partial.status_code == 200


def test_wildcards_are_searched_as_characters(alpha, make_staff, make_customer):
    make_customer(alpha.tenant, name="100% Fibre_Co")
    admin = make_staff(alpha.tenant, "admin")
    assert _groups(admin, "%") == {}
    assert [hit.title for hit in _groups(admin, "100% Fib")["customers"]] == ["100% Fibre_Co"]
    assert "customers" not in _groups(admin, "__")


def test_a_long_query_is_cut_and_the_page_says_so(client: Client, alpha, make_staff):
    client.force_login(make_staff(alpha.tenant, "admin"))
    page = _page(client, "Thandiwe " * 2000)
    assert f"cut to its first {MAX_QUERY_LENGTH} characters" in page
    assert len(parse_query("a" * 10_000).text) == MAX_QUERY_LENGTH


def test_an_invalid_address_is_searched_as_text_not_as_an_address():
    query = parse_query("999.1.1.1/99")
    assert query.network is None and query.text == "999.1.1.1/99"
    assert str(parse_query("100.64.7.9/24").network) == "100.64.7.0/24"


def test_phone_numbers_are_read_in_the_tenants_country():
    assert parse_query("082 123 4567", "ZA").phones == ("+27821234567",)
    assert "+27821234567" in parse_query("27821234567", "ZA").phones


def test_the_search_answers_in_a_bounded_number_of_queries(
    client: Client, alpha, make_staff, make_subscription, django_assert_max_num_queries
):
    for _ in range(5):
        make_subscription(alpha.tenant, customer=alpha.customer)
    client.force_login(make_staff(alpha.tenant, "admin"))
    _page(client, "warm-up")
    # Session, user, permissions, then one query per kind at most.
    with django_assert_max_num_queries(14):
        page = _page(client, "mokoena")
    assert "mokoena-alpha@fibre.example" in page
    with django_assert_max_num_queries(14):
        client.get("/staff/search/", {"q": "user", "partial": "1"})


def test_the_dropdown_is_a_short_grouped_list_of_links(client: Client, alpha, make_staff):
    client.force_login(make_staff(alpha.tenant, "admin"))
    answer = client.get("/staff/search/", {"q": alpha.sub.username, "partial": "1"})
    body = answer.content.decode()
    assert "<html" not in body
    assert "Subscriptions" in body
    assert f'href="/staff/customers/{alpha.customer.pk}/"' in body
    assert "All results for" in body


def test_every_console_page_has_the_search_box_wired_for_search_as_you_type(
    client: Client, tenant, make_staff
):
    client.force_login(make_staff(tenant, "support"))
    page = client.get("/staff/").content.decode()
    assert 'action="/staff/search/"' in page
    assert 'hx-get="/staff/search/?partial=1"' in page
    assert "<script>" not in page


def test_anonymous_users_are_sent_to_log_in(client: Client):
    answer = client.get("/staff/search/", {"q": "x"})
    assert answer.status_code == 302 and "/staff/login/" in answer.url


def test_usernames_read_exact_then_beginning_then_inside(tenant, make_subscription, make_staff):
    for username in ("xfibre-demo7", "demo7-b", "demo7", "demo70"):
        make_subscription(tenant, username=username)
    admin = make_staff(tenant, "admin")
    hits = _groups(admin, "DEMO7")["subscriptions"]
    # The username itself found: usernames merely containing it are left out.
    assert [(hit.title, hit.rank) for hit in hits] == [("demo7", 0), ("demo7-b", 1), ("demo70", 1)]
    hits = _groups(admin, "emo7")["subscriptions"]
    assert [hit.title for hit in hits] == ["demo7", "demo7-b", "demo70", "xfibre-demo7"]
    assert {hit.rank for hit in hits} == {2}


def test_an_exact_invoice_number_skips_the_fragment_search_of_names(
    alpha, make_staff, make_customer
):
    make_customer(alpha.tenant, name="Shop", email=f"{alpha.invoice.number.lower()}@example.net")
    admin = make_staff(alpha.tenant, "admin")
    assert set(_groups(admin, alpha.invoice.number)) == {"invoices"}
    # Without an exact identifier the email fragment is found.
    assert "customers" in _groups(admin, alpha.invoice.number[:-1])


def test_numbers_are_looked_up_only_when_they_begin_like_the_tenants_formats(
    alpha, make_staff, make_customer
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ispstack.billing.selectors import settings_for

    admin = make_staff(alpha.tenant, "admin")
    settings = settings_for(alpha.tenant)
    settings.invoice_number_format = "FAC-{seq:06d}"
    settings.save()
    Invoice.objects.filter(pk=alpha.invoice.pk).update(number="FAC-000042")
    admin.tenant.refresh_from_db()
    assert [hit.title for hit in _groups(admin, "fac-000042")["invoices"]][0].startswith(
        "FAC-000042"
    )
    # The old prefix no longer names an invoice: no invoice query is made for it.
    with CaptureQueriesContext(connection) as queries:
        _groups(admin, alpha.invoice.number)
    assert not [q for q in queries.captured_queries if '"billing_invoice"."number"' in q["sql"]]


def test_without_pg_trgm_names_are_still_found_but_not_misspellings(
    tenant, make_customer, make_staff, monkeypatch
):
    # The embedded PostgreSQL has no pg_trgm: no trigram index, no fuzzy match.
    monkeypatch.setattr("ispstack.console.search.providers.trigram_available", lambda: False)
    make_customer(tenant, name="Johannes Vermeulen")
    admin = make_staff(tenant, "admin")
    assert [hit.title for hit in _groups(admin, "vermeul")["customers"]] == ["Johannes Vermeulen"]
    assert _groups(admin, "Vermeulan") == {}


def test_an_emptied_box_empties_the_dropdown(client: Client, tenant, make_staff):
    client.force_login(make_staff(tenant, "support"))
    answer = client.get("/staff/search/", {"q": "  ", "partial": "1"})
    assert answer.status_code == 200 and answer.content == b""


# Dynamic addresses: who is online at an address now -----------------------


def _session(sub: Subscription, *, stopped: bool = False, **addresses: str) -> RadAcct:
    """An accounting session as FreeRADIUS's stock queries write it: the
    addresses cast to inet in SQL, a prefix with its length."""
    n = RadAcct.objects.count()
    session = RadAcct.objects.create(
        acctsessionid=f"s{n}",
        acctuniqueid=f"u{n}-{sub.username}",
        username=sub.username,
        nasipaddress="192.0.2.1",
        acctstarttime=clock.now() - dt.timedelta(hours=1),
        acctstoptime=clock.now() if stopped else None,
    )
    RadAcct.objects.filter(pk=session.pk).update(
        **{name: Cast(Value(value), GenericIPAddressField()) for name, value in addresses.items()}
    )
    return session


def test_a_dynamic_address_of_an_open_session_finds_the_subscriber(alpha, beta, make_staff):
    _session(alpha.sub, framedipaddress="10.20.30.40")
    _session(beta.sub, framedipaddress="10.20.30.41")
    _session(beta.sub, stopped=True, framedipaddress="10.20.30.42")
    clerk = make_staff(alpha.tenant, "support")
    assert _finds(clerk, "10.20.30.40", "sessions", alpha)
    hit = _groups(clerk, "10.20.30.40")["sessions"][0]
    assert hit.title == "10.20.30.40" and alpha.sub.username in hit.detail
    assert "online since" in hit.detail
    # Another tenant's subscriber online at an address is not found, by
    # address or by the network around it.
    assert "sessions" not in _groups(clerk, "10.20.30.41")
    network = _groups(clerk, "10.20.30.0/24")["sessions"]
    assert [hit.url for hit in network] == [customer_url(alpha.customer.pk)]
    # A closed session no longer names who holds the address.
    assert "sessions" not in _groups(make_staff(beta.tenant, "support"), "10.20.30.42")


def test_an_address_in_a_sessions_ipv6_prefix_finds_the_subscriber(alpha, beta, make_staff):
    _session(alpha.sub, framedipv6prefix="2001:db8:77:1::/64")
    _session(beta.sub, delegatedipv6prefix="2001:db8:88:100::/56")
    alpha_clerk = make_staff(alpha.tenant, "noc")
    beta_clerk = make_staff(beta.tenant, "noc")
    assert _finds(alpha_clerk, "2001:db8:77:1::abcd", "sessions", alpha)
    assert _finds(beta_clerk, "2001:db8:88:1ff::1", "sessions", beta)
    assert _finds(beta_clerk, "2001:db8:88::/48", "sessions", beta)
    assert "sessions" not in _groups(alpha_clerk, "2001:db8:88:1ff::1")
    assert "sessions" not in _groups(beta_clerk, "2001:db8:77:1::abcd")
    # Roles that may not read sessions do not get the group.
    assert "sessions" not in _groups(make_staff(alpha.tenant, "billing"), "2001:db8:77:1::1")


def test_the_open_session_search_is_served_by_indexes(alpha):
    from django.db import connection

    # Open sessions of many addresses, analysed: on an empty table every
    # partial index on open sessions costs the same and the planner may take
    # any of them.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress,"
            " acctstarttime, framedipaddress, framedipv6prefix, delegatedipv6prefix)"
            " SELECT 's' || g, 'u' || g, 'user' || g, '10.0.0.1', now(),"
            " '10.9.0.0'::inet + g, NULL, NULL FROM generate_series(1, 2000) g"
        )
        cursor.execute("ANALYZE radacct")
    for name, text in (
        ("framedipaddress", "= '10.1.2.3'::inet"),
        ("framedipv6prefix", ">>= '2001:db8::1'::inet"),
        ("delegatedipv6prefix", "<<= '2001:db8::/32'::cidr"),
    ):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(
                f"EXPLAIN SELECT 1 FROM radacct WHERE acctstoptime IS NULL AND {name} {text}"
            )
            plan = " ".join(row[0] for row in cursor.fetchall())
        assert "radacct_open_" in plan, plan
