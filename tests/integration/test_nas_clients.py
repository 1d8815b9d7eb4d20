"""FreeRADIUS's ``read_clients``: a NAS registered in ispstack is a RADIUS
client with its own shared secret; a wrong secret gets no answer."""

from __future__ import annotations

import pytest

from ispstack.network.nas import create_nas
from tests.peers import start_freeradius, stop_freeradius

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]


def test_a_registered_nas_is_a_radius_client_with_its_secret(tenant, make_subscription):
    sub = make_subscription(tenant, password="pppoe-pass")
    create_nas(
        tenant=tenant,
        nasname="127.0.0.1",
        shortname="bras-1",
        type="mikrotik",
        secret="bras-1-shared-secret",
    )
    # clients.conf covers another address only: 127.0.0.1 is known through the nas table.
    peer = start_freeradius(
        RADIUS_SQL_READ_CLIENTS="yes",
        RADIUS_CLIENT_IP="192.0.2.1",
        RADIUS_SECRET="bras-1-shared-secret",
    )
    try:
        accepted = peer.authenticate(sub.username, "pppoe-pass")
        assert accepted.code == "Access-Accept"
        assert accepted.attributes["Mikrotik-Rate-Limit"] == "10M/50M"
        assert peer.authenticate(sub.username, "pppoe-pass", "testing123").code == "no-reply"
    finally:
        stop_freeradius(peer)
