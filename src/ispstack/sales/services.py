"""Every write of sales: quotes, their lines, versions, sending, acceptance,
declining and expiry. Keyword arguments, one transaction each, typed errors
(``core.errors``) and an audit record of what changed.

A quote is edited only as a draft. Sending freezes it: a change afterwards
is a new version (``revise_quote``) that copies the lines and leaves the old
version as it was, marked ``revised`` so that its link no longer accepts.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F

from ispstack.catalog.models import AddOn, Bundle, Plan, Promotion
from ispstack.core import audit, clock, inputs, outbox
from ispstack.core.errors import InvalidInput, InvalidTransition, NotFound
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.models import Tenant
from ispstack.core.money import parse_amount
from ispstack.core.numbering import next_number
from ispstack.customers.models import Customer
from ispstack.provisioning.choices import LeadStatus
from ispstack.provisioning.models import Lead
from ispstack.provisioning.services import serviceable_survey
from ispstack.sales.contracts import terms as contract_terms
from ispstack.sales.models import LineKind, Quote, QuoteLine, QuoteStatus
from ispstack.sales.pricing import catalogue_item, one_time_amount, price, tax_summary

#: ``core.numbering`` format of quote numbers; a product default that reads
#: like the invoice numbers beside it (one counter per tenant and year).
NUMBER_FORMAT = "Q-{year}-{seq:05d}"
#: Days a new quote stays valid when no date is given: a product default,
#: the month a business customer commonly takes to sign.
DEFAULT_VALIDITY_DAYS = 30
SEND_JOB = "sales.send_quote"

QUOTE_FIELDS = (
    "customer",
    "lead",
    "prospect_name",
    "prospect_email",
    "country",
    "currency",
    "valid_until",
    "notes",
    "term_months",
    "contract_terms",
)
LINE_FIELDS = (
    "kind",
    "plan",
    "addon",
    "promotion",
    "bundle",
    "plan_line",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "spread_over_term",
)
# Any letter, digit, '.', '_' or '-' of a RADIUS username (subscriptions.USERNAME_RULE).


def _draft(quote: Quote) -> Quote:
    locked = Quote.objects.select_for_update().select_related("tenant").get(pk=quote.pk)
    if locked.status != QuoteStatus.DRAFT:
        raise InvalidTransition(
            f"the quote is {locked.get_status_display().lower()}: only a draft changes; "
            "revise it for a new version",
            field="status",
        )
    return locked


def _clean_quote(tenant: Tenant, data: dict[str, Any], current: Quote | None) -> dict[str, Any]:
    inputs.unknown_fields(data, QUOTE_FIELDS)
    clean: dict[str, Any] = {}
    for field, model in (("customer", Customer), ("lead", Lead)):
        if field in data:
            value = data[field]
            clean[field] = (
                None if value in (None, "") else inputs.owned(tenant, model, value, field)
            )
    if clean.get("lead") is not None and clean["lead"].status == LeadStatus.CONVERTED:
        raise InvalidInput("the lead is converted already: quote its customer", field="lead")
    for field, limit in (("prospect_name", 200), ("notes", inputs.TEXT_MAX_LENGTH)):
        if field in data:
            clean[field] = inputs.text(data[field], field, max_length=limit)
    if "prospect_email" in data:
        email = inputs.text(data["prospect_email"], "prospect_email", max_length=254).lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise InvalidInput(
                    f"'{email}' is not an email address", field="prospect_email"
                ) from None
        clean["prospect_email"] = email
    if "country" in data:
        country = inputs.text(data["country"], "country").upper()
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            raise InvalidInput("must be an ISO 3166-1 alpha-2 code", field="country")
        clean["country"] = country
    if data.get("currency") not in (None, ""):
        clean["currency"] = inputs.currency(data["currency"], "")
    if "valid_until" in data:
        clean["valid_until"] = inputs.day(data["valid_until"], "valid_until")
        if clean["valid_until"] < clock.today(tenant):
            raise InvalidInput("must not be in the past", field="valid_until")
    merged = {
        field: clean.get(field, getattr(current, field) if current else None)
        for field in ("customer", "lead", "prospect_name", "prospect_email")
    }
    recipients = [
        name
        for name, given in (
            ("customer", merged["customer"]),
            ("lead", merged["lead"]),
            ("prospect_name", merged["prospect_name"] or merged["prospect_email"]),
        )
        if given
    ]
    if len(recipients) != 1:
        raise InvalidInput(
            "give exactly one of a customer, a lead or a prospect's name and email",
            field="customer",
        )
    if recipients == ["prospect_name"]:
        if not merged["prospect_name"]:
            raise InvalidInput("is required for a prospect", field="prospect_name")
        if not merged["prospect_email"]:
            raise InvalidInput("is required for a prospect", field="prospect_email")
    customer = merged["customer"]
    if customer is not None:
        # The customer is invoiced in its own currency; a quote in another
        # could never be billed as quoted.
        if clean.get("currency", customer.currency) != customer.currency:
            raise InvalidInput(
                f"must be the customer's currency, {customer.currency}", field="currency"
            )
        clean["currency"] = customer.currency
    if data.get("term_months") not in (None, ""):
        clean["term_months"] = contract_terms.clean_terms(
            {"term_months": data["term_months"]}, clean.get("currency", tenant.currency)
        )["term_months"]
    elif "term_months" in data:
        clean["term_months"] = None
    if "contract_terms" in data:
        clean["contract_terms"] = _contract_terms(
            data["contract_terms"],
            clean.get("currency") or (current.currency if current else tenant.currency),
        )
    inputs.check_values(
        Quote,
        {
            k: v
            for k, v in clean.items()
            if k not in ("customer", "lead", "term_months", "contract_terms")
        },
    )
    return clean


#: What a quote's ``contract_terms`` may hold: the term itself and its start
#: come from the quote and the acceptance.
QUOTE_CONTRACT_TERMS = tuple(
    f for f in contract_terms.TERM_FIELDS if f not in ("term_months", "start_date")
)


def _contract_terms(value: Any, currency: str) -> dict[str, Any]:
    """The contract terms a quote carries, checked as a contract's would be
    and kept as JSON values. Raises InvalidInput naming
    ``contract_terms.<field>``."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("must be an object of contract terms", field="contract_terms")
    try:
        inputs.unknown_fields(value, QUOTE_CONTRACT_TERMS)
        clean = contract_terms.clean_terms(value, currency)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=f"contract_terms.{exc.field}") from None
    return {
        k: v if v is None or isinstance(v, bool | int | list | str) else str(v)
        for k, v in clean.items()
    }


