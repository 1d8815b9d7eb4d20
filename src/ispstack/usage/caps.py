"""Data caps and fair use: alerts at 80 %, 95 % and 100 %, then the plan's policy.

A plan's ``data_cap_bytes`` is the volume of one billing cycle (the monthly
period on the subscription's billing day); top-ups add to it for the cycle
they were bought in. ``check_caps`` (after each usage rollup) emails the
subscriber (and texts a customer with a phone when SMS is configured) once
per cycle at 80 %, 95 % and 100 %, and at 100 % applies the
plan's ``cap_policy``:

- throttle: the plan's throttle rate (radreply now, CoA to the open session);
- block: logins refused with a Reply-Message, the open session disconnected;
- overage: nothing changes now; the excess is billed per GB after the cycle
  (``usage.overage``).

A top-up that brings usage back under the allowance, or the start of the
next cycle, lifts a throttle or a block the same way.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats
from django.utils.translation import gettext as _

from ispstack.billing.proration import add_charge
from ispstack.catalog.models import CapPolicy
from ispstack.core import audit, clock, inputs, outbox
from ispstack.core.errors import InvalidInput, InvalidTransition
from ispstack.core.models import Job, Tenant
from ispstack.core.money import ZERO, parse_amount
from ispstack.core.outbox import handler
from ispstack.notifications.language import in_language_of
from ispstack.notifications.services import render_text, send_email
from ispstack.notifications.sms import send_sms
from ispstack.radius.models import AccessBlock, RateOverride
from ispstack.radius.services import set_access_block, set_rate_override
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from ispstack.usage.models import DailyUsage, TopUp, TopUpOffer, UsageAlert
from ispstack.usage.selectors import GB, allowance, cycle_of, offers_for, usage_between

THRESHOLDS = (80, 95, 100)
FAIR_USE = "fair use: data cap reached"
CAP_BLOCK = "data cap reached: buy a top-up or wait for the next cycle"
BIGINT_MAX = 2**63 - 1  # the largest PostgreSQL bigint: ids, TopUp.extra_bytes
MAX_BYTES = BIGINT_MAX


def check_caps(*, tenant: Tenant, today: dt.date) -> dict[str, int]:
    """Alerts, throttles and un-throttles for ``today``; returns counts."""
    counts = {"alerts": 0, "throttled": 0, "released": 0}
    subs = list(
        Subscription.objects.for_tenant(tenant)
        .filter(status=SubscriptionStatus.ACTIVE, plan__data_cap_bytes__isnull=False)
        .select_related("plan", "customer", "tenant")
    )
    throttled = set(
        RateOverride.objects.filter(tenant=tenant, reason=FAIR_USE).values_list(
            "username", flat=True
        )
    ) | set(
        AccessBlock.objects.filter(tenant=tenant, reason=CAP_BLOCK).values_list(
            "username", flat=True
        )
    )
    cycles = {sub.pk: cycle_of(sub, today)[0] for sub in subs}
    if not cycles:
        return counts
    earliest = min(cycles.values())
    # Three queries for the whole tenant, whatever the number of subscribers.
    daily: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for sub_id, day, octets in DailyUsage.objects.filter(
        subscription_id__in=cycles, day__gte=earliest, day__lte=today
    ).values_list("subscription_id", "day", F("input_octets") + F("output_octets")):
        daily[sub_id].append((day, octets))
    extra: dict[tuple[int, dt.date], int] = defaultdict(int)
    for sub_id, cycle, volume in TopUp.objects.filter(
        subscription_id__in=cycles, cycle_start__gte=earliest
    ).values_list("subscription_id", "cycle_start", "extra_bytes"):
        extra[(sub_id, cycle)] += volume
    sent = set(
        UsageAlert.objects.filter(
            subscription_id__in=cycles, cycle_start__gte=earliest
        ).values_list("subscription_id", "cycle_start", "threshold")
    )
    for sub in subs:
        start = cycles[sub.pk]
        limit = int(sub.plan.data_cap_bytes or 0) + extra[(sub.pk, start)]
        used = sum(octets for day, octets in daily[sub.pk] if day >= start)
        percent = used * 100 // limit if limit else 0
        for threshold in THRESHOLDS:
            if (
                percent >= threshold
                and (sub.pk, start, threshold) not in sent
                and _alert(sub, start, threshold, used, limit)
            ):
                counts["alerts"] += 1
        restricts = sub.plan.cap_policy != CapPolicy.OVERAGE
        if percent >= 100 and restricts and sub.username not in throttled:
            _restrict(sub)
            counts["throttled"] += 1
        elif percent < 100 and sub.username in throttled:
            _release(sub)
            counts["released"] += 1
    return counts


@transaction.atomic
def _restrict(sub: Subscription) -> None:
    """Apply the plan's restricting cap policy (throttle or block) at 100 %."""
    if sub.plan.cap_policy == CapPolicy.BLOCK:
        set_access_block(subscription=sub, reason=CAP_BLOCK)
    else:
        set_rate_override(
            subscription=sub,
            upload_kbps=sub.plan.throttle_upload_kbps,
            download_kbps=sub.plan.throttle_download_kbps,
            reason=FAIR_USE,
        )


