"""Performing the due steps of dunning executions, a chunk at a time.

``perform_due_steps`` takes the tenant's active executions whose next step
is due on a date (and that no promise to pay pauses) ``CHUNK`` at a time,
each chunk locked and done in one transaction: every step already due runs,
in order, for each execution (a skipped day catches up), and what the steps
write is written for the whole chunk at once: invoice reminders, outbox jobs
(emails, SMS, webhooks), the action log, the ``DunningStepExecuted`` events
and the executions' next positions, a few statements per chunk whatever its
size. Only the steps that change a subscription (late fee, suspend,
terminate) go through their services one customer at a time, as every
other caller of those services does.

A message step queues what to say, not the words: the email's subject and
body and the SMS text are the step's own templates, or empty for the
defaults, and the outbox handlers render them in the customer's language
when they send. The amount is the one the run found overdue.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import formats
from django.utils.translation import gettext as _

from ispstack.billing.models import OPEN_STATUSES, Invoice
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
from ispstack.core import bulk, events, outbox
from ispstack.core.models import Job, Tenant
from ispstack.core.money import ZERO, round_money
from ispstack.core.outbox import handler
from ispstack.customers.models import Customer
from ispstack.notifications.language import in_language_of
from ispstack.notifications.models import NotificationKind
from ispstack.notifications.services import send_email
from ispstack.notifications.sms import send_sms
from ispstack.subscriptions import services as subscriptions
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from ispstack.webhooks import client as webhook_client

SYSTEM = "dunning"

#: Executions locked and stepped per transaction: large enough that the
#: statements per chunk cost little per customer, small enough that a chunk
#: holds its locks for well under a second.
CHUNK = 1000

#: What an open invoice still asks for: its total less paid and credited.
OWED = F("total") - F("amount_paid") - F("amount_credited")

#: Steps that only queue messages and write rows of their own, done for the
#: whole chunk at once.
MESSAGES = frozenset(
    {DunningAction.REMINDER, DunningAction.EMAIL, DunningAction.SMS, DunningAction.WEBHOOK}
)


def perform_due_steps(tenant: Tenant, as_of: dt.date) -> dict[str, int]:
    """Perform every dunning step of ``tenant`` due on ``as_of``; returns
    counts: ``steps`` performed, invoice ``reminders`` queued and
    subscriptions ``suspended``.

    Each chunk of ``CHUNK`` executions is one transaction: a failure rolls
    back its chunk and ends the run (the chunks before it stay done), and
    the next run does the rest. The campaigns and their steps are read once,
    at the start: an execution of a campaign created since waits for the
    next run."""
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
    campaigns = _Campaigns(tenant)
    counts: Counter[str] = Counter(steps=0, reminders=0, suspended=0)
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic():
            locked = (
                due.filter(pk__in=chunk)
                .select_for_update(of=("self",))
                .order_by("pk")
                .values_list(*_DUE_COLUMNS)
            )
            work = _Chunk(tenant, as_of, campaigns, owed)
            work.run([_Due(*row) for row in locked])
            work.write()
            counts.update(work.counts)
    return dict(counts)


@dataclasses.dataclass(slots=True)
class _Due:
    """A locked execution with a step due, and the customer columns its
    messages read: a row, not a model instance, since a chunk holds
    thousands and only ``_service`` needs the customer's row."""

    pk: int
    campaign_id: int
    customer_id: int
    status: str
    next_position: int
    next_action_on: dt.date | None
    promise_to_pay_until: dt.date | None
    started_on: dt.date
    finished_on: dt.date | None
    phone: str
    account_number: str
    currency: str


_DUE_COLUMNS = (
    "pk",
    "campaign_id",
    "customer_id",
    "status",
    "next_position",
    "next_action_on",
    "promise_to_pay_until",
    "started_on",
    "finished_on",
    "customer__phone",
    "customer__account_number",
    "customer__currency",
)