@integrity_conflicts()
@transaction.atomic
def create_quote(*, tenant: Tenant, actor: Any = None, **data: Any) -> Quote:
    """A draft quote (``QUOTE_FIELDS``) numbered from the tenant's quote
    counter (``NUMBER_FORMAT``, ``core.numbering``), version 1.

    Exactly one recipient: ``customer``, ``lead`` or a prospect's
    ``prospect_name`` and ``prospect_email``. ``currency`` defaults to the
    customer's, else the tenant's; ``valid_until`` (a local date) to
    ``DEFAULT_VALIDITY_DAYS`` from today; ``country`` (the tax region of a
    lead or prospect) to the tenant's. Raises InvalidInput, NotFound.
    """
    clean = _clean_quote(tenant, dict(data), None)
    customer = clean.get("customer")
    clean.setdefault("currency", customer.currency if customer else tenant.currency)
    today = clock.today(tenant)
    clean.setdefault("valid_until", today + dt.timedelta(days=DEFAULT_VALIDITY_DAYS))
    quote = Quote(
        tenant=tenant,
        number=next_number(tenant, "quote", today.year, NUMBER_FORMAT),
        token=secrets.token_urlsafe(32),
        created_by=actor if getattr(actor, "pk", None) else None,
        priced_on=today,
        **clean,
    )
    quote.save()
    audit.record(
        tenant=tenant, actor=actor, action="quote.create", obj=quote, after=audit.snapshot(quote)
    )
    return quote


@transaction.atomic
def update_quote(*, quote: Quote, actor: Any = None, **data: Any) -> Quote:
    """Change a draft's fields (``QUOTE_FIELDS``); the lines are priced again.
    Raises InvalidInput, NotFound, InvalidTransition (not a draft)."""
    locked = _draft(quote)
    clean = _clean_quote(locked.tenant, dict(data), locked)
    before = audit.snapshot(locked)
    for field, value in clean.items():
        setattr(locked, field, value)
    locked.save()
    reprice(quote=locked)
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="quote.update",
        obj=locked,
        before=before,
        after=audit.snapshot(locked),
    )
    return locked


