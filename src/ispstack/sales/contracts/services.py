"""Every write of contracts: create, amend (a new version), link and release
subscriptions, activate, terminate early (the fee charged through billing),
renew and end. Keyword arguments, one transaction each, typed errors
(``core.errors``) naming the field, an audit record of what changed.

A contract's terms change only by amendment: each is a new version whose
``ContractVersion`` row keeps the terms, who changed them, when and why, so
every earlier version stays readable as it was.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from ispstack.billing.proration import add_charge
from ispstack.core import audit, clock, inputs
from ispstack.core.errors import InvalidInput, InvalidTransition, NotFound
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.models import Tenant
from ispstack.core.numbering import next_number
from ispstack.customers.models import Customer
from ispstack.sales.contracts import terms as t
from ispstack.sales.contracts.fees import termination_fee
from ispstack.sales.models import (
    Contract,
    ContractStatus,
    ContractSubscription,
    ContractVersion,
)
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from ispstack.subscriptions.services import terminate as terminate_subscription

#: ``core.numbering`` format of contract numbers: a product default that
#: reads like the quote numbers beside it (one counter per tenant and year).
NUMBER_FORMAT = "C-{year}-{seq:05d}"
CREATE_FIELDS = ("customer", "subscriptions", *t.TERM_FIELDS)
OPEN = (ContractStatus.DRAFT, ContractStatus.ACTIVE)


def _actor_fields(actor: Any) -> dict[str, Any]:
    user = actor if getattr(actor, "pk", None) else None
    label = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "system")
    return {"changed_by": user, "actor_label": str(label)[:150]}


def _record_version(contract: Contract, actor: Any, reason: str) -> ContractVersion:
    return ContractVersion.objects.create(
        tenant_id=contract.tenant_id,
        contract=contract,
        version=contract.version,
        terms=t.snapshot(contract),
        reason=reason,
        **_actor_fields(actor),
    )


def _locked(contract: Contract) -> Contract:
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("tenant", "customer")
        .get(pk=contract.pk)
    )


def _reason(value: Any, *, required: bool = True) -> str:
    return inputs.text(value, "reason", required=required, max_length=inputs.TEXT_MAX_LENGTH)


@integrity_conflicts()
@transaction.atomic
def create_contract(*, tenant: Tenant, actor: Any = None, **data: Any) -> Contract:
    """A draft contract of ``customer`` (``CREATE_FIELDS``; ``term_months``
    required, ``start_date`` a local date defaulting to today), numbered from
    the tenant's contract counter (``NUMBER_FORMAT``), version 1, in the
    customer's currency, with ``subscriptions`` (ids of the customer's) under
    it from its start date. Raises InvalidInput, NotFound, Conflict (a subscription under
    another open contract)."""
    inputs.unknown_fields(data, CREATE_FIELDS)
    customer = inputs.owned(tenant, Customer, data.get("customer"), "customer")
    clean = t.clean_terms(data, customer.currency)
    if "term_months" not in clean:
        raise InvalidInput("is required", field="term_months")
    today = clock.today(tenant)
    start = clean.pop("start_date", today)
    contract = Contract(
        tenant=tenant,
        customer=customer,
        currency=customer.currency,
        number=next_number(tenant, "contract", today.year, NUMBER_FORMAT),
        start_date=start,
        term_start=start,
        end_date=t.end_of_term(start, clean["term_months"]),
        created_by=actor if getattr(actor, "pk", None) else None,
        **clean,
    )
    t.check_consistent(contract)
    contract.save()
    _record_version(contract, actor, "created")
    for n, value in enumerate(_id_list(data.get("subscriptions"))):
        _link(contract, inputs.owned(tenant, Subscription, value, f"subscriptions[{n}]"), start)
    audit.record(
        tenant=tenant,
        actor=actor,
        action="contract.create",
        obj=contract,
        after=t.snapshot(contract),
    )
    return contract


def _id_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput("must be a list of subscription ids", field="subscriptions")
    return list(value)


@integrity_conflicts()
@transaction.atomic
def amend_contract(
    *, contract: Contract, reason: Any = "", actor: Any = None, **data: Any
) -> Contract:
    """Change the terms (``terms.TERM_FIELDS``) of a draft or active contract
    as a new version; the previous terms stay in their version row with
    ``reason`` (required), who and when. ``start_date`` changes only in a
    draft; a new ``term_months`` moves the end date from the current term's
    start. Raises InvalidInput, InvalidTransition (ended or terminated)."""
    inputs.unknown_fields(data, t.TERM_FIELDS)
    locked = _locked(contract)
    if locked.status not in OPEN:
        raise InvalidTransition(
            f"the contract is {locked.get_status_display().lower()}: its terms are final",
            field="status",
        )
    why = _reason(reason)
    clean = t.clean_terms(data, locked.currency)
    if "start_date" in clean and locked.status != ContractStatus.DRAFT:
        raise InvalidInput("the start of an active contract is history", field="start_date")
    before = t.snapshot(locked)
    for field, value in clean.items():
        setattr(locked, field, value)
    if "start_date" in clean:
        locked.term_start = locked.start_date
    locked.end_date = t.end_of_term(locked.term_start, locked.term_months)
    if locked.status == ContractStatus.ACTIVE and locked.end_date < clock.today(locked.tenant):
        raise InvalidInput(
            "the term would have ended already; end or renew the contract instead",
            field="term_months",
        )
    t.check_consistent(locked)
    after = t.snapshot(locked)
    if after == before:
        raise InvalidInput("the amendment changes nothing", field=next(iter(data), "reason"))
    locked.version += 1
    locked.save()
    _record_version(locked, actor, why)
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="contract.amend",
        obj=locked,
        before=before,
        after=after,
        reason=why,
    )
    return locked


def _link(contract: Contract, subscription: Subscription, on: dt.date) -> ContractSubscription:
    if subscription.customer_id != contract.customer_id:
        raise InvalidInput("the subscription belongs to another customer", field="subscription")
    if subscription.status == SubscriptionStatus.TERMINATED:
        raise InvalidInput("the subscription is terminated", field="subscription")
    return ContractSubscription.objects.create(
        tenant_id=contract.tenant_id, contract=contract, subscription=subscription, linked_on=on
    )


@integrity_conflicts()
@transaction.atomic
def link_subscription(
    *, contract: Contract, subscription: Any, actor: Any = None
) -> ContractSubscription:
    """Put a subscription of the contract's customer (the row or its id)
    under a draft or active contract from today. Raises NotFound,
    InvalidInput (another customer's, terminated), Conflict (under another
    open contract), InvalidTransition."""
    locked = _locked(contract)
    if locked.status not in OPEN:
        raise InvalidTransition("the contract is over", field="status")
    sub = inputs.owned(locked.tenant, Subscription, subscription, "subscription")
    link = _link(locked, sub, clock.today(locked.tenant))
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="contract.link",
        obj=locked,
        after={"subscription": sub.username},
    )
    return link


@transaction.atomic
def release_subscription(
    *, contract: Contract, subscription: Any, reason: Any, actor: Any = None
) -> ContractSubscription:
    """Take a subscription out of a draft or active contract from today,
    with ``reason`` (required); no fee: the commitment stays with the
    contract. An active contract keeps at least one subscription. Raises
    NotFound (not under it), InvalidInput, InvalidTransition."""
    locked = _locked(contract)
    if locked.status not in OPEN:
        raise InvalidTransition("the contract is over", field="status")
    why = _reason(reason)
    sub = inputs.owned(locked.tenant, Subscription, subscription, "subscription")
    links = ContractSubscription.objects.filter(contract=locked, released_on__isnull=True)
    link = links.filter(subscription=sub).first()
    if link is None:
        raise NotFound("the subscription is not under this contract", field="subscription")
    if locked.status == ContractStatus.ACTIVE and links.count() == 1:
        raise InvalidInput(
            "an active contract keeps one subscription; terminate the contract instead",
            field="subscription",
        )
    link.released_on = clock.today(locked.tenant)
    link.save(update_fields=["released_on", "updated_at"])
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="contract.release",
        obj=locked,
        before={"subscription": sub.username},
        reason=why,
    )
    return link


@transaction.atomic
def activate_contract(*, contract: Contract, signed_on: Any = None, actor: Any = None) -> Contract:
    """Put a signed draft in force: ``signed_on`` (a local date, default
    today) is recorded. It needs a subscription under it and a term not
    ended yet. Raises InvalidInput, InvalidTransition (not a draft)."""
    locked = _locked(contract)
    if locked.status != ContractStatus.DRAFT:
        raise InvalidTransition("only a draft is activated", field="status")
    today = clock.today(locked.tenant)
    signed = today if signed_on in (None, "") else inputs.day(signed_on, "signed_on")
    if not ContractSubscription.objects.filter(contract=locked, released_on__isnull=True).exists():
        raise InvalidInput("put a subscription under the contract first", field="subscriptions")
    if locked.end_date < today:
        raise InvalidInput("the term has ended already", field="start_date")
    locked.status = ContractStatus.ACTIVE
    locked.signed_on = signed
    locked.save(update_fields=["status", "signed_on", "updated_at"])
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="contract.activate",
        obj=locked,
        after={"signed_on": str(signed), "end_date": str(locked.end_date)},
    )
    return locked


def open_links(contract: Contract) -> list[ContractSubscription]:
    """The contract's current subscriptions, oldest link first."""
    return list(
        ContractSubscription.objects.filter(contract=contract, released_on__isnull=True)
        .select_related("subscription")
        .order_by("pk")
    )


