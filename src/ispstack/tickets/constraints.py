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
}
