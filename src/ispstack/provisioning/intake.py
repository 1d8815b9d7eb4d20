"""A service order for an existing customer, without a lead: a second line
at the same address, a move to a new address, a customer signed up at the
counter.

The order makes the pending subscription and its order in one transaction
and queues the order's advance, as a lead's conversion does; the survey
step is waived (there is no lead). The installation needs the GPS position
of the service address (an installation without a
position cannot be routed to a technician), given here or already on the customer.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ispstack.catalog.models import Plan
from ispstack.core import clock, inputs
from ispstack.core.errors import InvalidInput
from ispstack.core.integrity import integrity_conflicts
from ispstack.customers.models import Customer
from ispstack.customers.services import update_customer
from ispstack.network.coverage import coordinate, sites_covering
from ispstack.network.models import IPPool, PrefixPool, Sector, Site
from ispstack.network.sites import optional_owned, owned
from ispstack.provisioning import orders
from ispstack.provisioning.models import ServiceOrder
from ispstack.subscriptions.equipment import update_installation
from ispstack.subscriptions.services import create_subscription

ADDRESS_FIELDS = ("service_address_line1", "service_city", "service_postal_code")
INSTALLATION_OPTIONS = ("connection_type", "last_mile_technology", "sector")
ORDER_FIELDS = (
    "customer",
    "plan",
    "username",
    "password",
    "billing_day",
    *ADDRESS_FIELDS,
    "latitude",
    "longitude",
    "site",
    "pool",
    "framed_ipv6_pool",
    "delegated_ipv6_pool",
    "cpe_serial",
    "technician",
    "appointment_at",
    *INSTALLATION_OPTIONS,
)


def _service_point(customer: Customer, data: dict[str, Any], actor: Any) -> tuple[Any, Any]:
    """The customer's service address after this order's changes (written
    through ``update_customer``), and its GPS position. Raises InvalidInput
    naming ``latitude``/``longitude`` for half a position, one out of range
    or none at all."""
    latitude, longitude = (
        None if data.get(f) in (None, "") else coordinate(data[f], f)
        for f in ("latitude", "longitude")
    )
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        raise InvalidInput("is required with the other coordinate", field=missing)
    changes = {f: data[f] for f in ADDRESS_FIELDS if data.get(f) not in (None, "")}
    if latitude is not None:
        changes |= {"service_latitude": latitude, "service_longitude": longitude}
    if changes:
        customer = update_customer(customer=customer, actor=actor, **changes)
    if customer.service_latitude is None or customer.service_longitude is None:
        raise InvalidInput(
            "an installation needs the GPS position of the service address"
            " (give latitude and longitude, or set them on the customer)",
            field="latitude",
        )
    return customer.service_latitude, customer.service_longitude


def _site(customer: Customer, data: dict[str, Any], point: tuple[Any, Any]) -> Site | None:
    """The site named, else the nearest site covering the service point;
    None when the ISP keeps no sites. Raises NotFound (``site``) or
    InvalidInput (``latitude``: a point outside every coverage area)."""
    tenant = customer.tenant
    if data.get("site") not in (None, ""):
        return owned(tenant, Site, data["site"], "site")
    found = sites_covering(tenant, *point)
    if found:
        return found[0].site
    if Site.objects.for_tenant(tenant).exists():
        raise InvalidInput(
            f"the service point {point[0]}, {point[1]} is outside every site's coverage area"
            " (name the site to order anyway)",
            field="latitude",
        )
    return None


@integrity_conflicts()
@transaction.atomic
def order_for_customer(*, customer: Any, actor: Any = None, **data: Any) -> ServiceOrder:
    """A pending subscription of ``customer`` (a Customer of the tenant, or
    its id when ``tenant`` is implied by ``actor``) and its service order,
    the advance queued; nothing is written when any input is refused.

    Input (``ORDER_FIELDS``): ``plan`` and ``username`` required;
    ``password`` (generated when empty) and ``billing_day`` (1-31) as for a
    subscription; the service address (``service_address_line1``,
    ``service_city``, ``service_postal_code``) and its GPS position
    (``latitude`` -90..90, ``longitude`` -180..180, both or neither) update
    the customer's; ``site`` defaults to the nearest site covering the point;
    ``pool``, ``framed_ipv6_pool``, ``delegated_ipv6_pool``, ``cpe_serial``,
    ``technician``, ``appointment_at`` as for a lead's conversion;
    ``connection_type``, ``last_mile_technology`` and ``sector`` go on the
    subscription's installation record.

    Raises InvalidInput (a field's rule; ``latitude`` without a GPS position
    or outside every coverage area), NotFound (another ISP's customer, plan,
    pool, site, sector or technician), Conflict (a taken username).
    """
    inputs.unknown_fields(data, ORDER_FIELDS[1:])
    tenant = customer.tenant
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    inputs.required(data, ("plan", "username"))
    plan = owned(tenant, Plan, data["plan"], "plan")
    point = _service_point(customer, data, actor)
    site = _site(customer, data, point)
    options = {f: data[f] for f in INSTALLATION_OPTIONS if data.get(f) not in (None, "")}
    if "sector" in options:
        sector = owned(tenant, Sector, options["sector"], "sector")
        if site is not None and sector.site_id != site.pk:
            raise InvalidInput(f"sector '{sector}' is not on site '{site}'", field="sector")
        options["sector"] = sector
    subscription = create_subscription(
        tenant=tenant,
        actor=actor,
        customer=customer,
        plan=plan,
        start_date=clock.today(tenant),
        **{
            k: data[k]
            for k in ("username", "password", "billing_day")
            if data.get(k) not in (None, "")
        },
    )
    if options:
        subscription = update_installation(subscription=subscription, actor=actor, **options)

    order = orders.create_order(
        subscription=subscription,
        actor=actor,
        pool=optional_owned(tenant, IPPool, data.get("pool"), "pool"),
        framed_ipv6_pool=optional_owned(
            tenant, PrefixPool, data.get("framed_ipv6_pool"), "framed_ipv6_pool"
        ),
        delegated_ipv6_pool=optional_owned(
            tenant, PrefixPool, data.get("delegated_ipv6_pool"), "delegated_ipv6_pool"
        ),
        site=site,
        cpe_serial=data.get("cpe_serial", ""),
        technician=data.get("technician"),
        appointment_at=data.get("appointment_at"),
    )
    orders.queue_advance(order)
    return order