def reprice(*, quote: Quote) -> Quote:
    """Price every line of ``quote`` again (``sales.pricing``) as of today and
    store the amounts and totals. A bundle the lines qualify for gets a line
    of its own: the first invoice will apply it. Call inside the caller's
    transaction. Raises InvalidInput (a product priced in another currency)."""
    on = clock.today(quote.tenant)
    lines = list(_lines(quote))
    priced = price(quote, lines, on)
    if priced.bundles:
        for plan_line_id, bundle_ids in priced.bundles.items():
            for bundle in Bundle.objects.filter(pk__in=bundle_ids):
                QuoteLine.objects.create(
                    tenant_id=quote.tenant_id,
                    quote=quote,
                    kind=LineKind.BUNDLE,
                    bundle=bundle,
                    plan_line_id=plan_line_id,
                    description=bundle.name,
                    position=_next_position(quote),
                )
        lines = list(_lines(quote))
        priced = price(quote, lines, on)
    for line in lines:
        amounts = priced.lines.get(line.pk)
        line.net_amount = amounts.net if amounts else Decimal(0)
        line.tax_amount = amounts.tax if amounts else Decimal(0)
        rates = amounts.rates if amounts else set()
        line.tax_rate = next(iter(rates)) if len(rates) == 1 else None
    QuoteLine.objects.bulk_update(lines, ["net_amount", "tax_amount", "tax_rate"])
    quote.recurring_net = priced.recurring_net
    quote.recurring_tax = priced.recurring_tax
    quote.one_time_net = priced.one_time_net
    quote.one_time_tax = priced.one_time_tax
    quote.taxes = tax_summary(priced)
    quote.priced_on = on
    quote.save(
        update_fields=[
            "recurring_net",
            "recurring_tax",
            "one_time_net",
            "one_time_tax",
            "taxes",
            "priced_on",
            "updated_at",
        ]
    )
    return quote


def _lines(quote: Quote) -> Any:
    return QuoteLine.objects.filter(quote=quote).select_related(
        "plan__tax_rate", "addon__tax_rate", "promotion", "bundle"
    )


def _next_position(quote: Quote) -> int:
    last = QuoteLine.objects.filter(quote=quote).order_by("-position").first()
    return last.position + 1 if last else 0


def _plan_line(quote: Quote, value: Any) -> QuoteLine:
    plans = QuoteLine.objects.filter(quote=quote, kind=LineKind.PLAN)
    if value in (None, ""):
        only = list(plans[:2])
        if len(only) == 1:
            return only[0]
        raise InvalidInput(
            "name the plan line this goes on"
            if only
            else "add a plan first: add-ons, promotions, bundles and one-time items go on "
            "a plan's subscription",
            field="plan_line",
        )
    line = inputs.owned(quote.tenant, QuoteLine, value, "plan_line")
    if line.quote_id != quote.pk or line.kind != LineKind.PLAN:
        raise NotFound("no such plan line on this quote", field="plan_line")
    return line


