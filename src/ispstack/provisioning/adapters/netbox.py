"""NetBox as the IPAM of a tenant's subscriber addresses, through pynetbox.

An address ispstack allocates carries the order's ``reference`` as its NetBox
``description`` (NetBox filters on it exactly), the caller's description in
``comments``, the DNS name, and tags: the tenant's own tag (``netbox_tag`` of
the settings, so ispstack's addresses are easy to find) plus the customer and
plan tags the caller names. A second allocation for the same reference finds
that address instead of taking another one; NetBox takes the next free
address under an advisory lock, so two orders never get the same one.

Errors: a timeout, a refused connection or an HTTP 5xx / 408 / 429 are
``AdapterError(retryable=True)``; any other 4xx (token refused, bad input),
an unknown or full prefix and an answer that is not NetBox's API are
``retryable=False``.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any, NoReturn

import pynetbox
import requests
from django.utils.text import slugify

from ispstack.provisioning.adapters.base import AdapterError, AddressAllocation

log = logging.getLogger(__name__)

SYSTEM = "netbox"
# Transient HTTP answers: a retry later may succeed (RFC 9110 408, RFC 6585 429, 5xx).
RETRYABLE_STATUS = {408, 429}


class _TimeoutSession(requests.Session):
    """A requests session whose every call has ``timeout`` seconds (connect and
    each read), since pynetbox passes none."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def _fail(exc: Exception, doing: str) -> NoReturn:
    """Raise the AdapterError for ``exc`` raised while ``doing``."""
    if isinstance(exc, requests.Timeout):
        raise AdapterError(f"NetBox did not answer in time while {doing}", system=SYSTEM) from exc
    if isinstance(exc, requests.ConnectionError):
        raise AdapterError(f"NetBox is unreachable while {doing}: {exc}", system=SYSTEM) from exc
    if isinstance(exc, pynetbox.AllocationError):
        raise AdapterError(
            f"no free address left while {doing}", system=SYSTEM, retryable=False
        ) from exc
    if isinstance(exc, pynetbox.ContentError):
        raise AdapterError(
            f"the NetBox URL does not answer with NetBox's API while {doing}",
            system=SYSTEM,
            retryable=False,
        ) from exc
    if isinstance(exc, pynetbox.RequestError):
        status = exc.req.status_code
        raise AdapterError(
            f"NetBox refused {doing} (HTTP {status}): {exc.error}",
            system=SYSTEM,
            retryable=status >= 500 or status in RETRYABLE_STATUS,
        ) from exc
    raise exc


