"""A contract's terms as the console's forms ask for them, shared by the
contract form and the quote form (a quote with a term signs a contract on
acceptance). The termination-fee schedule and the SLA credit tiers are typed
one step a line and become the lists ``sales.contracts.terms`` checks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.core.errors import InvalidInput
from ispstack.sales.contracts.terms import TERM_FIELDS
from ispstack.sales.models import PlanChangeRule, TerminationFeeRule

#: The form's term fields other than the term itself, as the services name them.
TERMS = tuple(f for f in TERM_FIELDS if f not in ("term_months", "start_date", "notes"))


def steps(text: str, field: str, value_key: str) -> list[dict[str, str]]:
    """Lines ``<month or percent>: <value>`` as the service's list of steps;
    a value ending in ``%`` is a percent. Raises InvalidInput naming ``field``."""
    out: list[dict[str, str]] = []
    for n, line in enumerate(t for t in text.splitlines() if t.strip()):
        key, sep, value = line.partition(":")
        if not sep:
            raise InvalidInput(f"line {n + 1}: write '<number>: <value>'", field=field)
        value = value.strip()
        if value_key == "amount" and value.endswith("%"):
            out.append({"through_month": key.strip(), "percent": value[:-1].strip()})
        elif value_key == "amount":
            out.append({"through_month": key.strip(), "amount": value})
        else:
            out.append({"below": key.strip(), "credit_percent": value.rstrip("%").strip()})
    return out


def lines(rows: list[dict[str, Any]], key: str, value_key: str) -> str:
    """The inverse of ``steps``: the stored list as the textarea shows it."""
    out = []
    for step in rows:
        value = step.get(value_key)
        value = f"{step['percent']}%" if value is None and "percent" in step else value
        out.append(f"{step[key]}: {value}")
    return "\n".join(out)


def as_lists(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the schedule and tier texts turned into the services'
    lists. Raises InvalidInput naming the field of a malformed line."""
    out = dict(data)
    if "termination_fee_schedule" in out:
        out["termination_fee_schedule"] = steps(
            out["termination_fee_schedule"] or "", "termination_fee_schedule", "amount"
        )
    if "sla_credit_tiers" in out:
        out["sla_credit_tiers"] = steps(
            out["sla_credit_tiers"] or "", "sla_credit_tiers", "credit_percent"
        )
    return out


def as_text(terms: dict[str, Any]) -> dict[str, Any]:
    """Stored terms as the form's initial values (lists as lines of text)."""
    out = {field: terms.get(field) for field in TERMS if field in terms}
    out["termination_fee_schedule"] = lines(
        terms.get("termination_fee_schedule") or [], "through_month", "amount"
    )
    out["sla_credit_tiers"] = lines(terms.get("sla_credit_tiers") or [], "below", "credit_percent")
    return out


def described(terms: dict[str, Any]) -> list[tuple[str, str]]:
    """Stored terms as (label, value) pairs a clerk reads: choices by their
    label, yes/no, the lists as their lines; empty terms left out."""
    fields = ContractTermsForm.base_fields
    text = as_text(terms)
    out = []
    for field in TERMS:
        value = text.get(field)
        if value in (None, ""):
            continue
        shown = fields[field]
        if isinstance(shown, forms.ChoiceField):
            value = dict(shown.choices).get(value, value)  # type: ignore[arg-type]
        elif isinstance(value, bool):
            value = _("yes") if value else _("no")
        out.append((str(shown.label), str(value)))
    return out


class ContractTermsForm(forms.Form):
    """The term and its conditions: renewal, commitment, early termination
    fee, plan changes and the uptime promise."""

    term_months = forms.CharField(label=gettext_lazy("Term (months)"), max_length=4)
    monthly_commitment = forms.CharField(
        label=gettext_lazy("Minimum monthly commitment, net"), max_length=20, required=False
    )
    auto_renew = forms.BooleanField(label=gettext_lazy("Renews automatically"), required=False)
    renewal_term_months = forms.CharField(
        label=gettext_lazy("Renewal term (months)"), max_length=4, required=False
    )
    notice_days = forms.CharField(
        label=gettext_lazy("Notice period (days before the end)"), max_length=4, required=False
    )
    termination_fee_rule = forms.ChoiceField(
        label=gettext_lazy("Early termination fee"), choices=TerminationFeeRule.choices
    )
    termination_fee_amount = forms.CharField(
        label=gettext_lazy("Fixed fee, net"), max_length=20, required=False
    )
    termination_fee_schedule = forms.CharField(
        label=gettext_lazy("Declining schedule"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "One step a line, '<through month>: <amount>' or '<through month>: <percent>%' "
            "of the remaining months' commitment, e.g. '6: 600.00', '12: 50%'."
        ),
    )
    plan_change_rule = forms.ChoiceField(
        label=gettext_lazy("Plan changes during the term"), choices=PlanChangeRule.choices
    )
    downgrade_fee = forms.CharField(
        label=gettext_lazy("Downgrade fee, net"), max_length=20, required=False
    )
    sla_uptime_percent = forms.CharField(
        label=gettext_lazy("Uptime promised (%)"), max_length=10, required=False
    )
    sla_credit_tiers = forms.CharField(
        label=gettext_lazy("Service credits"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One tier a line, '<availability below, %>: <credit, % of the monthly fee>', "
            "e.g. '99.5: 10'."
        ),
    )
