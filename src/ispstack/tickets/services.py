"""Writes of the helpdesk. Every function is one business operation, in one
transaction, audited, raising ``core.errors`` that name the field at fault."""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
from collections.abc import Sequence
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from ispstack.core import audit, clock, events, inputs
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from ispstack.core.models import Tenant
from ispstack.core.numbering import next_number
from ispstack.customers.models import Customer
from ispstack.subscriptions.models import Subscription
from ispstack.tickets import attachments as files
from ispstack.tickets.choices import (
    OPEN_STATES,
    AssignmentMode,
    MessageKind,
    Priority,
    TicketSource,
    TicketState,
    TicketType,
)
from ispstack.tickets.events import TicketMessageAdded, TicketOpened, TicketStateChanged
from ispstack.tickets.models import (
    Attachment,
    CannedResponse,
    SlaPolicy,
    Team,
    TeamMember,
    Ticket,
    TicketMessage,
    TicketRouting,
)
from ispstack.tickets.models.settings import format_ticket_number
from ispstack.tickets.models.sla import DEFAULT_TARGETS, MAX_TARGET_MINUTES
from ispstack.tickets.outages import grouping
from ispstack.tickets.outages import selectors as selectors_outages
from ispstack.tickets.selectors import calendar_for, settings_for, targets_for
from ispstack.tickets.sla import BusinessCalendar, add_business_minutes, business_minutes_between

AUDITED_FIELDS = [
    "subject",
    "ticket_type",
    "priority",
    "state",
    "customer",
    "subscription",
    "team",
    "assignee",
    "service_address",
    "sla_due_at",
    "sla_breached",
    "outage",
]

# Counters never repeat a number; a few tries step over numbers drawn at
# random by earlier versions on the day the counters start.
_NUMBER_TRIES = 20


def _choice(value: Any, choices: type[Any], field: str) -> str:
    text = inputs.text(value, field, required=True, max_length=40)
    if text not in choices.values:
        allowed = ", ".join(choices.values)
        raise InvalidInput(f"'{text[:40]}' is not one of {allowed}", field=field)
    return text


def _labels(value: Any, field: str) -> list[str]:
    """A short list of short labels (serials, service names)."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput("must be a list of strings", field=field)
    if len(value) > 100:
        raise InvalidInput("has at most 100 entries", field=field)
    return [inputs.text(v, field, required=True, max_length=100) for v in value]


def _email(value: Any, field: str) -> str:
    address = inputs.text(value, field, max_length=254)
    if address:
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidInput(f"'{address[:80]}' is not an email address", field=field) from None
    return address


def _staff(tenant: Tenant, user: Any, field: str) -> Any:
    """``user`` (a User row or id) when it is a staff user of ``tenant``."""
    if user is None:
        return None
    User = get_user_model()
    if not isinstance(user, User):
        user_id = inputs.whole_number(user, field)
        user = User.objects.filter(pk=user_id, tenant=tenant, is_active=True).first()
        if user is None:
            raise NotFound("no such staff user", field=field)
    elif user.tenant_id != tenant.pk:
        raise NotFound("no such staff user", field=field)
    return user


def _customer(tenant: Tenant, customer: Any) -> Customer | None:
    if customer is None:
        return None
    if not isinstance(customer, Customer):
        pk = inputs.whole_number(customer, "customer")
        customer = Customer.objects.filter(pk=pk, tenant=tenant).first()
    if customer is None or customer.tenant_id != tenant.pk:
        raise NotFound("no such customer", field="customer")
    return customer


def _subscription(
    tenant: Tenant, subscription: Any, customer: Customer | None
) -> Subscription | None:
    if subscription is None:
        return None
    if not isinstance(subscription, Subscription):
        pk = inputs.whole_number(subscription, "subscription")
        subscription = Subscription.objects.filter(pk=pk, tenant=tenant).first()
    if subscription is None or subscription.tenant_id != tenant.pk:
        raise NotFound("no such subscription", field="subscription")
    if customer is not None and subscription.customer_id != customer.pk:
        raise InvalidInput("belongs to another customer", field="subscription")
    return subscription


def _team(tenant: Tenant, team: Any) -> Team | None:
    if team is None:
        return None
    if not isinstance(team, Team):
        pk = inputs.whole_number(team, "team")
        team = Team.objects.filter(pk=pk, tenant=tenant).first()
    if team is None or team.tenant_id != tenant.pk:
        raise NotFound("no such team", field="team")
    return team


def service_address_of(customer: Customer) -> str:
    """The customer's service address on one line."""
    parts = [
        customer.service_address_line1,
        customer.service_address_line2,
        " ".join(p for p in (customer.service_postal_code, customer.service_city) if p),
        customer.service_country,
    ]
    return ", ".join(p for p in parts if p)[:400]


# The number of distinct four-hex-digit tokens, so of tickets a day with
# the {rand4hex} format.
DAY_TOKENS = 0x10000


