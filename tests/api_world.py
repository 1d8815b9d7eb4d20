"""A tenant with a row behind every detail route of the API and a valid body
for every write, shared by the tests that walk the whole schema."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.catalog.services import create_addon, create_promotion
from ispstack.collections.dunning import create_campaign
from ispstack.collections.models import DunningExecution
from ispstack.core.job_log import job_run
from ispstack.core.models import Tenant, User
from ispstack.customers.services import create_customer
from ispstack.network.nas import create_nas
from ispstack.network.prefixes import create_prefix_pool
from ispstack.payments.methods import add_bank_account
from ispstack.payments.models import (
    BankStatement,
    BankTransfer,
    DirectDebitBatch,
    Payment,
    PaymentMethod,
    StatementLine,
)
from ispstack.portal.api.tokens import create_token as create_portal_token
from ispstack.portal.services import create_login
from ispstack.provisioning.orders import create_order
from ispstack.provisioning.services import complete_survey, create_lead, schedule_survey
from ispstack.reports.models import ReportSchedule
from ispstack.subscriptions.services import suspend
from ispstack.tickets import services as tickets
from ispstack.usage.models import TopUpOffer
from ispstack.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.field_world import add_field_world
from tests.hotspot_world import CaptiveWorld
from tests.tenant_settings import configure

D = dt.date
PORTAL = "/api/v1/portal/"


class World:
    """One tenant with a row behind every detail route, and a valid body per operation."""

    def __init__(
        self,
        tenant: Tenant,
        client: APIClient,
        factories: dict[str, Any],
        nas_address: str = "192.0.2.10",
    ) -> None:
        self.tenant = tenant
        self.client = client
        # The raw token of a portal login of the world's customer (the world fixture's).
        self.portal_token = ""
        f = factories
        configure(
            tenant,
            sepa_creditor_id="DE98ZZZ09999999999",
            sepa_creditor_iban="DE89370400440532013000",
            sepa_creditor_bic="COBADEFFXXX",
        )
        self.plan = f["plan"](tenant, monthly_price="30.00", data_cap_bytes=100 * 10**9)
        self.other_plan = f["plan"](tenant, monthly_price="60.00")
        self.sub = f["subscription"](tenant, plan=self.plan, start_date=D(2026, 1, 1))
        self.pending = f["subscription"](tenant, plan=self.plan, active=False)
        self.suspended = suspend(
            subscription=f["subscription"](tenant, plan=self.plan), reason="abuse report"
        )
        self.customer = self.sub.customer
        self.run = run_billing(tenant=tenant, as_of=D(2026, 1, 1))
        self.invoice = Invoice.objects.get(customer=self.customer)
        self.bank_account = add_bank_account(
            customer=self.customer,
            iban="DE89370400440532013000",
            holder_name="Ada Lovelace",
            mandate_reference="MNDT-1",
            mandate_signed_on=D(2025, 12, 1),
            primary=True,
        )
        self.addon = create_addon(
            tenant=tenant,
            code="ip",
            name="Static IP",
            monthly_price="5",
            tax_rate=self.plan.tax_rate,
        )
        self.promotion = create_promotion(
            tenant=tenant, code="half", name="Half", kind="percent", value="50", cycles=2
        )
        self.nas = create_nas(
            tenant=tenant, nasname=nas_address, shortname="bng1", secret="s3cret-nas", type="other"
        )
        self.transfer = BankTransfer.objects.create(
            tenant=tenant,
            customer=self.customer,
            amount=Decimal("10.00"),
            currency=self.customer.currency,
            transferred_on=D(2026, 1, 3),
            proof=SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof"),
        )
        self.statement = statement = BankStatement.objects.create(
            tenant=tenant,
            format="camt053",
            filename="s.xml",
            sha256="0" * 64,
            lines_total=1,
            lines_unmatched=1,
        )
        self.line = StatementLine.objects.create(
            tenant=tenant,
            statement=statement,
            bank_reference="REF-1",
            booked_on=D(2026, 1, 4),
            amount=Decimal("12.00"),
            currency=self.customer.currency,
            status=StatementLine.Status.UNMATCHED,
        )
        self.batch = DirectDebitBatch.objects.create(
            tenant=tenant, collection_date=D(2026, 1, 20), message_id="MSG-1", xml="<x/>"
        )
        self.statement = statement
        self.campaign = campaign = create_campaign(
            tenant=tenant, name="Standard", steps=[{"delay_days": 0, "action": "email"}]
        )
        self.execution = DunningExecution.objects.create(
            tenant=tenant,
            campaign=campaign,
            customer=self.customer,
            started_on=D(2026, 1, 20),
            next_action_on=D(2026, 1, 20),
            outstanding_amount=Decimal("35.70"),
        )
        # Written directly: the service would resolve the host (SSRF guard).
        self.endpoint = WebhookEndpoint.objects.create(
            tenant=tenant, url="https://1.1.1.1/hooks", event_types=["payment.received"]
        )
        self.delivery = WebhookDelivery.objects.create(
            tenant=tenant,
            endpoint=self.endpoint,
            event_id=uuid.uuid4(),
            event_type="payment.received",
            message_id=f"msg_world_{tenant.pk}",
            payload={"type": "payment.received", "data": {}},
            status=WebhookDelivery.Status.FAILED,
        )
        self.report_schedule = ReportSchedule.objects.create(
            tenant=tenant,
            report="mrr",
            frequency="daily",
            send_time=dt.time(7, 0),
            recipients=["owner@isp.example"],
        )
        self.prefix_pool = create_prefix_pool(
            tenant=tenant, name="pd", prefix="2001:db8:100::/48", assign_length=56, kind="delegated"
        )
        self.payment = Payment.objects.create(
            tenant=tenant,
            customer=self.customer,
            amount=Decimal("5.00"),
            currency=self.customer.currency,
            received_on=D(2026, 1, 5),
            method=PaymentMethod.CARD,
            reference="ch_1",
            unallocated=Decimal("5.00"),
        )

        # The helpdesk: a team with an agent in it, a new ticket and a
        # resolved one (for close and reopen), a canned response.
        self.agent = User.objects.create_user(
            username=f"agent-{tenant.slug}", tenant=tenant, is_staff=True
        )
        self.team = tickets.create_team(tenant=tenant, name="Support")
        tickets.add_member(team=self.team, user=self.agent)
        self.ticket = tickets.open_ticket(
            tenant=tenant, subject="Slow", customer=self.customer, team=self.team
        )
        self.resolved_ticket = tickets.change_state(
            ticket=tickets.open_ticket(tenant=tenant, subject="Down", customer=self.customer),
            state="resolved",
        )
        self.canned = tickets.save_canned_response(tenant=tenant, title="Hello", body="Hi!")
        self.sla_policy = tickets.set_sla_policy(
            tenant=tenant, priority="low", first_response_minutes=480, resolution_minutes=4320
        )
        self.lead = create_lead(
            tenant=tenant, name="Walk In", email="walkin@example.net", plan=self.plan
        )
        complete_survey(
            survey=schedule_survey(lead=self.lead, scheduled_at="2026-01-02T09:00:00+00:00"),
            outcome="serviceable",
        )
        self.survey = schedule_survey(lead=self.lead, scheduled_at="2026-01-03T09:00:00+00:00")
        self.order = create_order(
            subscription=f["subscription"](tenant, plan=self.plan, active=False)
        )

        from ispstack.sales.services import add_line, create_quote, send_quote

        self.quote = create_quote(tenant=tenant, customer=self.customer)
        add_line(quote=self.quote, kind="plan", plan=self.plan.pk)
        # A sent quote for the actions that answer one: decline and revise.
        self.sent_quote = create_quote(tenant=tenant, customer=self.customer)
        add_line(quote=self.sent_quote, kind="plan", plan=self.plan.pk)
        send_quote(quote=self.sent_quote, base_url="https://isp.example")

        from ispstack.hotspot.vouchers import services as vouchers

        self.voucher_plan = vouchers.create_plan(
            tenant=tenant,
            code="hour",
            name="One hour",
            duration_seconds=3600,
            download_kbps=4096,
            upload_kbps=1024,
            price="1.00",
            tax_rate=self.plan.tax_rate,
        )
        self.voucher_agent = vouchers.create_agent(tenant=tenant, name="Kiosk")
        self.voucher_batch = vouchers.generate_batch(
            tenant=tenant, plan=self.voucher_plan, count=50
        )
        self.voucher = self.voucher_batch.vouchers.order_by("id").first()

        self.plan_request = self.submitted_plan_request()
        # Contracts: an active one over two services of the customer (one can
        # leave it), a draft over a third, to activate.
        from ispstack.sales.contracts import services as contracts

        under = [
            f["subscription"](tenant, customer=self.customer, plan=self.plan) for _ in range(3)
        ]
        from ispstack.core import clock

        # Started three months ago, so last month is over and was under it:
        # the month a service credit is asked for and the month to close.
        self.last_month = clock.add_months(clock.today(tenant).replace(day=1), -1)
        self.contract = contracts.create_contract(
            tenant=tenant,
            customer=self.customer,
            subscriptions=[under[0].pk, under[1].pk],
            start_date=clock.add_months(self.last_month, -2),
            term_months=24,
            sla_uptime_percent="99.9",
            monthly_commitment="40.00",
            termination_fee_rule="remaining_months",
        )
        contracts.activate_contract(contract=self.contract)
        self.contract_released = under[1]
        self.draft_contract = contracts.create_contract(
            tenant=tenant, customer=self.customer, subscriptions=[under[2].pk], term_months=12
        )
        # A second service of the customer, without an open plan change
        # request, for the portal's request route; a top-up offer for its
        # capped plan.
        self.second_sub = f["subscription"](tenant, customer=self.customer, plan=self.plan)
        self.topup_offer = TopUpOffer.objects.create(
            tenant=tenant, name="10 GB", extra_bytes=10**10, price="5.00", currency=tenant.currency
        )
        self.extra_ids: dict[str, int] = {}
        self.inventory = Inventory(tenant, self.sub, self.plan)
        self.captive = CaptiveWorld(tenant, self.nas)
        self.field = add_field_world(tenant)
        from ispstack.tickets.outages.services import declare_outage

        self.outage = declare_outage(tenant=tenant, device=self.inventory.ap, cause="power")
        self.planned_outage = declare_outage(
            tenant=tenant,
            device=self.inventory.olt,
            cause="maintenance",
            started_at=clock.now() + dt.timedelta(days=7),
        )

    def add_rows_behind_every_route(self) -> None:
        """A row behind the detail routes the write tests do not need: a credit
        note, a charge, a bundle, a refund."""
        from ispstack.accounting.journal.runner import post_journal
        from ispstack.accounting.models import JournalEntry
        from ispstack.billing.credit_notes import create_credit_note
        from ispstack.billing.proration import add_charge
        from ispstack.catalog.services import create_bundle
        from ispstack.payments.services import record_refund

        line = self.invoice.lines.order_by("pk").first()
        assert line is not None
        note = create_credit_note(
            invoice=self.invoice, reason="goodwill", lines=[{"line": line.pk, "amount": "1.00"}]
        )
        charge = add_charge(subscription=self.sub, description="Router", amount="49.00")
        bundle = create_bundle(
            tenant=self.tenant,
            code="duo",
            name="Duo",
            discount_kind="fixed",
            discount_value="3.00",
            plans=[self.plan],
            addons=[self.addon],
        )
        refund = record_refund(tenant=self.tenant, customer=self.customer, amount="1.00")
        post_journal(tenant=self.tenant, through=dt.date(2100, 1, 1))
        entry = JournalEntry.objects.for_tenant(self.tenant).order_by("pk").first()
        assert entry is not None
        with job_run("ispstack.billing.run_billing", tenant=self.tenant) as logged:
            logged.counts = {"invoices": 1}
        self.extra_ids = {
            "/api/v1/addons/": self.addon.pk,
            "/api/v1/bank-statements/": self.statement.pk,
            "/api/v1/billing-runs/": self.run.pk,
            "/api/v1/bundles/": bundle.pk,
            "/api/v1/charges/": charge.pk,
            "/api/v1/credit-notes/": note.pk,
            "/api/v1/dunning-campaigns/": self.campaign.pk,
            "/api/v1/job-executions/": logged.execution.pk,
            "/api/v1/journal-entries/": entry.pk,
            "/api/v1/payment-methods/": self.bank_account.pk,
            "/api/v1/promotions/": self.promotion.pk,
            "/api/v1/refunds/": refund.pk,
            "/api/v1/tax-rates/": self.plan.tax_rate_id,
        }

    def submitted_plan_request(self) -> Any:
        """A customer's plan change request from the portal, waiting for a
        decision (written directly: no email job)."""
        from ispstack.portal.models import PlanChangeRequest
        from ispstack.portal.plan_changes.selectors import effective_date
        from ispstack.portal.services import create_login

        user = create_login(
            customer=self.customer, email=f"owner@{self.tenant.slug}.example", password="pw-1"
        )
        return PlanChangeRequest.objects.create(
            tenant=self.tenant,
            customer=self.customer,
            subscription=self.sub,
            from_plan=self.plan,
            to_plan=self.other_plan,
            effective_date=effective_date(self.sub, "next_cycle"),
            monthly_difference=self.other_plan.monthly_price - self.plan.monthly_price,
            currency=self.plan.currency,
            requested_by=user,
        )

    def url(self, path: str) -> str:
        """``path`` with ``{id}`` replaced by the id of the world's row behind it."""
        if "{id}" not in path:
            return path
        row = self.row_id(path)
        assert row is not None, f"no row behind {path}"
        return path.replace("{id}", str(row))

    def row_id(self, path: str) -> int | None:
        """The id of the world's row that ``path``'s ``{id}`` can name (a pending
        subscription for ``activate``, a suspended one for ``reconnect``), or
        None when the world has none."""
        if path in self.inventory.special_ids:
            return self.inventory.special_ids[path]
        if path in (
            "/api/v1/quotes/{id}/decline/",
            "/api/v1/quotes/{id}/revise/",
            "/api/v1/quotes/{id}/resend/",
            "/api/v1/quotes/{id}/accept-on-paper/",
        ):
            return self.sent_quote.pk
        if path in ("/api/v1/contracts/{id}/activate/", "/api/v1/contracts/{id}/"):
            return self.draft_contract.pk
        if path.startswith(PORTAL):
            # The customer portal's API: rows of the world's customer, whose
            # portal login holds ``portal_token``.
            portal_ids = {
                f"{PORTAL}subscriptions/": self.sub.pk,
                f"{PORTAL}payment-methods/": self.bank_account.pk,
                f"{PORTAL}plan-change-requests/": self.plan_request.pk,
                f"{PORTAL}tickets/": self.ticket.pk,
                f"{PORTAL}invoices/": self.invoice.pk,
                f"{PORTAL}payments/": self.payment.pk,
                # No credit note before add_rows_behind_every_route: an id of none (404).
                f"{PORTAL}credit-notes/": self.extra_ids.get("/api/v1/credit-notes/", 0),
            }
            return portal_ids.get(path.split("{id}")[0])
        ids = {
            **self.extra_ids,
            **self.inventory.ids,
            **self.captive.ids,
            "/api/v1/addons/": self.addon.pk,
            "/api/v1/appointments/": self.field.appointment.pk,
            "/api/v1/technicians/": self.field.appointment.technician_id,
            "/api/v1/bank-statements/": self.statement.pk,
            "/api/v1/bank-transfers/": self.transfer.pk,
            "/api/v1/customers/": self.customer.pk,
            "/api/v1/direct-debit-batches/": self.batch.pk,
            "/api/v1/dunning-campaigns/": self.campaign.pk,
            "/api/v1/dunning-executions/": self.execution.pk,
            "/api/v1/invoices/": self.invoice.pk,
            "/api/v1/ip-pools/": self.sub.pool_id,
            "/api/v1/leads/": self.lead.pk,
            "/api/v1/quotes/": self.quote.pk,
            "/api/v1/voucher-plans/": self.voucher_plan.pk,
            "/api/v1/voucher-agents/": self.voucher_agent.pk,
            "/api/v1/voucher-batches/": self.voucher_batch.pk,
            "/api/v1/vouchers/": self.voucher.pk,
            "/api/v1/contracts/": self.contract.pk,
            "/api/v1/service-orders/": self.order.pk,
            "/api/v1/surveys/": self.survey.pk,
            "/api/v1/nas/": self.nas.pk,
            "/api/v1/payments/": self.payment.pk,
            "/api/v1/plans/": self.plan.pk,
            "/api/v1/prefix-pools/": self.prefix_pool.pk,
            "/api/v1/promotions/": self.promotion.pk,
            "/api/v1/statement-lines/": self.line.pk,
            "/api/v1/subscriptions/": self.sub.pk,
            "/api/v1/webhook-deliveries/": self.delivery.pk,
            "/api/v1/webhook-endpoints/": self.endpoint.pk,
            "/api/v1/report-schedules/": self.report_schedule.pk,
            "/api/v1/tax-rates/": self.plan.tax_rate_id,
            "/api/v1/tickets/": self.ticket.pk,
            "/api/v1/teams/": self.team.pk,
            "/api/v1/canned-responses/": self.canned.pk,
            "/api/v1/sla-policies/": self.sla_policy.pk,
            "/api/v1/outages/": self.outage.pk,
            "/api/v1/plan-change-requests/": self.plan_request.pk,
        }
        if path in ("/api/v1/tickets/{id}/close/", "/api/v1/tickets/{id}/reopen/"):
            return self.resolved_ticket.pk
        if path.endswith("/activate/"):
            return self.pending.pk
        if path.endswith("/reconnect/"):
            return self.suspended.pk
        if path == "/api/v1/outages/{id}/cancel/":
            return self.planned_outage.pk
        if path == "/api/v1/appointments/{id}/complete/":
            return self.field.on_site.pk
        return ids.get(path.split("{id}")[0])

    def client_for(self, path: str) -> APIClient:
        """The client that may call ``path``: the portal login's token on the
        customer portal's routes (a staff token is refused there), else the
        staff token."""
        if not path.startswith(PORTAL):
            return self.client
        portal = APIClient()
        portal.credentials(HTTP_AUTHORIZATION=f"Token {self.portal_token}")
        return portal

    def valid_body(self, method: str, path: str) -> dict[str, Any]:
        """A body the operation accepts, to spoil one field at a time."""
        bodies: dict[str, dict[str, Any]] = {
            f"{PORTAL}invoices/{{id}}/pay/": {"token": "tok_visa"},
            f"{PORTAL}invoices/{{id}}/pay/confirm/": {"payment_intent": "pi_world"},
            f"{PORTAL}payment-methods/": {"token": "tok_visa"},
            f"{PORTAL}plan-change-requests/": {
                "subscription": self.second_sub.pk,
                "plan": self.other_plan.pk,
                "timing": "next_cycle",
            },
            f"{PORTAL}tickets/": {
                "ticket_type": "technical_support",
                "subject": "No connection",
                "description": "The router's light is red.",
            },
            f"{PORTAL}tickets/{{id}}/replies/": {"body": "It works again, thanks."},
            f"{PORTAL}profile/": {"name": "Ada Lovelace"},
            f"{PORTAL}notifications/": {
                "preferences": [{"kind": "invoice_issued", "email": False}]
            },
            f"{PORTAL}subscriptions/{{id}}/topups/": {"offer": self.topup_offer.pk},
            **self.inventory.bodies(),
            **self.captive.bodies(),
            "/api/v1/addons/": {
                "code": "tv",
                "name": "IPTV",
                "monthly_price": "9.00",
                "tax_rate": self.plan.tax_rate_id,
            },
            "/api/v1/appointments/": {
                "kind": "repair",
                "customer": self.customer.pk,
                "starts_at": self.field.free_slot,
            },
            "/api/v1/appointments/suggest-slots/": {"kind": "repair", "customer": self.customer.pk},
            "/api/v1/appointments/{id}/transition/": {"action": "set_out"},
            "/api/v1/appointments/{id}/reschedule/": {"starts_at": self.field.free_slot},
            "/api/v1/appointments/{id}/complete/": {"notes": "ONU up", "serials": ["ZTEG0001"]},
            "/api/v1/technicians/": {"user": self.field.staff.pk, "skills": ["cpe_install"]},
            "/api/v1/technicians/{id}/": {"phone": "+4930123456"},
            "/api/v1/technicians/{id}/time-off/": {
                "start_date": self.field.free_day,
                "end_date": self.field.free_day,
                "reason": "training",
            },
            "/api/v1/outages/": {
                "site": self.inventory.site.pk,
                "cause": "fibre_cut",
                "description": "Backhaul cut",
                "expected_end_at": "2099-01-01T12:00:00Z",
            },
            "/api/v1/outages/{id}/": {"expected_end_at": "2099-01-02T12:00:00Z"},
            "/api/v1/outages/{id}/resolve/": {"note": "Spliced"},
            "/api/v1/outages/{id}/cancel/": {"note": "Called off"},
            "/api/v1/auth/token/": {"username": "nobody", "password": "x"},
            "/api/v1/bank-transfers/{id}/reject/": {"reason": "no such transfer on our account"},
            "/api/v1/plan-change-requests/{id}/reject/": {"reason": "not at this address"},
            "/api/v1/billing-runs/": {"as_of": "2026-02-01"},
            "/api/v1/bundles/": {
                "code": "duo",
                "name": "Duo",
                "plans": [self.plan.pk],
                "addons": [self.addon.pk],
                "discount_kind": "fixed",
                "discount_value": "3.00",
            },
            "/api/v1/customers/": {"name": "Grace Hopper", "email": "grace@example.net"},
            "/api/v1/direct-debit-batches/": {"collection_date": "2026-02-10"},
            "/api/v1/dunning-campaigns/": {
                "name": "Soft",
                "trigger_after_days": 3,
                "steps": [{"delay_days": 0, "action": "email"}],
            },
            "/api/v1/dunning-executions/{id}/promise/": {"until": "2026-02-01"},
            "/api/v1/invoices/{id}/credit-notes/": {"reason": "goodwill"},
            "/api/v1/leads/": {"name": "Grace Hopper", "email": "grace@example.net"},
            "/api/v1/leads/{id}/convert/": {"username": "walkin@isp.example"},
            "/api/v1/quotes/": {"customer": self.customer.pk},
            "/api/v1/contracts/": {
                "customer": self.customer.pk,
                "term_months": 12,
                "termination_fee_rule": "schedule",
                "termination_fee_schedule": [{"through_month": 6, "amount": "100.00"}],
            },
            "/api/v1/contracts/{id}/": {"reason": "longer term", "term_months": 36},
            "/api/v1/contracts/{id}/link/": {"subscription": self.second_sub.pk},
            "/api/v1/contracts/{id}/release/": {
                "subscription": self.contract_released.pk,
                "reason": "site closed",
            },
            "/api/v1/contracts/{id}/activate/": {"signed_on": "2026-01-02"},
            "/api/v1/contracts/{id}/terminate/": {"reason": "moving", "on": "2026-07-15"},
            "/api/v1/contracts/{id}/renew/": {"term_months": 12},
            # Measured from outages (none on its services): the month met the
            # promise, 204. A typed amount would need an invoice of the month.
            "/api/v1/contracts/{id}/service-credits/": {
                "month": self.last_month.isoformat(),
                "reason": "goodwill",
            },
            "/api/v1/revenue-recognition/close/": {"month": self.last_month.isoformat()},
            "/api/v1/quotes/{id}/": {"notes": "Installation within two weeks."},
            "/api/v1/quotes/{id}/lines/": {
                "kind": "one_time",
                "description": "Router",
                "unit_price": "89.00",
            },
            "/api/v1/quotes/{id}/remove-line/": {
                "line": self.quote.lines.values_list("pk", flat=True).first()
            },
            "/api/v1/quotes/{id}/decline/": {"reason": "Too dear"},
            "/api/v1/quotes/{id}/accept-on-paper/": {"name": "Ada King"},
            "/api/v1/voucher-plans/": {
                "code": "day",
                "name": "Day",
                "duration_seconds": 86400,
                "download_kbps": 2048,
                "upload_kbps": 512,
                "price": "3.00",
                "tax_rate": self.plan.tax_rate_id,
            },
            "/api/v1/voucher-plans/{id}/": {"name": "One hour pass"},
            "/api/v1/voucher-agents/": {"name": "Corner shop", "commission_percent": "10"},
            "/api/v1/voucher-agents/{id}/": {"phone": "+27 21 555 0100"},
            "/api/v1/voucher-batches/generate/": {"plan": self.voucher_plan.pk, "count": 5},
            "/api/v1/voucher-batches/{id}/sell/": {"count": 1},
            "/api/v1/service-orders/{id}/cancel/": {"reason": "withdrawn"},
            "/api/v1/surveys/": {"lead": self.lead.pk, "scheduled_at": "2026-02-01T10:00:00Z"},
            "/api/v1/surveys/{id}/cancel/": {"reason": "rain"},
            "/api/v1/surveys/{id}/complete/": {"outcome": "serviceable"},
            "/api/v1/ip-pools/": {
                "name": "bng2-static",
                "cidr": "198.51.100.0/24",
                "gateway": "198.51.100.1",
                "excluded": ["198.51.100.2"],
            },
            "/api/v1/nas/": {
                "nasname": "192.0.2.20",
                "shortname": "bng2",
                "type": "mikrotik",
                "secret": "another-secret",
            },
            "/api/v1/payment-methods/": {
                "customer": self.customer.pk,
                "kind": "bank_account",
                "iban": "DE89370400440532013000",
                "holder_name": "Grace Hopper",
            },
            "/api/v1/payments/": {"customer": self.customer.pk, "amount": "10.00"},
            "/api/v1/payments/{id}/refund-to-card/": {"amount": "1.00"},
            "/api/v1/plans/": {
                "code": "f100",
                "name": "Fibre 100",
                "download_kbps": 100000,
                "upload_kbps": 20000,
                "monthly_price": "45.00",
                "tax_rate": self.plan.tax_rate_id,
            },
            "/api/v1/prefix-pools/": {
                "name": "links",
                "prefix": "2001:db8:200::/48",
                "assign_length": 64,
                "kind": "framed",
            },
            "/api/v1/promotions/": {"code": "ten", "name": "Ten", "kind": "fixed", "value": "10"},
            "/api/v1/refunds/": {"customer": self.customer.pk, "amount": "1.00"},
            "/api/v1/statement-lines/{id}/match/": {"customer": self.customer.pk},
            "/api/v1/subscriptions/": {
                "customer": self.customer.pk,
                "plan": self.plan.pk,
                "username": "grace@isp.example",
            },
            "/api/v1/subscriptions/{id}/access/": {"nas": self.nas.pk},
            "/api/v1/subscriptions/{id}/addons/": {"addon": self.addon.pk, "quantity": 1},
            "/api/v1/subscriptions/{id}/billing-day/": {"billing_day": 5},
            "/api/v1/subscriptions/{id}/change-plan/": {"plan": self.other_plan.pk},
            "/api/v1/subscriptions/{id}/charges/": {"description": "Router", "amount": "49.00"},
            "/api/v1/subscriptions/{id}/promotions/": {"promotion": self.promotion.pk},
            "/api/v1/subscriptions/{id}/suspend/": {"reason": "abuse"},
            "/api/v1/subscriptions/{id}/terminate/": {"reason": "moved"},
            "/api/v1/subscriptions/{id}/topups/": {"gigabytes": "10"},
            "/api/v1/tax-rates/": {"name": "Reduced", "rate": "7"},
            "/api/v1/tickets/": {
                "subject": "No sync light",
                "ticket_type": "technical_support",
                "priority": "high",
                "customer": self.customer.pk,
                "device_serials": ["ZTEG00000001"],
            },
            "/api/v1/tickets/{id}/": {"subject": "Slow at night", "priority": "high"},
            "/api/v1/tickets/{id}/reply/": {"body": "Please restart the router."},
            "/api/v1/tickets/{id}/note/": {"body": "Line test clean."},
            "/api/v1/tickets/{id}/assign/": {
                "team": self.team.pk,
                "assignee": self.agent.pk,
            },
            "/api/v1/teams/": {"name": "NOC", "assignment_mode": "least_loaded"},
            "/api/v1/teams/{id}/": {"name": "First line"},
            "/api/v1/teams/{id}/members/": {
                "user": self.agent.pk,
                "skills": ["fiber"],
            },
            "/api/v1/teams/{id}/route/": {"ticket_type": "outage_report"},
            "/api/v1/teams/{id}/remove-member/": {"user": self.agent.pk},
            "/api/v1/canned-responses/": {"title": "Reboot", "body": "Please reboot the CPE."},
            "/api/v1/canned-responses/{id}/": {"title": "Greeting"},
            "/api/v1/sla-policies/": {
                "priority": "high",
                "first_response_minutes": 60,
                "resolution_minutes": 600,
            },
            "/api/v1/report-schedules/": {
                "report": "aging",
                "frequency": "weekly",
                "weekday": 0,
                "send_time": "07:00",
                "recipients": ["cfo@isp.example"],
            },
            "/api/v1/report-schedules/{id}/": {"send_time": "08:00"},
            "/api/v1/webhook-endpoints/": {
                "url": "https://1.1.1.1/crm",
                "event_types": ["subscription.suspended"],
                "description": "CRM",
            },
        }
        return dict(bodies.get(path, {}))


