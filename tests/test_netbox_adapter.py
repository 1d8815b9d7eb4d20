"""The NetBox IPAM adapter against a real NetBox (the ``netbox`` package from
PyPI, started by ``tests/netbox_peer.py`` on 127.0.0.1 with a database
restored from a cached, migrated dump).

Each test makes its own prefix, site and VLANs through NetBox's API, so the
tests share one NetBox per session without seeing each other's addresses.
"""

from __future__ import annotations

import itertools
import socket
import time

import pynetbox
import pytest

from ispstack.provisioning.adapters.base import AdapterError
from ispstack.provisioning.adapters.netbox import NetBoxIpam
from tests.netbox_peer import netbox  # noqa: F401 - a fixture
from tests.peers import free_ports

_third_octet = itertools.count(1)


@pytest.fixture
def nb(netbox):  # noqa: F811
    """pynetbox on the peer, for a test's own setup and checks."""
    return pynetbox.api(netbox.url, token=netbox.token)


@pytest.fixture
def prefix(nb):
    """A fresh /29 (six usable addresses: NetBox skips the network and
    broadcast addresses of an IPv4 prefix)."""
    cidr = f"100.64.{next(_third_octet)}.0/29"
    nb.ipam.prefixes.create(prefix=cidr, status="active")
    return cidr


def ipam_for(netbox, **kwargs) -> NetBoxIpam:  # noqa: F811
    return NetBoxIpam(url=netbox.url, token=netbox.token, **{"tag": "ispstack", **kwargs})


def test_two_references_get_two_addresses_and_a_repeat_gets_the_same(netbox, nb, prefix):  # noqa: F811
    ipam = ipam_for(netbox)
    first = ipam.allocate_address(
        prefix=prefix,
        reference="order-1",
        description="Jane Doe, Fibre 100",
        dns_name="c-1.subs.example.net",
        tags=("customer C-0001", "plan Fibre 100"),
    )
    second = ipam.allocate_address(prefix=prefix, reference="order-2")
    again = ipam.allocate_address(prefix=prefix, reference="order-1")

    assert first.address != second.address
    assert again == first
    assert {first.address, second.address} <= {f"{prefix[:-5]}.{n}" for n in range(1, 7)}
    record = nb.ipam.ip_addresses.get(int(first.external_id))
    assert record.description == "order-1"
    assert record.comments == "Jane Doe, Fibre 100"
    assert record.dns_name == "c-1.subs.example.net"
    assert sorted(t.slug for t in record.tags) == ["customer-c-0001", "ispstack", "plan-fibre-100"]
    assert len(nb.ipam.ip_addresses.filter(parent=prefix)) == 2


def test_the_default_prefix_is_used_when_the_call_names_none(netbox, prefix):  # noqa: F811
    allocation = ipam_for(netbox, default_prefix=prefix).allocate_address(reference="order-d")
    assert allocation.address.startswith(prefix[:-5])


def test_a_released_address_is_gone_and_can_be_handed_out_again(netbox, nb, prefix):  # noqa: F811
    ipam = ipam_for(netbox)
    first = ipam.allocate_address(prefix=prefix, reference="order-r1")
    ipam.release_address(reference="order-r1")
    ipam.release_address(reference="order-r1")  # already gone: nothing to do

    assert nb.ipam.ip_addresses.get(int(first.external_id)) is None
    assert ipam.allocate_address(prefix=prefix, reference="order-r2").address == first.address


def test_an_unknown_prefix_is_not_retryable(netbox):  # noqa: F811
    with pytest.raises(AdapterError) as caught:
        ipam_for(netbox).allocate_address(prefix="198.51.100.0/24", reference="order-x")
    assert caught.value.retryable is False and "does not exist" in str(caught.value)


def test_a_full_prefix_is_not_retryable_and_leaves_nothing_behind(netbox, nb):  # noqa: F811
    cidr = f"100.64.{next(_third_octet)}.0/30"
    nb.ipam.prefixes.create(prefix=cidr, status="active")
    ipam = ipam_for(netbox)
    ipam.allocate_address(prefix=cidr, reference="full-1")
    ipam.allocate_address(prefix=cidr, reference="full-2")
    with pytest.raises(AdapterError) as caught:
        ipam.allocate_address(prefix=cidr, reference="full-3")
    assert caught.value.retryable is False and "no free address" in str(caught.value)
    assert len(nb.ipam.ip_addresses.filter(description="full-3")) == 0


def test_a_refused_token_is_not_retryable(netbox, prefix):  # noqa: F811
    ipam = NetBoxIpam(url=netbox.url, token="nbt_nosuchkey.not-a-token")
    with pytest.raises(AdapterError) as caught:
        ipam.allocate_address(prefix=prefix, reference="order-t")
    assert caught.value.retryable is False and "HTTP 403" in str(caught.value)


def test_netbox_down_is_retryable_and_quick():
    port = free_ports(1, socket.SOCK_STREAM)[0]
    ipam = NetBoxIpam(url=f"http://127.0.0.1:{port}", token="t", timeout=2)
    started = time.monotonic()
    with pytest.raises(AdapterError) as caught:
        ipam.allocate_address(prefix="100.64.0.0/29", reference="order-down")
    assert caught.value.retryable is True
    assert time.monotonic() - started < 2


def test_netbox_that_never_answers_times_out_retryable():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        ipam = NetBoxIpam(url=f"http://127.0.0.1:{silent.getsockname()[1]}", token="t", timeout=1)
        started = time.monotonic()
        with pytest.raises(AdapterError) as caught:
            ipam.release_address(reference="order-slow")
        assert caught.value.retryable is True and "in time" in str(caught.value)
        assert time.monotonic() - started < 3
    finally:
        silent.close()


def test_vlan_lookup_by_site_slug_and_name(netbox, nb):  # noqa: F811
    n = next(_third_octet)
    site = nb.dcim.sites.create(name=f"POP North {n}", slug=f"pop-north-{n}", status="active")
    nb.ipam.vlans.create(site=site.id, vid=120, name="subscribers", status="active")
    nb.ipam.vlans.create(site=site.id, vid=130, name="management", status="active")
    ipam = ipam_for(netbox)

    assert ipam.vlan_id(site=site.slug, name="subscribers") == 120
    assert ipam.vlan_id(site=site.slug, name="management") == 130
    assert ipam.vlan_id(site=site.slug, name="voice") is None
    assert ipam.vlan_id(site="no-such-site", name="subscribers") is None


def test_check_names_the_netbox_version_and_refuses_a_bad_token(netbox):  # noqa: F811
    assert ipam_for(netbox).check() == "NetBox 4.7.3"
    with pytest.raises(AdapterError) as caught:
        NetBoxIpam(url=netbox.url, token="nbt_nosuchkey.not-a-token").check()
    assert caught.value.retryable is False
