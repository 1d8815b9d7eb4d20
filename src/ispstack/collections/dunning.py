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
import string
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, Min, Sum

from ispstack.billing.models import OPEN_STATUSES, Charge, Invoice
from ispstack.collections.dunning_steps import OWED, SYSTEM, perform_due_steps
from ispstack.collections.models import (
    DunningAction,
    DunningCampaign,
    DunningExecution,
    DunningStep,
)
from ispstack.core import audit, clock, inputs
from ispstack.core.errors import InvalidInput, InvalidTransition
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO, parse_amount
from ispstack.customers.models import Customer
from ispstack.notifications.models import EmailLog
from ispstack.payments.events import AllocationApplied

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
    the due steps run a chunk of executions per transaction
    (``dunning_steps.perform_due_steps``)."""
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
    counts.update(perform_due_steps(tenant, as_of))
    return counts


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