def _close(contract: Contract, status: str, on: dt.date) -> None:
    contract.status = status
    contract.ended_on = on
    ContractSubscription.objects.filter(contract=contract, released_on__isnull=True).update(
        released_on=on
    )


def end_early(
    *,
    contract: Contract,
    on: dt.date,
    reason: str,
    charged: Subscription,
    actor: Any = None,
) -> Decimal:
    """Terminate a locked active ``contract`` on ``on`` (its last day): the
    fee (``fees.termination_fee``) becomes a one-time charge of ``charged``
    (``billing.proration.add_charge``) on its next invoice, the links are
    released. Call inside the caller's transaction; returns the fee."""
    fee = termination_fee(contract, on=on)
    if fee > 0:
        contract.termination_charge = add_charge(
            subscription=charged,
            description=f"Early termination fee, contract {contract.number}",
            amount=fee,
            charge_date=on,
            actor=actor,
        )
    contract.termination_reason = reason
    contract.termination_fee = fee
    _close(contract, ContractStatus.TERMINATED, on)
    contract.save()
    audit.record(
        tenant=contract.tenant,
        actor=actor,
        action="contract.terminate",
        obj=contract,
        after={"on": str(on), "fee": str(fee), "charged": charged.username},
        reason=reason,
    )
    return fee


