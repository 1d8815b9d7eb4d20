"""What each database constraint of the payments app means to a user: the input
field it guards and the rule (see core.integrity, which answers a violation
with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "payments_payment_reference_unique": Rule(
        "reference", "is recorded already: a reference is unique per ISP and payment method"
    ),
    "payments_payment_positive": Rule("amount", "must be greater than zero"),
    "payments_payment_unallocated_range": Rule(
        "amount", "would allocate more than the payment, or less than nothing"
    ),
    "payments_refund_positive": Rule("amount", "must be greater than zero"),
    "payments_allocation_positive": Rule("amount", "must be greater than zero"),
    "payments_allocation_one_source": Rule(
        None, "an allocation moves money from exactly one payment or credit note"
    ),
    "payments_allocation_one_target": Rule(
        None, "an allocation settles exactly one invoice or refund"
    ),
    "payments_method_one_primary": Rule(
        "primary", "the customer has a primary payment method already: one per customer"
    ),
    "payments_cardpayment_intent_once": Rule(
        "payment_intent", "is recorded already: each card payment intent once"
    ),
    "payments_cardpayment_one_waiting": Rule(
        "invoice", "has a card payment waiting for the bank already: one at a time"
    ),
    "payments_statement_file_once": Rule("file", "is imported already: each file once"),
    "payments_statementline_identity_once": Rule(
        "file", "is booked already: each bank transaction is imported once per ISP, whatever file"
    ),
    "payments_dd_end_to_end_unique": Rule(
        "end_to_end_id", "is taken: an EndToEndId is unique within the ISP (ISO 20022)"
    ),
    "payments_dd_one_pending_per_invoice": Rule(
        "invoice", "has a direct debit pending already: one at a time per invoice"
    ),
}
