"""Dunning campaigns as data: start, step, pause, recover.

``run_dunning(tenant, as_of)``, called by the collections run, does three
things for the date (a tenant without any campaign first gets the default
one, ``DEFAULT_CAMPAIGN``):

1. executions of customers with nothing overdue any more end as
   ``recovered`` (the amount recovered is what was overdue at the start);
2. customers with overdue debt and no active execution start the
   highest-priority campaign whose trigger days and minimum amount they
   meet and whose excluded tags they don't carry;
3. active executions whose next step is due, and that are not paused by a
   promise to pay, perform that step (invoice reminders, email, SMS,
   webhook, late fee, suspend, terminate), log it, and wait for the next
   one; after the last step the execution is ``completed``.

Steps are scheduled from the day the customer met the trigger (oldest due
date + ``trigger_after_days``), each ``delay_days`` after the day the
previous one was due, and every step already due runs in the same run: a
run that was skipped, or a first run on a long overdue account, catches up,
so the outcome on a date does not depend on which days the run ran. After a
promise to pay the schedule goes on from the day after the promise.

A payment that clears the debt also recovers the execution at once
(``payments.events.AllocationApplied``). A customer may be granted one promise to pay
per execution, which pauses it until that date.
"""

from __future__ import annotations

import datetime as dt
import json
import string
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, F, Min, Q, Sum
from django.utils import formats
from django.utils.translation import gettext as _

from ispstack.billing.models import OPEN_STATUSES, Charge, Invoice
from ispstack.billing.proration import add_charge
from ispstack.collections.events import DunningStepExecuted
from ispstack.collections.models import (
    DunningAction,
    DunningActionLog,
    DunningCampaign,
    DunningExecution,
    DunningStep,
    Reminder,
)
from ispstack.core import audit, clock, events, inputs, outbox
from ispstack.core.errors import InvalidInput, InvalidTransition
from ispstack.core.models import Job, Tenant
from ispstack.core.money import ZERO, parse_amount, round_money
from ispstack.core.outbox import handler
from ispstack.customers.models import Customer
from ispstack.notifications.language import in_language_of
from ispstack.notifications.models import EmailLog, NotificationKind
from ispstack.notifications.services import send_email
from ispstack.notifications.sms import send_sms
from ispstack.payments.events import AllocationApplied
from ispstack.subscriptions import services as subscriptions
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from ispstack.webhooks import client as webhook_client

SYSTEM = "dunning"

#: The campaign a tenant gets when it has none: a reminder of each invoice
#: more than ``DEFAULT_GRACE_DAYS`` past due, then suspension of a customer
#: whose oldest unpaid invoice is more than ``DEFAULT_SUSPEND_AFTER_DAYS``
#: past due. Its priority is below a new campaign's (0), so a campaign the
#: tenant adds takes the customers it applies to.
DEFAULT_CAMPAIGN = "Default"
DEFAULT_GRACE_DAYS = 5
DEFAULT_SUSPEND_AFTER_DAYS = 10
DEFAULT_PRIORITY = -1


def _length(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of the column ``name`` of ``model``."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.CharField) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} is not a text column with a max_length")
    return field.max_length


#: What an open invoice still asks for: its total less paid and credited.
OWED = F("total") - F("amount_paid") - F("amount_credited")


def overdue(customer: Customer, as_of: dt.date) -> tuple[Decimal, dt.date | None]:
    """(amount overdue, oldest due date) of the customer on ``as_of``."""
    row = Invoice.objects.filter(
        customer=customer, status__in=OPEN_STATUSES, due_date__lt=as_of
    ).aggregate(due=Sum(OWED), oldest=Min("due_date"))
    return row["due"] or ZERO, row["oldest"]


# A campaign is a handful of steps; more than this is a mistake, and it bounds
# what one request creates.
MAX_STEPS = 20
# Placeholders a message template may use, filled in when the step runs.
TEMPLATE_FIELDS = ("name", "amount", "account")
# Longest webhook URL: what browsers and proxies reliably pass on.
MAX_URL_LENGTH = 2000