class _Campaigns:
    """The tenant's campaigns and their steps, read once per run (a tenant
    has a handful; executions of a deactivated campaign go on to its end)."""

    def __init__(self, tenant: Tenant) -> None:
        self.by_id = {c.pk: c for c in DunningCampaign.objects.for_tenant(tenant)}
        self._steps: dict[int, dict[int, DunningStep]] = {pk: {} for pk in self.by_id}
        for step in DunningStep.objects.filter(campaign_id__in=self.by_id):
            self._steps[step.campaign_id][step.position] = step

    def steps(self, campaign_id: int) -> dict[int, DunningStep]:
        """The campaign's steps by position (none for a campaign created
        after the run started)."""
        return self._steps.get(campaign_id, {})

    def suspend_on(self, campaign_id: int, after: DunningStep, due_on: dt.date) -> dt.date | None:
        """The day the campaign's next suspension step after ``after`` falls
        due, counting from ``due_on`` (the day ``after`` was due), or None."""
        day, steps = due_on, self.steps(campaign_id)
        for position in range(after.position + 1, max(steps, default=0) + 1):
            later = steps.get(position)
            if later is None:
                continue
            day += dt.timedelta(days=later.delay_days)
            if later.action == DunningAction.SUSPEND:
                return day
        return None


@dataclasses.dataclass
class _Chunk:
    """The steps of one chunk of locked executions, and the rows they write."""

    tenant: Tenant
    as_of: dt.date
    campaigns: _Campaigns
    owed: dict[int, Decimal]
    counts: Counter[str] = dataclasses.field(default_factory=Counter)
    jobs: list[tuple[int, str, dict[str, Any]]] = dataclasses.field(default_factory=list)
    # (invoice id, days past due)
    reminders: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    # One per step done: the action log's rows are written from them.
    executed: list[DunningStepExecuted] = dataclasses.field(default_factory=list)
    stepped: list[_Due] = dataclasses.field(default_factory=list)
    # Per customer: open invoices past due not reminded of yet, (id, due date).
    unreminded: dict[int, list[tuple[int, dt.date]]] = dataclasses.field(default_factory=dict)

    def run(self, executions: list[_Due]) -> None:
        """Perform every step due of each execution, in order, keeping what
        they write for ``write``."""
        reminding = [
            e.customer_id
            for e in executions
            if any(
                s.action == DunningAction.REMINDER
                for s in self.campaigns.steps(e.campaign_id).values()
            )
        ]
        for invoice_id, customer_id, due_date in (
            Invoice.objects.filter(
                customer_id__in=reminding, status__in=OPEN_STATUSES, due_date__lt=self.as_of
            )
            .exclude(reminders__level=1)
            .order_by("due_date", "pk")
            .values_list("pk", "customer_id", "due_date")
        ):
            self.unreminded.setdefault(customer_id, []).append((invoice_id, due_date))
        for execution in executions:
            stepped = False
            while self._step(execution):
                stepped = True
            if stepped:
                self.stepped.append(execution)

    def _step(self, execution: _Due) -> bool:
        """Perform the execution's next step if it is due; False when none is."""
        current = self.campaigns.steps(execution.campaign_id).get(execution.next_position)
        if (
            current is None
            or execution.status != DunningExecution.Status.ACTIVE
            or execution.next_action_on is None
            or execution.next_action_on > self.as_of
        ):
            return False
        # The day this step was due; a promise to pay moves it past the promise.
        due_on = execution.next_action_on
        promise = execution.promise_to_pay_until
        if promise is not None and promise >= due_on:
            due_on = promise + dt.timedelta(days=1)
        if current.action in MESSAGES:
            ok, detail = self._message(execution, current, due_on)
        else:
            ok, detail = self._service(execution, current)
        self.executed.append(
            DunningStepExecuted(
                tenant_id=self.tenant.pk,
                execution_id=execution.pk,
                customer_id=execution.customer_id,
                position=current.position,
                action=current.action,
                ok=ok,
                detail=detail[:2000],
                executed_on=self.as_of,
            )
        )
        self.counts["steps"] += 1
        following = self.campaigns.steps(execution.campaign_id).get(current.position + 1)
        execution.next_position = current.position + 1
        if following is None:
            execution.status = DunningExecution.Status.COMPLETED
            execution.finished_on = self.as_of
            execution.next_action_on = None
        else:
            execution.next_action_on = due_on + dt.timedelta(days=following.delay_days)
        return True

    def _message(self, execution: _Due, current: DunningStep, due_on: dt.date) -> tuple[bool, str]:
        """Queue a step's message (reminder, email, SMS, webhook): (it worked, what it did)."""
        config = current.config or {}
        amount = self.owed.get(execution.customer_id, ZERO)
        if current.action == DunningAction.REMINDER:
            sent = self._remind(execution, current, due_on)
            self.counts["reminders"] += sent
            return True, f"{sent} invoice reminders queued"
        if current.action == DunningAction.EMAIL:
            self._queue(
                "collections.dunning_email",
                {
                    "customer_id": execution.customer_id,
                    "subject": config.get("subject", ""),
                    "body": config.get("body", ""),
                    "amount": str(round_money(amount, execution.currency)),
                },
            )
            return True, "email queued"
        if current.action == DunningAction.SMS:
            if not execution.phone:
                return False, "the customer has no phone number"
            if not settings.SMS_BACKEND:
                return False, "no SMS gateway is configured (SMS_BACKEND)"
            self._queue(
                "collections.dunning_sms",
                {
                    "customer_id": execution.customer_id,
                    "template": config.get("text", ""),
                    "amount": str(round_money(amount, execution.currency)),
                },
            )
            return True, "SMS queued"
        campaign = self.campaigns.by_id[execution.campaign_id]
        self._queue(
            "collections.dunning_webhook",
            {
                "url": config["url"],
                "customer": execution.account_number,
                "overdue": str(amount),
                "campaign": campaign.name,
                "step": current.position,
            },
        )
        return True, f"webhook queued to {config['url']}"

    def _remind(self, execution: _Due, current: DunningStep, due_on: dt.date) -> int:
        """Queue one reminder email for each of the customer's open invoices
        more than the campaign's trigger days past due and not reminded of
        yet; returns how many. The email names the day of the campaign's
        next suspension step, if it has one."""
        campaign = self.campaigns.by_id[execution.campaign_id]
        suspend_on = self.campaigns.suspend_on(campaign.pk, current, due_on)
        cutoff = self.as_of - dt.timedelta(days=max(0, campaign.trigger_after_days - 1))
        waiting = self.unreminded.get(execution.customer_id, [])
        now = [(pk, due_date) for pk, due_date in waiting if due_date < cutoff]
        self.unreminded[execution.customer_id] = [i for i in waiting if i[1] >= cutoff]
        for invoice_id, due_date in now:
            days = (self.as_of - due_date).days
            self.reminders.append((invoice_id, days))
            self._queue(
                "collections.send_reminder",
                {
                    "invoice_id": invoice_id,
                    "days_past_due": days,
                    "suspend_on": suspend_on.isoformat() if suspend_on else None,
                },
            )
        return len(now)

    def _service(self, execution: _Due, current: DunningStep) -> tuple[bool, str]:
        """A step that changes subscriptions (late fee, suspend, terminate),
        done now through their services: (it worked, what it did)."""
        customer = Customer.objects.get(pk=execution.customer_id)
        config = current.config or {}
        amount = self.owed.get(customer.pk, ZERO)
        campaign = self.campaigns.by_id[execution.campaign_id]
        subs = Subscription.objects.filter(customer=customer)
        if current.action == DunningAction.LATE_FEE:
            first = subs.exclude(status=SubscriptionStatus.TERMINATED).first()
            if first is None:
                return False, "no subscription to charge"
            fee = add_charge(
                subscription=first,
                amount=config["amount"],
                charge_date=self.as_of,
                description=config.get("description") or "Late payment fee",
            )
            return True, f"late fee {fee.amount} charged"
        if current.action == DunningAction.SUSPEND:
            from ispstack.collections.services import suspend_for_non_payment

            done = suspend_for_non_payment(
                customer,
                self.as_of,
                (self.as_of - execution.started_on).days,
                reason=f"dunning '{campaign.name}': {amount} overdue",
                actor=SYSTEM,
            )
            self.counts["suspended"] += done
            return True, f"{done} subscriptions suspended"
        done = 0
        for sub in subs.exclude(status=SubscriptionStatus.TERMINATED):
            subscriptions.terminate(
                subscription=sub,
                actor=SYSTEM,
                on=self.as_of,
                reason=f"dunning '{campaign.name}': {amount} unpaid",
            )
            done += 1
        return True, f"{done} subscriptions terminated"

    def _queue(self, kind: str, payload: dict[str, Any]) -> None:
        self.jobs.append((self.tenant.pk, kind, payload))

    def write(self) -> None:
        """Write what the chunk's steps did: reminders, jobs, the action log
        (COPY), the events and the executions' new positions."""
        tenant, day = self.tenant.pk, self.as_of
        bulk.copy_rows(
            Reminder,
            ("tenant", "invoice", "level", "sent_on", "days_past_due"),
            ((tenant, invoice, 1, day, days) for invoice, days in self.reminders),
        )
        outbox.enqueue_many(self.jobs)
        bulk.copy_rows(
            DunningActionLog,
            ("tenant", "execution", "position", "action", "executed_on", "ok", "detail"),
            (
                (tenant, e.execution_id, e.position, e.action, day, e.ok, e.detail)
                for e in self.executed
            ),
        )
        events.publish_many(self.executed)
        bulk.update_rows(
            DunningExecution,
            ("status", "next_position", "next_action_on", "finished_on"),
            [
                (e.pk, e.status, e.next_position, e.next_action_on, e.finished_on)
                for e in self.stepped
            ],
        )


