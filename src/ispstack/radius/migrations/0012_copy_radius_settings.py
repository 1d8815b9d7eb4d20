"""Copy each existing tenant's RADIUS settings from the tenant row into its
new ``radius.RadiusSettings`` row, before ``core`` drops the columns
(``core.0012_tenant_settings_moved_to_apps`` depends on this migration).

Tenants created from here on get their row from ``core.tenant_settings``.
Reversible: going back writes the values onto the tenant again (core's
columns are back by then, with their defaults).
"""

from django.db import migrations

FIELDS = (
    "suspension_mode",
    "default_nas_type",
    "walled_garden_address_list",
)


def copy_to_settings(apps, schema_editor):
    Tenant = apps.get_model("core", "Tenant")
    Settings = apps.get_model("radius", "RadiusSettings")
    rows = [
        Settings(tenant_id=values.pop("id"), **values)
        for values in Tenant.objects.values("id", *FIELDS).iterator()
    ]
    # A row made already (a tenant saved by code running between the two
    # migrations) keeps its values.
    Settings.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def copy_back_to_tenants(apps, schema_editor):
    Tenant = apps.get_model("core", "Tenant")
    Settings = apps.get_model("radius", "RadiusSettings")
    for values in Settings.objects.values("tenant_id", *FIELDS).iterator():
        Tenant.objects.filter(pk=values.pop("tenant_id")).update(**values)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0011_idempotencykey"),
        ("radius", "0011_radius_settings"),
    ]

    operations = [
        migrations.RunPython(copy_to_settings, copy_back_to_tenants, elidable=False),
    ]