class NetBoxIpam:
    """``IpamAdapter`` on a NetBox instance (REST API, v4).

    ``url`` is NetBox's base URL, ``token`` an API token with write access to
    IPAM and tags, ``default_prefix`` the prefix (CIDR) used when a call names
    none, ``tag`` the slug set on every address made here ("" for none),
    ``timeout`` seconds per HTTP call.
    """

    def __init__(
        self, *, url: str, token: str, default_prefix: str = "", tag: str = "", timeout: float = 10
    ) -> None:
        self.api = pynetbox.api(url, token=token)
        self.api.http_session = _TimeoutSession(timeout)
        self.default_prefix = default_prefix
        self.tag = tag

    def check(self) -> str:
        """Whether NetBox answers with this token: "NetBox <version>". Raises AdapterError."""
        try:
            status = self.api.status()
            # The status page is public on some installs: the token must open a listing.
            self.api.ipam.prefixes.count()
        except Exception as exc:
            _fail(exc, "checking the connection")
        return f"NetBox {status.get('netbox-version', '')}".strip()

    def allocate_address(
        self,
        *,
        prefix: str = "",
        reference: str,
        description: str = "",
        dns_name: str = "",
        tags: tuple[str, ...] = (),
    ) -> AddressAllocation:
        """The address recorded for ``reference``, or the next free one in
        ``prefix`` (the default prefix when empty), created with the
        description, DNS name and tags. ``tags`` are tag names (such as
        ``customer C-000123``, ``plan Fibre 100``); missing tags are created.

        Raises AdapterError: retryable=False when the prefix is not in NetBox,
        is there more than once (VRFs), or is full.
        """
        if not reference:
            raise AdapterError("an address needs a reference", system=SYSTEM, retryable=False)
        existing = self._addresses_of(reference)
        if existing:
            return self._allocation(existing[0])
        prefix = prefix or self.default_prefix
        try:
            ipaddress.ip_network(prefix, strict=True)
        except ValueError as exc:
            raise AdapterError(
                f"prefix {prefix!r} is not a network in CIDR form", system=SYSTEM, retryable=False
            ) from exc
        try:
            parent = self.api.ipam.prefixes.get(prefix=prefix)
        except ValueError as exc:  # pynetbox's get() found more than one
            raise AdapterError(
                f"prefix {prefix} exists more than once in NetBox (one per VRF?)",
                system=SYSTEM,
                retryable=False,
            ) from exc
        except Exception as exc:
            _fail(exc, f"looking up prefix {prefix}")
        if parent is None:
            raise AdapterError(
                f"prefix {prefix} does not exist in NetBox", system=SYSTEM, retryable=False
            )
        data: dict[str, Any] = {
            "status": "active",
            "description": reference,
            "comments": description,
            "dns_name": dns_name,
            "tags": [self._tag_id(name) for name in (*((self.tag,) if self.tag else ()), *tags)],
        }
        try:
            created = parent.available_ips.create(data)
        except Exception as exc:
            _fail(exc, f"allocating an address in {prefix}")
        allocation = self._allocation(created)
        log.info("netbox: allocated %s for %s", allocation.address, reference)
        return allocation

    def release_address(self, *, reference: str) -> None:
        """Deletes every address recorded for ``reference`` (normally one); none
        is not an error. Raises AdapterError."""
        for record in self._addresses_of(reference):
            try:
                record.delete()
            except pynetbox.RequestError as exc:
                if exc.req.status_code == 404:  # deleted meanwhile
                    continue
                _fail(exc, f"releasing the address of {reference}")
            except Exception as exc:
                _fail(exc, f"releasing the address of {reference}")
            log.info("netbox: released %s of %s", record.address, reference)

    def vlan_id(self, *, site: str, name: str) -> int | None:
        """The VLAN id (1-4094) of VLAN ``name`` at the site whose slug is
        ``site``; None when NetBox has no such VLAN or site. Raises
        AdapterError (retryable=False when the name is not unique there)."""
        try:
            vlans = list(self.api.ipam.vlans.filter(site=site, name=name))
        except pynetbox.RequestError as exc:
            if exc.req.status_code == 400:  # NetBox refuses a filter on an unknown site slug
                return None
            _fail(exc, f"looking up VLAN {name} at {site}")
        except Exception as exc:
            _fail(exc, f"looking up VLAN {name} at {site}")
        if len(vlans) > 1:
            raise AdapterError(
                f"VLAN name {name!r} is used {len(vlans)} times at site {site}",
                system=SYSTEM,
                retryable=False,
            )
        return int(vlans[0].vid) if vlans else None

    def _addresses_of(self, reference: str) -> list[Any]:
        filters: dict[str, str] = {"description": reference}
        if self.tag:
            filters["tag"] = self.tag
        try:
            return list(self.api.ipam.ip_addresses.filter(**filters))
        except pynetbox.RequestError as exc:
            if exc.req.status_code == 400 and self.tag:
                return []  # the tag does not exist yet: nothing was ever made
            _fail(exc, f"looking up the address of {reference}")
        except Exception as exc:
            _fail(exc, f"looking up the address of {reference}")

    def _tag_id(self, name: str) -> int:
        """The id of the tag named ``name`` (slug from the name), created if missing."""
        slug = slugify(name)[:100]
        if not slug:
            raise AdapterError(
                f"tag {name!r} has no letters or digits", system=SYSTEM, retryable=False
            )
        tags = self.api.extras.tags
        try:
            found = tags.get(slug=slug)
            if found is None:
                try:
                    found = tags.create(name=name[:100], slug=slug)
                except pynetbox.RequestError as exc:
                    # Another worker created it between our get and create.
                    found = tags.get(slug=slug) if exc.req.status_code == 400 else None
                    if found is None:
                        raise
        except Exception as exc:
            _fail(exc, f"creating tag {slug}")
        return int(found.id)

    @staticmethod
    def _allocation(record: Any) -> AddressAllocation:
        return AddressAllocation(
            address=str(record.address).split("/")[0], external_id=str(record.id)
        )