def enforce(tenant: Tenant) -> dict[str, int]:
    """After a usage rollup, on the tenant's today: ``check_caps`` and the
    overage of ended cycles; returns the counts plus ``"overage"`` charges."""
    from ispstack.usage.overage import bill_overage

    today = clock.today(tenant)
    counts = check_caps(tenant=tenant, today=today)
    counts["overage"] = bill_overage(tenant=tenant, today=today)
    return counts


@transaction.atomic
def _release(sub: Subscription) -> None:
    """Lift whatever the cap put on ``sub`` (a throttle or a block)."""
    if RateOverride.objects.filter(username=sub.username, reason=FAIR_USE).exists():
        set_rate_override(subscription=sub, upload_kbps=None, download_kbps=None)
    if AccessBlock.objects.filter(username=sub.username, reason=CAP_BLOCK).exists():
        set_access_block(subscription=sub, reason=None)


def _alert(sub: Subscription, cycle_start: dt.date, threshold: int, used: int, limit: int) -> bool:
    try:
        with transaction.atomic():
            UsageAlert.objects.create(
                tenant=sub.tenant,
                subscription=sub,
                cycle_start=cycle_start,
                threshold=threshold,
                used_bytes=used,
                allowance_bytes=limit,
            )
            payload = {
                "subscription_id": sub.pk,
                "threshold": threshold,
                "used": used,
                "allowance": limit,
            }
            outbox.enqueue(tenant=sub.tenant, kind="usage.cap_alert", payload=payload)
            if sub.customer.phone and settings.SMS_BACKEND:
                outbox.enqueue(tenant=sub.tenant, kind="usage.cap_alert_sms", payload=payload)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def buy_topup(
    *,
    subscription: Subscription,
    gigabytes: Any,
    price: Any = None,
    today: dt.date,
    actor: Any = None,
) -> TopUp:
    """Add volume to the current cycle; a price is charged on the next invoice.

    ``gigabytes`` is decimal GB (10^9 bytes), a Decimal, an int or a decimal
    string, more than zero and at most what ``TopUp.extra_bytes`` (a bigint) holds;
    ``price`` an amount in the customer's currency (None, empty or zero:
    free). Lifts a fair-use throttle at once when usage is back under the
    allowance. Raises InvalidInput naming ``gigabytes`` or ``price``,
    InvalidTransition when the plan has no data cap.
    """
    volume = inputs.decimal_number(gigabytes, "gigabytes")
    # Clamped before multiplying (1e999999 GB would overflow the decimal
    # context); the checks below still refuse what lies outside.
    extra = int(min(max(volume, ZERO), Decimal(MAX_BYTES)) * GB)
    if extra <= 0:
        raise InvalidInput("must be more than zero", field="gigabytes")
    if extra > MAX_BYTES:
        raise InvalidInput(f"must be at most {MAX_BYTES // GB} GB", field="gigabytes")
    _check_capped(subscription)
    fee = ZERO
    if price not in (None, ""):
        fee = parse_amount(price, subscription.customer.currency, field="price")
    return _add_volume(
        subscription,
        extra=extra,
        fee=fee,
        description=f"Data top-up {volume.normalize():f} GB",
        today=today,
        actor=actor,
    )


NO_CAP = "the plan has no data cap: top-ups add volume to a capped plan only"


def _check_capped(subscription: Subscription) -> None:
    if subscription.plan.data_cap_bytes is None:
        raise InvalidTransition(NO_CAP, field="plan")


