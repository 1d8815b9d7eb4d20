"""Copy each existing tenant's direct debit settings from the tenant row into its
new ``payments.DirectDebitSettings`` row, before ``core`` drops the columns
(``core.0012_tenant_settings_moved_to_apps`` depends on this migration).

Tenants created from here on get their row from ``core.tenant_settings``.
Reversible: going back writes the values onto the tenant again (core's
columns are back by then, with their defaults).
"""

from django.db import migrations

FIELDS = (
    "sepa_creditor_id",
    "sepa_creditor_iban",
    "sepa_creditor_bic",
    "direct_debit_return_fee",
)


def copy_to_settings(apps, schema_editor):
    Tenant = apps.get_model("core", "Tenant")
    Settings = apps.get_model("payments", "DirectDebitSettings")
    rows = [
        Settings(tenant_id=values.pop("id"), **values)
        for values in Tenant.objects.values("id", *FIELDS).iterator()
    ]
    # A row made already (a tenant saved by code running between the two
    # migrations) keeps its values.
    Settings.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def copy_back_to_tenants(apps, schema_editor):
    Tenant = apps.get_model("core", "Tenant")
    Settings = apps.get_model("payments", "DirectDebitSettings")
    for values in Settings.objects.values("tenant_id", *FIELDS).iterator():
        Tenant.objects.filter(pk=values.pop("tenant_id")).update(**values)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0011_idempotencykey"),
        ("payments", "0010_direct_debit_settings"),
    ]

    operations = [
        migrations.RunPython(copy_to_settings, copy_back_to_tenants, elidable=False),
    ]
