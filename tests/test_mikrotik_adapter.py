"""The MikroTik RouterOS adapter against a protocol-level fake router.

No RouterOS simulator exists to start in a test, so ``tests/routeros_fake.py``
speaks the RouterOS API wire protocol (words, sentences, ``/login``,
``print`` / ``add`` / ``set`` / ``remove`` with queries) on 127.0.0.1 over
in-memory menus; librouteros, the client the adapter uses, talks to it as
to a router.
"""

from __future__ import annotations

import socket
import time

import pytest

from ispstack.provisioning.adapters.base import AdapterError
from ispstack.provisioning.adapters.mikrotik import MikroTikRouter
from tests.peers import free_ports
from tests.routeros_fake import fake_routeros


def router_for(fake, *, password: str | None = None, dry_run: bool = False, **kwargs):
    return MikroTikRouter(
        host=fake.host,
        port=fake.port,
        username=fake.username,
        password=fake.password if password is None else password,
        dry_run=dry_run,
        timeout=3,
        **kwargs,
    )


def test_applying_twice_leaves_one_secret_and_one_queue_with_the_new_rate():
    with fake_routeros() as fake:
        router = router_for(fake)
        router.apply_subscriber(
            username="c1001", password="pw-1", rate_limit="10240k/51200k", address="100.64.0.17"
        )
        router.apply_subscriber(
            username="c1001", password="pw-2", rate_limit="20480k/102400k", address="100.64.0.17"
        )

        secrets = fake.rows("/ppp/secret")
        queues = fake.rows("/queue/simple")
        assert [(s["name"], s["password"], s["remote-address"]) for s in secrets] == [
            ("c1001", "pw-2", "100.64.0.17")
        ]
        assert [(q["name"], q["target"], q["max-limit"]) for q in queues] == [
            ("ispstack-c1001", "100.64.0.17/32", "20480k/102400k")
        ]


def test_dhcp_lease_when_there_is_no_password():
    with fake_routeros() as fake:
        router = router_for(fake)
        router.apply_subscriber(
            username="c2",
            password="",
            rate_limit="1024k/4096k",
            address="2001:db8::5",
            mac_address="aa:bb:cc:00:11:22",
        )
        router.apply_subscriber(
            username="c2",
            password="",
            rate_limit="1024k/4096k",
            address="2001:db8::6",
            mac_address="aa:bb:cc:00:11:22",
        )
        leases = fake.rows("/ip/dhcp-server/lease")
        assert [(lease["address"], lease["mac-address"]) for lease in leases] == [
            ("2001:db8::6", "AA:BB:CC:00:11:22")
        ]
        assert fake.rows("/queue/simple")[0]["target"] == "2001:db8::6/128"
        assert fake.rows("/ppp/secret") == []


def test_remove_takes_away_what_apply_made_and_is_safe_to_repeat():
    with fake_routeros() as fake:
        fake.rows("/ppp/secret").append({".id": "*99", "name": "by-hand", "password": "x"})
        router = router_for(fake)
        router.apply_subscriber(
            username="c1", password="pw", rate_limit="1k/2k", address="100.64.0.9"
        )
        router.remove_subscriber(username="c1")
        router.remove_subscriber(username="c1")

        assert [s["name"] for s in fake.rows("/ppp/secret")] == ["by-hand"]
        assert fake.rows("/queue/simple") == []


def test_suspend_puts_the_address_on_the_list_once_and_reconnect_takes_it_off():
    with fake_routeros() as fake:
        router = router_for(fake, suspended_list="unpaid")
        router.set_suspended(address="100.64.0.9", suspended=True)
        router.set_suspended(address="100.64.0.9", suspended=True)
        entries = fake.rows("/ip/firewall/address-list")
        assert [(e["list"], e["address"]) for e in entries] == [("unpaid", "100.64.0.9")]

        router.set_suspended(address="100.64.0.9", suspended=False)
        assert fake.rows("/ip/firewall/address-list") == []


def test_a_refused_login_is_not_retryable():
    with fake_routeros() as fake:
        router = router_for(fake, password="wrong")
        started = time.monotonic()
        with pytest.raises(AdapterError) as caught:
            router.set_suspended(address="100.64.0.9", suspended=True)
        assert caught.value.retryable is False
        assert "login" in str(caught.value)
        assert time.monotonic() - started < 2
        assert fake.writes == []


def test_dry_run_sends_nothing_and_records_the_plan():
    with fake_routeros() as fake:
        router = router_for(fake, dry_run=True)
        commands = router.apply_subscriber(
            username="c1", password="pw", rate_limit="1024k/4096k", address="100.64.0.9"
        )
        router.set_suspended(address="100.64.0.9", suspended=True)

        assert fake.writes == [] and fake.logins == 0
        assert router.recorded == [*commands, *router.recorded[len(commands) :]]
        assert [str(c) for c in router.recorded] == [
            "/ppp/secret add or set name=c1 password=*** service=pppoe comment=ispstack "
            "remote-address=100.64.0.9",
            "/queue/simple add or set name=ispstack-c1 target=100.64.0.9/32 "
            "max-limit=1024k/4096k comment=ispstack",
            "/ip/firewall/address-list add or set list=ispstack-suspended "
            "address=100.64.0.9 comment=ispstack",
        ]


def test_plan_refuses_a_rate_not_in_routeros_form_and_a_lease_without_mac():
    router = MikroTikRouter(host="127.0.0.1", username="api", password="x")
    with pytest.raises(AdapterError, match="rate limit") as caught:
        router.plan_subscriber(username="c1", password="pw", rate_limit="fast", address=None)
    assert caught.value.retryable is False
    with pytest.raises(AdapterError, match="MAC"):
        router.plan_subscriber(username="c1", password="", rate_limit="1k/1k", address="10.0.0.1")


def test_an_unreachable_router_is_retryable():
    port = free_ports(1, socket.SOCK_STREAM)[0]
    router = MikroTikRouter(
        host="127.0.0.1", port=port, username="api", password="x", dry_run=False, timeout=2
    )
    with pytest.raises(AdapterError) as caught:
        router.remove_subscriber(username="c1")
    assert caught.value.retryable is True


def test_a_router_that_never_answers_times_out_retryable():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        router = MikroTikRouter(
            host="127.0.0.1",
            port=silent.getsockname()[1],
            username="api",
            password="x",
            dry_run=False,
            timeout=1,
        )
        started = time.monotonic()
        with pytest.raises(AdapterError) as caught:
            router.remove_subscriber(username="c1")
        assert caught.value.retryable is True
        assert time.monotonic() - started < 3
    finally:
        silent.close()


def test_check_logs_in_and_changes_nothing_even_in_dry_run():
    with fake_routeros() as fake:
        assert router_for(fake, dry_run=True).check() == f"RouterOS at 127.0.0.1:{fake.port}"
        assert fake.logins == 1 and fake.writes == []