def buy_offer(
    *,
    subscription: Subscription,
    offer: Any,
    today: dt.date,
    request_key: str = "",
    actor: Any = None,
) -> tuple[TopUp, bool]:
    """Buy the tenant's top-up offer ``offer`` (an id) for ``subscription``'s
    current cycle: the volume counts at once, the offer's price is a charge
    on the next invoice (``billing.proration.add_charge``, taxed at the
    plan's rate), and a throttle or block of the cap is lifted when usage is
    back under the allowance (radreply now, CoA to the open session).

    ``request_key`` (up to 64 printable ASCII characters; empty: none) names
    one purchase: the same key again returns the first top-up and buys
    nothing. Returns (top-up, True when bought now). Raises InvalidTransition
    (``plan``) for a plan without a data cap, (``subscription``) for a
    terminated service; InvalidInput (``offer``) for an id that is not an
    offer this subscription may buy, (``request_key``) for a malformed key,
    or the key used for another offer.
    """
    key = inputs.text(request_key, "request_key", max_length=64)
    if key and not (key.isascii() and key.isprintable()):
        raise InvalidInput("must be printable ASCII characters", field="request_key")
    offer_id = inputs.whole_number(offer, "offer") if offer not in (None, "") else None
    if offer_id is None:
        raise InvalidInput("is required: choose one of the offers", field="offer")
    with transaction.atomic():
        # The row lock serialises two submits of one form, so the second finds the first.
        sub = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("plan", "plan__tax_rate", "customer", "tenant")
            .get(pk=subscription.pk)
        )
        if key:
            earlier = TopUp.objects.filter(subscription=sub, request_key=key).first()
            if earlier is not None:
                if earlier.offer_id != offer_id:
                    raise InvalidInput(
                        "was used for another offer: use a new key", field="request_key"
                    )
                return earlier, False
        _check_capped(sub)
        if sub.status == SubscriptionStatus.TERMINATED:
            raise InvalidTransition("the service is terminated", field="subscription")
        chosen = offers_for(sub).filter(pk=offer_id).first() if 0 < offer_id <= BIGINT_MAX else None
        if chosen is None:
            raise InvalidInput("is not a top-up offered for this service", field="offer")
        topup = _add_volume(
            sub,
            extra=int(chosen.extra_bytes),
            fee=chosen.price,
            description=f"Data top-up {chosen.name}",
            today=today,
            actor=actor,
            offer=chosen,
            request_key=key,
        )
    return topup, True


def _add_volume(
    subscription: Subscription,
    *,
    extra: int,
    fee: Decimal,
    description: str,
    today: dt.date,
    actor: Any,
    offer: TopUpOffer | None = None,
    request_key: str = "",
) -> TopUp:
    """The one way volume is bought: the top-up row, its charge (when not
    free), the audit row, and the cap's restriction lifted when usage is
    back under the allowance."""
    start, _end = cycle_of(subscription, today)
    charge = None
    if fee > ZERO:
        charge = add_charge(
            subscription=subscription, amount=fee, charge_date=today, description=description
        )
    topup = TopUp.objects.create(
        tenant=subscription.tenant,
        subscription=subscription,
        cycle_start=start,
        extra_bytes=extra,
        offer=offer,
        charge=charge,
        request_key=request_key,
    )
    audit.record(
        tenant=subscription.tenant,
        actor=actor,
        action="usage.topup",
        obj=subscription,
        after={"bytes": extra, "offer": offer.pk if offer else None, "price": str(fee)},
    )
    used = usage_between(subscription, start, today)["total_octets"]
    if used < allowance(subscription, start):
        _release(subscription)
    return topup


def _amounts(job: Job) -> dict[str, Any]:
    """The alert's threshold and the GB used and allowed, with one decimal
    and the active language's decimal mark (``12.5``, in German ``12,5``)."""
    return {
        "threshold": job.payload["threshold"],
        "used": formats.localize(Decimal(f"{job.payload['used'] / GB:.1f}")),
        "limit": formats.localize(Decimal(f"{job.payload['allowance'] / GB:.1f}")),
    }


@handler("usage.cap_alert")
def cap_alert(job: Job) -> None:
    """Email a data-cap alert in the customer's language."""
    sub = Subscription.objects.select_related("customer", "tenant", "plan").get(
        pk=job.payload["subscription_id"]
    )
    threshold = job.payload["threshold"]
    with in_language_of(sub.customer_id):
        body = render_text(
            "usage/email/cap_alert.txt",
            {
                **_amounts(job),
                "customer": sub.customer,
                "tenant": sub.tenant,
                "policy": sub.plan.cap_policy,
                "price_per_gb": sub.plan.overage_price_per_gb,
                "currency": sub.customer.currency,
            },
        )
        subject = _("%(username)s: %(threshold)s %% of your data used") % {
            "username": sub.username,
            "threshold": threshold,
        }
    send_email(
        tenant=sub.tenant,
        to=sub.customer.email,
        subject=subject,
        body=body,
        reference=f"usage:{sub.pk}:{threshold}",
    )


@handler("usage.cap_alert_sms")
def cap_alert_sms(job: Job) -> None:
    """Text a data-cap alert to the customer's phone (it is emailed too), in
    the customer's language."""
    sub = Subscription.objects.select_related("customer", "tenant").get(
        pk=job.payload["subscription_id"]
    )
    with in_language_of(sub.customer_id):
        text = render_text(
            "usage/sms/cap_alert.txt",
            {**_amounts(job), "tenant": sub.tenant, "username": sub.username},
        )
    send_sms(
        tenant=sub.tenant,
        to=sub.customer.phone,
        text=text,
        reference=f"usage:{sub.pk}:{job.payload['threshold']}",
    )
