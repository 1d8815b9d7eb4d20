"""Helpers of the hotspot tests: a router with its onboarding secret, and
lease reports signed as the documented scheme says."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from ispstack.core.models import Tenant
from ispstack.hotspot.models import HotspotPolicy, RouterSecret
from ispstack.hotspot.onboarding.services import create_secret
from ispstack.hotspot.onboarding.signing import signature
from ispstack.network.nas import create_nas

URL = "/hotspot/mac-onboarding/"
_next = itertools.count(1)


def router(tenant: Tenant, **policy: Any) -> RouterSecret:
    """A MikroTik NAS of ``tenant`` with an onboarding secret; ``policy``
    fields are set on the tenant's hotspot policy."""
    n = next(_next)
    nas = create_nas(
        tenant=tenant,
        nasname=f"10.{200 + n // 250 % 50}.{n % 250}.1",
        shortname=f"hs-{tenant.slug}",
        secret="radius-secret",
        type="mikrotik",
    )
    HotspotPolicy.objects.update_or_create(tenant=tenant, defaults=policy)
    return create_secret(tenant=tenant, nas=nas, actor=None)


def post_lease(
    client: Any,
    row: RouterSecret,
    fields: dict[str, str],
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    as_json: bool = False,
) -> Any:
    """POST a lease report signed with ``secret`` (the router's by default)
    at ``timestamp`` (now by default)."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    if as_json:
        body, kind = json.dumps(fields).encode(), "application/json"
    else:
        from urllib.parse import urlencode

        body, kind = urlencode(fields).encode(), "application/x-www-form-urlencoded"
    return client.post(
        URL,
        data=body,
        content_type=kind,
        headers={
            "X-Ispstack-Key": row.key_id,
            "X-Ispstack-Timestamp": stamp,
            "X-Ispstack-Signature": signature(secret or row.secret, stamp, body),
        },
    )


class CaptiveWorld:
    """The captive portal's rows behind the API routes of the walks
    (access matrix, hostile input, schemathesis), and valid bodies."""

    def __init__(self, tenant: Tenant, free_nas: Any) -> None:
        from ispstack.hotspot.captive import services
        from ispstack.hotspot.onboarding.services import read_report, record_lease

        self.free_nas = free_nas
        self.router = router(tenant, mac_auth=True)
        self.guest = services.set_status(
            user=services.start_sign_in(
                tenant=tenant, identifier=f"guest@{tenant.slug}.example", accept_terms=True, ip=None
            ),
            status="active",
            actor=None,
        )
        self.entry = services.add_walled_garden(tenant=tenant, kind="host", value="pay.example.com")
        self.profile = record_lease(
            router=self.router,
            report=read_report({"mac": "aa:bb:cc:00:11:22", "ip": "10.5.50.2", "identity": "r"}),
        )
        self.ids = {
            "/api/v1/hotspot/captive-users/": self.guest.pk,
            "/api/v1/hotspot/walled-garden/": self.entry.pk,
            "/api/v1/hotspot/mac-profiles/": self.profile.pk,
            "/api/v1/hotspot/router-secrets/": self.router.pk,
        }

    def bodies(self) -> dict[str, dict[str, Any]]:
        return {
            "/api/v1/hotspot/captive-users/{id}/status/": {"status": "disabled"},
            "/api/v1/hotspot/walled-garden/": {
                "kind": "network",
                "value": "198.51.100.0/24",
                "comment": "bank",
                "nas": self.router.nas_id,
            },
            "/api/v1/hotspot/mac-profiles/{id}/mac-auth/": {"mac_auth": False},
            "/api/v1/hotspot/router-secrets/": {"nas": self.free_nas.pk, "allow_token": False},
        }