@integrity_conflicts()
@transaction.atomic
def add_line(*, quote: Quote, actor: Any = None, **data: Any) -> QuoteLine:
    """Add a line (``LINE_FIELDS``) to a draft and price the quote again.

    ``kind`` "plan" (``plan``, one per subscription, quantity 1), "addon"
    (``addon``, whole ``quantity``), "promotion" (``promotion``), "bundle"
    (``bundle``: its add-ons missing from the plan line are added with it)
    or "one_time" (``description``, ``unit_price`` net of tax in the quote's
    currency, ``quantity``, ``discount_percent`` 0..100, ``spread_over_term``:
    an installation fee whose revenue the books spread over the contract's
    term, see ``QuoteLine``). All but plans go on
    ``plan_line`` (default: the quote's only plan line). Catalogue lines take
    the catalogue's name and price: recurring prices are the invoice's, and
    a discount on them is a promotion or bundle the invoice applies too.
    Raises InvalidInput, NotFound, InvalidTransition (not a draft).
    """
    locked = _draft(quote)
    inputs.unknown_fields(data, LINE_FIELDS)
    tenant = locked.tenant
    kind = inputs.text(data.get("kind"), "kind", required=True)
    if kind not in LineKind.values:
        raise InvalidInput(f"must be one of {', '.join(LineKind.values)}", field="kind")
    if (
        kind != LineKind.ONE_TIME
        and data.get("discount_percent") not in (None, "")
        and inputs.decimal_number(data["discount_percent"], "discount_percent") != 0
    ):
        raise InvalidInput(
            "only one-time items take a discount; recurring ones take a promotion",
            field="discount_percent",
        )
    spread = data.get("spread_over_term") not in (None, "") and inputs.flag(
        data["spread_over_term"], "spread_over_term"
    )
    if spread and kind != LineKind.ONE_TIME:
        raise InvalidInput(
            "only a one-time item is spread over the term; recurring ones are billed monthly",
            field="spread_over_term",
        )
    line = QuoteLine(
        tenant=tenant,
        quote=locked,
        kind=kind,
        position=_next_position(locked),
        spread_over_term=spread,
    )
    quantity = data.get("quantity")
    if kind == LineKind.PLAN:
        plan = inputs.owned(tenant, Plan, data.get("plan"), "plan")
        if not plan.is_active:
            raise InvalidInput(f"plan '{plan.code}' is not sold any more", field="plan")
        if quantity not in (None, "") and inputs.decimal_number(quantity, "quantity") != 1:
            raise InvalidInput("a plan line is one subscription: quantity 1", field="quantity")
        line.plan, line.description, line.unit_price = plan, plan.name, plan.monthly_price
    else:
        line.plan_line = _plan_line(locked, data.get("plan_line"))
    if kind == LineKind.ADDON:
        addon = inputs.owned(tenant, AddOn, data.get("addon"), "addon")
        if not addon.is_active:
            raise InvalidInput(f"add-on '{addon.code}' is not sold any more", field="addon")
        units = 1 if quantity in (None, "") else inputs.whole_number(quantity, "quantity")
        if units < 1:
            raise InvalidInput("must be a whole number of at least 1", field="quantity")
        line.addon, line.description = addon, addon.name
        line.quantity, line.unit_price = Decimal(units), addon.monthly_price
    elif kind == LineKind.PROMOTION:
        promotion = inputs.owned(tenant, Promotion, data.get("promotion"), "promotion")
        if not promotion.is_active:
            raise InvalidInput(f"promotion '{promotion.code}' has ended", field="promotion")
        line.promotion, line.description = promotion, promotion.name
    elif kind == LineKind.BUNDLE:
        bundle = inputs.owned(tenant, Bundle, data.get("bundle"), "bundle")
        if not bundle.is_active:
            raise InvalidInput(f"bundle '{bundle.code}' is not sold any more", field="bundle")
        line.bundle, line.description = bundle, bundle.name
        have = set(
            QuoteLine.objects.filter(plan_line=line.plan_line, kind=LineKind.ADDON).values_list(
                "addon_id", flat=True
            )
        )
        for addon in bundle.addons.filter(is_active=True).exclude(pk__in=have):
            QuoteLine.objects.create(
                tenant=tenant,
                quote=locked,
                kind=LineKind.ADDON,
                plan_line=line.plan_line,
                addon=addon,
                description=addon.name,
                unit_price=addon.monthly_price,
                position=_next_position(locked),
            )
        line.position = _next_position(locked)
    elif kind == LineKind.ONE_TIME:
        line.description = inputs.text(
            data.get("description"), "description", required=True, max_length=300
        )
        line.unit_price = parse_amount(
            data.get("unit_price"), locked.currency, field="unit_price", allow_zero=False
        )
        line.quantity = (
            Decimal(1) if quantity in (None, "") else inputs.decimal_number(quantity, "quantity")
        )
        if line.quantity <= 0:
            raise InvalidInput("must be more than 0", field="quantity")
        discount = data.get("discount_percent")
        line.discount_percent = (
            Decimal(0)
            if discount in (None, "")
            else inputs.decimal_number(discount, "discount_percent")
        )
        if not 0 <= line.discount_percent < 100:
            raise InvalidInput("must be at least 0 and below 100", field="discount_percent")
        inputs.check_values(
            QuoteLine, {"quantity": line.quantity, "discount_percent": line.discount_percent}
        )
        if one_time_amount(line, locked.currency) <= 0:
            raise InvalidInput("the discounted amount rounds to nothing", field="unit_price")
    line.save()
    reprice(quote=locked)
    line.refresh_from_db()
    audit.record(
        tenant=tenant,
        actor=actor,
        action="quote.add_line",
        obj=locked,
        after={"kind": line.kind, "description": line.description, "quantity": str(line.quantity)},
    )
    return line


