"""Forms of the Customer 360 actions. They only collect input: amounts and
dates stay text so the app's service checks them (one rule, the API's), and
its error is shown next to the field it names."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ispstack.catalog.models import Plan
from ispstack.payments.models import PaymentMethod
from ispstack.subscriptions.models import Subscription, SuspensionCause

DATE_HELP = _("YYYY-MM-DD; empty for today.")


def subscription_label(sub: Subscription) -> str:
    """``username · plan · status`` for a choice list."""
    return f"{sub.username} · {sub.plan.name} · {sub.get_status_display()}"


class SubscriptionChoiceMixin(forms.Form):
    """A form acting on one of the customer's subscriptions, offered as a list."""

    subscription = forms.TypedChoiceField(label=_("Subscription"), coerce=int)

    def __init__(self, *args: Any, subscriptions: list[Subscription], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subscriptions = {s.pk: s for s in subscriptions}
        field = self.fields["subscription"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(s.pk, subscription_label(s)) for s in subscriptions]

    def chosen(self) -> Subscription:
        """The chosen subscription (after ``is_valid``)."""
        return self.subscriptions[self.cleaned_data["subscription"]]


class SuspendForm(SubscriptionChoiceMixin):
    cause = forms.ChoiceField(
        label=_("Cause"), choices=SuspensionCause.choices, initial=SuspensionCause.ADMINISTRATIVE
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReconnectForm(SubscriptionChoiceMixin):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ChangePlanForm(SubscriptionChoiceMixin):
    plan = forms.ModelChoiceField(label=_("New plan"), queryset=Plan.objects.none())
    when = forms.ChoiceField(
        label=_("When"),
        choices=[
            ("now", _("Now (the rest of the period is prorated)")),
            ("next_cycle", _("At the next billing period")),
            ("date", _("On a date")),
        ],
        initial="now",
    )
    on = forms.CharField(
        label=_("Date"), required=False, help_text=_("YYYY-MM-DD; needed for “On a date”.")
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)

    def __init__(self, *args: Any, plans: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["plan"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = plans


class ChargeForm(SubscriptionChoiceMixin):
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    amount = forms.CharField(
        label=_("Amount (net of tax)"), max_length=40, required=False, help_text=_("e.g. 250.00")
    )
    charge_date = forms.CharField(
        label=_("Charge date"), required=False, help_text=_("The first run that may invoice it.")
    )


class PaymentForm(forms.Form):
    amount = forms.CharField(label=_("Amount"), max_length=40, required=False)
    received_on = forms.CharField(label=_("Received on"), required=False, help_text=DATE_HELP)
    method = forms.ChoiceField(
        label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=140,
        required=False,
        help_text=_("The bank's or receipt's reference; a reference is recorded once."),
    )


class CreditNoteForm(forms.Form):
    invoice = forms.TypedChoiceField(label=_("Invoice"), coerce=int)
    line = forms.TypedChoiceField(
        label=_("Line"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Empty: credit everything the invoice still has."),
    )
    amount = forms.CharField(
        label=_("Amount (net of tax)"),
        max_length=40,
        required=False,
        help_text=_("For one line: the net amount to credit."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)

    def __init__(self, *args: Any, invoices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        invoice_field = self.fields["invoice"]
        line_field = self.fields["line"]
        assert isinstance(invoice_field, forms.ChoiceField)
        assert isinstance(line_field, forms.ChoiceField)
        invoice_field.choices = [(i.pk, f"{i.number} · {i.issue_date}") for i in invoices]
        line_field.choices = [("", _("All lines"))] + [
            (line.pk, f"{i.number} · {line.description}")
            for i in invoices
            for line in i.lines.all()
        ]


class StatementForm(forms.Form):
    start = forms.CharField(label=_("From"), help_text=_("YYYY-MM-DD"))
    end = forms.CharField(label=_("To"), help_text=_("YYYY-MM-DD"))


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 6})
    )
