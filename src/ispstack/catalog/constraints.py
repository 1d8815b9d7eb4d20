"""What each database constraint of the catalog app means to a user: the input
field it guards and the rule (see core.integrity, which answers a violation
with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "catalog_taxrate_name_unique": Rule(
        "name", "is taken: tax rate names are unique within the ISP"
    ),
    "catalog_taxrate_range": Rule("rate", "must be between 0 and 100 (percent)"),
    "catalog_plan_code_unique": Rule("code", "is taken: plan codes are unique within the ISP"),
    "catalog_plan_price_not_negative": Rule("monthly_price", "must not be negative"),
    "catalog_addon_code_unique": Rule("code", "is taken: add-on codes are unique within the ISP"),
    "catalog_addon_price_not_negative": Rule("monthly_price", "must not be negative"),
    "catalog_promotion_code_unique": Rule(
        "code", "is taken: promotion codes are unique within the ISP"
    ),
    "catalog_promotion_percent_range": Rule("value", "must be at most 100 for a percent promotion"),
    "catalog_planprice_day_unique": Rule(
        "monthly_price", "has one price per plan and day: the day's row is updated"
    ),
    "catalog_planprice_not_negative": Rule("monthly_price", "must not be negative"),
    "catalog_addonprice_day_unique": Rule(
        "monthly_price", "has one price per add-on and day: the day's row is updated"
    ),
    "catalog_addonprice_not_negative": Rule("monthly_price", "must not be negative"),
    "catalog_bundle_code_unique": Rule("code", "is taken: bundle codes are unique within the ISP"),
}
