"""What each database constraint of the hotspot app means to a user (see
core.integrity, which answers a violation with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "hotspot_captiveuser_email": Rule("email", "a guest registers each email address once"),
    "hotspot_captiveuser_phone": Rule("phone", "a guest registers each phone number once"),
    "hotspot_captiveuser_identified": Rule("email", "give an email address or a phone number"),
    "hotspot_policy_tenant": Rule("tenant", "a tenant has one hotspot policy"),
    "hotspot_mac_unique": Rule("mac_address", "a tenant knows each MAC address once"),
    "hotspot_walledgarden_unique": Rule(
        "value", "this destination is already in the walled garden"
    ),
    "hotspot_voucherplan_code_unique": Rule("code", "a voucher plan has this code already"),
    "hotspot_voucherplan_price_not_negative": Rule("price", "a price is zero or more"),
    "hotspot_voucherplan_window_order": Rule("valid_until", "the window ends after it starts"),
    "hotspot_voucheragent_name": Rule("name", "an agent has this name already"),
    "hotspot_voucheragent_commission_range": Rule(
        "commission_percent", "a commission is 0 to 100 percent"
    ),
    "hotspot_voucher_code_unique": Rule("code", "a voucher has this code already"),
}