class Inventory:
    """The network inventory's rows behind the routes, and valid bodies."""

    def __init__(self, tenant: Tenant, sub: Any, plan: Any) -> None:
        from ispstack.network import devices, sites
        from ispstack.subscriptions.equipment import assign_onu

        self.plan = plan
        self.site = sites.create_site(
            tenant=tenant,
            kind="tower",
            name="Tower 1",
            latitude="52.5",
            longitude="13.4",
            coverage_radius_m=3000,
        )
        self.ap = devices.create_device(tenant=tenant, role="ap", name="AP 1", serial="AP-1")
        self.olt = devices.create_device(
            tenant=tenant, role="olt", name="OLT 1", serial="OLT-1", password="olt-Numbat-2217"
        )
        self.cpe = devices.create_device(tenant=tenant, role="cpe", name="CPE 1", serial="CPE-1")
        self.sector = sites.create_sector(tenant=tenant, site=self.site, name="N", azimuth=0)
        self.port = devices.create_pon_port(tenant=tenant, olt=self.olt, slot=1, port=1)
        self.onu = devices.create_onu(tenant=tenant, serial="ZTEG00000001")
        self.assigned = devices.create_onu(tenant=tenant, serial="ZTEG00000002")
        self.assignment = assign_onu(onu=self.assigned, subscription=sub)
        self.vlan = sites.create_vlan(tenant=tenant, site=self.site, vid=100, name="fibre")
        self.other_vlan = sites.create_vlan(tenant=tenant, site=self.site, vid=110, name="dflt")
        self.plan_vlan = sites.map_plan_vlan(
            tenant=tenant, site=self.site, plan=plan, vlan=self.vlan
        )
        self.ids = {
            "/api/v1/sites/": self.site.pk,
            "/api/v1/sectors/": self.sector.pk,
            "/api/v1/devices/": self.olt.pk,
            "/api/v1/pon-ports/": self.port.pk,
            "/api/v1/onus/": self.onu.pk,
            "/api/v1/onu-assignments/": self.assignment.pk,
            "/api/v1/vlans/": self.vlan.pk,
            "/api/v1/plan-vlans/": self.plan_vlan.pk,
        }
        self.special_ids = {"/api/v1/onus/{id}/release/": self.assigned.pk}
        # A customer at a covered point, for an order without a lead.
        self.located = create_customer(
            tenant=tenant,
            name="Second Line",
            email="second-line@example.net",
            service_latitude="52.51",
            service_longitude="13.41",
        )

    def bodies(self) -> dict[str, dict[str, Any]]:
        return {
            "/api/v1/sites/": {
                "kind": "pop",
                "name": "POP 2",
                "latitude": "48.1",
                "longitude": 11.5,
            },
            "/api/v1/sites/{id}/": {"name": "Tower One", "coverage_radius_m": 2500},
            "/api/v1/sectors/": {
                "site": self.site.pk,
                "name": "S",
                "azimuth": 180,
                "access_point": self.ap.pk,
            },
            "/api/v1/sectors/{id}/": {"band": "5 GHz", "beamwidth": 60},
            "/api/v1/devices/": {
                "role": "cpe",
                "name": "CPE 2",
                "serial": "CPE-2",
                "mac": "aa:bb:cc:00:00:02",
                "management_address": "192.0.2.50",
                "password": "cpe-pass",
            },
            "/api/v1/devices/{id}/": {"firmware": "V1.2", "site": self.site.pk},
            "/api/v1/pon-ports/": {"olt": self.olt.pk, "slot": 1, "port": 2, "max_onus": 128},
            "/api/v1/pon-ports/{id}/": {"description": "feeder north"},
            "/api/v1/onus/": {
                "serial": "HWTC0000ABCD",
                "model": "HG8010H",
                "pon_port": self.port.pk,
            },
            "/api/v1/onus/{id}/": {"notes": "shelf 3"},
            "/api/v1/onus/{id}/assign/": {"subscription": self.assignment.subscription_id},
            "/api/v1/onus/{id}/release/": {"reason": "moved", "to_state": "in_stock"},
            "/api/v1/onus/{id}/state/": {"transition": "mark_faulty", "reason": "no light"},
            "/api/v1/vlans/": {"site": self.site.pk, "vid": 200, "name": "mgmt"},
            "/api/v1/vlans/{id}/": {"name": "fibre-1g"},
            "/api/v1/plan-vlans/": {"site": self.site.pk, "plan": None, "vlan": self.other_vlan.pk},
            "/api/v1/service-orders/": {
                "customer": self.located.pk,
                "plan": self.plan.pk,
                "username": "second-line@isp.example",
            },
            "/api/v1/subscriptions/{id}/installation/": {
                "installation_status": "scheduled",
                "installation_date": "2026-02-03",
                "connection_type": "ftth",
                "last_mile_technology": "gpon",
                "sector": self.sector.pk,
                "cpe": self.cpe.pk,
            },
        }


