"""The terms of a contract: which fields they are, how input becomes them
(each error names its field) and their snapshot for a version row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ispstack.core import inputs
from ispstack.core.clock import add_months
from ispstack.core.errors import InvalidInput
from ispstack.core.money import parse_amount
from ispstack.sales.models import Contract, PlanChangeRule, TerminationFeeRule

#: The fields an amendment may change; each change is a new version.
TERM_FIELDS = (
    "term_months",
    "start_date",
    "auto_renew",
    "renewal_term_months",
    "notice_days",
    "monthly_commitment",
    "termination_fee_rule",
    "termination_fee_amount",
    "termination_fee_schedule",
    "plan_change_rule",
    "downgrade_fee",
    "sla_uptime_percent",
    "sla_credit_tiers",
    "notes",
)
#: What a version row records: the terms and the dates they give.
SNAPSHOT_FIELDS = (*TERM_FIELDS, "term_start", "end_date", "status")
#: Product limits: a term of 1 to 10 years; a schedule or tier list longer
#: than its term in months is no clerk's input.
MAX_TERM_MONTHS = 120
MAX_STEPS = 120
MAX_NOTICE_DAYS = 365


def end_of_term(term_start: dt.date, months: int) -> dt.date:
    """The last day of a term of ``months`` calendar months from ``term_start``."""
    return add_months(term_start, months, term_start.day) - dt.timedelta(days=1)


def _months(value: Any, field: str) -> int:
    months = inputs.whole_number(value, field)
    if not 1 <= months <= MAX_TERM_MONTHS:
        raise InvalidInput(f"must be 1 to {MAX_TERM_MONTHS} months", field=field)
    return months


def _percent(value: Any, field: str) -> Decimal:
    number = inputs.decimal_number(value, field)
    if not Decimal(0) <= number <= Decimal(100):
        raise InvalidInput("must be a percent from 0 to 100", field=field)
    if number.as_tuple().exponent < -3:  # type: ignore[operator]
        raise InvalidInput("has at most 3 decimals", field=field)
    return number


def _list_of_dicts(value: Any, field: str) -> list[dict[str, Any]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidInput("must be a list of objects", field=field)
    if len(value) > MAX_STEPS:
        raise InvalidInput(f"has at most {MAX_STEPS} steps", field=field)
    return value


def _schedule(value: Any, currency: str) -> list[dict[str, str | int]]:
    field = "termination_fee_schedule"
    steps: list[dict[str, str | int]] = []
    last = 0
    for n, step in enumerate(_list_of_dicts(value, field)):
        at = f"{field}[{n}]"
        inputs.unknown_fields(step, ("through_month", "amount", "percent"))
        month = _months(step.get("through_month"), f"{at}.through_month")
        if month <= last:
            raise InvalidInput("steps go by increasing through_month", field=f"{at}.through_month")
        last = month
        has_amount = step.get("amount") not in (None, "")
        has_percent = step.get("percent") not in (None, "")
        if has_amount == has_percent:
            raise InvalidInput("give either an amount or a percent", field=f"{at}.amount")
        if has_amount:
            amount = parse_amount(step["amount"], currency, field=f"{at}.amount")
            steps.append({"through_month": month, "amount": str(amount)})
        else:
            percent = _percent(step["percent"], f"{at}.percent")
            steps.append({"through_month": month, "percent": str(percent)})
    return steps


def _tiers(value: Any) -> list[dict[str, str]]:
    field = "sla_credit_tiers"
    tiers = []
    for n, tier in enumerate(_list_of_dicts(value, field)):
        at = f"{field}[{n}]"
        inputs.unknown_fields(tier, ("below", "credit_percent"))
        below = _percent(tier.get("below"), f"{at}.below")
        credit = _percent(tier.get("credit_percent"), f"{at}.credit_percent")
        tiers.append({"below": str(below), "credit_percent": str(credit)})
    return sorted(tiers, key=lambda t: Decimal(t["below"]), reverse=True)


def _choice(value: Any, field: str, choices: Any) -> str:
    text = inputs.text(value, field)
    if text not in choices.values:
        raise InvalidInput(f"must be one of {', '.join(choices.values)}", field=field)
    return text


def clean_terms(data: dict[str, Any], currency: str) -> dict[str, Any]:
    """The given ``TERM_FIELDS`` of ``data`` as model values; amounts in
    ``currency``. Raises InvalidInput naming the field."""
    clean: dict[str, Any] = {}
    for field in ("term_months", "renewal_term_months"):
        if data.get(field) not in (None, ""):
            clean[field] = _months(data[field], field)
    if data.get("start_date") not in (None, ""):
        clean["start_date"] = inputs.day(data["start_date"], "start_date")
    if data.get("auto_renew") is not None:
        clean["auto_renew"] = inputs.flag(data["auto_renew"], "auto_renew")
    if data.get("notice_days") not in (None, ""):
        days = inputs.whole_number(data["notice_days"], "notice_days")
        if not 0 <= days <= MAX_NOTICE_DAYS:
            raise InvalidInput(f"must be 0 to {MAX_NOTICE_DAYS} days", field="notice_days")
        clean["notice_days"] = days
    for field in ("monthly_commitment", "termination_fee_amount", "downgrade_fee"):
        if data.get(field) not in (None, ""):
            clean[field] = parse_amount(data[field], currency, field=field)
    if data.get("termination_fee_rule") not in (None, ""):
        clean["termination_fee_rule"] = _choice(
            data["termination_fee_rule"], "termination_fee_rule", TerminationFeeRule
        )
    if "termination_fee_schedule" in data:
        clean["termination_fee_schedule"] = _schedule(data["termination_fee_schedule"], currency)
    if data.get("plan_change_rule") not in (None, ""):
        clean["plan_change_rule"] = _choice(
            data["plan_change_rule"], "plan_change_rule", PlanChangeRule
        )
    if "sla_uptime_percent" in data:
        value = data["sla_uptime_percent"]
        clean["sla_uptime_percent"] = (
            None if value in (None, "") else _percent(value, "sla_uptime_percent")
        )
    if "sla_credit_tiers" in data:
        clean["sla_credit_tiers"] = _tiers(data["sla_credit_tiers"])
    if "notes" in data:
        clean["notes"] = inputs.text(data["notes"], "notes", max_length=inputs.TEXT_MAX_LENGTH)
    return clean


def check_consistent(contract: Contract) -> None:
    """The terms together make sense: a schedule for the schedule rule, an
    amount for the fixed one, a monthly commitment for the remaining-months
    one, a fee for downgrades that cost one, tiers for
    an SLA. Raises InvalidInput naming the field to fix."""
    rule = contract.termination_fee_rule
    if rule == TerminationFeeRule.SCHEDULE and not contract.termination_fee_schedule:
        raise InvalidInput("the declining schedule needs steps", field="termination_fee_schedule")
    if rule == TerminationFeeRule.FIXED and not contract.termination_fee_amount:
        raise InvalidInput("the fixed rule needs an amount", field="termination_fee_amount")
    if rule == TerminationFeeRule.REMAINING_MONTHS and not contract.monthly_commitment:
        # Remaining months x nothing: a fee rule that never charges a fee.
        raise InvalidInput(
            "the remaining-months rule needs the monthly commitment it multiplies",
            field="monthly_commitment",
        )
    if contract.plan_change_rule == PlanChangeRule.DOWNGRADE_FEE and not contract.downgrade_fee:
        raise InvalidInput("downgrades with a fee need the fee", field="downgrade_fee")
    if contract.sla_credit_tiers and contract.sla_uptime_percent is None:
        raise InvalidInput("credit tiers need the uptime promised", field="sla_uptime_percent")


def snapshot(contract: Contract) -> dict[str, Any]:
    """The contract's terms as JSON values (amounts, percents and dates as strings)."""
    out: dict[str, Any] = {}
    for field in SNAPSHOT_FIELDS:
        value = getattr(contract, field)
        out[field] = (
            value if value is None or isinstance(value, bool | int | list | str) else str(value)
        )
    return out