def day_token(tenant_id: int, day: Any, n: int) -> str:
    """The ``n``-th (1-based) ticket's four hex digits on ``day``: a keyed
    permutation of 0..65535 (a four-round Feistel network over two bytes,
    rounds keyed with HMAC-SHA256 of the SECRET_KEY), so distinct ``n``
    give distinct tokens on a day and the tokens do not reveal how many
    tickets a tenant opens. Raises ValueError for ``n`` outside 1..65536."""
    if not 1 <= n <= DAY_TOKENS:
        raise ValueError(f"token {n} is outside 1..{DAY_TOKENS}")
    key = django_settings.SECRET_KEY.encode()
    left, right = (n - 1) >> 8, (n - 1) & 0xFF
    for round_ in range(4):
        message = f"ticket-token:{tenant_id}:{day}:{round_}:{right}".encode()
        left, right = right, left ^ hmac.new(key, message, hashlib.sha256).digest()[0]
    return f"{(left << 8) | right:04X}"


def _new_number(tenant: Tenant) -> str:
    """The next ticket number of ``tenant`` from one locked counter row per
    day (``{rand4hex}``, ``day_token``) and/or per year (``{seq}``), as
    invoice numbers are taken (``core.numbering``): no lookup, no retry,
    two openers at once wait for each other's counter. Must run in the
    transaction that saves the ticket.

    Raises Conflict naming ``number_format`` on the 65537th ticket of a day
    with a format without ``{seq}``."""
    fmt = settings_for(tenant).number_format
    day = clock.today(tenant)
    seq = int(next_number(tenant, "ticket", day.year, "{seq}")) if "{seq" in fmt else 0
    token = "0000"
    if "{rand4hex" in fmt:
        n = int(next_number(tenant, f"ticket-day-{day:%m%d}", day.year, "{seq}"))
        if n > DAY_TOKENS:
            raise Conflict(
                f"this format allows {DAY_TOKENS} tickets a day: add {{seq}}",
                field="number_format",
            )
        token = day_token(tenant.pk, day, n)
    return format_ticket_number(fmt, day=day, seq=seq, token=token)


def stamp_sla(ticket: Ticket, calendar: BusinessCalendar | None = None) -> None:
    """Set the ticket's SLA due times (not saved) from its priority's targets,
    counted in business minutes from its opening plus the business minutes it
    spent paused (``sla_paused_minutes``), in ``calendar`` (the tenant's,
    ``calendar_for``, built here when the caller has none yet); the warnings
    come at the policy's ``warn_percent`` of each target. A ticket grouped
    under an open outage has no due times: the outage is what is worked, and
    it resolves the ticket (reopened after the outage, the ticket is worked on
    its own)."""
    if ticket.outage_id is not None and ticket.outage.is_open:  # type: ignore[union-attr]
        ticket.first_response_due_at = ticket.sla_due_at = None
        ticket.sla_warn_at = ticket.first_response_warn_at = None
        return
    tenant = ticket.tenant
    first, resolution, warn_percent = targets_for(tenant, ticket.priority)
    calendar = calendar or calendar_for(tenant)
    opened = ticket.created_at or clock.now()
    paused = ticket.sla_paused_minutes
    ticket.first_response_due_at = add_business_minutes(opened, first + paused, calendar)
    ticket.sla_due_at = add_business_minutes(opened, resolution + paused, calendar)
    warn = math.ceil(resolution * warn_percent / 100)
    ticket.sla_warn_at = add_business_minutes(opened, warn + paused, calendar)
    first_warn = math.ceil(first * warn_percent / 100)
    ticket.first_response_warn_at = add_business_minutes(opened, first_warn + paused, calendar)