@transaction.atomic
def terminate_contract(
    *, contract: Contract, reason: Any, on: Any = None, actor: Any = None
) -> Contract:
    """End an active contract before its end date: ``on`` (a local date,
    default today, not after the end date) is the last day of service of
    every subscription under it, each terminated through
    ``subscriptions.services.terminate``; the early termination fee is
    charged to the first of them. ``reason`` required. Raises InvalidInput,
    InvalidTransition (not active)."""
    locked = _locked(contract)
    if locked.status != ContractStatus.ACTIVE:
        raise InvalidTransition("only an active contract is terminated", field="status")
    why = _reason(reason)
    day = clock.today(locked.tenant) if on in (None, "") else inputs.day(on, "on")
    if day > locked.end_date:
        raise InvalidInput(
            f"the term ends on {locked.end_date:%Y-%m-%d}: end the contract then", field="on"
        )
    links = open_links(locked)
    if not links:
        raise InvalidInput("the contract has no subscription to charge", field="subscriptions")
    end_early(contract=locked, on=day, reason=why, charged=links[0].subscription, actor=actor)
    for link in links:
        if link.subscription.status != SubscriptionStatus.TERMINATED:
            # The contract is terminated first, so the subscriptions' own
            # termination hook finds no open contract and charges nothing twice.
            terminate_subscription(
                subscription=link.subscription,
                actor=actor,
                reason=f"contract {locked.number} terminated: {why}"[: inputs.TEXT_MAX_LENGTH],
                on=day,
            )
    return locked


@transaction.atomic
def renew_contract(
    *, contract: Contract, term_months: Any = None, reason: Any = "", actor: Any = None
) -> Contract:
    """Run an active contract on for a new term from the day after its end
    date: ``term_months`` (default ``renewal_term_months``). A new version
    with ``reason`` (default "renewal"). Raises InvalidInput,
    InvalidTransition (not active)."""
    locked = _locked(contract)
    if locked.status != ContractStatus.ACTIVE:
        raise InvalidTransition("only an active contract is renewed", field="status")
    months = (
        locked.renewal_term_months
        if term_months in (None, "")
        else t.clean_terms({"term_months": term_months}, locked.currency)["term_months"]
    )
    return _renew(locked, months, _reason(reason, required=False) or "renewal", actor)


def _renew(contract: Contract, months: int, reason: str, actor: Any) -> Contract:
    before = t.snapshot(contract)
    contract.term_start = contract.end_date + dt.timedelta(days=1)
    contract.term_months = months
    contract.end_date = t.end_of_term(contract.term_start, months)
    contract.version += 1
    contract.save()
    _record_version(contract, actor, reason)
    audit.record(
        tenant=contract.tenant,
        actor=actor,
        action="contract.renew",
        obj=contract,
        before=before,
        after=t.snapshot(contract),
        reason=reason,
    )
    return contract


def end_at_term(*, contract: Contract, actor: Any = None) -> Contract:
    """A locked active contract whose term ran out: renewed when it renews
    automatically (``renewal_term_months``), else ended on its end date (no
    fee; its subscriptions stay as they are, out of contract). Call inside
    the caller's transaction."""
    if contract.auto_renew:
        return _renew(contract, contract.renewal_term_months, "automatic renewal", actor)
    _close(contract, ContractStatus.ENDED, contract.end_date)
    contract.save()
    audit.record(
        tenant=contract.tenant,
        actor=actor,
        action="contract.end",
        obj=contract,
        after={"end_date": str(contract.end_date)},
    )
    return contract


@transaction.atomic
def delete_contract(*, contract: Contract, actor: Any = None) -> None:
    """Delete a draft never activated. Raises InvalidTransition."""
    locked = _locked(contract)
    if locked.status != ContractStatus.DRAFT:
        raise InvalidTransition("only a draft is deleted; terminate or end it", field="status")
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="contract.delete",
        obj=locked,
        before=t.snapshot(locked),
    )
    locked.delete()