# The text parameters each action reads from its step's ``config``, and the
# longest each may be (where it ends up: an email subject, a charge's
# description). A late fee also takes its ``amount``.
CONFIG_TEXTS: dict[str, dict[str, int]] = {
    DunningAction.REMINDER: {},
    DunningAction.EMAIL: {"subject": _length(EmailLog, "subject"), "body": inputs.TEXT_MAX_LENGTH},
    DunningAction.SMS: {"text": inputs.TEXT_MAX_LENGTH},
    DunningAction.WEBHOOK: {"url": MAX_URL_LENGTH},
    DunningAction.LATE_FEE: {"description": _length(Charge, "description")},
    DunningAction.SUSPEND: {},
    DunningAction.TERMINATE: {},
}
TEMPLATES = {"subject", "body", "text"}


@transaction.atomic
def create_campaign(
    *,
    tenant: Tenant,
    name: str,
    steps: list[dict[str, Any]],
    trigger_after_days: int = 1,
    minimum_amount: Any = "0",
    exclude_tags: list[str] | None = None,
    priority: int = 0,
    actor: Any = None,
) -> DunningCampaign:
    """A campaign and its ordered steps: ``[{"delay_days", "action", "config"}]``,
    at most ``MAX_STEPS``; see ``clean_step`` for a step.

    ``trigger_after_days``: days past due before a customer enters it;
    ``minimum_amount``: the overdue amount (tenant currency) it needs;
    ``exclude_tags``: customers with any of these tags are left out; the
    highest ``priority`` wins when several apply.
    Raises InvalidInput naming the field (``steps[1].config.amount``).
    """
    if not isinstance(steps, list) or not steps:
        raise InvalidInput("a campaign needs at least one step", field="steps")
    if len(steps) > MAX_STEPS:
        raise InvalidInput(f"a campaign has at most {MAX_STEPS} steps", field="steps")
    trigger = inputs.whole_number(trigger_after_days, "trigger_after_days")
    if trigger < 0:
        raise InvalidInput("must not be negative", field="trigger_after_days")
    values: dict[str, Any] = {
        "name": inputs.text(name, "name", required=True),
        "trigger_after_days": trigger,
        "minimum_amount": parse_amount(minimum_amount, tenant.currency, field="minimum_amount"),
        "exclude_tags": clean_tags(exclude_tags),
        "priority": inputs.whole_number(priority, "priority"),
    }
    inputs.check_values(DunningCampaign, values)
    cleaned = [clean_step(step, f"steps[{n}]", tenant) for n, step in enumerate(steps)]
    campaign = DunningCampaign.objects.create(tenant=tenant, **values)
    for position, step in enumerate(cleaned, 1):
        DunningStep.objects.create(tenant=tenant, campaign=campaign, position=position, **step)
    audit.record(
        tenant=tenant,
        actor=actor,
        action="dunning_campaign.create",
        obj=campaign,
        after={"steps": len(steps)},
    )
    return campaign


def clean_tags(tags: Any) -> list[str]:
    """Customer tags a campaign leaves out, lower-cased as customers' tags are.

    Raises InvalidInput (field ``exclude_tags``) unless ``tags`` is a list
    of strings (None reads as none).
    """
    if tags is None:
        return []
    if not isinstance(tags, list):
        raise InvalidInput("must be a list of tags", field="exclude_tags")
    return [inputs.text(tag, "exclude_tags").lower() for tag in tags]


