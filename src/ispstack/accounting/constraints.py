"""What each database constraint of the accounting app means to a user (see
core.integrity, which answers a violation with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "accounting_account_code": Rule("code", "the chart of accounts has this code already"),
    "accounting_mapping_role_key": Rule("key", "this role is mapped to an account already"),
    "accounting_entry_number_unique": Rule("number", "a journal entry has this number already"),
    "accounting_entry_once_per_source": Rule(
        "source_id", "this document is posted to the journal already"
    ),
    "accounting_entry_period_first_day": Rule("period", "a period is the first day of a month"),
    "accounting_line_one_side": Rule(
        "debit", "a journal line is a debit or a credit, above zero, not both"
    ),
    "accounting_period_unique": Rule("month", "this month is closed already"),
    "accounting_period_first_day": Rule("month", "a month is given by its first day"),
    "accounting_schedule_unique": Rule(
        "month", "this obligation has a schedule row for the month already"
    ),
    "accounting_schedule_first_day": Rule("month", "a month is given by its first day"),
    "accounting_term_months_range": Rule("months", "spread over 1 to 120 months"),
    "accounting_term_first_day": Rule("start_month", "a month is given by its first day"),
}
