"""The captive portal's public pages: MikroTik's parameters are checked (a
hostile link-login-only is refused, nothing is reflected unescaped), a
voucher and a verified guest are posted to the router (CHAP computed
server-side), registration records the terms, another tenant's guest is not
reachable; the walled garden's RouterOS script."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core.cache import cache

from ispstack.core import outbox
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.hotspot.captive import services
from ispstack.hotspot.captive.routeros import read_params, unescape_octal
from ispstack.hotspot.captive.walled_garden import entries_for, routeros_script
from ispstack.hotspot.models import CaptiveUser
from ispstack.radius.models import RadCheck

pytestmark = pytest.mark.django_db
ROUTER = {
    "link-login-only": "http://10.5.50.1/login",
    "link-orig": "http://example.com/",
    "mac": "aa:bb:cc:00:11:22",
    "ip": "10.5.50.23",
}


def _login(client, tenant, **extra):
    return client.get(f"/hotspot/{tenant.slug}/login/", {**ROUTER, **extra})


def _hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/login",
        "ftp://10.5.50.1/login",
        "http://user:pass@10.5.50.1/login",
        "",
        "http:///login",
    ],
)
def test_a_hostile_link_login_only_is_refused(client, tenant, link):
    page = _login(client, tenant, **{"link-login-only": link})
    assert page.status_code == 400
    assert b"<script>" not in page.content and b"javascript:" not in page.content.lower()
    assert b'name="code"' not in page.content


def test_parameters_are_escaped_and_bad_ones_dropped(client, tenant):
    page = _login(
        client,
        tenant,
        error='<script>alert("x")</script>',
        **{"link-orig": "javascript:alert(1)", "mac": "<b>"},
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;" in body
    params = read_params({**ROUTER, "link-orig": "javascript:alert(1)", "mac": "<b>"})
    assert params.link_orig == "" and params.mac == ""


def test_a_voucher_is_posted_to_the_router_with_chap(client, tenant):
    chap_id, challenge = r"\325", r"\001\002abc\377\100\101\102\103\104\105\106\107\110\111"
    assert (
        _login(client, tenant, **{"chap-id": chap_id, "chap-challenge": challenge}).status_code
        == 200
    )
    answer = client.post(f"/hotspot/{tenant.slug}/login/", {"code": " VX7-K2 "})
    assert answer.status_code == 200
    body = answer.content.decode()
    assert 'action="http://10.5.50.1/login"' in body
    fields = _hidden(body)
    expected = hashlib.md5(b"\xd5" + b"VX7-K2" + unescape_octal(challenge, "c")).hexdigest()
    assert fields == {"username": "VX7-K2", "password": expected, "dst": "http://example.com/"}
    assert "http://10.5.50.1" in answer["Content-Security-Policy"]


def test_a_malformed_chap_value_is_refused(client, tenant):
    assert _login(client, tenant, **{"chap-id": r"\999", "chap-challenge": "x"}).status_code == 400


def test_without_the_routers_parameters_nothing_is_posted(client, tenant):
    answer = client.post(f"/hotspot/{tenant.slug}/login/", {"code": "VX7"})
    assert answer.status_code == 400 and b"router-login" not in answer.content


def test_an_unknown_tenant_is_404(client):
    assert client.get("/hotspot/no-such-isp/login/", ROUTER).status_code == 404


def test_the_pages_need_the_csrf_token(tenant):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.get(f"/hotspot/{tenant.slug}/login/", ROUTER).status_code == 200
    assert strict.post(f"/hotspot/{tenant.slug}/login/", {"code": "VX7"}).status_code == 403
    assert (
        strict.post(f"/hotspot/{tenant.slug}/register/", {"identifier": "a@b.net"}).status_code
        == 403
    )


def test_the_pages_are_rate_limited_per_address(client, tenant, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "captive_portal": "2/minute"}
    cache.clear()
    codes = [_login(client, tenant).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_registration_by_email_records_the_terms_and_logs_in(client, tenant, smtp_server):
    assert _login(client, tenant, **{"chap-id": "", "chap-challenge": ""}).status_code == 200
    refused = client.post(f"/hotspot/{tenant.slug}/register/", {"identifier": "guest@example.net"})
    assert refused.status_code == 400 and b"terms" in refused.content
    assert not CaptiveUser.objects.exists()
    sent = client.post(
        f"/hotspot/{tenant.slug}/register/",
        {"identifier": "Guest@Example.net", "terms": "yes"},
        REMOTE_ADDR="10.5.50.23",
    )
    assert sent.status_code == 302 and sent["Location"].endswith("/verify/")
    guest = CaptiveUser.objects.get()
    assert (guest.email, guest.status, guest.terms_version) == ("guest@example.net", "pending", "1")
    assert guest.terms_accepted_ip == "10.5.50.23" and guest.terms_accepted_at is not None
    outbox.drain()
    code = re.search(r"(\d{6}) is your", smtp_server.messages[0].get_payload()).group(1)
    wrong = client.post(
        f"/hotspot/{tenant.slug}/verify/", {"code": "000000" if code != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and b"4 tries left" in wrong.content
    done = client.post(f"/hotspot/{tenant.slug}/verify/", {"code": code})
    assert done.status_code == 200
    guest.refresh_from_db()
    assert guest.status == "active"
    assert _hidden(done.content.decode()) == {
        "username": guest.username,
        "password": guest.password,
        "dst": "http://example.com/",
    }
    assert (
        RadCheck.objects.filter(username=guest.username, attribute="Simultaneous-Use").get().value
        == "1"
    )


def test_phone_numbers_are_read_in_the_tenants_country(make_tenant):
    tenant = make_tenant(country="ZA")
    assert services.read_identifier(tenant, "082 123 4567") == ("phone", "+27821234567")
    for bad in ("12", "+27 11 123 4567", "not a number"):  # too short, a landline, text
        with pytest.raises(InvalidInput) as exc:
            services.read_identifier(tenant, bad)
        assert exc.value.field == "identifier"


def test_closed_registration_refuses_new_guests(tenant):
    policy = services.policy_for(tenant)
    policy.registration_open = False
    policy.save()
    with pytest.raises(Conflict):
        services.start_sign_in(tenant=tenant, identifier="a@b.net", accept_terms=True, ip=None)
    assert not CaptiveUser.objects.exists()


def test_another_tenants_guest_in_the_session_is_not_reached(client, make_tenant):
    one, two = make_tenant(), make_tenant()
    guest = services.start_sign_in(tenant=one, identifier="a@b.net", accept_terms=True, ip=None)
    session = client.session
    session["hotspot_guest"] = {"tenant": two.slug, "id": guest.pk}
    session.save()
    answer = client.post(f"/hotspot/{two.slug}/verify/", {"code": "123456"})
    assert answer.status_code == 302 and answer["Location"].endswith("/register/")


def test_the_walled_garden_script(tenant, make_tenant):
    from ispstack.network.nas import create_nas

    nas = create_nas(tenant=tenant, nasname="10.9.9.1", shortname="r1", secret="radius-secret")
    services.add_walled_garden(
        tenant=tenant, kind="host", value="Pay.Example.com", comment='say "hi" $x'
    )
    services.add_walled_garden(tenant=tenant, kind="network", value="192.0.2.0/24", nas=nas)
    services.add_walled_garden(tenant=make_tenant(), kind="host", value="other.example")
    for kind, value in (
        ("host", "a b"),
        ("host", "x;/system reset"),
        ("network", "192.0.2.1/24"),
        ("network", "2001:db8::/32"),
    ):
        with pytest.raises(InvalidInput):
            services.add_walled_garden(tenant=tenant, kind=kind, value=value)
    with pytest.raises(Conflict):
        services.add_walled_garden(tenant=tenant, kind="host", value="pay.example.com")
    everywhere = routeros_script(entries_for(tenant))
    assert "192.0.2.0/24" not in everywhere and "other.example" not in everywhere
    script = routeros_script(entries_for(tenant, nas))
    assert (
        '/ip hotspot walled-garden add dst-host="pay.example.com" action=allow '
        'comment="ispstack: say \\"hi\\" \\$x"'
    ) in script
    assert (
        "/ip hotspot walled-garden ip add dst-address=192.0.2.0/24 action=accept "
        'comment="ispstack:"' in script
    )
