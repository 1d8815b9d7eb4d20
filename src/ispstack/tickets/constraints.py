"""What each database constraint of the tickets app means to a user: the input
field it guards and the rule (see core.integrity, which answers a violation
with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "tickets_supportmailbox_folder_uniq": Rule(
        "folder", "is read by another mailbox already: one mailbox per folder of an account"
    ),
    "tickets_ticketemail_message_id_uniq": Rule(
        None, "this email (its Message-ID) was recorded already: each mail is imported once"
    ),
    "tickets_timeoff_end_after_start": Rule("end_date", "must not be before the start date"),
    "tickets_appointment_ends_after_start": Rule("ends_at", "must be after the start"),
    "tickets_settings_business_day_order": Rule(
        "business_day_end", "must be after the start of the business day"
    ),
    "tickets_slapolicy_priority_unique": Rule(
        "priority", "has an SLA policy already: one policy per priority"
    ),
    "tickets_holiday_day_unique": Rule("day", "is a holiday already"),
    "tickets_team_name_unique": Rule("name", "is the name of another team"),
    "tickets_teammember_unique": Rule("user", "is a member of this team already"),
    "tickets_routing_type_unique": Rule(
        "ticket_type", "is routed to a team already: one team per ticket type"
    ),
    "tickets_ticket_number_unique": Rule("number", "is the number of another ticket"),
    "tickets_canned_title_unique": Rule("title", "is the title of another canned response"),
    "tickets_outage_number_unique": Rule("number", "is the number of another outage"),
    "tickets_outage_one_scope": Rule(
        "scope", "an outage is on exactly one site, sector, NAS or device"
    ),
    "tickets_outage_expected_end_after_start": Rule(
        "expected_end_at", "must be after the outage's start"
    ),
    "tickets_outage_resolved_after_start": Rule(
        "resolved_at", "must not be before the outage's start"
    ),
    "tickets_outageimpact_unique": Rule(
        "subscription", "is recorded for this outage already: once per outage"
    ),
}