def clean_step(step: Any, where: str, tenant: Tenant) -> dict[str, Any]:
    """One step of a campaign, checked: ``{"delay_days", "action", "config"}``.

    ``action`` is a ``DunningAction``; ``delay_days`` whole days after the
    previous step (default 0). ``config`` holds only the parameters the
    action reads (``CONFIG_TEXTS``, and a late fee's ``amount``):

    - an email's ``subject`` and ``body`` and an SMS's ``text`` are templates
      that may use ``{name}``, ``{amount}`` and ``{account}`` and nothing
      else (anything else would fail when the step runs, stopping the
      collections run);
    - a webhook needs an http(s) ``url``;
    - a late fee needs its ``amount`` (a decimal string in the tenant's
      currency, stored normalised) and may have a ``description``.

    Returns the step's column values. Raises InvalidInput naming the field
    under ``where`` (``steps[1].config.amount``).
    """
    if not isinstance(step, dict):
        raise InvalidInput("must be an object with delay_days, action, config", field=where)
    action = step.get("action")
    if not isinstance(action, str) or action not in DunningAction.values:
        raise InvalidInput(
            f"must be one of {', '.join(DunningAction.values)}", field=f"{where}.action"
        )
    config = step.get("config") or {}
    if not isinstance(config, dict):
        raise InvalidInput("must be an object", field=f"{where}.config")
    texts = CONFIG_TEXTS[action]
    accepted = [*texts, *(["amount"] if action == DunningAction.LATE_FEE else [])]
    clean: dict[str, str] = {}
    for key, value in config.items():
        field = f"{where}.config.{key}"
        if key not in accepted:
            raise InvalidInput(
                f"a {action} step takes {', '.join(accepted) or 'nothing'}", field=field
            )
        if key == "amount":
            amount = parse_amount(value, tenant.currency, field=field, allow_zero=False)
            clean[key] = str(amount)
            continue
        clean[key] = inputs.text(value, field, max_length=texts[key])
        if key in TEMPLATES:
            _check_template(clean[key], field)
    if action == DunningAction.LATE_FEE and "amount" not in clean:
        raise InvalidInput("a late fee needs its amount", field=f"{where}.config.amount")
    if action == DunningAction.WEBHOOK and not clean.get("url", "").startswith(
        ("http://", "https://")
    ):
        raise InvalidInput("a webhook needs an http(s) url", field=f"{where}.config.url")
    delay = inputs.whole_number(step.get("delay_days", 0), f"{where}.delay_days")
    if delay < 0:
        raise InvalidInput("must not be negative", field=f"{where}.delay_days")
    inputs.check_values(DunningStep, {"delay_days": delay}, prefix=f"{where}.")
    return {"delay_days": delay, "action": action, "config": clean}


def _check_template(template: str, field: str) -> None:
    """Refuse a template that ``str.format`` with ``TEMPLATE_FIELDS`` would fail
    on, or that asks for more than a bare placeholder (an attribute, an index,
    a format spec such as a width of a billion characters)."""
    allowed = ", ".join("{" + name + "}" for name in TEMPLATE_FIELDS)
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidInput(
            f"is not a valid template ({exc}); use {{{{ and }}}} for braces", field=field
        ) from None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in TEMPLATE_FIELDS or spec or conversion:
            raise InvalidInput(f"may use only the placeholders {allowed}", field=field)


def default_campaign_terms(grace_days: int, suspend_after_days: int) -> dict[str, Any]:
    """``create_campaign`` arguments of the default campaign for the given days.

    "Past due" counts days after the due date, and a reminder is due when an
    invoice is more than ``grace_days`` past due: the trigger is the day
    after. Suspension comes ``suspend_after_days - grace_days`` later, on the
    day the oldest invoice is more than ``suspend_after_days`` past due (the
    same day as the reminder when that is not later).
    """
    return {
        "name": DEFAULT_CAMPAIGN,
        "trigger_after_days": grace_days + 1,
        "priority": DEFAULT_PRIORITY,
        "steps": [
            {"action": DunningAction.REMINDER},
            {"delay_days": max(0, suspend_after_days - grace_days), "action": "suspend"},
        ],
    }


def ensure_default_campaign(tenant: Tenant) -> DunningCampaign | None:
    """Create the default campaign for a tenant that has no campaign at all
    (active or not: a tenant that deactivated its campaigns chose no
    dunning); returns it, or None when the tenant has campaigns."""
    if DunningCampaign.objects.for_tenant(tenant).exists():
        return None
    return create_campaign(
        tenant=tenant,
        **default_campaign_terms(DEFAULT_GRACE_DAYS, DEFAULT_SUSPEND_AFTER_DAYS),
        actor=SYSTEM,
    )