@transaction.atomic
def remove_line(*, line: QuoteLine, actor: Any = None) -> Quote:
    """Remove a line of a draft (a plan line with what goes on it) and price
    the quote again. Raises InvalidTransition (not a draft)."""
    locked = _draft(line.quote)
    description = line.description
    QuoteLine.objects.filter(pk=line.pk, quote=locked).delete()
    reprice(quote=locked)
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="quote.remove_line",
        obj=locked,
        before={"description": description},
    )
    return locked


@integrity_conflicts()
@transaction.atomic
def revise_quote(*, quote: Quote, actor: Any = None) -> Quote:
    """A new draft version of ``quote`` with the same number, recipient and
    copies of its lines, priced as of today (plans and add-ons at the
    catalogue's monthly price now); the old version is kept as it
    was and, if it was sent, marked revised so its link no longer accepts.
    Only the latest version is revised, never a draft (it changes in place)
    nor an accepted one. Raises InvalidTransition."""
    old = Quote.objects.select_for_update().select_related("tenant").get(pk=quote.pk)
    if old.status == QuoteStatus.ACCEPTED:
        raise InvalidTransition("an accepted quote is not revised", field="status")
    if old.status == QuoteStatus.DRAFT:
        raise InvalidTransition("a draft changes in place; revise it once sent", field="status")
    if old.status == QuoteStatus.REVISED or Quote.objects.filter(revises=old).exists():
        raise InvalidTransition("only the latest version of a quote is revised", field="status")
    today = clock.today(old.tenant)
    new = Quote.objects.create(
        tenant=old.tenant,
        number=old.number,
        version=old.version + 1,
        revises=old,
        customer=old.customer,
        lead=old.lead,
        prospect_name=old.prospect_name,
        prospect_email=old.prospect_email,
        country=old.country,
        currency=old.currency,
        valid_until=max(old.valid_until, today + dt.timedelta(days=DEFAULT_VALIDITY_DAYS)),
        notes=old.notes,
        term_months=old.term_months,
        contract_terms=old.contract_terms,
        token=secrets.token_urlsafe(32),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    copies: dict[int, QuoteLine] = {}
    lines = QuoteLine.objects.filter(quote=old).select_related("plan", "addon")
    for line in lines.order_by(F("plan_line_id").asc(nulls_first=True), "position", "pk"):
        # Catalogue items at today's price: the revision is a new offer.
        product = catalogue_item(line)
        if product is not None:
            line.unit_price = product.monthly_price
        copy = QuoteLine.objects.create(
            tenant=old.tenant,
            quote=new,
            position=line.position,
            kind=line.kind,
            plan_line=copies[line.plan_line_id] if line.plan_line_id else None,
            plan=line.plan,
            addon=line.addon,
            promotion=line.promotion,
            bundle=line.bundle,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            spread_over_term=line.spread_over_term,
        )
        copies[line.pk] = copy
    if old.status == QuoteStatus.SENT:
        old.status = QuoteStatus.REVISED
        old.save(update_fields=["status", "updated_at"])
    reprice(quote=new)
    audit.record(
        tenant=old.tenant,
        actor=actor,
        action="quote.revise",
        obj=new,
        after={"number": new.number, "version": new.version},
    )
    return new


@transaction.atomic
def send_quote(*, quote: Quote, base_url: str, actor: Any = None) -> Quote:
    """Price a draft a last time, mark it sent and queue its email (the PDF
    and the accept link under ``base_url``, e.g. ``https://isp.example``) in
    the outbox. A quote for a lead needs the lead's completed serviceable
    survey first, so that an acceptance can always convert it, and one with
    an item spread over the term needs a term. Raises InvalidInput (no plan
    line, no recipient email, no term), InvalidTransition."""
    locked = _draft(quote)
    if not QuoteLine.objects.filter(quote=locked, kind=LineKind.PLAN).exists():
        raise InvalidInput("a quote needs at least one plan line", field="lines")
    if not locked.recipient_email:
        raise InvalidInput("the recipient has no email address", field="customer")
    if locked.lead_id and serviceable_survey(locked.lead) is None:  # type: ignore[arg-type]
        raise InvalidInput(
            "the lead needs a completed survey with outcome serviceable before a quote",
            field="lead",
        )
    if locked.valid_until < clock.today(locked.tenant):
        raise InvalidInput("must not be in the past", field="valid_until")
    if (
        not locked.term_months
        and QuoteLine.objects.filter(quote=locked, spread_over_term=True).exists()
    ):
        raise InvalidInput(
            "an item is spread over the contract term: give the quote a term, or don't spread it",
            field="term_months",
        )
    reprice(quote=locked)
    locked.status = QuoteStatus.SENT
    locked.sent_at = clock.now()
    locked.save(update_fields=["status", "sent_at", "updated_at"])
    outbox.enqueue(
        tenant=locked.tenant,
        kind=SEND_JOB,
        payload={"quote_id": locked.pk, "base_url": base_url.rstrip("/")},
    )
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="quote.send",
        obj=locked,
        after={"to": locked.recipient_email, "total": str(locked.total)},
    )
    return locked