def pick_assignee(team: Team) -> Any:
    """The member of ``team`` who gets its next ticket (None when the team
    assigns manually or has no active member): the member after the last one
    served, by user id, for round robin; the member with the fewest open
    tickets (ties: lowest user id) for least loaded. Locks the team row so
    two tickets opened at once go to different members."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    if team.assignment_mode == AssignmentMode.MANUAL:
        return None
    members = TeamMember.objects.filter(team=team, active=True, user__is_active=True)
    if team.assignment_mode == AssignmentMode.LEAST_LOADED:
        open_load = (
            Ticket.objects.filter(
                tenant=team.tenant_id, assignee=OuterRef("user_id"), state__in=OPEN_STATES
            )
            .values("assignee")
            .annotate(n=Count("id"))
            .values("n")
        )
        member = (
            members.annotate(load=Coalesce(Subquery(open_load), 0))
            .order_by("load", "user_id")
            .select_related("user")
            .first()
        )
        return member.user if member else None
    user_ids = list(members.order_by("user_id").values_list("user_id", flat=True))
    if not user_ids:
        return None
    after = [uid for uid in user_ids if team.last_assigned_id and uid > team.last_assigned_id]
    chosen = after[0] if after else user_ids[0]
    team.last_assigned_id = chosen
    team.save(update_fields=["last_assigned", "updated_at"])
    return get_user_model().objects.get(pk=chosen)


@transaction.atomic
def open_ticket(
    *,
    tenant: Tenant,
    subject: Any,
    ticket_type: Any = TicketType.GENERAL_INQUIRY,
    priority: Any = Priority.NORMAL,
    description: Any = "",
    source: Any = TicketSource.CONSOLE,
    customer: Any = None,
    subscription: Any = None,
    contact_email: Any = "",
    service_address: Any = None,
    affected_services: Any = None,
    device_serials: Any = None,
    team: Any = None,
    assignee: Any = None,
    follow_up_of: Ticket | None = None,
    actor: Any = None,
) -> Ticket:
    """Open a ticket, number it, stamp its SLA due times and hand it to the
    team owning its type (``TicketRouting``; or ``team``) and a member of it
    (``assignee``, or the team's automatic assignment). Audited as
    ``ticket.open``; publishes ``TicketOpened``.

    ``customer``, ``subscription``, ``team``, ``assignee``: rows or ids of the
    tenant. ``service_address`` defaults to the customer's. ``actor`` is the
    staff user opening it (None for the customer or the system).

    A fault report (``outages.grouping.GROUPED_TYPES``) from a customer hit
    by an active outage is grouped under it (``ticket.outage``): no SLA due
    times, no automatic assignee, an acknowledgement email naming the outage
    (see ``tickets.outages.services``).

    Raises InvalidInput naming the field (subject missing or over 200
    characters, unknown type, priority or source, a subscription of another
    customer, a malformed email), NotFound naming the field for an id not of
    this tenant.
    """
    clean_subject = inputs.text(subject, "subject", required=True, max_length=200)
    clean_description = inputs.text(description, "description", max_length=inputs.TEXT_MAX_LENGTH)
    clean_type = _choice(ticket_type, TicketType, "ticket_type")
    clean_priority = _choice(priority, Priority, "priority")
    clean_source = _choice(source, TicketSource, "source")
    the_customer = _customer(tenant, customer)
    the_subscription = _subscription(tenant, subscription, the_customer)
    if the_customer is None and the_subscription is not None:
        the_customer = the_subscription.customer
    email = _email(contact_email, "contact_email")
    address = inputs.text(service_address, "service_address", max_length=400)
    if service_address is None and the_customer is not None:
        address = service_address_of(the_customer)
    services_hit = _labels(affected_services, "affected_services")
    serials = _labels(device_serials, "device_serials")
    the_team = _team(tenant, team)
    if the_team is None:
        route = TicketRouting.objects.filter(tenant=tenant, ticket_type=clean_type).first()
        the_team = route.team if route else None
    the_assignee = _staff(tenant, assignee, "assignee")
    outage = None
    if clean_type in grouping.GROUPED_TYPES and the_customer is not None:
        outage = selectors_outages.active_outage_for(
            tenant,
            customer_id=the_customer.pk,
            subscription_id=the_subscription.pk if the_subscription else None,
        )
    # A report grouped under an outage is worked through the outage: it
    # takes no one from the team's rotation.
    if the_assignee is None and the_team is not None and outage is None:
        the_assignee = pick_assignee(the_team)

    ticket = Ticket(
        tenant=tenant,
        subject=clean_subject,
        description=clean_description,
        ticket_type=clean_type,
        priority=clean_priority,
        source=clean_source,
        customer=the_customer,
        subscription=the_subscription,
        contact_email=email,
        service_address=address,
        affected_services=services_hit,
        device_serials=serials,
        team=the_team,
        assignee=the_assignee,
        opened_by=actor if getattr(actor, "pk", None) else None,
        follow_up_of=follow_up_of,
        outage=outage,
        created_at=clock.now(),
    )
    stamp_sla(ticket)
    for attempt in range(_NUMBER_TRIES):
        ticket.number = _new_number(tenant)
        try:
            with transaction.atomic():
                ticket.save()
            break
        except IntegrityError:
            # Only a number drawn at random before the counters (the day
            # they were introduced) can be taken: the next one is free.
            if attempt == _NUMBER_TRIES - 1:
                raise
    audit.record(
        tenant=tenant,
        actor=actor,
        action="ticket.open",
        obj=ticket,
        after=audit.snapshot(ticket, AUDITED_FIELDS),
    )
    if outage is not None and settings_for(tenant).send_acknowledgements:
        grouping.acknowledge(ticket)
    events.publish(TicketOpened(tenant_id=tenant.pk, ticket_id=ticket.pk))
    return ticket


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("tenant").get(pk=ticket.pk)


def _resume_clock(ticket: Ticket, now: Any, calendar: BusinessCalendar) -> None:
    """Count the pause that ends now (waiting, or resolved until a reopen)
    and move the due times later by it."""
    since = ticket.paused_at or ticket.resolved_at
    if since is not None:
        ticket.sla_paused_minutes += business_minutes_between(since, now, calendar)
    ticket.paused_at = None
    stamp_sla(ticket, calendar)


def _apply_state(ticket: Ticket, target: str, now: Any) -> None:
    """Move ``ticket`` (locked) to ``target`` with its SLA bookkeeping.

    Raises InvalidTransition naming ``state``."""
    current = ticket.state
    # Built at most once per change, and only by the moves that count time.
    calendar = functools.cache(functools.partial(calendar_for, ticket.tenant))
    reopen_days = settings_for(ticket.tenant).reopen_days
    try:
        if target == TicketState.IN_PROGRESS and current in (
            TicketState.RESOLVED,
            TicketState.CLOSED,
        ):
            if not can_reopen(ticket, now=now, reopen_days=reopen_days):
                raise InvalidTransition(
                    f"resolved more than {reopen_days} days ago: open a follow-up ticket instead",
                    field="state",
                )
            ticket.reopen()
            _resume_clock(ticket, now, calendar())
            ticket.resolved_at = None
            ticket.closed_at = None
            ticket.resolution_time_minutes = None
        elif target == TicketState.IN_PROGRESS:
            ticket.start()
            if current == TicketState.WAITING_ON_CUSTOMER:
                _resume_clock(ticket, now, calendar())
        elif target == TicketState.WAITING_ON_CUSTOMER:
            ticket.wait()
            ticket.paused_at = now
        elif target == TicketState.RESOLVED:
            ticket.resolve()
            if current == TicketState.WAITING_ON_CUSTOMER:
                _resume_clock(ticket, now, calendar())
            ticket.resolved_at = now
            worked = business_minutes_between(ticket.created_at, now, calendar())
            ticket.resolution_time_minutes = max(0, worked - ticket.sla_paused_minutes)
        elif target == TicketState.CLOSED:
            ticket.close()
            ticket.closed_at = now
        else:
            raise InvalidTransition(f"cannot move a ticket back to {target}", field="state")
    except InvalidTransition:
        raise
    except Exception as exc:  # django_fsm.TransitionNotAllowed
        if type(exc).__name__ != "TransitionNotAllowed":
            raise
        raise InvalidTransition(
            f"a {current.replace('_', ' ')} ticket cannot become {target.replace('_', ' ')}",
            field="state",
        ) from None


def can_reopen(ticket: Ticket, *, now: Any = None, reopen_days: int | None = None) -> bool:
    """Whether a resolved or closed ``ticket`` is still within the tenant's
    reopen window (``TicketSettings.reopen_days`` after it was resolved)."""
    if ticket.resolved_at is None:
        return ticket.is_open
    days = settings_for(ticket.tenant).reopen_days if reopen_days is None else reopen_days
    moment = now or clock.now()
    return bool((moment - ticket.resolved_at).total_seconds() <= days * 86400)


@transaction.atomic
def change_state(*, ticket: Ticket, state: Any, actor: Any = None, reason: Any = "") -> Ticket:
    """Move ``ticket`` to ``state`` (a ``TicketState`` value):

    - ``in_progress`` starts work, resumes after waiting on the customer, or
      reopens a resolved or closed ticket within the reopen window;
    - ``waiting_on_customer`` pauses the SLA clock until the ticket moves on;
    - ``resolved`` stores ``resolution_time_minutes`` (business minutes,
      pauses excluded);
    - ``closed`` from resolved only.

    The same state again changes nothing. Audited as ``ticket.state``;
    publishes ``TicketStateChanged``. Returns the updated ticket.

    Raises InvalidInput (unknown state), InvalidTransition naming ``state``
    (a move the lifecycle does not allow, a reopen after the window).
    """
    target = _choice(state, TicketState, "state")
    why = inputs.text(reason, "reason", max_length=1000)
    locked = _lock(ticket)
    if locked.state == target:
        return locked
    before = audit.snapshot(locked, AUDITED_FIELDS)
    previous = locked.state
    _apply_state(locked, target, clock.now())
    locked.save()
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="ticket.state",
        obj=locked,
        before=before,
        after=audit.snapshot(locked, AUDITED_FIELDS),
        reason=why,
    )
    events.publish(
        TicketStateChanged(
            tenant_id=locked.tenant_id, ticket_id=locked.pk, previous_state=previous, state=target
        )
    )
    return locked


def _follow_up(ticket: Ticket, body: str) -> Ticket:
    return open_ticket(
        tenant=ticket.tenant,
        subject=ticket.subject,
        ticket_type=ticket.ticket_type,
        priority=ticket.priority,
        description=body,
        source=ticket.source,
        customer=ticket.customer,
        subscription=ticket.subscription,
        contact_email=ticket.contact_email,
        service_address=ticket.service_address,
        affected_services=ticket.affected_services,
        device_serials=ticket.device_serials,
        follow_up_of=ticket,
    )


@transaction.atomic
def add_message(
    *,
    ticket: Ticket,
    body: Any,
    kind: Any = MessageKind.REPLY,
    actor: Any = None,
    author_email: Any = "",
    attachments: Sequence[Any] = (),
) -> TicketMessage:
    """Add a public reply or an internal note to ``ticket``.

    From staff (``actor`` a staff user of the tenant): a first public reply
    stores ``first_response_at`` and starts work on a new ticket. From the
    customer (no ``actor``; ``author_email`` defaults to the customer's
    address; replies only): an answer to a ticket waiting on the customer
    resumes it; a reply to a resolved or closed ticket reopens it within the
    reopen window and otherwise goes to a new follow-up ticket (the returned
    message's ``ticket``). ``attachments``: uploaded files, checked as by
    ``add_attachment``. Audited as ``ticket.message``; publishes
    ``TicketMessageAdded``.

    Raises InvalidInput naming ``body`` (empty, too long), ``kind``
    (unknown, or a note from a customer), ``author_email`` or ``file``;
    InvalidTransition for a staff reply to a closed ticket.
    """
    clean_body = inputs.text(body, "body", required=True, max_length=inputs.TEXT_MAX_LENGTH)
    clean_kind = _choice(kind, MessageKind, "kind")
    locked = _lock(ticket)
    tenant = locked.tenant
    staff = _staff(tenant, actor, "author") if getattr(actor, "pk", None) else None
    email = _email(author_email, "author_email")
    now = clock.now()
    if staff is None:
        if clean_kind != MessageKind.REPLY:
            raise InvalidInput("a customer can only reply, not add notes", field="kind")
        if not email and locked.customer_id:
            email = locked.customer.email  # type: ignore[union-attr]
        if locked.state in (TicketState.RESOLVED, TicketState.CLOSED):
            if can_reopen(locked, now=now):
                change_state(ticket=locked, state=TicketState.IN_PROGRESS, reason="customer reply")
                locked.refresh_from_db()
            else:
                locked = _follow_up(locked, clean_body)
        elif locked.state == TicketState.WAITING_ON_CUSTOMER:
            change_state(ticket=locked, state=TicketState.IN_PROGRESS, reason="customer reply")
            locked.refresh_from_db()
    else:
        if locked.state == TicketState.CLOSED and clean_kind == MessageKind.REPLY:
            raise InvalidTransition(
                "the ticket is closed: reopen it or open a follow-up", field="state"
            )
        if clean_kind == MessageKind.REPLY:
            changed = []
            if locked.first_response_at is None:
                locked.first_response_at = now
                changed.append("first_response_at")
            if locked.state == TicketState.NEW:
                locked.start()
                changed.append("state")
            if changed:
                locked.save(update_fields=[*changed, "updated_at"])
    message = TicketMessage.objects.create(
        tenant=tenant,
        ticket=locked,
        kind=clean_kind,
        body=clean_body,
        author=staff,
        author_email="" if staff else email,
    )
    for upload in attachments:
        add_attachment(ticket=locked, upload=upload, message=message, actor=staff)
    audit.record(
        tenant=tenant,
        actor=staff,
        action="ticket.message",
        obj=locked,
        after={"message": message.pk, "kind": clean_kind, "author": message.author_label},
    )
    events.publish(
        TicketMessageAdded(
            tenant_id=tenant.pk,
            ticket_id=locked.pk,
            message_id=message.pk,
            kind=clean_kind,
            from_staff=staff is not None,
        )
    )
    return message


@transaction.atomic
def add_automatic_note(*, ticket: Ticket, body: Any, author_email: Any = "") -> TicketMessage:
    """Store a mail a machine sent on ``ticket`` (an out-of-office reply, a
    bounce: ``mail.parsing.automatic_reason``) as an internal note from
    ``author_email``: staff see it, the customer does not, and it changes
    nothing else (a resolved ticket stays resolved, a ticket waiting on the
    customer keeps waiting: an absence notice is not an answer). Audited as
    ``ticket.message``; publishes ``TicketMessageAdded`` (a note: nothing is
    emailed).

    Raises InvalidInput naming ``body`` (empty, too long) or ``author_email``.
    """
    clean_body = inputs.text(body, "body", required=True, max_length=inputs.TEXT_MAX_LENGTH)
    email = _email(author_email, "author_email")
    locked = _lock(ticket)
    message = TicketMessage.objects.create(
        tenant=locked.tenant,
        ticket=locked,
        kind=MessageKind.NOTE,
        body=clean_body,
        author_email=email,
    )
    audit.record(
        tenant=locked.tenant,
        actor=None,
        action="ticket.message",
        obj=locked,
        after={"message": message.pk, "kind": MessageKind.NOTE, "author": message.author_label},
    )
    events.publish(
        TicketMessageAdded(
            tenant_id=locked.tenant_id,
            ticket_id=locked.pk,
            message_id=message.pk,
            kind=MessageKind.NOTE,
            from_staff=False,
        )
    )
    return message


@transaction.atomic
def add_attachment(
    *, ticket: Ticket, upload: Any, message: TicketMessage | None = None, actor: Any = None
) -> Attachment:
    """Store ``upload`` (a Django ``UploadedFile`` or any ``File`` with a
    name) on ``ticket`` under MEDIA_ROOT. Its size must not exceed the
    tenant's ``max_attachment_bytes`` and its type, as read from the content
    (``attachments.sniff``), must be one of the tenant's
    ``attachment_types``. Audited as ``ticket.attachment``.

    Raises InvalidInput naming ``file`` (too big, empty, type not allowed).
    """
    conf = settings_for(ticket.tenant)
    name, size, content_type = files.check(
        upload, max_bytes=conf.max_attachment_bytes, allowed=conf.attachment_types
    )
    attachment = Attachment(
        tenant=ticket.tenant,
        ticket=ticket,
        message=message,
        filename=name,
        content_type=content_type,
        size=size,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    audit.record(
        tenant=ticket.tenant,
        actor=actor,
        action="ticket.attachment",
        obj=ticket,
        after={"attachment": attachment.pk, "filename": name, "size": size, "type": content_type},
    )
    return attachment


UPDATE_FIELDS = (
    "subject",
    "description",
    "ticket_type",
    "priority",
    "customer",
    "subscription",
    "contact_email",
    "service_address",
    "affected_services",
    "device_serials",
)


@transaction.atomic
def update_ticket(*, ticket: Ticket, actor: Any = None, **changes: Any) -> Ticket:
    """Change a ticket's details (``UPDATE_FIELDS``). A new priority re-stamps
    the SLA due times from the ticket's opening with the new targets; a new
    type moves an unassigned ticket to the team owning that type. Audited as
    ``ticket.update``.

    Raises InvalidInput naming the field (unknown field, bad value), NotFound
    for a customer or subscription not of the tenant.
    """
    inputs.unknown_fields(changes, UPDATE_FIELDS)
    locked = _lock(ticket)
    tenant = locked.tenant
    before = audit.snapshot(locked, AUDITED_FIELDS)
    if "subject" in changes:
        locked.subject = inputs.text(changes["subject"], "subject", required=True, max_length=200)
    if "description" in changes:
        locked.description = inputs.text(
            changes["description"], "description", max_length=inputs.TEXT_MAX_LENGTH
        )
    if "customer" in changes:
        locked.customer = _customer(tenant, changes["customer"])
    if "subscription" in changes:
        locked.subscription = _subscription(tenant, changes["subscription"], locked.customer)
    elif (
        "customer" in changes
        and locked.subscription is not None
        and locked.subscription.customer_id != getattr(locked.customer, "pk", None)
    ):
        # The old customer's subscription does not follow the ticket.
        locked.subscription = None
    if "contact_email" in changes:
        locked.contact_email = _email(changes["contact_email"], "contact_email")
    if "service_address" in changes:
        locked.service_address = inputs.text(
            changes["service_address"], "service_address", max_length=400
        )
    for field in ("affected_services", "device_serials"):
        if field in changes:
            setattr(locked, field, _labels(changes[field], field))
    if "ticket_type" in changes:
        locked.ticket_type = _choice(changes["ticket_type"], TicketType, "ticket_type")
        if locked.assignee_id is None:
            route = TicketRouting.objects.filter(
                tenant=tenant, ticket_type=locked.ticket_type
            ).first()
            if route is not None:
                locked.team = route.team
    if "priority" in changes:
        priority = _choice(changes["priority"], Priority, "priority")
        if priority != locked.priority:
            locked.priority = priority
            stamp_sla(locked)
    locked.save()
    audit.record(
        tenant=tenant,
        actor=actor,
        action="ticket.update",
        obj=locked,
        before=before,
        after=audit.snapshot(locked, AUDITED_FIELDS),
    )
    return locked


_UNCHANGED: Any = object()


@transaction.atomic
def assign(
    *, ticket: Ticket, assignee: Any = _UNCHANGED, team: Any = _UNCHANGED, actor: Any = None
) -> Ticket:
    """Hand ``ticket`` to ``team`` and/or ``assignee`` (rows or ids; None
    clears). A new team without an assignee picks one by the team's
    assignment mode. An assignee must be an active member of the ticket's
    team when it has one. Audited as ``ticket.assign``.

    Raises NotFound naming ``team`` or ``assignee`` (not of the tenant),
    InvalidInput naming ``assignee`` (not in the team).
    """
    locked = _lock(ticket)
    tenant = locked.tenant
    before = audit.snapshot(locked, AUDITED_FIELDS)
    if team is not _UNCHANGED:
        locked.team = _team(tenant, team)
    if assignee is not _UNCHANGED:
        locked.assignee = _staff(tenant, assignee, "assignee")
    elif team is not _UNCHANGED:
        locked.assignee = pick_assignee(locked.team) if locked.team else None
    if locked.assignee is not None and locked.team is not None:
        member = TeamMember.objects.filter(
            team=locked.team, user=locked.assignee, active=True
        ).exists()
        if not member:
            raise InvalidInput(f"is not an active member of {locked.team}", field="assignee")
    locked.save(update_fields=["team", "assignee", "updated_at"])
    audit.record(
        tenant=tenant,
        actor=actor,
        action="ticket.assign",
        obj=locked,
        before=before,
        after=audit.snapshot(locked, AUDITED_FIELDS),
    )
    return locked


# Teams, routing, SLA policies, canned responses: the helpdesk's configuration.

_TEAM_FIELDS = ("name", "email", "lead", "assignment_mode")


def _team_values(tenant: Tenant, data: dict[str, Any]) -> dict[str, Any]:
    inputs.unknown_fields(data, _TEAM_FIELDS)
    clean: dict[str, Any] = {}
    if "name" in data:
        clean["name"] = inputs.text(data["name"], "name", required=True, max_length=100)
    if "email" in data:
        clean["email"] = _email(data["email"], "email")
    if "lead" in data:
        clean["lead"] = _staff(tenant, data["lead"], "lead")
    if "assignment_mode" in data:
        clean["assignment_mode"] = _choice(
            data["assignment_mode"], AssignmentMode, "assignment_mode"
        )
    return clean


def _unique_team_name(tenant: Tenant, name: str, exclude: int | None = None) -> None:
    taken = Team.objects.filter(tenant=tenant, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise Conflict(f"a team named '{name}' exists", field="name")


@transaction.atomic
def create_team(*, tenant: Tenant, actor: Any = None, **data: Any) -> Team:
    """Create a team (``name``, ``email``, ``lead``, ``assignment_mode``).
    Audited as ``team.create``.

    Raises InvalidInput naming the field, Conflict (``name`` taken),
    NotFound (``lead`` not a staff user of the tenant)."""
    values = _team_values(tenant, data)
    if "name" not in values:
        raise InvalidInput("is required", field="name")
    _unique_team_name(tenant, values["name"])
    team = Team.objects.create(tenant=tenant, **values)
    audit.record(tenant=tenant, actor=actor, action="team.create", obj=team)
    return team


@transaction.atomic
def update_team(*, team: Team, actor: Any = None, **data: Any) -> Team:
    """Change a team's name, email, lead or assignment mode. Audited as
    ``team.update``; raises as ``create_team``."""
    values = _team_values(team.tenant, data)
    if "name" in values:
        _unique_team_name(team.tenant, values["name"], exclude=team.pk)
    before = audit.snapshot(team)
    for key, value in values.items():
        setattr(team, key, value)
    team.save()
    audit.record(
        tenant=team.tenant,
        actor=actor,
        action="team.update",
        obj=team,
        before=before,
        after=audit.snapshot(team),
    )
    return team


@transaction.atomic
def add_member(
    *, team: Team, user: Any, skills: Any = None, active: Any = True, actor: Any = None
) -> TeamMember:
    """Put a staff user in ``team`` with ``skills`` (labels), or update their
    skills and active flag when they are in it already. Audited as
    ``team.member``.

    Raises NotFound naming ``user``, InvalidInput naming ``skills``/``active``."""
    member_user = _staff(team.tenant, user, "user")
    labels = _labels(skills, "skills")
    is_active = inputs.flag(active, "active")
    member, _created = TeamMember.objects.update_or_create(
        team=team,
        user=member_user,
        defaults={"tenant": team.tenant, "skills": labels, "active": is_active},
    )
    audit.record(
        tenant=team.tenant,
        actor=actor,
        action="team.member",
        obj=team,
        after={"user": member_user.pk, "skills": labels, "active": is_active},
    )
    return member


@transaction.atomic
def remove_member(*, member: TeamMember, actor: Any = None) -> None:
    """Take a user out of a team (their tickets stay assigned). Audited."""
    audit.record(
        tenant=member.tenant,
        actor=actor,
        action="team.member_removed",
        obj=member.team,
        before={"user": member.user_id},
    )
    member.delete()


@transaction.atomic
def route_type(*, tenant: Tenant, ticket_type: Any, team: Any, actor: Any = None) -> TicketRouting:
    """Make ``team`` the owner of ``ticket_type`` (new tickets of the type go
    to it). Audited as ``ticket.routing``.

    Raises InvalidInput naming ``ticket_type``, NotFound naming ``team``."""
    clean_type = _choice(ticket_type, TicketType, "ticket_type")
    the_team = _team(tenant, team)
    if the_team is None:
        raise InvalidInput("is required", field="team")
    route, _created = TicketRouting.objects.update_or_create(
        tenant=tenant, ticket_type=clean_type, defaults={"team": the_team}
    )
    audit.record(
        tenant=tenant,
        actor=actor,
        action="ticket.routing",
        obj=route,
        after={"ticket_type": clean_type, "team": the_team.pk},
    )
    return route


@transaction.atomic
def set_sla_policy(
    *,
    tenant: Tenant,
    priority: Any,
    first_response_minutes: Any,
    resolution_minutes: Any,
    warn_percent: Any = 80,
    actor: Any = None,
) -> SlaPolicy:
    """Set the targets of ``priority`` in business minutes (new tickets and
    tickets whose priority changes use them). Audited as ``sla.policy``.

    Raises InvalidInput naming the field: unknown priority, a target below 1
    or above a year of minutes, a first response later than the resolution,
    ``warn_percent`` outside 1..99."""
    clean_priority = _choice(priority, Priority, "priority")
    first = inputs.whole_number(first_response_minutes, "first_response_minutes")
    resolution = inputs.whole_number(resolution_minutes, "resolution_minutes")
    warn = inputs.whole_number(warn_percent, "warn_percent")
    for field, value in (("first_response_minutes", first), ("resolution_minutes", resolution)):
        if not 1 <= value <= MAX_TARGET_MINUTES:
            raise InvalidInput(f"must be between 1 and {MAX_TARGET_MINUTES} minutes", field=field)
    if first > resolution:
        raise InvalidInput(
            "must not be later than the resolution target", field="first_response_minutes"
        )
    if not 1 <= warn <= 99:
        raise InvalidInput("must be between 1 and 99", field="warn_percent")
    policy, _created = SlaPolicy.objects.update_or_create(
        tenant=tenant,
        priority=clean_priority,
        defaults={
            "first_response_minutes": first,
            "resolution_minutes": resolution,
            "warn_percent": warn,
        },
    )
    audit.record(
        tenant=tenant, actor=actor, action="sla.policy", obj=policy, after=audit.snapshot(policy)
    )
    return policy


_CANNED_FIELDS = ("title", "body", "team")


@transaction.atomic
def save_canned_response(
    *, tenant: Tenant, response: CannedResponse | None = None, actor: Any = None, **data: Any
) -> CannedResponse:
    """Create (``response`` None) or change a canned response (``title``,
    ``body``, ``team`` or None for every team). Audited as ``canned.save``.

    Raises InvalidInput naming the field, Conflict (``title`` taken),
    NotFound naming ``team``."""
    inputs.unknown_fields(data, _CANNED_FIELDS)
    row = response or CannedResponse(tenant=tenant)
    if "title" in data or response is None:
        row.title = inputs.text(data.get("title"), "title", required=True, max_length=100)
        taken = CannedResponse.objects.filter(tenant=tenant, title__iexact=row.title)
        if taken.exclude(pk=row.pk).exists():
            raise Conflict(f"a canned response titled '{row.title}' exists", field="title")
    if "body" in data or response is None:
        row.body = inputs.text(
            data.get("body"), "body", required=True, max_length=inputs.TEXT_MAX_LENGTH
        )
    if "team" in data:
        row.team = _team(tenant, data["team"])
    row.save()
    audit.record(tenant=tenant, actor=actor, action="canned.save", obj=row)
    return row


@transaction.atomic
def delete_canned_response(*, response: CannedResponse, actor: Any = None) -> None:
    """Delete a canned response. Audited as ``canned.delete``."""
    audit.record(
        tenant=response.tenant,
        actor=actor,
        action="canned.delete",
        obj=response,
        before=audit.snapshot(response),
    )
    response.delete()


# Product default: the four teams an ISP's helpdesk splits into, and who
# owns which ticket type.
DEFAULT_TEAMS = {
    "Support": (
        TicketType.GENERAL_INQUIRY,
        TicketType.TECHNICAL_SUPPORT,
        TicketType.SPEED_ISSUE,
        TicketType.SERVICE_UPGRADE,
        TicketType.SERVICE_DOWNGRADE,
        TicketType.CANCELLATION_REQUEST,
    ),
    "NOC": (TicketType.OUTAGE_REPORT,),
    "Field operations": (TicketType.INSTALLATION_REQUEST, TicketType.EQUIPMENT_ISSUE),
    "Billing": (TicketType.BILLING_ISSUE,),
}


@transaction.atomic
def install_defaults(*, tenant: Tenant, actor: Any = None) -> list[Team]:
    """Give ``tenant`` the default teams (``DEFAULT_TEAMS``), the routing of
    every ticket type to them and the default SLA policies, keeping what it
    has already (idempotent). Returns the four teams."""
    teams = []
    for name, types in DEFAULT_TEAMS.items():
        team, _created = Team.objects.get_or_create(tenant=tenant, name=name)
        teams.append(team)
        for ticket_type in types:
            TicketRouting.objects.get_or_create(
                tenant=tenant, ticket_type=ticket_type, defaults={"team": team}
            )
    for priority, (first, resolution) in DEFAULT_TARGETS.items():
        SlaPolicy.objects.get_or_create(
            tenant=tenant,
            priority=priority,
            defaults={"first_response_minutes": first, "resolution_minutes": resolution},
        )
    audit.record(tenant=tenant, actor=actor, action="helpdesk.defaults", obj=tenant)
    return teams
