"""The labels of other apps' choices that portal pages show (invoice and
service status, payment method, notice kinds, ticket and plan change
states), marked here so the portal's catalogue carries their translations.
Templates write them with ``{% translate value.get_x_display %}``; the staff
console keeps them in English, its language."""

from __future__ import annotations

from django.utils.translation import gettext_noop

LABELS = [
    # billing.InvoiceStatus
    gettext_noop("Issued"),
    gettext_noop("Partially paid"),
    gettext_noop("Paid"),
    gettext_noop("Void"),
    # subscriptions.SubscriptionStatus
    gettext_noop("Pending"),
    gettext_noop("Active"),
    gettext_noop("Suspended"),
    gettext_noop("Terminated"),
    # payments.PaymentMethod
    gettext_noop("Cash"),
    gettext_noop("Bank transfer"),
    gettext_noop("Card"),
    gettext_noop("Direct debit"),
    gettext_noop("Other"),
    # notifications.NotificationKind
    gettext_noop("Invoice issued"),
    gettext_noop("Payment received"),
    gettext_noop("Payment reminder"),
    gettext_noop("Outage in your area"),
    gettext_noop("Reply to your ticket"),
    gettext_noop("Plan change"),
    # portal.PlanChangeState
    gettext_noop("Submitted"),
    gettext_noop("Approved"),
    gettext_noop("Applied"),
    gettext_noop("Rejected"),
    gettext_noop("Cancelled"),
    # tickets.TicketState and TicketType
    gettext_noop("New"),
    gettext_noop("In progress"),
    gettext_noop("Waiting on customer"),
    gettext_noop("Resolved"),
    gettext_noop("Closed"),
    gettext_noop("General inquiry"),
    gettext_noop("Billing issue"),
    gettext_noop("Technical support"),
    gettext_noop("Installation request"),
    gettext_noop("Outage report"),
    gettext_noop("Service upgrade"),
    gettext_noop("Service downgrade"),
    gettext_noop("Cancellation request"),
]