@transaction.atomic
def resend_quote(*, quote: Quote, base_url: str, actor: Any = None) -> Quote:
    """Email a sent quote again, as it was sent (its PDF and accept link under
    ``base_url``), to the recipient's address today: the customer lost the
    email, or its address was corrected since. Prices and validity do not
    change; a quote past its validity is revised instead. Raises
    InvalidTransition (not sent, or expired), InvalidInput (no recipient
    email)."""
    locked = Quote.objects.select_for_update().select_related("tenant").get(pk=quote.pk)
    if locked.status != QuoteStatus.SENT:
        raise InvalidTransition(
            f"only a sent quote is sent again; this one is {locked.get_status_display().lower()}",
            field="status",
        )
    if locked.valid_until < clock.today(locked.tenant):
        raise InvalidTransition(
            f"the quote expired on {locked.valid_until:%Y-%m-%d}: revise it to send a new offer",
            field="status",
        )
    if not locked.recipient_email:
        raise InvalidInput("the recipient has no email address", field="customer")
    outbox.enqueue(
        tenant=locked.tenant,
        kind=SEND_JOB,
        payload={"quote_id": locked.pk, "base_url": base_url.rstrip("/")},
    )
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="quote.resend",
        obj=locked,
        after={"to": locked.recipient_email},
    )
    return locked


def expire_quotes(*, as_of: dt.date | None = None) -> int:
    """Mark sent quotes whose ``valid_until`` has passed (before ``as_of``,
    default each tenant's today) expired; returns how many. Idempotent: a
    second run finds none."""
    expired = 0
    tenant_ids = (
        Quote.objects.filter(status=QuoteStatus.SENT).values_list("tenant_id", flat=True).distinct()
    )
    for tenant in Tenant.objects.filter(pk__in=list(tenant_ids)):
        day = as_of or clock.today(tenant)
        with transaction.atomic():
            due = list(
                Quote.objects.select_for_update(skip_locked=True).filter(
                    tenant=tenant, status=QuoteStatus.SENT, valid_until__lt=day
                )
            )
            for quote in due:
                quote.status = QuoteStatus.EXPIRED
                audit.record(
                    tenant=tenant,
                    actor=None,
                    action="quote.expire",
                    obj=quote,
                    after={"valid_until": str(quote.valid_until)},
                )
            moment = clock.now()
            for quote in due:
                quote.updated_at = moment
            Quote.objects.bulk_update(due, ["status", "updated_at"])
            expired += len(due)
    return expired


@transaction.atomic
def delete_quote(*, quote: Quote, actor: Any = None) -> None:
    """Delete a draft that revises nothing (a first version never sent);
    a revision stays, as the history of its number. Raises InvalidTransition."""
    locked = _draft(quote)
    if locked.revises_id:
        raise InvalidTransition(
            "a revision is kept as the history of its quote; edit it instead", field="status"
        )
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="quote.delete",
        obj=locked,
        before=audit.snapshot(locked),
    )
    QuoteLine.objects.filter(quote=locked, plan_line__isnull=False).delete()
    QuoteLine.objects.filter(quote=locked).delete()
    locked.delete()
