"""One price row per existing plan and add-on: its current price, effective
from its creation date in the tenant's calendar (the only date known)."""

from zoneinfo import ZoneInfo

from django.db import migrations


def seed(apps, schema_editor):
    for product, history, key in (
        ("Plan", "PlanPrice", "plan"),
        ("AddOn", "AddOnPrice", "addon"),
    ):
        model = apps.get_model("catalog", product)
        price_model = apps.get_model("catalog", history)
        rows = [
            price_model(
                tenant_id=item.tenant_id,
                **{key: item},
                effective_date=item.created_at.astimezone(ZoneInfo(item.tenant.timezone)).date(),
                monthly_price=item.monthly_price,
                currency=item.currency,
            )
            for item in model.objects.select_related("tenant").iterator()
        ]
        price_model.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_price_history")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