@handler("collections.dunning_email")
def dunning_email(job: Job) -> None:
    """A dunning email: the step's subject and body templates, or the
    defaults in the customer's language, with ``{name}``, ``{amount}`` (with
    the decimal mark of the customer's language) and ``{account}`` filled in."""
    customer = Customer.objects.select_related("tenant").get(pk=job.payload["customer_id"])
    with in_language_of(customer.pk):
        subject = job.payload["subject"] or _("Your account {account} is overdue")
        body = job.payload["body"] or _("{name}, {amount} is overdue on account {account}.")
        values = _values(customer, Decimal(job.payload["amount"]))
    send_email(
        tenant=customer.tenant,
        to=customer.email,
        subject=subject.format(**values),
        body=body.format(**values),
        reference=f"dunning:{customer.pk}",
        customer_id=customer.pk,
        kind=NotificationKind.DUNNING_REMINDER,
    )


@handler("collections.dunning_sms")
def dunning_sms(job: Job) -> None:
    """A dunning SMS to the customer's phone: the step's text template, or
    the default in the customer's language, filled in as an email's. A job
    queued before templates were rendered at send time carries its ``text``
    ready."""
    customer = Customer.objects.select_related("tenant").get(pk=job.payload["customer_id"])
    text = job.payload.get("text")
    if text is None:
        with in_language_of(customer.pk):
            template = job.payload["template"] or _(
                "{name}: {amount} is overdue on account {account}."
            )
            text = template.format(**_values(customer, Decimal(job.payload["amount"])))
    send_sms(
        tenant=customer.tenant,
        to=customer.phone,
        text=text,
        reference=f"dunning:{customer.pk}",
        customer_id=customer.pk,
        kind=NotificationKind.DUNNING_REMINDER,
    )


def _values(customer: Customer, amount: Decimal) -> dict[str, str]:
    """What a dunning message's placeholders stand for, in the active language."""
    return {
        "name": customer.name,
        "account": customer.account_number,
        "amount": f"{formats.localize(amount)} {customer.currency}",
    }


@handler("collections.dunning_webhook")
def dunning_webhook(job: Job) -> None:
    """POST the step as JSON to the campaign's webhook through the webhooks
    client (its SSRF guard, no redirects, ``WEBHOOK_TIMEOUT_SECONDS``); a
    refused URL, a timeout or a non-2xx answer is retried."""
    body = json.dumps({k: v for k, v in job.payload.items() if k != "url"}).encode()
    answer = webhook_client.post(job.payload["url"], body, {})
    if not answer.ok:
        raise RuntimeError(f"webhook {answer.error}")