def build_world(tenant: Tenant, client: APIClient, factories: dict[str, Any]) -> World:
    """The world of ``tenant`` with ``client`` (its admin's token) and a portal
    login of its customer."""
    built = World(tenant, client, factories)
    # The token's first use is audited; make it now, so that the walks that
    # count rows around each request see only what the request wrote.
    assert built.client.get("/api/v1/customers/").status_code == 200
    # A portal login of the world's customer and its token, for the portal's
    # routes (a staff token is refused there).
    login = create_login(customer=built.customer, email="world@example.net", password="W0rld-pass")
    built.portal_token = create_portal_token(user=login, name="tests")[1]
    return built


@pytest.fixture
def world(tenant, api_client_for, make_plan, make_subscription) -> World:
    return build_world(
        tenant, api_client_for(tenant), {"plan": make_plan, "subscription": make_subscription}
    )


@pytest.fixture(scope="module")
def module_world(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[World]:
    """One world for all the tests of a module that only send requests (the
    API walks): built once (a second each) in a transaction that stays open
    around the module's tests and is rolled back after them. Each test runs
    in a savepoint of it (pytest-django's ``db`` inside an open transaction),
    so what a request writes is gone before the next test, as with a world
    of its own."""
    from django.db import transaction
    from django.test.utils import override_settings

    from tests.conftest import new_api_client, new_plan, new_subscription, new_tenant

    quick = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        API_THROTTLE_RATES={"token": None, "login": None},
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
    )
    with django_db_blocker.unblock(), quick, transaction.atomic():
        tenant = new_tenant()
        yield build_world(
            tenant,
            new_api_client(tenant),
            {"plan": new_plan, "subscription": new_subscription},
        )
        transaction.set_rollback(True)