def run_dunning(*, tenant: Tenant, as_of: dt.date) -> dict[str, int]:
    """Recover, start and step executions for ``as_of``; returns counts:
    ``recovered``, ``started``, ``steps`` performed, and of those the invoice
    ``reminders`` sent and the subscriptions ``suspended``.

    Recovering and starting are one statement each for the whole tenant
    (``RECOVER_SQL``, ``START_SQL``), whatever the number of late customers;
    each due step runs in its own transaction (``step``)."""
    ensure_default_campaign(tenant)
    counts = {"recovered": 0, "started": 0, "steps": 0, "reminders": 0, "suspended": 0}
    params: dict[str, Any] = {
        "tenant": tenant.pk,
        "as_of": as_of,
        "open": [str(status) for status in OPEN_STATUSES],
        "now": clock.now(),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(RECOVER_SQL, params)
        counts["recovered"] = cursor.rowcount
        cursor.execute(START_SQL, params)
        counts["started"] = cursor.rowcount
    due = (
        DunningExecution.objects.for_tenant(tenant)
        .filter(status=DunningExecution.Status.ACTIVE, next_action_on__lte=as_of)
        .filter(Q(promise_to_pay_until__isnull=True) | Q(promise_to_pay_until__lt=as_of))
    )
    # What each of them owes, read once for all: the messages of a run state
    # the debt the run found.
    owed = dict(
        Invoice.objects.filter(
            tenant=tenant,
            status__in=OPEN_STATUSES,
            due_date__lt=as_of,
            customer_id__in=due.values("customer_id"),
        )
        .values("customer_id")
        .annotate(due=Sum(OWED))
        .values_list("customer_id", "due")
    )
    for execution in due.select_related("campaign", "customer"):
        amount = owed.get(execution.customer_id, ZERO)
        while (done := step(execution, as_of, amount)) is not None:
            counts["steps"] += 1
            for key in ("reminders", "suspended"):
                counts[key] += done.get(key, 0)
            if not _still_due(execution, as_of):
                break
    return counts


def _still_due(execution: DunningExecution, as_of: dt.date) -> bool:
    """Whether ``execution`` (as ``step`` left it) has another step due on
    ``as_of``: saves a locked read per execution to learn there is none."""
    return (
        execution.status == DunningExecution.Status.ACTIVE
        and execution.next_action_on is not None
        and execution.next_action_on <= as_of
    )


# What a customer owes past due on a date: the open invoices due before it
# (``overdue`` in SQL).
_OVERDUE = """
    SELECT SUM(i.total - i.amount_paid - i.amount_credited)
      FROM billing_invoice i
     WHERE i.customer_id = {customer} AND i.status = ANY(%(open)s) AND i.due_date < %(as_of)s
"""

#: Active executions of customers with nothing overdue any more end as
#: recovered, the amount recovered being what was overdue at their start
#: (``recover_if_cleared`` for every execution at once).
RECOVER_SQL = f"""
UPDATE collections_dunningexecution e
   SET status = 'recovered', finished_on = %(as_of)s,
       recovered_amount = e.outstanding_amount, updated_at = %(now)s
 WHERE e.tenant_id = %(tenant)s AND e.status = 'active'
   AND COALESCE(({_OVERDUE.format(customer="e.customer_id")}), 0) <= 0
"""

#: Customers with overdue debt and no active execution start the campaign of
#: the highest priority (then name) whose trigger days and minimum amount
#: they meet and whose excluded tags they don't carry, scheduled from the
#: day they met the trigger; a campaign that ran its course for this debt
#: (an execution started after the oldest due date and not recovered) is not
#: started again.
START_SQL = """
INSERT INTO collections_dunningexecution
       (tenant_id, created_at, updated_at, campaign_id, customer_id, status, next_position,
        started_on, next_action_on, finished_on, outstanding_amount, recovered_amount,
        promise_to_pay_until, canceled_reason)
SELECT %(tenant)s, %(now)s, %(now)s, pick.id, late.customer_id, 'active', 1,
       %(as_of)s, late.oldest + pick.trigger_after_days + pick.first_delay, NULL, late.due, 0,
       NULL, ''
  FROM (SELECT i.customer_id,
               SUM(i.total - i.amount_paid - i.amount_credited) AS due,
               MIN(i.due_date) AS oldest
          FROM billing_invoice i
         WHERE i.tenant_id = %(tenant)s AND i.status = ANY(%(open)s) AND i.due_date < %(as_of)s
         GROUP BY i.customer_id) late
  JOIN customers_customer c ON c.id = late.customer_id
 CROSS JOIN LATERAL (
        SELECT k.id, k.trigger_after_days,
               COALESCE((SELECT s.delay_days FROM collections_dunningstep s
                          WHERE s.campaign_id = k.id ORDER BY s.position LIMIT 1), 0)
                 AS first_delay
          FROM collections_dunningcampaign k
         WHERE k.tenant_id = %(tenant)s AND k.is_active
           AND late.oldest + k.trigger_after_days <= %(as_of)s
           AND late.due >= k.minimum_amount
           AND NOT (k.exclude_tags ?| ARRAY(
                 SELECT jsonb_array_elements_text(
                   CASE WHEN jsonb_typeof(c.tags) = 'array' THEN c.tags ELSE '[]' END)))
         ORDER BY k.priority DESC, k.name
         LIMIT 1) pick
 WHERE NOT EXISTS (
        SELECT 1 FROM collections_dunningexecution e
         WHERE e.customer_id = late.customer_id
           AND (e.status = 'active' OR (e.started_on > late.oldest AND e.status <> 'recovered')))
ON CONFLICT DO NOTHING
"""


def recover_if_cleared(execution: DunningExecution, as_of: dt.date) -> bool:
    """End an active execution as recovered when nothing is overdue any more."""
    amount, _oldest = overdue(execution.customer, as_of)
    if amount > ZERO or execution.status != DunningExecution.Status.ACTIVE:
        return False
    DunningExecution.objects.filter(pk=execution.pk, status=DunningExecution.Status.ACTIVE).update(
        status=DunningExecution.Status.RECOVERED,
        finished_on=as_of,
        recovered_amount=execution.outstanding_amount,
    )
    return True


def step(
    execution: DunningExecution, as_of: dt.date, amount: Decimal | None = None
) -> dict[str, int] | None:
    """Perform the execution's next step if it is due on ``as_of`` (one
    transaction); returns what it did (``reminders``, ``suspended``: counts),
    or None when no step was due. ``execution`` is left as the step left
    its row (status, next position and date). ``amount``: the customer's
    overdue amount on ``as_of`` (currency units) when the caller read it for
    many customers at once; None reads it here (``overdue``)."""
    given = execution
    with transaction.atomic():
        execution = (
            DunningExecution.objects.select_for_update(of=("self",))
            .select_related("campaign", "customer", "tenant")
            .get(pk=execution.pk)
        )
        position = execution.next_position
        steps = {
            s.position: s
            for s in DunningStep.objects.filter(
                campaign_id=execution.campaign_id, position__in=(position, position + 1)
            )
        }
        current = steps.get(position)
        if (
            current is None
            or execution.status != DunningExecution.Status.ACTIVE
            or execution.next_action_on is None
            or execution.next_action_on > as_of
        ):
            return None
        promise = execution.promise_to_pay_until
        if promise is not None and promise >= as_of:
            return None
        # The day this step was due; a promise to pay moves it past the promise.
        due_on = execution.next_action_on
        if promise is not None and promise >= due_on:
            due_on = promise + dt.timedelta(days=1)
        ok, detail, done = _perform(execution, current, as_of, due_on, amount)
        log = DunningActionLog.objects.create(
            tenant=execution.tenant,
            execution=execution,
            position=current.position,
            action=current.action,
            executed_on=as_of,
            ok=ok,
            detail=detail[:2000],
        )
        events.publish(
            DunningStepExecuted(
                tenant_id=execution.tenant_id,
                execution_id=execution.pk,
                customer_id=execution.customer_id,
                position=log.position,
                action=log.action,
                ok=ok,
                detail=log.detail,
                executed_on=as_of,
            )
        )
        following = steps.get(current.position + 1)
        execution.next_position = current.position + 1
        if following is None:
            execution.status = DunningExecution.Status.COMPLETED
            execution.finished_on = as_of
            execution.next_action_on = None
        else:
            execution.next_action_on = due_on + dt.timedelta(days=following.delay_days)
        execution.save()
    for field in ("status", "next_position", "next_action_on", "finished_on"):
        setattr(given, field, getattr(execution, field))
    return done


def _perform(
    execution: DunningExecution,
    current: DunningStep,
    as_of: dt.date,
    due_on: dt.date,
    amount: Decimal | None,
) -> tuple[bool, str, dict[str, int]]:
    """Do one step: (it worked, what it did, counts of reminders and suspensions)."""
    customer, tenant = execution.customer, execution.tenant
    if amount is None:
        amount, _oldest = overdue(customer, as_of)
    config = current.config or {}
    if current.action == DunningAction.REMINDER:
        sent = _remind(execution, current, as_of, due_on)
        return True, f"{sent} invoice reminders queued", {"reminders": sent}
    if current.action == DunningAction.EMAIL:
        # The step's own templates (the tenant's words), or these defaults
        # in the customer's language.
        with in_language_of(customer.pk):
            subject = config.get("subject") or _("Your account {account} is overdue")
            body = config.get("body") or _("{name}, {amount} is overdue on account {account}.")
        outbox.enqueue(
            tenant=tenant,
            kind="collections.dunning_email",
            payload={
                "customer_id": customer.pk,
                "subject": subject,
                "body": body,
                "amount": str(round_money(amount, customer.currency)),
            },
        )
        return True, "email queued", {}
    if current.action == DunningAction.SMS:
        if not customer.phone:
            return False, "the customer has no phone number", {}
        if not settings.SMS_BACKEND:
            return False, "no SMS gateway is configured (SMS_BACKEND)", {}
        with in_language_of(customer.pk):
            text = config.get("text") or _("{name}: {amount} is overdue on account {account}.")
            number = formats.localize(round_money(amount, customer.currency))
        outbox.enqueue(
            tenant=tenant,
            kind="collections.dunning_sms",
            payload={
                "customer_id": customer.pk,
                "text": text.format(
                    name=customer.name,
                    account=customer.account_number,
                    amount=f"{number} {customer.currency}",
                ),
            },
        )
        return True, "SMS queued", {}
    if current.action == DunningAction.WEBHOOK:
        outbox.enqueue(
            tenant=tenant,
            kind="collections.dunning_webhook",
            payload={
                "url": config["url"],
                "customer": customer.account_number,
                "overdue": str(amount),
                "campaign": execution.campaign.name,
                "step": current.position,
            },
        )
        return True, f"webhook queued to {config['url']}", {}
    subs = Subscription.objects.filter(customer=customer)
    if current.action == DunningAction.LATE_FEE:
        first = subs.exclude(status=SubscriptionStatus.TERMINATED).first()
        if first is None:
            return False, "no subscription to charge", {}
        fee = add_charge(
            subscription=first,
            amount=config["amount"],
            charge_date=as_of,
            description=config.get("description") or "Late payment fee",
        )
        return True, f"late fee {fee.amount} charged", {}
    if current.action == DunningAction.SUSPEND:
        from ispstack.collections.services import suspend_for_non_payment

        done = suspend_for_non_payment(
            execution.customer,
            as_of,
            (as_of - execution.started_on).days,
            reason=f"dunning '{execution.campaign.name}': {amount} overdue",
            actor=SYSTEM,
        )
        return True, f"{done} subscriptions suspended", {"suspended": done}
    done = 0
    for sub in subs.exclude(status=SubscriptionStatus.TERMINATED):
        subscriptions.terminate(
            subscription=sub,
            actor=SYSTEM,
            on=as_of,
            reason=f"dunning '{execution.campaign.name}': {amount} unpaid",
        )
        done += 1
    return True, f"{done} subscriptions terminated", {}


def _remind(
    execution: DunningExecution, current: DunningStep, as_of: dt.date, due_on: dt.date
) -> int:
    """Queue one reminder email for each of the customer's open invoices that is
    more than the campaign's trigger days past due and was not reminded of
    yet; returns how many. The email names the day of the campaign's next
    suspension step, if it has one."""
    campaign = execution.campaign
    suspend_on, day = None, due_on
    for later in campaign.steps.filter(position__gt=current.position).order_by("position"):
        day += dt.timedelta(days=later.delay_days)
        if later.action == DunningAction.SUSPEND:
            suspend_on = day
            break
    due = Invoice.objects.filter(
        customer=execution.customer,
        status__in=OPEN_STATUSES,
        due_date__lt=as_of - dt.timedelta(days=max(0, campaign.trigger_after_days - 1)),
    ).exclude(reminders__level=1)
    sent = 0
    for invoice in due.order_by("due_date", "pk"):
        days = (as_of - invoice.due_date).days
        Reminder.objects.create(
            tenant=execution.tenant, invoice=invoice, level=1, sent_on=as_of, days_past_due=days
        )
        outbox.enqueue(
            tenant=execution.tenant,
            kind="collections.send_reminder",
            payload={
                "invoice_id": invoice.pk,
                "days_past_due": days,
                "suspend_on": suspend_on.isoformat() if suspend_on else None,
            },
        )
        sent += 1
    return sent


@transaction.atomic
def promise_to_pay(
    *, execution: DunningExecution, until: dt.date, actor: Any = None
) -> DunningExecution:
    """Pause an execution until ``until`` (once per execution)."""
    execution = DunningExecution.objects.select_for_update().get(pk=execution.pk)
    if execution.status != DunningExecution.Status.ACTIVE:
        raise InvalidTransition(f"the execution is {execution.status}", field="status")
    if execution.promise_to_pay_until is not None:
        raise InvalidTransition("a promise to pay was granted already", field="until")
    until = inputs.day(until, "until")
    if until <= execution.started_on:
        raise InvalidInput("must be after the campaign started", field="until")
    execution.promise_to_pay_until = until
    execution.save(update_fields=["promise_to_pay_until", "updated_at"])
    audit.record(
        tenant=execution.tenant,
        actor=actor,
        action="dunning.promise_to_pay",
        obj=execution,
        after={"until": str(until)},
    )
    return execution


def campaign_stats(campaign: DunningCampaign) -> dict[str, Any]:
    """Started, recovered amount, recovery rate and average days to pay."""
    executions = campaign.executions.all()
    started = executions.count()
    recovered = executions.filter(status=DunningExecution.Status.RECOVERED)
    totals = recovered.aggregate(amount=Sum("recovered_amount"), n=Count("id"))
    days = [(e.finished_on - e.started_on).days for e in recovered if e.finished_on]
    return {
        "started": started,
        "recovered": totals["n"] or 0,
        "recovered_amount": totals["amount"] or ZERO,
        "recovery_rate": (Decimal(totals["n"] or 0) / started).quantize(Decimal("0.0001"))
        if started
        else ZERO,
        "average_days_to_pay": (sum(days) / len(days)) if days else None,
    }


def on_allocation_applied(event: AllocationApplied) -> None:
    """Event handler (after commit, through the outbox): a payment that clears
    the debt recovers the customer's active execution at once."""
    for execution in DunningExecution.objects.select_related("customer").filter(
        customer_id=event.customer_id, status=DunningExecution.Status.ACTIVE
    ):
        recover_if_cleared(execution, event.on)


@handler("collections.dunning_email")
def dunning_email(job: Job) -> None:
    """A dunning email; ``{name}``, ``{amount}`` (with the decimal mark of the
    customer's language) and ``{account}`` are filled in."""
    customer = Customer.objects.select_related("tenant").get(pk=job.payload["customer_id"])
    with in_language_of(customer.pk):
        number = formats.localize(Decimal(job.payload["amount"]))
    values = {
        "name": customer.name,
        "account": customer.account_number,
        "amount": f"{number} {customer.currency}",
    }
    send_email(
        tenant=customer.tenant,
        to=customer.email,
        subject=job.payload["subject"].format(**values),
        body=job.payload["body"].format(**values),
        reference=f"dunning:{customer.pk}",
        customer_id=customer.pk,
        kind=NotificationKind.DUNNING_REMINDER,
    )


@handler("collections.dunning_sms")
def dunning_sms(job: Job) -> None:
    """A dunning SMS to the customer's phone."""
    customer = Customer.objects.select_related("tenant").get(pk=job.payload["customer_id"])
    send_sms(
        tenant=customer.tenant,
        to=customer.phone,
        text=job.payload["text"],
        reference=f"dunning:{customer.pk}",
        customer_id=customer.pk,
        kind=NotificationKind.DUNNING_REMINDER,
    )


@handler("collections.dunning_webhook")
def dunning_webhook(job: Job) -> None:
    """POST the step as JSON to the campaign's webhook through the webhooks
    client (its SSRF guard, no redirects, ``WEBHOOK_TIMEOUT_SECONDS``); a
    refused URL, a timeout or a non-2xx answer is retried."""
    body = json.dumps({k: v for k, v in job.payload.items() if k != "url"}).encode()
    answer = webhook_client.post(job.payload["url"], body, {})
    if not answer.ok:
        raise RuntimeError(f"webhook {answer.error}")
